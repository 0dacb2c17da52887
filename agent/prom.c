/*
 * prom.c - one scan in Prometheus's text exposition format (prom.h).
 *
 * Mirrors report.c, which writes the same aggregate as line protocol:
 * the same queues, buckets, breakdowns (agg_top(): --top rows plus
 * "(other)") and scan counters, grouped by metric family as the format
 * wants. Trusts the aggregate's counts; not its keys, which come from
 * mail: every label value is cleaned (tagval.h) and escaped here.
 * Allocates nothing but agg_top()'s array of rows per breakdown, freed
 * here; the caller owns the output buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "prom.h"
#include "schema.h"
#include "tagval.h"

static const char *const queue_names[] = SCHEMA_QUEUE_NAMES;

/* prom_begin - start a sample with its metric name */
void
prom_begin(struct prom_sample *s, struct buf *b, const char *name)
{
	s->b = b;
	s->nlabels = 0;
	buf_adds(b, name);
}

/*
 * prom_label - append key="value": the value cleaned (valid UTF-8, no
 * control character, bounded), then backslash, double quote and newline
 * escaped as the exposition format says; "?" for an empty value
 */
void
prom_label(struct prom_sample *s, const char *key, const char *val, size_t len)
{
	char	clean[TAGVAL_MAX + 1];
	size_t	n = tagval_clean(clean, val, len), i;

	buf_addc(s->b, s->nlabels++ ? ',' : '{');
	buf_adds(s->b, key);
	buf_adds(s->b, "=\"");
	if (n == 0)
		buf_addc(s->b, '?');
	for (i = 0; i < n; i++) {
		if (clean[i] == '\\')
			buf_adds(s->b, "\\\\");
		else if (clean[i] == '"')
			buf_adds(s->b, "\\\"");
		else if (clean[i] == '\n')	/* cleaning leaves none: still */
			buf_adds(s->b, "\\n");
		else
			buf_addc(s->b, clean[i]);
	}
	buf_addc(s->b, '"');
}

/* close_labels - the end of the labels, and the space before the value */
static void
close_labels(struct prom_sample *s)
{
	if (s->nlabels)
		buf_addc(s->b, '}');
	buf_addc(s->b, ' ');
}

/* prom_end - the value, an unsigned integer, and the end of the line */
void
prom_end(struct prom_sample *s, uint64_t v)
{
	close_labels(s);
	buf_add_u64(s->b, v);
	buf_addc(s->b, '\n');
}

/* end_micro - a value in microseconds, written in seconds */
static void
end_micro(struct prom_sample *s, uint64_t us)
{
	char	frac[6];
	int	i;
	uint64_t f = us % 1000000;

	close_labels(s);
	buf_add_u64(s->b, us / 1000000);
	for (i = 5; i >= 0; i--, f /= 10)
		frac[i] = (char)('0' + f % 10);
	buf_addc(s->b, '.');
	buf_add(s->b, frac, sizeof(frac));
	buf_addc(s->b, '\n');
}

/* family - the HELP and TYPE lines of the metric prefix+suffix */
static void
family(struct buf *out, const char *prefix, const char *suffix,
    const char *help1, const char *what, const char *help2)
{
	buf_adds(out, "# HELP ");
	buf_adds(out, prefix);
	buf_adds(out, suffix);
	buf_addc(out, ' ');
	buf_adds(out, help1);
	buf_adds(out, what);
	buf_adds(out, help2);
	buf_adds(out, "\n# TYPE ");
	buf_adds(out, prefix);
	buf_adds(out, suffix);
	buf_adds(out, " gauge\n");
}

/* begin - a sample of prefix+suffix with its own label (key NULL: none) */
static void
begin(struct prom_sample *s, struct buf *out, const char *prefix,
    const char *suffix, const char *key, const char *val, size_t len)
{
	prom_begin(s, out, prefix);
	buf_adds(out, suffix);
	if (key)
		prom_label(s, key, val, len);
}

