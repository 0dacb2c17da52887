/*
 * cmd.c - pfqmon's commands (cmd.h): the agent's command line, "pfqmon
 * select" and "pfqmon top"; for each, its options as cli.c reads them,
 * then its run: one reading of the queue, output.
 *
 * Trusts its arguments only after cli.c, filter.c and settings.c
 * checked them (and, run by sudo as a user, sudo.c refused what is not
 * for stdout); queue IDs reach the output only after the readers
 * checked them against Postfix's own rule, so postsuper never sees
 * anything else.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "agg.h"
#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "filter.h"
#include "msg.h"
#include "prom.h"
#include "report.h"
#include "serve.h"
#include "settings.h"
#include "source.h"
#include "sudo.h"
#include "top.h"
#include "xalloc.h"

#ifndef PFQMON_VERSION
#define PFQMON_VERSION "0.2.0"
#endif

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define TOP_ROWS	10	/* rows per breakdown, by default */

/* --- pfqmon [options]: the agent ---------------------------------- */

/* The agent's options that are actions, not settings: no config key. */
enum { AGENT_CHECK, AGENT_SCHEMA, AGENT_VERSION };

static const struct cli_opt agent_after[] = {
	{ .name = "config", .arg = "FILE", .id = CLI_CONFIG,
	    .help = "read options from this JSON file (keys: the names above, "
	    "with _)" },
	{ .name = "check-config", .id = AGENT_CHECK,
	    .help = "check the settings, print what would run, and exit" },
	{ .name = "schema", .id = AGENT_SCHEMA,
	    .help = "list the measurements, tags and fields pfqmon writes" },
	{ .name = "help", .short_opt = 'h', .id = CLI_HELP,
	    .help = "this text" },
	{ .name = "version", .short_opt = 'V', .id = AGENT_VERSION,
	    .help = "print the version" },
};

/* The agent's actions that wait until every option is read. */
struct actions {
	int	check;			/* --check-config */
	int	schema;			/* --schema */
};

/*
 * print_schema - --schema: the names report_write() emits, or with
 * --format openmetrics those prom_write() does
 */
static void
print_schema(const struct settings *s)
{
	struct buf out;

	buf_init(&out);
	if (s->format && strcmp(s->format, "openmetrics") == 0)
		prom_schema(&out);
	else
		report_schema(&out);
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout))
		msg_fatal(MSG_EXIT_FAIL, "cannot write output: %s", strerror(errno));
	buf_free(&out);
}

/* agent_take - an action: --check-config and --schema wait, --version not */
static void
agent_take(void *ctx, const struct cli_opt *o, const char *arg)
{
	struct actions *act = ctx;

	(void)arg;
	switch (o->id) {
	case AGENT_CHECK:
		act->check = 1;
		break;
	case AGENT_SCHEMA:
		act->schema = 1;
		break;
	case AGENT_VERSION:
		printf("pfqmon %s\n", PFQMON_VERSION);
		exit(0);
	}
}

static const struct cli_command agent_cmd = {
	.head = "usage: pfqmon [options]\n"
	    "       pfqmon select FILTERS [options]   queue IDs for postsuper\n"
	    "       pfqmon top [options]              who has the most mail "
	    "queued\n"
	    "       pfqmon serve [options]            Prometheus's /metrics\n\n"
	    "Read the Postfix queue files, read-only, and write InfluxDB line "
	    "protocol:\nper queue, in total, by age, and by sender, SASL user, "
	    "client address,\nsender domain and recipient domain. One scan by "
	    "default; --interval or\n--execd keep running; --push sends to "
	    "InfluxDB instead of printing;\n--format openmetrics writes "
	    "Prometheus's text instead.\n\n",
	.after = agent_after,
	.nafter = NITEMS(agent_after),
	.tail = "\nNeeds read access to the queue: run as root or as the "
	    "postfix user\n(sudo -u postfix pfqmon). Never change the queue's "
	    "permissions. Run by sudo as\na user, pfqmon refuses the options "
	    "that read a file or send data\n(--config, --push*, --user).\n",
	.width = 32,
	.take = agent_take,
};

