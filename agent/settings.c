/*
 * settings.c - the option table, value parsing and checks (settings.h).
 *
 * Values come from the command line, a configuration file or the
 * environment: all are checked against the bounds in the table before
 * they are stored.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "settings.h"
#include "xalloc.h"

#define OFF(f)	offsetof(struct settings, f)
#define MS(s)	((uint64_t)(s) * 1000)
#define NOLIMIT	UINT64_MAX

static const struct setting_def defs[] = {
	{ .name = "queue_dir", .type = SET_STRING, .offset = OFF(queue_dir),
	    .sudo = SUDO_TRUSTED_DIR, .arg = "DIR",
	    .help = "read this queue directory" },
	{ .name = "config_dir", .short_opt = 'c', .type = SET_STRING,
	    .offset = OFF(config_dir), .sudo = SUDO_TRUSTED_DIR, .arg = "DIR",
	    .help = "read queue_directory from this Postfix configuration" },
	{ .name = "source", .type = SET_STRING, .offset = OFF(source),
	    .sudo = SUDO_STDOUT, .arg = "SOURCE",
	    .help = "spool (the files), showq (its socket), postqueue "
	    "(postqueue -j) or auto" },
	{ .name = "user", .type = SET_STRING, .offset = OFF(user),
	    .sudo = SUDO_ROOT_ONLY, .arg = "USER",
	    .help = "as root, read the queue as USER (default: the queue's "
	    "owner)" },
	{ .name = "top", .type = SET_COUNT, .offset = OFF(top),
	    .min = 0, .max = 1000000, .default_value = 20,
	    .sudo = SUDO_STDOUT, .arg = "N",
	    .help = "rows per breakdown plus one (other) row (default "
	    "{default}; 0 = all)" },
	{ .name = "now", .type = SET_COUNT, .offset = OFF(now),
	    .min = 1, .max = (uint64_t)1 << 40, .sudo = SUDO_STDOUT,
	    .arg = "EPOCH",
	    .help = "compute ages as of this Unix time (reproducible reports)" },
	{ .name = "threads", .type = SET_COUNT, .offset = OFF(threads),
	    .min = 0, .max = 64, .default_value = 0, .sudo = SUDO_STDOUT,
	    .arg = "N",
	    .help = "scan with N threads (default {default}: one per core, at "
	    "most 8)" },
	{ .name = "no_cache", .type = SET_FLAG, .offset = OFF(no_cache),
	    .max = 1, .sudo = SUDO_STDOUT,
	    .help = "with --interval or --execd, read every file on every scan" },
	{ .name = "no_watch", .type = SET_FLAG, .offset = OFF(no_watch),
	    .max = 1, .sudo = SUDO_STDOUT,
	    .help = "with --interval or --execd, list every directory on every "
	    "scan instead of following changes with inotify" },
	{ .name = "full_rescan", .type = SET_DURATION, .offset = OFF(full_rescan_ms),
	    .min = 1000, .max = MS(86400), .default_value = MS(300),
	    .sudo = SUDO_STDOUT, .arg = "DURATION",
	    .help = "while watching, still list every directory this often "
	    "(default {default})" },
	{ .name = "verbose", .short_opt = 'v', .type = SET_FLAG,
	    .offset = OFF(verbose), .max = 1, .sudo = SUDO_STDOUT,
	    .help = "explain every file that is not counted, on stderr" },
	{ .name = "interval", .type = SET_DURATION, .offset = OFF(interval_ms),
	    .min = 100, .max = MS(86400), .sudo = SUDO_STDOUT,
	    .arg = "DURATION",
	    .help = "scan every DURATION (10s, 1m), aligned to it, until "
	    "stopped" },
	{ .name = "execd", .type = SET_FLAG, .offset = OFF(execd), .max = 1,
	    .sudo = SUDO_STDOUT,
	    .help = "Telegraf inputs.execd mode: one scan per line read on "
	    "stdin" },
	{ .name = "push", .type = SET_STRING, .offset = OFF(push_url),
	    .sudo = SUDO_SENDS, .arg = "URL",
	    .help = "send each scan to the InfluxDB at URL instead of printing "
	    "it" },
	{ .name = "push_db", .type = SET_STRING, .offset = OFF(push_db),
	    .sudo = SUDO_SENDS, .arg = "DB",
	    .help = "InfluxDB 1.x database (POST /write)" },
	{ .name = "push_rp", .type = SET_STRING, .offset = OFF(push_rp),
	    .sudo = SUDO_SENDS, .arg = "RP",
	    .help = "InfluxDB 1.x retention policy" },
	{ .name = "push_user", .type = SET_STRING, .offset = OFF(push_user),
	    .sudo = SUDO_SENDS, .arg = "USER",
	    .help = "InfluxDB 1.x user" },
	{ .name = "push_password", .type = SET_STRING,
	    .offset = OFF(push_password), .file_only = 1, .sudo = SUDO_SENDS,
	    .help = "InfluxDB 1.x password (configuration file only)" },
	{ .name = "push_password_file", .type = SET_STRING,
	    .offset = OFF(push_password_file), .sudo = SUDO_READS_FILE,
	    .arg = "FILE",
	    .help = "read the InfluxDB 1.x password from FILE" },
	{ .name = "push_password_env", .type = SET_STRING,
	    .offset = OFF(push_password_env), .sudo = SUDO_SENDS, .arg = "VAR",
	    .help = "read the InfluxDB 1.x password from environment variable "
	    "VAR" },
	{ .name = "push_org", .type = SET_STRING, .offset = OFF(push_org),
	    .sudo = SUDO_SENDS, .arg = "ORG",
	    .help = "InfluxDB 2.x organization" },
	{ .name = "push_bucket", .type = SET_STRING, .offset = OFF(push_bucket),
	    .sudo = SUDO_SENDS, .arg = "BUCKET",
	    .help = "InfluxDB 2.x bucket (POST /api/v2/write)" },
	{ .name = "push_token", .type = SET_STRING, .offset = OFF(push_token),
	    .file_only = 1, .sudo = SUDO_SENDS,
	    .help = "InfluxDB 2.x token (configuration file only)" },
	{ .name = "push_token_file", .type = SET_STRING,
	    .offset = OFF(push_token_file), .sudo = SUDO_READS_FILE,
	    .arg = "FILE",
	    .help = "read the InfluxDB 2.x token from FILE" },
	{ .name = "push_token_env", .type = SET_STRING,
	    .offset = OFF(push_token_env), .sudo = SUDO_SENDS, .arg = "VAR",
	    .help = "read the InfluxDB 2.x token from environment variable "
	    "VAR" },
	{ .name = "push_ca_file", .type = SET_STRING,
	    .offset = OFF(push_ca_file), .sudo = SUDO_READS_FILE, .arg = "FILE",
	    .help = "verify the server's TLS certificate against these CAs" },
	{ .name = "push_insecure", .type = SET_FLAG,
	    .offset = OFF(push_insecure), .max = 1, .sudo = SUDO_SENDS,
	    .help = "do not verify the server's TLS certificate (never in "
	    "production)" },
	{ .name = "push_no_gzip", .type = SET_FLAG, .offset = OFF(push_no_gzip),
	    .max = 1, .sudo = SUDO_SENDS,
	    .help = "send request bodies uncompressed" },
	{ .name = "push_timeout", .type = SET_DURATION,
	    .offset = OFF(push_timeout_ms), .min = 100, .max = MS(600),
	    .default_value = MS(10), .sudo = SUDO_SENDS, .arg = "DURATION",
	    .help = "limit for one request (default {default})" },
	{ .name = "push_connect_timeout", .type = SET_DURATION,
	    .offset = OFF(push_connect_timeout_ms), .min = 100, .max = MS(600),
	    .default_value = MS(5), .sudo = SUDO_SENDS, .arg = "DURATION",
	    .help = "limit for connecting (default {default})" },
	{ .name = "push_buffer_bytes", .type = SET_COUNT,
	    .offset = OFF(push_buffer_bytes), .min = 1024,
	    .max = (uint64_t)1 << 32, .default_value = (uint64_t)16 << 20,
	    .bytes = 1, .sudo = SUDO_SENDS, .arg = "N",
	    .help = "keep at most N bytes of unsent scans (default {default})" },
	{ .name = "format", .type = SET_STRING, .offset = OFF(format),
	    .sudo = SUDO_STDOUT, .arg = "FORMAT",
	    .help = "influx (line protocol; without this option) or openmetrics "
	    "(Prometheus text, for one scan)" },
	{ .name = "listen", .type = SET_STRING, .offset = OFF(listen),
	    .sudo = SUDO_SENDS, .arg = "ADDR:PORT",
	    .help = "serve /metrics on this address, scanning at every "
	    "--interval (pfqmon serve: default " SETTINGS_LISTEN_DEFAULT
	    ", every " SETTINGS_SERVE_INTERVAL ")" },
	{ .name = "listen_connections", .type = SET_COUNT,
	    .offset = OFF(listen_connections), .min = 1, .max = 1024,
	    .default_value = 16, .sudo = SUDO_SENDS, .arg = "N",
	    .help = "serve at most N connections at once (default {default})" },
	{ .name = "listen_timeout", .type = SET_DURATION,
	    .offset = OFF(listen_timeout_ms), .min = 1000, .max = MS(600),
	    .default_value = MS(10), .sudo = SUDO_SENDS, .arg = "DURATION",
	    .help = "close a connection idle this long (default {default})" },
	{ .name = "tag", .type = SET_TAG, .offset = OFF(tags),
	    .sudo = SUDO_STDOUT, .arg = "KEY=VALUE",
	    .help = "add this tag to every line (repeatable); push adds host" },
};

/* Tag keys pfqmon uses itself: an extra tag may not shadow them. */
static const char *const own_tags[] = {
	"queue", "sender", "sasl_username", "client_address", "domain", "source",
	"bucket",
};

