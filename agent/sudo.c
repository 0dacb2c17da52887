/*
 * sudo.c - the options pfqmon refuses when sudo runs it as a user, and
 * the directories it accepts then (sudo.h).
 *
 * Trusts the kernel's answer to getuid() and lstat(), and sudo to have
 * set SUDO_UID; nothing the caller names. The caller is whoever may run
 * sudo: a sudoers line wider than the shipped ones (any arguments) must
 * not give it the postfix user's files or a way to send them away.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "settings.h"
#include "sudo.h"
#include "xalloc.h"

#define WHY_FILE	"it reads a file the caller names, with this user's rights"
#define WHY_SENDS	"it is about sending data elsewhere than stdout, which " \
			"only root may set up"
#define WHY_ROOT	"only root may give it"

/* sudo_restricted - see sudo.h */
int
sudo_restricted(void)
{
	return getenv("SUDO_UID") != NULL && getuid() != 0;
}

/* refuse - one line naming the option, the user and why; exit 2 */
static void __attribute__((noreturn))
refuse(const char *option, const char *why)
{
	struct passwd *pw = getpwuid(getuid());
	char	who[64];

	if (pw != NULL)
		printable_for_log(who, sizeof(who), pw->pw_name, strlen(pw->pw_name));
	else
		snprintf(who, sizeof(who), "uid %u", (unsigned)getuid());
	msg_fatal(MSG_EXIT_USAGE, "%s: refused when run through sudo as %s: %s",
	    option, who, why);
}

/*
 * dir_problem - why the directory at path (a component of a resolved
 * path) could be changed by someone other than root, or NULL. last: it
 * is the directory named, which must not be writable even if sticky.
 */
static const char *
dir_problem(const char *path, int last, char *why, size_t whylen)
{
	struct stat sb;
	char	safe[200];

	printable_for_log(safe, sizeof(safe), path, strlen(path));
	if (lstat(path, &sb) < 0)
		snprintf(why, whylen, "%s: %s", safe, strerror(errno));
	else if (!S_ISDIR(sb.st_mode))
		/* A resolved path holds no symlink, unless it just changed. */
		snprintf(why, whylen, "%s is not a directory", safe);
	else if (sb.st_uid != 0)
		snprintf(why, whylen, "%s belongs to uid %u, not root", safe,
		    (unsigned)sb.st_uid);
	else if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0
	    && (last || (sb.st_mode & S_ISVTX) == 0))
		snprintf(why, whylen, "%s can be written by %s", safe,
		    (sb.st_mode & S_IWOTH) ? "others" : "its group");
	else
		return NULL;
	return why;
}

/* sudo_trusted_dir - see sudo.h */
char *
sudo_trusted_dir(const char *dir, char *err, size_t errlen)
{
	char	why[300], safe[200];
	char   *real, *cur, *slash;
	int	last = 1;

	if ((real = realpath(dir, NULL)) == NULL) {
		snprintf(err, errlen, "%s: %s", printable_for_log(safe,
		    sizeof(safe), dir, strlen(dir)), strerror(errno));
		return NULL;
	}
	cur = xstrdup(real);
	for (;;) {
		if (dir_problem(cur, last, why, sizeof(why)) != NULL) {
			snprintf(err, errlen, "%s", why);
			free(cur);
			free(real);
			return NULL;
		}
		if (strcmp(cur, "/") == 0)
			break;
		slash = strrchr(cur, '/');
		slash[slash == cur] = '\0';	/* "/a" -> "/", "/a/b" -> "/a" */
		last = 0;
	}
	free(cur);
	return real;
}

/* trusted_or_refuse - the canonical path of a trusted dir, or exit 2 */
static char *
trusted_or_refuse(const char *option, const char *dir)
{
	char	err[400], why[600];
	char   *real;

	if ((real = sudo_trusted_dir(dir, err, sizeof(err))) == NULL) {
		snprintf(why, sizeof(why), "%s (a directory named through sudo, and "
		    "every directory above it, must belong to root and be "
		    "writable by nobody else)", err);
		refuse(option, why);
	}
	return real;
}

/* option_label - "--config-dir (-c)", as the command line spells it */
static void
option_label(char *dst, size_t cap, const struct setting_def *d)
{
	char	name[64];

	settings_cli_name(name, sizeof(name), d->name);
	if (d->short_opt)
		snprintf(dst, cap, "--%s (-%c)", name, d->short_opt);
	else
		snprintf(dst, cap, "--%s", name);
}

/* check_setting - one option given on the command line */
static void
check_setting(struct settings *cli, const struct setting_def *d)
{
	char	label[80];
	char  **value, *real;

	option_label(label, sizeof(label), d);
	switch (d->sudo) {
	case SUDO_STDOUT:
		return;
	case SUDO_TRUSTED_DIR:
		value = (char **)((char *)cli + d->offset);
		real = trusted_or_refuse(label, *value);
		free(*value);
		*value = real;
		return;
	case SUDO_READS_FILE:
		refuse(label, WHY_FILE);
	case SUDO_SENDS:
		refuse(label, WHY_SENDS);
	case SUDO_ROOT_ONLY:
		break;
	}
	refuse(label, WHY_ROOT);
}

/* sudo_check - see sudo.h */
void
sudo_check(struct settings *cli, const char *config_file)
{
	const struct setting_def *t;
	const char *mail_config;
	char   *real;
	size_t	i, n;

	if (!sudo_restricted())
		return;
	if (config_file != NULL)
		refuse("--config", WHY_FILE);
	t = settings_table(&n);
	for (i = 0; i < n; i++)
		if (cli->set & ((uint64_t)1 << i))
			check_setting(cli, &t[i]);
	/* postconf and postqueue take MAIL_CONFIG as they take -c. */
	if ((mail_config = getenv("MAIL_CONFIG")) != NULL) {
		real = trusted_or_refuse("MAIL_CONFIG", mail_config);
		if (setenv("MAIL_CONFIG", real, 1) < 0)
			msg_fatal(MSG_EXIT_FAIL, "setenv: %s", strerror(errno));
		free(real);
	}
}
