/*
 * fuzz_lp.c - round-trip property of the line-protocol writer.
 *
 * For any byte string used as a tag value (twice, so a value cannot
 * swallow the tag after it), the writer must produce exactly one line,
 * the strict reader (Telegraf's grammar plus InfluxDB 1.x's rules) must
 * accept it, and InfluxDB's decoding of each tag must give back exactly
 * tagval_clean() of the input ("?" for an empty input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lp.h"
#include "lpparse.h"
#include "tagval.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	clean[TAGVAL_MAX + 1];
	struct lp_line l;
	struct lpp_line p;
	struct buf out;
	const char *err, *want;
	size_t	n, i;

	buf_init(&out);
	lp_begin(&l, &out, "postfix_queue_sender");
	lp_tag(&l, "sender", (const char *)data, size);
	lp_tag(&l, "zz", (const char *)data, size);
	lp_int(&l, "length", 1);
	lp_end(&l, 0);

	if (out.len == 0 || out.data[out.len - 1] != '\n'
	    || memchr(out.data, '\n', out.len - 1) != NULL)
		abort();
	lpp_init(&p);
	if (lpp_parse(&p, out.data, out.len - 1, &err) != 0)
		abort();
	n = tagval_clean(clean, (const char *)data, size);
	want = n ? clean : "?";
	n = n ? n : 1;
	if (p.ntags != 2 || p.nfields != 1)
		abort();
	for (i = 0; i < 2; i++)
		if (p.tag_val[i].len != n || memcmp(p.tag_val[i].data, want, n))
			abort();
	/* Cleaning is idempotent: what is written is what is stored. */
	if (tagval_clean(clean, want, n) != n || memcmp(clean, want, n))
		abort();
	lpp_free(&p);
	buf_free(&out);
	return 0;
}
