/*
 * lp.h - write InfluxDB line protocol into a buffer.
 *
 * SYNOPSIS
 *	struct lp_line l;
 *	lp_begin(&l, &buf, "measurement");
 *	lp_tag(&l, "key", value, len);	tags in sorted key order
 *	lp_int(&l, "field", 42);	at least one field
 *	lp_end(&l, 0);			or a timestamp in nanoseconds
 *
 * DESCRIPTION
 *	Every tag value goes through tagval_clean() here, whatever the
 *	caller did, and then only space, comma and equals sign are escaped
 *	with a backslash. Backslashes are written as they are: InfluxDB 1.x
 *	keeps "\\" in a tag value as two backslashes and a backslash before
 *	any other character as itself, and Telegraf's parser agrees, so a
 *	value reads back byte for byte (docs/metrics.md has the one Telegraf
 *	exception). An empty value is written as "?": line protocol has no
 *	empty tag values. Integers carry the "i" suffix. A timestamp of 0
 *	means none: Telegraf or the server stamps the line. Lines end in LF.
 *
 *	The result is always exactly one line per lp_begin()/lp_end(), which
 *	the fuzz target tests/fuzz/fuzz_lp.c checks for any input bytes.
 */
#ifndef PFQ_LP_H
#define PFQ_LP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct lp_line {
	struct buf *b;
	int	nfields;
};

void	lp_begin(struct lp_line *, struct buf *, const char *);
void	lp_tag(struct lp_line *, const char *, const char *, size_t);
void	lp_int(struct lp_line *, const char *, int64_t);
void	lp_end(struct lp_line *, int64_t);

#endif
