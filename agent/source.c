/*
 * source.c - find, open and choose the queue source, drop privileges,
 * read it (source.h).
 *
 * Trusts the settings to have been checked (settings_finish) and
 * postconf to be Postfix's; the queue directory is only opened and
 * handed to the readers, which trust nothing in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "msg.h"
#include "postconf.h"
#include "pqjson.h"
#include "showq.h"
#include "priv.h"
#include "schema.h"
#include "source.h"
#include "spool.h"
#include "xalloc.h"

#define THREADS_MAX	8	/* past that the disk, not the CPU, sets the pace */

/* source_queue_dir - --queue-dir, -c, or the default instance; NULL + err */
char *
source_queue_dir(const struct settings *s, char *err, size_t errlen)
{
	char	why[512];
	char   *dir;

	if (s->queue_dir)
		return xstrdup(s->queue_dir);
	if ((dir = postconf_queue_directory(s->config_dir, why, sizeof(why))))
		return dir;
	if (s->config_dir) {
		snprintf(err, errlen, "config_dir (-c): cannot read queue_directory: "
		    "%s", why);
		return NULL;
	}
	msg_info("%s; using %s", why, SOURCE_DEFAULT_QUEUE_DIR);
	return xstrdup(SOURCE_DEFAULT_QUEUE_DIR);
}

/* source_name - the value of the scan's source tag */
const char *
source_name(enum source_kind k)
{
	return k == SRC_SHOWQ ? SOURCE_SHOWQ : k == SRC_POSTQUEUE ?
	    SOURCE_POSTQUEUE : SOURCE_SPOOL;
}

/* scan_threads - the setting, or one per online core up to THREADS_MAX */
static unsigned
scan_threads(const struct settings *s)
{
	long	n;

	if (s->threads)
		return (unsigned)s->threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > THREADS_MAX ? THREADS_MAX : (unsigned)n;
}

/* source_choose - see source.h */
static enum source_kind
source_choose(const struct source *S, const struct settings *cfg, int need)
{
	const char *s = cfg->source;
	char	safe[256];
	int	showq;

	if (s != NULL && strcmp(s, "postqueue") == 0)
		return SRC_POSTQUEUE;
	if (s != NULL && strcmp(s, "showq") == 0)
		return SRC_SHOWQ;
	if ((s != NULL && strcmp(s, "spool") == 0) || geteuid() == 0
	    || (need & SOURCE_NEED_IDENTITY))
		return SRC_SPOOL;
	if (S->queue_fd >= 0 && faccessat(S->queue_fd, "deferred", R_OK | X_OK, 0) == 0
	    && faccessat(S->queue_fd, "active", R_OK | X_OK, 0) == 0)
		return SRC_SPOOL;
	/* With --queue-dir there is no configuration to hand postqueue. */
	showq = S->queue_fd >= 0 && faccessat(S->queue_fd, "public/showq", W_OK, 0) == 0;
	if (!showq && cfg->queue_dir != NULL)
		return SRC_SPOOL;
	msg_warn("source %s: %s/deferred is not readable by uid %u, so no SASL "
	    "users or client addresses%s (run pfqmon as root or as the mail "
	    "owner for those; never change queue permissions)",
	    showq ? "showq" : "postqueue", printable_for_log(safe, sizeof(safe),
	    S->queue_dir, strlen(S->queue_dir)), (unsigned)geteuid(),
	    showq ? "" : ", and public/showq needs the postdrop group");
	return showq ? SRC_SHOWQ : SRC_POSTQUEUE;
}

/*
 * reaches_queue_files - could this process open (and so lock) the queue
 * files, or chmod them? Root and the mail owner can; a user who can do
 * neither loses nothing to the missing sandbox.
 */
static int
reaches_queue_files(const struct source *S)
{
	return getuid() == 0 || (S->queue_fd >= 0
	    && faccessat(S->queue_fd, "deferred", R_OK | X_OK, 0) == 0);
}

