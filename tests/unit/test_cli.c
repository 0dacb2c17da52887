/*
 * test_cli.c - the command-line front end (cli.c): a setting parses the
 * same in every command, a command's own options reach it in order and
 * before its check, and --help shows each default from the one place
 * settings_init() reads it from. Error paths exit; tests/cli/run.sh
 * runs those against the real commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "settings.h"
#include "unit.h"

#define NWORDS	16

/* What the test command's take() and check() saw. */
struct seen {
	int	id[NWORDS];
	char	arg[NWORDS][32];
	size_t	n;
	size_t	n_at_check;	/* options taken when check() ran */
	int	checks;
};

enum { OWN_FLAG, OWN_VALUE };

static const struct cli_opt own[] = {
	{ .name = "value", .arg = "V", .default_value = 7, .id = OWN_VALUE,
	    .help = "a value (default {default})" },
	{ .name = "flag", .id = OWN_FLAG, .help = "a flag" },
};

static const struct cli_opt after[] = {
	{ .name = "config", .arg = "FILE", .id = CLI_CONFIG,
	    .help = "the configuration" },
	{ .name = "help", .short_opt = 'h', .id = CLI_HELP, .help = "this text" },
};

static const char *const some[] = {
	"queue_dir", "source", "threads", "now", "verbose",
};

/* take - record one option of the command's own */
static void
take(void *ctx, const struct cli_opt *o, const char *arg)
{
	struct seen *s = ctx;

	ck_assert_uint_lt(s->n, NWORDS);
	s->id[s->n] = o->id;
	snprintf(s->arg[s->n++], sizeof(s->arg[0]), "%s", arg ? arg : "(none)");
}

/* check - record when the command's own check runs */
static void
check(void *ctx)
{
	struct seen *s = ctx;

	s->checks++;
	s->n_at_check = s->n;
}

/* Like the agent: every setting. */
static const struct cli_command all_cmd = {
	.head = "usage: all\n",
	.after = after,
	.nafter = 2,
	.width = 32,
	.take = take,
};

/* Like select and top: options of its own, then a few settings. */
static const struct cli_command some_cmd = {
	.name = "some",
	.head = "usage: some\n\n",
	.own = own,
	.nown = 2,
	.settings_title = "\nSettings:\n",
	.settings = some,
	.nsettings = sizeof(some) / sizeof(some[0]),
	.after = after,
	.nafter = 2,
	.width = 20,
	.take = take,
	.check = check,
};

/*
 * parse - cli_parse() of a NULL-terminated list of words. They are
 * copied to storage that outlives the call (getopt_long permutes argv,
 * and args->config_file points into it).
 */
static void
parse(const struct cli_command *cmd, const char *const *words,
    struct seen *seen, struct cli_args *args)
{
	static char store[NWORDS][64];
	char   *argv[NWORDS + 1];
	int	argc;

	/* Run by sudo as a user, cli_parse() would apply sudo.c's rules. */
	unsetenv("SUDO_UID");
	memset(seen, 0, sizeof(*seen));
	for (argc = 0; words[argc] != NULL; argc++) {
		ck_assert_int_lt(argc, NWORDS);
		snprintf(store[argc], sizeof(store[0]), "%s", words[argc]);
		argv[argc] = store[argc];
	}
	argv[argc] = NULL;
	cli_parse(cmd, argc, argv, seen, args);
}

START_TEST(a_setting_parses_alike_in_every_command)
{
	static const char *const words_all[] = {"pfqmon", "--threads", "3", "-v",
		"--now=1700000000", "--source", "spool", "--queue-dir", "/q",
		NULL};
	static const char *const words_some[] = {"some", "--threads", "3", "-v",
		"--now=1700000000", "--source", "spool", "--queue-dir", "/q",
		NULL};
	struct cli_args a, b;
	struct seen seen;

	parse(&all_cmd, words_all, &seen, &a);
	parse(&some_cmd, words_some, &seen, &b);
	ck_assert_uint_eq(a.settings.threads, 3);
	ck_assert_uint_eq(a.settings.now, 1700000000);
	ck_assert_int_eq(a.settings.verbose, 1);
	ck_assert_str_eq(a.settings.source, "spool");
	ck_assert_str_eq(a.settings.queue_dir, "/q");
	ck_assert_uint_eq(a.settings.threads, b.settings.threads);
	ck_assert_uint_eq(a.settings.now, b.settings.now);
	ck_assert_int_eq(a.settings.verbose, b.settings.verbose);
	ck_assert_str_eq(a.settings.source, b.settings.source);
	ck_assert_str_eq(a.settings.queue_dir, b.settings.queue_dir);
	/* Given on the command line: each wins over a configuration file. */
	ck_assert_uint_eq(a.settings.set, b.settings.set);
	ck_assert_uint_ne(a.settings.set, 0);
	ck_assert_ptr_null(a.config_file);
	settings_free(&a.settings);
	settings_free(&b.settings);
}
END_TEST

