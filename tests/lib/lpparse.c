/*
 * lpparse.c - strict line-protocol reader for tests (see lpparse.h).
 */
#include <string.h>

#include "lpparse.h"

/* lpp_init - empty line */
void
lpp_init(struct lpp_line *l)
{
	size_t	i;

	memset(l, 0, sizeof(*l));
	buf_init(&l->measurement);
	for (i = 0; i < LPP_MAX_TAGS; i++) {
		buf_init(&l->tag_key[i]);
		buf_init(&l->tag_val[i]);
	}
	for (i = 0; i < LPP_MAX_FIELDS; i++)
		buf_init(&l->field_key[i]);
}

/* lpp_free - release the decoded strings */
void
lpp_free(struct lpp_line *l)
{
	size_t	i;

	buf_free(&l->measurement);
	for (i = 0; i < LPP_MAX_TAGS; i++) {
		buf_free(&l->tag_key[i]);
		buf_free(&l->tag_val[i]);
	}
	for (i = 0; i < LPP_MAX_FIELDS; i++)
		buf_free(&l->field_key[i]);
}

/* forbidden - bytes Telegraf refuses in names, keys and tag values */
static int
forbidden(char c)
{
	return c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/*
 * scan_token - Telegraf's tagchar / fieldkeychar / measurement_chars:
 * stop at an unescaped byte of stops; a backslash escapes the next byte,
 * except that for tag values "\\" is one literal backslash followed by a
 * new token (Telegraf's '\\\\' %to{ fhold; } rule). Returns the end.
 */
static size_t
scan_token(const char *s, size_t len, size_t i, const char *stops,
    int tagvalue, const char **err)
{
	while (i < len) {
		char	c = s[i];

		if (forbidden(c)) {
			*err = "control character";
			return (size_t)-1;
		}
		if (c == '\\') {
			if (i + 1 >= len || forbidden(s[i + 1])) {
				*err = "backslash at end of token";
				return (size_t)-1;
			}
			i += tagvalue && s[i + 1] == '\\' ? 1 : 2;
			continue;
		}
		if (strchr(stops, c))
			break;
		i++;
	}
	return i;
}

/* replace_all - bytes.Replace(in, from, to, -1) for 2-byte from */
static void
replace_all(struct buf *b, char esc)
{
	size_t	i, o = 0;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\\' && i + 1 < b->len && b->data[i + 1] == esc) {
			b->data[o++] = esc;
			i++;
		} else
			b->data[o++] = b->data[i];
	}
	b->len = o;
	if (b->data)
		b->data[o] = '\0';
}

/* decode - copy raw token text and unescape the given bytes in order */
static void
decode(struct buf *out, const char *s, size_t len, const char *escs)
{
	buf_reset(out);
	buf_add(out, s, len);
	for (; *escs; escs++)
		replace_all(out, *escs);
}

/* parse_int - "-?(0|[1-9][0-9]*)i" */
static int
parse_int(const char *s, size_t len, size_t *i, int64_t *v)
{
	size_t	j = *i, start;
	int	neg = 0;
	uint64_t acc = 0;

	if (j < len && s[j] == '-') {
		neg = 1;
		j++;
	}
	start = j;
	while (j < len && s[j] >= '0' && s[j] <= '9') {
		if (acc > (UINT64_MAX - 9) / 10)
			return -1;
		acc = acc * 10 + (uint64_t)(s[j] - '0');
		j++;
	}
	if (j == start || (s[start] == '0' && j - start > 1))
		return -1;
	if (j >= len || s[j] != 'i')
		return -1;
	if (acc > (uint64_t)INT64_MAX + (uint64_t)neg)
		return -1;
	*v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	*i = j + 1;
	return 0;
}

/* scan_key - a tag or field key from s[start], which must end in '=' */
static size_t
scan_key(const char *s, size_t len, size_t start, const char *what,
    const char **err)
{
	size_t	end = scan_token(s, len, start, ",= ", 0, err);

	if (end == (size_t)-1)
		return end;
	if (end == start || end >= len || s[end] != '=') {
		*err = what;
		return (size_t)-1;
	}
	return end;
}

/* lpp_parse - one line without its LF; 0 or -1 with *err */
int
lpp_parse(struct lpp_line *l, const char *s, size_t len, const char **err)
{
	size_t	i = 0, e, ks, ke;

	l->ntags = l->nfields = 0;
	l->has_timestamp = 0;
	if (len == 0 || s[0] == '#' || s[0] == ' ') {
		*err = "empty line, comment or leading space";
		return -1;
	}
	if ((e = scan_token(s, len, 0, ", ", 0, err)) == (size_t)-1)
		return -1;
	if (e == 0) {
		*err = "no measurement";
		return -1;
	}
	decode(&l->measurement, s, e, ", ");
	i = e;
	while (i < len && s[i] == ',') {
		if (l->ntags == LPP_MAX_TAGS) {
			*err = "too many tags";
			return -1;
		}
		ks = i + 1;
		if ((ke = scan_key(s, len, ks, "bad tag key", err)) == (size_t)-1)
			return -1;
		if ((e = scan_token(s, len, ke + 1, ",= ", 1, err)) == (size_t)-1)
			return -1;
		if (e == ke + 1) {
			*err = "empty tag value";
			return -1;
		}
		if (e < len && s[e] == '=') {
			*err = "unescaped = in tag value";
			return -1;
		}
		if (s[e - 1] == '\\') {
			*err = "tag value ends in a backslash";
			return -1;
		}
		decode(&l->tag_key[l->ntags], s + ks, ke - ks, ", =");
		decode(&l->tag_val[l->ntags], s + ke + 1, e - ke - 1, ", =");
		if (l->ntags > 0 && strcmp(l->tag_key[l->ntags - 1].data,
		    l->tag_key[l->ntags].data) >= 0) {
			*err = "tags not sorted or duplicated";
			return -1;
		}
		l->ntags++;
		i = e;
	}
	if (i >= len || s[i] != ' ') {
		*err = "no space before fields";
		return -1;
	}
	do {
		if (l->nfields == LPP_MAX_FIELDS) {
			*err = "too many fields";
			return -1;
		}
		ks = i + 1;
		if ((ke = scan_key(s, len, ks, "bad field key", err)) == (size_t)-1)
			return -1;
		decode(&l->field_key[l->nfields], s + ks, ke - ks, ", =");
		i = ke + 1;
		if (parse_int(s, len, &i, &l->field_val[l->nfields]) < 0) {
			*err = "field value is not an integer";
			return -1;
		}
		l->nfields++;
	} while (i < len && s[i] == ',');
	if (i < len && s[i] == ' ') {
		i++;
		if (i == len) {
			*err = "trailing space";
			return -1;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		l->has_timestamp = 1;
	}
	if (i != len) {
		*err = "garbage at end of line";
		return -1;
	}
	return 0;
}
