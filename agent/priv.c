/*
 * priv.c - drop root and forbid every change before the queue is read
 * (priv.h).
 *
 * Trusts the kernel and the password database; nothing from the spool
 * but the owner of its directories. Every layer is checked: a drop that
 * did not take is an error, a sandbox the kernel lacks is skipped. The
 * seccomp filter is an allow-list because a deny-list cannot keep up:
 * io_uring, flock and ioctl each changed a queue file past the old one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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

/*
 * The allow-list. A call is allowed when one of its rows holds: a row
 * with no condition always does, a row with conditions when all of them
 * hold. Everything else fails with EPERM, so that a call forgotten here
 * is an error message, not a crash. Conditions look at the low 32 bits
 * of an argument: each one checked below is an int or unsigned int to
 * the kernel, which ignores the high half. A new call shows in strace -f
 * as EPERM; one that a library shrugs off (pthread_create, qsort's
 * sysinfo) is easier found with SECCOMP_RET_LOG as the last action and
 * the kernel's audit records.
 */
enum cond_op { C_NONE, C_EQ, C_ALL, C_NONE_OF, C_OWN_PID };

struct cond {
	unsigned char arg;
	unsigned char op;		/* enum cond_op */
	uint32_t k;
};

struct rule {
	int	nr;
	struct cond c[2];		/* all must hold; C_NONE ends the list */
	int	err;			/* 0: allow; else refuse with this errno */
};

#define ALLOW(nr)		{(nr), {{0, C_NONE, 0}}, 0}
#define ALLOW_IF(nr, c1)	{(nr), {c1}, 0}
#define ALLOW_IF2(nr, c1, c2)	{(nr), {c1, c2}, 0}
#define REFUSE(nr, e)		{(nr), {{0, C_NONE, 0}}, (e)}
#define EQ(a, k)		{(a), C_EQ, (uint32_t)(k)}
#define ALL(a, k)		{(a), C_ALL, (uint32_t)(k)}
#define NONE_OF(a, k)		{(a), C_NONE_OF, (uint32_t)(k)}
#define OWN_PID(a)		{(a), C_OWN_PID, 0}

#define WRITE_FLAGS	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)
#define SETFL_HARMFUL	(O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME)
#define CLONE_NEW_ANY	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS \
			| CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

