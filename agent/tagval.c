/*
 * tagval.c - tag value sanitiser (see tagval.h for the rules).
 *
 * Input is attacker-controlled mail data: sender addresses, SASL login
 * names, client addresses and domains.
 */
#include <string.h>

#include "tagval.h"

/*
 * utf8_len - length of the valid UTF-8 sequence at s (RFC 3629), or 0.
 */
static size_t
utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t	n, i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;		/* continuation byte or overlong */
	if (c < 0xe0)
		n = 2;
	else if (c < 0xf0) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c < 0xf5) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else
		return 0;
	if (avail < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* is_control - C0, DEL, or a C1 control as its 2-byte UTF-8 sequence */
static int
is_control(const unsigned char *s, size_t n)
{
	if (n == 1)
		return s[0] < 0x20 || s[0] == 0x7f;
	return n == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

/* tagval_clean - safe tag value from untrusted bytes */
size_t
tagval_clean(char *dst, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t	i = 0, out = 0, n;

	/* Most values are short printable ASCII: one pass, one copy. */
	while (i < len && i < TAGVAL_MAX && s[i] >= 0x20 && s[i] < 0x7f)
		i++;
	if (i == len && (len == 0 || s[len - 1] != '\\')) {
		memcpy(dst, src, len);
		dst[len] = '\0';
		return len;
	}
	i = 0;

	while (i < len) {
		n = utf8_len(s + i, len - i);
		if (n == 0 || is_control(s + i, n)) {
			if (out + 1 > TAGVAL_MAX)
				break;
			dst[out++] = '?';
			i += n ? n : 1;
			continue;
		}
		if (out + n > TAGVAL_MAX)
			break;
		memcpy(dst + out, s + i, n);
		out += n;
		i += n;
	}
	if (out > 0 && dst[out - 1] == '\\')
		dst[out - 1] = '?';
	dst[out] = '\0';
	return out;
}