/* source_open - see source.h */
int
source_open(struct source *S, const struct settings *cfg, int need,
    char *err, size_t errlen)
{
	char	why[PRIV_WHY_MAX], safe[256];
	int	rc;

	memset(S, 0, sizeof(*S));
	S->queue_fd = -1;
	if ((S->queue_dir = source_queue_dir(cfg, err, errlen)) == NULL)
		return -1;
	S->config_dir = cfg->config_dir ? xstrdup(cfg->config_dir) : NULL;
	S->threads = scan_threads(cfg);
	/* Open the queue while root may, then give root up for good. */
	S->queue_fd = open(S->queue_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	S->kind = source_choose(S, cfg, need);
	/* Root cannot tell whom to become without the directory: say why. */
	if (S->queue_fd < 0 && geteuid() == 0 && cfg->user == NULL
	    && S->kind != SRC_POSTQUEUE)
		msg_fatal(MSG_EXIT_FAIL, "cannot open queue directory %s: %s",
		    printable_for_log(safe, sizeof(safe), S->queue_dir,
		    strlen(S->queue_dir)), strerror(errno));
	if (priv_drop(S->queue_fd, cfg->user, why, sizeof(why), err, errlen) < 0)
		return -1;
	msg_info("%s", why);
	if (S->kind == SRC_POSTQUEUE && !reaches_queue_files(S)) {
		/* postqueue is setgid postdrop: no_new_privs would strip that. */
		msg_info("postqueue source as a user who cannot read the queue "
		    "files: no sandbox (the user cannot change them anyway)");
		return 0;
	}
	/* The sandbox starts no process: postqueue and postconf, from here on. */
	if ((S->kind == SRC_POSTQUEUE || (need & SOURCE_NEED_RELOAD))
	    && (rc = child_helper(S->config_dir)) != 0)
		msg_fatal(MSG_EXIT_FAIL, "cannot start the helper for postqueue "
		    "and postconf: %s", strerror(rc));
	if (priv_restrict(why, sizeof(why), err, errlen) < 0)
		msg_fatal(MSG_EXIT_FAIL, "%s", err);
	msg_info("%s", why);
	return 0;
}

/* source_read - see source.h */
int
source_read(const struct source *S, struct cache *cache,
    const struct scan_sink *to, struct scan_stats *st, char *err, size_t errlen)
{
	struct spool_opts so;

	switch (S->kind) {
	case SRC_POSTQUEUE:
		return pq_scan(S->config_dir, to, st, err, errlen);
	case SRC_SHOWQ:
		return sq_scan(S->queue_fd, S->queue_dir, to, st, err, errlen);
	case SRC_SPOOL:
		break;
	}
	memset(&so, 0, sizeof(so));
	so.threads = S->threads;
	so.cache = cache;
	so.queue_fd = S->queue_fd;
	so.queues = S->queues;
	so.watch = S->watch;
	so.full = S->full;
	return spool_scan(S->queue_dir, &so, to, st, err, errlen);
}

/* source_reload - see source.h */
void
source_reload(struct source *S, const struct settings *cfg, char *dir)
{
	if (strcmp(dir, S->queue_dir) != 0) {
		if (S->queue_fd >= 0)
			close(S->queue_fd);
		S->queue_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		S->generation++;
	}
	free(S->queue_dir);
	S->queue_dir = dir;
	free(S->config_dir);
	S->config_dir = cfg->config_dir ? xstrdup(cfg->config_dir) : NULL;
	S->threads = scan_threads(cfg);
}

/* source_follow - see source.h */
unsigned
source_follow(struct source *S)
{
	struct stat now, held;
	char	safe[256];
	int	fd;

	if (S->kind == SRC_POSTQUEUE || stat(S->queue_dir, &now) < 0)
		return S->generation;
	if (S->queue_fd >= 0 && fstat(S->queue_fd, &held) == 0
	    && held.st_dev == now.st_dev && held.st_ino == now.st_ino)
		return S->generation;
	if ((fd = open(S->queue_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return S->generation;
	if (S->queue_fd >= 0) {
		msg_warn("the queue directory %s is another directory now (a file "
		    "system mounted on it, a fail-over): reading the new one",
		    printable_for_log(safe, sizeof(safe), S->queue_dir,
		    strlen(S->queue_dir)));
		close(S->queue_fd);
	}
	S->queue_fd = fd;
	return ++S->generation;
}

/* source_close - the directory and the strings */
void
source_close(struct source *S)
{
	if (S->queue_fd >= 0)
		close(S->queue_fd);
	free(S->queue_dir);
	free(S->config_dir);
	S->queue_fd = -1;
	S->queue_dir = S->config_dir = NULL;
}