/* extra - the options' extra tags, last among a sample's labels */
static void
extra(struct prom_sample *s, const struct report_opts *o)
{
	size_t	i;

	for (i = 0; i < o->ntags; i++)
		prom_label(s, o->tags[i].key, o->tags[i].value,
		    strlen(o->tags[i].value));
}

/* put - the extra tags, then the value */
static void
put(struct prom_sample *s, const struct report_opts *o, uint64_t v)
{
	extra(s, o);
	prom_end(s, v);
}

/* clamp_age - an age is never negative (agg_age_of() sees to it) */
static uint64_t
clamp_age(int64_t age)
{
	return age < 0 ? 0 : (uint64_t)age;
}

/* The four facts every queue and breakdown row has, in this order. */
enum fact { FACT_MESSAGES, FACT_BYTES, FACT_RECIPIENTS, FACT_OLDEST, FACTS };

static const char *const fact_suffix[FACTS] = {
	P_MESSAGES, P_BYTES, P_RECIPIENTS, P_OLDEST,
};

/* fact_of - one of the four facts of a row */
static uint64_t
fact_of(const struct agg *a, const struct agg_stats *st, enum fact f)
{
	switch (f) {
	case FACT_MESSAGES:
		return st->length;
	case FACT_BYTES:
		return st->size;
	case FACT_RECIPIENTS:
		return st->recipients;
	case FACT_OLDEST:
	case FACTS:
		break;
	}
	return clamp_age(agg_age_of(a, st));
}

/* put_queues - the four facts per queue, corrupt included */
static void
put_queues(struct buf *out, const struct agg *a, const struct report_opts *o)
{
	static const char *const help[FACTS] = {
		"Messages in each Postfix queue: complete queue files (in "
		    "corrupt, every file).",
		"Bytes of message content in each queue, as postqueue -j's "
		    "message_size.",
		"Recipients still to be delivered, in each queue.",
		"Seconds since the oldest message of each queue arrived (its T "
		    "record); 0 for an empty queue.",
	};
	struct prom_sample s;
	int	f, q;

	for (f = 0; f < FACTS; f++) {
		family(out, M_QUEUE, fact_suffix[f], help[f], "", "");
		for (q = 0; q < Q_COUNT; q++) {
			begin(&s, out, M_QUEUE, fact_suffix[f], T_QUEUE,
			    queue_names[q], strlen(queue_names[q]));
			put(&s, o, fact_of(a, agg_queue(a, (enum pfq_queue)q),
			    (enum fact)f));
		}
	}
}

/* put_ages - qshape's buckets: messages per queue and age */
static void
put_ages(struct buf *out, const struct agg *a, const struct report_opts *o)
{
	static const char *const buckets[AGE_BUCKETS] = SCHEMA_AGE_FIELDS;
	struct prom_sample s;
	const uint64_t *b;
	int	q, i;

	family(out, M_AGE, P_MESSAGES, "Messages per queue by time since "
	    "arrival, in qshape's buckets: lt_5m (under 5 minutes), lt_10m, "
	    "lt_20m, ... lt_1280m, ge_1280m.", "", "");
	for (q = 0; q < Q_COUNT; q++) {
		b = agg_age_buckets(a, (enum pfq_queue)q);
		for (i = 0; i < AGE_BUCKETS; i++) {
			begin(&s, out, M_AGE, P_MESSAGES, T_QUEUE,
			    queue_names[q], strlen(queue_names[q]));
			prom_label(&s, T_BUCKET, buckets[i], strlen(buckets[i]));
			put(&s, o, b[i]);
		}
	}
}

/* One breakdown: where its rows come from and how they are named. */
struct breakdown {
	enum agg_dim dim;
	const char *measurement, *label, *what;
};

