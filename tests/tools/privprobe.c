/*
 * privprobe - after pfqmon's own start-up steps (priv.c), try every way
 * of changing a queue file and its directory; for the privilege tests.
 *
 * usage: privprobe QUEUE_DIR FILE [USER]
 *
 * Opens QUEUE_DIR as root may, calls priv_drop() and priv_restrict() as
 * pfqmon does, then prints one line per attempt: "read ok", and for each
 * change "NAME denied" or "NAME DONE" (a change that went through, which
 * the test counts as a failure). Exit status 0 unless start-up failed.
 * FILE is a queue file inside QUEUE_DIR; nothing is changed if all goes
 * as it should.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "priv.h"

static void
report(const char *what, int rc)
{
	printf("%s %s%s%s\n", what, rc < 0 ? "denied" : "DONE",
	    rc < 0 ? " " : "", rc < 0 ? strerror(errno) : "");
}

int
main(int argc, char **argv)
{
	char	why[PRIV_WHY_MAX], err[256], buf[64], dir[4096], path[4096 + 16];
	const char *file;
	struct timespec ts[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
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
	    err, sizeof(err)) < 0 || priv_restrict(why, sizeof(why), err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "privprobe: %s\n", err);
		return 1;
	}
	printf("uid %u euid %u\n", (unsigned)getuid(), (unsigned)geteuid());
	printf("sandbox %s\n", why);

	fd = open(file, O_RDONLY | O_NOFOLLOW);
	report("read-open", fd < 0 ? -1 : 0);
	if (fd >= 0) {
		printf("read %s\n", read(fd, buf, sizeof(buf)) > 0 ? "ok" : "FAILED");
		report("fchmod", fchmod(fd, 0600));
		report("ftruncate", ftruncate(fd, 0));
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
	/* The file must still be there, unchanged in size. */
	printf("still there %s\n", stat(file, &sb) == 0 && sb.st_size > 0 ? "ok" : "NO");
	return 0;
}
