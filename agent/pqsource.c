/*
 * pqsource.c - count the queue as Postfix lists it: postqueue -j, or the
 * showq service itself (pqsource.h).
 *
 * Trusts postqueue to be Postfix's, found at /usr/sbin/postqueue or on
 * PATH, and the showq socket to be the spool's; trusts nothing either
 * says: every line, name and value is bounded, JSON is parsed by json.c,
 * and each message is checked field by field before it is counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "child.h"
#include "json.h"
#include "msg.h"
#include "pqsource.h"
#include "qmsg.h"
#include "schema.h"
#include "xalloc.h"

#define STDERR_MAX	1024

/* Reused from message to message: no allocation per message once warm. */
struct pq {
	struct scan_sink to;
	struct scan_stats *st;
	struct qf_domains doms;		/* of the message being read */
	uint64_t rcpts;
};

/* pq_init, pq_free - a reader handing messages to a sink, counting in st */
static void
pq_init(struct pq *P, const struct scan_sink *to, struct scan_stats *st)
{
	memset(P, 0, sizeof(*P));
	P->to = *to;
	P->st = st;
	qf_domains_init(&P->doms);
}

static void
pq_free(struct pq *P)
{
	qf_domains_free(&P->doms);
}

/* queue_of - a postqueue queue name, or -1 */
static int
queue_of(const char *name, size_t len)
{
	static const char *const names[] = SCHEMA_QUEUE_NAMES;
	size_t	q;

	for (q = 0; q < Q_COUNT; q++)
		if (strlen(names[q]) == len && memcmp(names[q], name, len) == 0)
			return (int)q;
	return -1;
}

/* msg_begin, msg_rcpt - a message's pending recipients, as they come */
static void
msg_begin(struct pq *P)
{
	P->rcpts = 0;
	qf_domains_reset(&P->doms);
}

static void
msg_rcpt(struct pq *P, const char *addr, size_t len)
{
	/* At most QF_VALUE_MAX bytes of an address, as from a queue file. */
	P->rcpts++;
	qf_domains_add(&P->doms, addr, len > QF_VALUE_MAX ? QF_VALUE_MAX : len);
}

/*
 * msg_end - count the message in its queue, or count it ignored. A
 * visitor also needs the queue ID, checked as a file name would be: it
 * ends up on postsuper's input.
 */
static void
msg_end(struct pq *P, const char *qname, size_t qlen, const struct qf_str *id,
    const char *sender, size_t slen, int64_t arrival, uint64_t size)
{
	char	internal[QF_VALUE_MAX];
	struct qf_msg m;
	int	q;

	if ((q = queue_of(qname, qlen)) < 0) {
		P->st->ignored++;
		return;
	}
	if (P->to.visit && (id->p == NULL || !qf_queue_id_ok(id->p, id->len))) {
		P->st->unparseable++;
		msg_info("a message without a valid queue ID");
		return;
	}
	memset(&m, 0, sizeof(m));
	m.arrival = arrival;
	m.size = size;
	m.sender.p = internal;
	m.sender.len = addr_internal_form(internal, sizeof(internal), sender, slen);
	m.rcpt_pending = P->rcpts;
	m.domain_base = P->doms.text;
	m.domains = P->doms.runs;
	m.ndomains = P->doms.n;
	m.domains_dropped = P->doms.dropped;
	if (P->to.visit)
		P->to.visit(P->to.ctx, (enum pfq_queue)q, id->p, id->len, &m);
	else
		agg_add(P->to.agg, (enum pfq_queue)q, &m);
	P->st->parsed++;
}

