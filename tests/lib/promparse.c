/*
 * promparse.c - a strict reader of one Prometheus sample line
 * (promparse.h). Trusts nothing of its input; allocates only through
 * buf.h, freed by promp_free().
 */
#include <string.h>

#include "promparse.h"

/* name_char - [a-zA-Z0-9_] and, for metric names, ':' */
static int
name_char(char c, int first, int colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	if (colon && c == ':')
		return 1;
	return !first && c >= '0' && c <= '9';
}

/* utf8_ok - valid UTF-8: no overlong form, surrogate or code point past U+10FFFF */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t	i = 0, k, len;
	unsigned long cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xC2 && s[i] <= 0xDF)
			len = 2, cp = s[i] & 0x1F;
		else if (s[i] >= 0xE0 && s[i] <= 0xEF)
			len = 3, cp = s[i] & 0x0F;
		else if (s[i] >= 0xF0 && s[i] <= 0xF4)
			len = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000
		    || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}

void
promp_init(struct promp_sample *s)
{
	size_t	i;

	buf_init(&s->name);
	buf_init(&s->value);
	for (i = 0; i < PROMP_MAX_LABELS; i++) {
		buf_init(&s->key[i]);
		buf_init(&s->val[i]);
	}
	s->nlabels = 0;
}

void
promp_free(struct promp_sample *s)
{
	size_t	i;

	buf_free(&s->name);
	buf_free(&s->value);
	for (i = 0; i < PROMP_MAX_LABELS; i++) {
		buf_free(&s->key[i]);
		buf_free(&s->val[i]);
	}
}

#define FAIL(why)	do { *err = (why); return -1; } while (0)

int
promp_parse(struct promp_sample *s, const char *t, size_t n, const char **err)
{
	size_t	i = 0;
	struct buf *v;

	while (i < n && name_char(t[i], i == 0, 1))
		buf_addc(&s->name, t[i++]);
	if (s->name.len == 0)
		FAIL("no metric name");
	if (i < n && t[i] == '{') {
		i++;
		while (i < n && t[i] != '}') {
			if (s->nlabels == PROMP_MAX_LABELS)
				FAIL("too many labels");
			if (!name_char(t[i], 1, 0))
				FAIL("bad label name");
			while (i < n && name_char(t[i], 0, 0))
				buf_addc(&s->key[s->nlabels], t[i++]);
			if (i + 1 >= n || t[i] != '=' || t[i + 1] != '"')
				FAIL("want =\" after a label name");
			i += 2;
			v = &s->val[s->nlabels];
			for (;;) {
				if (i >= n)
					FAIL("unterminated label value");
				if (t[i] == '"')
					break;
				if (t[i] == '\n')
					FAIL("raw newline in a label value");
				if (t[i] == '\\') {
					if (i + 1 >= n)
						FAIL("backslash at the end");
					if (t[i + 1] == '\\')
						buf_addc(v, '\\');
					else if (t[i + 1] == '"')
						buf_addc(v, '"');
					else if (t[i + 1] == 'n')
						buf_addc(v, '\n');
					else
						FAIL("invalid escape sequence");
					i += 2;
					continue;
				}
				buf_addc(v, t[i++]);
			}
			i++;
			if (!utf8_ok((const unsigned char *)v->data, v->len))
				FAIL("label value is not valid UTF-8");
			s->nlabels++;
			if (i < n && t[i] == ',')
				i++;
			else if (i >= n || t[i] != '}')
				FAIL("want , or } after a label");
		}
		if (i >= n)
			FAIL("unterminated labels");
		i++;
	}
	if (i >= n || t[i] != ' ')
		FAIL("want one space before the value");
	i++;
	if (i >= n)
		FAIL("no value");
	while (i < n && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.'))
		buf_addc(&s->value, t[i++]);
	if (i != n || s->value.len == 0 || s->value.data[0] == '.')
		FAIL("the value is not a decimal number");
	return 0;
}