/* settings_table - every option, for the command line and the file */
const struct setting_def *
settings_table(size_t *n)
{
	*n = sizeof(defs) / sizeof(defs[0]);
	return defs;
}

/* settings_find - the option with this configuration key, or NULL */
const struct setting_def *
settings_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

/* slot - where a table entry's value lives */
static void *
slot(struct settings *s, const struct setting_def *d)
{
	return (char *)s + d->offset;
}

/*
 * settings_init - every option at its default, read from the table, so
 * that the value and what --help says of it cannot part.
 */
void
settings_init(struct settings *s)
{
	size_t	i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (defs[i].type == SET_COUNT || defs[i].type == SET_DURATION)
			*(uint64_t *)slot(s, &defs[i]) = defs[i].default_value;
		else if (defs[i].type == SET_FLAG)
			*(int *)slot(s, &defs[i]) = defs[i].default_value != 0;
}

/*
 * settings_default_text - an option's default as a person writes it:
 * "20", "10s", "16 MiB", "false"; "" for strings and tags, which have
 * none.
 */
void
settings_default_text(char *dst, size_t cap, const struct setting_def *d)
{
	static const struct {
		uint64_t ms;
		const char *unit;
	} units[] = {
		{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"},
	};
	unsigned long long v = d->default_value;
	size_t	i;

	switch (d->type) {
	case SET_DURATION:
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (v != 0 && v % units[i].ms == 0) {
				snprintf(dst, cap, "%llu%s", v / units[i].ms,
				    units[i].unit);
				return;
			}
		snprintf(dst, cap, "%llums", v);
		return;
	case SET_COUNT:
		if (d->bytes && v != 0 && v % (1 << 20) == 0)
			snprintf(dst, cap, "%llu MiB", v >> 20);
		else if (d->bytes && v != 0 && v % (1 << 10) == 0)
			snprintf(dst, cap, "%llu KiB", v >> 10);
		else
			snprintf(dst, cap, "%llu", v);
		return;
	case SET_FLAG:
		snprintf(dst, cap, "%s", v ? "true" : "false");
		return;
	case SET_STRING:
	case SET_TAG:
		break;
	}
	snprintf(dst, cap, "%s", "");
}

/* settings_free - release every string; the struct may be reused */
void
settings_free(struct settings *s)
{
	size_t	i, n;

	settings_table(&n);
	for (i = 0; i < n; i++)
		if (defs[i].type == SET_STRING) {
			char  **p = slot(s, &defs[i]);

			free(*p);
			*p = NULL;
		}
	for (i = 0; i < s->ntags; i++) {
		free(s->tags[i].key);
		free(s->tags[i].value);
	}
	s->ntags = 0;
}

/* settings_mark - remember that an option was set explicitly */
void
settings_mark(struct settings *s, const struct setting_def *d)
{
	s->set |= (uint64_t)1 << (d - defs);
}

/* settings_parse_duration - "500ms", "10s", "2m", "1h", "3d" in ms */
int
settings_parse_duration(const char *text, uint64_t *ms)
{
	unsigned long long v;
	uint64_t unit;
	char   *end;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || v > 1000000000ULL)
		return -1;
	if (strcmp(end, "ms") == 0)
		unit = 1;
	else if (strcmp(end, "s") == 0)
		unit = 1000;
	else if (strcmp(end, "m") == 0)
		unit = 60000;
	else if (strcmp(end, "h") == 0)
		unit = 3600000;
	else if (strcmp(end, "d") == 0)
		unit = 86400000;
	else
		return -1;
	*ms = v * unit;
	return 0;
}

