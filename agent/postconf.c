/*
 * postconf.c - queue_directory from postconf(1) (see postconf.h).
 *
 * The command runs with a fixed argument vector and no shell; its output
 * is read up to a bound and checked before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"
#include "postconf.h"
#include "xalloc.h"

#define POSTCONF_PATH	"/usr/sbin/postconf"
#define OUTPUT_MAX	4096

extern char **environ;

/* spawn_postconf - start postconf with stdout and stderr on a pipe */
static int
spawn_postconf(const char *config_dir, pid_t *pid, int *rfd)
{
	/* posix_spawn() wants writable strings: give it copies. */
	char	a_cmd[] = "postconf", a_c[] = "-c", a_h[] = "-h";
	char	a_name[] = "queue_directory", a_dir[PATH_MAX];
	char   *argv[6];
	posix_spawn_file_actions_t fa;
	int	p[2], i = 0, rc;

	argv[i++] = a_cmd;
	if (config_dir != NULL) {
		if (strlen(config_dir) >= sizeof(a_dir))
			return ENAMETOOLONG;
		memcpy(a_dir, config_dir, strlen(config_dir) + 1);
		argv[i++] = a_c;
		argv[i++] = a_dir;
	}
	argv[i++] = a_h;
	argv[i++] = a_name;
	argv[i] = NULL;

	if (pipe(p) < 0)
		return errno;
	/* Only the dup2'd copies may reach postconf. */
	(void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
	    O_RDONLY, 0)) == 0
	    && (rc = posix_spawn_file_actions_adddup2(&fa, p[1], 1)) == 0
	    && (rc = posix_spawn_file_actions_adddup2(&fa, p[1], 2)) == 0) {
		/* Non-root PATHs often lack /usr/sbin: try Debian's place first. */
		if (access(POSTCONF_PATH, X_OK) == 0)
			rc = posix_spawn(pid, POSTCONF_PATH, &fa, NULL, argv,
			    environ);
		else
			rc = posix_spawnp(pid, "postconf", &fa, NULL, argv,
			    environ);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		return rc;
	}
	*rfd = p[0];
	return 0;
}

/* read_bounded - read up to cap-1 bytes, drain the rest, NUL-terminate */
static size_t
read_bounded(int fd, char *buf, size_t cap)
{
	size_t	len = 0;
	char	sink[512];
	ssize_t	n;

	for (;;) {
		if (len < cap - 1)
			n = read(fd, buf + len, cap - 1 - len);
		else
			n = read(fd, sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < cap - 1)
			len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

/* first_line - cut the text at its first newline */
static void
first_line(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
}

/* postconf_queue_directory - the queue directory of an instance */
char *
postconf_queue_directory(const char *config_dir, char *err, size_t errlen)
{
	char	out[OUTPUT_MAX], safe[OUTPUT_MAX];
	pid_t	pid;
	int	fd, status, rc;

	if ((rc = spawn_postconf(config_dir, &pid, &fd)) != 0) {
		snprintf(err, errlen, "cannot run postconf: %s", strerror(rc));
		return NULL;
	}
	read_bounded(fd, out, sizeof(out));
	close(fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return NULL;
		}
	first_line(out);
	printable_for_log(safe, sizeof(safe), out, strlen(out));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "postconf failed: %s",
		    *safe ? safe : "no output");
		return NULL;
	}
	if (out[0] != '/' || strlen(out) >= PATH_MAX
	    || strcmp(out, safe) != 0) {
		snprintf(err, errlen, "postconf gave an unusable "
		    "queue_directory: \"%s\"", safe);
		return NULL;
	}
	return xstrdup(out);
}
