/*
 * top.c - a table or a JSON document of the queue's heaviest keys
 * (top.h).
 *
 * Trusts the aggregator's keys to be cleaned (valid UTF-8, no control
 * characters); still counts columns by UTF-8 lead bytes only and cuts
 * at a character boundary, so no key can shift the table or break a
 * character. Holds no row longer than it takes to write it: the rows
 * themselves stay in the aggregator (agg_top() only sorts pointers).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "schema.h"
#include "top.h"

static const char *const queue_names[] = SCHEMA_QUEUE_NAMES;

/* The view on its way to fd. */
struct out {
	struct buf b;
	int	fd;
	int	err;		/* errno of a failed write: make no more */
};

static const struct dim_name {
	enum agg_dim dim;
	const char *title;		/* table */
	const char *json;		/* JSON member */
	int	identity;		/* only the queue files know it */
} dims[] = {
	{DIM_SENDER, "Senders", "senders", 0},
	{DIM_SASL, "SASL users", "sasl_usernames", 1},
	{DIM_CLIENT, "Client addresses", "client_addresses", 1},
	{DIM_SENDER_DOMAIN, "Sender domains", "sender_domains", 0},
	{DIM_RCPT_DOMAIN, "Recipient domains", "recipient_domains", 0},
};

/* human_size - 512, 1.5K, 20M, 3.1G (binary units) */
static void
human_size(char *dst, size_t cap, uint64_t n)
{
	static const char units[] = "KMGTPE";
	double	v = (double)n;
	int	u = -1;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(dst, cap, "%llu", (unsigned long long)n);
	else
		snprintf(dst, cap, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* human_age - 45s, 12m, 2h13m, 3d04h; "-" for none */
static void
human_age(char *dst, size_t cap, int64_t s, int any)
{
	if (!any)
		snprintf(dst, cap, "-");
	else if (s < 60)
		snprintf(dst, cap, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(dst, cap, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(dst, cap, "%lldh%02lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else
		snprintf(dst, cap, "%lldd%02lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
}

/* columns - terminal columns of UTF-8 text: its lead bytes */
static size_t
columns(const char *s, size_t len)
{
	size_t	i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* put_key - the key in exactly width columns, cut with "..." */
static void
put_key(struct buf *out, const char *key, size_t len, size_t width)
{
	size_t	i, n = 0;

	if (columns(key, len) <= width) {
		buf_add(out, key, len);
		n = columns(key, len);
	} else {
		for (i = 0; i < len; i++) {
			if (((unsigned char)key[i] & 0xc0) != 0x80 && n++ == width - 3)
				break;
			buf_addc(out, key[i]);
		}
		buf_adds(out, "...");
		n = width;
	}
	while (n++ < width + 2)
		buf_addc(out, ' ');
}

/* put_cell - a right-aligned column of at least width characters */
static void
put_cell(struct buf *out, const char *text, int width)
{
	char	cell[64];

	snprintf(cell, sizeof(cell), " %*s", width, text);
	buf_adds(out, cell);
}

static void
put_count(struct buf *out, uint64_t n, int width)
{
	char	text[32];

	snprintf(text, sizeof(text), "%llu", (unsigned long long)n);
	put_cell(out, text, width);
}

/* Column widths after the key: fit the headings. */
#define W_LEN	8
#define W_RCPT	8
#define W_SIZE	6
#define W_AGE	7

/* put_heading - the column names */
static void
put_heading(struct buf *out, const char *title, size_t width)
{
	int	q;

	put_key(out, title, strlen(title), width);
	put_cell(out, "messages", W_LEN);
	put_cell(out, "rcpts", W_RCPT);
	put_cell(out, "size", W_SIZE);
	for (q = 0; q < Q_MAIL_COUNT; q++)
		put_cell(out, queue_names[q], (int)strlen(queue_names[q]));
	put_cell(out, "oldest", W_AGE);
	buf_addc(out, '\n');
}

/* put_line - one row of the table */
static void
put_line(struct buf *out, const struct agg *a, const char *key, size_t len,
    size_t width, const struct agg_stats *s)
{
	char	text[32];
	int	q;

	put_key(out, key, len, width);
	put_count(out, s->length, W_LEN);
	put_count(out, s->recipients, W_RCPT);
	human_size(text, sizeof(text), s->size);
	put_cell(out, text, W_SIZE);
	for (q = 0; q < Q_MAIL_COUNT; q++)
		put_count(out, s->per_queue[q], (int)strlen(queue_names[q]));
	human_age(text, sizeof(text), agg_age_of(a, s), s->length > 0);
	put_cell(out, text, W_AGE);
	buf_addc(out, '\n');
}

/* flush_out - write what waits once it is min bytes; after an error, drop it */
static void
flush_out(struct out *w, size_t min)
{
	if (w->b.len == 0 || w->b.len < min)
		return;
	if (w->err == 0 && buf_write(&w->b, w->fd) < 0)
		w->err = errno ? errno : EIO;
	buf_reset(&w->b);
}

/* table_dim - one breakdown as a titled table */
static void
table_dim(struct out *w, const struct agg *a, const struct top_opts *o,
    const struct dim_name *d)
{
	struct buf *out = &w->b;
	struct agg_row *rows;
	struct agg_stats other;
	size_t	n, i, width;
	int	have_other;

	buf_addc(out, '\n');
	if (d->identity && o->no_identity) {
		buf_adds(out, d->title);
		buf_adds(out, ": not known to the ");
		buf_adds(out, o->source);
		buf_adds(out, " source (only the queue files name them: run as "
		    "root or as the mail owner)\n");
		return;
	}
	n = agg_top(a, d->dim, o->rows, &rows, &other, &have_other);
	width = strlen(d->title);
	for (i = 0; i < n; i++)
		if (columns(rows[i].key, rows[i].len) > width)
			width = columns(rows[i].key, rows[i].len);
	if (width > TOP_KEY_WIDTH)
		width = TOP_KEY_WIDTH;
	put_heading(out, d->title, width);
	if (n == 0)
		buf_adds(out, "  (none)\n");
	for (i = 0; i < n && w->err == 0; i++) {
		put_line(out, a, rows[i].key, rows[i].len, width, rows[i].st);
		flush_out(w, TOP_CHUNK);
	}
	if (have_other)
		put_line(out, a, KEY_OTHER, strlen(KEY_OTHER), width, &other);
	free(rows);
}

/* table - the whole view for a terminal */
static void
table(struct out *w, const struct agg *a, const struct top_opts *o,
    const struct scan_stats *st)
{
	struct buf *out = &w->b;
	const struct agg_stats *t = agg_total(a);
	char	line[512], size[32], age[32];
	size_t	i;
	int	q;

	human_size(size, sizeof(size), t->size);
	human_age(age, sizeof(age), agg_age_of(a, t), t->length > 0);
	snprintf(line, sizeof(line), "%llu messages, %llu recipients, %s, "
	    "oldest %s (source %s)\n", (unsigned long long)t->length,
	    (unsigned long long)t->recipients, size, age, o->source);
	buf_adds(out, line);
	for (q = 0; q < Q_COUNT; q++) {
		snprintf(line, sizeof(line), "%s%s %llu", q ? ", " : "  ",
		    queue_names[q],
		    (unsigned long long)agg_queue(a, (enum pfq_queue)q)->length);
		buf_adds(out, line);
	}
	buf_addc(out, '\n');
	if (st->unparseable || st->errors) {
		snprintf(line, sizeof(line), "  not counted: %llu unreadable "
		    "queue files, %llu errors (pfqmon -v names them)\n",
		    (unsigned long long)st->unparseable,
		    (unsigned long long)st->errors);
		buf_adds(out, line);
	}
	for (i = 0; i < sizeof(dims) / sizeof(dims[0]); i++)
		table_dim(w, a, o, &dims[i]);
}

/* json_stats - length, size, age, recipients and, for rows, per queue */
static struct jout *
json_stats(const struct agg *a, const struct agg_stats *s, int per_queue)
{
	struct jout *j = jout_object();
	int	q;

	jout_set(j, F_LENGTH, jout_integer((long long)s->length));
	jout_set(j, F_SIZE, jout_integer(s->size > INT64_MAX ? INT64_MAX :
	    (long long)s->size));
	jout_set(j, F_AGE, jout_integer(agg_age_of(a, s)));
	jout_set(j, F_RECIPIENTS, jout_integer(s->recipients > INT64_MAX ?
	    INT64_MAX : (long long)s->recipients));
	for (q = 0; per_queue && q < Q_MAIL_COUNT; q++)
		jout_set(j, queue_names[q], jout_integer(s->per_queue[q]));
	return j;
}

/*
 * json_dim - {"rows": [{stats, "key": ...}], "other": stats or null},
 * each row written and sent as it is made
 */
static void
json_dim(struct out *w, struct jstream *js, const struct agg *a,
    const struct top_opts *o, const struct dim_name *d)
{
	struct agg_row *rows;
	struct agg_stats other;
	struct jout *row;
	size_t	n, i;
	int	have_other;

	if (d->identity && o->no_identity) {
		jstream_put(js, d->json, jout_null());
		return;
	}
	n = agg_top(a, d->dim, o->rows, &rows, &other, &have_other);
	jstream_object(js, d->json);
	jstream_array(js, "rows");
	for (i = 0; i < n && w->err == 0; i++) {
		row = json_stats(a, rows[i].st, 1);
		jout_set(row, "key", jout_string(rows[i].key, rows[i].len));
		jstream_put(js, NULL, row);
		flush_out(w, TOP_CHUNK);
	}
	free(rows);
	jstream_end(js);
	jstream_put(js, "other", have_other ? json_stats(a, &other, 1) :
	    jout_null());
	jstream_end(js);
}

/* json_scan - the scan's counters */
static struct jout *
json_scan(const struct scan_stats *st)
{
	struct jout *scan = jout_object();

	jout_set(scan, F_FILES, jout_integer((long long)st->files));
	jout_set(scan, F_PARSED, jout_integer((long long)st->parsed));
	jout_set(scan, F_SKIPPED, jout_integer((long long)st->skipped));
	jout_set(scan, F_VANISHED, jout_integer((long long)st->vanished));
	jout_set(scan, F_UNPARSEABLE, jout_integer((long long)st->unparseable));
	jout_set(scan, F_IGNORED, jout_integer((long long)st->ignored));
	jout_set(scan, F_DUPLICATES, jout_integer((long long)st->duplicates));
	jout_set(scan, F_ERRORS, jout_integer((long long)st->errors));
	jout_set(scan, F_DURATION_US, jout_integer((long long)st->duration_us));
	return scan;
}

/*
 * json - the same view for scripts: one document, written as a stream
 * (json.h) so that only one row at a time is a jansson value
 */
static void
json(struct out *w, const struct agg *a, const struct top_opts *o,
    const struct scan_stats *st)
{
	struct jstream js;
	struct jout *queues = jout_object();
	size_t	i;
	int	q;

	jstream_init(&js, &w->b);
	jstream_object(&js, NULL);
	jstream_put(&js, "time", jout_integer(o->now));
	jstream_put(&js, T_SOURCE, jout_string(o->source, strlen(o->source)));
	jstream_put(&js, "total", json_stats(a, agg_total(a), 0));
	for (q = 0; q < Q_COUNT; q++)
		jout_set(queues, queue_names[q],
		    json_stats(a, agg_queue(a, (enum pfq_queue)q), 0));
	jstream_put(&js, "queues", queues);
	for (i = 0; i < sizeof(dims) / sizeof(dims[0]); i++)
		json_dim(w, &js, a, o, &dims[i]);
	jstream_put(&js, "scan", json_scan(st));
	jstream_end(&js);
}

/* top_write - see top.h */
int
top_write(int fd, const struct agg *a, const struct top_opts *o,
    const struct scan_stats *st)
{
	struct out w;

	buf_init(&w.b);
	w.fd = fd;
	w.err = 0;
	if (o->json)
		json(&w, a, o, st);
	else
		table(&w, a, o, st);
	flush_out(&w, 1);
	buf_free(&w.b);
	if (w.err) {
		errno = w.err;
		return -1;
	}
	return 0;
}
