/*
 * privprobe - after pfqmon's own start-up steps (priv.c), try every way
 * of changing a queue file and its directory; for the privilege tests.
 *
 * usage: privprobe QUEUE_DIR FILE [USER]
 *
 * Opens QUEUE_DIR as root may, calls priv_drop() and priv_restrict() as
 * pfqmon does, then prints one line per attempt: "read ok", and for each
 * change "NAME denied REASON" or "NAME DONE" (a change that went
 * through, which the test counts as a failure). Besides the plain calls
 * it tries the ways around a deny-list: io_uring (a SETXATTR of
 * system.posix_acl_access that would give the file group-execute,
 * Postfix's force-expire bit), flock and fcntl locks and leases on a
 * read-only descriptor, FS_IOC_SETFLAGS, openat2 for writing; and one
 * harmless call that is simply not on the allow-list (personality);
 * and bind and listen on a new socket (pfqmon serve accepts only on the
 * socket it bound before the sandbox).
 * Exit status 0 unless start-up failed. FILE is a queue file inside
 * QUEUE_DIR; nothing is changed if all goes as it should.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/fs.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>

#include "priv.h"

static void
report(const char *what, int rc)
{
	printf("%s %s%s%s\n", what, rc < 0 ? "denied" : "DONE",
	    rc < 0 ? " " : "", rc < 0 ? strerror(errno) : "");
}

/*
 * An ACL equal to mode 0750 (little-endian posix_acl_xattr): setting it
 * sets the mode, group-execute included, as chmod 0750 would.
 */
static const unsigned char acl_0750[] = {
	2, 0, 0, 0,					/* version */
	0x01, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,		/* user::rwx */
	0x04, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,		/* group::r-x */
	0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,		/* other::--- */
};

/* probe_listen - bind and listen on a new loopback socket, both refused */
static void
probe_listen(void)
{
	struct sockaddr_in in;
	int	fd;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
		report("socket-bind", -1);
		report("socket-listen", -1);
		return;
	}
	report("socket-bind", bind(fd, (struct sockaddr *)&in, sizeof(in)));
	report("socket-listen", listen(fd, 1));
	close(fd);
}

/* ring_map - one of the rings io_uring_setup() made, or NULL */
static void *
ring_map(int ring, size_t len, off_t what)
{
	void   *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
	    ring, what);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * uring_setxattr - one IORING_OP_SETXATTR through a ring, raw: the call
 * the kernel makes for it is io_uring_enter(), not setxattr().
 */
static int
uring_setxattr(int ring, const struct io_uring_params *p, const char *path,
    const char *name, const void *value, size_t len)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	unsigned char *sq, *cq;
	unsigned *tail, head;

	sq = ring_map(ring, p->sq_off.array + p->sq_entries * sizeof(unsigned),
	    IORING_OFF_SQ_RING);
	cq = ring_map(ring, p->cq_off.cqes + p->cq_entries * sizeof(*cqe),
	    IORING_OFF_CQ_RING);
	sqe = ring_map(ring, p->sq_entries * sizeof(*sqe), IORING_OFF_SQES);
	if (sq == NULL || cq == NULL || sqe == NULL)
		return -1;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_SETXATTR;
	sqe->addr = (uintptr_t)name;
	sqe->addr2 = (uintptr_t)value;
	sqe->addr3 = (uintptr_t)path;
	sqe->len = (unsigned)len;
	tail = (unsigned *)(sq + p->sq_off.tail);
	((unsigned *)(sq + p->sq_off.array))[*tail
	    & *(unsigned *)(sq + p->sq_off.ring_mask)] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS,
	    NULL, 0) < 0)
		return -1;
	head = __atomic_load_n((unsigned *)(cq + p->cq_off.head), __ATOMIC_ACQUIRE);
	cqe = (struct io_uring_cqe *)(cq + p->cq_off.cqes)
	    + (head & *(unsigned *)(cq + p->cq_off.ring_mask));
	if (cqe->res < 0) {
		errno = -cqe->res;
		return -1;
	}
	return 0;
}

/* probe_uring - can the process set up a ring, and change FILE through it? */
static void
probe_uring(const char *file)
{
	struct io_uring_params p;
	int	ring, e;

	memset(&p, 0, sizeof(p));
	ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	e = errno;
	report("io_uring-setup", ring < 0 ? -1 : 0);
	errno = e;
	report("io_uring-setxattr", ring < 0 ? -1 : uring_setxattr(ring, &p,
	    file, "system.posix_acl_access", acl_0750, sizeof(acl_0750)));
	if (ring >= 0)
		close(ring);
}

