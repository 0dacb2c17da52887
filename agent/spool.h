/*
 * spool.h - walk a Postfix queue directory once and count what is in it.
 *
 * SYNOPSIS
 *	struct spool_opts o = { threads, cache_or_NULL, queue_fd_or_-1 };
 *	struct scan_sink to = { agg, NULL, NULL };	(or { NULL, visit, ctx })
 *	if (spool_scan(queue_dir, &o, &to, &stats, err, sizeof(err)) < 0)
 *		fatal(err);
 *
 * DESCRIPTION
 *	Visits maildrop (flat, as pickup does), active, incoming, deferred,
 *	hold and corrupt, in showq's order. In every queue but maildrop the
 *	walker (qdir.h) descends into every one-character subdirectory up to
 *	QDIR_DEPTH_MAX levels, as Postfix's own scanner does, so hashed
 *	queues are found whatever hash_queue_names, hash_queue_depth and the
 *	queue ID style say. Each directory entry is read once; each queue
 *	file is opened once, read with pread(2) and parsed by qfile.c, and
 *	its facts go to the sink (scan.h).
 *
 *	A file counts only when it is complete: a regular file whose owner
 *	permissions are rwx (cleanup and postdrop set the execute bit last).
 *	Files in the corrupt queue are counted whatever their mode.
 *
 *	opts->threads threads open and parse files (pool.h; the calling
 *	thread is one of them): the calling thread reads each directory and
 *	hands its files out in batches of at most QDIR_BATCH_MAX names, so
 *	memory stays bounded however large a directory grows; each thread
 *	has its own parser, and counting a file into the one aggregate
 *	(tally.h, which also sees that a file moved mid-scan counts once) is
 *	the only step under a lock.
 *
 *	With a cache (cache.h; the agent keeps one, and the aggregate, across
 *	scans), the files of each batch are first only stat-ed: one whose
 *	queue, inode, change time and size match what the cache says, and
 *	that was not changed within RACY_NS before the scan that read it, is
 *	counted from the cache without being opened (and counted in cached;
 *	rescan.h). Everything else is read as above and the cache remembers
 *	it. After a complete scan the cache forgets the files the scan did
 *	not find.
 *
 *	opts->queues limits the walk to some queues (select reads only those
 *	a match can be in); a queue left out is not opened at all.
 *
 *	With a visitor in the sink instead of an aggregate (pfqmon select),
 *	every parsed message is handed to it with its queue ID, the file
 *	name, once per scan even when a file is seen twice; the cache is
 *	not used.
 *
 *	Every entry considered ends in exactly one scan counter, so files =
 *	parsed + skipped + vanished + unparseable + ignored + duplicates +
 *	errors (see docs/metrics.md): the walker counts files, and the
 *	entries it ignores or cannot read; the reading thread counts a file
 *	that vanished, is not regular, is still being written or cannot be
 *	read; the tally counts the rest.
 *
 * SECURITY
 *	Read-only: files are opened O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC
 *	and never locked, written, renamed or chmod-ed. Directories are
 *	opened relative to their parent with O_NOFOLLOW, so a symbolic link
 *	cannot lead the walk out of the spool; recursion is bounded by
 *	QDIR_DEPTH_MAX. Names that are not queue IDs are not opened.
 *
 *	With a watch as well (spool_watch_create(); the agent keeps one, the
 *	cache and the aggregate across scans), the scan lists no directory
 *	and stats no file that inotify (watch.h) says nothing happened to:
 *	the first scan lists every directory and puts a watch on each before
 *	reading it; later ones take the changes, list again the directories
 *	that must be (a new hash directory, a lost watch, a burst larger than
 *	the names kept), look again at each changed name, and count every
 *	other file from the cache without a system call. opts->full, an
 *	overflow of the kernel's queue, or an empty cache list every
 *	directory again, as without a watch (st->full = 1). A file that is
 *	gone when its changed name is looked at is not counted anywhere (it
 *	left the queue), and names that are not queue IDs are not tracked,
 *	so files and ignored count less than a listing would; every message
 *	counter is the same. When inotify takes no more watches the watch
 *	is broken for good (spool_watch_broken(); one log line) and every
 *	scan lists every directory, reusing the cache as before.
 *
 *	The watch also counts arrivals (arrivals.h): each message that
 *	enters incoming, active or hold between two scans, read as it
 *	comes. spool_watch_arrivals() hands over those since the last call
 *	(an aggregate the caller frees with agg_free()).
 *
 * DIAGNOSTICS
 *	Returns -1 with a message in err when the queue directory or one of
 *	the queue directories in it cannot be opened for a reason other than
 *	its absence, and when it holds none of maildrop, incoming, active,
 *	deferred and hold (a mistyped path, an empty mount point): reporting
 *	zero messages for a queue that could not be read would be a lie.
 *	Problems below that level are counted.
 */
#ifndef PFQ_SPOOL_H
#define PFQ_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "arrivals.h"
#include "cache.h"
#include "scan.h"

struct spool_watch;

struct spool_opts {
	unsigned threads;	/* 0 or 1: the calling thread alone */
	struct cache *cache;	/* NULL: read every file */
	int	queue_fd;	/* the queue directory, opened before privileges
				 * were dropped (-1: open the path) */
	unsigned queues;	/* a bit per enum pfq_queue to walk; 0: all */
	struct spool_watch *watch;	/* with a cache: look only at changes */
	int	full;		/* watched: list every directory this time */
};

int	spool_scan(const char *, const struct spool_opts *, const struct scan_sink *,
	    struct scan_stats *, char *, size_t);
struct spool_watch *spool_watch_create(char *, size_t);
int	spool_watch_broken(const struct spool_watch *);
struct agg *spool_watch_arrivals(struct spool_watch *, struct arrival_counts *);
void	spool_watch_free(struct spool_watch *);

#endif
