/*
 * test_tagval.c - the tag value sanitiser.
 */
#include <string.h>

#include "tagval.h"
#include "unit.h"

/* clean - tagval_clean() of a C string literal with an explicit length */
static const char *
clean(const char *src, size_t len)
{
	static char out[TAGVAL_MAX + 1];

	tagval_clean(out, src, len);
	return out;
}

#define CLEAN(lit)	clean(lit, sizeof(lit) - 1)

START_TEST(plain_and_special_bytes_kept)
{
	ck_assert_str_eq(CLEAN("joe@example.com"), "joe@example.com");
	/* Line protocol escaping is lp.c's job: these stay as they are. */
	ck_assert_str_eq(CLEAN("\"odd \\\"user\\\" x\\\\y\"@weird.test"),
	    "\"odd \\\"user\\\" x\\\\y\"@weird.test");
	ck_assert_str_eq(CLEAN("a,b=c d@x"), "a,b=c d@x");
}
END_TEST

START_TEST(controls_become_question_marks)
{
	ck_assert_str_eq(CLEAN("a\nb\rc\td\x01" "e\x7f"), "a?b?c?d?e?");
	ck_assert_str_eq(CLEAN("nul\0byte"), "nul?byte");
	/* C1 controls in their UTF-8 form: one '?' per character. */
	ck_assert_str_eq(CLEAN("x\xc2\x85y\xc2\x9f"), "x?y?");
	/* U+00A0 is printable (no-break space) and kept. */
	ck_assert_str_eq(CLEAN("x\xc2\xa0y"), "x\xc2\xa0y");
}
END_TEST

START_TEST(utf8_valid_kept_invalid_replaced)
{
	ck_assert_str_eq(CLEAN("j\xc3\xbcrgen@m\xc3\xbcller.test"),
	    "j\xc3\xbcrgen@m\xc3\xbcller.test");
	ck_assert_str_eq(CLEAN("\xe6\x97\xa5\xe6\x9c\xac"), "\xe6\x97\xa5\xe6\x9c\xac");
	ck_assert_str_eq(CLEAN("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
	ck_assert_str_eq(CLEAN("a\xffz"), "a?z");
	ck_assert_str_eq(CLEAN("\xc0\x80"), "??");		/* overlong NUL */
	ck_assert_str_eq(CLEAN("\xe0\x80\xaf"), "???");		/* overlong '/' */
	ck_assert_str_eq(CLEAN("\xed\xa0\x80"), "???");		/* surrogate */
	ck_assert_str_eq(CLEAN("\xf4\x90\x80\x80"), "????");	/* > U+10FFFF */
	ck_assert_str_eq(CLEAN("ok\xe6\x97"), "ok??");		/* cut short */
	ck_assert_str_eq(CLEAN("\x80\xbf"), "??");		/* lone tails */
}
END_TEST

START_TEST(trailing_backslash_replaced)
{
	ck_assert_str_eq(CLEAN("user\\"), "user?");
	ck_assert_str_eq(CLEAN("a\\\\"), "a\\?");
	ck_assert_str_eq(CLEAN("\\"), "?");
	ck_assert_str_eq(CLEAN("a\\b"), "a\\b");
}
END_TEST

START_TEST(length_is_capped_at_a_character_boundary)
{
	char	in[TAGVAL_MAX + 10], out[TAGVAL_MAX + 1];
	size_t	n;

	memset(in, 'a', sizeof(in));
	ck_assert_uint_eq(tagval_clean(out, in, sizeof(in)), TAGVAL_MAX);
	/* A 2-byte character that would straddle the cap is left out. */
	memset(in, 'a', TAGVAL_MAX - 1);
	memcpy(in + TAGVAL_MAX - 1, "\xc3\xbc", 2);
	n = tagval_clean(out, in, TAGVAL_MAX + 1);
	ck_assert_uint_eq(n, TAGVAL_MAX - 1);
	/* And a cut that leaves a backslash at the end still fixes it. */
	memset(in, 'a', sizeof(in));
	in[TAGVAL_MAX - 1] = '\\';
	n = tagval_clean(out, in, sizeof(in));
	ck_assert_uint_eq(n, TAGVAL_MAX);
	ck_assert_int_eq(out[TAGVAL_MAX - 1], '?');
}
END_TEST

START_TEST(empty_and_idempotent)
{
	const char *samples[] = {
		"", "x", "a\nb", "\xff\xfe", "tail\\", "j\xc3\xbcrgen", "a b,c=d\\e",
	};
	char	once[TAGVAL_MAX + 1], twice[TAGVAL_MAX + 1];
	size_t	i, n;

	ck_assert_uint_eq(tagval_clean(once, "", 0), 0);
	ck_assert_str_eq(once, "");
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		n = tagval_clean(once, samples[i], strlen(samples[i]));
		ck_assert_uint_eq(tagval_clean(twice, once, n), n);
		ck_assert_str_eq(once, twice);
	}
}
END_TEST

Suite *
tagval_suite(void)
{
	Suite  *s = suite_create("tagval");
	TCase  *tc = tcase_create("clean");

	tcase_add_test(tc, plain_and_special_bytes_kept);
	tcase_add_test(tc, controls_become_question_marks);
	tcase_add_test(tc, utf8_valid_kept_invalid_replaced);
	tcase_add_test(tc, trailing_backslash_replaced);
	tcase_add_test(tc, length_is_capped_at_a_character_boundary);
	tcase_add_test(tc, empty_and_idempotent);
	suite_add_tcase(s, tc);
	return s;
}
