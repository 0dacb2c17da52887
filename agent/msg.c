/*
 * msg.c - diagnostics on stderr (see msg.h for the severities).
 *
 * Trusts nothing it prints: callers sanitise untrusted text with
 * printable_for_log() before it reaches a format string argument.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "msg.h"

int	msg_verbose;
static const char *progname = "pfqmon";

/* msg_set_progname - name printed in front of every message */
void
msg_set_progname(const char *name)
{
	progname = name;
}

/* msg_vprint - print one line with the program name in front */
static void
msg_vprint(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* msg_info - verbose-only progress and per-file diagnostics */
void
msg_info(const char *fmt, ...)
{
	va_list	ap;

	if (!msg_verbose)
		return;
	va_start(ap, fmt);
	msg_vprint(fmt, ap);
	va_end(ap);
}

/* msg_warn - report a problem and keep going */
void
msg_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vprint(fmt, ap);
	va_end(ap);
}

/* msg_fatal - report a problem and exit with the given status */
void
msg_fatal(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vprint(fmt, ap);
	va_end(ap);
	exit(status);
}

/* printable_for_log - make untrusted bytes safe for a terminal or log */
char *
printable_for_log(char *dst, size_t dstcap, const char *src, size_t len)
{
	size_t	i;

	if (dstcap == 0)
		return dst;
	if (len > dstcap - 1)
		len = dstcap - 1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[len] = '\0';
	return dst;
}
