/*
 * priv.c - drop root and forbid writes before the queue is read (priv.h).
 *
 * Trusts the kernel and the password database; nothing from the spool
 * but the owner of its directories. Every layer is checked: a drop that
 * did not take is an error, a sandbox the kernel lacks is skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>

#include "priv.h"

/*
 * owner_of_queue - the uid that owns the open queue directory's queues,
 * or -1 when it has none. The top directory is root's; Postfix gives
 * the queues to mail_owner.
 */
static long
owner_of_queue(int queue_fd)
{
	static const char *const queues[] = {
		"deferred", "active", "incoming", "hold",
	};
	struct stat sb;
	size_t	i;

	for (i = 0; i < sizeof(queues) / sizeof(queues[0]); i++)
		if (queue_fd >= 0 && fstatat(queue_fd, queues[i], &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode))
			return (long)sb.st_uid;
	return -1;
}

/* priv_drop - see priv.h */
int
priv_drop(int queue_fd, const char *user, char *why, size_t whylen,
    char *err, size_t errlen)
{
	struct passwd *pw;
	uid_t	uid;
	gid_t	gid;

	if (geteuid() != 0) {
		if (user != NULL) {
			errno = 0;
			if ((pw = getpwnam(user)) == NULL) {
				snprintf(err, errlen, "user: no such user: %s", user);
				return -1;
			}
			if (pw->pw_uid != geteuid()) {
				snprintf(err, errlen, "user: becoming %s needs root", user);
				return -1;
			}
		}
		snprintf(why, whylen, "not root: running as uid %u", (unsigned)geteuid());
		return 0;
	}
	if (user != NULL) {
		if ((pw = getpwnam(user)) == NULL) {
			snprintf(err, errlen, "user: no such user: %s", user);
			return -1;
		}
	} else {
		long	owner = owner_of_queue(queue_fd);

		/* Root reads another user's files only when told to. */
		if (owner < 0) {
			snprintf(err, errlen, "cannot tell whose queue this is (no "
			    "deferred, active, incoming or hold directory in it): "
			    "name the user to read it as with --user");
			return -1;
		}
		if (owner == 0) {
			snprintf(err, errlen, "the queue directories are owned by root, "
			    "not by Postfix's mail_owner: pfqmon will not parse them "
			    "as root unless told so with --user root (or name the "
			    "user to read them as with --user)");
			return -1;
		}
		uid = (uid_t)owner;
		if ((pw = getpwuid(uid)) == NULL) {
			snprintf(err, errlen, "the queue's owner (uid %u) has no "
			    "password entry; name one with --user", (unsigned)uid);
			return -1;
		}
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	/* Only the user's own group: supplementary groups give more than read. */
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0
	    || setresuid(uid, uid, uid) < 0) {
		snprintf(err, errlen, "cannot become %s: %s", pw->pw_name, strerror(errno));
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "could regain root after becoming %s", pw->pw_name);
		return -1;
	}
	snprintf(why, whylen, "running as %s (uid %u, gid %u)", pw->pw_name,
	    (unsigned)uid, (unsigned)gid);
	return 0;
}

/* landlock_no_writes - handle every write-like right, grant none */
static int
landlock_no_writes(void)
{
	struct landlock_ruleset_attr attr;
	long	abi;
	int	fd, rc;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1)
		return -1;		/* not built in, or disabled at boot */
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = LANDLOCK_ACCESS_FS_WRITE_FILE
	    | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE
	    | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR
	    | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK
	    | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK
	    | LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
	/* Only the fields this ABI knows: a newer header on an older kernel. */
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    sizeof(attr.handled_access_fs), 0);
	if (fd < 0)
		return -1;
	rc = (int)syscall(SYS_landlock_restrict_self, fd, 0);
	close(fd);
	return rc;
}

#if defined(__x86_64__)
#define PRIV_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PRIV_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#endif

#ifdef PRIV_AUDIT_ARCH

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LOW(n)	(offsetof(struct seccomp_data, args) + 8 * (n))
#else
#define ARG_LOW(n)	(offsetof(struct seccomp_data, args) + 8 * (n) + 4)
#endif
#define DENY		(SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define WRITE_FLAGS	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)
#define FILTER_MAX	160

