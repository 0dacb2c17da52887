/*
 * fuzz_qfile.c - libFuzzer target for the record reader, the queue-file
 * parser and the aggregation of one file.
 *
 * The input is one queue file. It is parsed both as a cleanup(8) queue
 * file and as a postdrop(1) maildrop file, walked record by record, and
 * when it parses, aggregated and reported; every report line must pass
 * the strict line-protocol reader; the message is also matched against
 * a filter of every kind (pfqmon select), and its client_address tag
 * value, given back as --client, must select it. Any crash, sanitizer
 * report, hang, invalid line or broken property is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "agg.h"
#include "buf.h"
#include "filter.h"
#include "lpparse.h"
#include "qfile.h"
#include "report.h"

struct mem {
	const uint8_t *data;
	size_t	size;
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* mem_read - the parser's read function over the fuzz input */
static ssize_t
mem_read(void *ctx, void *dst, size_t len, uint64_t off)
{
	const struct mem *m = ctx;

	if (off >= m->size)
		return 0;
	if (len > m->size - off)
		len = (size_t)(m->size - off);
	memcpy(dst, m->data + off, len);
	return (ssize_t)len;
}

/* ignore - trace function that only makes qf_walk() read everything */
static void
ignore(void *ctx, uint64_t off, int type, const unsigned char *p,
    size_t shown, size_t full, int seg)
{
	volatile unsigned char sink = 0;

	(void)ctx; (void)off; (void)type; (void)full; (void)seg;
	if (shown > 0)
		sink = p[0] ^ p[shown - 1];
	(void)sink;
}

/* check_report - every line of the report must be valid line protocol */
static void
check_report(const struct qf_msg *msg, enum pfq_queue q)
{
	struct scan_stats st;
	struct report_opts o;
	struct lpp_line l;
	struct buf out;
	struct agg *a = agg_create(1795832400);
	const char *err;
	size_t	i, start = 0;

	memset(&st, 0, sizeof(st));
	memset(&o, 0, sizeof(o));
	agg_add(a, q, msg);
	buf_init(&out);
	report_write(&out, a, &o, &st);
	lpp_init(&l);
	for (i = 0; i < out.len; i++) {
		if (out.data[i] != '\n')
			continue;
		if (lpp_parse(&l, out.data + start, i - start, &err) < 0)
			abort();
		start = i + 1;
	}
	if (start != out.len)
		abort();
	lpp_free(&l);
	buf_free(&out);
	agg_free(a);
}

/* One filter per value below, and one with all of them. */
static const struct { enum filter_kind k; const char *v; } values[] = {
	{FILTER_SENDER, "a@example.com"}, {FILTER_SENDER, "<>"},
	{FILTER_SENDER_DOMAIN, ".example.com"},
	{FILTER_RCPT_DOMAIN, "example.com"}, {FILTER_SASL, "victim"},
	{FILTER_CLIENT, "192.0.2.0/24"}, {FILTER_CLIENT, "2001:db8::/32"},
	{FILTER_CLIENT, "IPv6:::ffff:192.0.2.0/120"}, {FILTER_CLIENT, "::/0"},
	{FILTER_QUEUE, "deferred"}, {FILTER_QUEUE, "maildrop"},
	{FILTER_OLDER, "1m"},
};
#define NVALUES	(sizeof(values) / sizeof(values[0]))

/* check_filters - match the message against every filter: no crash */
static void
check_filters(const struct qf_msg *msg, enum pfq_queue q)
{
	static struct filter f[NVALUES + 1];
	static int made;
	volatile int sink = 0;
	char	err[256];
	size_t	i;

	for (i = 0; !made && i < NVALUES; i++)
		if (filter_add(&f[i], values[i].k, values[i].v, err, sizeof(err)) < 0
		    || filter_add(&f[NVALUES], values[i].k, values[i].v, err,
		    sizeof(err)) < 0)
			abort();
	made = 1;
	for (i = 0; i <= NVALUES; i++)
		sink += filter_match(&f[i], q, msg, 1795832400);
	(void)sink;
}

/*
 * check_client_key - the client_address tag is an address exactly when
 * the stored value is, the same one; pasted as --client it selects the
 * message.
 */
static void
check_client_key(const struct qf_msg *msg)
{
	static struct filter f;
	const struct qf_str *c = &msg->client_address;
	unsigned char a[16], b[16];
	char	key[QF_VALUE_MAX + 1], err[256];
	size_t	n;
	int	fa, fb;

	if (c->p == NULL)
		return;
	n = addr_client_key(key, sizeof(key) - 1, c->p, c->len);
	key[n] = '\0';
	fa = addr_ip_parse(a, c->p, c->len);
	fb = addr_ip_parse(b, key, n);
	if ((fa < 0) != (fb < 0) || (fa > 0 && memcmp(a, b, sizeof(a)) != 0))
		abort();
	if (fa < 0)
		return;
	filter_init(&f);
	if (filter_add(&f, FILTER_CLIENT, key, err, sizeof(err)) < 0
	    || !filter_match(&f, Q_DEFERRED, msg, 1795832400))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qf_parser *P;
	struct mem m = {data, size};
	struct qf_input in;
	struct qf_msg msg;

	if (P == NULL)
		P = qf_parser_create();
	in.read = mem_read;
	in.ctx = &m;
	in.size = size;
	in.mtime = 1795831929;

	in.kind = QF_KIND_QUEUE;
	if (qf_parse(P, &in, &msg) == QF_OK) {
		check_filters(&msg, Q_DEFERRED);
		check_client_key(&msg);
		check_report(&msg, Q_DEFERRED);
	}
	(void)qf_walk(P, &in, ignore, NULL);

	in.kind = QF_KIND_MAILDROP;
	if (qf_parse(P, &in, &msg) == QF_OK) {
		check_filters(&msg, Q_MAILDROP);
		check_report(&msg, Q_MAILDROP);
	}
	return 0;
}
