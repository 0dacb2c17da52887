/*
 * envfloor - the fair floor of a full scan: for every queue file, the
 * system calls pfqmon must make and nothing else. Open it, fstat it (a
 * reader must see that it is a regular, complete file), read its first
 * QF_READ_CHUNK (8 KiB) with pread, as qfile.c does; when the envelope
 * (up to the size record's content offset) is longer, read the rest of
 * it; when the file goes on past what was read, skip the content as
 * qfile.c's content_skip() does and read the extracted segment to the
 * end; close it. Only the size record is parsed, to know where the
 * envelope ends; nothing is counted.
 *
 * usage: envfloor [-t THREADS] [-i] SPOOL	prints "files bytes"
 *
 * -t N	N threads (default 1): the calling thread lists each directory
 *	(as pfqmon's does), then all N open and read its files, each
 *	taking the next 64 names.
 * -i	open each directory's files in inode order (sorted by d_ino), not
 *	in directory order, for the cold-cache case.
 *
 * Benchmark code: it trusts the tree it is given.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK		8192	/* qfile.h QF_READ_CHUNK */
#define WINDOW		65536	/* qfile.h QF_WINDOW */
#define GRAIN		64	/* names taken at once by a thread */
#define DEPTH_MAX	16

struct ent {
	uint64_t ino;
	size_t	off;			/* name's offset in names */
};

/* One directory's files, shared by the threads. */
static struct {
	int	dfd;
	struct ent *e;
	size_t	n, cap;
	char   *names;
	size_t	len, ncap;
	atomic_size_t next;
} dir;

static unsigned nthreads = 1;
static int inode_order;
static atomic_ullong files, bytes;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER, idle = PTHREAD_COND_INITIALIZER;
static unsigned generation, busy;
static int quit;

/* xrealloc - realloc or exit */
static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL) {
		perror("realloc");
		exit(1);
	}
	return p;
}

/* number - the idx-th decimal field of the size record's payload */
static uint64_t
number(const unsigned char *p, size_t len, int idx)
{
	size_t	i = 0;
	uint64_t v = 0;

	for (;;) {
		while (i < len && p[i] == ' ')
			i++;
		v = 0;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			v = v * 10 + (uint64_t)(p[i++] - '0');
		if (idx-- == 0 || i >= len)
			return v;
	}
}

/*
 * envelope_end - where the content starts, from the size record (type
 * 'C', a length of 7-bit bytes, then "data_size data_offset ..."), and
 * where the extracted segment starts; 0 when the record is not there
 */
static void
envelope_end(const unsigned char *p, size_t got, uint64_t *data_off,
    uint64_t *xoff)
{
	size_t	i = 1, len = 0;
	int	shift = 0;

	*data_off = *xoff = 0;
	if (got < 3 || p[0] != 'C')
		return;
	do {
		len |= (size_t)(p[i] & 0x7f) << shift;
		shift += 7;
	} while (p[i++] & 0x80 && i < got && shift < 28);
	if (len > got - i)
		return;
	*data_off = number(p + i, len, 1);
	*xoff = *data_off + number(p + i, len, 0);
}

/* visit - what pfqmon must do with one file */
static void
visit(int dfd, const char *name, unsigned char *buf)
{
	struct stat sb;
	uint64_t size, data_off, xoff, done;
	ssize_t	n;
	int	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK
	    | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return;
	}
	size = (uint64_t)sb.st_size;
	if ((n = pread(fd, buf, CHUNK, 0)) > 0) {
		done = (uint64_t)n;
		envelope_end(buf, (size_t)n, &data_off, &xoff);
		/* The rest of a long envelope, a window at a time. */
		while (done < data_off && done < size) {
			if ((n = pread(fd, buf, WINDOW, (off_t)done)) <= 0)
				break;
			done += (uint64_t)n;
		}
		/* Past the content: the extracted segment, to the end. */
		if (xoff > done && xoff < size)
			done = xoff;
		while (done < size) {
			if ((n = pread(fd, buf, WINDOW, (off_t)done)) <= 0)
				break;
			done += (uint64_t)n;
		}
		atomic_fetch_add(&bytes, done);
	}
	atomic_fetch_add(&files, 1);
	close(fd);
}

/* share - take names GRAIN at a time until the directory is done */
static void
share(unsigned char *buf)
{
	size_t	i, j;

	while ((i = atomic_fetch_add(&dir.next, GRAIN)) < dir.n)
		for (j = i; j < i + GRAIN && j < dir.n; j++)
			visit(dir.dfd, dir.names + dir.e[j].off, buf);
}

