/*
 * gen - write a synthetic Postfix queue of N messages, in Postfix's own
 * on-disk format, for benchmarks and for the tests that have Postfix
 * check it.
 *
 * usage: gen [--long-ids] [--senders K] [--seed S] [--now EPOCH] N DIR
 *
 * Every file is what cleanup(8) writes (postdrop's format in maildrop/):
 * a size record with the right offsets, the arrival time, create_time,
 * rewrite_context, SASL and client attributes where the submission had
 * them, the sender, recipients with their DSN original-recipient
 * records (some already done), a content of headers and a body of a few
 * kilobytes, the extracted segment and the end record. Queue IDs are
 * made as mail_queue_enter() makes them, from the file's real inode
 * (short: 5 hex digits of microseconds, then the inode in hex; long:
 * base-52 time and microseconds, 'z', the inode in base 51), by writing
 * under a temporary name and renaming, so postsuper finds nothing to
 * fix; each file sits in the hash directory Postfix computes for it
 * (hash_queue_depth 1 for deferred, as by default). Modes are those of
 * complete files.
 *
 * The mix is a spam run: a few abusers (one compromised SASL account
 * over several client addresses, a relay host, a forging script) send
 * most of the mail, K senders in all follow a skewed distribution, and
 * most of it is deferred. With --manifest FILE, one line per message:
 * "queue id sender" (for the tests).
 *
 * Deterministic for a given seed. Writes only below DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "qfwrite.h"

#define DOMAINS		400

static uint64_t rng_state = 88172645463325252ULL;

/* rnd - xorshift64: fast, deterministic, good enough for a workload */
static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* below - uniform in [0, n) */
static uint64_t
below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* skewed - in [0, n), small values much more likely (u^3) */
static uint64_t
skewed(uint64_t n)
{
	double	u = (double)(rnd() >> 11) / (double)(1ULL << 53);

	return (uint64_t)(u * u * u * (double)n) % (n ? n : 1);
}

static const char alphabet[] =
    "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";

/* base_n - Postfix's safe_ultostr: big-endian digits, padded with '0' */
static void
base_n(struct buf *b, uint64_t v, unsigned base, size_t min_width)
{
	char	tmp[32];
	size_t	n = 0;

	do {
		tmp[n++] = alphabet[v % base];
		v /= base;
	} while (v);
	while (n < min_width)
		tmp[n++] = '0';
	while (n)
		buf_addc(b, tmp[--n]);
}

/* queue_id - the ID Postfix gives a file with this time and inode */
static void
queue_id(struct buf *id, int long_ids, uint64_t sec, uint64_t usec,
    uint64_t inode)
{
	char	hex[24];

	buf_reset(id);
	if (long_ids) {
		base_n(id, sec, 52, 6);
		base_n(id, usec, 52, 4);
		buf_addc(id, 'z');
		base_n(id, inode, 51, 1);
	} else {
		snprintf(hex, sizeof(hex), "%05llX%llX", (unsigned long long)usec,
		    (unsigned long long)inode);
		buf_adds(id, hex);
	}
}

struct who {
	char	sender[96];
	char	sasl[48];		/* empty: no SASL login */
	char	client[40];		/* empty: local submission */
};

/* pick - who sends message i: abusers first, then a skewed crowd */
static void
pick(struct who *w, uint64_t senders)
{
	uint64_t r = below(100), k;

	w->sasl[0] = w->client[0] = '\0';
	if (r < 25) {			/* the compromised account */
		snprintf(w->sender, sizeof(w->sender), "victim@customer.example");
		snprintf(w->sasl, sizeof(w->sasl), "victim");
		snprintf(w->client, sizeof(w->client), "198.51.100.%u",
		    (unsigned)(10 + below(6)));
	} else if (r < 35) {		/* a relay host, forged senders */
		snprintf(w->sender, sizeof(w->sender), "news%u@relay%u.example",
		    (unsigned)below(50), (unsigned)below(9));
		snprintf(w->client, sizeof(w->client), "203.0.113.66");
	} else if (r < 40) {		/* a web script through sendmail */
		snprintf(w->sender, sizeof(w->sender), "www-data@web.example");
	} else {
		k = skewed(senders);
		snprintf(w->sender, sizeof(w->sender), "user%llu@d%llu.example",
		    (unsigned long long)k, (unsigned long long)(k % 997));
		if (k % 3 != 0) {
			snprintf(w->sasl, sizeof(w->sasl), "user%llu",
			    (unsigned long long)k);
			snprintf(w->client, sizeof(w->client), "192.0.2.%u",
			    (unsigned)(k % 250 + 1));
		}
	}
}