/* settings_parse_listen - see settings.h */
int
settings_parse_listen(const char *text, struct listen_addr *la, char *err,
    size_t errlen)
{
	char	host[64];
	const char *colon, *end;
	size_t	hlen;
	unsigned long port = SETTINGS_LISTEN_PORT;
	int	bracketed = text[0] == '[';

	memset(la, 0, sizeof(*la));
	if (bracketed) {
		if ((end = strchr(text, ']')) == NULL)
			return snprintf(err, errlen, "want [IPV6]:PORT"), -1;
		hlen = (size_t)(end - text - 1);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return snprintf(err, errlen, "want [IPV6]:PORT"), -1;
		text++;
	} else if ((colon = strrchr(text, ':')) != NULL
	    && memchr(text, ':', (size_t)(colon - text)) != NULL) {
		colon = NULL;		/* bare IPv6, no port */
		hlen = strlen(text);
	} else
		hlen = colon ? (size_t)(colon - text) : strlen(text);
	if (colon != NULL) {
		char   *e;

		if (colon[1] < '0' || colon[1] > '9')
			return snprintf(err, errlen, "want a port from 1 to 65535 "
			    "after the colon"), -1;
		errno = 0;
		port = strtoul(colon + 1, &e, 10);
		if (errno != 0 || *e != '\0' || port < 1 || port > 65535)
			return snprintf(err, errlen, "want a port from 1 to 65535 "
			    "after the colon"), -1;
	}
	la->port = (unsigned)port;
	if (hlen == 0)
		return 0;		/* every address */
	if (hlen >= sizeof(host))
		return snprintf(err, errlen, "want a numeric IPv4 or IPv6 "
		    "address"), -1;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (!bracketed && inet_pton(AF_INET, host, la->addr) == 1)
		la->family = AF_INET;
	else if (inet_pton(AF_INET6, host, la->addr) == 1)
		la->family = AF_INET6;
	else
		return snprintf(err, errlen, "want a numeric IPv4 or IPv6 address "
		    "(ADDR:PORT, [IPV6]:PORT or :PORT)"), -1;
	return 0;
}

