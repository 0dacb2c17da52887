/*
 * walk.h - the queue-directory walk shared by the benchmark's reference
 * programs (floor.c, statwalk.c): the same queues and the same descent
 * into one-character hash directories as pfqmon, calling visit() for
 * every other entry. Benchmark code: it trusts the tree it is given.
 */
#ifndef PFQ_BENCH_WALK_H
#define PFQ_BENCH_WALK_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef void (*walk_fn)(int dfd, const char *name);

static void
walk_dir(int dfd, walk_fn visit)
{
	DIR    *d = fdopendir(dfd);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_name[1] == '\0' && de->d_type == DT_DIR) {
			int	sub = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (sub >= 0)
				walk_dir(sub, visit);
			continue;
		}
		visit(dirfd(d), de->d_name);
	}
	closedir(d);
}

static void
walk_queues(const char *spool, walk_fn visit)
{
	static const char *const queues[] = {
		"maildrop", "active", "incoming", "deferred", "hold", "corrupt",
	};
	int	root = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
	size_t	i;

	if (root < 0) {
		perror(spool);
		return;
	}
	for (i = 0; i < sizeof(queues) / sizeof(queues[0]); i++)
		if ((fd = openat(root, queues[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
			walk_dir(fd, visit);
	close(root);
}

#endif
