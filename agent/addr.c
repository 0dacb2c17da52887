/*
 * addr.c - sender, domain and client address keys (see addr.h).
 *
 * Input is an address from a queue file, i.e. attacker-shaped bytes of a
 * known length; nothing here relies on NUL termination. IP addresses are
 * copied, bounded, into a NUL-terminated buffer for inet_pton(3) and
 * never longer than ADDR_IP_TEXT_MAX.
 */
#include <arpa/inet.h>
#include <string.h>

#include "addr.h"
#include "schema.h"

#define IPV6_TAG	"IPv6:"		/* RFC 5321 address literal tag */
#define IPV6_TAG_LEN	(sizeof(IPV6_TAG) - 1)

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff};

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

/* has_ipv6_tag - the text starts with "IPv6:", in any case */
static int
has_ipv6_tag(const char *p, size_t len)
{
	size_t	i;

	if (len < IPV6_TAG_LEN)
		return 0;
	for (i = 0; i < IPV6_TAG_LEN; i++)
		if (ascii_lower(p[i]) != ascii_lower(IPV6_TAG[i]))
			return 0;
	return 1;
}

/* addr_ip_mapped - an IPv4 address in IPv6 form, ::ffff:a.b.c.d */
int
addr_ip_mapped(const unsigned char addr[16])
{
	return memcmp(addr, v4mapped, sizeof(v4mapped)) == 0;
}

/* addr_ip_parse - 16 bytes of an address; 4 or 6 as written, -1 if none */
int
addr_ip_parse(unsigned char out[16], const char *p, size_t len)
{
	char	text[ADDR_IP_TEXT_MAX];
	unsigned char a4[4], a6[16];
	int	tagged = has_ipv6_tag(p, len);

	if (len >= sizeof(text) || memchr(p, '\0', len))
		return -1;
	if (tagged) {
		p += IPV6_TAG_LEN;
		len -= IPV6_TAG_LEN;
	}
	memcpy(text, p, len);
	text[len] = '\0';
	/* "IPv6:" tags IPv6 text only, as in Postfix's valid_mailhost_addr(). */
	if (!tagged && inet_pton(AF_INET, text, a4) == 1) {
		memcpy(out, v4mapped, sizeof(v4mapped));
		memcpy(out + sizeof(v4mapped), a4, sizeof(a4));
		return 4;
	}
	if (inet_pton(AF_INET6, text, a6) == 1) {
		memcpy(out, a6, sizeof(a6));
		return 6;
	}
	return -1;
}

/*
 * addr_client_key - client_address tag value, before sanitising. The
 * same client is one row however its address was written: Postfix's
 * "IPv6:" tag goes, and inet_ntop() prints one text per address. Dotted
 * IPv4 text is that text already (inet_pton() takes no leading zeros),
 * so the common case costs no inet_ntop().
 */
size_t
addr_client_key(char *dst, size_t cap, const char *addr, size_t len)
{
	unsigned char a[16];
	char	text[INET6_ADDRSTRLEN];
	const char *s = addr;
	size_t	n = len;

	if (addr_ip_parse(a, addr, len) == 6 && (addr_ip_mapped(a) ?
	    inet_ntop(AF_INET, a + sizeof(v4mapped), text, sizeof(text)) :
	    inet_ntop(AF_INET6, a, text, sizeof(text))) != NULL) {
		s = text;
		n = strlen(text);
	}
	if (n > cap)
		n = cap;
	memcpy(dst, s, n);
	return n;
}
