/*
 * postconf.c - queue_directory from postconf(1) (see postconf.h).
 *
 * The command runs with a fixed argument vector and no shell; its output
 * is read up to a bound and checked before use.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "msg.h"
#include "postconf.h"
#include "xalloc.h"

#define OUTPUT_MAX	4096

/*
 * read_both - read both pipes to EOF, keeping at most cap-1 bytes of
 * each, so that neither stream can fill up and block postconf.
 */
static void
read_both(int fds[2], char *bufs[2], size_t cap)
{
	struct pollfd pfd[2];
	size_t	len[2] = {0, 0};
	char	sink[512];
	ssize_t	n;
	int	i, open_fds = 2;

	for (i = 0; i < 2; i++) {
		pfd[i].fd = fds[i];
		pfd[i].events = POLLIN;
	}
	while (open_fds > 0) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if (len[i] < cap - 1)
				n = read(pfd[i].fd, bufs[i] + len[i], cap - 1 - len[i]);
			else
				n = read(pfd[i].fd, sink, sizeof(sink));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				pfd[i].fd = -1;
				open_fds--;
			} else if (len[i] < cap - 1)
				len[i] += (size_t)n;
		}
	}
	for (i = 0; i < 2; i++)
		bufs[i][len[i]] = '\0';
}

/* first_line - cut the text at its first newline */
static void
first_line(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
}

/* last_line - the last non-empty line (postconf's fatal message) */
static char *
last_line(char *s)
{
	char   *p, *last = s;

	for (p = s; *p; p++)
		if ((*p == '\n' || *p == '\r') && p[1] && p[1] != '\n')
			last = p + 1;
	first_line(last);
	return last;
}

/* postconf_queue_directory - the queue directory of an instance */
char *
postconf_queue_directory(const char *config_dir, char *err, size_t errlen)
{
	char	out[OUTPUT_MAX], errs[OUTPUT_MAX], safe[OUTPUT_MAX];
	char   *bufs[2] = {out, errs};
	pid_t	pid;
	int	fds[2] = {-1, -1}, status, rc;

	/* postconf warns on stderr and answers on stdout. */
	if ((rc = child_postfix(CHILD_POSTCONF, config_dir, &pid, &fds[0],
	    &fds[1])) != 0) {
		snprintf(err, errlen, "cannot run postconf: %s", strerror(rc));
		return NULL;
	}
	read_both(fds, bufs, sizeof(out));
	close(fds[0]);
	close(fds[1]);
	if (child_wait(pid, &status) < 0) {
		snprintf(err, errlen, "postconf: no exit status: %s", strerror(errno));
		return NULL;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		const char *why = last_line(errs);

		printable_for_log(safe, sizeof(safe), why, strlen(why));
		snprintf(err, errlen, "postconf failed: %s",
		    *safe ? safe : "no output");
		return NULL;
	}
	first_line(out);
	printable_for_log(safe, sizeof(safe), out, strlen(out));
	if (out[0] != '/' || strlen(out) >= PATH_MAX
	    || strcmp(out, safe) != 0) {
		snprintf(err, errlen, "postconf gave an unusable "
		    "queue_directory: \"%s\"", safe);
		return NULL;
	}
	return xstrdup(out);
}