/* parse_count - decimal digits only, within [min, max] */
static int
parse_count(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char   *end;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* tag_key_ok - [A-Za-z0-9_], 1 to 64 bytes, not one of pfqmon's own */
static const char *
tag_key_problem(const char *key)
{
	size_t	i, n = strlen(key);

	if (n == 0 || n > 64)
		return "a tag key of 1 to 64 characters";
	for (i = 0; i < n; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A'
		    && key[i] <= 'Z') || (key[i] >= '0' && key[i] <= '9')
		    || key[i] == '_'))
			return "a tag key of letters, digits and _";
	for (i = 0; i < sizeof(own_tags) / sizeof(own_tags[0]); i++)
		if (strcmp(key, own_tags[i]) == 0)
			return "a tag key pfqmon does not use itself";
	return NULL;
}

/*
 * settings_set_tag - add or replace one extra tag, kept sorted by key.
 * The reason for a refusal does not quote the key: it may come from a
 * file whose text is not ours to show (config.c); the command line
 * quotes what was typed itself.
 */
int
settings_set_tag(struct settings *s, const char *key, const char *value,
    char *err, size_t errlen)
{
	const char *why = tag_key_problem(key);
	size_t	i;

	if (why) {
		snprintf(err, errlen, "want %s", why);
		return -1;
	}
	if (*value == '\0' || strlen(value) > SETTINGS_STRING_MAX) {
		snprintf(err, errlen, "want a tag value of 1 to %d bytes",
		    SETTINGS_STRING_MAX);
		return -1;
	}
	for (i = 0; i < s->ntags; i++)
		if (strcmp(s->tags[i].key, key) == 0) {
			free(s->tags[i].value);
			s->tags[i].value = xstrdup(value);
			return 0;
		}
	if (s->ntags == SETTINGS_TAGS_MAX) {
		snprintf(err, errlen, "more than %d tags", SETTINGS_TAGS_MAX);
		return -1;
	}
	for (i = s->ntags; i > 0 && strcmp(s->tags[i - 1].key, key) > 0; i--)
		s->tags[i] = s->tags[i - 1];
	s->tags[i].key = xstrdup(key);
	s->tags[i].value = xstrdup(value);
	s->ntags++;
	return 0;
}

