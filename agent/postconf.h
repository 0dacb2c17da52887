/*
 * postconf.h - ask Postfix where an instance keeps its queue.
 *
 * postconf_queue_directory() runs "postconf [-c config_dir] -h
 * queue_directory" (Postfix's own parser of main.cf, with its defaults
 * and $name expansion) without a shell, and returns its answer as a
 * string the caller frees with free(3). On failure it returns NULL and
 * puts the reason, with postconf's own first line of output, into err.
 * The answer must be an absolute path of at most PATH_MAX bytes.
 */
#ifndef PFQ_POSTCONF_H
#define PFQ_POSTCONF_H

#include <stddef.h>

char	*postconf_queue_directory(const char *, char *, size_t);

#endif
