/*
 * child.c - start a Postfix program with its output on pipes (child.h).
 *
 * Trusts the path it is given and the environment pfqmon was started
 * with; no shell ever sees an argument.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <unistd.h>

#include "child.h"

extern char **environ;

/* close_pair - close both ends of a pipe */
static void
close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/*
 * plain_signals - the child starts with no signal blocked and the
 * default action for those pfqmon holds or ignores (main blocks
 * SIGTERM, SIGINT and SIGHUP and ignores SIGPIPE; both would be
 * inherited through exec).
 */
static int
plain_signals(posix_spawnattr_t *at)
{
	sigset_t none, deflt;
	int	rc;

	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGINT);
	sigaddset(&deflt, SIGHUP);
	if ((rc = posix_spawnattr_init(at)) != 0)
		return rc;
	if ((rc = posix_spawnattr_setsigmask(at, &none)) != 0
	    || (rc = posix_spawnattr_setsigdefault(at, &deflt)) != 0
	    || (rc = posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGMASK
	    | POSIX_SPAWN_SETSIGDEF)) != 0)
		posix_spawnattr_destroy(at);
	return rc;
}

/* child_spawn - path or argv[0] on PATH, output on two pipes */
static int
child_spawn(const char *path, char *const argv[], pid_t *pid, int *rout,
    int *rerr)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int	out[2], err[2], i, rc;

	if (pipe(out) < 0)
		return errno;
	if (pipe(err) < 0) {
		rc = errno;
		close_pair(out);
		return rc;
	}
	/* Only the dup2'd copies may reach the child. */
	for (i = 0; i < 2; i++) {
		(void)fcntl(out[i], F_SETFD, FD_CLOEXEC);
		(void)fcntl(err[i], F_SETFD, FD_CLOEXEC);
	}
	if ((rc = plain_signals(&at)) != 0) {
		close_pair(out);
		close_pair(err);
		return rc;
	}
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		posix_spawnattr_destroy(&at);
		close_pair(out);
		close_pair(err);
		return rc;
	}
	if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
	    O_RDONLY, 0)) == 0
	    && (rc = posix_spawn_file_actions_adddup2(&fa, out[1], 1)) == 0
	    && (rc = posix_spawn_file_actions_adddup2(&fa, err[1], 2)) == 0)
		rc = access(path, X_OK) == 0 ?
		    posix_spawn(pid, path, &fa, &at, argv, environ) :
		    posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(out[1]);
	close(err[1]);
	if (rc != 0) {
		close(out[0]);
		close(err[0]);
		return rc;
	}
	*rout = out[0];
	*rerr = err[0];
	return 0;
}

/*
 * add_arg - copy one argument into store: posix_spawn() wants writable
 * strings. Returns -1 when store is full.
 */
static int
add_arg(char **argv, size_t *argc, char *store, size_t cap, size_t *used,
    const char *arg)
{
	size_t	len = strlen(arg) + 1;

	if (len > cap - *used)
		return -1;
	memcpy(store + *used, arg, len);
	argv[(*argc)++] = store + *used;
	*used += len;
	return 0;
}

/* child_postfix - see child.h */
int
child_postfix(const char *path, const char *config_dir,
    const char *const args[], pid_t *pid, int *rout, int *rerr)
{
	char	store[PATH_MAX + 512], *argv[CHILD_ARGS_MAX + 4];
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t	argc = 0, used = 0, i;

	if (add_arg(argv, &argc, store, sizeof(store), &used, name) < 0
	    || (config_dir != NULL
	    && (add_arg(argv, &argc, store, sizeof(store), &used, "-c") < 0
	    || add_arg(argv, &argc, store, sizeof(store), &used, config_dir) < 0)))
		return ENAMETOOLONG;
	for (i = 0; args[i] != NULL; i++)
		if (i == CHILD_ARGS_MAX
		    || add_arg(argv, &argc, store, sizeof(store), &used, args[i]) < 0)
			return E2BIG;
	argv[argc] = NULL;
	return child_spawn(path, argv, pid, rout, rerr);
}
