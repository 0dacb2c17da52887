/*
 * priv.h - give up what pfqmon does not need before it reads the queue.
 *
 * SYNOPSIS
 *	priv_drop(queue_fd, user, &why, err, n);	root: become user
 *	priv_restrict(&why, err, n);		no writes, ever again
 *
 * DESCRIPTION
 *	priv_drop() does nothing unless the process runs as root. Then it
 *	becomes user (--user) or, by default, the owner of the queue
 *	(Postfix's mail_owner owns the queue directories, so that user can
 *	already read every queue file and needs nothing more): supplementary
 *	groups, group and user are all changed, and it checks that root
 *	cannot be regained. A queue whose queue directories are owned by
 *	root (a copy, a directory under a world-writable one) or that has
 *	none is refused unless user names whom to read it as: root parses
 *	another user's files only when asked to with --user root.
 *
 *	priv_restrict() makes the rest of the process unable to write to
 *	the file system: no new privileges (setuid and setgid programs run
 *	without them), a Landlock ruleset that handles every write-like
 *	access right the kernel knows and grants none (reads are untouched),
 *	and a seccomp filter that refuses the metadata changes Landlock does
 *	not cover (chmod, chown, utimes, xattrs, truncate). Either layer
 *	missing from the kernel is skipped silently; why says what applies.
 *
 *	Files opened before the call (stdout, the push connection) stay as
 *	they are; pfqmon opens no file for writing afterwards.
 *
 * DIAGNOSTICS
 *	Both return 0, or -1 with a one-line reason in err (an unknown
 *	user, a failed setuid): the caller stops, since running on with
 *	more privilege than asked for is worse than not running.
 */
#ifndef PFQ_PRIV_H
#define PFQ_PRIV_H

#include <stddef.h>

#define PRIV_WHY_MAX	160

int	priv_drop(int, const char *, char *, size_t, char *, size_t);
int	priv_restrict(char *, size_t, char *, size_t);

#endif
