/*
 * rec.c - pure decoder for one queue-file record header (see rec.h).
 *
 * Trusts nothing: the bytes come straight from a queue file.
 */
#include "rec.h"

/* rec_decode - type byte and length of the record that starts at p */
int
rec_decode(const unsigned char *p, size_t avail, struct rec *r)
{
	size_t	len = 0;
	size_t	i;

	if (avail < 2)
		return REC_SHORT;
	for (i = 0; i < REC_LEN_BYTES_MAX; i++) {
		unsigned char b;

		if (1 + i >= avail)
			return REC_SHORT;
		b = p[1 + i];
		len |= (size_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			r->type = p[0];
			r->len = len;
			r->hdr_len = 2 + i;
			return REC_OK;
		}
	}
	return REC_BAD;
}
