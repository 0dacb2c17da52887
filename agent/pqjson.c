/*
 * pqjson.c - count the queue as postqueue -j lists it (pqjson.h).
 *
 * Trusts postqueue to be Postfix's, found at /usr/sbin/postqueue or on
 * PATH; trusts nothing it says: every line is bounded, JSON is parsed by
 * json.c, and each message is checked member by member before it is
 * counted (listing.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "json.h"
#include "listing.h"
#include "msg.h"
#include "pqjson.h"

#define STDERR_MAX	1024

/* take_line - count one line of postqueue -j, or say why not */
static void
take_line(struct listing *P, const char *line, size_t len)
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
	listing_begin(P);
	for (i = 0; i < jval_size(rcpts); i++) {
		addr = jval_string(jval_get(jval_at(rcpts, i), "address"), &alen);
		if (addr != NULL)
			listing_rcpt(P, addr, alen);
	}
	id.p = jval_string(jval_get(root, "queue_id"), &id.len);
	listing_end(P, qname, qlen, &id, sender, slen, arrival, (uint64_t)size);
	jdoc_free(doc);
}

/* read_lines - every line of fd, each bounded by PQ_LINE_MAX */
static int
read_lines(struct listing *P, int fd)
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

/* pq_count_text - see pqjson.h */
void
pq_count_text(struct agg *agg, struct scan_stats *st, const char *text,
    size_t len)
{
	struct scan_sink to = {agg, NULL, NULL};
	struct listing P;
	const char *nl;
	size_t	n;

	listing_init(&P, &to, st);
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
	listing_free(&P);
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

/* pq_scan - see pqjson.h */
int
pq_scan(const char *config_dir, const struct scan_sink *to,
    struct scan_stats *st, char *err, size_t errlen)
{
	struct listing P;
	char	why[STDERR_MAX];
	pid_t	pid;
	int	out = -1, errfd = -1, status, rc, read_rc, read_errno;

	memset(st, 0, sizeof(*st));
	if ((rc = child_postfix(CHILD_POSTQUEUE, config_dir, &pid, &out,
	    &errfd)) != 0) {
		snprintf(err, errlen, "cannot run postqueue -j: %s", strerror(rc));
		return -1;
	}
	listing_init(&P, to, st);
	read_rc = read_lines(&P, out);
	read_errno = errno;
	listing_free(&P);
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
