/*
 * child.h - run one of Postfix's own programs without a shell.
 *
 * child_postfix(path, config_dir, args, &pid, &out, &err) runs
 * "NAME [-c config_dir] args..." where NAME is path's last component:
 * path itself, or NAME on PATH when path is not executable (non-root
 * PATHs often lack /usr/sbin). args ends with NULL; at most
 * CHILD_ARGS_MAX of them. The child gets stdin on /dev/null (never Telegraf's stdin, where
 * execd mode reads its signals), stdout and stderr on pipes whose read
 * ends it returns. Only those copies reach the child. The caller reads
 * both, closes them and waits for pid. Returns 0 or an errno value.
 */
#ifndef PFQ_CHILD_H
#define PFQ_CHILD_H

#include <sys/types.h>

#define CHILD_ARGS_MAX	8

int	child_postfix(const char *, const char *, const char *const[], pid_t *,
	    int *, int *);

#endif
