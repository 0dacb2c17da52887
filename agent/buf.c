/*
 * buf.c - growable byte buffer (see buf.h).
 *
 * Growth is geometric and overflow-checked; an allocation failure is
 * fatal (xalloc), so appends cannot fail.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "xalloc.h"

/* buf_init - empty buffer, no allocation yet */
void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* buf_free - release the storage; the buffer may be reused after init */
void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

/* buf_reset - forget the contents, keep the storage */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* buf_reserve - make room for extra more bytes plus the spare NUL */
void
buf_reserve(struct buf *b, size_t extra)
{
	size_t	need, cap;

	if (extra > SIZE_MAX - b->len - 1)
		msg_fatal(MSG_EXIT_FAIL, "buffer size overflow");
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = xreallocarray(b->data, cap, 1);
	b->cap = cap;
}

/* buf_add - append len bytes */
void
buf_add(struct buf *b, const void *p, size_t len)
{
	buf_reserve(b, len);
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
}

/* buf_addc - append one byte */
void
buf_addc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

/* buf_adds - append a C string */
void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* buf_add_u64 - append an unsigned decimal number, no leading zeros */
void
buf_add_u64(struct buf *b, uint64_t v)
{
	char	tmp[20];
	size_t	n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_add(b, tmp + sizeof(tmp) - n, n);
}

/* buf_add_i64 - append a signed decimal number */
void
buf_add_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_addc(b, '-');
		/* Negate in unsigned arithmetic: INT64_MIN has no positive twin. */
		buf_add_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		buf_add_u64(b, (uint64_t)v);
	}
}

/* buf_write - all of b to fd, or -1 (errno set) */
int
buf_write(const struct buf *b, int fd)
{
	const char *p = b->data;
	size_t	len = b->len;

	while (len > 0) {
		ssize_t	n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