/* take_line - count one line of postqueue -j, or say why not */
static void
take_line(struct pq *P, const char *line, size_t len)
{
	struct jdoc *doc;
	struct jval *root, *rcpts;
	struct qf_str id;
	const char *qname, *sender, *addr;
	long long arrival, size;
	size_t	qlen, slen, alen, i;
	char	why[256];

	if ((doc = jdoc_parse(line, len, why, sizeof(why))) == NULL) {
		P->st->unparseable++;
		msg_info("postqueue -j: a line that is not JSON: %s", why);
		return;
	}
	root = jdoc_root(doc);
	rcpts = jval_get(root, "recipients");
	if ((qname = jval_string(jval_get(root, "queue_name"), &qlen)) == NULL
	    || (sender = jval_string(jval_get(root, "sender"), &slen)) == NULL
	    || jval_integer(jval_get(root, "arrival_time"), &arrival) < 0
	    || jval_integer(jval_get(root, "message_size"), &size) < 0
	    || arrival < 0 || size < 0 || jval_type(rcpts) != JT_ARRAY) {
		P->st->unparseable++;
		msg_info("postqueue -j: a message without its queue, sender, "
		    "arrival time, size or recipients");
		jdoc_free(doc);
		return;
	}
	msg_begin(P);
	for (i = 0; i < jval_size(rcpts); i++) {
		addr = jval_string(jval_get(jval_at(rcpts, i), "address"), &alen);
		if (addr != NULL)
			msg_rcpt(P, addr, alen);
	}
	id.p = jval_string(jval_get(root, "queue_id"), &id.len);
	msg_end(P, qname, qlen, &id, sender, slen, arrival, (uint64_t)size);
	jdoc_free(doc);
}

/* read_lines - every line of fd, each bounded by PQ_LINE_MAX */
static int
read_lines(struct pq *P, int fd)
{
	struct buf line;
	char	chunk[65536];
	ssize_t	n;
	size_t	start, i;
	int	overlong = 0;

	buf_init(&line);
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) < 0) {
			if (errno == EINTR)
				continue;
			buf_free(&line);
			return -1;
		}
		if (n == 0)
			break;
		for (start = i = 0; i < (size_t)n; i++) {
			if (chunk[i] != '\n')
				continue;
			if (!overlong) {
				buf_add(&line, chunk + start, i - start);
				P->st->files++;
				take_line(P, line.data, line.len);
			}
			overlong = 0;
			buf_reset(&line);
			start = i + 1;
		}
		if (overlong)
			continue;
		if (line.len + ((size_t)n - start) > PQ_LINE_MAX) {
			/* Counted once, then skipped up to its end. */
			P->st->files++;
			P->st->unparseable++;
			overlong = 1;
			buf_reset(&line);
			continue;
		}
		buf_add(&line, chunk + start, (size_t)n - start);
	}
	if (line.len > 0 && !overlong) {
		P->st->files++;
		P->st->unparseable++;	/* cut short: postqueue ends its lines */
	}
	buf_free(&line);
	return 0;
}

/* pq_count_text - see pqsource.h */
void
pq_count_text(struct agg *agg, struct scan_stats *st, const char *text,
    size_t len)
{
	struct scan_sink to = {agg, NULL, NULL};
	struct pq P;
	const char *nl;
	size_t	n;

	pq_init(&P, &to, st);
	while (len > 0) {
		nl = memchr(text, '\n', len);
		n = nl ? (size_t)(nl - text) : len;
		st->files++;
		if (nl == NULL || n > PQ_LINE_MAX)
			st->unparseable++;	/* cut short, or too long */
		else
			take_line(&P, text, n);
		n += nl != NULL;
		text += n;
		len -= n;
	}
	pq_free(&P);
}

/*
 * The showq protocol, as Postfix 3.x speaks it on public/showq: records
 * of name NUL value NUL pairs, each ended by an empty name. The first
 * record announces the protocol; then one record per message
 * (queue_name, queue_id, time, size, forced_expire, sender, then
 * recipient and reason pairs); an empty record ends the list.
 */
#define SQ_PROTOCOL	"mail_queue_list_protocol"
#define SQ_NAME_MAX	64

struct sq {
	struct pq *P;
	int	in_value;		/* reading a value, else a name */
	char	name[SQ_NAME_MAX];
	size_t	nlen;
	char	val[QF_VALUE_MAX];	/* longer values are cut here */
	size_t	vlen;
	unsigned long records;		/* records ended so far */
	unsigned fields;		/* fields of the record being read */
	int	proto_ok, done, bad;
	char	qname[16];
	size_t	qlen;
	char	qid[QF_QUEUE_ID_MAX];
	size_t	qidlen;			/* 0: none */
	char	sender[QF_VALUE_MAX];
	size_t	slen;
	int64_t	time;
	uint64_t size;
	int	have;			/* bits: queue, sender, time, size */
};

