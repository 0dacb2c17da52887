/*
 * lpparse.h - a strict reader of the line protocol pfqmon writes, for
 * tests and fuzz targets.
 *
 * It accepts a line only if both of the parsers pfqmon's output meets
 * would accept it: the grammar of Telegraf's influx parser (its tagchar
 * and fieldkeychar rules; no TAB, LF, FF or CR anywhere) and the extra
 * rules of InfluxDB 1.x (no empty tag value, no tag value ending in a
 * backslash, tags sorted by key). Fields must be integers ("42i", no
 * leading zeros), which is all pfqmon writes. Tag values are decoded as
 * InfluxDB 1.x decodes them (\, \space and \= in that order, nothing
 * else), so a test can compare them with what went in.
 *
 * The line is given without its terminating LF. The caller owns *line
 * and releases it with lpp_free().
 */
#ifndef PFQ_TEST_LPPARSE_H
#define PFQ_TEST_LPPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define LPP_MAX_TAGS	8
#define LPP_MAX_FIELDS	32

struct lpp_line {
	struct buf measurement;
	size_t	ntags;
	struct buf tag_key[LPP_MAX_TAGS];
	struct buf tag_val[LPP_MAX_TAGS];
	size_t	nfields;
	struct buf field_key[LPP_MAX_FIELDS];
	int64_t	field_val[LPP_MAX_FIELDS];
	int	has_timestamp;
};

void	lpp_init(struct lpp_line *);
void	lpp_free(struct lpp_line *);
int	lpp_parse(struct lpp_line *, const char *, size_t, const char **);

#endif
