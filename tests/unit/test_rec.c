/*
 * test_rec.c - the record header decoder.
 */
#include "rec.h"
#include "unit.h"

START_TEST(one_length_byte)
{
	const unsigned char b[] = {'T', 0x11};
	struct rec r;

	ck_assert_int_eq(rec_decode(b, sizeof(b), &r), REC_OK);
	ck_assert_int_eq(r.type, 'T');
	ck_assert_uint_eq(r.len, 17);
	ck_assert_uint_eq(r.hdr_len, 2);
}
END_TEST

START_TEST(two_length_bytes)
{
	/* Postfix writes a 2048-byte text piece as 'L' 0x80 0x10. */
	const unsigned char b[] = {'L', 0x80, 0x10};
	struct rec r;

	ck_assert_int_eq(rec_decode(b, sizeof(b), &r), REC_OK);
	ck_assert_uint_eq(r.len, 2048);
	ck_assert_uint_eq(r.hdr_len, 3);
}
END_TEST

START_TEST(zero_and_non_minimal)
{
	const unsigned char z[] = {'M', 0x00}, nm[] = {'E', 0x80, 0x00};
	struct rec r;

	ck_assert_int_eq(rec_decode(z, sizeof(z), &r), REC_OK);
	ck_assert_uint_eq(r.len, 0);
	/* Postfix's decoder takes non-minimal encodings; so do we. */
	ck_assert_int_eq(rec_decode(nm, sizeof(nm), &r), REC_OK);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_uint_eq(r.hdr_len, 3);
}
END_TEST

START_TEST(four_bytes_is_the_limit)
{
	const unsigned char max[] = {'N', 0xff, 0xff, 0xff, 0x7f};
	const unsigned char five[] = {'N', 0xff, 0xff, 0xff, 0xff, 0x01};
	struct rec r;

	ck_assert_int_eq(rec_decode(max, sizeof(max), &r), REC_OK);
	ck_assert_uint_eq(r.len, REC_LEN_MAX);
	ck_assert_uint_eq(r.len, (1UL << 28) - 1);
	ck_assert_int_eq(rec_decode(five, sizeof(five), &r), REC_BAD);
}
END_TEST

START_TEST(short_input)
{
	const unsigned char b[] = {'S', 0x81, 0x80};
	struct rec r;

	ck_assert_int_eq(rec_decode(b, 0, &r), REC_SHORT);
	ck_assert_int_eq(rec_decode(b, 1, &r), REC_SHORT);
	/* Continuation bit set and no more bytes. */
	ck_assert_int_eq(rec_decode(b, 2, &r), REC_SHORT);
	ck_assert_int_eq(rec_decode(b, 3, &r), REC_SHORT);
}
END_TEST

START_TEST(every_type_byte)
{
	unsigned char b[2] = {0, 5};
	struct rec r;
	int	t;

	for (t = 0; t < 256; t++) {
		b[0] = (unsigned char)t;
		ck_assert_int_eq(rec_decode(b, 2, &r), REC_OK);
		ck_assert_int_eq(r.type, t);
	}
}
END_TEST

Suite *
rec_suite(void)
{
	Suite  *s = suite_create("rec");
	TCase  *tc = tcase_create("decode");

	tcase_add_test(tc, one_length_byte);
	tcase_add_test(tc, two_length_bytes);
	tcase_add_test(tc, zero_and_non_minimal);
	tcase_add_test(tc, four_bytes_is_the_limit);
	tcase_add_test(tc, short_input);
	tcase_add_test(tc, every_type_byte);
	suite_add_tcase(s, tc);
	return s;
}
