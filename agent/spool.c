/*
 * spool.c - one scan of a queue directory (see spool.h): its queues are
 * walked by qdir.c, their files read here by every thread of pool.c.
 *
 * Trusts nothing below the queue directory: names, file types, modes and
 * contents are all checked before use, and a file that disappears while
 * it is being looked at is an everyday event, not an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "msg.h"
#include "pool.h"
#include "qdir.h"
#include "qfile.h"
#include "spool.h"
#include "xalloc.h"

#define REL_PATH_MAX	256		/* queue directory path, for messages */
#define COMMIT_MAX	32		/* parsed files counted per lock taken */
#define RACY_NS		1000000000LL	/* change-time granularity margin */

/* Set of (device, inode) keys of the files counted in this scan. */
struct inoset {
	uint64_t *slot;			/* 0 is empty */
	size_t	mask;
	size_t	n;
};

/* What fstatat(2) said about a file, for the cache lookup. */
struct probe {
	uint64_t key;
	int64_t	ctime_ns;
	uint64_t size;
	int	usable;			/* a complete regular file */
};

_Static_assert(QDIR_BATCH_MAX <= 65536, "a batch's files are uint16_t indices");

/*
 * One directory's files, from the walker, and the ones still to be
 * scanned (todo: indices into the walker's batch).
 */
struct batch {
	const struct qdir_batch *files;
	uint16_t todo[QDIR_BATCH_MAX];
	size_t	ntodo;
	struct probe probe[QDIR_BATCH_MAX];
};

/* A file parsed (or found unparseable) but not yet counted. */
struct pending {
	uint64_t key;
	int64_t	ctime_ns;
	uint64_t size;			/* file size */
	int	parsed;			/* else unparseable */
};

struct walker;

/*
 * One scanning thread: its parser, its counters, and the files it read
 * but has not yet counted (with their keys cleaned and hashed).
 */
struct worker {
	struct walker *W;
	struct qf_parser *parser;
	struct agg_prep prep[COMMIT_MAX];
	struct pending pending[COMMIT_MAX];
	size_t	npending;
	struct scan_stats st;
};

struct walker {
	struct agg *agg;		/* shared; under lock; or NULL with: */
	scan_visit_fn visit;		/* under lock */
	void   *visit_ctx;
	struct cache *cache;		/* shared; under lock; or NULL */
	struct inoset seen;		/* shared; under lock */
	pthread_mutex_t lock;
	dev_t	dev;			/* device of the queue directory */
	int64_t	racy_ns;		/* files changed since are read again */
	struct pool *pool;
	struct worker *workers;		/* one per thread; [0] is the caller */
	size_t	nworkers;
	struct batch batch;		/* the batch in hand */
	enum pfq_queue q;
};

/* inoset_slot - where key is, or the empty slot where it would go */
static size_t
inoset_slot(const struct inoset *s, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;
	size_t	i;

	for (i = (size_t)(h >> 32 ^ h) & s->mask; s->slot[i] && s->slot[i] != key;
	    i = (i + 1) & s->mask)
		;
	return i;
}

/* inoset_add - remember key; returns 0 if it was already there */
static int
inoset_add(struct inoset *s, uint64_t key)
{
	size_t	i, nslots;
	uint64_t *old;

	if (s->slot == NULL || (s->n + 1) * 4 > (s->mask + 1) * 3) {
		old = s->slot;
		nslots = old ? (s->mask + 1) * 2 : 1024;
		s->slot = xcalloc(nslots, sizeof(*s->slot));
		s->mask = nslots - 1;
		for (i = 0; old && i < nslots / 2; i++)
			if (old[i])
				s->slot[inoset_slot(s, old[i])] = old[i];
		free(old);
	}
	i = inoset_slot(s, key);
	if (s->slot[i])
		return 0;
	s->slot[i] = key;
	s->n++;
	return 1;
}

/*
 * file_key - identity of a file for duplicate detection. The spool lives
 * on one file system, so the inode alone is exact; a file on another
 * device (a hash directory that is a mount point) gets a mixed key.
 */