/* sq_number - a decimal count of at most 18 digits, or -1 */
static int64_t
sq_number(const char *p, size_t len)
{
	int64_t	n = 0;
	size_t	i;

	if (len == 0 || len > 18)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		n = n * 10 + (p[i] - '0');
	}
	return n;
}

/* sq_field - one name and value of the record being read */
static void
sq_field(struct sq *S)
{
	int64_t	n;

#define IS(s)	(S->nlen == sizeof(s) - 1 && memcmp(S->name, s, S->nlen) == 0)
	S->fields++;
	if (S->records == 0) {
		if (IS("protocol") && S->vlen == strlen(SQ_PROTOCOL)
		    && memcmp(S->val, SQ_PROTOCOL, S->vlen) == 0)
			S->proto_ok = 1;
		return;
	}
	if (IS("queue_name")) {
		if (S->vlen >= sizeof(S->qname))
			S->bad = 1;
		else {
			memcpy(S->qname, S->val, S->vlen);
			S->qlen = S->vlen;
			S->have |= 1;
		}
	} else if (IS("queue_id")) {
		if (S->vlen > sizeof(S->qid))
			S->bad = 1;
		else {
			memcpy(S->qid, S->val, S->vlen);
			S->qidlen = S->vlen;
		}
	} else if (IS("sender")) {
		memcpy(S->sender, S->val, S->vlen);
		S->slen = S->vlen;
		S->have |= 2;
	} else if (IS("time")) {
		if ((n = sq_number(S->val, S->vlen)) < 0)
			S->bad = 1;
		S->time = n;
		S->have |= 4;
	} else if (IS("size")) {
		if ((n = sq_number(S->val, S->vlen)) < 0)
			S->bad = 1;
		S->size = (uint64_t)n;
		S->have |= 8;
	} else if (IS("recipient")) {
		msg_rcpt(S->P, S->val, S->vlen);
	}
	/* forced_expire, reason and what may come later: unused */
#undef IS
}

/* sq_record_end - an empty name: the record is complete */
static void
sq_record_end(struct sq *S)
{
	if (S->records++ == 0)
		;			/* the announcement: checked at the end */
	else if (S->fields == 0)
		S->done = 1;
	else {
		struct qf_str id = {S->qidlen ? S->qid : NULL, S->qidlen};

		S->P->st->files++;
		if (S->bad || S->have != 15)
			S->P->st->unparseable++;
		else
			msg_end(S->P, S->qname, S->qlen, &id, S->sender, S->slen,
			    S->time, S->size);
	}
	S->fields = 0;
	S->qidlen = 0;
	S->bad = 0;
	S->have = 0;
	msg_begin(S->P);
}

/* sq_feed - consume bytes of the stream; stops at the end of the list */
static void
sq_feed(struct sq *S, const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len && !S->done; i++) {
		if (S->in_value) {
			if (p[i] != '\0') {
				if (S->vlen < sizeof(S->val))
					S->val[S->vlen++] = p[i];
				continue;
			}
			sq_field(S);
			S->in_value = 0;
			S->nlen = S->vlen = 0;
		} else if (p[i] != '\0') {
			if (S->nlen < sizeof(S->name))
				S->name[S->nlen++] = p[i];
			else
				S->bad = 1;	/* no name of ours is that long */
		} else if (S->nlen == 0) {
			sq_record_end(S);
		} else {
			S->in_value = 1;
			S->vlen = 0;
		}
	}
}

/* sq_finish - did the stream say all it should? */
static int
sq_finish(const struct sq *S, char *err, size_t errlen)
{
	if (!S->proto_ok) {
		snprintf(err, errlen, "showq: not the mail_queue_list_protocol");
		return -1;
	}
	if (!S->done) {
		snprintf(err, errlen, "showq: the list ended before its end");
		return -1;
	}
	return 0;
}

