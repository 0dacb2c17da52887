/*
 * config.c - read pfqmon's JSON configuration file with jansson.
 *
 * The file is one JSON object whose keys are the option names of
 * settings.c ("push_db" for --push-db); values are typed: strings,
 * integers for counts, booleans for flags, strings for durations ("10s")
 * and an object of strings for "tag". Unknown keys, wrong types,
 * duplicate keys and bad values are errors that name the file, the line
 * (and column) and the option, never anything else from the file. The
 * JSON itself is read by json.c (jansson).
 *
 * SECURITY: the file may hold secrets, and the path may name a file
 * that is no configuration at all: an error never quotes the file's
 * text, only the names of pfqmon's own options. A file readable by
 * others that holds a secret gets a warning.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "json.h"
#include "msg.h"
#include "xalloc.h"

#define CONFIG_MAX	(1 << 20)	/* bytes; a configuration is small */
#define KEYS_MAX	128

struct key_line {
	char	name[64];
	int	line, column;
};

/* column_at - 1-based column of text[i], in characters as jansson counts */
static int
column_at(const char *text, size_t line_start, size_t i)
{
	int	col = 1;

	for (; line_start < i; line_start++)
		if (((unsigned char)text[line_start] & 0xC0) != 0x80)
			col++;
	return col;
}

/*
 * key_lines - the line and column of each key of the top-level object.
 * jansson has already accepted the text, so a small scanner is enough:
 * strings (with escapes) at depth 1 followed by ':' are keys.
 */
static size_t
key_lines(const char *text, size_t len, struct key_line *out, size_t max)
{
	size_t	i = 0, n = 0, start, klen, bol = 0;
	int	depth = 0, line = 1, kline, kcol;

	while (i < len) {
		char	c = text[i];

		if (c == '\n') {
			line++;
			bol = i + 1;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		else if (c == '"') {
			kline = line;
			kcol = column_at(text, bol, i);
			start = ++i;
			while (i < len && text[i] != '"') {
				if (text[i] == '\\')
					i++;
				else if (text[i] == '\n') {
					line++;
					bol = i + 1;
				}
				i++;
			}
			klen = i - start;
			i++;
			while (i < len && strchr(" \t\r\n", text[i])) {
				if (text[i] == '\n') {
					line++;
					bol = i + 1;
				}
				i++;
			}
			if (depth == 1 && i < len && text[i] == ':' && n < max
			    && klen < sizeof(out[0].name)) {
				memcpy(out[n].name, text + start, klen);
				out[n].name[klen] = '\0';
				out[n].line = kline;
				out[n++].column = kcol;
			}
			continue;
		}
		i++;
	}
	return n;
}

/* where - "line L column C" of a key, or "" when the scanner lost it */
static const char *
where(const struct key_line *k, size_t n, const char *name, char *dst,
    size_t cap)
{
	size_t	i;

	*dst = '\0';
	for (i = 0; i < n; i++)
		if (strcmp(k[i].name, name) == 0) {
			snprintf(dst, cap, " line %d column %d", k[i].line,
			    k[i].column);
			break;
		}
	return dst;
}

/* read_file - the whole file, bounded; caller frees */
static char *
read_file(const char *path, size_t *len, int *others_can_read, char *err,
    size_t errlen)
{
	struct stat sb;
	char   *buf;
	ssize_t	n;
	int	fd;

	if ((fd = settings_open_file(path, &sb, err, errlen)) < 0)
		return NULL;
	if (sb.st_size > CONFIG_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes, too large for a configuration",
		    path, CONFIG_MAX);
		close(fd);
		return NULL;
	}
	*others_can_read = (sb.st_mode & (S_IRGRP | S_IROTH)) != 0;
	buf = xmalloc((size_t)sb.st_size + 1);
	n = read(fd, buf, (size_t)sb.st_size);
	close(fd);
	if (n != sb.st_size) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    n < 0 ? strerror(errno) : "short read");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* value_text - a JSON value as the text settings_set() takes, or NULL */
static const char *
value_text(const struct setting_def *d, const struct jval *v, char *tmp,
    size_t tmplen, const char **want)
{
	const char *str;
	long long n;
	size_t	len;
	int	b;

	switch (d->type) {
	case SET_STRING:
	case SET_DURATION:
		*want = d->type == SET_STRING ? "a string without NUL" :
		    "a duration string like \"10s\"";
		str = jval_string(v, &len);
		return str != NULL && strlen(str) == len ? str : NULL;
	case SET_COUNT:
		*want = "a non-negative integer";
		if (jval_integer(v, &n) < 0 || n < 0)
			return NULL;
		snprintf(tmp, tmplen, "%lld", n);
		return tmp;
	case SET_FLAG:
		*want = "true or false";
		return jval_bool(v, &b) < 0 ? NULL : b ? "true" : "false";
	case SET_TAG:
		break;
	}
	return NULL;
}

