/*
 * qfile.c - queue-file parser (see qfile.h for the contract).
 *
 * The walk mirrors Postfix's qmgr and showq: start at offset 0, honour
 * pointer records, stop at the first end record reached, and decide what
 * a letter means from the segment it is found in. It differs from them in
 * one way on purpose: it never trusts a length or an offset it has not
 * checked against the file size, because a monitor must survive files that
 * Postfix itself would move to the corrupt queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qfile.h"
#include "rec.h"
#include "rec_type.h"
#include "xalloc.h"

/* fd_pread - qf_input_fd()'s read function: ctx is the file's fd */
static ssize_t
fd_pread(void *ctx, void *dst, size_t len, uint64_t off)
{
	const int *fd = ctx;

	if (off > (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	return pread(*fd, dst, len, (off_t)off);
}

/* qf_input_fd - input over an open file; *fd must outlive the parse */
void
qf_input_fd(struct qf_input *in, int *fd, const struct stat *sb,
    enum qf_kind kind)
{
	in->read = fd_pread;
	in->ctx = fd;
	in->size = (uint64_t)sb->st_size;
	in->mtime = (int64_t)sb->st_mtime;
	in->kind = kind;
}

#define ATTR_NAME_MAX	64	/* longer attribute names are not ours */
#define SIZE_REC_MAX	128	/* six %15ld fields take 95 bytes */
#define TIME_REC_MAX	64	/* "sec usec" */
#define PTR_REC_MAX	32	/* one %15ld field */

struct qf_parser {
	unsigned char *win;		/* QF_WINDOW bytes of the file */
	uint64_t wbase;			/* file offset of win[0] */
	size_t	wlen;			/* valid bytes in win */
	const struct qf_input *in;

	const char *error;
	uint64_t erroff;
	int	err_no;

	char	sender[QF_VALUE_MAX];
	char	sasl[QF_VALUE_MAX];
	char	client[QF_VALUE_MAX];
	char	log_client[QF_VALUE_MAX];
	size_t	sender_len, sasl_len, client_len, log_client_len;
	int	have_sasl, have_client, have_log_client;

	struct qf_domains doms;
};

/* What the walk has learned about the current file. */
struct walk {
	int	seg;
	int	have_size, have_time, have_sender;
	int	size_ok;		/* size record passed showq's checks */
	uint64_t data_size;		/* field 1: content bytes */
	uint64_t data_offset;		/* field 2: first content record */
	int64_t	arrival;
	uint64_t rcpt_pending;
};

/*
 * allowed - bit s is set for each record type that segment s allows
 * (rec_type.h), built once; a table lookup per record instead of a
 * string search, in the innermost loop.
 */
static unsigned char allowed[256];

static void
allowed_init(void)
{
	static const char *const sets[] = {
		REC_TYPE_ENVELOPE, REC_TYPE_CONTENT, REC_TYPE_EXTRACT,
	};
	const char *c;
	int	seg;

	for (seg = 0; seg < 3; seg++)
		for (c = sets[seg]; *c; c++)
			allowed[(unsigned char)*c] |= (unsigned char)(1u << seg);
}

/* qf_parser_create - parser with its read window; free with qf_parser_free */
struct qf_parser *
qf_parser_create(void)
{
	struct qf_parser *P = xcalloc(1, sizeof(*P));

	P->win = xmalloc(QF_WINDOW);
	/* The first parser is created before any scan thread starts. */
	if (allowed[REC_TYPE_END] == 0)
		allowed_init();
	qf_domains_init(&P->doms);
	return P;
}

/* qf_parser_free - release a parser and everything its results point to */
void
qf_parser_free(struct qf_parser *P)
{
	if (P == NULL)
		return;
	free(P->win);
	qf_domains_free(&P->doms);
	free(P);
}

/* qf_error - what was wrong with the last file that did not parse */
const char *
qf_error(const struct qf_parser *P)
{
	return P->error ? P->error : "no error";
}

/* qf_error_offset - file offset where the problem was found */
uint64_t
qf_error_offset(const struct qf_parser *P)
{
	return P->erroff;
}

/* qf_errno - errno of the last QF_IO result */
int
qf_errno(const struct qf_parser *P)
{
	return P->err_no;
}

/* corrupt - record why the file is not a usable queue file */
static int
corrupt(struct qf_parser *P, uint64_t off, const char *why)
{
	P->error = why;
	P->erroff = off;
	return QF_CORRUPT;
}

/* io_error - record a failed read; errno is already in P->err_no */
static int
io_error(struct qf_parser *P, uint64_t off)
{
	P->error = "read error";
	P->erroff = off;
	return QF_IO;
}

/* read_full - read len bytes at off unless the file ends first */
static ssize_t
read_full(const struct qf_input *in, unsigned char *dst, size_t len,
    uint64_t off)
{
	size_t	done = 0;

	while (done < len) {
		ssize_t	n = in->read(in->ctx, dst + done, len - done, off + done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/*
 * view - make the bytes at [off, off + want) visible, want <= QF_WINDOW.
 * Returns a pointer to offset off and sets *got to the bytes available
 * there: at least want, unless the file ends first. NULL: read error.
 * Reads QF_READ_CHUNK bytes at a time, so the envelope of a typical file
 * and often the whole file arrive with the first read.
 */
static const unsigned char *
view(struct qf_parser *P, uint64_t off, size_t want, size_t *got)
{
	uint64_t size = P->in->size, rel = off - P->wbase;
	size_t	n;
	ssize_t	r;

	/*
	 * Nearly every call finds its bytes in the window. An offset below
	 * the window wraps rel around and fails the test.
	 */
	if (rel < P->wlen && P->wlen - rel >= want) {
		*got = P->wlen - (size_t)rel;
		return P->win + rel;
	}
	if (off >= size) {
		*got = 0;
		return P->win;
	}
	if (want > size - off)
		want = (size_t)(size - off);
	if (off >= P->wbase && off - P->wbase <= P->wlen
	    && P->wlen - (size_t)(off - P->wbase) >= want) {
		*got = P->wlen - (size_t)(off - P->wbase);
		return P->win + (off - P->wbase);
	}
	n = want > QF_READ_CHUNK ? want : QF_READ_CHUNK;
	if (n > size - off)
		n = (size_t)(size - off);
	r = read_full(P->in, P->win, n, off);
	if (r < 0) {
		P->err_no = errno;
		P->wlen = 0;
		return NULL;
	}
	P->wbase = off;
	P->wlen = (size_t)r;
	*got = (size_t)r;
	return P->win;
}

/* scan_number - spaces, then 1 to 18 decimal digits, from p[*i] */
static int
scan_number(const unsigned char *p, size_t len, size_t *i, uint64_t *v)
{
	size_t	j = *i, ndigits = 0;
	uint64_t val = 0;

	while (j < len && p[j] == ' ')
		j++;
	while (j < len && p[j] >= '0' && p[j] <= '9') {
		if (++ndigits > 18)
			return -1;
		val = val * 10 + (uint64_t)(p[j] - '0');
		j++;
	}
	if (ndigits == 0)
		return -1;
	*i = j;
	*v = val;
	return 0;
}

/*
 * parse_size - fields 1 and 2 of the size record. Like showq, a payload
 * with anything but digits and spaces is ignored and the file size is
 * reported instead; the offsets are proven later, at the content marker.
 */
static void
parse_size(struct walk *w, const unsigned char *p, size_t len)
{
	size_t	i = 0, k;
	uint64_t f1, f2;

	if (len > SIZE_REC_MAX)
		return;
	for (k = 0; k < len; k++)
		if (p[k] != ' ' && (p[k] < '0' || p[k] > '9'))
			return;
	if (scan_number(p, len, &i, &f1) < 0)
		return;
	w->size_ok = 1;
	w->data_size = f1;
	if (scan_number(p, len, &i, &f2) == 0)
		w->data_offset = f2;
}

/* parse_time - "sec" or "sec usec"; only the seconds matter */
static int
parse_time(const unsigned char *p, size_t len, int64_t *t)
{
	size_t	i = 0;
	uint64_t v;

	if (scan_number(p, len, &i, &v) < 0)
		return -1;
	if (i < len && p[i] != ' ')
		return -1;
	*t = (int64_t)v;
	return 0;
}

/* parse_ptr - the absolute offset in a pointer record */
static int
parse_ptr(const unsigned char *p, size_t len, uint64_t *v)
{
	size_t	i = 0;

	if (len > PTR_REC_MAX || scan_number(p, len, &i, v) < 0 || i != len)
		return -1;
	return 0;
}

/* keep - copy a bounded value into parser storage */
static void
keep(char *dst, size_t *dst_len, const unsigned char *p, size_t len)
{
	if (len > QF_VALUE_MAX)
		len = QF_VALUE_MAX;
	memcpy(dst, p, len);
	*dst_len = len;
}

/* name_is - does the attribute name p[0..len) equal want? */
static int
name_is(const unsigned char *p, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(p, want, len) == 0;
}

/*
 * take_attr - keep the attributes that identify the injector. The first
 * instance wins, as in qmgr; empty values are placeholders (cleanup drops
 * them) and count as absent.
 */
static void
take_attr(struct qf_parser *P, const unsigned char *p, size_t len)
{
	const unsigned char *eq = memchr(p, '=', len);
	const unsigned char *val;
	size_t	nlen, vlen;

	if (eq == NULL)
		return;
	nlen = (size_t)(eq - p);
	val = eq + 1;
	vlen = len - nlen - 1;
	if (vlen == 0)
		return;
	if (!P->have_sasl && name_is(p, nlen, MAIL_ATTR_SASL_USERNAME)) {
		keep(P->sasl, &P->sasl_len, val, vlen);
		P->have_sasl = 1;
	} else if (!P->have_log_client
	    && name_is(p, nlen, MAIL_ATTR_LOG_CLIENT_ADDR)) {
		keep(P->log_client, &P->log_client_len, val, vlen);
		P->have_log_client = 1;
	} else if (!P->have_client && name_is(p, nlen, MAIL_ATTR_CLIENT_ADDR)) {
		keep(P->client, &P->client_len, val, vlen);
		P->have_client = 1;
	}
}

/* payload_need - how many payload bytes a record type needs to be read */
static size_t
payload_need(int type, size_t len, int seg)
{
	size_t	cap;

	switch (type) {
	case REC_TYPE_PTR:
		cap = PTR_REC_MAX + 1;
		break;
	case REC_TYPE_SIZE:
		cap = SIZE_REC_MAX + 1;
		break;
	case REC_TYPE_TIME:
		cap = TIME_REC_MAX;
		break;
	case REC_TYPE_FROM:
	case REC_TYPE_RCPT:
		cap = QF_VALUE_MAX;
		break;
	case REC_TYPE_ATTR:
		cap = seg == QF_SEG_ENVELOPE ? ATTR_NAME_MAX + 1 + QF_VALUE_MAX : 0;
		break;
	default:
		cap = 0;
	}
	return len < cap ? len : cap;
}

/*
 * content_skip - jump from the content marker to the extracted segment
 * when the size record says where it is and the record there proves it.
 * Otherwise the caller reads the content records one by one, which is
 * slower but right.
 */
static int
content_skip(struct qf_parser *P, const struct walk *w, uint64_t next,
    uint64_t *off)
{
	uint64_t size = P->in->size, xoff;
	const unsigned char *p;
	size_t	got;

	if (!w->size_ok || w->data_offset == 0 || w->data_size == 0
	    || next != w->data_offset || w->data_size >= size - next)
		return 0;
	xoff = next + w->data_size;
	p = view(P, xoff, 1, &got);
	if (p == NULL || got < 1 || p[0] != REC_TYPE_XTRA)
		return 0;
	*off = xoff;
	return 1;
}

/* finish - check that the file said what every queue file must say */
static int
finish(struct qf_parser *P, const struct walk *w, struct qf_msg *m)
{
	const struct qf_input *in = P->in;

	if (!w->have_sender)
		return corrupt(P, 0, "no sender record");
	if (!w->have_time && in->kind == QF_KIND_QUEUE)
		return corrupt(P, 0, "no arrival time record");
	m->arrival = w->have_time ? w->arrival : in->mtime;
	m->size = in->kind == QF_KIND_QUEUE && w->size_ok ?
	    w->data_size : in->size;
	m->rcpt_pending = w->rcpt_pending;
	m->sender.p = P->sender;
	m->sender.len = P->sender_len;
	m->sasl_username.p = P->have_sasl ? P->sasl : NULL;
	m->sasl_username.len = P->have_sasl ? P->sasl_len : 0;
	if (P->have_log_client) {
		m->client_address.p = P->log_client;
		m->client_address.len = P->log_client_len;
	} else {
		m->client_address.p = P->have_client ? P->client : NULL;
		m->client_address.len = P->have_client ? P->client_len : 0;
	}
	m->domain_base = P->doms.text;
	m->domains = P->doms.runs;
	m->ndomains = P->doms.n;
	m->domains_dropped = P->doms.dropped;
	return QF_OK;
}

/* reset - forget everything about the previous file */
static void
reset(struct qf_parser *P, const struct qf_input *in)
{
	P->in = in;
	P->wbase = 0;
	P->wlen = 0;
	P->error = NULL;
	P->erroff = 0;
	P->err_no = 0;
	P->sender_len = P->sasl_len = P->client_len = P->log_client_len = 0;
	P->have_sasl = P->have_client = P->have_log_client = 0;
	qf_domains_reset(&P->doms);
}

/*
 * run - the record walk shared by qf_parse() and qf_walk(). With a trace
 * function the content is walked record by record (as postcat does)
 * instead of being skipped.
 */
static int
run(struct qf_parser *P, const struct qf_input *in, struct qf_msg *m,
    qf_trace_fn trace, void *tctx)
{
	struct walk w;
	uint64_t off = 0, visits = 0, max_visits, poff, next, target;
	unsigned jumps = 0;

	reset(P, in);
	memset(&w, 0, sizeof(w));
	w.seg = QF_SEG_ENVELOPE;
	/* Each record takes at least 2 bytes: a longer walk revisits. */
	max_visits = in->size / 2 + 1;
	for (;;) {
		const unsigned char *p;
		size_t	got, need;
		struct rec r;

		if (++visits > max_visits)
			return corrupt(P, off, "record chain loops");
		if (off >= in->size)
			return corrupt(P, off, "no end record");
		if ((p = view(P, off, REC_HDR_MAX, &got)) == NULL)
			return io_error(P, off);
		switch (rec_decode(p, got, &r)) {
		case REC_SHORT:
			return corrupt(P, off, "truncated record");
		case REC_BAD:
			return corrupt(P, off, "record length too large");
		}
		poff = off + r.hdr_len;
		if (poff > in->size || r.len > in->size - poff)
			return corrupt(P, off, "record runs past end of file");
		next = poff + r.len;
		if (!(allowed[r.type] & (1u << w.seg)))
			return corrupt(P, off, "unexpected record type");
		need = trace ? (r.len < QF_WINDOW ? r.len : QF_WINDOW) :
		    payload_need(r.type, r.len, w.seg);
		if (need > 0) {
			if ((p = view(P, poff, need, &got)) == NULL)
				return io_error(P, poff);
			if (got < need)
				return corrupt(P, poff, "file shorter than its size");
		}
		if (trace)
			trace(tctx, off, r.type, p, need, r.len, w.seg);

		switch (r.type) {
		case REC_TYPE_PTR:
			if (parse_ptr(p, need, &target) < 0)
				return corrupt(P, off, "bad pointer record");
			if (target == 0)
				break;		/* placeholder */
			if (target >= in->size)
				return corrupt(P, off, "pointer past end of file");
			if (++jumps > QF_JUMP_LIMIT)
				return corrupt(P, off, "too many pointer jumps");
			off = target;
			continue;
		case REC_TYPE_SIZE:
			if (!w.have_size && w.seg == QF_SEG_ENVELOPE) {
				w.have_size = 1;
				/* Maildrop sizes are preliminary (Postfix 3.11). */
				if (in->kind == QF_KIND_QUEUE)
					parse_size(&w, p, r.len);
			}
			break;
		case REC_TYPE_TIME:
			if (!w.have_time) {
				if (parse_time(p, need, &w.arrival) < 0)
					return corrupt(P, off, "bad arrival time");
				w.have_time = 1;
			}
			break;
		case REC_TYPE_FROM:
			if (!w.have_sender) {
				keep(P->sender, &P->sender_len, p, need);
				w.have_sender = 1;
			}
			break;
		case REC_TYPE_ATTR:
			if (w.seg == QF_SEG_ENVELOPE)
				take_attr(P, p, need);
			break;
		case REC_TYPE_RCPT:
			w.rcpt_pending++;
			qf_domains_add(&P->doms, (const char *)p,
			    need < QF_VALUE_MAX ? need : QF_VALUE_MAX);
			break;
		case REC_TYPE_MESG:
			w.seg = QF_SEG_CONTENT;
			if (trace == NULL && content_skip(P, &w, next, &off))
				continue;
			break;
		case REC_TYPE_XTRA:
			w.seg = QF_SEG_EXTRACT;
			break;
		case REC_TYPE_END:
			return finish(P, &w, m);
		default:
			break;		/* allowed, and nothing we count */
		}
		off = next;
	}
}

/* qf_parse - the envelope facts of one queue file */
int
qf_parse(struct qf_parser *P, const struct qf_input *in, struct qf_msg *m)
{
	return run(P, in, m, NULL, NULL);
}

/* qf_walk - report every record in chain order, content included */
int
qf_walk(struct qf_parser *P, const struct qf_input *in, qf_trace_fn trace,
    void *ctx)
{
	struct qf_msg m;

	return run(P, in, &m, trace, ctx);
}