static const struct rule allowed[] = {
	/* The scan: every file and directory costs a few of these. */
	ALLOW_IF(__NR_openat, NONE_OF(2, WRITE_FLAGS)),	/* read-only opens */
	ALLOW(__NR_pread64),
	ALLOW(__NR_read),
	ALLOW(__NR_close),
	ALLOW(__NR_newfstatat),			/* stat(), fstat() in glibc 2.33+ */
	ALLOW(__NR_fstat),			/* what other C libraries use */
	ALLOW(__NR_statx),
	ALLOW(__NR_getdents64),
	ALLOW(__NR_lseek),			/* stdio on the configuration, CA files */
	/* The watched agent: inotify tells changes, it changes nothing. */
	ALLOW(__NR_inotify_init1),
	ALLOW(__NR_inotify_add_watch),
	/* Output: stdout, stderr and sockets opened before or read-only. */
	ALLOW(__NR_write),
	ALLOW(__NR_writev),			/* glibc's abort and assert messages */
	/* Memory. */
	ALLOW(__NR_brk),
	ALLOW(__NR_mmap),
	ALLOW(__NR_munmap),
	ALLOW(__NR_mremap),			/* realloc of large buffers */
	ALLOW(__NR_mprotect),			/* thread stacks' guard pages */
	ALLOW(__NR_madvise),			/* freeing a finished thread's stack */
	/* Scan threads and libcurl's resolver thread: threads, never processes. */
	ALLOW_IF2(__NR_clone, ALL(0, CLONE_THREAD), NONE_OF(0, CLONE_NEW_ANY)),
	REFUSE(__NR_clone3, ENOSYS),		/* flags behind a pointer: glibc falls back to clone */
	ALLOW(__NR_set_robust_list),
	ALLOW(__NR_rseq),
	ALLOW(__NR_futex),
	ALLOW(__NR_exit),
	ALLOW(__NR_exit_group),
	ALLOW(__NR_getpid),
	ALLOW_IF(__NR_tgkill, OWN_PID(0)),	/* raise(), abort(): this process only */
	/* valgrind's scheduler, in pfqmon's name (make check runs it so). */
	ALLOW(__NR_gettid),
	ALLOW(__NR_rt_sigtimedwait),
	ALLOW(__NR_sched_yield),
	/* Signals and waiting: the agent's loops, the push's back-off. */
	ALLOW(__NR_rt_sigaction),
	ALLOW(__NR_rt_sigprocmask),
	ALLOW(__NR_rt_sigreturn),
	ALLOW(__NR_restart_syscall),		/* a sleep resumed after SIGSTOP */
	ALLOW(__NR_ppoll),
#ifdef __NR_poll
	ALLOW(__NR_poll),			/* libcurl, the resolver */
#endif
	ALLOW(__NR_clock_nanosleep),
	ALLOW(__NR_clock_gettime),		/* when the vDSO cannot answer */
	ALLOW(__NR_gettimeofday),
#ifdef __NR_time
	ALLOW(__NR_time),
#endif
	ALLOW(__NR_getrandom),			/* TLS, hash seeds */
	ALLOW(__NR_sysinfo),			/* qsort() sizes its buffer by the RAM */
	ALLOW(__NR_uname),			/* the host tag after a reload */
	/* The push (TCP, DNS), showq (its Unix socket), the spawn helper. */
	ALLOW_IF(__NR_socket, EQ(0, AF_INET)),
	ALLOW_IF(__NR_socket, EQ(0, AF_INET6)),
	ALLOW_IF(__NR_socket, EQ(0, AF_UNIX)),
	ALLOW_IF(__NR_socketpair, EQ(0, AF_UNIX)),	/* libcurl's wake-up pair */
	ALLOW(__NR_connect),
	ALLOW(__NR_getsockopt),
	ALLOW(__NR_setsockopt),
	ALLOW(__NR_getsockname),
	ALLOW(__NR_getpeername),
	ALLOW(__NR_sendto),
	ALLOW(__NR_sendmmsg),			/* DNS: A and AAAA queries at once */
	ALLOW(__NR_recvfrom),
	ALLOW(__NR_recvmsg),			/* the spawn helper's pipes */
	/*
	 * pfqmon serve (serve.c, libmicrohttpd): connections on the socket
	 * bound before the sandbox. bind and listen stay refused, so no
	 * other socket can be listened on; shutdown ends a connection, and
	 * wakes the server's thread when pfqmon stops; sendmsg sends a
	 * response's header and body in one call. (Its prctl naming the
	 * thread is refused, and needs not succeed.)
	 */
	ALLOW(__NR_accept4),
	ALLOW(__NR_shutdown),
	ALLOW(__NR_sendmsg),
	/* fcntl: descriptor flags and O_NONBLOCK; no locks, leases, owners. */
	ALLOW_IF(__NR_fcntl, EQ(1, F_GETFD)),
	ALLOW_IF(__NR_fcntl, EQ(1, F_SETFD)),
	ALLOW_IF(__NR_fcntl, EQ(1, F_GETFL)),
	ALLOW_IF2(__NR_fcntl, EQ(1, F_SETFL), NONE_OF(2, SETFL_HARMFUL)),
	ALLOW_IF(__NR_fcntl, EQ(1, F_DUPFD_CLOEXEC)),
	/* ioctl: questions only; FS_IOC_SETFLAGS and the like are refused. */
	ALLOW_IF(__NR_ioctl, EQ(1, TCGETS)),	/* isatty(): stdio's buffering */
	ALLOW_IF(__NR_ioctl, EQ(1, FIONREAD)),	/* the resolver */
#ifdef __SANITIZE_ADDRESS__
	/*
	 * The test build with AddressSanitizer only (build/tests/pfqmon-san,
	 * never installed): its runtime reads /proc/self/maps and library
	 * names, and LeakSanitizer stops the threads at exit with a ptrace
	 * helper task.
	 */
#ifdef __NR_open
	ALLOW_IF(__NR_open, NONE_OF(1, WRITE_FLAGS)),
	ALLOW(__NR_readlink),
	ALLOW(__NR_getdents),
#endif
	ALLOW(__NR_clone),
	ALLOW(__NR_ptrace),
	ALLOW(__NR_wait4),
	ALLOW(__NR_prctl),
	ALLOW(__NR_getppid),
	ALLOW(__NR_sigaltstack),
	ALLOW(__NR_prlimit64),
	ALLOW(__NR_sched_getaffinity),
#endif
};

