/*
 * showq.c - count the queue as showq lists it on public/showq (showq.h).
 *
 * Trusts the socket to be the spool's; trusts nothing it says: names and
 * values are cut at their bounds, numbers checked, every record checked
 * before it is counted (listing.c), and a silent server is given up on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "listing.h"
#include "msg.h"
#include "showq.h"
#include "xalloc.h"

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
	struct listing *P;
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
		listing_rcpt(S->P, S->val, S->vlen);
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
			listing_end(S->P, S->qname, S->qlen, &id, S->sender, S->slen,
			    S->time, S->size);
	}
	S->fields = 0;
	S->qidlen = 0;
	S->bad = 0;
	S->have = 0;
	listing_begin(S->P);
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

/* sq_count_bytes - see showq.h */
int
sq_count_bytes(struct agg *agg, struct scan_stats *st, const char *data,
    size_t len, char *err, size_t errlen)
{
	struct scan_sink to = {agg, NULL, NULL};
	struct listing P;
	struct sq *S = xcalloc(1, sizeof(*S));
	int	rc;

	listing_init(&P, &to, st);
	S->P = &P;
	sq_feed(S, data, len);
	rc = sq_finish(S, err, errlen);
	free(S);
	listing_free(&P);
	return rc;
}

/* sq_scan - see showq.h */
int
sq_scan(int queue_fd, const char *queue_dir, const struct scan_sink *to,
    struct scan_stats *st, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct timeval tv = {SQ_TIMEOUT_S, 0};
	struct listing P;
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
	listing_init(&P, to, st);
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
	listing_free(&P);
	return rc;
}
