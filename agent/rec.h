/*
 * rec.h - decode the header of one Postfix queue-file record.
 *
 * A record is a type byte, a length in 1 to 4 bytes of little-endian
 * 7-bit groups (bit 7 set = more length bytes follow), then the payload.
 * This module only looks at bytes it is given: no I/O, no allocation.
 *
 * rec_decode() returns REC_OK and fills in *r, REC_SHORT when more bytes
 * are needed to finish the header (at end of file that means the file is
 * truncated), or REC_BAD when the length uses more than four bytes, as
 * Postfix's own reader refuses too. Non-minimal length encodings are
 * accepted, as Postfix does.
 */
#ifndef PFQ_REC_H
#define PFQ_REC_H

#include <stddef.h>

#define REC_OK		0
#define REC_SHORT	(-1)
#define REC_BAD		(-2)

#define REC_LEN_BYTES_MAX	4
#define REC_HDR_MAX		(1 + REC_LEN_BYTES_MAX)
#define REC_LEN_MAX		((1UL << (7 * REC_LEN_BYTES_MAX)) - 1)

struct rec {
	int	type;		/* 0..255 */
	size_t	len;		/* payload length, at most REC_LEN_MAX */
	size_t	hdr_len;	/* type byte + length bytes */
};

int	rec_decode(const unsigned char *, size_t, struct rec *);

#endif
