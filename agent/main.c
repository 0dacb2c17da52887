/*
 * main.c - pfqmon command line: one scan of a Postfix queue, printed as
 * InfluxDB line protocol on stdout (for Telegraf's inputs.exec).
 *
 * Exit status: 0 after a scan (bad queue files are counted, not fatal),
 * 1 when the queue cannot be read or the output cannot be written, 2 for
 * bad command-line input. Trusts its arguments only after checking them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "buf.h"
#include "msg.h"
#include "postconf.h"
#include "report.h"
#include "spool.h"
#include "xalloc.h"

#ifndef PFQMON_VERSION
#define PFQMON_VERSION "0.1.0"
#endif

#define DEFAULT_QUEUE_DIR	"/var/spool/postfix"
#define DEFAULT_TOP		20
#define TOP_MAX			1000000
#define NOW_MAX			((uint64_t)1 << 40)

enum {
	OPT_QUEUE_DIR = 256,
	OPT_TOP,
	OPT_NOW,
	OPT_SCHEMA,
};

static const struct option long_options[] = {
	{"queue-dir", required_argument, NULL, OPT_QUEUE_DIR},
	{"config-dir", required_argument, NULL, 'c'},
	{"top", required_argument, NULL, OPT_TOP},
	{"now", required_argument, NULL, OPT_NOW},
	{"schema", no_argument, NULL, OPT_SCHEMA},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

struct options {
	const char *queue_dir;
	const char *config_dir;
	uint64_t top;
	int64_t	now;			/* -1: the current time */
};

/* usage - the --help text */
static void
usage(void)
{
	fputs(
"usage: pfqmon [--queue-dir DIR | -c CONFIG_DIR] [--top N] [-v]\n"
"\n"
"Read the Postfix queue files once, read-only, and print InfluxDB line\n"
"protocol: per queue, in total, by age, and by sender, SASL user, client\n"
"address, sender domain and recipient domain.\n"
"\n"
"  --queue-dir DIR     read this queue directory\n"
"  -c, --config-dir D  read queue_directory from this Postfix configuration\n"
"                      (default: postconf -h queue_directory, else\n"
"                      " DEFAULT_QUEUE_DIR ")\n"
"  --top N             rows per breakdown, plus one \"(other)\" row with the\n"
"                      rest (default 20; 0 = no limit)\n"
"  --now EPOCH         compute ages as of this Unix time (reproducible reports)\n"
"  -v, --verbose       explain every file that is not counted, on stderr\n"
"  --schema            list the measurements, tags and fields pfqmon writes\n"
"  -h, --help          this text\n"
"  -V, --version       print the version\n"
"\n"
"Needs read access to the queue: run as root or as the postfix user\n"
"(sudo -u postfix pfqmon). Never change the queue's permissions.\n",
	    stdout);
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

/* option_name - how the user spelled the option with this value */
static const char *
option_name(int val)
{
	static char shortname[3];
	const struct option *o;

	for (o = long_options; o->name; o++)
		if (o->val == val) {
			if (val >= 256)
				return o->name;
			break;
		}
	shortname[0] = '-';
	shortname[1] = (char)val;
	shortname[2] = '\0';
	return shortname;
}

/* parse_count - decimal digits only, at most max */
static int
parse_count(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char   *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* bad_value - one line naming the option and the value; exit 2 */
static void __attribute__((noreturn))
bad_value(const char *opt, const char *value, const char *want)
{
	char	safe[128];

	msg_fatal(MSG_EXIT_USAGE, "option --%s: invalid value '%s' (%s)", opt,
	    printable_for_log(safe, sizeof(safe), value, strlen(value)), want);
}

/* parse_options - the command line into *o, or exit 2 */
static void
parse_options(int argc, char **argv, struct options *o)
{
	char	safe[128];
	uint64_t v;
	int	c;

	o->queue_dir = NULL;
	o->config_dir = NULL;
	o->top = DEFAULT_TOP;
	o->now = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:vhV", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_QUEUE_DIR:
			o->queue_dir = optarg;
			break;
		case 'c':
			o->config_dir = optarg;
			break;
		case OPT_TOP:
			if (parse_count(optarg, TOP_MAX, &o->top) < 0)
				bad_value("top", optarg, "a number from 0 to 1000000");
			break;
		case OPT_NOW:
			if (parse_count(optarg, NOW_MAX, &v) < 0)
				bad_value("now", optarg, "Unix time in seconds");
			o->now = (int64_t)v;
			break;
		case 'v':
			msg_verbose = 1;
			break;
		case 'h':
			usage();
			exit(0);
		case 'V':
			printf("pfqmon %s\n", PFQMON_VERSION);
			exit(0);
		case OPT_SCHEMA:
			print_schema();
			exit(0);
		case ':':
			msg_fatal(MSG_EXIT_USAGE, "option %s%s needs a value",
			    optopt >= 256 ? "--" : "", option_name(optopt));
		default:
			printable_for_log(safe, sizeof(safe), argv[optind - 1],
			    strlen(argv[optind - 1]));
			if (optopt && optopt < 256)
				msg_fatal(MSG_EXIT_USAGE,
				    "unknown option '-%c' (see pfqmon --help)",
				    optopt > 0x20 && optopt < 0x7f ? optopt : '?');
			msg_fatal(MSG_EXIT_USAGE,
			    "unknown option '%s' (see pfqmon --help)", safe);
		}
	}
	if (optind < argc)
		msg_fatal(MSG_EXIT_USAGE, "unexpected argument '%s' "
		    "(see pfqmon --help)", printable_for_log(safe, sizeof(safe),
		    argv[optind], strlen(argv[optind])));
	if (o->queue_dir && o->config_dir)
		msg_fatal(MSG_EXIT_USAGE,
		    "options --queue-dir and -c cannot be used together");
	if (o->queue_dir && *o->queue_dir == '\0')
		msg_fatal(MSG_EXIT_USAGE, "option --queue-dir: empty directory name");
}