START_TEST(own_options_reach_the_command_in_order_then_check)
{
	static const char *const words[] = {"some", "--value", "a", "--threads",
		"2", "--flag", "--config", "/c", "--value=b", NULL};
	struct cli_args args;
	struct settings defaults;
	struct seen seen;

	parse(&some_cmd, words, &seen, &args);
	ck_assert_uint_eq(seen.n, 3);
	ck_assert_int_eq(seen.id[0], OWN_VALUE);
	ck_assert_str_eq(seen.arg[0], "a");
	ck_assert_int_eq(seen.id[1], OWN_FLAG);
	ck_assert_str_eq(seen.arg[1], "(none)");
	ck_assert_int_eq(seen.id[2], OWN_VALUE);
	ck_assert_str_eq(seen.arg[2], "b");
	ck_assert_int_eq(seen.checks, 1);
	ck_assert_uint_eq(seen.n_at_check, 3);
	ck_assert_uint_eq(args.settings.threads, 2);
	ck_assert_str_eq(args.config_file, "/c");
	/* Settings not given keep their defaults. */
	settings_init(&defaults);
	ck_assert_uint_eq(args.settings.top, defaults.top);
	ck_assert_uint_eq(args.settings.push_buffer_bytes,
	    defaults.push_buffer_bytes);
	settings_free(&defaults);
	settings_free(&args.settings);
}
END_TEST

/* help_of - cmd's --help, as cli_help() writes it; caller frees */
static char *
help_of(const struct cli_command *cmd)
{
	char   *text = NULL;
	size_t	len = 0;
	FILE   *fp = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(fp);
	cli_help(cmd, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return text;
}

/* has - text holds want */
static void
has(const char *text, const char *want)
{
	ck_assert_msg(strstr(text, want) != NULL, "no \"%s\" in --help", want);
}

START_TEST(help_shows_the_defaults_settings_init_sets)
{
	struct settings s;
	char	want[128];
	char   *text = help_of(&all_cmd);

	settings_init(&s);
	snprintf(want, sizeof(want), "rows per breakdown plus one (other) row "
	    "(default %llu; 0 = all)\n", (unsigned long long)s.top);
	has(text, want);
	snprintf(want, sizeof(want), "scan with N threads (default %llu: one "
	    "per core", (unsigned long long)s.threads);
	has(text, want);
	snprintf(want, sizeof(want), "limit for one request (default %llus)\n",
	    (unsigned long long)s.push_timeout_ms / 1000);
	has(text, want);
	snprintf(want, sizeof(want), "limit for connecting (default %llus)\n",
	    (unsigned long long)s.push_connect_timeout_ms / 1000);
	has(text, want);
	snprintf(want, sizeof(want), "unsent scans (default %llu MiB)\n",
	    (unsigned long long)s.push_buffer_bytes >> 20);
	has(text, want);
	ck_assert_ptr_null(strstr(text, "{default}"));
	settings_free(&s);
	free(text);
}
END_TEST

START_TEST(help_layout)
{
	static const char want[] =
	    "usage: some\n\n"
	    "  --value V            a value (default 7)\n"
	    "  --flag               a flag\n"
	    "\nSettings:\n"
	    "    --queue-dir DIR    read this queue directory\n"
	    "    --source SOURCE    spool (the files), showq (its socket), "
	    "postqueue (postqueue -j) or auto\n"
	    "    --threads N        scan with N threads (default 0: one per "
	    "core, at most 8)\n"
	    "    --now EPOCH        compute ages as of this Unix time "
	    "(reproducible reports)\n"
	    "  -v, --verbose        explain every file that is not counted, "
	    "on stderr\n"
	    "    --config FILE      the configuration\n"
	    "  -h, --help           this text\n";
	char   *text = help_of(&some_cmd);

	ck_assert_str_eq(text, want);
	free(text);
}
END_TEST

/* text_of - settings_default_text() of a made-up entry */
static const char *
text_of(enum setting_type type, uint64_t v, int bytes)
{
	static char out[32];
	struct setting_def d;

	memset(&d, 0, sizeof(d));
	d.type = type;
	d.default_value = v;
	d.bytes = bytes;
	settings_default_text(out, sizeof(out), &d);
	return out;
}

START_TEST(default_texts)
{
	ck_assert_str_eq(text_of(SET_DURATION, 10000, 0), "10s");
	ck_assert_str_eq(text_of(SET_DURATION, 90000, 0), "90s");
	ck_assert_str_eq(text_of(SET_DURATION, 120000, 0), "2m");
	ck_assert_str_eq(text_of(SET_DURATION, 3600000, 0), "1h");
	ck_assert_str_eq(text_of(SET_DURATION, 86400000, 0), "1d");
	ck_assert_str_eq(text_of(SET_DURATION, 1500, 0), "1500ms");
	ck_assert_str_eq(text_of(SET_DURATION, 0, 0), "0ms");
	ck_assert_str_eq(text_of(SET_COUNT, 20, 0), "20");
	ck_assert_str_eq(text_of(SET_COUNT, 16u << 20, 0), "16777216");
	ck_assert_str_eq(text_of(SET_COUNT, 16u << 20, 1), "16 MiB");
	ck_assert_str_eq(text_of(SET_COUNT, 2048, 1), "2 KiB");
	ck_assert_str_eq(text_of(SET_COUNT, 1536, 1), "1536");
	ck_assert_str_eq(text_of(SET_FLAG, 0, 0), "false");
	ck_assert_str_eq(text_of(SET_STRING, 0, 0), "");
}
END_TEST

Suite *
cli_suite(void)
{
	Suite  *s = suite_create("cli");
	TCase  *tc = tcase_create("front_end");

	tcase_add_test(tc, a_setting_parses_alike_in_every_command);
	tcase_add_test(tc, own_options_reach_the_command_in_order_then_check);
	tcase_add_test(tc, help_shows_the_defaults_settings_init_sets);
	tcase_add_test(tc, help_layout);
	tcase_add_test(tc, default_texts);
	suite_add_tcase(s, tc);
	return s;
}
