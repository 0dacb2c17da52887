/*
 * watch.h - what changed in the queue directories since the last scan,
 * told by inotify: which directories must be listed again, and which
 * names looked at again. Everything else is as the last scan left it.
 *
 * SYNOPSIS
 *	w = watch_create(err, n);		NULL: no inotify here
 *	watch_set_hook(w, fn, ctx);		optional, before watch_dir
 *	node = watch_dir(w, dfd, parent, kind);	before reading dfd
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
 *	listing and the watch is missed. kind is the caller's name for the
 *	directory (pfqmon's: its queue); with kind >= 0 the watch keeps a
 *	descriptor of its own of the directory, for the hook.
 *
 *	The hook, if set, is told each event on a name in a directory of
 *	kind >= 0 as it is read: its node, kind, directory descriptor,
 *	inotify mask and cookie (a rename's two halves share one), and the
 *	name. It runs with the watch's lock held, one call at a time, in
 *	the kernel's order; it must not call back into the watch. Each
 *	event is told twice, as each buffer of events is read: first with
 *	early set, all of the buffer's events, for what must be done at
 *	once (hold a file before it goes), then again in the same order
 *	for the rest. It is how
 *	pfqmon sees a message that comes and goes between two scans
 *	(arrivals.h).
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

/* One event on a name, as the hook is told it; valid during the call. */
struct watch_event {
	int	node;
	int	kind;			/* as given to watch_dir() */
	int	dfd;			/* the directory, the watch's own */
	uint32_t mask;			/* IN_* */
	uint32_t cookie;		/* pairs IN_MOVED_FROM with IN_MOVED_TO */
	const char *name;		/* NUL-terminated */
	size_t	len;
	int	early;			/* the first of the two passes */
};

typedef void (*watch_hook_fn)(void *ctx, const struct watch_event *);

struct watch;

struct watch *watch_create(char *, size_t);
void	watch_set_hook(struct watch *, watch_hook_fn, void *);
int	watch_dir(struct watch *, int, int, int);
void	watch_take(struct watch *, struct watch_changes *);
int	watch_full(const struct watch_changes *, int);
int	watch_alive(struct watch *, int);
const char *watch_name_text(const struct watch_changes *, size_t);
void	watch_changes_free(struct watch_changes *);
size_t	watch_nodes(const struct watch *);
void	watch_free(struct watch *);

#endif
