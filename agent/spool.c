/*
 * spool.c - one scan of a queue directory (see spool.h): walk its queues
 * (qdir.c), read their files on every thread (pool.c) unless the rescan
 * cache can tell them (rescan.c), and count each file once (tally.c).
 *
 * Trusts nothing below the queue directory: file types, modes and
 * contents are all checked before use, and a file that disappears while
 * it is being looked at is an everyday event, not an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arrivals.h"
#include "cache.h"
#include "msg.h"
#include "pool.h"
#include "qdir.h"
#include "qfile.h"
#include "rescan.h"
#include "spool.h"
#include "tally.h"
#include "watch.h"
#include "xalloc.h"

#define REL_PATH_MAX	256		/* queue directory path, for messages */

/* What fstatat(2) said about a file, for the cache lookup. */
struct probe {
	struct rescan_facts f;
	int	usable;			/* a complete regular file */
};

_Static_assert(QDIR_BATCH_MAX <= 65536, "todo holds uint16_t indices");

/* One thread's parser, counters, and files read but not yet counted. */
struct worker {
	struct qf_parser *parser;
	struct tally_local *local;
	struct scan_stats st;
};

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

/* A watched directory, by its node: where to look at a changed name. */
struct wdir {
	int	dfd;			/* -1: closed (gone, or never opened) */
	int	parent;			/* node, -1 for a queue */
	enum pfq_queue q;
	int	depth;			/* below its queue */
	uint32_t listed;		/* the scan that last listed it */
	char	rel[REL_PATH_MAX];
};

/* What the agent keeps across scans to watch the queue (spool.h). */
struct spool_watch {
	struct watch *w;
	struct arrivals *arrivals;	/* told the watch's events */
	struct wdir *dirs;		/* by node */
	size_t	ndirs;
	int	broken;			/* out of watches: list everything */
	uint32_t scan;			/* scans so far */
};

/* One scan: its parts, and the batch in hand. */
struct spool {
	struct pool *pool;
	struct worker *workers;		/* one per thread; [0] is the caller */
	size_t	nworkers;
	struct tally *tally;
	struct rescan rescan;
	struct batch batch;
	enum pfq_queue q;		/* the queue being walked */
	struct spool_watch *sw;		/* watched: where the nodes are */
	int	base_depth;		/* depth of the walk's start below its queue */
	struct qdir_batch changed;	/* watched: changed names of one node */
};

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

/* complete - a regular file that cleanup or postdrop finished writing */
static int
complete(const struct stat *sb, enum pfq_queue q)
{
	return S_ISREG(sb->st_mode)
	    && (q == Q_CORRUPT || (sb->st_mode & S_IRWXU) == S_IRWXU);
}

/* facts - what the cache and the tally want of a file's stat */
static void
facts(const struct spool *sp, const struct stat *sb, const char *name,
    struct rescan_facts *f)
{
	f->key = tally_key(sp->tally, sb);
	f->ctime_ns = (int64_t)sb->st_ctim.tv_sec * 1000000000
	    + sb->st_ctim.tv_nsec;
	f->size = (uint64_t)sb->st_size;
	f->node = sp->sw ? sp->batch.files->node : -1;
	f->name = name;
}

/* count_parsed - hand the result of reading one file to the counters */
static void
count_parsed(struct spool *sp, struct worker *w, int rc, const struct stat *sb,
    const struct qf_msg *m, const char *name)
{
	struct rescan_facts f;
	char	why[160];

	facts(sp, sb, name, &f);
	switch (rc) {
	case QF_OK:
		tally_parsed(sp->tally, w->local, sp->q, &f, m, name, &w->st);
		break;
	case QF_CORRUPT:
		snprintf(why, sizeof(why), "not a valid queue file: %s at offset %llu",
		    qf_error(w->parser),
		    (unsigned long long)qf_error_offset(w->parser));
		note(sp->batch.files->rel, name, why);
		tally_unparseable(sp->tally, w->local, sp->q, &f, &w->st);
		break;
	default:
		w->st.errors++;
		snprintf(why, sizeof(why), "read error: %s",
		    strerror(qf_errno(w->parser)));
		note(sp->batch.files->rel, name, why);
		break;
	}
}

