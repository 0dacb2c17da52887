/*
 * spool_int.h - what spool.c and wscan.c share: one scan's state, and
 * the steps of it each calls in the other. Not for any other module;
 * spool.h is the interface.
 *
 * A scan (struct spool) lives on spool_scan()'s stack for one call. The
 * watch (struct spool_watch, wscan.c) is the agent's, across scans.
 */
#ifndef PFQ_SPOOL_INT_H
#define PFQ_SPOOL_INT_H

#include <stdint.h>
#include <sys/stat.h>

#include "buf.h"
#include "pool.h"
#include "qdir.h"
#include "qfile.h"
#include "rescan.h"
#include "scan.h"
#include "schema.h"
#include "spool.h"
#include "tally.h"
#include "watch.h"

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

/* spool.c */
void	spool_scan_batch(void *, const struct qdir_batch *);
int	spool_complete(const struct stat *, enum pfq_queue);
void	spool_note(const char *, const char *, const char *);

/* wscan.c: 1 when this scan must list every directory, 0 to follow */
int	wscan_begin(struct spool *, struct qdir *, const struct spool_opts *,
	    struct watch_changes *, struct scan_stats *);
void	wscan_follow(struct spool *, struct qdir *, struct watch_changes *);

#endif
