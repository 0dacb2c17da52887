/*
 * statwalk - what Telegraf's inputs.postfix does: walk the queues and
 * lstat every entry for its size and ctime, never opening a file (so no
 * sender, no SASL user, no client address, and files still being
 * written count too).
 *
 * usage: statwalk SPOOL	prints "files bytes oldest_ctime"
 */
#include <sys/stat.h>

#include "walk.h"

static unsigned long long files, bytes;
static long long oldest = -1;

static void
visit(int dfd, const char *name)
{
	struct stat sb;

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode))
		return;
	files++;
	bytes += (unsigned long long)sb.st_size;
	if (oldest < 0 || sb.st_ctime < oldest)
		oldest = sb.st_ctime;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: statwalk SPOOL\n");
		return 2;
	}
	walk_queues(argv[1], visit);
	printf("%llu %llu %lld\n", files, bytes, oldest);
	return 0;
}