/* helper - a thread that reads every directory the main thread lists */
static void *
helper(void *arg)
{
	unsigned char *buf = xrealloc(NULL, WINDOW);
	unsigned seen = 0;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		while (generation == seen && !quit)
			pthread_cond_wait(&go, &mu);
		if (quit) {
			pthread_mutex_unlock(&mu);
			break;
		}
		seen = generation;
		pthread_mutex_unlock(&mu);
		share(buf);
		pthread_mutex_lock(&mu);
		if (--busy == 0)
			pthread_cond_signal(&idle);
		pthread_mutex_unlock(&mu);
	}
	free(buf);
	return NULL;
}

/* by_ino - inode order */
static int
by_ino(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	return (x->ino > y->ino) - (x->ino < y->ino);
}

/* read_files - every thread reads the listed directory's files */
static void
read_files(unsigned char *buf)
{
	if (dir.n == 0)
		return;
	if (inode_order)
		qsort(dir.e, dir.n, sizeof(*dir.e), by_ino);
	atomic_store(&dir.next, 0);
	pthread_mutex_lock(&mu);
	busy = nthreads - 1;
	generation++;
	pthread_cond_broadcast(&go);
	pthread_mutex_unlock(&mu);
	share(buf);
	pthread_mutex_lock(&mu);
	while (busy > 0)
		pthread_cond_wait(&idle, &mu);
	pthread_mutex_unlock(&mu);
}

/* walk - list one directory, read its files, then its hash directories */
static void
walk(int dfd, int depth, unsigned char *buf)
{
	DIR    *d = fdopendir(dfd);
	struct dirent *de;
	int	subs[64], nsubs = 0, i;
	size_t	len;

	if (d == NULL) {
		close(dfd);
		return;
	}
	dir.n = dir.len = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_name[1] == '\0' && de->d_type == DT_DIR) {
			if (depth > 0 && nsubs < 64)
				subs[nsubs++] = openat(dirfd(d), de->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			continue;
		}
		len = strlen(de->d_name) + 1;
		if (dir.n == dir.cap) {
			dir.cap = dir.cap ? 2 * dir.cap : 4096;
			dir.e = xrealloc(dir.e, dir.cap * sizeof(*dir.e));
		}
		if (dir.len + len > dir.ncap) {
			dir.ncap = dir.ncap ? 2 * dir.ncap : 65536;
			dir.names = xrealloc(dir.names, dir.ncap);
		}
		memcpy(dir.names + dir.len, de->d_name, len);
		dir.e[dir.n].ino = de->d_ino;
		dir.e[dir.n++].off = dir.len;
		dir.len += len;
	}
	dir.dfd = dirfd(d);
	read_files(buf);
	closedir(d);
	for (i = 0; i < nsubs; i++)
		if (subs[i] >= 0)
			walk(subs[i], depth - 1, buf);
}

int
main(int argc, char **argv)
{
	static const char *const queues[] = {
		"maildrop", "active", "incoming", "deferred", "hold", "corrupt",
	};
	pthread_t tid[64];
	unsigned char *buf;
	unsigned i, started = 0;
	int	c, root, fd;

	while ((c = getopt(argc, argv, "it:")) != -1) {
		if (c == 'i')
			inode_order = 1;
		else if (c == 't' && (nthreads = (unsigned)strtoul(optarg, NULL, 10)) >= 1
		    && nthreads <= 64)
			continue;
		else {
			fprintf(stderr, "usage: envfloor [-t THREADS] [-i] SPOOL\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: envfloor [-t THREADS] [-i] SPOOL\n");
		return 2;
	}
	if ((root = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		perror(argv[optind]);
		return 1;
	}
	for (i = 1; i < nthreads; i++) {
		if (pthread_create(&tid[started], NULL, helper, NULL) != 0) {
			fprintf(stderr, "envfloor: cannot start a thread\n");
			return 1;
		}
		started++;
	}
	nthreads = started + 1;
	buf = xrealloc(NULL, WINDOW);
	for (i = 0; i < sizeof(queues) / sizeof(queues[0]); i++)
		if ((fd = openat(root, queues[i], O_RDONLY | O_DIRECTORY
		    | O_NOFOLLOW | O_CLOEXEC)) >= 0)
			walk(fd, i == 0 ? 0 : DEPTH_MAX, buf);
	pthread_mutex_lock(&mu);
	quit = 1;
	pthread_cond_broadcast(&go);
	pthread_mutex_unlock(&mu);
	for (i = 0; i < started; i++)
		if (pthread_join(tid[i], NULL) != 0)
			return 1;
	close(root);
	free(buf);
	free(dir.e);
	free(dir.names);
	printf("%llu %llu\n", (unsigned long long)atomic_load(&files),
	    (unsigned long long)atomic_load(&bytes));
	return 0;
}
