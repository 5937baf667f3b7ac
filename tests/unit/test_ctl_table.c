/*
 * tocsinctl's tables (ctl-table.c): display widths of ASCII, CJK, mixed
 * text, combining marks and fullwidth forms; cells padded or cut between
 * characters with an ellipsis; control characters and bytes that are not
 * UTF-8 shown harmlessly, never read past.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl-table.h"
#include "tocsin.h"

static void
test_width(void **state)
{
	static const struct {
		const char	*s;
		int		 width;
	} cases[] = {
		{ "", 0 },
		{ "hosp-a", 6 },
		{ "刘庄乡卫生院", 12 },			/* W: 2 each */
		{ "hosp-a 刘庄", 11 },			/* mixed */
		{ "（老院区）", 10 },		/* F: fullwidth brackets */
		{ "ＡＢ１", 6 },			/* F: fullwidth letters */
		{ "ｶﾀｶﾅ", 4 },			/* H: halfwidth katakana */
		{ "e\xcc\x81t\xc3\xa9", 3 },		/* e + U+0301, t, é */
		{ "\xe2\x80\x8d", 0 },			/* zero-width joiner */
		{ "…", 1 },				/* A: counted as one */
		{ "한국", 4 },
		{ "\xf0\x9f\x98\x80", 2 },		/* an emoji, W */
		{ "a\tb", 3 },				/* a control is one */
		{ "\xff\xfe", 2 },			/* bad bytes: one each */
		{ "\xe5\x88", 1 },			/* a cut: one */
	};
	size_t	i;

	for (i = 0; i < nitems(cases); i++) {
		if (ctl_table_width(cases[i].s) != cases[i].width)
			fail_msg("width of \"%s\": %d, want %d", cases[i].s,
			    ctl_table_width(cases[i].s), cases[i].width);
	}
	assert_int_equal(ctl_table_width(NULL), 0);
}

static void
test_fit(void **state)
{
	int	w;

	/* A wide character that would take the last column stays out. */
	assert_int_equal(ctl_table_fit("刘庄乡", 5, &w), 6);
	assert_int_equal(w, 4);
	assert_int_equal(ctl_table_fit("刘庄乡", 6, &w), 9);
	assert_int_equal(w, 6);
	/* A combining mark goes with the character it marks. */
	assert_int_equal(ctl_table_fit("e\xcc\x81x", 1, &w), 3);
	assert_int_equal(w, 1);
	assert_int_equal(ctl_table_fit("abc", 0, &w), 0);
	assert_int_equal(w, 0);
	/* Never inside a character, never past a truncated one. */
	assert_int_equal(ctl_table_fit("a\xe5\x88", 5, &w), 3);
	assert_int_equal(w, 2);
}

static void
assert_cell(const char *s, int cols, int cut, const char *want)
{
	char	*cell = ctl_table_cell(s, cols, cut);

	if (strcmp(cell, want) != 0)
		fail_msg("cell of \"%s\" in %d: \"%s\", want \"%s\"", s, cols,
		    cell, want);
	free(cell);
}

static void
test_cell(void **state)
{
	assert_cell("hosp-a", 8, 1, "hosp-a  ");
	assert_cell("刘庄乡卫生院", 14, 1, "刘庄乡卫生院  ");
	assert_cell("刘庄乡卫生院", 12, 1, "刘庄乡卫生院");
	/* Cut: 9 columns, the ellipsis is one, so four characters. */
	assert_cell("刘庄乡卫生院", 9, 1, "刘庄乡卫…");
	/* 10 columns: four characters and "…" make 9, one space pads. */
	assert_cell("刘庄乡卫生院", 10, 1, "刘庄乡卫… ");
	/* "刘" would end in column 9, leaving none for the ellipsis. */
	assert_cell("hosp-a 刘庄", 9, 1, "hosp-a … ");
	assert_cell("（老院区）", 7, 1, "（老院…");
	assert_cell("e\xcc\x81t\xc3\xa9s", 3, 1, "e\xcc\x81t…");
	/* Not to be cut: shown whole, longer than its column. */
	assert_cell("inc-2026-03-02-0001", 8, 0, "inc-2026-03-02-0001");
	assert_cell(NULL, 4, 1, "    ");
	assert_cell("标题", 0, 0, "标题");
	assert_cell("x", 1, 1, "x");
	assert_cell("xy", 1, 1, "…");
	/* Controls are spaces; a terminal escape cannot get through. */
	assert_cell("a\nb\x1b[2Jc", 8, 1, "a b [2Jc");
	/* Bad bytes show as U+FFFD, one column each. */
	assert_cell("\xff\xfe", 3, 1, "\xef\xbf\xbd\xef\xbf\xbd ");
	assert_cell("ab\xe5\x88", 3, 1, "ab\xef\xbf\xbd");
	assert_cell("ab\xe5\x88", 2, 1, "a…");
}

/* Bytes of every kind, cut at every width: nothing is read past. */
static void
test_any_bytes(void **state)
{
	unsigned char	 buf[8];
	char		*cell;
	unsigned int	 seed = 16, i, j;
	int		 cols, w;

	for (i = 0; i < 20000; i++) {
		for (j = 0; j < sizeof(buf) - 1; j++) {
			seed = seed * 1103515245 + 12345;
			/* Any byte but NUL. */
			buf[j] = (unsigned char)(seed >> 16) | 1;
		}
		buf[sizeof(buf) - 1] = '\0';
		for (cols = 0; cols < 10; cols++) {
			assert_true(ctl_table_fit((char *)buf, cols, &w) <
			    sizeof(buf));
			assert_true(w <= cols);
			cell = ctl_table_cell((char *)buf, cols, 1);
			assert_true(ctl_table_width(cell) >= cols);
			if (cols > 0 && ctl_table_width((char *)buf) > cols)
				assert_int_equal(ctl_table_width(cell), cols);
			free(cell);
		}
	}
}

static void
test_row(void **state)
{
	static const struct ctl_table_col cols[] = {
		{ "KEY", 6, 0 }, { "NAME", 6, 1 }, { "TITLE", 0, 0 },
	};
	const char	*row[] = { "inc-1", "刘庄乡卫生院", "停电" };
	char		*text = NULL;
	size_t		 len = 0;
	FILE		*f = open_memstream(&text, &len);

	assert_non_null(f);
	ctl_table_header(f, cols, nitems(cols));
	ctl_table_row(f, cols, nitems(cols), row);
	fclose(f);
	assert_string_equal(text, "KEY    NAME   TITLE\n"
	    "inc-1  刘庄…  停电\n");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_cell),
		cmocka_unit_test(test_any_bytes),
		cmocka_unit_test(test_row),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
