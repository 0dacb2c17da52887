/*
 * qfwrite.h - build queue files in memory, for tests.
 *
 * The mirror of Postfix's rec_put(): a type byte, the length in 7-bit
 * little-endian groups, the payload. qfw_hdr() writes a header with an
 * explicit length-byte sequence so tests can build what Postfix never
 * would (absurd lengths, too many length bytes). The caller owns the
 * struct buf and frees it with buf_free().
 */
#ifndef PFQ_TEST_QFWRITE_H
#define PFQ_TEST_QFWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

void	qfw_rec(struct buf *, int type, const void *payload, size_t len);
void	qfw_str(struct buf *, int type, const char *payload);
void	qfw_num15(struct buf *, int type, long value);
void	qfw_size(struct buf *, long data_size, long data_offset, long rcpts);
void	qfw_hdr(struct buf *, int type, const unsigned char *lenbytes,
	    size_t nlenbytes);

#endif
