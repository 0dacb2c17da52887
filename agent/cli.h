/*
 * cli.h - the one command-line front end: the agent, "pfqmon select"
 * and "pfqmon top" each describe their options, cli_parse() reads them.
 *
 * SYNOPSIS
 *	struct cli_args args;
 *	cli_parse(&command, argc, argv, ctx, &args);	returns, or exits
 *	... args.settings, args.config_file ...
 *	settings_free(&args.settings);
 *
 *	cli_bad_value("rows", arg, "want a number");	exit 2
 *	cli_help(&command, stdout);
 *
 * DESCRIPTION
 *	A command (struct cli_command) names the settings it takes, as keys
 *	of settings.c's table (NULL: every option that is not file-only),
 *	and lists options of its own. cli_parse() builds one getopt_long
 *	table from both, then for each option given:
 *
 *	a setting	is stored in args->settings by settings_set(), and
 *			marked as given (the command line wins over a file);
 *	CLI_CONFIG	(--config FILE) sets args->config_file;
 *	CLI_HELP	(-h, --help) prints cli_help() and exits 0;
 *	any other	goes to command->take(ctx, option, value), which may
 *			act at once (--version) or keep it for later.
 *
 *	Once the arguments are used up, command->check(ctx), if any, checks
 *	what the command's own options say together; then sudo_check()
 *	(sudo.h) applies the restricted mode to every command alike, so
 *	that no command can forget the second wall.
 *
 *	cli_help() writes the usage: head, the command's own options, the
 *	settings (under settings_title, when given), the options listed in
 *	after, and tail. Where a help text says "{default}", the option's
 *	default stands instead: settings_default_text() of a setting (its
 *	one default, in settings.c's table), default_value in decimal for
 *	an option of the command's. Within a block, the left column keeps
 *	room for a short option ("-c, ") only if one of the block has one.
 *
 * DIAGNOSTICS
 *	Bad input exits 2 with one line on stderr: "unknown option 'X'",
 *	"this option needs a value: 'X'", "unexpected argument 'X'" (each
 *	followed by "(see pfqmon [command] --help)"), or, from cli_bad_value(),
 *	"option --NAME: invalid value 'X' (why)": the one message for a bad
 *	value, whoever finds it. What was typed is quoted printable and cut
 *	to 100 bytes.
 */
#ifndef PFQ_CLI_H
#define PFQ_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "settings.h"

/* Ids of the options the front end handles itself; commands use >= 0. */
enum {
	CLI_CONFIG = -1,
	CLI_HELP = -2
};

/* One option that is not a setting. */
struct cli_opt {
	const char *name;		/* long option, as typed */
	int	short_opt;		/* or 0 */
	const char *arg;		/* argument name for --help; NULL: a flag */
	uint64_t default_value;		/* where the help says {default} */
	const char *help;
	int	id;			/* CLI_CONFIG, CLI_HELP, or the command's */
};

/* A command: what cli_parse() accepts and cli_help() shows. */
struct cli_command {
	const char *name;		/* "select"; NULL: the agent itself */
	const char *head;		/* --help, before the options */
	const struct cli_opt *own;	/* listed first */
	size_t	nown;
	const char *settings_title;	/* a line before the settings, or NULL */
	const char *const *settings;	/* keys; NULL: every command-line one */
	size_t	nsettings;
	const struct cli_opt *after;	/* listed after the settings */
	size_t	nafter;
	const char *tail;		/* --help, after the options, or NULL */
	int	width;			/* of --help's left column */
	void	(*take)(void *, const struct cli_opt *, const char *);
	void	(*check)(void *);	/* or NULL */
};

/* What the command line said: the settings given, and --config. */
struct cli_args {
	struct settings settings;
	const char *config_file;	/* argv's, or NULL */
};

void	cli_parse(const struct cli_command *, int, char **, void *,
	    struct cli_args *);
void	cli_help(const struct cli_command *, FILE *);
void	cli_bad_value(const char *, const char *, const char *)
	    __attribute__((noreturn));

#endif
