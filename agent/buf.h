/*
 * buf.h - growable byte buffer with an explicit length.
 *
 * The data may contain NUL bytes; a spare NUL is always kept after the
 * last byte so the contents can also be used as a C string when the
 * caller knows there are no embedded NULs. The owner of a struct buf
 * releases it with buf_free(). buf_write() writes the whole contents to
 * a file descriptor (retrying short writes and EINTR): 0, or -1 with
 * errno set.
 */
#ifndef PFQ_BUF_H
#define PFQ_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	char   *data;
	size_t	len;
	size_t	cap;
};

void	buf_init(struct buf *);
void	buf_free(struct buf *);
void	buf_reset(struct buf *);
void	buf_reserve(struct buf *, size_t);
void	buf_add(struct buf *, const void *, size_t);
void	buf_addc(struct buf *, char);
void	buf_adds(struct buf *, const char *);
void	buf_add_i64(struct buf *, int64_t);
void	buf_add_u64(struct buf *, uint64_t);
int	buf_write(const struct buf *, int);

#endif
