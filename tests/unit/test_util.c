/*
 * test_util.c - buffer, SipHash and log-safe printing.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "siphash.h"
#include "unit.h"

START_TEST(buf_numbers_and_growth)
{
	struct buf b;
	int	i;

	buf_init(&b);
	buf_add_i64(&b, INT64_MIN);
	buf_addc(&b, ' ');
	buf_add_i64(&b, 0);
	buf_addc(&b, ' ');
	buf_add_u64(&b, UINT64_MAX);
	ck_assert_str_eq(b.data, "-9223372036854775808 0 18446744073709551615");
	buf_reset(&b);
	for (i = 0; i < 100000; i++)
		buf_addc(&b, 'x');
	ck_assert_uint_eq(b.len, 100000);
	ck_assert_int_eq(b.data[b.len], '\0');
	buf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

/* The test vectors of the SipHash paper (key 00..0f). */
START_TEST(siphash_vectors)
{
	uint8_t	key[16], msg[15];
	int	i;

	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	ck_assert_uint_eq(siphash24(key, msg, 0), 0x726fdb47dd0e0e31ULL);
	ck_assert_uint_eq(siphash24(key, msg, 15), 0xa129ca6149be45e5ULL);
	ck_assert_uint_eq(siphash24(key, msg, 8), 0x93f5f5799a932462ULL);
	/* SipHash-1-3 runs the same code with fewer rounds: a different,
	 * key-dependent value. */
	ck_assert_uint_ne(siphash13(key, msg, 15), siphash24(key, msg, 15));
	key[0] ^= 1;
	ck_assert_uint_ne(siphash13(key, msg, 15), 0xa129ca6149be45e5ULL);
}
END_TEST

START_TEST(printable_for_log_is_safe)
{
	char	out[8];

	ck_assert_str_eq(printable_for_log(out, sizeof(out), "a\nb\x1b[", 5),
	    "a?b?[");
	ck_assert_str_eq(printable_for_log(out, sizeof(out), "0123456789", 10),
	    "0123456");
}
END_TEST

Suite *
util_suite(void)
{
	Suite  *s = suite_create("util");
	TCase  *tc = tcase_create("util");

	tcase_add_test(tc, buf_numbers_and_growth);
	tcase_add_test(tc, siphash_vectors);
	tcase_add_test(tc, printable_for_log_is_safe);
	suite_add_tcase(s, tc);
	return s;
}
