/*
 * test_lp.c - the line-protocol writer, read back with the strict reader.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lp.h"
#include "lpparse.h"
#include "unit.h"

/* one_line - write m,t=<value> f=<v>i and return the text */
static const char *
one_line(struct buf *b, const char *value, size_t len, int64_t v)
{
	struct lp_line l;

	buf_reset(b);
	lp_begin(&l, b, "m");
	lp_tag(&l, "t", value, len);
	lp_int(&l, "f", v);
	lp_end(&l, 0);
	return b->data;
}

/* round_trip - the tag value InfluxDB 1.x would store */
static const char *
round_trip(const char *value, size_t len)
{
	static char out[1024];
	struct lpp_line p;
	struct buf b;
	const char *err = NULL;

	buf_init(&b);
	one_line(&b, value, len, 1);
	lpp_init(&p);
	ck_assert_msg(lpp_parse(&p, b.data, b.len - 1, &err) == 0, "%s", err);
	ck_assert_uint_eq(p.ntags, 1);
	snprintf(out, sizeof(out), "%s", p.tag_val[0].data);
	lpp_free(&p);
	buf_free(&b);
	return out;
}

#define RT(lit)	round_trip(lit, sizeof(lit) - 1)

START_TEST(escaping)
{
	struct buf b;

	buf_init(&b);
	ck_assert_str_eq(one_line(&b, "a b,c=d", 7, 3), "m,t=a\\ b\\,c\\=d f=3i\n");
	/* Backslashes are written as they are (InfluxDB keeps them). */
	ck_assert_str_eq(one_line(&b, "x\\y", 3, 0), "m,t=x\\y f=0i\n");
	ck_assert_str_eq(one_line(&b, "x\\ y", 4, 0), "m,t=x\\\\ y f=0i\n");
	ck_assert_str_eq(one_line(&b, "", 0, -5), "m,t=? f=-5i\n");
	ck_assert_str_eq(one_line(&b, "end\\", 4, 0), "m,t=end? f=0i\n");
	ck_assert_str_eq(one_line(&b, "two\nlines", 9, 0), "m,t=two?lines f=0i\n");
	ck_assert_str_eq(one_line(&b, "x", 1, INT64_MIN),
	    "m,t=x f=-9223372036854775808i\n");
	buf_free(&b);
}
END_TEST

START_TEST(hostile_senders_read_back_unchanged)
{
	ck_assert_str_eq(RT("\"odd \\\"user\\\" x\\\\y\"@weird.test"),
	    "\"odd \\\"user\\\" x\\\\y\"@weird.test");
	ck_assert_str_eq(RT("\"a,b=c d\"@weird.test"), "\"a,b=c d\"@weird.test");
	ck_assert_str_eq(RT("back\\\\slash@x"), "back\\\\slash@x");
	ck_assert_str_eq(RT("mixed\\ \\,\\=\\\\\"x"), "mixed\\ \\,\\=\\\\\"x");
	ck_assert_str_eq(RT("j\xc3\xbcrgen@m\xc3\xbcller.test"),
	    "j\xc3\xbcrgen@m\xc3\xbcller.test");
	ck_assert_str_eq(RT("a\\,b"), "a\\,b");
	ck_assert_str_eq(RT("#start"), "#start");
}
END_TEST

START_TEST(measurement_and_fields)
{
	struct lp_line l;
	struct buf b;

	buf_init(&b);
	lp_begin(&l, &b, "postfix_queue");
	lp_tag(&l, "queue", "deferred", 8);
	lp_int(&l, "length", 250);
	lp_int(&l, "size", 76543210);
	lp_end(&l, 0);
	ck_assert_str_eq(b.data,
	    "postfix_queue,queue=deferred length=250i,size=76543210i\n");
	buf_free(&b);
}
END_TEST

Suite *
lp_suite(void)
{
	Suite  *s = suite_create("lp");
	TCase  *tc = tcase_create("write");

	tcase_add_test(tc, escaping);
	tcase_add_test(tc, hostile_senders_read_back_unchanged);
	tcase_add_test(tc, measurement_and_fields);
	suite_add_tcase(s, tc);
	return s;
}
