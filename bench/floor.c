/*
 * floor - the syscall floor of reading a queue: for every file, open it,
 * read one 4 KiB block, close it; one thread. Nothing is parsed, so no
 * reader of the same files can be much faster on one core.
 *
 * usage: floor SPOOL	prints "files bytes"
 */
#include "walk.h"

static unsigned long long files, bytes;

static void
visit(int dfd, const char *name)
{
	char	block[4096];
	ssize_t	n;
	int	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	if ((n = read(fd, block, sizeof(block))) > 0)
		bytes += (unsigned long long)n;
	files++;
	close(fd);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: floor SPOOL\n");
		return 2;
	}
	walk_queues(argv[1], visit);
	printf("%llu %llu\n", files, bytes);
	return 0;
}