#define RULES		(sizeof(allowed) / sizeof(allowed[0]))
#define ROW_MAX		9	/* nr, 2 x (load, and, jump), return, reload */
#define FILTER_MAX	(8 + ROW_MAX * RULES)
#define ARG_LOW(n)	(offsetof(struct seccomp_data, args) + 8 * (n) \
			+ (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0))
#define RET_ERRNO(e)	(SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

struct prog {
	struct sock_filter f[FILTER_MAX];
	size_t	n;
};

/* emit - one instruction */
static size_t
emit(struct prog *P, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	P->f[P->n] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
	return P->n++;
}

/*
 * emit_rule - "if nr is r->nr and every condition holds: return". A
 * condition that fails jumps to the reload of nr at the end of the row,
 * so the next row sees nr again; another nr jumps past the whole row.
 */
static void
emit_rule(struct prog *P, const struct rule *r, uint32_t pid)
{
	size_t	head, fails[2], nfail = 0, i;
	const struct cond *c;

	head = emit(P, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0, 0);
	for (i = 0; i < 2 && r->c[i].op != C_NONE; i++) {
		c = &r->c[i];
		emit(P, BPF_LD | BPF_W | BPF_ABS, ARG_LOW(c->arg), 0, 0);
		switch (c->op) {
		case C_ALL:
			emit(P, BPF_ALU | BPF_AND | BPF_K, c->k, 0, 0);
			/* FALLTHROUGH */
		case C_EQ:
		case C_OWN_PID:
			fails[nfail++] = emit(P, BPF_JMP | BPF_JEQ | BPF_K,
			    c->op == C_OWN_PID ? pid : c->k, 0, 0);
			break;
		case C_NONE_OF:
			fails[nfail++] = emit(P, BPF_JMP | BPF_JSET | BPF_K,
			    c->k, 0, 0);
			break;
		}
	}
	emit(P, BPF_RET | BPF_K, r->err ? RET_ERRNO(r->err) : SECCOMP_RET_ALLOW,
	    0, 0);
	for (i = 0; i < nfail; i++) {
		if (P->f[fails[i]].code == (BPF_JMP | BPF_JSET | BPF_K))
			P->f[fails[i]].jt = (uint8_t)(P->n - fails[i] - 1);
		else
			P->f[fails[i]].jf = (uint8_t)(P->n - fails[i] - 1);
	}
	if (nfail > 0)
		emit(P, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr),
		    0, 0);
	P->f[head].jf = (uint8_t)(P->n - head - 1);
}

/* seccomp_allow_list - only the calls above; the rest fail with EPERM */
static int
seccomp_allow_list(void)
{
	struct prog P;
	struct sock_fprog prog;
	size_t	i;

	P.n = 0;
	emit(&P, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
	emit(&P, BPF_JMP | BPF_JEQ | BPF_K, PRIV_AUDIT_ARCH, 1, 0);
	emit(&P, BPF_RET | BPF_K, RET_ERRNO(EPERM), 0, 0);
	emit(&P, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
#ifdef __x86_64__
	/* x32 calls carry the same arch with this bit set */
	emit(&P, BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
	emit(&P, BPF_RET | BPF_K, RET_ERRNO(EPERM), 0, 0);
#endif
	for (i = 0; i < RULES; i++)
		emit_rule(&P, &allowed[i], (uint32_t)getpid());
	emit(&P, BPF_RET | BPF_K, RET_ERRNO(EPERM), 0, 0);

	prog.len = (unsigned short)P.n;
	prog.filter = P.f;
	/* Every thread, should there be any: a thread left out is not sandboxed. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
#else
static int
seccomp_allow_list(void)
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
	sc = seccomp_allow_list();
	snprintf(why, whylen, "no new privileges; Landlock %s; seccomp %s",
	    ll == 0 ? "forbids writes" : "not available",
	    sc == 0 ? "allows only the calls pfqmon makes" : "not available");
	return 0;
}
