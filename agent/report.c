/*
 * report.c - map the aggregate onto the metric schema (see report.h).
 *
 * Tag values reach this module already cleaned by the aggregator; lp.c
 * cleans them again anyway, so no path through here can break a line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lp.h"
#include "msg.h"
#include "report.h"
#include "schema.h"

static const char *const queue_names[] = SCHEMA_QUEUE_NAMES;

/* clamp - counters are unsigned; line protocol integers are signed */
static int64_t
clamp(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

/*
 * begin - a line with its tags in sorted key order: the extra tags
 * (settings, sorted) around the line's own tag, if it has one.
 */
static void
begin(struct lp_line *l, struct buf *out, const struct report_opts *o,
    const char *measurement, const char *key, const char *val, size_t len)
{
	size_t	i = 0;

	lp_begin(l, out, measurement);
	for (; key && i < o->ntags && strcmp(o->tags[i].key, key) < 0; i++)
		lp_tag(l, o->tags[i].key, o->tags[i].value,
		    strlen(o->tags[i].value));
	if (key)
		lp_tag(l, key, val, len);
	for (; i < o->ntags; i++)
		lp_tag(l, o->tags[i].key, o->tags[i].value,
		    strlen(o->tags[i].value));
}

/* put_stats - the four fields every queue and breakdown line has */
static void
put_stats(struct lp_line *l, const struct agg *a, const struct agg_stats *s)
{
	lp_int(l, F_LENGTH, clamp(s->length));
	lp_int(l, F_SIZE, clamp(s->size));
	lp_int(l, F_AGE, agg_age_of(a, s));
	lp_int(l, F_RECIPIENTS, clamp(s->recipients));
}

/* put_queues - one postfix_queue line per queue, then the total */
static void
put_queues(struct buf *out, const struct agg *a, const struct report_opts *o)
{
	struct lp_line l;
	int	q;

	for (q = 0; q < Q_COUNT; q++) {
		begin(&l, out, o, M_QUEUE, T_QUEUE, queue_names[q],
		    strlen(queue_names[q]));
		put_stats(&l, a, agg_queue(a, (enum pfq_queue)q));
		lp_end(&l, o->timestamp_ns);
	}
	begin(&l, out, o, M_TOTAL, NULL, NULL, 0);
	put_stats(&l, a, agg_total(a));
	lp_end(&l, o->timestamp_ns);
}

/* put_ages - qshape's age distribution, one line per queue */
static void
put_ages(struct buf *out, const struct agg *a, const struct report_opts *o)
{
	static const char *const fields[AGE_BUCKETS] = SCHEMA_AGE_FIELDS;
	struct lp_line l;
	const uint64_t *b;
	int	q, i;

	for (q = 0; q < Q_COUNT; q++) {
		b = agg_age_buckets(a, (enum pfq_queue)q);
		begin(&l, out, o, M_AGE, T_QUEUE, queue_names[q],
		    strlen(queue_names[q]));
		lp_int(&l, F_LENGTH, clamp(agg_queue(a, (enum pfq_queue)q)->length));
		for (i = 0; i < AGE_BUCKETS; i++)
			lp_int(&l, fields[i], clamp(b[i]));
		lp_end(&l, o->timestamp_ns);
	}
}

/* put_row - one breakdown line: the four fields and one per queue */
static void
put_row(struct buf *out, const struct agg *a, const struct report_opts *o,
    const char *measurement, const char *tag, const char *key, size_t len,
    const struct agg_stats *s)
{
	struct lp_line l;
	int	q;

	begin(&l, out, o, measurement, tag, key, len);
	put_stats(&l, a, s);
	for (q = 0; q < Q_MAIL_COUNT; q++)
		lp_int(&l, queue_names[q], clamp(s->per_queue[q]));
	lp_end(&l, o->timestamp_ns);
}

/* put_arrival_row - one arrivals line: what arrived, not its ages */
static void
put_arrival_row(struct buf *out, const struct agg *a,
    const struct report_opts *o, const char *measurement, const char *tag,
    const char *key, size_t len, const struct agg_stats *s)
{
	struct lp_line l;

	(void)a;
	begin(&l, out, o, measurement, tag, key, len);
	lp_int(&l, F_MESSAGES, clamp(s->length));
	lp_int(&l, F_SIZE, clamp(s->size));
	lp_int(&l, F_RECIPIENTS, clamp(s->recipients));
	lp_int(&l, F_PERIOD_MS, clamp(o->arrived.period_ms));
	lp_end(&l, o->timestamp_ns);
}

typedef void (*row_fn)(struct buf *, const struct agg *,
    const struct report_opts *, const char *, const char *, const char *,
    size_t, const struct agg_stats *);

/* One breakdown: which rows, where they go, how each is written. */
struct breakdown {
	enum agg_dim dim;
	unsigned set;			/* closing.h */
	const char *measurement, *tag;
	row_fn row;
};

/* Where a closing row goes: the context of put_closed(). */
struct closed_ctx {
	struct buf *out;
	const struct agg *a;
	const struct report_opts *o;
	const struct breakdown *b;
};

/* put_closed - a row that left the report: one last line of zeros */
static void
put_closed(void *ctx, const char *key, size_t len)
{
	static const struct agg_stats zero = {0, 0, INT64_MAX, 0, {0}};
	const struct closed_ctx *c = ctx;

	c->b->row(c->out, c->a, c->o, c->b->measurement, c->b->tag, key, len,
	    &zero);
}

/* put_breakdown - the top rows, the "(other)" row, the rows gone since */
static void
put_breakdown(struct buf *out, const struct agg *a, const struct report_opts *o,
    const struct breakdown *b)
{
	struct closed_ctx cc = {out, a, o, b};
	struct agg_row *rows;
	struct agg_stats other;
	size_t	n, i;
	int	have_other;

	n = agg_top(a, b->dim, o->top, &rows, &other, &have_other);
	for (i = 0; i < n; i++) {
		b->row(out, a, o, b->measurement, b->tag, rows[i].key, rows[i].len,
		    rows[i].st);
		if (o->closing)
			closing_keep(o->closing, b->set, rows[i].key, rows[i].len);
	}
	if (have_other) {
		b->row(out, a, o, b->measurement, b->tag, KEY_OTHER,
		    strlen(KEY_OTHER), &other);
		if (o->closing)
			closing_keep(o->closing, b->set, KEY_OTHER, strlen(KEY_OTHER));
	}
	free(rows);
	if (o->closing)
		closing_gone(o->closing, b->set, put_closed, &cc);
}

/*
 * put_arrivals - what arrived since the last scan: the total (core: the
 * rate alerts read it) and who sent it. Absent when nothing watched the
 * queue: no arrivals seen is not the same as none.
 */
static void
put_arrivals_total(struct buf *out, const struct report_opts *o)
{
	const struct agg_stats *t;
	struct lp_line l;

	if (o->arrivals == NULL)
		return;
	t = agg_queue(o->arrivals, Q_INCOMING);
	begin(&l, out, o, M_ARRIVALS, NULL, NULL, 0);
	lp_int(&l, F_MESSAGES, clamp(t->length));
	lp_int(&l, F_SIZE, clamp(t->size));
	lp_int(&l, F_RECIPIENTS, clamp(t->recipients));
	lp_int(&l, F_VANISHED, clamp(o->arrived.vanished));
	lp_int(&l, F_UNPARSEABLE, clamp(o->arrived.unparseable));
	lp_int(&l, F_PERIOD_MS, clamp(o->arrived.period_ms));
	lp_end(&l, o->timestamp_ns);
}

/* put_arrivals_breakdowns - arrivals by sender, SASL user, client */
static void
put_arrivals_breakdowns(struct buf *out, const struct report_opts *o)
{
	static const struct breakdown by[] = {
		{DIM_SENDER, CLOSING_ARRIVALS + DIM_SENDER, M_ARRIVALS_SENDER,
		    T_SENDER, put_arrival_row},
		{DIM_SASL, CLOSING_ARRIVALS + DIM_SASL, M_ARRIVALS_SASL,
		    T_SASL_USERNAME, put_arrival_row},
		{DIM_CLIENT, CLOSING_ARRIVALS + DIM_CLIENT, M_ARRIVALS_CLIENT,
		    T_CLIENT_ADDRESS, put_arrival_row},
	};
	size_t	i;

	if (o->arrivals == NULL)
		return;
	for (i = 0; i < sizeof(by) / sizeof(by[0]); i++)
		put_breakdown(out, o->arrivals, o, &by[i]);
}

/* report_scan - the agent's own health (also alone, see report.h) */
void
report_scan(struct buf *out, const struct report_opts *o,
    const struct scan_stats *st)
{
	static const struct push_stats none;
	const struct push_stats *p = o->push ? o->push : &none;
	const char *source = o->source ? o->source : SOURCE_SPOOL;
	struct lp_line l;

	begin(&l, out, o, M_SCAN, T_SOURCE, source, strlen(source));
	lp_int(&l, F_FILES, clamp(st->files));
	lp_int(&l, F_PARSED, clamp(st->parsed));
	lp_int(&l, F_SKIPPED, clamp(st->skipped));
	lp_int(&l, F_VANISHED, clamp(st->vanished));
	lp_int(&l, F_UNPARSEABLE, clamp(st->unparseable));
	lp_int(&l, F_IGNORED, clamp(st->ignored));
	lp_int(&l, F_DUPLICATES, clamp(st->duplicates));
	lp_int(&l, F_ERRORS, clamp(st->errors));
	lp_int(&l, F_CACHED, clamp(st->cached));
	lp_int(&l, F_FULL, clamp(st->full));
	lp_int(&l, F_EVENTS, clamp(st->events));
	lp_int(&l, F_OVERFLOWS, clamp(st->overflows));
	lp_int(&l, F_DURATION_US, clamp(st->duration_us));
	lp_int(&l, F_PUSH_SENT, clamp(p->sent));
	lp_int(&l, F_PUSH_RETRIED, clamp(p->retried));
	lp_int(&l, F_PUSH_REJECTED, clamp(p->rejected));
	lp_int(&l, F_PUSH_DROPPED, clamp(p->dropped));
	lp_int(&l, F_PUSH_BUFFER_BYTES, clamp(p->buffer_bytes));
	lp_end(&l, o->timestamp_ns);
}

/* names_add - append name to a comma-separated list unless it is there */
static void
names_add(struct buf *list, const char *name, size_t len)
{
	const char *p = list->data;
	size_t	i = 0;

	while (p && i < list->len) {
		size_t	n = strcspn(p + i, ",");

		if (n == len && memcmp(p + i, name, len) == 0)
			return;
		i += n + 1;
	}
	if (list->len)
		buf_addc(list, ',');
	buf_add(list, name, len);
}

/* split_keys - the keys of "k=v,k=v" into list (report values are plain) */
static void
split_keys(struct buf *list, const char *s, size_t len)
{
	size_t	i = 0, n, eq;

	while (i < len) {
		n = strcspn(s + i, ",");
		if (n > len - i)
			n = len - i;
		eq = strcspn(s + i, "=");
		names_add(list, s + i, eq < n ? eq : n);
		i += n + 1;
	}
}

/* One measurement of the schema and the keys seen on its lines. */
struct schema_entry {
	char	name[64];
	struct buf tags, fields;
};

#define SCHEMA_MAX	16		/* measurements; report.c writes nine */

/* schema_entry - the entry for a measurement name, added when new */
static struct schema_entry *
schema_entry(struct schema_entry *e, size_t *n, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < *n; i++)
		if (strlen(e[i].name) == len && memcmp(e[i].name, name, len) == 0)
			return &e[i];
	if (*n == SCHEMA_MAX || len >= sizeof(e[0].name))
		msg_panic("report_schema: more than %d measurements or a name "
		    "of %zu bytes", SCHEMA_MAX, len);
	memcpy(e[*n].name, name, len);
	e[*n].name[len] = '\0';
	buf_init(&e[*n].tags);
	buf_init(&e[*n].fields);
	return &e[(*n)++];
}

