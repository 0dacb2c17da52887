/*
 * child.h - run one of Postfix's own programs without a shell, also
 * from inside the sandbox.
 *
 * SYNOPSIS
 *	child_helper(config_dir)		before priv_restrict()
 *	child_postfix(CHILD_POSTQUEUE, config_dir, &pid, &out, &err)
 *	... read out and err to their end, close them ...
 *	child_wait(pid, &status)
 *
 * DESCRIPTION
 *	child_postfix() runs one program of a fixed menu: CHILD_POSTCONF,
 *	"postconf [-c config_dir] -h queue_directory", or CHILD_POSTQUEUE,
 *	"postqueue [-c config_dir] -j". Each is /usr/sbin/NAME, or NAME on
 *	PATH when that is not executable (non-root PATHs often lack
 *	/usr/sbin). The child gets stdin on /dev/null (never Telegraf's
 *	stdin, where execd mode reads its signals), stdout and stderr on
 *	pipes whose read ends it returns, and default signal handling. Only
 *	those copies reach the child. The caller reads both, closes them and
 *	calls child_wait() for the exit status (as waitpid() gives it).
 *
 *	The sandbox (priv.h) lets pfqmon start no process. child_helper(),
 *	called before it, forks a helper that keeps the rights pfqmon had
 *	then (the user it dropped to, no sandbox) and from then on starts
 *	every child_postfix() program: it takes nothing from pfqmon but the
 *	number of a menu entry, runs it with the config_dir it was given
 *	at start, passes the two pipes back and reports the exit status. It
 *	ends when pfqmon closes its end (pfqmon exits, or is killed).
 *	Without a helper, child_postfix() starts the program itself.
 *
 * DIAGNOSTICS
 *	child_helper() and child_postfix() return 0 or an errno value
 *	(EINVAL: another config_dir than the helper's; EPIPE: the helper is
 *	gone). child_wait() returns 0, or -1 with errno set.
 */
#ifndef PFQ_CHILD_H
#define PFQ_CHILD_H

#include <sys/types.h>

enum child_prog {
	CHILD_POSTCONF,			/* postconf -h queue_directory */
	CHILD_POSTQUEUE,		/* postqueue -j */
	CHILD_PROGS
};

int	child_helper(const char *);
int	child_postfix(enum child_prog, const char *, pid_t *, int *, int *);
int	child_wait(pid_t, int *);

#endif
