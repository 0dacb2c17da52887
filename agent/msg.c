/*
 * msg.c - diagnostics on stderr (see msg.h for the severities).
 *
 * Trusts nothing it prints: every message is one line, control
 * characters replaced; callers also shorten untrusted values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int	msg_verbose;
static const char *progname = "pfqmon";
static int telegraf;

/* msg_set_telegraf - prefix lines with Telegraf's log levels */
void
msg_set_telegraf(int on)
{
	telegraf = on;
}

/* msg_set_progname - name printed in front of every message */
void
msg_set_progname(const char *name)
{
	progname = name;
}

/*
 * msg_vprint - one line: level prefix (Telegraf mode), program name and
 * the message, with control characters replaced, so that no value quoted
 * in a message (a file name, a server's reply, a configuration key) can
 * break it into two lines for a log reader.
 */
static void
msg_vprint(const char *level, const char *fmt, va_list ap)
{
	char	line[2048];
	size_t	i;

	vsnprintf(line, sizeof(line), fmt, ap);
	for (i = 0; line[i]; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	fprintf(stderr, "%s%s: %s\n", telegraf ? level : "", progname, line);
}

/* msg_info - verbose-only progress and per-file diagnostics */
void
msg_info(const char *fmt, ...)
{
	va_list	ap;

	if (!msg_verbose)
		return;
	va_start(ap, fmt);
	msg_vprint("I! ", fmt, ap);
	va_end(ap);
}

/* msg_error - report a failure the program survives */
void
msg_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vprint("E! ", fmt, ap);
	va_end(ap);
}

/* msg_warn - report a problem and keep going */
void
msg_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vprint("W! ", fmt, ap);
	va_end(ap);
}

/* msg_fatal - report a problem and exit with the given status */
void
msg_fatal(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vprint("E! ", fmt, ap);
	va_end(ap);
	exit(status);
}

/* msg_panic - a bug in pfqmon: say so, and dump core */
void
msg_panic(const char *fmt, ...)
{
	va_list	ap;
	char	line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	msg_error("panic: %s (a bug in pfqmon; please report it)", line);
	abort();
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

/*
 * url_for_log - a URL without what may be secret: the user information
 * before the host becomes "***@", and the query and fragment are cut
 * (InfluxDB 1.x also takes u= and p= there). Printable, at most
 * dstcap-1 bytes. Returns dst.
 */
char *
url_for_log(char *dst, size_t dstcap, const char *url)
{
	const char *sep = strstr(url, "://"), *auth, *host, *p;
	size_t	pre, alen, plen;
	char	tmp[1024];

	pre = sep ? (size_t)(sep + 3 - url) : 0;
	auth = url + pre;
	alen = strcspn(auth, "/?#");
	for (host = p = auth; p < auth + alen; p++)
		if (*p == '@')
			host = p + 1;	/* the last '@' ends the user information */
	plen = strcspn(auth + alen, "?#");
	snprintf(tmp, sizeof(tmp), "%.*s%s%.*s%.*s%s", (int)pre, url,
	    host != auth ? "***@" : "", (int)(auth + alen - host), host,
	    (int)plen, auth + alen, auth[alen + plen] ? "?..." : "");
	return printable_for_log(dst, dstcap, tmp, strlen(tmp));
}
