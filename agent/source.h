/*
 * source.h - from settings to a queue pfqmon may read, and one reading
 * of it: the part every command shares (the agent, select, top).
 *
 * SYNOPSIS
 *	if (source_open(&src, &settings, need, err, sizeof(err)) < 0)
 *		exit 2 with err;
 *	source_read(&src, cache_or_NULL, &sink, &stats, err, sizeof(err));
 *	source_close(&src);
 *
 * DESCRIPTION
 *	source_open() finds the queue directory (--queue-dir, else
 *	queue_directory of the -c or default instance), opens it while root
 *	may, chooses where to read the queue (source_choose()), gives up
 *	root for good (priv_drop) and then every right to change anything
 *	(priv_restrict), except for the postqueue source as a user who
 *	cannot read the queue files, whose setgid postqueue no_new_privs
 *	would break. Before the sandbox it starts the helper that runs
 *	postqueue and postconf from then on (child.h), for the postqueue
 *	source and, with need SOURCE_NEED_RELOAD, for the agent's reloads.
 *
 *	source_choose() takes --source, or for auto the richest source this
 *	process can use: the queue files (the only ones that name SASL users
 *	and clients), the showq socket (the postdrop group), postqueue -j
 *	(anyone); it says on stderr why when it cannot take the files. With
 *	need SOURCE_NEED_IDENTITY (a select by SASL user or client) auto
 *	always takes the files, so that a permission problem is reported
 *	instead of a source that cannot answer.
 *
 *	source_reload() follows reloaded settings (the agent's SIGHUP): it
 *	takes over a new queue directory path, opening it as whom pfqmon now
 *	is (a failure shows at the next read), and the thread count; the
 *	kind of source and -c stay (the agent refuses a reload that changes
 *	them).
 *
 *	source_read() reads the queue once into the sink (scan.h), with
 *	the rescan cache for the files when one is given.
 *
 *	source_follow() is for the agent, before each scan: when the queue
 *	directory's path now names another directory than the one held
 *	open (another device or inode: a file system mounted late, a
 *	cluster fail-over), or the directory could not be opened before, it
 *	opens the path again and counts up generation, which it returns
 *	(the caller drops what it cached of the old directory). A path that
 *	cannot be looked at is left to source_read() to report.
 *
 * DIAGNOSTICS
 *	source_open() returns -1 with the reason in err for bad settings
 *	(exit 2) and exits 1 itself when the sandbox cannot be set up;
 *	source_read() returns -1 with the reason when the queue cannot be
 *	read.
 */
#ifndef PFQ_SOURCE_H
#define PFQ_SOURCE_H

#include <stddef.h>

#include "cache.h"
#include "scan.h"
#include "settings.h"

#define SOURCE_DEFAULT_QUEUE_DIR	"/var/spool/postfix"

#define SOURCE_NEED_IDENTITY	1	/* SASL users and client addresses */
#define SOURCE_NEED_RELOAD	2	/* postconf after the sandbox (SIGHUP) */

struct spool_watch;

enum source_kind { SRC_SPOOL, SRC_SHOWQ, SRC_POSTQUEUE };

struct source {
	char   *queue_dir;		/* owned */
	int	queue_fd;		/* opened before dropping root; or -1 */
	enum source_kind kind;
	char   *config_dir;		/* owned; NULL: the default instance */
	unsigned threads;		/* scanning threads for the files */
	unsigned queues;		/* files: bit per queue to walk; 0: all */
	struct spool_watch *watch;	/* the agent's, for the files; or NULL */
	int	full;			/* watched: list every directory next time */
	unsigned generation;		/* counts the directories followed */
};

char   *source_queue_dir(const struct settings *, char *, size_t);
int	source_open(struct source *, const struct settings *, int, char *,
	    size_t);
int	source_read(const struct source *, struct cache *,
	    const struct scan_sink *, struct scan_stats *, char *, size_t);
void	source_reload(struct source *, const struct settings *, char *);
unsigned source_follow(struct source *);
const char *source_name(enum source_kind);
void	source_close(struct source *);

#endif