/* put_row_fact - one fact of one row; messages come per queue */
static void
put_row_fact(struct buf *out, const struct agg *a, const struct report_opts *o,
    const struct breakdown *bd, enum fact f, const char *key, size_t len,
    const struct agg_stats *st)
{
	struct prom_sample s;
	int	q;

	if (f != FACT_MESSAGES) {
		begin(&s, out, bd->measurement, fact_suffix[f], bd->label, key,
		    len);
		put(&s, o, fact_of(a, st, f));
		return;
	}
	for (q = 0; q < Q_MAIL_COUNT; q++) {
		begin(&s, out, bd->measurement, P_MESSAGES, bd->label, key, len);
		prom_label(&s, T_QUEUE, queue_names[q], strlen(queue_names[q]));
		put(&s, o, st->per_queue[q]);
	}
}

/* put_breakdown - each fact as a family over the top rows and (other) */
static void
put_breakdown(struct buf *out, const struct agg *a, const struct report_opts *o,
    const struct breakdown *bd)
{
	static const char *const help1[FACTS] = {
		"Messages per queue (maildrop, incoming, active, deferred, hold) of ",
		"Bytes of message content of ",
		"Recipients still to be delivered of ",
		"Seconds since the oldest message arrived, of ",
	};
	static const char *const help2 = ": the --top rows with the most "
	    "messages, the rest summed as (other).";
	struct agg_row *rows;
	struct agg_stats other;
	size_t	n, i;
	int	have_other, f;

	n = agg_top(a, bd->dim, o->top, &rows, &other, &have_other);
	for (f = 0; f < FACTS; f++) {
		family(out, bd->measurement, fact_suffix[f], help1[f], bd->what,
		    help2);
		for (i = 0; i < n; i++)
			put_row_fact(out, a, o, bd, (enum fact)f, rows[i].key,
			    rows[i].len, rows[i].st);
		if (have_other)
			put_row_fact(out, a, o, bd, (enum fact)f, KEY_OTHER,
			    strlen(KEY_OTHER), &other);
	}
	free(rows);
}

/* put_breakdowns - every breakdown, in report.c's order */
static void
put_breakdowns(struct buf *out, const struct agg *a, const struct report_opts *o)
{
	static const struct breakdown bds[] = {
		{DIM_SENDER, M_SENDER, T_SENDER, "each envelope sender"},
		{DIM_SASL, M_SASL, T_SASL_USERNAME, "each SASL login"},
		{DIM_CLIENT, M_CLIENT, T_CLIENT_ADDRESS, "each SMTP client address"},
		{DIM_SENDER_DOMAIN, M_SENDER_DOMAIN, T_DOMAIN, "each sender domain"},
		{DIM_RCPT_DOMAIN, M_RCPT_DOMAIN, T_DOMAIN,
		    "each recipient domain (a message counts in each of its "
		    "domains)"},
	};
	size_t	i;

	for (i = 0; i < sizeof(bds) / sizeof(bds[0]); i++) {
		/* Absent, not empty, when the source cannot see them. */
		if (o->no_identity && (bds[i].dim == DIM_SASL
		    || bds[i].dim == DIM_CLIENT))
			continue;
		put_breakdown(out, a, o, &bds[i]);
	}
}