static uint64_t
file_key(const struct walker *W, const struct stat *sb)
{
	uint64_t key = (uint64_t)sb->st_ino;

	if (sb->st_dev != W->dev)
		key ^= ((uint64_t)sb->st_dev + 1) * 0xc2b2ae3d27d4eb4fULL;
	return key ? key : 1;
}

/* fd_pread - the queue-file parser's read function */
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

/* note - verbose per-file diagnostic with a log-safe name */
static void
note(const char *rel, const char *name, const char *what)
{
	char	safe[QF_QUEUE_ID_MAX + 1];

	if (msg_verbose)
		msg_info("%s/%s: %s", rel,
		    printable_for_log(safe, sizeof(safe), name, strlen(name)),
		    what);
}

/* ctime_ns - a file's change time in nanoseconds */
static int64_t
ctime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_ctim.tv_sec * 1000000000 + sb->st_ctim.tv_nsec;
}

/* complete - a regular file that cleanup or postdrop finished writing */
static int
complete(const struct stat *sb, enum pfq_queue q)
{
	return S_ISREG(sb->st_mode)
	    && (q == Q_CORRUPT || (sb->st_mode & S_IRWXU) == S_IRWXU);
}

/* remember - what a file just read said, for the next scan (under lock) */
static struct cache_entry *
remember(struct walker *W, enum pfq_queue q, const struct pending *p)
{
	struct cache_entry *e = cache_put(W->cache, p->key);

	e->ctime_ns = p->ctime_ns;
	e->size = p->size;
	e->queue = (uint8_t)q;
	e->verdict = p->parsed ? CACHE_PARSED : CACHE_UNPARSEABLE;
	/* A change within the time stamp's granularity could be missed. */
	e->racy = p->ctime_ns >= W->racy_ns;
	e->ref.size = p->size;
	return e;
}

/*
 * commit - count the worker's pending files into the shared aggregate,
 * each unless the same file was counted already in this scan (a rename
 * caught in two queues), and remember them in the cache. The lock is
 * taken once for up to COMMIT_MAX files, and keys were cleaned and
 * hashed before, so the critical section is short and rarely contended.
 */
static void
commit(struct worker *w, enum pfq_queue q)
{
	struct walker *W = w->W;
	const struct pending *p;
	struct cache_entry *e;
	size_t	i;

	if (w->npending == 0)
		return;
	pthread_mutex_lock(&W->lock);
	for (i = 0; i < w->npending; i++) {
		p = &w->pending[i];
		if (!p->parsed) {
			/* The corrupt queue holds exactly such files: count them. */
			if (q == Q_CORRUPT && inoset_add(&W->seen, p->key))
				agg_add_unparsed(W->agg, q, p->size);
			if (W->cache)
				(void)remember(W, q, p);
		} else if (!inoset_add(&W->seen, p->key)) {
			w->st.duplicates++;
		} else if (W->cache) {
			e = remember(W, q, p);
			agg_commit(W->agg, q, &w->prep[i], &e->ref,
			    cache_pool(W->cache));
			w->st.parsed++;
		} else {
			agg_commit(W->agg, q, &w->prep[i], NULL, NULL);
			w->st.parsed++;
		}
	}
	pthread_mutex_unlock(&W->lock);
	w->npending = 0;
}

/*
 * visit_parsed - hand a parsed message to the sink's visitor, once per
 * scan. Taking the lock per message costs little next to opening the
 * file, and spares every visitor its own locking.
 */
static void
visit_parsed(struct worker *w, enum pfq_queue q, uint64_t key,
    const struct qf_msg *m, const char *name)
{
	struct walker *W = w->W;

	pthread_mutex_lock(&W->lock);
	if (!inoset_add(&W->seen, key)) {
		w->st.duplicates++;
	} else {
		w->st.parsed++;
		W->visit(W->visit_ctx, q, name, strlen(name), m);
	}
	pthread_mutex_unlock(&W->lock);
}

