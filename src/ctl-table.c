/*
 * tocsinctl's tables (see ctl-table.h): display widths from ICU, cells
 * padded or cut to a column, rows of cells.  Text is walked one code point
 * at a time with ICU's U8_NEXT, which also says where a byte is not UTF-8,
 * so a cut never falls inside a character and bad input cannot overrun.
 */
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "ctl-table.h"
#include "xmalloc.h"

#define CTL_TABLE_ELLIPSIS	"…"	/* one column (East Asian Width A) */
#define CTL_TABLE_BAD		"\xef\xbf\xbd"	/* U+FFFD for a bad byte */

/* The next code point of s (len bytes) at *i, or a negative for a bad byte. */
static UChar32
ctl_table_next(const char *s, int32_t *i, int32_t len)
{
	UChar32	c;

	U8_NEXT((const uint8_t *)s, *i, len, c);
	return (c);
}

static int
ctl_table_control(UChar32 c)
{
	return (c < 0x20 || (c >= 0x7f && c < 0xa0));
}

/*
 * The columns one code point takes: wide and fullwidth 2; combining marks,
 * other marks that enclose and format characters (zero-width joiners) 0;
 * a control, a bad byte and everything else 1.
 */
static int
ctl_table_char_width(UChar32 c)
{
	int	ea;

	if (c < 0 || ctl_table_control(c))
		return (1);
	if ((U_GET_GC_MASK(c) & (U_GC_MN_MASK | U_GC_ME_MASK | U_GC_CF_MASK))
	    != 0)
		return (0);
	ea = u_getIntPropertyValue(c, UCHAR_EAST_ASIAN_WIDTH);
	return (ea == U_EA_WIDE || ea == U_EA_FULLWIDTH ? 2 : 1);
}

/* The display columns s takes; NULL takes none. */
int
ctl_table_width(const char *s)
{
	int32_t	i = 0, len = s != NULL ? (int32_t)strlen(s) : 0;
	int	w = 0;

	while (i < len)
		w += ctl_table_char_width(ctl_table_next(s, &i, len));
	return (w);
}

/*
 * The bytes of s's longest head that fits in cols columns, ending between
 * characters and keeping a fitting character's combining marks; its width
 * in *width.
 */
size_t
ctl_table_fit(const char *s, int cols, int *width)
{
	int32_t	i = 0, next, len = s != NULL ? (int32_t)strlen(s) : 0;
	int	w = 0, cw;

	while (i < len) {
		next = i;
		cw = ctl_table_char_width(ctl_table_next(s, &next, len));
		if (w + cw > cols)
			break;
		w += cw;
		i = next;
	}
	*width = w;
	return ((size_t)i);
}

/* n bytes of s onto out, controls as spaces and bad bytes as U+FFFD. */
static char *
ctl_table_put(char *out, const char *s, size_t n)
{
	int32_t	i = 0, at;
	UChar32	c;

	while (i < (int32_t)n) {
		at = i;
		c = ctl_table_next(s, &i, (int32_t)n);
		if (c < 0) {
			memcpy(out, CTL_TABLE_BAD, strlen(CTL_TABLE_BAD));
			out += strlen(CTL_TABLE_BAD);
		} else if (ctl_table_control(c))
			*out++ = ' ';
		else {
			memcpy(out, s + at, (size_t)(i - at));
			out += i - at;
		}
	}
	return (out);
}

/*
 * s as a cell of cols columns: padded with spaces, or, when it is longer
 * and cut is set, cut to fit with "…" at the end.  Not cut, a long s is
 * shown whole.  cols 0: s as it is, unpadded.  The caller frees it.
 */
char *
ctl_table_cell(const char *s, int cols, int cut)
{
	const char	*text = s != NULL ? s : "";
	size_t		 n = strlen(text);
	int		 w = ctl_table_width(text), pad;
	char		*cell, *p;

	if (cut && cols > 0 && w > cols) {
		n = ctl_table_fit(text, cols - 1, &w);
		w++;
	} else
		cut = 0;
	pad = cols > w ? cols - w : 0;
	/* A bad byte grows to three; the ellipsis is three. */
	cell = xmalloc(n * 3 + strlen(CTL_TABLE_ELLIPSIS) + (size_t)pad + 1);
	p = ctl_table_put(cell, text, n);
	if (cut) {
		memcpy(p, CTL_TABLE_ELLIPSIS, strlen(CTL_TABLE_ELLIPSIS));
		p += strlen(CTL_TABLE_ELLIPSIS);
	}
	memset(p, ' ', (size_t)pad);
	p[pad] = '\0';
	return (cell);
}

/* One line: each cell in its column, one space between columns. */
void
ctl_table_row(FILE *f, const struct ctl_table_col *cols, size_t n,
    const char *const *cells)
{
	size_t	 i;
	char	*cell;

	for (i = 0; i < n; i++) {
		cell = ctl_table_cell(cells[i], cols[i].width, cols[i].cut);
		fputs(cell, f);
		free(cell);
		if (i + 1 < n)
			fputc(' ', f);
	}
	fputc('\n', f);
}

void
ctl_table_header(FILE *f, const struct ctl_table_col *cols, size_t n)
{
	const char	**titles = xcalloc(n, sizeof(*titles));
	size_t		  i;

	for (i = 0; i < n; i++)
		titles[i] = cols[i].title;
	ctl_table_row(f, cols, n, titles);
	free(titles);
}