/* run_agent - the agent's run, or the action the command line asked for */
static int
run_agent(struct cli_args *args, const struct actions *act)
{
	int	rc;

	if (act->schema) {
		print_schema(&args->settings);
		settings_free(&args->settings);
		return 0;
	}
	if (act->check)
		agent_unblock_signals();
	rc = act->check ? agent_check(&args->settings, args->config_file) :
	    agent_run(&args->settings, args->config_file);
	settings_free(&args->settings);
	return rc;
}

/* cmd_agent - see cmd.h */
int
cmd_agent(int argc, char **argv)
{
	struct actions act = {0, 0};
	struct cli_args args;

	cli_parse(&agent_cmd, argc, argv, &act, &args);
	return run_agent(&args, &act);
}

/* --- pfqmon serve: the agent, scraped ------------------------------ */

/* The agent's options that make sense for a server scraped by Prometheus. */
static const char *const serve_settings[] = {
	"listen", "listen_connections", "listen_timeout", "interval",
	"queue_dir", "config_dir", "user", "source", "top", "threads", "no_cache",
	"no_watch", "full_rescan", "tag", "verbose",
};

static const struct cli_opt serve_after[] = {
	{ .name = "config", .arg = "FILE", .id = CLI_CONFIG,
	    .help = "read options from this JSON file (keys: the names above, "
	    "with _)" },
	{ .name = "check-config", .id = AGENT_CHECK,
	    .help = "check the settings, print what would run, and exit" },
	{ .name = "help", .short_opt = 'h', .id = CLI_HELP,
	    .help = "this text" },
};

static const struct cli_command serve_cmd = {
	.name = "serve",
	.head = "usage: pfqmon serve [options]\n\n"
	    "Scan the Postfix queue every --interval (default "
	    SETTINGS_SERVE_INTERVAL ") and serve the latest scan\n"
	    "on http://ADDR:PORT" SERVE_PATH " in Prometheus's text format "
	    "(default " SETTINGS_LISTEN_DEFAULT ":\nport " SETTINGS_STR(
	    SETTINGS_LISTEN_PORT) " on every address, as Postfix exporters "
	    "do). A scrape never starts a\nscan: it gets the last one. "
	    "Runs until SIGTERM or SIGINT.\n\n",
	.settings = serve_settings,
	.nsettings = NITEMS(serve_settings),
	.after = serve_after,
	.nafter = NITEMS(serve_after),
	.tail = "\nThe page names senders, SASL users and client addresses: "
	    "let only Prometheus\nreach the port (a firewall, or --listen "
	    "127.0.0.1:" SETTINGS_STR(SETTINGS_LISTEN_PORT) " behind a "
	    "proxy).\nRun as root or as the postfix user; as root pfqmon "
	    "binds, then becomes the\nqueue's owner.\n",
	.width = 32,
	.take = agent_take,
};

/* cmd_serve - see cmd.h */
int
cmd_serve(int argc, char **argv)
{
	struct actions act = {0, 0};
	struct cli_args args;

	cli_parse(&serve_cmd, argc, argv, &act, &args);
	if (sudo_restricted())
		msg_fatal(MSG_EXIT_USAGE, "serve: refused when run through sudo as "
		    "a user: it sends the queue's data to the network");
	args.settings.serve = 1;
	return run_agent(&args, &act);
}

/* --- what select and top share -------------------------------------- */

/* The agent's options that say where and how to read the queue. */
static const char *const queue_settings[] = {
	"queue_dir", "config_dir", "user", "source", "threads", "now", "verbose",
};

