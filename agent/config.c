/*
 * config.c - read pfqmon's JSON configuration file with jansson.
 *
 * The file is one JSON object whose keys are the option names of
 * settings.c ("push_db" for --push-db); values are typed: strings,
 * integers for counts, booleans for flags, strings for durations ("10s")
 * and an object of strings for "tag". Unknown keys, wrong types,
 * duplicate keys and bad values are errors that name the key and its
 * line. This is the only module that includes jansson, and no json_t
 * leaves it.
 *
 * SECURITY: the file may hold secrets; a file readable by others that
 * does gets a warning.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "msg.h"
#include "xalloc.h"

#define CONFIG_MAX	(1 << 20)	/* bytes; a configuration is small */
#define KEYS_MAX	128

struct key_line {
	char	name[64];
	int	line;
};

/*
 * key_lines - the line of each key of the top-level object. jansson has
 * already accepted the text, so a small scanner is enough: strings (with
 * escapes) at depth 1 followed by ':' are keys.
 */
static size_t
key_lines(const char *text, size_t len, struct key_line *out, size_t max)
{
	size_t	i = 0, n = 0, start, klen;
	int	depth = 0, line = 1, kline;

	while (i < len) {
		char	c = text[i];

		if (c == '\n')
			line++;
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		else if (c == '"') {
			start = ++i;
			kline = line;
			while (i < len && text[i] != '"') {
				if (text[i] == '\\')
					i++;
				else if (text[i] == '\n')
					line++;
				i++;
			}
			klen = i - start;
			i++;
			while (i < len && strchr(" \t\r\n", text[i])) {
				if (text[i] == '\n')
					line++;
				i++;
			}
			if (depth == 1 && i < len && text[i] == ':' && n < max
			    && klen < sizeof(out[0].name)) {
				memcpy(out[n].name, text + start, klen);
				out[n].name[klen] = '\0';
				out[n++].line = kline;
			}
			continue;
		}
		i++;
	}
	return n;
}

/* line_of - where a key was written, 0 if not found */
static int
line_of(const struct key_line *k, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(k[i].name, name) == 0)
			return k[i].line;
	return 0;
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

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)
	    || sb.st_size > CONFIG_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes",
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
value_text(const struct setting_def *d, json_t *v, char *tmp, size_t tmplen,
    const char **want)
{
	switch (d->type) {
	case SET_STRING:
	case SET_DURATION:
		*want = d->type == SET_STRING ? "a string" :
		    "a duration string like \"10s\"";
		return json_is_string(v) ? json_string_value(v) : NULL;
	case SET_COUNT:
		*want = "a non-negative integer";
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return NULL;
		snprintf(tmp, tmplen, "%lld", (long long)json_integer_value(v));
		return tmp;
	case SET_FLAG:
		*want = "true or false";
		return json_is_boolean(v) ? (json_is_true(v) ? "true" : "false") :
		    NULL;
	case SET_TAG:
		break;
	}
	return NULL;
}

/* set_tags - the "tag" object: {"host": "mx1", ...} */
static int
set_tags(struct settings *s, json_t *obj, char *why, size_t whylen)
{
	const char *key;
	char	safe[68];
	json_t *v;

	if (!json_is_object(obj)) {
		snprintf(why, whylen, "want an object of tag names and string values");
		return -1;
	}
	json_object_foreach(obj, key, v) {
		if (!json_is_string(v)) {
			snprintf(why, whylen, "tag %s: want a string value",
			    printable_for_log(safe, sizeof(safe), key, strlen(key)));
			return -1;
		}
		if (settings_set_tag(s, key, json_string_value(v), why, whylen) < 0)
			return -1;
	}
	return 0;
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

/* config_parse - apply configuration text to *s (see config.h) */
int
config_parse(const char *buf, size_t len, const char *path,
    struct settings *s, char *err, size_t errlen)
{
	struct key_line lines[KEYS_MAX];
	json_error_t jerr;
	json_t *root, *v;
	const char *key, *text, *want = "";
	char	why[512], tmp[32];
	size_t	nlines;
	int	rc = 0;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jansson quotes the input near the error: make it printable. */
		snprintf(err, errlen, "%s line %d column %d: %s", path, jerr.line,
		    jerr.column, printable_for_log(why, sizeof(why), jerr.text,
		    strlen(jerr.text)));
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: want a JSON object of option names", path);
		rc = -1;
		goto out;
	}
	nlines = key_lines(buf, len, lines, KEYS_MAX);
	json_object_foreach(root, key, v) {
		const struct setting_def *d = settings_find(key);
		int	line = line_of(lines, nlines, key);
		char	safe[80];

		printable_for_log(safe, sizeof(safe), key, strlen(key));
		if (d == NULL) {
			snprintf(err, errlen, "%s line %d: unknown key \"%s\" (the "
			    "keys are the option names of pfqmon --help, with _ for -)",
			    path, line, safe);
			rc = -1;
			break;
		}
		if (d->type == SET_TAG) {
			if (set_tags(s, v, why, sizeof(why)) < 0)
				goto bad;
			settings_mark(s, d);
			continue;
		}
		if ((text = value_text(d, v, tmp, sizeof(tmp), &want)) == NULL) {
			snprintf(why, sizeof(why), "want %s", want);
			goto bad;
		}
		if (settings_set(s, d, text, why, sizeof(why)) == 0)
			continue;
bad:
		snprintf(err, errlen, "%s line %d: key \"%s\": %s", path, line, key,
		    why);
		rc = -1;
		break;
	}
out:
	json_decref(root);
	return rc;
}