/* attr - an A record "name=value" */
static void
attr(struct buf *b, const char *name, const char *value)
{
	struct buf t;

	buf_init(&t);
	buf_adds(&t, name);
	buf_addc(&t, '=');
	buf_adds(&t, value);
	qfw_rec(b, 'A', t.data, t.len);
	buf_free(&t);
}

/* content - headers and a body of 1 to 6 KiB in 76-byte lines */
static void
content(struct buf *b, const struct who *w, const char *id)
{
	char	line[128];
	size_t	body = 1024 + below(5 * 1024), i;

	snprintf(line, sizeof(line), "Received: from client.example by mx.example "
	    "(Postfix) with ESMTPSA id %s", id);
	qfw_str(b, 'N', line);
	snprintf(line, sizeof(line), "From: <%s>", w->sender);
	qfw_str(b, 'N', line);
	qfw_str(b, 'N', "Subject: Your account statement is ready");
	qfw_str(b, 'N', "MIME-Version: 1.0");
	qfw_str(b, 'N', "");
	memset(line, 'x', 76);
	line[76] = '\0';
	for (i = 0; i < body; i += 78)
		qfw_str(b, 'N', line);
}

/*
 * message - one queue file. maildrop: postdrop's format (T first, no
 * size record, no client attributes).
 */
static void
message(struct buf *b, const struct who *w, const char *id, uint64_t arrival,
    int maildrop)
{
	struct buf rest, rcpt;
	char	tmp[160];
	size_t	m_end, x_off, i, n = 1 + below(3);

	buf_init(&rest);
	buf_init(&rcpt);
	snprintf(tmp, sizeof(tmp), "%llu %u", (unsigned long long)arrival,
	    (unsigned)below(1000000));
	qfw_str(&rest, 'T', tmp);
	if (!maildrop) {
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)arrival);
		attr(&rest, "create_time", tmp);
		attr(&rest, "log_ident", id);
	}
	attr(&rest, "rewrite_context", maildrop || !w->client[0] ? "local" :
	    "remote");
	if (w->sasl[0] && !maildrop) {
		attr(&rest, "sasl_method", "PLAIN");
		attr(&rest, "sasl_username", w->sasl);
	}
	qfw_str(&rest, 'S', w->sender);
	if (w->client[0] && !maildrop) {
		attr(&rest, "log_client_name", "client.example");
		attr(&rest, "log_client_address", w->client);
		attr(&rest, "client_name", "client.example");
		attr(&rest, "client_address", w->client);
		attr(&rest, "protocol_name", "ESMTP");
	}
	for (i = 0; i < n; i++) {
		buf_reset(&rcpt);
		snprintf(tmp, sizeof(tmp), "r%u@dest%u.example",
		    (unsigned)below(100000), (unsigned)skewed(DOMAINS));
		buf_adds(&rcpt, tmp);
		if (!maildrop) {
			snprintf(tmp, sizeof(tmp), "dsn_orig_rcpt=rfc822;%s", rcpt.data);
			qfw_str(&rest, 'A', tmp);
			qfw_str(&rest, 'O', rcpt.data);
		}
		/* One in ten multi-recipient messages is partly delivered. */
		qfw_str(&rest, !maildrop && n > 1 && i == 0 && below(10) == 0 ?
		    'D' : 'R', rcpt.data);
	}
	qfw_rec(&rest, 'M', "", 0);
	m_end = rest.len;
	content(&rest, w, id);
	x_off = rest.len;
	qfw_rec(&rest, 'X', "", 0);
	qfw_rec(&rest, 'E', "", 0);
	buf_reset(b);
	if (!maildrop)
		qfw_size(b, (long)(x_off - m_end), (long)(97 + m_end), (long)n);
	buf_add(b, rest.data, rest.len);
	buf_free(&rest);
	buf_free(&rcpt);
}

/* make_dirs - dir/sub and every directory on the way, mode 0700 */
static void
make_dirs(const char *dir, const char *sub)
{
	char	path[4096];
	size_t	n = strlen(dir) + 1, i;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	for (i = n; ; i++) {
		if (path[i] == '/' || path[i] == '\0') {
			char	c = path[i];

			path[i] = '\0';
			if (mkdir(path, 0700) < 0 && errno != EEXIST) {
				perror(path);
				exit(1);
			}
			path[i] = c;
			if (c == '\0')
				break;
		}
	}
}