static const struct cli_opt queue_after[] = {
	{ .name = "config", .arg = "FILE", .id = CLI_CONFIG,
	    .help = "the agent's JSON configuration file (only the options "
	    "above apply)" },
	{ .name = "help", .short_opt = 'h', .id = CLI_HELP,
	    .help = "this text" },
};

/* The rest of select's and top's description: their queue options. */
#define QUEUE_OPTIONS							\
	.settings_title = "\nReading the queue (as for the agent):\n",	\
	.settings = queue_settings,					\
	.nsettings = NITEMS(queue_settings),				\
	.after = queue_after,						\
	.nafter = NITEMS(queue_after),					\
	.width = 28

/*
 * settings_for - the effective settings: file, then command line. Also
 * lets SIGPIPE end the command quietly, as it ends cat or grep: the
 * agent ignores it for its HTTP push, but "pfqmon select ... | head"
 * closing the pipe early is no error worth a message.
 */
static void
settings_for(struct cli_args *args, struct settings *cfg)
{
	char	err[1024];

	signal(SIGPIPE, SIG_DFL);
	if (config_settings(cfg, &args->settings, args->config_file, err,
	    sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_USAGE, "%s", err);
	settings_free(&args->settings);
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

/* Ids of select's options that are not filters (those: filter kinds). */
enum { SELECT_ENCODED = FILTER_KINDS, SELECT_COUNT };

static const struct cli_opt select_opts[] = {
	{ .name = "sender", .arg = "ADDR", .id = FILTER_SENDER,
	    .help = "envelope sender (domain part ignores case; <> for "
	    "bounces)" },
	{ .name = "sender-domain", .arg = "DOMAIN", .id = FILTER_SENDER_DOMAIN,
	    .help = "sender's domain (.example.com: its subdomains)" },
	{ .name = "sasl-user", .arg = "USER", .id = FILTER_SASL,
	    .help = "SASL login name (needs the queue files)" },
	{ .name = "client", .arg = "IP[/BITS]", .id = FILTER_CLIENT,
	    .help = "client IPv4 or IPv6 address or CIDR prefix (needs the "
	    "queue files)" },
	{ .name = "recipient-domain", .arg = "DOMAIN", .id = FILTER_RCPT_DOMAIN,
	    .help = "a recipient still to deliver in this domain" },
	{ .name = "queue", .arg = "QUEUE", .id = FILTER_QUEUE,
	    .help = "maildrop, incoming, active, deferred or hold (default: "
	    "incoming, active, deferred, hold)" },
	{ .name = "older-than", .arg = "DURATION", .id = FILTER_OLDER,
	    .help = "arrived longer ago than this (30m, 2h, 3d)" },
	{ .name = "encoded", .id = SELECT_ENCODED,
	    .help = "the values are percent-encoded (%27 for ', + for a space), "
	    "as the alert mails write them" },
	{ .name = "count", .id = SELECT_COUNT,
	    .help = "print only the number of matching messages" },
};

/* A filter option as given: applied once --encoded is known. */
struct given {
	const struct cli_opt *opt;	/* its id is the filter kind */
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

/* select_take - one option; filters wait for select_check() */
static void
select_take(void *ctx, const struct cli_opt *o, const char *arg)
{
	struct selection *S = ctx;

	if (o->id == SELECT_COUNT)
		S->count_only = 1;
	else if (o->id == SELECT_ENCODED)
		S->encoded = 1;
	else {
		S->given = xreallocarray(S->given, S->ngiven + 1, sizeof(*S->given));
		S->given[S->ngiven].opt = o;
		S->given[S->ngiven++].arg = arg;
	}
}

/*
 * select_check - every filter given, decoded first with --encoded, and
 * at least one, so that select never lists the whole queue; exit 2.
 */
static void
select_check(void *ctx)
{
	struct selection *S = ctx;
	char	why[256], plain[SETTINGS_STRING_MAX + 1];
	const char *name, *arg;
	size_t	i;

	for (i = 0; i < S->ngiven; i++) {
		name = S->given[i].opt->name;
		arg = S->given[i].arg;
		if (S->encoded && filter_unescape(arg, plain, sizeof(plain)) < 0)
			cli_bad_value(name, arg, "with --encoded: want %HH escapes "
			    "of bytes other than NUL, + for a space");
		if (filter_add(&S->f, (enum filter_kind)S->given[i].opt->id,
		    S->encoded ? plain : arg, why, sizeof(why)) < 0)
			cli_bad_value(name, arg, why);
	}
	free(S->given);
	S->given = NULL;
	if (filter_empty(&S->f))
		msg_fatal(MSG_EXIT_USAGE, "select needs at least one filter, so "
		    "that it never lists the whole queue by mistake (see pfqmon "
		    "select --help)");
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

static const struct cli_command select_cmd = {
	.name = "select",
	.head = "usage: pfqmon select FILTERS [options]\n\n"
	    "Print the queue IDs of the messages that match every filter given "
	    "(a filter\ngiven twice matches either value), one per line, for "
	    "postsuper(1):\n"
	    "  pfqmon select --sasl-user victim@example.com | postsuper -h -\n"
	    "Without --queue: incoming, active, deferred and hold, the queues "
	    "postsuper\nacts on by default (--queue maildrop needs postsuper -d - "
	    "maildrop).\n\n",
	.own = select_opts,
	.nown = NITEMS(select_opts),
	QUEUE_OPTIONS,
	.take = select_take,
	.check = select_check,
};

/* cmd_select - see cmd.h */
int
cmd_select(int argc, char **argv)
{
	struct selection S;
	struct cli_args args;
	struct settings cfg;
	struct source src;
	struct scan_sink to;
	struct scan_stats st;
	char	err[1024];
	int	rc = 0;

	memset(&S, 0, sizeof(S));
	filter_init(&S.f);
	buf_init(&S.out);
	cli_parse(&select_cmd, argc, argv, &S, &args);
	settings_for(&args, &cfg);
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

enum { TOP_OPT_ROWS, TOP_OPT_FORMAT };

static const struct cli_opt top_opts[] = {
	{ .name = "rows", .arg = "N", .default_value = TOP_ROWS,
	    .id = TOP_OPT_ROWS,
	    .help = "rows per breakdown (default {default}; 0: all)" },
	{ .name = "format", .arg = "FORMAT", .id = TOP_OPT_FORMAT,
	    .help = "table (default) or json" },
};

/* top_take - one option of top's own */
static void
top_take(void *ctx, const struct cli_opt *o, const char *arg)
{
	struct top_opts *t = ctx;
	struct settings tmp;
	char	why[256];

	if (o->id == TOP_OPT_ROWS) {
		/* The agent's --top bounds, and its reason. */
		settings_init(&tmp);
		if (settings_set(&tmp, settings_find("top"), arg, why,
		    sizeof(why)) < 0)
			cli_bad_value(o->name, arg, why);
		t->rows = (size_t)tmp.top;
		settings_free(&tmp);
	} else if (strcmp(arg, "json") == 0 || strcmp(arg, "table") == 0) {
		t->json = arg[0] == 'j';
	} else {
		cli_bad_value(o->name, arg, "want table or json");
	}
}

static const struct cli_command top_cmd = {
	.name = "top",
	.head = "usage: pfqmon top [options]\n\n"
	    "Show who has the most mail in the queue: senders, SASL users, "
	    "client\naddresses, sender and recipient domains, with counts per "
	    "queue and the\noldest message's age.\n\n",
	.own = top_opts,
	.nown = NITEMS(top_opts),
	QUEUE_OPTIONS,
	.take = top_take,
};

/* cmd_top - see cmd.h */
int
cmd_top(int argc, char **argv)
{
	struct top_opts o;
	struct cli_args args;
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
	cli_parse(&top_cmd, argc, argv, &o, &args);
	settings_for(&args, &cfg);
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
