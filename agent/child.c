/*
 * child.c - start a Postfix program with its output on pipes, itself or
 * through the spawn helper (child.h).
 *
 * Trusts the menu below and the environment pfqmon was started with; no
 * shell ever sees an argument. The helper trusts nothing from pfqmon but
 * a menu number, so a sandboxed pfqmon gone wrong can have it run
 * postconf or postqueue -j, and nothing else.
 */
#define _GNU_SOURCE		/* dup3(), closefrom(), MSG_CMSG_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "xalloc.h"

#define HELPER_FD	3	/* the helper's end of the socket, in the helper */

extern char **environ;

static const struct {
	const char *path;
	const char *args[3];
} menu[CHILD_PROGS] = {
	[CHILD_POSTCONF] = {"/usr/sbin/postconf", {"-h", "queue_directory", NULL}},
	[CHILD_POSTQUEUE] = {"/usr/sbin/postqueue", {"-j", NULL}},
};

/* Once the helper runs: pfqmon's end of its socket, its pid and -c. */
static int helper_fd = -1;
static pid_t helper_pid;
static char *helper_config;

/* close_pair - close both ends of a pipe */
static void
close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/*
 * spawn_attr - the child starts with no signal blocked and the default
 * action for those pfqmon (or the helper) catches or ignores.
 */
static int
spawn_attr(posix_spawnattr_t *attr)
{
	static const int sigs[] = {SIGHUP, SIGINT, SIGTERM, SIGPIPE};
	sigset_t none, dfl;
	size_t	i;
	int	rc;

	sigemptyset(&none);
	sigemptyset(&dfl);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&dfl, sigs[i]);
	if ((rc = posix_spawnattr_init(attr)) != 0)
		return rc;
	if ((rc = posix_spawnattr_setsigmask(attr, &none)) != 0
	    || (rc = posix_spawnattr_setsigdefault(attr, &dfl)) != 0
	    || (rc = posix_spawnattr_setflags(attr,
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) != 0)
		posix_spawnattr_destroy(attr);
	return rc;
}

/* child_spawn - path or argv[0] on PATH, output on two pipes */
static int
child_spawn(const char *path, char *const argv[], pid_t *pid, int *rout,
    int *rerr)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
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
	if ((rc = spawn_attr(&attr)) != 0) {
		close_pair(out);
		close_pair(err);
		return rc;
	}
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		posix_spawnattr_destroy(&attr);
		close_pair(out);
		close_pair(err);
		return rc;
	}
	if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
	    O_RDONLY, 0)) == 0
	    && (rc = posix_spawn_file_actions_adddup2(&fa, out[1], 1)) == 0
	    && (rc = posix_spawn_file_actions_adddup2(&fa, err[1], 2)) == 0)
		rc = access(path, X_OK) == 0 ?
		    posix_spawn(pid, path, &fa, &attr, argv, environ) :
		    posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
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

/* spawn_prog - "NAME [-c config_dir] args" of a menu entry */
static int
spawn_prog(enum child_prog prog, const char *config_dir, pid_t *pid,
    int *rout, int *rerr)
{
	char	store[PATH_MAX + 512], *argv[8];
	const char *path = menu[prog].path;
	const char *name = strrchr(path, '/') + 1;
	size_t	argc = 0, used = 0, i;

	if (add_arg(argv, &argc, store, sizeof(store), &used, name) < 0
	    || (config_dir != NULL
	    && (add_arg(argv, &argc, store, sizeof(store), &used, "-c") < 0
	    || add_arg(argv, &argc, store, sizeof(store), &used, config_dir) < 0)))
		return ENAMETOOLONG;
	for (i = 0; menu[prog].args[i] != NULL; i++)
		if (add_arg(argv, &argc, store, sizeof(store), &used,
		    menu[prog].args[i]) < 0)
			return E2BIG;
	argv[argc] = NULL;
	return child_spawn(path, argv, pid, rout, rerr);
}

