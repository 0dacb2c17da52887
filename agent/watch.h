/*
 * watch.h - what changed in the queue directories since the last scan,
 * told by inotify: which directories must be listed again, and which
 * names looked at again. Everything else is as the last scan left it.
 *
 * SYNOPSIS
 *	w = watch_create(err, n);		NULL: no inotify here
 *	node = watch_dir(w, dfd, parent);	before reading dfd
 *	watch_take(w, &changes);		at the start of a scan
 *	    changes.all, watch_full(&changes, node), changes.names[i]
 *	watch_changes_free(&changes);
 *	watch_free(w);
 *
 * DESCRIPTION
 *	A node is a directory of the queue: a queue (parent -1) or one of
 *	its hash directories, found by the scan's walk. watch_dir() adds an
 *	inotify watch on the open directory dfd (through /proc/self/fd, so
 *	no path is looked up again) for every change a queue file can see:
 *	created, written, closed after writing, its mode changed (a file is
 *	complete once cleanup or postdrop sets the owner's execute bit, and
 *	Postfix's force-expire is the group's), moved in or out, deleted.
 *	It returns the node's number (the same for a directory watched
 *	again), or -1 when inotify takes no more watches (ENOSPC: the
 *	caller then scans as if nothing were watched, and says so).
 *	Call it before reading the directory, so that no change between the
 *	listing and the watch is missed.
 *
 *	A thread of the watcher's own reads the events as they come, so
 *	that a burst never waits for the next scan to be drained, and keeps
 *	the names that changed, each once. watch_take() hands them over and
 *	starts afresh. A node is "full" (list it again: watch_full()) when
 *	a directory appeared in it (a new hash directory), when it or a
 *	directory in it lost its watch (it was removed or moved: then it is
 *	no longer alive, watch_alive(), and none of its files is there), or
 *	when more than WATCH_NAMES_MAX names changed; changes.all
 *	says that every node is full: the kernel's queue overflowed
 *	(IN_Q_OVERFLOW), or nothing was taken yet. changes.overflows counts
 *	the overflows since the last take.
 *
 * OWNERSHIP
 *	The changes are the caller's until watch_changes_free(); names point
 *	into changes.text. watch_free() stops the thread and closes the
 *	inotify descriptor.
 *
 * SECURITY
 *	inotify reads nothing in the files and changes nothing anywhere.
 *	Names come from the kernel and are bounded by NAME_MAX; the scan
 *	checks them (qf_queue_id_ok) before it uses one.
 */
#ifndef PFQ_WATCH_H
#define PFQ_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define WATCH_NAMES_MAX	(1u << 20)	/* names kept between two takes */

/* One changed name: its node and its place in text. */
struct watch_name {
	uint32_t node;
	uint32_t off;			/* NUL-terminated, in text */
};

struct watch_changes {
	int	all;			/* every node must be listed again */
	uint64_t overflows;		/* IN_Q_OVERFLOW since the last take */
	uint64_t events;		/* events read since the last take */
	unsigned char *full;		/* per node: list it again */
	size_t	nnodes;
	struct watch_name *names;
	size_t	nnames;
	struct buf text;
};

struct watch;

struct watch *watch_create(char *, size_t);
int	watch_dir(struct watch *, int, int);
void	watch_take(struct watch *, struct watch_changes *);
int	watch_full(const struct watch_changes *, int);
int	watch_alive(struct watch *, int);
const char *watch_name_text(const struct watch_changes *, size_t);
void	watch_changes_free(struct watch_changes *);
size_t	watch_nodes(const struct watch *);
void	watch_free(struct watch *);

#endif