/* count_parsed - hand the result of one file to the counters */
static void
count_parsed(struct worker *w, int rc, enum pfq_queue q,
    const struct stat *sb, const struct qf_msg *m, const char *rel,
    const char *name)
{
	struct pending *p = &w->pending[w->npending];
	char	why[160];

	p->key = file_key(w->W, sb);
	p->ctime_ns = ctime_ns(sb);
	p->size = (uint64_t)sb->st_size;
	switch (rc) {
	case QF_OK:
		if (w->W->visit) {
			visit_parsed(w, q, p->key, m, name);
			return;
		}
		agg_prepare(w->W->agg, &w->prep[w->npending], m);
		p->parsed = 1;
		break;
	case QF_CORRUPT:
		w->st.unparseable++;
		snprintf(why, sizeof(why), "not a valid queue file: %s at offset %llu",
		    qf_error(w->parser),
		    (unsigned long long)qf_error_offset(w->parser));
		note(rel, name, why);
		if (w->W->visit || (q != Q_CORRUPT && w->W->cache == NULL))
			return;		/* nothing to count or remember */
		p->parsed = 0;
		break;
	default:
		w->st.errors++;
		snprintf(why, sizeof(why), "read error: %s",
		    strerror(qf_errno(w->parser)));
		note(rel, name, why);
		return;
	}
	if (++w->npending == COMMIT_MAX)
		commit(w, q);
}

/* scan_file - open, check and parse one queue file (any thread) */
static void
scan_file(struct worker *w, int dfd, const char *name, enum pfq_queue q,
    const char *rel)
{
	struct stat sb;
	struct qf_input in;
	struct qf_msg m;
	int	fd, rc;

	fd = openat(dfd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			w->st.vanished++;
		else if (errno == ELOOP || errno == ENXIO)
			w->st.ignored++;	/* symbolic link, socket */
		else {
			w->st.errors++;
			note(rel, name, strerror(errno));
		}
		return;
	}
	if (fstat(fd, &sb) < 0) {
		w->st.errors++;
		note(rel, name, strerror(errno));
	} else if (!S_ISREG(sb.st_mode)) {
		w->st.ignored++;
	} else if (!complete(&sb, q)) {
		w->st.skipped++;	/* cleanup or postdrop still writing */
	} else {
		in.read = fd_pread;
		in.ctx = &fd;
		in.size = (uint64_t)sb.st_size;
		in.mtime = (int64_t)sb.st_mtime;
		in.kind = q == Q_MAILDROP ? QF_KIND_MAILDROP : QF_KIND_QUEUE;
		rc = qf_parse(w->parser, &in, &m);
		count_parsed(w, rc, q, &sb, &m, rel, name);
	}
	close(fd);
}

/* probe_file - stat one file for the cache lookup (any thread) */
static void
probe_file(struct walker *W, int dfd, const char *name, enum pfq_queue q,
    struct probe *pr)
{
	struct stat sb;

	pr->usable = fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0
	    && complete(&sb, q);
	if (pr->usable) {
		pr->key = file_key(W, &sb);
		pr->ctime_ns = ctime_ns(&sb);
		pr->size = (uint64_t)sb.st_size;
	}
}

/* probe_job - stat file j of the batch for the cache lookup (a pool job) */
static void
probe_job(void *ctx, size_t thread, size_t j)
{
	struct walker *W = ctx;
	struct batch *B = &W->batch;

	(void)thread;
	probe_file(W, B->files->dfd, qdir_name(B->files, j), W->q,
	    &B->probe[j]);
}

/* scan_job - scan the batch's j-th file to scan (a pool job) */
static void
scan_job(void *ctx, size_t thread, size_t j)
{
	struct walker *W = ctx;
	struct batch *B = &W->batch;

	scan_file(&W->workers[thread], B->files->dfd,
	    qdir_name(B->files, B->todo[j]), W->q, B->files->rel);
}

/* scan_done - a thread's share of the batch is scanned: count it */
static void
scan_done(void *ctx, size_t thread)
{
	struct walker *W = ctx;

	commit(&W->workers[thread], W->q);
}

/*
 * reuse - count a probed file from the cache if it is unchanged since it
 * was read; returns 0 if it must be read. Main thread, helpers idle.
 */
