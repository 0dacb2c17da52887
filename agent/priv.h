/*
 * priv.h - give up what pfqmon does not need before it reads the queue.
 *
 * SYNOPSIS
 *	priv_drop(queue_fd, user, &why, err, n);	root: become user
 *	priv_restrict(&why, err, n);		no changes, ever again
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
 *	priv_restrict() makes the rest of the process unable to change the
 *	file system: no new privileges (setuid and setgid programs run
 *	without them), a Landlock ruleset that handles every write-like
 *	access right the kernel knows and grants none (reads are untouched),
 *	and a seccomp filter that is an allow-list of the calls pfqmon makes
 *	from then on, in every mode, and nothing else; any other call fails
 *	with EPERM (an error message, not a crash). Allowed:
 *
 *	  read-only opens (openat without O_WRONLY, O_RDWR, O_CREAT,
 *	  O_TRUNC, O_APPEND), read, pread64, close, the stat calls,
 *	  getdents64, lseek; write and writev (stdout, stderr, sockets);
 *	  brk, mmap, munmap, mremap, mprotect, madvise; clone for threads
 *	  only (CLONE_THREAD, no new namespace; clone3 answers ENOSYS so
 *	  that glibc uses clone), futex, set_robust_list, rseq, exit,
 *	  exit_group, getpid, gettid, tgkill to this process; signal
 *	  handling and masks, rt_sigtimedwait, restart_syscall, ppoll, poll,
 *	  clock_nanosleep, the clocks, sched_yield, getrandom, sysinfo, uname;
 *	  socket for AF_INET, AF_INET6 and AF_UNIX, socketpair for AF_UNIX,
 *	  connect, get/setsockopt, getsockname, getpeername, sendto,
 *	  sendmmsg, recvfrom, recvmsg; accept4, sendmsg and shutdown for
 *	  pfqmon serve (serve.h: bind and listen are not allowed, so it
 *	  accepts only on the socket made before); fcntl F_GETFD, F_SETFD, F_GETFL,
 *	  F_DUPFD_CLOEXEC and F_SETFL without O_APPEND, O_ASYNC, O_DIRECT or
 *	  O_NOATIME; ioctl TCGETS and FIONREAD.
 *
 *	So among others: no chmod, chown, xattrs, utimes, truncate,
 *	fallocate, link, rename, unlink, mkdir, mknod, no openat2 (its flags
 *	are behind a pointer), no io_uring (whose operations would not pass
 *	the filter), no flock, fcntl locks or leases, no FS_IOC_SETFLAGS,
 *	no process (fork, exec, ptrace, process_vm_writev, kill), no mount,
 *	bpf, userfaultfd, personality, memfd, inotify or fanotify. A call
 *	of another ABI (x32, i386) fails too. An AddressSanitizer build
 *	allows a few more calls for its runtime (priv.c). Either layer
 *	missing from the kernel is skipped silently; why says what applies.
 *	Call it before the first thread starts: the filter is applied to
 *	every thread, but Landlock only to the calling one.
 *
 *	Files opened before the call (stdout, the push connection) stay as
 *	they are; pfqmon opens no file for writing afterwards. Postfix
 *	programs started afterwards come from a helper forked before it
 *	(child.h).
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