/* report_schema_message - one message that reaches every breakdown */
void
report_schema_message(struct qf_msg *m, struct qf_domain *dom)
{
	memset(m, 0, sizeof(*m));
	m->sender.p = "s@d";
	m->sender.len = 3;
	m->sasl_username.p = "u";
	m->sasl_username.len = 1;
	m->client_address.p = "c";
	m->client_address.len = 1;
	dom->off = 0;
	dom->len = 2;
	dom->count = 1;
	m->domain_base = "@d";
	m->domains = dom;
	m->ndomains = 1;
	m->rcpt_pending = 1;
}

/* report_schema - the names report_write() emits (see report.h) */
void
report_schema(struct buf *out)
{
	static const char *const fixed[] = {T_QUEUE, T_SOURCE};
	struct schema_entry entries[SCHEMA_MAX], *e;
	struct agg *a = agg_create(1), *arrived = agg_create(1);
	struct qf_domain dom;
	struct qf_msg m;
	struct scan_stats st;
	struct buf rep, values[2];
	struct report_opts o;
	const char *line, *end, *sp, *comma, *v;
	size_t	n = 0, i, k;

	memset(&o, 0, sizeof(o));
	report_schema_message(&m, &dom);
	memset(&st, 0, sizeof(st));
	agg_add(a, Q_DEFERRED, &m);
	agg_add(arrived, Q_INCOMING, &m);
	o.arrivals = arrived;
	buf_init(&rep);
	buf_init(&values[0]);
	buf_init(&values[1]);
	report_write(&rep, a, &o, &st);
	/* The synthetic values have no escapes: plain splitting is exact. */
	for (line = rep.data; *line; line = end + 1) {
		end = strchr(line, '\n');
		sp = memchr(line, ' ', (size_t)(end - line));
		comma = memchr(line, ',', (size_t)(sp - line));
		e = schema_entry(entries, &n, line,
		    (size_t)((comma ? comma : sp) - line));
		if (comma) {
			split_keys(&e->tags, comma + 1, (size_t)(sp - comma - 1));
			for (k = 0; k < 2; k++) {
				size_t	kl = strlen(fixed[k]);

				if (strncmp(comma + 1, fixed[k], kl) == 0
				    && comma[1 + kl] == '=') {
					v = comma + 2 + kl;
					names_add(&values[k], v, strcspn(v, ", "));
				}
			}
		}
		split_keys(&e->fields, sp + 1, (size_t)(end - sp - 1));
	}
	for (i = 0; i < n; i++) {
		buf_adds(out, "measurement ");
		buf_adds(out, entries[i].name);
		buf_adds(out, " tags ");
		buf_adds(out, entries[i].tags.len ? entries[i].tags.data : "-");
		buf_adds(out, " fields ");
		buf_adds(out, entries[i].fields.data);
		buf_addc(out, '\n');
		buf_free(&entries[i].tags);
		buf_free(&entries[i].fields);
	}
	for (k = 0; k < 2; k++) {
		buf_adds(out, "tagvalues ");
		buf_adds(out, fixed[k]);
		buf_addc(out, ' ');
		buf_adds(out, values[k].data);
		buf_addc(out, '\n');
	}
	buf_free(&values[0]);
	buf_free(&values[1]);
	buf_free(&rep);
	agg_free(a);
	agg_free(arrived);
}