/* Calls a scan makes for every file or directory: allowed at once. */
static const int hot[] = {
	__NR_pread64, __NR_close, __NR_newfstatat, __NR_fstat,
	__NR_getdents64, __NR_futex,
};

/* Calls that change the file system; some exist only on some arches. */
static const int denied[] = {
#ifdef __NR_chmod
	__NR_chmod,
#endif
#ifdef __NR_chown
	__NR_chown,
#endif
#ifdef __NR_lchown
	__NR_lchown,
#endif
#ifdef __NR_creat
	__NR_creat,
#endif
#ifdef __NR_unlink
	__NR_unlink,
#endif
#ifdef __NR_rename
	__NR_rename,
#endif
#ifdef __NR_link
	__NR_link,
#endif
#ifdef __NR_symlink
	__NR_symlink,
#endif
#ifdef __NR_mkdir
	__NR_mkdir,
#endif
#ifdef __NR_rmdir
	__NR_rmdir,
#endif
#ifdef __NR_mknod
	__NR_mknod,
#endif
#ifdef __NR_utime
	__NR_utime,
#endif
#ifdef __NR_utimes
	__NR_utimes,
#endif
#ifdef __NR_futimesat
	__NR_futimesat,
#endif
#ifdef __NR_fchmodat2
	__NR_fchmodat2,
#endif
#ifdef __NR_openat2
	__NR_openat2,			/* flags behind a pointer: refuse it */
#endif
	__NR_fchmod, __NR_fchmodat, __NR_fchown, __NR_fchownat,
	__NR_truncate, __NR_ftruncate, __NR_fallocate, __NR_utimensat,
	__NR_setxattr, __NR_lsetxattr, __NR_fsetxattr,
	__NR_removexattr, __NR_lremovexattr, __NR_fremovexattr,
	__NR_unlinkat, __NR_renameat, __NR_renameat2, __NR_linkat,
	__NR_symlinkat, __NR_mkdirat, __NR_mknodat,
};

/* seccomp_no_writes - refuse calls that change files, and write opens */
static int
seccomp_no_writes(void)
{
	struct sock_filter f[FILTER_MAX];
	struct sock_fprog prog;
	size_t	n = 0, i;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    PRIV_AUDIT_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, DENY);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
	/* x32 calls carry the same arch with this bit set */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
	    0x40000000, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, DENY);
#endif
	/* The scan's own calls first: every file costs a few of them. */
	for (i = 0; i < sizeof(hot) / sizeof(hot[0]); i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    (unsigned)hot[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    SECCOMP_RET_ALLOW);
	}
	/*
	 * open(path, flags) and openat(dir, path, flags): read-only opens
	 * pass. A call that is not this one jumps over the check with the
	 * number still loaded.
	 */
#define OPEN_CHECK(sysno, argi) do { \
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, \
	    (unsigned)(sysno), 0, 4); \
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, \
	    ARG_LOW(argi)); \
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, \
	    WRITE_FLAGS, 0, 1); \
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, DENY); \
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW); \
} while (0)
	OPEN_CHECK(__NR_openat, 2);
#ifdef __NR_open
	OPEN_CHECK(__NR_open, 1);
#endif
#undef OPEN_CHECK
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    (unsigned)denied[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, DENY);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	_Static_assert(2 * (sizeof(denied) + sizeof(hot)) / sizeof(int) + 17
	    <= FILTER_MAX,
	    "the filter fits");

	prog.len = (unsigned short)n;
	prog.filter = f;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
#else
static int
seccomp_no_writes(void)
{
	return -1;			/* no filter written for this arch */
}
#endif

/* priv_restrict - see priv.h */
int
priv_restrict(char *why, size_t whylen, char *err, size_t errlen)
{
	int	ll, sc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	ll = landlock_no_writes();
	sc = seccomp_no_writes();
	snprintf(why, whylen, "no new privileges; Landlock %s; seccomp %s",
	    ll == 0 ? "forbids writes" : "not available",
	    sc == 0 ? "forbids chmod, chown, truncate and write opens"
	    : "not available");
	return 0;
}