/* settings_set - store one value given as text; flags take NULL */
int
settings_set(struct settings *s, const struct setting_def *d,
    const char *text, char *err, size_t errlen)
{
	uint64_t v;
	char   *copy, *eq;
	int	rc;

	switch (d->type) {
	case SET_FLAG:
		*(int *)slot(s, d) = text == NULL || strcmp(text, "true") == 0;
		break;
	case SET_STRING:
		if (text == NULL || *text == '\0'
		    || strlen(text) > SETTINGS_STRING_MAX) {
			snprintf(err, errlen, "want a non-empty value of at most %d "
			    "bytes", SETTINGS_STRING_MAX);
			return -1;
		}
		free(*(char **)slot(s, d));
		*(char **)slot(s, d) = xstrdup(text);
		break;
	case SET_COUNT:
		if (text == NULL || parse_count(text, d->min, d->max, &v) < 0) {
			snprintf(err, errlen, "want a number from %llu to %llu",
			    (unsigned long long)d->min, (unsigned long long)d->max);
			return -1;
		}
		*(uint64_t *)slot(s, d) = v;
		break;
	case SET_DURATION:
		if (text == NULL || settings_parse_duration(text, &v) < 0
		    || v < d->min || v > d->max) {
			snprintf(err, errlen, "want a duration from %llums to %llus, "
			    "like 500ms, 10s, 5m or 1h", (unsigned long long)d->min,
			    (unsigned long long)d->max / 1000);
			return -1;
		}
		*(uint64_t *)slot(s, d) = v;
		break;
	case SET_TAG:
		if (text == NULL || (eq = strchr(text, '=')) == NULL) {
			snprintf(err, errlen, "want KEY=VALUE");
			return -1;
		}
		copy = xstrdup(text);
		copy[eq - text] = '\0';
		rc = settings_set_tag(s, copy, copy + (eq - text) + 1, err, errlen);
		free(copy);
		if (rc < 0)
			return -1;
		break;
	}
	settings_mark(s, d);
	return 0;
}

/* settings_merge - options set explicitly in src override dst */
void
settings_merge(struct settings *dst, const struct settings *src)
{
	char	err[256];
	size_t	i, n;

	settings_table(&n);
	for (i = 0; i < n; i++) {
		const struct setting_def *d = &defs[i];
		const void *from = (const char *)src + d->offset;

		if (!(src->set & ((uint64_t)1 << i)) || d->type == SET_TAG)
			continue;
		if (d->type == SET_STRING) {
			free(*(char **)slot(dst, d));
			*(char **)slot(dst, d) = xstrdup(*(char *const *)from);
		} else if (d->type == SET_FLAG)
			*(int *)slot(dst, d) = *(const int *)from;
		else
			*(uint64_t *)slot(dst, d) = *(const uint64_t *)from;
		settings_mark(dst, d);
	}
	dst->serve |= src->serve;	/* the command, not an option */
	/* Tags merge per key; src's were checked when they were set. */
	for (i = 0; i < src->ntags; i++)
		(void)settings_set_tag(dst, src->tags[i].key, src->tags[i].value,
		    err, sizeof(err));
}