struct tag_ctx {
	struct settings *s;
	char   *why;
	size_t	whylen;
};

/* set_tag - one member of the "tag" object; errors do not quote it */
static int
set_tag(void *ctx, const char *key, const struct jval *v)
{
	struct tag_ctx *t = ctx;
	const char *str;
	size_t	len;

	if ((str = jval_string(v, &len)) == NULL || strlen(str) != len) {
		snprintf(t->why, t->whylen, "want string values");
		return -1;
	}
	return settings_set_tag(t->s, key, str, t->why, t->whylen) < 0 ? -1 : 0;
}

/* set_tags - the "tag" object: {"host": "mx1", ...} */
static int
set_tags(struct settings *s, const struct jval *obj, char *why, size_t whylen)
{
	struct tag_ctx t = {s, why, whylen};

	if (jval_type(obj) != JT_OBJECT) {
		snprintf(why, whylen, "want an object of tag names and string values");
		return -1;
	}
	return jval_each(obj, set_tag, &t) == 0 ? 0 : -1;
}

/* config_load - apply a configuration file to *s (see config.h) */
int
config_load(const char *path, struct settings *s, char *err, size_t errlen)
{
	size_t	len = 0;
	int	others = 0, rc;
	char   *buf;

	if ((buf = read_file(path, &len, &others, err, errlen)) == NULL)
		return -1;
	rc = config_parse(buf, len, path, s, err, errlen);
	if (rc == 0 && others && (s->push_password || s->push_token))
		msg_warn("%s holds a secret and others can read it: chmod 600 it, "
		    "or use push_password_file / push_token_file", path);
	free(buf);
	return rc;
}

struct parse_ctx {
	struct settings *s;
	const char *path;
	const struct key_line *lines;
	size_t	nlines;
	char   *err;
	size_t	errlen;
};

/*
 * set_key - one member of the top-level object. An error names a known
 * key (one of pfqmon's option names) but never an unknown one: that
 * would be the file's text.
 */
static int
set_key(void *ctx, const char *key, const struct jval *v)
{
	struct parse_ctx *c = ctx;
	const struct setting_def *d = settings_find(key);
	const char *text, *want = "";
	char	at[48], why[512], tmp[32];

	where(c->lines, c->nlines, key, at, sizeof(at));
	if (d == NULL) {
		snprintf(c->err, c->errlen, "%s%s: unknown key (the keys are the "
		    "option names of pfqmon --help, with _ for -)", c->path, at);
		return -1;
	}
	if (d->type == SET_TAG) {
		if (set_tags(c->s, v, why, sizeof(why)) < 0)
			goto bad;
		settings_mark(c->s, d);
		return 0;
	}
	if ((text = value_text(d, v, tmp, sizeof(tmp), &want)) == NULL) {
		snprintf(why, sizeof(why), "want %s", want);
		goto bad;
	}
	if (settings_set(c->s, d, text, why, sizeof(why)) == 0)
		return 0;
bad:
	snprintf(c->err, c->errlen, "%s%s: key \"%s\": %s", c->path, at,
	    d->name, why);
	return -1;
}

/* config_parse - apply configuration text to *s (see config.h) */
int
config_parse(const char *buf, size_t len, const char *path,
    struct settings *s, char *err, size_t errlen)
{
	struct key_line lines[KEYS_MAX];
	struct parse_ctx c;
	struct jdoc *doc;
	char	why[512];
	int	rc = 0;

	if ((doc = jdoc_parse(buf, len, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s %s", path, why);	/* no text quoted */
		return -1;
	}
	if (jval_type(jdoc_root(doc)) != JT_OBJECT) {
		snprintf(err, errlen, "%s: want a JSON object of option names", path);
		jdoc_free(doc);
		return -1;
	}
	c.s = s;
	c.path = path;
	c.lines = lines;
	c.nlines = key_lines(buf, len, lines, KEYS_MAX);
	c.err = err;
	c.errlen = errlen;
	if (jval_each(jdoc_root(doc), set_key, &c) != 0)
		rc = -1;
	jdoc_free(doc);
	return rc;
}

/* config_settings - see config.h */
int
config_settings(struct settings *out, const struct settings *cli,
    const char *file, char *err, size_t errlen)
{
	struct settings f;

	settings_init(out);
	if (file) {
		settings_init(&f);
		if (config_load(file, &f, err, errlen) < 0) {
			settings_free(&f);
			settings_free(out);
			return -1;
		}
		settings_merge(out, &f);
		settings_free(&f);
	}
	settings_merge(out, cli);
	if (settings_finish(out, err, errlen) < 0) {
		settings_free(out);
		return -1;
	}
	return 0;
}
