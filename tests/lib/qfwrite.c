/*
 * qfwrite.c - queue-file writer for tests (see qfwrite.h).
 */
#include <stdio.h>
#include <string.h>

#include "qfwrite.h"

/* qfw_rec - one record, minimal length encoding as Postfix writes it */
void
qfw_rec(struct buf *b, int type, const void *payload, size_t len)
{
	size_t	n = len;

	buf_addc(b, (char)type);
	do {
		unsigned char c = n & 0x7f;

		n >>= 7;
		if (n)
			c |= 0x80;
		buf_addc(b, (char)c);
	} while (n);
	buf_add(b, payload, len);
}

/* qfw_str - record with a C string payload */
void
qfw_str(struct buf *b, int type, const char *payload)
{
	qfw_rec(b, type, payload, strlen(payload));
}

/* qfw_num15 - record with one "%15ld" field (pointer, warning time) */
void
qfw_num15(struct buf *b, int type, long value)
{
	char	tmp[32];
	int	n = snprintf(tmp, sizeof(tmp), "%15ld", value);

	qfw_rec(b, type, tmp, (size_t)n);
}

/* qfw_size - a six-field size record as cleanup writes it */
void
qfw_size(struct buf *b, long data_size, long data_offset, long rcpts)
{
	char	tmp[128];
	int	n = snprintf(tmp, sizeof(tmp), "%15ld %15ld %15ld %15ld %15ld %15ld",
	    data_size, data_offset, rcpts, 0L, data_size, 0L);

	qfw_rec(b, 'C', tmp, (size_t)n);
}

/* qfw_hdr - a record header with exactly the given length bytes */
void
qfw_hdr(struct buf *b, int type, const unsigned char *lenbytes,
    size_t nlenbytes)
{
	buf_addc(b, (char)type);
	buf_add(b, lenbytes, nlenbytes);
}
