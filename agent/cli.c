/*
 * cli.c - the command-line front end (cli.h): one getopt_long table per
 * command, from settings.c's table and the command's own options; its
 * --help from the same description; the one message for a bad value.
 *
 * Trusts nothing typed on the command line: a value reaches the
 * settings only through settings_set() and a command only through its
 * take(), and every argument quoted in a message is made printable and
 * cut short first. The command descriptions are the program's own.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "msg.h"
#include "settings.h"
#include "sudo.h"
#include "xalloc.h"

#define NAME_MAX_LEN	64	/* a long option's name, as typed */
#define DEFAULT_MARK	"{default}"	/* in a help text: the default */
#define VAL_BASE	256	/* getopt_long's val: past every short option */

/* One option of a command's getopt table. */
struct entry {
	char	name[NAME_MAX_LEN];	/* "push-db" */
	int	short_opt;		/* or 0 */
	int	has_arg;
	const struct setting_def *setting; /* a setting, or NULL */
	const struct cli_opt *opt;	/* else one of the command's own */
};

/* A command's options, as getopt_long wants them. */
struct table {
	struct entry *e;
	size_t	n;
	struct option *longs;		/* n + 1, the last all zero */
	char   *shorts;			/* ":c:vh" */
	size_t	ns;
};

/*
 * command_settings - the settings a command takes, in --help order;
 * the caller frees the array (not the entries, settings.c's).
 */
static const struct setting_def **
command_settings(const struct cli_command *cmd, size_t *n)
{
	const struct setting_def *t, **out;
	size_t	i, all;

	t = settings_table(&all);
	out = xcalloc(cmd->settings ? cmd->nsettings : all, sizeof(*out));
	*n = 0;
	if (cmd->settings == NULL) {
		for (i = 0; i < all; i++)
			if (!t[i].file_only)
				out[(*n)++] = &t[i];
		return out;
	}
	for (i = 0; i < cmd->nsettings; i++)
		if ((out[(*n)++] = settings_find(cmd->settings[i])) == NULL)
			msg_fatal(MSG_EXIT_FAIL, "cli: no setting %s", cmd->settings[i]);
	return out;
}

/* add - one option into the table; name is a setting key or as typed */
static void
add(struct table *t, const char *name, int short_opt, int has_arg,
    const struct setting_def *setting, const struct cli_opt *opt)
{
	struct entry *e = &t->e[t->n];

	if (strlen(name) >= sizeof(e->name))
		msg_fatal(MSG_EXIT_FAIL, "cli: option name too long: %.64s", name);
	settings_cli_name(e->name, sizeof(e->name), name);
	e->short_opt = short_opt;
	e->has_arg = has_arg;
	e->setting = setting;
	e->opt = opt;
	t->longs[t->n] = (struct option){e->name, has_arg ? required_argument :
	    no_argument, NULL, VAL_BASE + (int)t->n};
	if (short_opt) {
		t->shorts[t->ns++] = (char)short_opt;
		if (has_arg)
			t->shorts[t->ns++] = ':';
	}
	t->n++;
}

/* add_opts - a list of the command's own options */
static void
add_opts(struct table *t, const struct cli_opt *o, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		add(t, o[i].name, o[i].short_opt, o[i].arg != NULL, NULL, &o[i]);
}

/* table_build - getopt_long's table and short string for a command */
static void
table_build(struct table *t, const struct cli_command *cmd)
{
	const struct setting_def **defs;
	size_t	i, n, max;

	defs = command_settings(cmd, &n);
	max = cmd->nown + n + cmd->nafter;
	t->e = xcalloc(max, sizeof(*t->e));
	t->longs = xcalloc(max + 1, sizeof(*t->longs));
	t->shorts = xcalloc(2 * max + 2, 1);
	t->n = 0;
	t->ns = 0;
	t->shorts[t->ns++] = ':';	/* a missing value is ':', not '?' */
	add_opts(t, cmd->own, cmd->nown);
	for (i = 0; i < n; i++)
		add(t, defs[i]->name, defs[i]->short_opt, defs[i]->type != SET_FLAG,
		    defs[i], NULL);
	add_opts(t, cmd->after, cmd->nafter);
	free(defs);
}

/* table_free - what table_build() allocated */
static void
table_free(struct table *t)
{
	free(t->e);
	free(t->longs);
	free(t->shorts);
}

/* lookup - the entry getopt_long's answer names, or NULL */
static const struct entry *
lookup(const struct table *t, int c)
{
	size_t	i;

	if (c >= VAL_BASE && (size_t)(c - VAL_BASE) < t->n)
		return &t->e[c - VAL_BASE];
	for (i = 0; c > 0 && c != '?' && c != ':' && i < t->n; i++)
		if (t->e[i].short_opt == c)
			return &t->e[i];
	return NULL;
}

/* usage_error - one line naming the problem and the argument; exit 2 */
static void __attribute__((noreturn))
usage_error(const struct cli_command *cmd, const char *what, const char *arg)
{
	char	safe[160];

	printable_for_log(safe, sizeof(safe), arg, strlen(arg));
	msg_fatal(MSG_EXIT_USAGE, "%s '%s' (see pfqmon%s%s --help)", what, safe,
	    cmd->name ? " " : "", cmd->name ? cmd->name : "");
}

/*
 * unknown - name the option getopt_long did not know: the letter alone
 * for a short one ("-x" of "-vx"), else the argument as typed.
 */
