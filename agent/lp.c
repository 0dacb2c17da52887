/*
 * lp.c - line protocol writer (see lp.h).
 *
 * Measurement names, tag keys and field keys are pfqmon's own constants
 * (schema.h); tag values come from mail and are distrusted.
 */
#include <stdlib.h>

#include "lp.h"
#include "msg.h"
#include "tagval.h"

/* escape - write s, with a backslash before each byte listed in special */
static void
escape(struct buf *b, const char *s, size_t len, const char *special)
{
	size_t	i;
	const char *c;

	for (i = 0; i < len; i++) {
		for (c = special; *c; c++)
			if (s[i] == *c) {
				buf_addc(b, '\\');
				break;
			}
		buf_addc(b, s[i]);
	}
}

/* lp_begin - start a line with its measurement name */
void
lp_begin(struct lp_line *l, struct buf *b, const char *measurement)
{
	size_t	n = 0;

	while (measurement[n])
		n++;
	l->b = b;
	l->nfields = 0;
	escape(b, measurement, n, ", ");
}

/* lp_tag - append ",key=value" with a cleaned and escaped value */
void
lp_tag(struct lp_line *l, const char *key, const char *val, size_t len)
{
	char	clean[TAGVAL_MAX + 1];
	size_t	n = tagval_clean(clean, val, len);

	buf_addc(l->b, ',');
	buf_adds(l->b, key);
	buf_addc(l->b, '=');
	if (n == 0)
		buf_addc(l->b, '?');
	else
		escape(l->b, clean, n, ", =");
}

/* lp_int - append an integer field */
void
lp_int(struct lp_line *l, const char *key, int64_t v)
{
	buf_addc(l->b, l->nfields++ ? ',' : ' ');
	buf_adds(l->b, key);
	buf_addc(l->b, '=');
	buf_add_i64(l->b, v);
	buf_addc(l->b, 'i');
}

/* lp_end - finish the line, with a timestamp in ns unless it is 0 */
void
lp_end(struct lp_line *l, int64_t timestamp_ns)
{
	if (l->nfields == 0)
		msg_panic("lp_end: a line without fields");
	if (timestamp_ns != 0) {
		buf_addc(l->b, ' ');
		buf_add_i64(l->b, timestamp_ns);
	}
	buf_addc(l->b, '\n');
}
