/*
 * test_addr.c - sender keys and qshape's domain rules.
 */
#include <string.h>

#include "addr.h"
#include "unit.h"

static const char *
sender(const char *a)
{
	static char out[256];
	size_t	n = addr_sender_key(out, sizeof(out) - 1, a, strlen(a));

	out[n] = '\0';
	return out;
}

static const char *
domain(const char *a)
{
	static char out[256];
	size_t	n = addr_domain_key(out, sizeof(out) - 1, a, strlen(a));

	out[n] = '\0';
	return out;
}

START_TEST(sender_keys)
{
	ck_assert_str_eq(sender(""), "MAILER-DAEMON");
	ck_assert_str_eq(sender("Joe.Smith@Example.COM"), "Joe.Smith@example.com");
	/* The internal form of "a@b"@Example.com: the last '@' splits. */
	ck_assert_str_eq(sender("a@b@Example.com"), "a@b@example.com");
	ck_assert_str_eq(sender("LocalOnly"), "LocalOnly");
	/* Only ASCII is lower-cased: UTF-8 bytes pass unchanged. */
	ck_assert_str_eq(sender("J\xc3\x9c@M\xc3\x9cLLER.Test"),
	    "J\xc3\x9c@m\xc3\x9cller.test");
}
END_TEST

START_TEST(domain_keys)
{
	ck_assert_str_eq(domain(""), "MAILER-DAEMON");
	ck_assert_str_eq(domain("joe@Example.COM"), "example.com");
	ck_assert_str_eq(domain("@Example.COM"), "example.com");
	ck_assert_str_eq(domain("x@Sub..Example...COM."), "sub.example.com");
	ck_assert_str_eq(domain("x@.example.com"), "example.com");
	ck_assert_str_eq(domain("user@"), "(none)");
	ck_assert_str_eq(domain("user@..."), "(none)");
	ck_assert_str_eq(domain("@"), "(none)");
	/* No '@': qshape takes the whole address. */
	ck_assert_str_eq(domain("LocalUser"), "localuser");
}
END_TEST

START_TEST(keys_are_truncated_to_cap)
{
	char	out[8];

	ck_assert_uint_eq(addr_sender_key(out, sizeof(out), "abcdefghij@x", 12), 8);
	ck_assert_int_eq(memcmp(out, "abcdefgh", 8), 0);
	ck_assert_uint_eq(addr_domain_key(out, 4, "", 0), 4);
	ck_assert_int_eq(memcmp(out, "MAIL", 4), 0);
}
END_TEST

Suite *
addr_suite(void)
{
	Suite  *s = suite_create("addr");
	TCase  *tc = tcase_create("keys");

	tcase_add_test(tc, sender_keys);
	tcase_add_test(tc, domain_keys);
	tcase_add_test(tc, keys_are_truncated_to_cap);
	suite_add_tcase(s, tc);
	return s;
}