/* settings_open_file - see settings.h */
int
settings_open_file(const char *path, struct stat *sb, char *err, size_t errlen)
{
	char	safe[200];
	int	fd;

	printable_for_log(safe, sizeof(safe), path, strlen(path));
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", safe, strerror(errno));
		return -1;
	}
	if (fstat(fd, sb) < 0 || !S_ISREG(sb->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", safe);
		close(fd);
		return -1;
	}
	return fd;
}

/* read_secret_file - the first line of a small file */
static char *
read_secret_file(const char *path, char *err, size_t errlen)
{
	char	buf[SETTINGS_STRING_MAX + 2], safe[200];
	struct stat sb;
	ssize_t	n;
	int	fd;

	printable_for_log(safe, sizeof(safe), path, strlen(path));
	if ((fd = settings_open_file(path, &sb, err, errlen)) < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read %s: %s", safe, strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (*buf == '\0' || (size_t)n > SETTINGS_STRING_MAX) {
		snprintf(err, errlen, "%s: want one line of 1 to %d bytes", safe,
		    SETTINGS_STRING_MAX);
		return NULL;
	}
	return xstrdup(buf);
}

/*
 * resolve_secret - one secret from exactly one of: the value itself
 * (configuration file), a file, an environment variable.
 */
static int
resolve_secret(char **value, const char *file, const char *env,
    const char *name, char *err, size_t errlen)
{
	const char *e;
	char	why[300], safe[68];

	if ((*value != NULL) + (file != NULL) + (env != NULL) > 1) {
		snprintf(err, errlen, "%s: give it in one way only (%s, %s_file or "
		    "%s_env)", name, name, name, name);
		return -1;
	}
	if (file) {
		if ((*value = read_secret_file(file, why, sizeof(why))) == NULL) {
			snprintf(err, errlen, "%s_file: %s", name, why);
			return -1;
		}
	} else if (env) {
		if ((e = getenv(env)) == NULL || *e == '\0') {
			snprintf(err, errlen, "%s_env: environment variable %s is "
			    "not set", name, printable_for_log(safe, sizeof(safe), env,
			    strlen(env)));
			return -1;
		}
		*value = xstrdup(e);
	}
	return 0;
}