/* scan_file - open, check and parse one queue file (any thread) */
static void
scan_file(struct spool *sp, struct worker *w, const char *name)
{
	const char *rel = sp->batch.files->rel;
	struct stat sb;
	struct qf_input in;
	struct qf_msg m;
	int	fd, rc;

	fd = openat(sp->batch.files->dfd, name,
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
	} else if (!complete(&sb, sp->q)) {
		w->st.skipped++;	/* cleanup or postdrop still writing */
	} else {
		in.read = fd_pread;
		in.ctx = &fd;
		in.size = (uint64_t)sb.st_size;
		in.mtime = (int64_t)sb.st_mtime;
		in.kind = sp->q == Q_MAILDROP ? QF_KIND_MAILDROP
		    : QF_KIND_QUEUE;
		rc = qf_parse(w->parser, &in, &m);
		count_parsed(sp, w, rc, &sb, &m, name);
	}
	close(fd);
}

/* probe_file - stat one file for the cache lookup (any thread) */
static void
probe_file(struct spool *sp, const char *name, struct probe *pr)
{
	struct stat sb;

	pr->usable = fstatat(sp->batch.files->dfd, name, &sb,
	    AT_SYMLINK_NOFOLLOW) == 0 && complete(&sb, sp->q);
	if (pr->usable)
		facts(sp, &sb, name, &pr->f);
}

/* probe_job - stat file j of the batch for the cache lookup (a pool job) */
static void
probe_job(void *ctx, size_t thread, size_t j)
{
	struct spool *sp = ctx;
	struct batch *batch = &sp->batch;

	(void)thread;
	probe_file(sp, qdir_name(batch->files, j), &batch->probe[j]);
}

/* scan_job - scan the batch's j-th file to scan (a pool job) */
static void
scan_job(void *ctx, size_t thread, size_t j)
{
	struct spool *sp = ctx;
	struct batch *batch = &sp->batch;

	scan_file(sp, &sp->workers[thread],
	    qdir_name(batch->files, batch->todo[j]));
}

/* scan_done - a thread's share of the batch is scanned: count it */
static void
scan_done(void *ctx, size_t thread)
{
	struct spool *sp = ctx;
	struct worker *w = &sp->workers[thread];

	tally_flush(sp->tally, w->local, &w->st);
}

/*
 * scan_batch - scan the files of one directory's batch with every
 * thread. With a filled cache, first stat them all and count the
 * unchanged ones from the cache; only the rest is opened and parsed.
 */
static void
scan_batch(void *ctx, const struct qdir_batch *files)
{
	struct spool *sp = ctx;
	struct batch *batch = &sp->batch;
	struct cache_entry *e;
	size_t	i, n;

	batch->files = files;
	for (i = 0; i < files->n; i++)
		batch->todo[i] = (uint16_t)i;
	batch->ntodo = files->n;
	if (rescan_ready(&sp->rescan)) {
		pool_run(sp->pool, files->n, probe_job, NULL, sp);
		/* Counted from the cache without the lock: helpers are idle. */
		for (i = n = 0; i < files->n; i++) {
			const struct probe *pr = &batch->probe[i];

			if (pr->usable && (e = rescan_match(&sp->rescan, sp->q,
			    &pr->f)) != NULL) {
				if (pr->f.node >= 0)
					cache_name(sp->rescan.cache, e, pr->f.node,
					    qdir_name(files, i), strlen(qdir_name(files, i)));
				tally_cached(sp->tally, sp->q, e,
				    &sp->workers[0].st);
			} else
				batch->todo[n++] = (uint16_t)i;
		}
		batch->ntodo = n;
	}
	if (batch->ntodo > 0)
		pool_run(sp->pool, batch->ntodo, scan_job, scan_done, sp);
}

