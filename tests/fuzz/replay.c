/*
 * replay.c - run a fuzz target over corpus files without libFuzzer, so
 * that make check replays every corpus and crash input with gcc and the
 * sanitizers.
 *
 * usage: TARGET-replay FILE_OR_DIR...
 *
 * Prints one TAP line per argument; exits 1 if an argument cannot be
 * read. A finding aborts, as under libFuzzer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* run_file - feed one file to the target */
static int
run_file(const char *path)
{
	struct stat sb;
	uint8_t *data;
	FILE   *f;
	size_t	n;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &sb) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	/* A copy of exactly the file size, so overreads hit the redzone. */
	data = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	n = data ? fread(data, 1, (size_t)sb.st_size, f) : 0;
	fclose(f);
	if (data == NULL || n != (size_t)sb.st_size) {
		free(data);
		return -1;
	}
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

/* run_path - a file, or every regular file in a directory */
static int
run_path(const char *path, size_t *count)
{
	char	sub[4096];
	struct dirent *de;
	struct stat sb;
	DIR    *d;

	if (stat(path, &sb) < 0)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (stat(sub, &sb) == 0 && S_ISREG(sb.st_mode)) {
			(*count)++;
			if (run_file(sub) < 0) {
				closedir(d);
				return -1;
			}
		}
	}
	closedir(d);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t	count;
	int	i, rc = 0;

	for (i = 1; i < argc; i++) {
		count = 0;
		if (run_path(argv[i], &count) < 0) {
			printf("not ok - replay %s: unreadable\n", argv[i]);
			rc = 1;
		} else
			printf("ok - replay %s (%zu inputs)\n", argv[i], count);
	}
	return rc;
}