/* check_regular - libcurl would block on a FIFO: refuse anything else now */
static int
check_regular(const char *name, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	char	why[300];
	int	fd;

	if ((fd = settings_open_file(path, &sb, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "%s: %s", name, why);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * check_serve - --format and --listen: Prometheus's text is one scan's
 * (a file for node_exporter) or what pfqmon serve answers; its label
 * names must be Prometheus's
 */
static int
check_serve(struct settings *s, char *err, size_t errlen)
{
	struct listen_addr la;
	char	why[200];
	int	prom;
	size_t	i;

	if (s->serve && s->listen == NULL)
		s->listen = xstrdup(SETTINGS_LISTEN_DEFAULT);
	if (s->format && strcmp(s->format, "influx") != 0
	    && strcmp(s->format, "openmetrics") != 0)
		return snprintf(err, errlen, "--format (format): want influx or "
		    "openmetrics"), -1;
	prom = s->format && strcmp(s->format, "openmetrics") == 0;
	if (s->listen) {
		if (settings_parse_listen(s->listen, &la, why, sizeof(why)) < 0)
			return snprintf(err, errlen, "--listen (listen): %s", why), -1;
		if (s->execd || s->push_url)
			return snprintf(err, errlen, "--listen cannot be used with "
			    "--execd or --push: Prometheus scrapes pfqmon serve"), -1;
		if (s->format && !prom)
			return snprintf(err, errlen, "--listen serves Prometheus's "
			    "text: --format influx cannot be used with it"), -1;
		if (s->interval_ms == 0 && settings_parse_duration(
		    SETTINGS_SERVE_INTERVAL, &s->interval_ms) < 0)
			msg_panic("settings: bad SETTINGS_SERVE_INTERVAL");
		prom = 1;
	} else if (prom && (s->execd || s->interval_ms || s->push_url))
		return snprintf(err, errlen, "--format openmetrics is for one scan "
		    "(node_exporter's textfile collector): pfqmon serve keeps "
		    "scanning and serves it on /metrics"), -1;
	for (i = 0; prom && i < s->ntags; i++)
		if ((s->tags[i].key[0] >= '0' && s->tags[i].key[0] <= '9')
		    || strncmp(s->tags[i].key, "__", 2) == 0)
			return snprintf(err, errlen, "--tag (tag): a Prometheus label "
			    "name cannot start with a digit or __"), -1;
	return 0;
}

/* settings_finish - combinations, secrets, and the host tag for push */
int
settings_finish(struct settings *s, char *err, size_t errlen)
{
	char	host[256];
	const char *url = s->push_url;

	if (s->queue_dir && s->config_dir)
		return snprintf(err, errlen, "--queue-dir and -c (queue_dir, config_dir) "
		    "cannot be used together"), -1;
	if (s->source && strcmp(s->source, "spool") != 0
	    && strcmp(s->source, "showq") != 0
	    && strcmp(s->source, "postqueue") != 0 && strcmp(s->source, "auto") != 0)
		return snprintf(err, errlen, "--source (source): want spool, showq, "
		    "postqueue or auto"), -1;
	if (s->source && strcmp(s->source, "postqueue") == 0 && s->queue_dir)
		return snprintf(err, errlen, "--source postqueue and --queue-dir cannot "
		    "be used together: postqueue reads a Postfix configuration (-c)"), -1;
	if (s->execd && s->interval_ms)
		return snprintf(err, errlen, "--execd and --interval cannot be used "
		    "together: in execd mode Telegraf decides when to scan"), -1;
	if (s->execd && url)
		return snprintf(err, errlen, "--execd and --push cannot be used together: "
		    "in execd mode Telegraf sends the data"), -1;
	if (check_serve(s, err, errlen) < 0)
		return -1;
	if (!url) {
		if (s->push_db || s->push_bucket || s->push_token || s->push_user)
			return snprintf(err, errlen, "--push-* options need --push URL"), -1;
		return 0;
	}
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return snprintf(err, errlen, "--push: want an http:// or https:// URL"),
		    -1;
	if (s->push_bucket && s->push_db)
		return snprintf(err, errlen, "--push-db (InfluxDB 1.x) and --push-bucket "
		    "(InfluxDB 2.x) cannot be used together"), -1;
	if (!s->push_bucket && !s->push_db)
		return snprintf(err, errlen, "--push needs --push-db (InfluxDB 1.x) or "
		    "--push-bucket (InfluxDB 2.x)"), -1;
	if (resolve_secret(&s->push_password, s->push_password_file,
	    s->push_password_env, "push_password", err, errlen) < 0
	    || resolve_secret(&s->push_token, s->push_token_file,
	    s->push_token_env, "push_token", err, errlen) < 0)
		return -1;
	if (s->push_ca_file && check_regular("push_ca_file", s->push_ca_file, err,
	    errlen) < 0)
		return -1;
	if (s->push_bucket && (s->push_user || s->push_password))
		return snprintf(err, errlen, "InfluxDB 2.x takes a token (--push-token-file), "
		    "not --push-user or a password"), -1;
	if (s->push_db && s->push_token)
		return snprintf(err, errlen, "InfluxDB 1.x takes --push-user and a "
		    "password, not a token"), -1;
	/* Telegraf would add the host tag; without Telegraf, pfqmon does. */
	if (gethostname(host, sizeof(host)) == 0) {
		size_t	i;
		int	have = 0;

		host[sizeof(host) - 1] = '\0';
		for (i = 0; i < s->ntags; i++)
			have |= strcmp(s->tags[i].key, "host") == 0;
		if (!have && *host)
			(void)settings_set_tag(s, "host", host, err, errlen);
	}
	return 0;
}

/* settings_cli_name - "push_db" as the command line spells it, "push-db" */
void
settings_cli_name(char *dst, size_t cap, const char *key)
{
	size_t	i;

	for (i = 0; key[i] && i + 1 < cap; i++)
		dst[i] = key[i] == '_' ? '-' : key[i];
	dst[i] = '\0';
}
