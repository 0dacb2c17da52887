/*
 * addr.c - sender and domain keys (see addr.h).
 *
 * Input is an address from a queue file, i.e. attacker-shaped bytes of a
 * known length; nothing here relies on NUL termination.
 */
#include <string.h>

#include "addr.h"
#include "schema.h"

/* ascii_lower - lower-case A-Z only; UTF-8 bytes are left alone */
static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* put_const - copy a constant key, truncated to cap */
static size_t
put_const(char *dst, size_t cap, const char *s)
{
	size_t	n = strlen(s);

	if (n > cap)
		n = cap;
	memcpy(dst, s, n);
	return n;
}

/* after_last_at - index just past the last '@', or 0 when there is none */
static size_t
after_last_at(const char *a, size_t len)
{
	size_t	i = len;

	while (i > 0 && a[i - 1] != '@')
		i--;
	return i;
}

/* addr_sender_key - sender tag value, before sanitising */
size_t
addr_sender_key(char *dst, size_t cap, const char *addr, size_t len)
{
	size_t	dom, i;

	if (len == 0)
		return put_const(dst, cap, KEY_NULL_SENDER);
	if (len > cap)
		len = cap;
	/* Without an '@' it is all local part, kept as is. */
	if ((dom = after_last_at(addr, len)) == 0)
		dom = len;
	memcpy(dst, addr, dom);
	for (i = dom; i < len; i++)
		dst[i] = ascii_lower(addr[i]);
	return len;
}

/* addr_domain_key - qshape's domain of an address, before sanitising */
size_t
addr_domain_key(char *dst, size_t cap, const char *addr, size_t len)
{
	size_t	i, out = 0;

	if (len == 0)
		return put_const(dst, cap, KEY_NULL_SENDER);
	for (i = after_last_at(addr, len); i < len && out < cap; i++) {
		char	c = ascii_lower(addr[i]);

		if (c == '.' && (out == 0 || dst[out - 1] == '.'))
			continue;	/* leading dot, or a run of dots */
		dst[out++] = c;
	}
	if (out > 0 && dst[out - 1] == '.')
		out--;
	if (out == 0)
		return put_const(dst, cap, KEY_NO_DOMAIN);
	return out;
}

/*
 * addr_internal_form - the address as a queue file stores it. showq and
 * people write the RFC 5321 form: a local part that needs it is quoted
 * ("a b"@x for the stored a b@x), and the null sender is MAILER-DAEMON.
 * Like Postfix's unquote_822_local(), drop the quotes and the
 * backslashes of quoted pairs in the local part; the domain is left
 * alone.
 */
size_t
addr_internal_form(char *dst, size_t cap, const char *src, size_t len)
{
	size_t	at, i, n = 0;

	if (len == strlen(KEY_NULL_SENDER)
	    && memcmp(src, KEY_NULL_SENDER, len) == 0)
		return 0;
	at = after_last_at(src, len);
	at = at > 0 ? at - 1 : len;	/* the last '@', or none */
	for (i = 0; i < len && n < cap; i++) {
		if (i < at && src[i] == '"')
			continue;
		if (i < at && src[i] == '\\' && i + 1 < at)
			i++;
		dst[n++] = src[i];
	}
	return n;
}
