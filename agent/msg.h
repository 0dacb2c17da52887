/*
 * msg.h - diagnostics with fixed meanings per severity.
 *
 * msg_warn():  a problem with input or environment; the program goes on.
 * msg_fatal(): the program cannot do its job; exit with the given status
 *              (2 for bad command-line input or configuration, 1 for a
 *              runtime failure such as an unreadable queue directory).
 * msg_error(): a problem the program survives but the admin must see
 *              (a push the server rejected, a scan that failed).
 * msg_info():  only printed with --verbose.
 * msg_panic(): an impossible state, a bug in pfqmon itself (never bad
 *              input, which is counted or reported): say where, then
 *              abort() for a core dump, as Postfix's msg_panic does.
 *
 * With msg_set_telegraf(1) (execd and agent modes) each line starts with
 * Telegraf's level prefix, "E! ", "W! " or "I! ", so that Telegraf logs it
 * at that level.
 * Every message goes to stderr as one line "pfqmon: text" (at most 2 KiB,
 * control characters replaced). printable_for_log() makes untrusted text
 * printable ASCII, for names from the spool.
 */
#ifndef PFQ_MSG_H
#define PFQ_MSG_H

#include <stddef.h>

#define MSG_EXIT_USAGE	2	/* bad command line or configuration */
#define MSG_EXIT_FAIL	1	/* runtime failure */

extern int msg_verbose;

void	msg_set_progname(const char *);
void	msg_set_telegraf(int);
void	msg_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	msg_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	msg_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	msg_fatal(int, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	msg_panic(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * printable_for_log - copy at most dstcap-1 bytes of src into dst,
 * replacing anything outside printable ASCII with '?'. Returns dst.
 */
char	*printable_for_log(char *dst, size_t dstcap, const char *src,
	    size_t len);

/*
 * url_for_log - the URL with its user information ("***@") and its
 * query cut, printable: what a log line or --check-config may show.
 */
char	*url_for_log(char *dst, size_t dstcap, const char *url);

#endif