/* sq_count_bytes - see pqsource.h */
int
sq_count_bytes(struct agg *agg, struct scan_stats *st, const char *data,
    size_t len, char *err, size_t errlen)
{
	struct scan_sink to = {agg, NULL, NULL};
	struct pq P;
	struct sq *S = xcalloc(1, sizeof(*S));
	int	rc;

	pq_init(&P, &to, st);
	S->P = &P;
	sq_feed(S, data, len);
	rc = sq_finish(S, err, errlen);
	free(S);
	pq_free(&P);
	return rc;
}

/* sq_scan - see pqsource.h */
int
sq_scan(int queue_fd, const char *queue_dir, const struct scan_sink *to,
    struct scan_stats *st, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct timeval tv = {SQ_TIMEOUT_S, 0};
	struct pq P;
	struct sq *S;
	char	chunk[65536], safe[256];
	ssize_t	n = 0;
	int	fd, rc, len;

	memset(st, 0, sizeof(st[0]));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/*
	 * A path longer than sun_path goes through the open directory
	 * instead (which /proc hides from a process that dropped root, so
	 * it is only the second choice).
	 */
	len = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/public/showq",
	    queue_dir);
	if ((len < 0 || (size_t)len >= sizeof(sun.sun_path)) && queue_fd >= 0)
		len = snprintf(sun.sun_path, sizeof(sun.sun_path),
		    "/proc/self/fd/%d/public/showq", queue_fd);
	if (len < 0 || (size_t)len >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "showq: socket path too long");
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0
	    || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0
	    || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, errlen, "cannot connect to %s/public/showq: %s",
		    printable_for_log(safe, sizeof(safe), queue_dir,
		    strlen(queue_dir)), strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	pq_init(&P, to, st);
	S = xcalloc(1, sizeof(*S));
	S->P = &P;
	while (!S->done) {
		if ((n = read(fd, chunk, sizeof(chunk))) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		sq_feed(S, chunk, (size_t)n);
	}
	if (n < 0)
		snprintf(err, errlen, "showq: %s", strerror(errno));
	rc = n < 0 ? -1 : sq_finish(S, err, errlen);
	close(fd);
	free(S);
	pq_free(&P);
	return rc;
}

/* first_line - the first line of what fd says, printable, bounded */
static void
first_line(int fd, char *dst, size_t cap)
{
	char	raw[STDERR_MAX];
	ssize_t	n;
	size_t	len = 0;

	while (len < sizeof(raw) - 1
	    && (n = read(fd, raw + len, sizeof(raw) - 1 - len)) > 0)
		len += (size_t)n;
	raw[len] = '\0';
	len = strcspn(raw, "\n");
	printable_for_log(dst, cap, raw, len);
}

/* pq_scan - see pqsource.h */
int
pq_scan(const char *config_dir, const struct scan_sink *to,
    struct scan_stats *st, char *err, size_t errlen)
{
	struct pq P;
	char	why[STDERR_MAX];
	pid_t	pid;
	int	out = -1, errfd = -1, status, rc, read_rc, read_errno;

	memset(st, 0, sizeof(*st));
	if ((rc = child_postfix(CHILD_POSTQUEUE, config_dir, &pid, &out,
	    &errfd)) != 0) {
		snprintf(err, errlen, "cannot run postqueue -j: %s", strerror(rc));
		return -1;
	}
	pq_init(&P, to, st);
	read_rc = read_lines(&P, out);
	read_errno = errno;
	pq_free(&P);
	close(out);
	first_line(errfd, why, sizeof(why));
	close(errfd);
	if (child_wait(pid, &status) < 0)
		status = -1;
	if (read_rc < 0) {
		snprintf(err, errlen, "cannot read postqueue -j: %s",
		    strerror(read_errno));
		return -1;
	}
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "postqueue -j failed (%s %d)%s%s",
		    status != -1 && WIFEXITED(status) ? "exit status" : "signal",
		    status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status)
		    : WTERMSIG(status), *why ? ": " : "", why);
		return -1;
	}
	return 0;
}