/* start_workers - a worker for each of nthreads, then the threads */
static void
start_workers(struct spool *sp, unsigned nthreads)
{
	size_t	i;

	/* Parsers first: the first one is made before any other thread runs. */
	sp->workers = xcalloc(nthreads, sizeof(*sp->workers));
	sp->nworkers = nthreads;
	for (i = 0; i < nthreads; i++) {
		sp->workers[i].parser = qf_parser_create();
		sp->workers[i].local = tally_local_create();
	}
	sp->pool = pool_create(nthreads);
}

/* stop_workers - end the threads and add up every worker's counters */
static void
stop_workers(struct spool *sp, struct scan_stats *st)
{
	size_t	i;

	pool_free(sp->pool);
	for (i = 0; i < sp->nworkers; i++) {
		const struct scan_stats *s = &sp->workers[i].st;

		st->files += s->files;
		st->parsed += s->parsed;
		st->skipped += s->skipped;
		st->vanished += s->vanished;
		st->unparseable += s->unparseable;
		st->ignored += s->ignored;
		st->duplicates += s->duplicates;
		st->errors += s->errors;
		st->cached += s->cached;
		qf_parser_free(sp->workers[i].parser);
		tally_local_free(sp->workers[i].local);
	}
	free(sp->workers);
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

/* --- watched scans (spool.h) ------------------------------------- */

/* spool_watch_create - inotify for the agent's scans; NULL + err if none */
struct spool_watch *
spool_watch_create(char *err, size_t errlen)
{
	struct spool_watch *sw;
	struct watch *w;

	if ((w = watch_create(err, errlen)) == NULL)
		return NULL;
	sw = xcalloc(1, sizeof(*sw));
	sw->w = w;
	sw->arrivals = arrivals_create();
	watch_set_hook(w, arrivals_event, sw->arrivals);
	return sw;
}

/* spool_watch_broken - did the watch give up (no more watches)? */
int
spool_watch_broken(const struct spool_watch *sw)
{
	return sw->broken;
}

/* spool_watch_arrivals - what arrived since the last call (arrivals.h) */
struct agg *
spool_watch_arrivals(struct spool_watch *sw, struct arrival_counts *n)
{
	return arrivals_take(sw->arrivals, n);
}

/* spool_watch_free - the watch, and the directories it kept open */
void
spool_watch_free(struct spool_watch *sw)
{
	size_t	i;

	if (sw == NULL)
		return;
	watch_free(sw->w);
	arrivals_free(sw->arrivals);
	for (i = 0; i < sw->ndirs; i++)
		if (sw->dirs[i].dfd >= 0)
			close(sw->dirs[i].dfd);
	free(sw->dirs);
	free(sw);
}

/*
 * enter - the walker opened a directory: watch it before it is read,
 * and keep it open, so that a changed name in it can be looked at
 * without a path being resolved again
 */
static int
enter(void *ctx, int dfd, const char *rel, int depth, int parent)
{
	struct spool *sp = ctx;
	struct spool_watch *sw = sp->sw;
	struct wdir *d;
	char	safe[REL_PATH_MAX];
	size_t	i;
	int	node;

	if (sw->broken)
		return -1;
	/* Arrivals are read where a message enters: incoming, active, hold. */
	if ((node = watch_dir(sw->w, dfd, parent, sp->q == Q_INCOMING
	    || sp->q == Q_ACTIVE || sp->q == Q_HOLD ? (int)sp->q : -1)) < 0) {
		sw->broken = 1;
		msg_warn("cannot watch %s (%s): from now on every scan lists "
		    "every directory", printable_for_log(safe, sizeof(safe), rel,
		    strlen(rel)), errno == ENOSPC ? "inotify takes no more "
		    "watches: fs.inotify.max_user_watches" : strerror(errno));
		return -1;
	}
	if ((size_t)node >= sw->ndirs) {
		sw->dirs = xreallocarray(sw->dirs, (size_t)node + 1,
		    sizeof(*sw->dirs));
		for (i = sw->ndirs; i <= (size_t)node; i++)
			sw->dirs[i].dfd = -1;
		sw->ndirs = (size_t)node + 1;
	}
	d = &sw->dirs[node];
	if (d->dfd < 0) {
		d->dfd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
		d->parent = parent;
		d->q = sp->q;
		d->depth = sp->base_depth + depth;
		snprintf(d->rel, sizeof(d->rel), "%s", rel);
	}
	d->listed = sw->scan;
	return node;
}

/*
 * list_again - walk the directories the watch says must be listed
 * again. Parents come before their hash directories (lower node
 * numbers), so a listed parent covers them.
 */
static void
list_again(struct spool *sp, struct qdir *walker,
    const struct watch_changes *ch, struct scan_stats *st)
{
	struct spool_watch *sw = sp->sw;
	struct wdir *d;
	size_t	i;
	int	fd;

	for (i = 0; i < sw->ndirs; i++) {
		d = &sw->dirs[i];
		if (d->dfd < 0 || !watch_full(ch, (int)i) || d->listed == sw->scan)
			continue;
		if (!watch_alive(sw->w, (int)i)) {
			close(d->dfd);		/* removed: its files went with it */
			d->dfd = -1;
			continue;
		}
		/*
		 * A new open file description: a dup would share the kept
		 * descriptor's directory offset, at its end since the walk
		 * that kept it, and list nothing.
		 */
		if ((fd = openat(d->dfd, ".", O_RDONLY | O_DIRECTORY
		    | O_CLOEXEC)) < 0) {
			st->errors++;
			continue;
		}
		sp->q = d->q;
		sp->base_depth = d->depth;
		qdir_walk(walker, fd, d->rel, (d->q == Q_MAILDROP ? 0 :
		    QDIR_DEPTH_MAX) - d->depth, st);
	}
	sp->base_depth = 0;
}

/*
 * look_names - the changed names [from, to) of one node: a name that is
 * gone is not counted (the file left the queue); the others are looked
 * at as a walk would, and read when the cache cannot tell them.
 */
static void
look_names(struct spool *sp, int node, const struct watch_changes *ch,
    size_t from, size_t to, struct scan_stats *st)
{
	struct cache *cache = sp->rescan.cache;
	struct qdir_batch *nb = &sp->changed;
	const struct wdir *d = &sp->sw->dirs[node];
	struct cache_entry *e;
	struct stat sb;
	const char *name;
	size_t	k, len;

	nb->dfd = d->dfd;
	nb->rel = d->rel;
	nb->node = node;
	nb->n = 0;
	buf_reset(&nb->names);
	sp->q = d->q;
	for (k = from; k < to; k++) {
		name = watch_name_text(ch, k);
		len = strlen(name);
		/* Whatever had this name before is not counted from the cache. */
		if ((e = cache_find_name(cache, node, name, len)) != NULL)
			e->changed = cache_scan(cache);
		if (!qf_queue_id_ok(name, len))
			continue;
		if (fstatat(d->dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) {
				st->files++;
				st->errors++;
				note(d->rel, name, strerror(errno));
			}
			continue;
		}
		st->files++;
		if (!S_ISREG(sb.st_mode)) {
			st->ignored++;
			continue;
		}
		if (!complete(&sb, d->q)) {
			st->skipped++;
			continue;
		}
		nb->off[nb->n++] = nb->names.len;
		buf_add(&nb->names, name, len + 1);
		if (nb->n == QDIR_BATCH_MAX) {
			scan_batch(sp, nb);
			nb->n = 0;
			buf_reset(&nb->names);
		}
	}
	if (nb->n > 0)
		scan_batch(sp, nb);
}

/* by_node - order changed names by their node */
static int
by_node(const void *a, const void *b)
{
	const struct watch_name *x = a, *y = b;

	return (x->node > y->node) - (x->node < y->node);
}

/* look_again - every changed name, by node, but in directories listed */
static void
look_again(struct spool *sp, struct watch_changes *ch, struct scan_stats *st)
{
	struct spool_watch *sw = sp->sw;
	size_t	i, j;
	uint32_t node;

	if (ch->nnames > 1)
		qsort(ch->names, ch->nnames, sizeof(*ch->names), by_node);
	for (i = 0; i < ch->nnames; i = j) {
		node = ch->names[i].node;
		for (j = i; j < ch->nnames && ch->names[j].node == node; j++)
			;
		if (node >= sw->ndirs || sw->dirs[node].dfd < 0
		    || sw->dirs[node].listed == sw->scan)
			continue;
		look_names(sp, (int)node, ch, i, j, st);
	}
}

/*
 * count_rest - every file nothing happened to, from the cache, without
 * a system call: entries not touched in this scan, whose directory was
 * not listed and whose name did not change.
 */
static void
count_rest(struct spool *sp, const struct watch_changes *ch,
    struct scan_stats *st)
{
	struct spool_watch *sw = sp->sw;
	struct cache *cache = sp->rescan.cache;
	struct cache_entry *e = cache_entries(cache);
	size_t	n = cache_count(cache), i;
	uint32_t scan = cache_scan(cache), node;

	for (i = 0; i < n; i++, e++) {
		if (e->seen == scan || e->changed == scan || e->node == 0)
			continue;
		node = e->node - 1;
		if (node >= sw->ndirs || sw->dirs[node].dfd < 0
		    || sw->dirs[node].listed == sw->scan
		    || watch_full(ch, (int)node))
			continue;
		st->files++;
		tally_known(sp->tally, e, st);
	}
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
	struct cache *cache = to->visit ? NULL : opts->cache;
	unsigned nthreads = opts->threads ? opts->threads : 1;
	char	safe[REL_PATH_MAX];
	struct watch_changes ch;
	struct spool sp;
	struct qdir *walker;
	struct stat sb;
	size_t	i;
	int	root, fd, rc = 0, full = 1;

	if (!is_queue_dir(opts->queue_fd, dir)) {
		printable_for_log(safe, sizeof(safe), dir, strlen(dir));
		snprintf(err, errlen, "%s is not a Postfix queue directory: none "
		    "of maildrop, incoming, active, deferred or hold is in it "
		    "(check --queue-dir or queue_directory)", safe);
		return -1;
	}

	memset(st, 0, sizeof(*st));
	memset(&sp, 0, sizeof(sp));
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
	rescan_begin(&sp.rescan, cache);
	sp.tally = tally_create(to, cache ? &sp.rescan : NULL, sb.st_dev);
	start_workers(&sp, nthreads);
	walker = qdir_create(scan_batch, &sp);
	buf_init(&sp.changed.names);
	memset(&ch, 0, sizeof(ch));
	if (cache && opts->watch && !opts->watch->broken && !opts->queues) {
		sp.sw = opts->watch;
		sp.sw->scan++;
		watch_take(sp.sw->w, &ch);
		st->events = ch.events;
		st->overflows = ch.overflows;
		full = ch.all || opts->full || cache_count(cache) == 0;
		qdir_set_enter(walker, enter);
	}
	if (!full) {
		list_again(&sp, walker, &ch, &sp.workers[0].st);
		look_again(&sp, &ch, &sp.workers[0].st);
		count_rest(&sp, &ch, &sp.workers[0].st);
	}
	for (i = 0; full && i < sizeof(order) / sizeof(order[0]); i++) {
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
		sp.q = order[i];
		/* maildrop is flat, as pickup reads it */
		qdir_walk(walker, fd, name, order[i] == Q_MAILDROP ? 0 :
		    QDIR_DEPTH_MAX, &sp.workers[0].st);
	}
	st->full = full;
	qdir_free(walker);
	stop_workers(&sp, st);
	/* After a failed scan the cache keeps what the next one may reuse. */
	rescan_end(&sp.rescan, rc == 0);
	tally_free(sp.tally);
	watch_changes_free(&ch);
	buf_free(&sp.changed.names);
	close(root);
	return rc;
}