static int
reuse(struct walker *W, const struct probe *pr, enum pfq_queue q)
{
	struct scan_stats *st = &W->workers[0].st;
	struct cache_entry *e;

	if (!pr->usable || (e = cache_find(W->cache, pr->key)) == NULL
	    || e->racy || e->queue != q || e->ctime_ns != pr->ctime_ns
	    || e->size != pr->size)
		return 0;
	if (e->verdict == CACHE_UNPARSEABLE) {
		st->unparseable++;
		if (q == Q_CORRUPT && inoset_add(&W->seen, pr->key))
			agg_add_unparsed(W->agg, q, e->ref.size);
	} else if (!inoset_add(&W->seen, pr->key)) {
		st->duplicates++;
		return 1;
	} else {
		agg_recount(W->agg, q, &e->ref, cache_drefs(W->cache));
		st->parsed++;
	}
	cache_hit(W->cache, e);
	st->cached++;
	return 1;
}

/*
 * scan_batch - scan the files of one directory's batch with every
 * thread. With a filled cache, first stat them all and count the
 * unchanged ones from the cache; only the rest is opened and parsed.
 */
static void
scan_batch(void *ctx, const struct qdir_batch *files)
{
	struct walker *W = ctx;
	struct batch *B = &W->batch;
	enum pfq_queue q = W->q;
	size_t	i, n;

	B->files = files;
	for (i = 0; i < files->n; i++)
		B->todo[i] = (uint16_t)i;
	B->ntodo = files->n;
	if (W->cache && cache_size(W->cache) > 0) {
		pool_run(W->pool, files->n, probe_job, NULL, W);
		for (i = n = 0; i < files->n; i++)
			if (!reuse(W, &B->probe[i], q))
				B->todo[n++] = (uint16_t)i;
		B->ntodo = n;
	}
	if (B->ntodo > 0)
		pool_run(W->pool, B->ntodo, scan_job, scan_done, W);
}

/* prep_init, prep_free - a worker's pending files */
static void
prep_init(struct worker *w)
{
	size_t	i;

	for (i = 0; i < COMMIT_MAX; i++)
		agg_prep_init(&w->prep[i]);
}

static void
prep_free(struct worker *w)
{
	size_t	i;

	for (i = 0; i < COMMIT_MAX; i++)
		agg_prep_free(&w->prep[i]);
}

/* start_workers - a worker for each of nthreads, then the threads */
static void
start_workers(struct walker *W, unsigned nthreads)
{
	size_t	i;

	/* Parsers first: the first one is made before any other thread runs. */
	W->workers = xcalloc(nthreads, sizeof(*W->workers));
	W->nworkers = nthreads;
	for (i = 0; i < nthreads; i++) {
		W->workers[i].W = W;
		W->workers[i].parser = qf_parser_create();
		prep_init(&W->workers[i]);
	}
	W->pool = pool_create(nthreads);
}

/* stop_workers - end the threads and add up every worker's counters */
static void
stop_workers(struct walker *W, struct scan_stats *st)
{
	size_t	i;

	pool_free(W->pool);
	for (i = 0; i < W->nworkers; i++) {
		const struct scan_stats *s = &W->workers[i].st;

		st->files += s->files;
		st->parsed += s->parsed;
		st->skipped += s->skipped;
		st->vanished += s->vanished;
		st->unparseable += s->unparseable;
		st->ignored += s->ignored;
		st->duplicates += s->duplicates;
		st->errors += s->errors;
		st->cached += s->cached;
		qf_parser_free(W->workers[i].parser);
		prep_free(&W->workers[i]);
	}
	free(W->workers);
}

/*
 * is_queue_dir - does the directory hold at least one of Postfix's
 * queues? A typo (/var/spool), /etc or an empty mount point would
 * otherwise read as an empty queue, the one answer that must never be
 * false. Postfix creates these at start and keeps them. An unreadable
 * directory is left for the scan to report.
 */
