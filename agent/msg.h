/*
 * msg.h - diagnostics with fixed meanings per severity.
 *
 * msg_warn():  a problem with input or environment; the program goes on.
 * msg_fatal(): the program cannot do its job; exit with the given status
 *              (2 for bad command-line input or configuration, 1 for a
 *              runtime failure such as an unreadable queue directory).
 * msg_info():  only printed with --verbose.
 *
 * Every message goes to stderr as "pfqmon: text". Callers pass untrusted
 * text (file names, queue-file values) through printable_for_log() first.
 */
#ifndef PFQ_MSG_H
#define PFQ_MSG_H

#include <stddef.h>

#define MSG_EXIT_USAGE	2	/* bad command line or configuration */
#define MSG_EXIT_FAIL	1	/* runtime failure */

extern int msg_verbose;

void	msg_set_progname(const char *);
void	msg_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	msg_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	msg_fatal(int, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/*
 * printable_for_log - copy at most dstcap-1 bytes of src into dst,
 * replacing anything outside printable ASCII with '?'. Returns dst.
 */
char	*printable_for_log(char *dst, size_t dstcap, const char *src,
	    size_t len);

#endif
