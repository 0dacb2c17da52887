/*
 * sudo.h - the second wall: what pfqmon refuses when sudo runs it as a
 * user.
 *
 * SYNOPSIS
 *	sudo_check(&cli, config_file);	exits 2 on a refused option
 *	char *dir = sudo_trusted_dir(path, err, sizeof(err));
 *
 * DESCRIPTION
 *	The shipped sudoers lines let Telegraf run a few exact pfqmon
 *	command lines as the postfix user (docs/telegraf/sudoers.pfqmon).
 *	Should a wider line be installed, pfqmon itself still refuses what
 *	would turn postfix's rights into the caller's.
 *
 *	sudo_restricted() is true when sudo runs pfqmon as a user other than
 *	root: SUDO_UID is in the environment (any value) and the real uid is
 *	not 0. sudo always sets SUDO_UID to the caller's uid; the caller
 *	cannot remove it (a rule with SETENV lets it change the value, which
 *	does not matter here). Root (plain "sudo pfqmon") keeps every
 *	option, and so does pfqmon started without sudo.
 *
 *	sudo_check() then refuses, with exit 2 and one line naming the
 *	option, --config and every option whose table entry (settings.h,
 *	enum setting_sudo) is not SUDO_STDOUT or SUDO_TRUSTED_DIR: the
 *	--push options and their secrets, the *_file options, --user. A
 *	SUDO_TRUSTED_DIR option (-c, --queue-dir), and MAIL_CONFIG, must
 *	name a directory sudo_trusted_dir() accepts; it is replaced by the
 *	canonical path, which pfqmon uses from then on. Outside sudo it does
 *	nothing.
 *
 *	sudo_trusted_dir() returns the canonical path (realpath) of a
 *	directory that root alone controls, as OpenSSH's safe_path() checks:
 *	the directory and every directory above it belong to root and
 *	cannot be written by group or others; a directory above it (not the
 *	directory itself) may be writable if it is sticky, like /tmp, since
 *	there nobody but root can rename or remove what root made. The
 *	caller frees the result. ACLs are not looked at.
 *
 * DIAGNOSTICS
 *	sudo_check() exits 2 with one line "OPTION: refused when run through
 *	sudo as USER: why". sudo_trusted_dir() returns NULL with a reason
 *	in err.
 */
#ifndef PFQ_SUDO_H
#define PFQ_SUDO_H

#include <stddef.h>

#include "settings.h"

int	sudo_restricted(void);
void	sudo_check(struct settings *, const char *);
char   *sudo_trusted_dir(const char *, char *, size_t);

#endif