/* put_breakdowns - every breakdown, in the schema's order */
static void
put_breakdowns(struct buf *out, const struct agg *a, const struct report_opts *o)
{
	static const struct breakdown by[] = {
		{DIM_SENDER, DIM_SENDER, M_SENDER, T_SENDER, put_row},
		{DIM_SASL, DIM_SASL, M_SASL, T_SASL_USERNAME, put_row},
		{DIM_CLIENT, DIM_CLIENT, M_CLIENT, T_CLIENT_ADDRESS, put_row},
		{DIM_SENDER_DOMAIN, DIM_SENDER_DOMAIN, M_SENDER_DOMAIN, T_DOMAIN,
		    put_row},
		{DIM_RCPT_DOMAIN, DIM_RCPT_DOMAIN, M_RCPT_DOMAIN, T_DOMAIN, put_row},
	};
	size_t	i;

	for (i = 0; i < sizeof(by) / sizeof(by[0]); i++) {
		/* Absent, not empty: "no SASL user" would be a claim the
		 * source cannot make. */
		if (o->no_identity && (by[i].dim == DIM_SASL
		    || by[i].dim == DIM_CLIENT))
			continue;
		put_breakdown(out, a, o, &by[i]);
	}
	put_arrivals_breakdowns(out, o);
}

/* report_write - the whole report of one scan */
void
report_write(struct buf *out, const struct agg *a, const struct report_opts *o,
    const struct scan_stats *st)
{
	put_queues(out, a, o);
	put_ages(out, a, o);
	put_arrivals_total(out, o);
	put_breakdowns(out, a, o);
	report_scan(out, o, st);
}

/* report_write_split - the same lines, core and breakdowns apart */
void
report_write_split(struct buf *core, struct buf *detail, const struct agg *a,
    const struct report_opts *o, const struct scan_stats *st)
{
	put_queues(core, a, o);
	put_ages(core, a, o);
	put_arrivals_total(core, o);
	report_scan(core, o, st);
	put_breakdowns(detail, a, o);
}
