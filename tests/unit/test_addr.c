/*
 * test_addr.c - sender keys, qshape's domain rules, client address keys.
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

static const char *
client(const char *a, size_t len)
{
	static char out[256];
	size_t	n = addr_client_key(out, sizeof(out) - 1, a, len);

	out[n] = '\0';
	return out;
}

#define CLIENT(s)	client((s), strlen(s))

/* family - addr_ip_parse()'s answer for a C string */
static int
family(const char *text)
{
	unsigned char a[16];

	return addr_ip_parse(a, text, strlen(text));
}

START_TEST(ip_parse_forms)
{
	unsigned char a[16], b[16];
	char	big[5000];

	ck_assert_int_eq(family("192.0.2.1"), 4);
	ck_assert_int_eq(family("2001:db8::25"), 6);
	ck_assert_int_eq(family("IPv6:2001:db8::25"), 6);
	ck_assert_int_eq(family("iPV6:2001:DB8::25"), 6);
	ck_assert_int_eq(family("::ffff:192.0.2.1"), 6);
	ck_assert_int_eq(family("::1.2.3.4"), 6);
	ck_assert_int_eq(family("IPv6:::1.2.3.4"), 6);
	/* The tag is for IPv6 text only; nothing else is an address. */
	ck_assert_int_eq(family("IPv6:192.0.2.1"), -1);
	ck_assert_int_eq(family("IPv6:"), -1);
	ck_assert_int_eq(family("IPv6"), -1);
	ck_assert_int_eq(family(""), -1);
	ck_assert_int_eq(family("IPv6:IPv6:::1"), -1);
	ck_assert_int_eq(family("IPv6: ::1"), -1);
	ck_assert_int_eq(family("IPv6:2001:db8::25 "), -1);
	ck_assert_int_eq(family("IPv6:2001:db8::25junk"), -1);
	ck_assert_int_eq(family("IPv4:192.0.2.1"), -1);
	ck_assert_int_eq(family("IPv6:[2001:db8::25]"), -1);
	ck_assert_int_eq(family("[2001:db8::25]"), -1);
	ck_assert_int_eq(family("fe80::1%eth0"), -1);
	ck_assert_int_eq(family("IPv6:fe80::1%1"), -1);
	ck_assert_int_eq(family("2001:db8::25/32"), -1);
	ck_assert_int_eq(family("192.0.2.01"), -1);
	ck_assert_int_eq(family("1.2.3"), -1);
	ck_assert_int_eq(family("2001:db8:::25"), -1);
	ck_assert_int_eq(family("1:2:3:4:5:6:7:8:9"), -1);
	/* A NUL inside the value ends nothing: the whole value is read. */
	ck_assert_int_eq(addr_ip_parse(a, "::1\0junk", 8), -1);
	ck_assert_int_eq(addr_ip_parse(a, "::1", 3), 6);
	/* Over-long: leading zeros, then any length up to a 4 KiB value. */
	ck_assert_int_eq(family("IPv6:0000:0000:0000:0000:0000:0000:0000:0001"), 6);
	ck_assert_int_eq(family("IPv6:0:0:0:0:0:0:0:00001"), -1);
	memset(big, '0', sizeof(big));
	memcpy(big, "IPv6:", 5);
	big[sizeof(big) - 3] = ':';
	big[sizeof(big) - 2] = '1';
	ck_assert_int_eq(addr_ip_parse(a, big, sizeof(big) - 1), -1);
	ck_assert_int_eq(addr_ip_parse(a, big, ADDR_IP_TEXT_MAX), -1);
	/* IPv4 is ::ffff:a.b.c.d, however it was written. */
	ck_assert_int_eq(addr_ip_parse(a, "192.0.2.1", 9), 4);
	ck_assert_int_eq(addr_ip_parse(b, "IPv6:::ffff:c000:201", 20), 6);
	ck_assert_int_eq(memcmp(a, b, 16), 0);
	ck_assert(addr_ip_mapped(a));
	ck_assert_int_eq(addr_ip_parse(b, "::192.0.2.1", 11), 6);
	ck_assert(!addr_ip_mapped(b));
}
END_TEST

START_TEST(client_keys)
{
	char	out[8], big[5000];

	ck_assert_str_eq(CLIENT("192.0.2.1"), "192.0.2.1");
	ck_assert_str_eq(CLIENT("IPv6:2001:db8::25"), "2001:db8::25");
	ck_assert_str_eq(CLIENT("IPV6:2001:DB8:0:0::25"), "2001:db8::25");
	ck_assert_str_eq(CLIENT("2001:0db8:0000:0000:0000:0000:0000:0025"),
	    "2001:db8::25");
	/* RFC 5952: the longest run of zeros, the first of equal runs. */
	ck_assert_str_eq(CLIENT("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
	ck_assert_str_eq(CLIENT("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
	ck_assert_str_eq(CLIENT("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
	ck_assert_str_eq(CLIENT("IPv6:::1"), "::1");
	ck_assert_str_eq(CLIENT("::"), "::");
	/* Mapped is IPv4; IPv4-compatible (deprecated) stays IPv6. */
	ck_assert_str_eq(CLIENT("IPv6:::ffff:192.0.2.1"), "192.0.2.1");
	ck_assert_str_eq(CLIENT("::FFFF:c000:0201"), "192.0.2.1");
	ck_assert_str_eq(CLIENT("IPv6:::1.2.3.4"), "::1.2.3.4");
	/* Not an address: kept as stored (tagval_clean() cleans it later). */
	ck_assert_str_eq(CLIENT("IPv6:192.0.2.1"), "IPv6:192.0.2.1");
	ck_assert_str_eq(CLIENT("IPv6:fe80::1%eth0"), "IPv6:fe80::1%eth0");
	ck_assert_str_eq(CLIENT("IPv6:"), "IPv6:");
	ck_assert_str_eq(CLIENT("unknown"), "unknown");
	ck_assert_str_eq(CLIENT("192.0.2.01"), "192.0.2.01");
	ck_assert_uint_eq(addr_client_key(out, sizeof(out), "::1\0x", 5), 5);
	ck_assert_int_eq(memcmp(out, "::1\0x", 5), 0);
	/* Bounded by cap, address or not. */
	ck_assert_uint_eq(addr_client_key(out, 4, "2001:db8::25", 12), 4);
	ck_assert_int_eq(memcmp(out, "2001", 4), 0);
	ck_assert_uint_eq(addr_client_key(out, sizeof(out),
	    "IPv6:2001:db8::25", 17), 8);
	ck_assert_int_eq(memcmp(out, "2001:db8", 8), 0);
	memset(big, 'f', sizeof(big));
	ck_assert_uint_eq(addr_client_key(out, sizeof(out), big, sizeof(big)), 8);
	ck_assert_uint_eq(addr_client_key(out, 0, "::1", 3), 0);
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
	tcase_add_test(tc, ip_parse_forms);
	tcase_add_test(tc, client_keys);
	suite_add_tcase(s, tc);
	return s;
}