static void __attribute__((noreturn))
unknown(const struct cli_command *cmd, char **argv)
{
	char	letter[3] = {'-', '\0', '\0'};

	if (optopt > 0 && optopt < VAL_BASE && optopt != '?') {
		letter[1] = (char)optopt;
		usage_error(cmd, "unknown option", letter);
	}
	usage_error(cmd, "unknown option", argv[optind - 1]);
}

/* take - one option given: a setting, --config, --help or the command's */
static void
take(const struct cli_command *cmd, const struct entry *e, const char *arg,
    void *ctx, struct cli_args *args)
{
	char	why[512];

	if (e->setting != NULL) {
		if (settings_set(&args->settings, e->setting, arg, why,
		    sizeof(why)) < 0)
			cli_bad_value(e->name, arg ? arg : "", why);
	} else if (e->opt->id == CLI_CONFIG) {
		args->config_file = arg;
	} else if (e->opt->id == CLI_HELP) {
		cli_help(cmd, stdout);
		exit(0);
	} else {
		cmd->take(ctx, e->opt, arg);
	}
}

/* cli_parse - see cli.h */
void
cli_parse(const struct cli_command *cmd, int argc, char **argv, void *ctx,
    struct cli_args *args)
{
	const struct entry *e;
	struct table t;
	int	c;

	settings_init(&args->settings);
	args->config_file = NULL;
	table_build(&t, cmd);
	opterr = 0;
	optind = 0;		/* glibc: a fresh scan, also on a second parse */
	while ((c = getopt_long(argc, argv, t.shorts, t.longs, NULL)) != -1) {
		if (c == ':')
			usage_error(cmd, "this option needs a value:", argv[optind - 1]);
		if ((e = lookup(&t, c)) == NULL)
			unknown(cmd, argv);
		take(cmd, e, e->has_arg ? optarg : NULL, ctx, args);
	}
	if (optind < argc)
		usage_error(cmd, "unexpected argument", argv[optind]);
	table_free(&t);
	if (cmd->check != NULL)
		cmd->check(ctx);
	sudo_check(&args->settings, args->config_file);
}

/* cli_bad_value - see cli.h */
void
cli_bad_value(const char *option, const char *value, const char *why)
{
	char	safe[101];

	printable_for_log(safe, sizeof(safe), value, strlen(value));
	msg_fatal(MSG_EXIT_USAGE, "option --%s: invalid value '%s' (%s)", option,
	    safe, why);
}

/*
 * row - one option's --help line, its default where the help text says
 * {default}. pad: the block has a short option, so the others keep
 * room for one.
 */
static void
row(FILE *fp, const struct cli_command *cmd, int pad, int short_opt,
    const char *name, const char *arg, const char *help, const char *dflt)
{
	const char *mark = strstr(help, DEFAULT_MARK);
	char	spelled[NAME_MAX_LEN];
	int	n;

	settings_cli_name(spelled, sizeof(spelled), name);
	if (short_opt)
		n = fprintf(fp, "  -%c, --%s", short_opt, spelled);
	else
		n = fprintf(fp, "  %s--%s", pad ? "  " : "", spelled);
	if (n >= 0 && arg != NULL)
		n += fprintf(fp, " %s", arg);
	if (n < 0)
		return;
	fprintf(fp, "%*s ", n - 2 < cmd->width ? cmd->width - (n - 2) : 0, "");
	if (mark == NULL)
		fprintf(fp, "%s\n", help);
	else
		fprintf(fp, "%.*s%s%s\n", (int)(mark - help), help, dflt,
		    mark + strlen(DEFAULT_MARK));
}

/* opt_row - the --help line of one of the command's own options */
static void
opt_row(FILE *fp, const struct cli_command *cmd, int pad,
    const struct cli_opt *o)
{
	char	dflt[32];

	snprintf(dflt, sizeof(dflt), "%llu", (unsigned long long)o->default_value);
	row(fp, cmd, pad, o->short_opt, o->name, o->arg, o->help, dflt);
}

/* setting_row - the --help line of a setting */
static void
setting_row(FILE *fp, const struct cli_command *cmd, int pad,
    const struct setting_def *d)
{
	char	dflt[32];

	settings_default_text(dflt, sizeof(dflt), d);
	row(fp, cmd, pad, d->short_opt, d->name, d->arg, d->help, dflt);
}

/* any_short - whether one of these options has a short form */
static int
any_short(const struct cli_opt *o, size_t n)
{
	while (n-- > 0)
		if (o[n].short_opt)
			return 1;
	return 0;
}

/* cli_help - see cli.h */
void
cli_help(const struct cli_command *cmd, FILE *fp)
{
	const struct setting_def **defs;
	size_t	i, n;
	int	pad;

	fputs(cmd->head, fp);
	pad = any_short(cmd->own, cmd->nown);
	for (i = 0; i < cmd->nown; i++)
		opt_row(fp, cmd, pad, &cmd->own[i]);
	if (cmd->settings_title != NULL)
		fputs(cmd->settings_title, fp);
	defs = command_settings(cmd, &n);
	pad = any_short(cmd->after, cmd->nafter);
	for (i = 0; i < n; i++)
		pad |= defs[i]->short_opt != 0;
	for (i = 0; i < n; i++)
		setting_row(fp, cmd, pad, defs[i]);
	for (i = 0; i < cmd->nafter; i++)
		opt_row(fp, cmd, pad, &cmd->after[i]);
	free(defs);
	if (cmd->tail != NULL)
		fputs(cmd->tail, fp);
}