static int
is_queue_dir(int queue_fd, const char *dir)
{
	static const char *const queues[] = {
		"deferred", "active", "incoming", "maildrop", "hold",
	};
	struct stat sb;
	size_t	i;
	int	fd, found = 0, unsure = 0;

	fd = queue_fd >= 0 ? queue_fd : open(dir, O_RDONLY | O_DIRECTORY
	    | O_CLOEXEC);
	if (fd < 0)
		return 1;
	for (i = 0; i < sizeof(queues) / sizeof(queues[0]) && !found; i++) {
		if (fstatat(fd, queues[i], &sb, AT_SYMLINK_NOFOLLOW) == 0)
			found = S_ISDIR(sb.st_mode);
		else if (errno != ENOENT)
			unsure = 1;
	}
	if (fd != queue_fd)
		close(fd);
	return found || unsure;
}

/* spool_scan - one pass over every queue of a queue directory */
int
spool_scan(const char *dir, const struct spool_opts *opts,
    const struct scan_sink *to, struct scan_stats *st, char *err, size_t errlen)
{
	static const char *const names[] = SCHEMA_QUEUE_NAMES;
	/* showq's order; any order can see a moving file twice or not at all */
	static const enum pfq_queue order[] = {
		Q_MAILDROP, Q_ACTIVE, Q_INCOMING, Q_DEFERRED, Q_HOLD, Q_CORRUPT,
	};
	char	safe[REL_PATH_MAX];
	struct walker W;
	struct qdir *walker;
	struct timespec now;
	struct stat sb;
	size_t	i;
	int	root, fd, rc = 0;

	if (!is_queue_dir(opts->queue_fd, dir)) {
		printable_for_log(safe, sizeof(safe), dir, strlen(dir));
		snprintf(err, errlen, "%s is not a Postfix queue directory: none "
		    "of maildrop, incoming, active, deferred or hold is in it "
		    "(check --queue-dir or queue_directory)", safe);
		return -1;
	}

	memset(st, 0, sizeof(*st));
	memset(&W, 0, sizeof(W));
	printable_for_log(safe, sizeof(safe), dir, strlen(dir));
	root = opts->queue_fd >= 0 ? fcntl(opts->queue_fd, F_DUPFD_CLOEXEC, 0)
	    : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		snprintf(err, errlen, "cannot open queue directory %s: %s",
		    safe, strerror(errno));
		return -1;
	}
	if (fstat(root, &sb) < 0) {
		snprintf(err, errlen, "cannot stat queue directory %s: %s",
		    safe, strerror(errno));
		close(root);
		return -1;
	}
	W.agg = to->agg;
	W.visit = to->visit;
	W.visit_ctx = to->ctx;
	W.cache = to->visit ? NULL : opts->cache;
	W.dev = sb.st_dev;
	clock_gettime(CLOCK_REALTIME, &now);
	W.racy_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - RACY_NS;
	if (W.cache)
		cache_begin(W.cache);
	pthread_mutex_init(&W.lock, NULL);
	start_workers(&W, opts->threads ? opts->threads : 1);
	walker = qdir_create(scan_batch, &W);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *name = names[order[i]];

		if (opts->queues && !(opts->queues & (1u << order[i])))
			continue;
		fd = openat(root, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;	/* Postfix creates some queues on demand */
		if (fd < 0) {
			snprintf(err, errlen, "cannot open queue %s/%s: %s%s",
			    safe, name, strerror(errno), errno == EACCES ?
			    " (run pfqmon as root or as the mail_owner user, "
			    "e.g. sudo -u postfix; never change queue "
			    "permissions)" : "");
			rc = -1;
			break;
		}
		W.q = order[i];
		/* maildrop is flat, as pickup reads it */
		qdir_walk(walker, fd, name, order[i] == Q_MAILDROP ? 0 :
		    QDIR_DEPTH_MAX, &W.workers[0].st);
	}
	qdir_free(walker);
	stop_workers(&W, st);
	/* After a failed scan the cache keeps what the next one may reuse. */
	if (W.cache && rc == 0)
		cache_sweep(W.cache);
	pthread_mutex_destroy(&W.lock);
	free(W.seen.slot);
	close(root);
	return rc;
}
