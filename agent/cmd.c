/*
 * cmd.c - "pfqmon select" and "pfqmon top" (cmd.h): options, one
 * reading of the queue, output.
 *
 * Trusts its arguments only after filter.c and settings.c checked them
 * (and, run by sudo as a user, sudo.c refused what is not for stdout);
 * queue IDs reach the output only after the readers checked them
 * against Postfix's own rule, so postsuper never sees anything else.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "filter.h"
#include "msg.h"
#include "settings.h"
#include "source.h"
#include "sudo.h"
#include "top.h"
#include "xalloc.h"

#define TOP_ROWS	10	/* rows per breakdown, by default */

/* The agent's options that say where and how to read the queue. */
static const char *const shared[] = {
	"queue_dir", "config_dir", "user", "source", "threads", "now", "verbose",
};
#define NSHARED	(sizeof(shared) / sizeof(shared[0]))

enum { OPT_HELP = 'h', OPT_CONFIG = 256, OPT_SHARED = 300, OPT_OWN = 400 };

/* One option of a command's own. */
struct own_opt {
	const char *name;
	int	has_arg;
	const char *arg, *help;
};

/* A command: its name, help text and own options. */
struct command {
	const char *name, *synopsis, *what;
	const struct own_opt *own;
	size_t	nown;
	void	(*take)(void *, size_t, const char *);	/* exits 2 if bad */
};

/* A parsed command line: the shared settings and the config file. */
struct cmdline {
	struct settings cli;
	const char *config_file;
};

/* help - the command's usage: its own options, then the shared ones */
static void
help(const struct command *cmd)
{
	char	left[96];
	size_t	i;

	printf("usage: pfqmon %s %s\n\n%s\n\n", cmd->name, cmd->synopsis,
	    cmd->what);
	for (i = 0; i < cmd->nown; i++) {
		snprintf(left, sizeof(left), "--%s%s%s", cmd->own[i].name,
		    cmd->own[i].arg ? " " : "", cmd->own[i].arg ? cmd->own[i].arg : "");
		printf("  %-28s %s\n", left, cmd->own[i].help);
	}
	printf("\nReading the queue (as for the agent):\n");
	for (i = 0; i < NSHARED; i++) {
		settings_help_left(left, sizeof(left), settings_find(shared[i]));
		printf("  %-28s %s\n", left, settings_find(shared[i])->help);
	}
	printf("  %-28s %s\n", "  --config FILE", "the agent's JSON configuration "
	    "file (only the options above apply)");
	printf("  %-28s %s\n", "-h, --help", "this text");
}

/*
 * parse - getopt over the command's own options and the shared ones;
 * own options go to cmd->take(ctx, index, optarg), which exits 2 on a
 * bad value. Returns when the arguments are used up.
 */
static void
parse(int argc, char **argv, const struct command *cmd, void *ctx,
    struct cmdline *cl)
{
	const struct own_opt *own = cmd->own;
	size_t	nown = cmd->nown;
	struct option *opts;
	char	names[NSHARED][32], shorts[16], why[512], safe[160];
	size_t	i, k = 0, s = 0;
	int	c;

