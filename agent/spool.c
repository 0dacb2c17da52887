/*
 * spool.c - one scan of a queue directory (see spool.h): walk its queues
 * (qdir.c), read their files on every thread (pool.c) unless the rescan
 * cache can tell them (rescan.c), and count each file once (tally.c).
 * A watched scan (wscan.c) follows the changes instead of walking.
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

#include "cache.h"
#include "msg.h"
#include "pool.h"
#include "qdir.h"
#include "qfile.h"
#include "rescan.h"
#include "spool.h"
#include "spool_int.h"
#include "tally.h"
#include "xalloc.h"

/* spool_note - verbose per-file diagnostic with a log-safe name */
void
spool_note(const char *rel, const char *name, const char *what)
{
	char	safe[QF_QUEUE_ID_MAX + 1];

	if (msg_verbose)
		msg_info("%s/%s: %s", rel,
		    printable_for_log(safe, sizeof(safe), name, strlen(name)),
		    what);
}

/* spool_complete - a regular file that cleanup or postdrop finished writing */
int
spool_complete(const struct stat *sb, enum pfq_queue q)
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
		spool_note(sp->batch.files->rel, name, why);
		tally_unparseable(sp->tally, w->local, sp->q, &f, &w->st);
		break;
	default:
		w->st.errors++;
		snprintf(why, sizeof(why), "read error: %s",
		    strerror(qf_errno(w->parser)));
		spool_note(sp->batch.files->rel, name, why);
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
			spool_note(rel, name, strerror(errno));
		}
		return;
	}
	if (fstat(fd, &sb) < 0) {
		w->st.errors++;
		spool_note(rel, name, strerror(errno));
	} else if (!S_ISREG(sb.st_mode)) {
		w->st.ignored++;
	} else if (!spool_complete(&sb, sp->q)) {
		w->st.skipped++;	/* cleanup or postdrop still writing */
	} else {
		qf_input_fd(&in, &fd, &sb, sp->q == Q_MAILDROP ?
		    QF_KIND_MAILDROP : QF_KIND_QUEUE);
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
	    AT_SYMLINK_NOFOLLOW) == 0 && spool_complete(&sb, sp->q);
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
 * spool_scan_batch - scan the files of one directory's batch with every
 * thread. With a filled cache, first stat them all and count the
 * unchanged ones from the cache; only the rest is opened and parsed.
 */
void
spool_scan_batch(void *ctx, const struct qdir_batch *files)
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
	walker = qdir_create(spool_scan_batch, &sp);
	buf_init(&sp.changed.names);
	memset(&ch, 0, sizeof(ch));
	if (cache && opts->watch && !opts->queues)
		full = wscan_begin(&sp, walker, opts, &ch, st);
	if (!full)
		wscan_follow(&sp, walker, &ch);
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
