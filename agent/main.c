/*
 * main.c - pfqmon command line: parse the options (settings.c's table,
 * so every option is also a configuration key) and run the agent.
 *
 * Exit status: 0 after a scan (bad queue files are counted, not fatal),
 * 1 when the queue cannot be read or the output cannot be delivered, 2
 * for bad command-line input or configuration. Trusts its arguments only
 * after checking them; run by sudo as a user, refuses those that read a
 * file or send data anywhere but stdout (sudo.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "buf.h"
#include "cmd.h"
#include "msg.h"
#include "report.h"
#include "settings.h"
#include "sudo.h"
#include "xalloc.h"

#ifndef PFQMON_VERSION
#define PFQMON_VERSION "0.2.0"
#endif

/* Options that are actions, not settings: no configuration key. */
enum {
	OPT_CONFIG = 1,
	OPT_HELP,
	OPT_VERSION,
	OPT_SCHEMA,
	OPT_CHECK,
	OPT_SETTING = 256		/* + index into settings_table() */
};

/* usage - --help, generated from the same table */
static void
usage(void)
{
	const struct setting_def *t;
	char	left[96];
	size_t	i, n;

	t = settings_table(&n);
	printf("usage: pfqmon [options]\n"
	    "       pfqmon select FILTERS [options]   queue IDs for postsuper\n"
	    "       pfqmon top [options]              who has the most mail "
	    "queued\n\n"
	    "Read the Postfix queue files, read-only, and write InfluxDB line "
	    "protocol:\nper queue, in total, by age, and by sender, SASL user, "
	    "client address,\nsender domain and recipient domain. One scan by "
	    "default; --interval or\n--execd keep running; --push sends to "
	    "InfluxDB instead of printing.\n\n");
	for (i = 0; i < n; i++) {
		if (t[i].file_only)
			continue;
		settings_help_left(left, sizeof(left), &t[i]);
		printf("  %-32s %s\n", left, t[i].help);
	}
	printf("  %-32s %s\n", "  --config FILE",
	    "read options from this JSON file (keys: the names above, with _)");
	printf("  %-32s %s\n", "  --check-config",
	    "check the settings, print what would run, and exit");
	printf("  %-32s %s\n", "  --schema",
	    "list the measurements, tags and fields pfqmon writes");
	printf("  %-32s %s\n", "-h, --help", "this text");
	printf("  %-32s %s\n", "-V, --version", "print the version");
	printf("\nNeeds read access to the queue: run as root or as the postfix "
	    "user\n(sudo -u postfix pfqmon). Never change the queue's "
	    "permissions. Run by sudo as\na user, pfqmon refuses the options "
	    "that read a file or send data\n(--config, --push*, --user).\n");
}

/* print_schema - --schema: the names report_write() emits */
static void
print_schema(void)
{
	struct buf out;

	buf_init(&out);
	report_schema(&out);
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout))
		msg_fatal(MSG_EXIT_FAIL, "cannot write output: %s", strerror(errno));
	buf_free(&out);
}

