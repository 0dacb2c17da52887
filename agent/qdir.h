/*
 * qdir.h - walk one Postfix queue directory and hand out the names of the
 * files in it, a batch at a time.
 *
 * SYNOPSIS
 *	w = qdir_create(batch_fn, ctx);
 *	qdir_walk(w, dfd, "deferred", QDIR_DEPTH_MAX, &stats);	takes dfd
 *	qdir_free(w);
 *
 *	batch_fn(ctx, b):
 *		for (i = 0; i < b->n; i++)
 *			openat(b->dfd, qdir_name(b, i), ...);
 *
 * DESCRIPTION
 *	qdir_walk() reads every entry of the directory dfd once. An entry
 *	with a one-character name that is a directory is a hash directory,
 *	as Postfix's own scanner finds them (whatever hash_queue_names,
 *	hash_queue_depth and the queue ID style say): it is walked, up to
 *	depth_max levels below dfd, after the files of its parent. Every
 *	other entry but "." and ".." counts in stats->files; of those, a
 *	name that is not a queue ID, or one whose directory entry says it is
 *	no regular file (a symbolic link, a FIFO, a socket, a directory
 *	that is not a hash directory within depth_max), counts in
 *	stats->ignored; the rest is handed out. When the file system does
 *	not say the type (DT_UNKNOWN), the name is handed out and the
 *	caller's open decides.
 *
 *	Names are handed to batch_fn in batches of 1 to QDIR_BATCH_MAX, all
 *	from one directory (b->dfd, named b->rel relative to the queue
 *	directory, for messages), so that memory stays bounded however
 *	large a directory grows; a directory's last batch comes before its
 *	subdirectories are walked. Within a batch the names are in inode
 *	order (d_ino), not the directory's: with a cold page cache the
 *	files' inodes and data are then read mostly in disk order (about
 *	a third less time at 100k files in make bench's trial, the same
 *	with a hot cache). The batch and dfd belong to the walker
 *	and are valid during the call only: batch_fn must not close dfd.
 *
 *	With an enter function (qdir_set_enter), each directory is told to
 *	it, open, before its entries are read: its depth below dfd and what
 *	enter said of its parent (-1 for dfd itself); what enter returns
 *	for it comes back as the node of its batches. The watched agent
 *	puts its inotify watch there, so that no change is missed between
 *	the listing and the watch.
 *
 *	depth_max 0 walks dfd alone (maildrop, which pickup reads flat);
 *	QDIR_DEPTH_MAX is what the other queues get. The walker is reused
 *	from queue to queue; qdir_free() releases it.
 *
 * SECURITY
 *	Subdirectories are opened relative to their parent with
 *	O_DIRECTORY|O_NOFOLLOW, so a symbolic link cannot lead the walk out
 *	of the queue, and recursion is bounded by depth_max. A name is
 *	handed out only after qf_queue_id_ok(): it holds no '/' and cannot
 *	be "." or "..". Nothing is opened for writing.
 *
 * DIAGNOSTICS
 *	A directory that cannot be opened or read is warned about and
 *	counted in stats->errors; the walk goes on with the rest. A hash
 *	directory that disappears between readdir and its opening is not
 *	counted at all: there is nothing left in it to count.
 */
#ifndef PFQ_QDIR_H
#define PFQ_QDIR_H

#include <stddef.h>

#include "buf.h"
#include "scan.h"

#define QDIR_DEPTH_MAX	16		/* hash levels followed */
#define QDIR_BATCH_MAX	2048		/* names handed out at once */

/* One batch: read n, dfd and rel, and the names through qdir_name(). */
struct qdir_batch {
	int	dfd;			/* the directory the names are in */
	const char *rel;		/* its path in the queue directory */
	int	node;			/* what the enter function said of it */
	size_t	n;
	size_t	off[QDIR_BATCH_MAX];	/* each name's offset in names */
	struct buf names;		/* NUL-terminated, one after another */
};

typedef void (*qdir_batch_fn)(void *ctx, const struct qdir_batch *);
typedef int (*qdir_enter_fn)(void *ctx, int dfd, const char *rel, int depth,
	    int parent);

struct qdir;

struct qdir *qdir_create(qdir_batch_fn, void *);
void	qdir_set_enter(struct qdir *, qdir_enter_fn);
void	qdir_walk(struct qdir *, int, const char *, int, struct scan_stats *);
const char *qdir_name(const struct qdir_batch *, size_t);
void	qdir_free(struct qdir *);

#endif
