/*
 * pqsource.c - count the queue from postqueue -j (pqsource.h).
 *
 * Trusts postqueue to be Postfix's, found at /usr/sbin/postqueue or on
 * PATH; trusts nothing in what it prints: every line is bounded, parsed
 * by json.c and checked member by member before it is counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "json.h"
#include "msg.h"
#include "pqsource.h"
#include "qfile.h"
#include "schema.h"
#include "xalloc.h"

#define POSTQUEUE_PATH	"/usr/sbin/postqueue"
#define STDERR_MAX	1024
#define MAILER_DAEMON	"MAILER-DAEMON"	/* showq's name for the null sender */

/* Reused from message to message: no allocation per message once warm. */
struct pq {
	struct agg *agg;
	struct scan_stats *st;
	struct qf_domain *doms;
	size_t	ndoms, cap;
	struct buf domtext;
};

/* spawn - postqueue [-c dir] -j, its stdout and stderr on pipes */
static int
spawn(const char *config_dir, pid_t *pid, int *rout, int *rerr)
{
	static const char *const args[] = {"-j", NULL};

	return child_postfix(POSTQUEUE_PATH, config_dir, args, pid, rout, rerr);
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

/*
 * internal_form - the sender as the queue file stores it. showq prints
 * the RFC 5321 form: a local part that needs it is quoted ("a b"@x for
 * the stored a b@x), and the null sender is MAILER-DAEMON. Like
 * Postfix's unquote_822_local(), drop the quotes and the backslashes of
 * quoted pairs in the local part; the domain is left alone.
 */
static size_t
internal_form(char *dst, size_t cap, const char *src, size_t len)
{
	size_t	at = len, i, n = 0;

	if (len == strlen(MAILER_DAEMON) && memcmp(src, MAILER_DAEMON, len) == 0)
		return 0;
	while (at > 0 && src[at - 1] != '@')
		at--;
	at = at > 0 ? at - 1 : len;	/* the last '@', or none */
	for (i = 0; i < len && n < cap; i++) {
		if (i < at && src[i] == '"')
			continue;
		if (i < at && src[i] == '\\' && i + 1 < at)
			i++;
		dst[n++] = src[i];
	}
	return n;
}

/* add_domain - as qfile.c does: from the last '@' on, runs merged */
static void
add_domain(struct pq *P, const char *addr, size_t len, uint64_t *dropped)
{
	size_t	i = len, dlen;
	const char *d;
	struct qf_domain *last;

	while (i > 0 && addr[i - 1] != '@')
		i--;
	if (i > 0)
		i--;
	d = addr + i;
	dlen = len - i;
	if (P->ndoms > 0) {
		last = &P->doms[P->ndoms - 1];
		if (last->len == dlen
		    && memcmp(P->domtext.data + last->off, d, dlen) == 0) {
			last->count++;
			return;
		}
	}
	if (P->ndoms >= QF_DOMAINS_MAX || dlen > QF_VALUE_MAX) {
		(*dropped)++;
		return;
	}
	if (P->ndoms == P->cap) {
		P->cap = P->cap ? P->cap * 2 : 64;
		P->doms = xreallocarray(P->doms, P->cap, sizeof(*P->doms));
	}
	P->doms[P->ndoms].off = P->domtext.len;
	P->doms[P->ndoms].len = dlen;
	P->doms[P->ndoms].count = 1;
	P->ndoms++;
	buf_add(&P->domtext, d, dlen);
}

/* take_line - count one line of postqueue -j, or say why not */
static void
take_line(struct pq *P, const char *line, size_t len)
{
	struct jdoc *doc;
	struct jval *root, *rcpts;
	struct qf_msg m;
	const char *qname, *sender, *addr;
	long long arrival, size;
	size_t	qlen, slen, alen, i;
	char	why[256], internal[QF_VALUE_MAX];
	int	q;

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
	if ((q = queue_of(qname, qlen)) < 0) {
		P->st->ignored++;
		jdoc_free(doc);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.arrival = arrival;
	m.size = (uint64_t)size;
	m.sender.p = internal;
	m.sender.len = internal_form(internal, sizeof(internal), sender, slen);
	P->ndoms = 0;
	buf_reset(&P->domtext);
	for (i = 0; i < jval_size(rcpts); i++) {
		addr = jval_string(jval_get(jval_at(rcpts, i), "address"), &alen);
		if (addr == NULL)
			continue;
		m.rcpt_pending++;
		add_domain(P, addr, alen > QF_VALUE_MAX ? QF_VALUE_MAX : alen,
		    &m.domains_dropped);
	}
	m.domain_base = P->domtext.data;
	m.domains = P->doms;
	m.ndomains = P->ndoms;
	agg_add(P->agg, (enum pfq_queue)q, &m);
	P->st->parsed++;
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
	struct pq P;
	const char *nl;
	size_t	n;

	memset(&P, 0, sizeof(P));
	P.agg = agg;
	P.st = st;
	buf_init(&P.domtext);
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
	free(P.doms);
	buf_free(&P.domtext);
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
pq_scan(const char *config_dir, struct agg *agg, struct scan_stats *st,
    char *err, size_t errlen)
{
	struct pq P;
	char	why[STDERR_MAX];
	pid_t	pid;
	int	out = -1, errfd = -1, status, rc, read_rc;

	memset(st, 0, sizeof(*st));
	memset(&P, 0, sizeof(P));
	P.agg = agg;
	P.st = st;
	buf_init(&P.domtext);
	if ((rc = spawn(config_dir, &pid, &out, &errfd)) != 0) {
		snprintf(err, errlen, "cannot run postqueue -j: %s", strerror(rc));
		buf_free(&P.domtext);
		return -1;
	}
	read_rc = read_lines(&P, out);
	close(out);
	first_line(errfd, why, sizeof(why));
	close(errfd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	free(P.doms);
	buf_free(&P.domtext);
	if (read_rc < 0) {
		snprintf(err, errlen, "cannot read postqueue -j: %s", strerror(errno));
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