	opts = xcalloc(nown + NSHARED + 3, sizeof(*opts));
	for (i = 0; i < nown; i++)
		opts[k++] = (struct option){own[i].name, own[i].has_arg, NULL,
		    OPT_OWN + (int)i};
	shorts[s++] = ':';
	for (i = 0; i < NSHARED; i++) {
		const struct setting_def *d = settings_find(shared[i]);

		settings_cli_name(names[i], sizeof(names[i]), d->name);
		opts[k++] = (struct option){names[i], d->type == SET_FLAG ?
		    no_argument : required_argument, NULL, OPT_SHARED + (int)i};
		if (d->short_opt) {
			shorts[s++] = (char)d->short_opt;
			if (d->type != SET_FLAG)
				shorts[s++] = ':';
		}
	}
	opts[k++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
	opts[k++] = (struct option){"help", no_argument, NULL, OPT_HELP};
	shorts[s++] = 'h';
	shorts[s] = '\0';
	settings_init(&cl->cli);
	cl->config_file = NULL;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		for (i = 0; c > 0 && c < 128 && i < NSHARED; i++)
			if (settings_find(shared[i])->short_opt == c)
				c = OPT_SHARED + (int)i;
		if (c >= OPT_OWN) {
			cmd->take(ctx, (size_t)(c - OPT_OWN), optarg);
		} else if (c >= OPT_SHARED) {
			const struct setting_def *d = settings_find(shared[c - OPT_SHARED]);

			if (settings_set(&cl->cli, d, d->type == SET_FLAG ? NULL : optarg,
			    why, sizeof(why)) < 0)
				msg_fatal(MSG_EXIT_USAGE, "option --%s: invalid value "
				    "'%.100s' (%s)", names[c - OPT_SHARED],
				    optarg ? optarg : "", why);
		} else if (c == OPT_CONFIG) {
			cl->config_file = optarg;
		} else if (c == OPT_HELP) {
			help(cmd);
			exit(0);
		} else {
			const char *arg = argv[optind - 1];

			printable_for_log(safe, sizeof(safe), arg, strlen(arg));
			msg_fatal(MSG_EXIT_USAGE, "%s '%s' (see pfqmon %s --help)",
			    c == ':' ? "this option needs a value:" : "unknown option",
			    safe, cmd->name);
		}
	}
	if (optind < argc) {
		printable_for_log(safe, sizeof(safe), argv[optind],
		    strlen(argv[optind]));
		msg_fatal(MSG_EXIT_USAGE, "unexpected argument '%s' (see pfqmon "
		    "%s --help)", safe, cmd->name);
	}
	free(opts);
}

/*
 * settings_for - the effective settings: file, then command line. Also
 * lets SIGPIPE end the command quietly, as it ends cat or grep: the
 * agent ignores it for its HTTP push, but "pfqmon select ... | head"
 * closing the pipe early is no error worth a message.
 */
