/*
 * tocsinctl's tables: text in columns that line up on a terminal whatever
 * the script.  A Chinese character takes two columns, a combining mark
 * none, so a column's width is counted in display columns (ICU's East
 * Asian Width), never in bytes or characters.  A cell too long for its
 * column is cut between characters and ends in "…"; control characters
 * (a title's newline, a terminal escape) show as spaces and bytes that are
 * not UTF-8 as U+FFFD, so what a reporter typed cannot break the table or
 * the terminal.  ctl-table.c.
 */
#ifndef CTL_TABLE_H
#define CTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

/*
 * One column: its heading; its width in display columns (0: the last,
 * unpadded); whether a long cell is cut to fit (names) or shown whole,
 * pushing the rest of the row on (ids people copy).
 */
struct ctl_table_col {
	const char	*title;
	int		 width;
	int		 cut;
};

int	 ctl_table_width(const char *);
size_t	 ctl_table_fit(const char *, int, int *);
char	*ctl_table_cell(const char *, int, int);
void	 ctl_table_header(FILE *, const struct ctl_table_col *, size_t);
void	 ctl_table_row(FILE *, const struct ctl_table_col *, size_t,
	    const char *const *);

#endif