/* put_scan - the scan's own health, one family per counter */
static void
put_scan(struct buf *out, const struct report_opts *o,
    const struct scan_stats *st, int64_t now)
{
	const struct {
		const char *field;
		uint64_t v;
		const char *help;
	} c[] = {
		{F_FILES, st->files, "Directory entries the last scan looked at: "
		    "parsed + skipped + vanished + unparseable + ignored + "
		    "duplicates + errors."},
		{F_PARSED, st->parsed, "Complete queue files read and counted."},
		{F_SKIPPED, st->skipped, "Files still being written (owner "
		    "permission not rwx)."},
		{F_VANISHED, st->vanished, "Files gone between listing and "
		    "opening (delivered or moved)."},
		{F_UNPARSEABLE, st->unparseable, "Files that are not a valid "
		    "queue file."},
		{F_IGNORED, st->ignored, "Entries that are not queue files."},
		{F_DUPLICATES, st->duplicates, "Files met twice in one scan (moved "
		    "between queues meanwhile)."},
		{F_ERRORS, st->errors, "I/O or permission errors; 1 alone when the "
		    "queue could not be read at all."},
		{F_CACHED, st->cached, "Files counted from the rescan cache "
		    "without being read."},
		{F_FULL, st->full, "1 when the scan listed every queue directory, "
		    "0 when it followed inotify's changes."},
		{F_EVENTS, st->events, "inotify events read since the previous "
		    "scan."},
		{F_OVERFLOWS, st->overflows, "Times the kernel's inotify queue "
		    "overflowed since the previous scan."},
	};
	const char *source = o->source ? o->source : SOURCE_SPOOL;
	struct prom_sample s;
	char	prefix[64];
	size_t	i, n = strlen(M_SCAN);

	if (n + 2 > sizeof(prefix))
		msg_panic("prom: measurement name %s too long", M_SCAN);
	memcpy(prefix, M_SCAN, n);
	prefix[n] = '_';
	prefix[n + 1] = '\0';
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		family(out, prefix, c[i].field, c[i].help, "", "");
		begin(&s, out, prefix, c[i].field, T_SOURCE, source,
		    strlen(source));
		put(&s, o, c[i].v);
	}
	family(out, M_SCAN, P_DURATION, "Wall time of the last scan.", "", "");
	begin(&s, out, M_SCAN, P_DURATION, T_SOURCE, source, strlen(source));
	extra(&s, o);
	end_micro(&s, st->duration_us);
	family(out, M_SCAN, P_TIMESTAMP, "Unix time of the last scan: in "
	    "pfqmon serve, how fresh the numbers are.", "", "");
	begin(&s, out, M_SCAN, P_TIMESTAMP, T_SOURCE, source, strlen(source));
	put(&s, o, clamp_age(now));
}

/* prom_write - see prom.h */
void
prom_write(struct buf *out, const struct agg *a, const struct report_opts *o,
    const struct scan_stats *st, int64_t now)
{
	if (a != NULL) {
		put_queues(out, a, o);
		put_ages(out, a, o);
		put_breakdowns(out, a, o);
	}
	put_scan(out, o, st, now);
	buf_adds(out, "# EOF\n");
}

/* schema_add - "metric NAME LABELS HELP" for one family of the report */
static void
schema_add(struct buf *out, const char *help_line, const char *text)
{
	const char *name = help_line + strlen("# HELP ");
	size_t	nlen = strcspn(name, " "), keys = 0;
	const char *line, *p;

	buf_adds(out, "metric ");
	buf_add(out, name, nlen);
	buf_addc(out, ' ');
	/* The first sample of the family names its labels. */
	for (line = text; (line = strchr(line, '\n')) != NULL; ) {
		line++;
		if (strncmp(line, name, nlen) == 0 && line[nlen] == '{')
			break;
		if (strncmp(line, name, nlen) == 0 && line[nlen] == ' ')
			break;
	}
	if (line != NULL && line[nlen] == '{') {
		/* Synthetic values hold no '"', ',' or '=': plain splitting. */
		for (p = line + nlen + 1; *p != '}'; p = strchr(p, '"') + 1) {
			if (*p == ',')
				p++;
			if (keys++)
				buf_addc(out, ',');
			buf_add(out, p, strcspn(p, "="));
			p = strchr(p, '"') + 1;
		}
	}
	if (keys == 0)
		buf_addc(out, '-');
	buf_addc(out, ' ');
	p = name + nlen + 1;
	buf_add(out, p, strcspn(p, "\n"));
	buf_addc(out, '\n');
}

/* prom_schema - see prom.h */
void
prom_schema(struct buf *out)
{
	struct agg *a = agg_create(1);
	struct qf_domain dom;
	struct qf_msg m;
	struct scan_stats st;
	struct report_opts o;
	struct buf rep;
	const char *line;

	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	report_schema_message(&m, &dom);
	agg_add(a, Q_DEFERRED, &m);
	buf_init(&rep);
	prom_write(&rep, a, &o, &st, 1);
	for (line = rep.data; line != NULL && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, "# HELP ", 7) == 0)
			schema_add(out, line, line);
	}
	buf_free(&rep);
	agg_free(a);
}
