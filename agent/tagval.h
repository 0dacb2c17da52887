/*
 * tagval.h - turn untrusted bytes into a safe line-protocol tag value.
 *
 * tagval_clean() copies src into dst (TAGVAL_MAX + 1 bytes) and returns
 * the length of the result, which is NUL-terminated and:
 *
 *	- is valid UTF-8: each byte that does not start a valid sequence
 *	  (overlong forms, surrogates and code points past U+10FFFF are not
 *	  valid) becomes '?';
 *	- has no control characters: C0 (U+0000-U+001F), DEL and C1
 *	  (U+0080-U+009F) each become '?', as Postfix's printable() does;
 *	- is at most TAGVAL_MAX bytes, cut at a character boundary;
 *	- does not end in a backslash (InfluxDB 1.x cannot store that): a
 *	  trailing backslash becomes '?'.
 *
 * Backslashes elsewhere, quotes, spaces, commas and equals signs are kept;
 * lp.c escapes what line protocol needs escaped. The result is empty only
 * when src is. Applying tagval_clean() to its own output changes nothing.
 */
#ifndef PFQ_TAGVAL_H
#define PFQ_TAGVAL_H

#include <stddef.h>

#define TAGVAL_MAX	512

size_t	tagval_clean(char *dst, const char *src, size_t len);

#endif