/*
 * create - a new empty file in dir/sub under a temporary name, as
 * mail_queue_enter() does; returns the fd and its inode
 */
static int
create(const char *dir, const char *sub, char *tmp, size_t tmplen,
    uint64_t *inode)
{
	struct stat sb;
	int	fd;

	make_dirs(dir, sub);
	snprintf(tmp, tmplen, "%s/%s/gen.%ld", dir, sub, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0
	    || fstat(fd, &sb) < 0) {
		perror(tmp);
		exit(1);
	}
	*inode = (uint64_t)sb.st_ino;
	return fd;
}

/* finish - write, set the mode of a complete file, rename to its ID */
static void
finish(int fd, const char *tmp, const char *dir, const char *sub,
    const char *id, const struct buf *b, mode_t mode)
{
	char	path[4096];

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, id);
	if (write(fd, b->data, b->len) != (ssize_t)b->len
	    || fchmod(fd, mode) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		perror(path);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	uint64_t n, senders = 0, now = 1795900000, i, usec, arrival;
	const char *dir, *manifest = NULL;
	struct buf b, id;
	struct who w;
	FILE   *mf = NULL;
	char	sub[16];
	int	long_ids = 0, a = 1;
	uint64_t r;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "--long-ids") == 0)
			long_ids = 1;
		else if (strcmp(argv[a], "--senders") == 0 && a + 1 < argc)
			senders = strtoull(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc)
			rng_state ^= strtoull(argv[++a], NULL, 10) * 0x9e3779b97f4a7c15ULL;
		else if (strcmp(argv[a], "--now") == 0 && a + 1 < argc)
			now = strtoull(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--manifest") == 0 && a + 1 < argc)
			manifest = argv[++a];
		else
			break;
	}
	if (argc - a != 2) {
		fprintf(stderr, "usage: gen [--long-ids] [--senders K] [--seed S] "
		    "[--now EPOCH] [--manifest FILE] N DIR\n");
		return 2;
	}
	n = strtoull(argv[a], NULL, 10);
	dir = argv[a + 1];
	if (senders == 0)
		senders = n / 10 + 1;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		perror(dir);
		return 1;
	}
	if (manifest && (mf = fopen(manifest, "w")) == NULL) {
		perror(manifest);
		return 1;
	}
	/* Postfix's directories, so that its tools find what they expect. */
	{
		static const char *const dirs[] = {"active", "bounce", "corrupt",
		    "defer", "deferred", "flush", "hold", "incoming", "maildrop",
		    "saved", "trace"};
		size_t	k;

		for (k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++)
			make_dirs(dir, dirs[k]);
	}
	buf_init(&b);
	buf_init(&id);
	for (i = 0; i < n; i++) {
		const char *q;
		char	tmp[4096], hex[8];
		uint64_t inode;
		int	fd, maildrop = 0;

		pick(&w, senders);
		usec = below(1000000);
		/* Ages skewed towards the recent, up to about three days. */
		arrival = now - 60 - skewed(3 * 86400);
		r = below(100);
		q = r < 84 ? "deferred" : r < 90 ? "incoming" : r < 95 ? "active" :
		    r < 99 ? "hold" : "maildrop";
		if (strcmp(q, "deferred") == 0) {
			/* Both ID styles hash by the microseconds (Postfix 2.9+). */
			snprintf(hex, sizeof(hex), "%05llX", (unsigned long long)usec);
			snprintf(sub, sizeof(sub), "deferred/%c", hex[0]);
		} else
			snprintf(sub, sizeof(sub), "%s", q);
		if (strcmp(q, "maildrop") == 0) {
			maildrop = 1;
			w.client[0] = w.sasl[0] = '\0';
		}
		fd = create(dir, sub, tmp, sizeof(tmp), &inode);
		queue_id(&id, long_ids, arrival, usec, inode);
		message(&b, &w, id.data, arrival, maildrop);
		finish(fd, tmp, dir, sub, id.data, &b, maildrop ? 0744 : 0700);
		if (mf)
			fprintf(mf, "%s %s %s\n", q, id.data, w.sender);
	}
	if (mf && fclose(mf) != 0) {
		perror(manifest);
		return 1;
	}
	buf_free(&b);
	buf_free(&id);
	return 0;
}
