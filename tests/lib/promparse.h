/*
 * promparse.h - a strict reader of one sample line of Prometheus's text
 * exposition format 0.0.4, for tests and fuzzers: what Prometheus's own
 * parser (expfmt) accepts, and nothing looser.
 *
 * promp_parse() reads name{key="value",...} VALUE from text (len bytes,
 * no newline): a metric name of [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * of [a-zA-Z_][a-zA-Z0-9_]*, each label value in double quotes with
 * only \\, \" and \n as escapes and valid UTF-8 once unescaped, a
 * decimal value. Returns 0 and fills *s with the unescaped values, or
 * -1 with a reason in *err. s owns its buffers: promp_free().
 */
#ifndef PFQ_TEST_PROMPARSE_H
#define PFQ_TEST_PROMPARSE_H

#include <stddef.h>

#include "buf.h"

#define PROMP_MAX_LABELS	8

struct promp_sample {
	struct buf name;
	size_t	nlabels;
	struct buf key[PROMP_MAX_LABELS];
	struct buf val[PROMP_MAX_LABELS];
	struct buf value;
};

void	promp_init(struct promp_sample *);
void	promp_free(struct promp_sample *);
int	promp_parse(struct promp_sample *, const char *, size_t, const char **);

#endif