static void
settings_for(struct cmdline *cl, struct settings *cfg)
{
	char	err[1024];

	signal(SIGPIPE, SIG_DFL);
	sudo_check(&cl->cli, cl->config_file);
	if (config_settings(cfg, &cl->cli, cl->config_file, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	settings_free(&cl->cli);
	msg_verbose = cfg->verbose;
}

/* report_unread - files that could not be considered: say so */
static void
report_unread(const struct scan_stats *st, const char *what)
{
	if (st->unparseable || st->errors)
		msg_warn("%llu of the queue files could not be read (%llu not "
		    "valid, %llu errors; -v names them): %s",
		    (unsigned long long)(st->unparseable + st->errors),
		    (unsigned long long)st->unparseable,
		    (unsigned long long)st->errors, what);
}

/* --- pfqmon select ------------------------------------------------ */

static const struct own_opt select_opts[] = {
	{"sender", 1, "ADDR", "envelope sender (domain part ignores case; "
	    "<> for bounces)"},
	{"sender-domain", 1, "DOMAIN", "sender's domain (.example.com: its "
	    "subdomains)"},
	{"sasl-user", 1, "USER", "SASL login name (needs the queue files)"},
	{"client", 1, "IP[/BITS]", "client IPv4 or IPv6 address or CIDR prefix "
	    "(needs the queue files)"},
	{"recipient-domain", 1, "DOMAIN", "a recipient still to deliver in "
	    "this domain"},
	{"queue", 1, "QUEUE", "maildrop, incoming, active, deferred or hold "
	    "(default: incoming, active, deferred, hold)"},
	{"older-than", 1, "DURATION", "arrived longer ago than this (30m, 2h, "
	    "3d)"},
	{"encoded", 0, NULL, "the values are percent-encoded (%27 for ', + for "
	    "a space), as the alert mails write them"},
	{"count", 0, NULL, "print only the number of matching messages"},
};
#define NSELECT	(sizeof(select_opts) / sizeof(select_opts[0]))

/* Filter kinds of the options that are filters, by name. */
static const struct {
	const char *name;
	enum filter_kind kind;
} select_kinds[] = {
	{"sender", FILTER_SENDER}, {"sender-domain", FILTER_SENDER_DOMAIN},
	{"sasl-user", FILTER_SASL}, {"client", FILTER_CLIENT},
	{"recipient-domain", FILTER_RCPT_DOMAIN}, {"queue", FILTER_QUEUE},
	{"older-than", FILTER_OLDER},
};

/* A filter option as given: applied once --encoded is known. */
struct given {
	size_t	opt;			/* index into select_opts */
	const char *arg;		/* argv's */
};

struct selection {
	struct filter f;
	struct given *given;
	size_t	ngiven;
	int	encoded;
	int	count_only;
	int64_t	now;
	uint64_t matched;
	/*
	 * The queue IDs, written only after a complete pass: a pass that
	 * fails half-way prints nothing, so postsuper never acts on half a
	 * selection. About 13 bytes per short ID.
	 */
	struct buf out;
};

/* select_take - one option; filters wait for add_filters() */
static void
select_take(void *ctx, size_t i, const char *arg)
{
	struct selection *S = ctx;

	if (strcmp(select_opts[i].name, "count") == 0)
		S->count_only = 1;
	else if (strcmp(select_opts[i].name, "encoded") == 0)
		S->encoded = 1;
	else {
		S->given = xreallocarray(S->given, S->ngiven + 1, sizeof(*S->given));
		S->given[S->ngiven].opt = i;
		S->given[S->ngiven++].arg = arg;
	}
}

/* kind_of - the filter kind of a filter option */
static enum filter_kind
kind_of(size_t opt)
{
	size_t	i;

	for (i = 0; i < sizeof(select_kinds) / sizeof(select_kinds[0]); i++)
		if (strcmp(select_kinds[i].name, select_opts[opt].name) == 0)
			return select_kinds[i].kind;
	msg_fatal(MSG_EXIT_FAIL, "select: option --%s has no filter kind",
	    select_opts[opt].name);
}

/* add_filters - every filter given, decoded first with --encoded; exit 2 */
static void
add_filters(struct selection *S)
{
	char	why[256], safe[160], plain[SETTINGS_STRING_MAX + 1];
	const char *name, *arg;
	size_t	i;

	for (i = 0; i < S->ngiven; i++) {
		name = select_opts[S->given[i].opt].name;
		arg = S->given[i].arg;
		printable_for_log(safe, sizeof(safe), arg, strlen(arg));
		if (S->encoded && filter_unescape(arg, plain, sizeof(plain)) < 0)
			msg_fatal(MSG_EXIT_USAGE, "option --%s: invalid value '%s' "
			    "(with --encoded: want %%HH escapes of bytes other than "
			    "NUL, + for a space)", name, safe);
		if (filter_add(&S->f, kind_of(S->given[i].opt), S->encoded ?
		    plain : arg, why, sizeof(why)) < 0)
			msg_fatal(MSG_EXIT_USAGE, "option --%s: invalid value '%s' (%s)",
			    name, safe, why);
	}
	free(S->given);
	S->given = NULL;
}

/* selected - the scan's visitor: one message, under the scan's lock */
static void
selected(void *ctx, enum pfq_queue q, const char *id, size_t len,
    const struct qf_msg *m)
{
	struct selection *S = ctx;

	if (!filter_match(&S->f, q, m, S->now))
		return;
	S->matched++;
	if (S->count_only)
		return;
	buf_add(&S->out, id, len);
	buf_addc(&S->out, '\n');
}

static const struct command select_cmd = {
	"select", "FILTERS [options]",
	"Print the queue IDs of the messages that match every filter given (a "
	"filter\ngiven twice matches either value), one per line, for "
	"postsuper(1):\n"
	"  pfqmon select --sasl-user victim@example.com | postsuper -h -\n"
	"Without --queue: incoming, active, deferred and hold, the queues "
	"postsuper\nacts on by default (--queue maildrop needs postsuper -d - "
	"maildrop).",
	select_opts, NSELECT, select_take,
};

/* cmd_select - see cmd.h */
int
cmd_select(int argc, char **argv)
{
	struct selection S;
	struct cmdline cl;
	struct settings cfg;
	struct source src;
	struct scan_sink to;
	struct scan_stats st;
	char	err[1024];
	int	rc = 0;

	memset(&S, 0, sizeof(S));
	filter_init(&S.f);
	buf_init(&S.out);
	parse(argc, argv, &select_cmd, &S, &cl);
	add_filters(&S);
	if (filter_empty(&S.f))
		msg_fatal(MSG_EXIT_USAGE, "select needs at least one filter, so "
		    "that it never lists the whole queue by mistake (see pfqmon "
		    "select --help)");
	settings_for(&cl, &cfg);
	if (source_open(&src, &cfg, filter_needs_identity(&S.f) ?
	    SOURCE_NEED_IDENTITY : 0, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	if (filter_needs_identity(&S.f) && src.kind != SRC_SPOOL)
		msg_fatal(MSG_EXIT_USAGE, "--sasl-user and --client need the queue "
		    "files (source spool): the %s source cannot see them; run "
		    "as root or as the mail owner", source_name(src.kind));
	S.now = cfg.now ? (int64_t)cfg.now : (int64_t)time(NULL);
	src.queues = filter_queues(&S.f);	/* the others cannot match */
	memset(&to, 0, sizeof(to));
	to.visit = selected;
	to.ctx = &S;
	if (source_read(&src, NULL, &to, &st, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_FAIL, "%s; nothing selected", err);
	if (S.count_only) {
		char	n[32];
		int	len = snprintf(n, sizeof(n), "%llu\n",
			    (unsigned long long)S.matched);

		buf_add(&S.out, n, (size_t)len);
	}
	if (buf_write(&S.out, STDOUT_FILENO) < 0) {
		msg_error("cannot write output: %s", strerror(errno));
		rc = MSG_EXIT_FAIL;
	}
	report_unread(&st, "they are not in the selection");
	source_close(&src);
	settings_free(&cfg);
	filter_free(&S.f);
	buf_free(&S.out);
	return rc;
}

/* --- pfqmon top --------------------------------------------------- */

static const struct own_opt top_opts[] = {
	{"rows", 1, "N", "rows per breakdown (default 10; 0: all)"},
	{"format", 1, "FORMAT", "table (default) or json"},
};
#define NTOP	(sizeof(top_opts) / sizeof(top_opts[0]))

/* top_take - one option of top's own */
static void
top_take(void *ctx, size_t i, const char *arg)
{
	struct top_opts *o = ctx;
	const struct setting_def *d = settings_find("top");
	struct settings tmp;
	char	why[256];

	if (i == 0) {
		/* The agent's --top bounds, and its error message. */
		settings_init(&tmp);
		if (settings_set(&tmp, d, arg, why, sizeof(why)) < 0)
			msg_fatal(MSG_EXIT_USAGE, "option --rows: invalid value "
			    "'%.100s' (%s)", arg, why);
		o->rows = (size_t)tmp.top;
		settings_free(&tmp);
	} else if (strcmp(arg, "json") == 0 || strcmp(arg, "table") == 0) {
		o->json = arg[0] == 'j';
	} else {
		msg_fatal(MSG_EXIT_USAGE, "option --format: invalid value '%.100s' "
		    "(want table or json)", arg);
	}
}

static const struct command top_cmd = {
	"top", "[options]",
	"Show who has the most mail in the queue: senders, SASL users, client\n"
	"addresses, sender and recipient domains, with counts per queue and "
	"the\noldest message's age.",
	top_opts, NTOP, top_take,
};

/* cmd_top - see cmd.h */
int
cmd_top(int argc, char **argv)
{
	struct top_opts o;
	struct cmdline cl;
	struct settings cfg;
	struct source src;
	struct scan_sink to;
	struct scan_stats st;
	struct timespec t0, t1;
	struct agg *a;
	char	err[1024];
	int	rc = 0;

	memset(&o, 0, sizeof(o));
	o.rows = TOP_ROWS;
	parse(argc, argv, &top_cmd, &o, &cl);
	settings_for(&cl, &cfg);
	if (source_open(&src, &cfg, 0, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	o.now = cfg.now ? (int64_t)cfg.now : (int64_t)time(NULL);
	o.source = source_name(src.kind);
	o.no_identity = src.kind != SRC_SPOOL;
	a = agg_create(o.now);
	memset(&to, 0, sizeof(to));
	to.agg = a;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (source_read(&src, NULL, &to, &st, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_FAIL, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st.duration_us = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000);
	if (top_write(STDOUT_FILENO, a, &o, &st) < 0) {
		msg_error("cannot write output: %s", strerror(errno));
		rc = MSG_EXIT_FAIL;
	}
	report_unread(&st, "they are not counted");
	agg_free(a);
	source_close(&src);
	settings_free(&cfg);
	return rc;
}