/* send_reply - the helper's answer: a number, with two pipes or none */
static void
send_reply(int fd, int value, const int *fds)
{
	union {
		struct cmsghdr hdr;
		char	buf[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &value;
	iov.iov_len = sizeof(value);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fds != NULL) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, 2 * sizeof(int));
	}
	/* pfqmon gone: the next recv() sees the end and the helper exits. */
	while (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/*
 * helper_serve - the helper's life: for each request byte, start that
 * menu entry, send its pipes, wait for it and send its status.
 */
static void __attribute__((noreturn))
helper_serve(int fd, const char *config_dir)
{
	unsigned char req;
	ssize_t	n;
	pid_t	pid;
	int	fds[2], status, rc, null;

	/* Ended by pfqmon closing the socket, not by signals meant for it. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	(void)prctl(PR_SET_NAME, "pfqmon-spawn", 0, 0, 0);
	/* Nothing of pfqmon's but the socket: none of Telegraf's pipes. */
	if ((fd != HELPER_FD && dup3(fd, HELPER_FD, O_CLOEXEC) < 0)
	    || (null = open("/dev/null", O_RDWR)) < 0
	    || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(1);
	closefrom(HELPER_FD + 1);
	for (;;) {
		if ((n = recv(HELPER_FD, &req, 1, 0)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		rc = req < CHILD_PROGS ? spawn_prog((enum child_prog)req,
		    config_dir, &pid, &fds[0], &fds[1]) : EINVAL;
		send_reply(HELPER_FD, rc, rc == 0 ? fds : NULL);
		if (rc != 0)
			continue;
		close_pair(fds);
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR) {
				status = -1;
				break;
			}
		send_reply(HELPER_FD, status, NULL);
	}
}

/* child_helper - see child.h */
int
child_helper(const char *config_dir)
{
	pid_t	pid;
	int	sv[2], rc;

	if (helper_fd >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return errno;
	if ((pid = fork()) < 0) {
		rc = errno;
		close_pair(sv);
		return rc;
	}
	if (pid == 0) {
		close(sv[0]);
		helper_serve(sv[1], config_dir);
	}
	close(sv[1]);
	helper_fd = sv[0];
	helper_pid = pid;
	helper_config = config_dir ? xstrdup(config_dir) : NULL;
	return 0;
}

/*
 * recv_reply - one answer of the helper: a number, with the two pipes
 * when fds is given and the number is 0. Returns 0 or an errno value.
 */
static int
recv_reply(int *value, int *fds)
{
	union {
		struct cmsghdr hdr;
		char	buf[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;
	ssize_t	n;
	int	got[2], ngot = 0;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = value;
	iov.iov_len = sizeof(*value);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	while ((n = recvmsg(helper_fd, &mh, MSG_CMSG_CLOEXEC)) < 0)
		if (errno != EINTR)
			return errno;
	if (n == 0)
		return EPIPE;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS
		    && cm->cmsg_len == CMSG_LEN(2 * sizeof(int)) && ngot == 0) {
			memcpy(got, CMSG_DATA(cm), sizeof(got));
			ngot = 2;
		}
	if (n != sizeof(*value) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
	    || ngot != (fds != NULL && *value == 0 ? 2 : 0)) {
		if (ngot)
			close_pair(got);
		return EPROTO;
	}
	if (ngot)
		memcpy(fds, got, sizeof(got));
	return 0;
}

/* same_config - the same -c, or both the default instance */
static int
same_config(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* child_postfix - see child.h */
int
child_postfix(enum child_prog prog, const char *config_dir, pid_t *pid,
    int *rout, int *rerr)
{
	unsigned char req = (unsigned char)prog;
	int	fds[2], value, rc;

	if ((unsigned)prog >= CHILD_PROGS)
		return EINVAL;
	if (helper_fd < 0)
		return spawn_prog(prog, config_dir, pid, rout, rerr);
	if (!same_config(config_dir, helper_config))
		return EINVAL;
	while (send(helper_fd, &req, 1, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return errno;
	if ((rc = recv_reply(&value, fds)) != 0)
		return rc;
	if (value != 0)
		return value;
	*pid = helper_pid;
	*rout = fds[0];
	*rerr = fds[1];
	return 0;
}

/* child_wait - see child.h */
int
child_wait(pid_t pid, int *status)
{
	int	rc;

	if (helper_fd >= 0) {
		if ((rc = recv_reply(status, NULL)) != 0) {
			errno = rc;
			return -1;
		}
		return 0;
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}
