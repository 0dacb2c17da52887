/*
 * wscan.c - a watched scan (spool.h): the directories the walker enters
 * are watched (watch.c) and kept open; a later scan lists again only
 * what must be, looks again at each changed name, and counts every
 * other file from the cache without a system call. The watch's events
 * also feed the arrivals (arrivals.c).
 *
 * Trusts the kernel's names only after qf_queue_id_ok(); a changed name
 * is looked at below the directory kept open, never by a path.
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
#include "spool_int.h"
#include "xalloc.h"

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
				spool_note(d->rel, name, strerror(errno));
			}
			continue;
		}
		st->files++;
		if (!S_ISREG(sb.st_mode)) {
			st->ignored++;
			continue;
		}
		if (!spool_complete(&sb, d->q)) {
			st->skipped++;
			continue;
		}
		nb->off[nb->n++] = nb->names.len;
		buf_add(&nb->names, name, len + 1);
		if (nb->n == QDIR_BATCH_MAX) {
			spool_scan_batch(sp, nb);
			nb->n = 0;
			buf_reset(&nb->names);
		}
	}
	if (nb->n > 0)
		spool_scan_batch(sp, nb);
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


/* wscan_begin - see spool_int.h: take the changes since the last scan */
int
wscan_begin(struct spool *sp, struct qdir *walker, const struct spool_opts *opts,
    struct watch_changes *ch, struct scan_stats *st)
{
	if (opts->watch->broken)
		return 1;
	sp->sw = opts->watch;
	sp->sw->scan++;
	watch_take(sp->sw->w, ch);
	st->events = ch->events;
	st->overflows = ch->overflows;
	qdir_set_enter(walker, enter);
	return ch->all || opts->full || cache_count(opts->cache) == 0;
}

/* wscan_follow - see spool_int.h: only what changed, the rest remembered */
void
wscan_follow(struct spool *sp, struct qdir *walker, struct watch_changes *ch)
{
	list_again(sp, walker, ch, &sp->workers[0].st);
	look_again(sp, ch, &sp->workers[0].st);
	count_rest(sp, ch, &sp->workers[0].st);
}