/* probe_fd - locks, a lease and inode flags through a read-only descriptor */
static void
probe_fd(int fd)
{
	struct flock fl;
	int	flags = 0;

	report("flock-ex", flock(fd, LOCK_EX | LOCK_NB));
	report("flock-sh", flock(fd, LOCK_SH | LOCK_NB));
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_RDLCK;		/* F_WRLCK needs a descriptor open for writing */
	fl.l_whence = SEEK_SET;
	report("fcntl-setlk", fcntl(fd, F_SETLK, &fl));
	report("fcntl-ofd-setlk", fcntl(fd, F_OFD_SETLK, &fl));
	report("fcntl-setlease", fcntl(fd, F_SETLEASE, F_RDLCK));
	(void)ioctl(fd, FS_IOC_GETFLAGS, &flags);
	flags |= FS_NODUMP_FL;
	report("ioctl-setflags", ioctl(fd, FS_IOC_SETFLAGS, &flags));
}

int
main(int argc, char **argv)
{
	char	why[PRIV_WHY_MAX], err[256], buf[64], dir[4096], path[4096 + 16];
	const char *file;
	struct timespec ts[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	struct open_how how;
	struct stat sb;
	int	fd, qfd, n;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: privprobe QUEUE_DIR FILE [USER]\n");
		return 2;
	}
	file = argv[2];
	/* As pfqmon: the queue is opened while root may, then root goes. */
	if ((qfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "privprobe: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (priv_drop(qfd, argc == 4 ? argv[3] : NULL, why, sizeof(why),
	    err, sizeof(err)) < 0) {
		fprintf(stderr, "privprobe: %s\n", err);
		return 1;
	}
	/* Asked now: the allow-list has no getuid(), pfqmon needs none. */
	printf("uid %u euid %u\n", (unsigned)getuid(), (unsigned)geteuid());
	if (priv_restrict(why, sizeof(why), err, sizeof(err)) < 0) {
		fprintf(stderr, "privprobe: %s\n", err);
		return 1;
	}
	printf("sandbox %s\n", why);

	fd = open(file, O_RDONLY | O_NOFOLLOW);
	report("read-open", fd < 0 ? -1 : 0);
	if (fd >= 0) {
		printf("read %s\n", read(fd, buf, sizeof(buf)) > 0 ? "ok" : "FAILED");
		report("fchmod", fchmod(fd, 0600));
		report("ftruncate", ftruncate(fd, 0));
		probe_fd(fd);
		close(fd);
	}
	n = snprintf(dir, sizeof(dir), "%s", file);
	if (n <= 0 || (size_t)n >= sizeof(dir) || strrchr(dir, '/') == NULL)
		return 1;
	*strrchr(dir, '/') = '\0';
	n = snprintf(path, sizeof(path), "%s/PRIVPROBE", dir);
	if (n <= 0 || (size_t)n >= sizeof(path))
		return 1;

	report("open-write", (fd = open(file, O_WRONLY)) < 0 ? -1 : (close(fd), 0));
	report("open-append", (fd = open(file, O_WRONLY | O_APPEND)) < 0 ? -1
	    : (close(fd), 0));
	report("open-create", (fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0
	    ? -1 : (close(fd), 0));
	report("truncate", truncate(file, 0));
	report("chmod", chmod(file, 0777));
	report("chown", chown(file, 0, 0));
	report("utimensat", utimensat(AT_FDCWD, file, ts, 0));
	report("setxattr", setxattr(file, "user.pfqmon", "x", 1, 0));
	report("link", link(file, path));
	report("symlink", symlink(file, path));
	report("mkdir", mkdir(path, 0700));
	report("mknod-fifo", mkfifo(path, 0600));
	report("rename", rename(file, path));
	report("unlink", unlink(file));
	report("chmod-dir", chmod(dir, 0777));
	probe_uring(file);
	memset(&how, 0, sizeof(how));
	how.flags = O_WRONLY;		/* the flags behind a pointer */
	report("openat2-write", (fd = (int)syscall(SYS_openat2, AT_FDCWD, file,
	    &how, sizeof(how))) < 0 ? -1 : (close(fd), 0));
	/* Not a change, and harmless: refused only because it is not listed. */
	report("unlisted-personality", personality(0xffffffff));
	/*
	 * pfqmon serve accepts connections, on the socket bound before the
	 * sandbox only: no other socket can be bound or listened on.
	 */
	probe_listen();
	/* The file must still be there, unchanged in size. */
	printf("still there %s\n", stat(file, &sb) == 0 && sb.st_size > 0 ? "ok" : "NO");
	return 0;
}