/* build_options - getopt_long's table and short string from settings */
static struct option *
build_options(char *shorts, size_t cap, char ***names)
{
	const struct setting_def *t;
	struct option *o;
	size_t	i, n, k = 0, s = 0;
	char	name[64];

	t = settings_table(&n);
	o = xcalloc(n + 6, sizeof(*o));
	*names = xcalloc(n + 1, sizeof(**names));
	shorts[s++] = ':';
	for (i = 0; i < n; i++) {
		if (t[i].file_only)
			continue;
		settings_cli_name(name, sizeof(name), t[i].name);
		(*names)[i] = xstrdup(name);
		o[k].name = (*names)[i];
		o[k].has_arg = t[i].type == SET_FLAG ? no_argument : required_argument;
		o[k].val = OPT_SETTING + (int)i;
		k++;
		if (t[i].short_opt && s + 3 < cap) {
			shorts[s++] = (char)t[i].short_opt;
			if (t[i].type != SET_FLAG)
				shorts[s++] = ':';
		}
	}
	o[k++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
	o[k++] = (struct option){"help", no_argument, NULL, OPT_HELP};
	o[k++] = (struct option){"version", no_argument, NULL, OPT_VERSION};
	o[k++] = (struct option){"schema", no_argument, NULL, OPT_SCHEMA};
	o[k++] = (struct option){"check-config", no_argument, NULL, OPT_CHECK};
	shorts[s++] = 'h';
	shorts[s++] = 'V';
	shorts[s] = '\0';
	return o;
}

/* short_to_val - map a short option letter to its table entry */
static int
short_to_val(int c)
{
	const struct setting_def *t;
	size_t	i, n;

	t = settings_table(&n);
	for (i = 0; i < n; i++)
		if (t[i].short_opt == c)
			return OPT_SETTING + (int)i;
	return c == 'h' ? OPT_HELP : c == 'V' ? OPT_VERSION : c;
}

/* bad - one line naming the problem and the argument; exit 2 */
static void __attribute__((noreturn))
bad(const char *what, const char *arg)
{
	char	safe[160];

	printable_for_log(safe, sizeof(safe), arg, strlen(arg));
	msg_fatal(MSG_EXIT_USAGE, "%s '%s' (see pfqmon --help)", what, safe);
}

/* parse_command_line - options into *cli; the config file path out */
static void
parse_command_line(int argc, char **argv, struct settings *cli,
    const char **config_file, int *check)
{
	const struct setting_def *t;
	struct option *opts;
	char	shorts[32], why[512], name[64];
	char  **names;
	size_t	n;
	int	c;

	t = settings_table(&n);
	opts = build_options(shorts, sizeof(shorts), &names);
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		c = short_to_val(c);
		if (c >= OPT_SETTING) {
			const struct setting_def *d = &t[c - OPT_SETTING];

			settings_cli_name(name, sizeof(name), d->name);
			if (settings_set(cli, d, d->type == SET_FLAG ? NULL : optarg,
			    why, sizeof(why)) < 0)
				msg_fatal(MSG_EXIT_USAGE, "option --%s: invalid value "
				    "'%.100s' (%s)", name, optarg ? optarg : "", why);
			continue;
		}
		switch (c) {
		case OPT_CONFIG:
			*config_file = optarg;
			break;
		case OPT_HELP:
			usage();
			exit(0);
		case OPT_VERSION:
			printf("pfqmon %s\n", PFQMON_VERSION);
			exit(0);
		case OPT_SCHEMA:
			print_schema();
			exit(0);
		case OPT_CHECK:
			*check = 1;
			break;
		case ':':
			bad("this option needs a value:", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 256 && optopt != '?') {
				char	s[3] = {'-', (char)optopt, '\0'};

				bad("unknown option", s);
			}
			bad("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad("unexpected argument", argv[optind]);
	settings_table(&n);
	while (n-- > 0)
		free(names[n]);
	free(names);
	free(opts);
}

/*
 * sane_stdio - make sure fds 0-2 are open, so that no file opened later
 * lands on them; a closed stdout is an error, since the report would be
 * lost.
 */
static void
sane_stdio(void)
{
	int	fd, stdout_closed = 0;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
				exit(MSG_EXIT_FAIL);
			if (fd == STDOUT_FILENO)
				stdout_closed = 1;
		}
	if (stdout_closed)
		msg_fatal(MSG_EXIT_FAIL, "standard output is closed");
}

int
main(int argc, char **argv)
{
	struct settings cli;
	const char *config_file = NULL;
	int	rc, check = 0;

	agent_block_signals();		/* first: see agent.h */
	sane_stdio();
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && (strcmp(argv[1], "select") == 0
	    || strcmp(argv[1], "top") == 0))
		agent_unblock_signals();
	if (argc > 1 && strcmp(argv[1], "select") == 0)
		return cmd_select(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "top") == 0)
		return cmd_top(argc - 1, argv + 1);
	settings_init(&cli);
	parse_command_line(argc, argv, &cli, &config_file, &check);
	sudo_check(&cli, config_file);
	if (check)
		agent_unblock_signals();
	rc = check ? agent_check(&cli, config_file) : agent_run(&cli, config_file);
	settings_free(&cli);
	return rc;
}