/* resolve_queue_dir - --queue-dir, -c, or the default instance */
static char *
resolve_queue_dir(const struct options *o)
{
	char	err[512];
	char   *dir;

	if (o->queue_dir)
		return xstrdup(o->queue_dir);
	dir = postconf_queue_directory(o->config_dir, err, sizeof(err));
	if (dir)
		return dir;
	if (o->config_dir)
		msg_fatal(MSG_EXIT_USAGE, "-c: cannot read queue_directory: %s",
		    err);
	msg_info("%s; using %s", err, DEFAULT_QUEUE_DIR);
	return xstrdup(DEFAULT_QUEUE_DIR);
}

/* write_all - the whole buffer to fd, or -1 */
static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t	n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
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

/* elapsed_us - microseconds since start on the monotonic clock */
static uint64_t
elapsed_us(const struct timespec *start)
{
	struct timespec now;
	int64_t	us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (int64_t)(now.tv_sec - start->tv_sec) * 1000000 +
	    (now.tv_nsec - start->tv_nsec) / 1000;
	return us > 0 ? (uint64_t)us : 0;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct scan_stats st;
	struct timespec start;
	struct buf out;
	struct agg *a;
	char	err[768];
	char   *dir;

	sane_stdio();
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	parse_options(argc, argv, &o);
	dir = resolve_queue_dir(&o);

	clock_gettime(CLOCK_MONOTONIC, &start);
	a = agg_create(o.now >= 0 ? o.now : (int64_t)time(NULL));
	if (spool_scan(dir, a, &st, err, sizeof(err)) < 0)
		msg_fatal(MSG_EXIT_FAIL, "%s", err);
	buf_init(&out);
	st.duration_us = elapsed_us(&start);
	report_write(&out, a, (size_t)o.top, &st);
	if (write_all(STDOUT_FILENO, out.data, out.len) < 0)
		msg_fatal(MSG_EXIT_FAIL, "cannot write output: %s",
		    strerror(errno));
	buf_free(&out);
	agg_free(a);
	free(dir);
	return 0;
}
