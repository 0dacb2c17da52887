/*
 * spool.h - walk a Postfix queue directory once and count what is in it.
 *
 * SYNOPSIS
 *	if (spool_scan(queue_dir, agg, &stats, err, sizeof(err)) < 0)
 *		fatal(err);
 *
 * DESCRIPTION
 *	Visits maildrop (flat, as pickup does), active, incoming, deferred,
 *	hold and corrupt. In every queue but maildrop it descends into every
 *	one-character subdirectory at any depth, as Postfix's own scanner
 *	does, so hashed queues are found whatever hash_queue_names,
 *	hash_queue_depth and the queue ID style say. Each directory entry is
 *	read once; each queue file is opened once, read with pread(2) and
 *	parsed by qfile.c, and its facts go to the aggregator.
 *
 *	A file counts only when it is complete: a regular file whose owner
 *	permissions are rwx (cleanup and postdrop set the execute bit last).
 *	Files in the corrupt queue are counted whatever their mode.
 *
 *	Every entry considered ends in exactly one scan counter, so files =
 *	parsed + skipped + vanished + unparseable + ignored + duplicates +
 *	errors (see docs/metrics.md).
 *
 * SECURITY
 *	Read-only: files are opened O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC
 *	and never locked, written, renamed or chmod-ed. Directories are
 *	opened relative to their parent with O_NOFOLLOW, so a symbolic link
 *	cannot lead the walk out of the spool; recursion is bounded by
 *	SPOOL_DEPTH_MAX. Names that are not queue IDs are not opened.
 *
 * DIAGNOSTICS
 *	Returns -1 with a message in err when the queue directory or one of
 *	the queue directories in it cannot be opened for a reason other than
 *	its absence: reporting zero messages for a queue that could not be
 *	read would be a lie. Problems below that level are counted.
 */
#ifndef PFQ_SPOOL_H
#define PFQ_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"

#define SPOOL_DEPTH_MAX	16		/* hash levels followed */

struct scan_stats {
	uint64_t files;		/* entries considered (not hash dirs) */
	uint64_t parsed;	/* complete queue files that were counted */
	uint64_t skipped;	/* still being written (owner not rwx) */
	uint64_t vanished;	/* gone between readdir and open (ENOENT) */
	uint64_t unparseable;	/* not a valid queue file */
	uint64_t ignored;	/* not a queue file: name, type, link */
	uint64_t duplicates;	/* same file seen twice (moved mid-scan) */
	uint64_t errors;	/* I/O or permission errors */
	uint64_t duration_us;	/* filled in by the caller */
};

int	spool_scan(const char *, struct agg *, struct scan_stats *, char *,
	    size_t);

#endif
