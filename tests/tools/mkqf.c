/*
 * mkqf - write a queue file from a text description, for tests.
 *
 * usage: mkqf DESCRIPTION OUTPUT
 *
 * One directive per line; '#' starts a comment line.
 *
 *	T payload		a record of type T (any single character) with
 *				the rest of the line as payload; escapes \\ \n
 *				\r \t \0 \xHH; no payload: empty record
 *	size auto [RCPTS]	a six-field size record whose data offset and
 *				size point from the M record to the X record
 *	size DSIZE DOFF [RCPTS]	a size record with these numbers
 *	ptr LABEL|NUMBER	a pointer record ("%15ld") to a label or offset
 *	ptr next		a pointer to the record right after this one
 *	warn NUMBER		a W record ("%15ld")
 *	fill T COUNT CHAR	a record of type T with COUNT bytes of CHAR
 *	hdr T HEX...		type byte and these length bytes, no payload
 *	raw HEX...		raw bytes
 *	repeat COUNT LINE	the directive LINE, COUNT times
 *	:LABEL			name the current offset
 *
 * Record and pointer sizes do not depend on label values, so two passes
 * over the description resolve forward references.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "qfwrite.h"

#define MAX_LABELS	256

struct label {
	char	name[64];
	long	off;
};

struct state {
	struct label labels[MAX_LABELS];
	int	nlabels;
	long	m_end, x_off;		/* offsets after M, of X */
	int	pass;
};

static void __attribute__((noreturn))
die(const char *what, const char *line)
{
	fprintf(stderr, "mkqf: %s: %s\n", what, line);
	exit(2);
}

/* unescape - payload escapes into raw bytes in out */
static void
unescape(struct buf *out, const char *s)
{
	while (*s) {
		if (*s != '\\' || s[1] == '\0') {
			buf_addc(out, *s++);
			continue;
		}
		s++;
		switch (*s) {
		case 'n': buf_addc(out, '\n'); s++; break;
		case 'r': buf_addc(out, '\r'); s++; break;
		case 't': buf_addc(out, '\t'); s++; break;
		case '0': buf_addc(out, '\0'); s++; break;
		case 'x': {
			char	hex[3] = {0, 0, 0};

			if (!s[1] || !s[2])
				die("bad \\x escape", s);
			hex[0] = s[1];
			hex[1] = s[2];
			buf_addc(out, (char)strtol(hex, NULL, 16));
			s += 3;
			break;
		}
		default:
			buf_addc(out, *s++);
		}
	}
}

/* hexbytes - "0x80 ff 01" or "80ff01" style bytes */
static void
hexbytes(struct buf *out, const char *s)
{
	char	hex[3] = {0, 0, 0};

	while (*s) {
		if (*s == ' ' || *s == ',') {
			s++;
			continue;
		}
		if (s[0] == '0' && s[1] == 'x')
			s += 2;
		if (!s[0] || !s[1])
			die("odd hex digits", s);
		hex[0] = s[0];
		hex[1] = s[1];
		buf_addc(out, (char)strtol(hex, NULL, 16));
		s += 2;
	}
}

/* label_off - offset of a label (0 in the first pass) */
static long
label_off(const struct state *S, const char *name)
{
	int	i;

	for (i = 0; i < S->nlabels; i++)
		if (strcmp(S->labels[i].name, name) == 0)
			return S->labels[i].off;
	if (S->pass == 2)
		die("unknown label", name);
	return 0;
}

/* directive - one line of the description */
static void
directive(struct state *S, struct buf *b, const char *line)
{
	struct buf tmp;
	long	a, c, n;
	char	name[64], t;

	if (line[0] == '\0' || line[0] == '#')
		return;
	buf_init(&tmp);
	if (line[0] == ':') {
		if (S->pass == 1 && S->nlabels < MAX_LABELS) {
			snprintf(S->labels[S->nlabels].name, sizeof(name), "%s",
			    line + 1);
			S->labels[S->nlabels++].off = (long)b->len;
		}
	} else if (strncmp(line, "repeat ", 7) == 0) {
		char   *rest;

		n = strtol(line + 7, &rest, 10);
		if (*rest != ' ')
			die("bad repeat", line);
		while (n-- > 0)
			directive(S, b, rest + 1);
	} else if (strncmp(line, "size ", 5) == 0) {
		c = 0;
		if (strncmp(line + 5, "auto", 4) == 0) {
			sscanf(line + 9, "%ld", &c);
			qfw_size(b, S->x_off - S->m_end, S->m_end, c);
		} else {
			if (sscanf(line + 5, "%ld %ld %ld", &a, &n, &c) < 2)
				die("bad size", line);
			qfw_size(b, a, n, c);
		}
	} else if (strncmp(line, "ptr ", 4) == 0) {
		if (strcmp(line + 4, "next") == 0)
			qfw_num15(b, 'p', (long)b->len + 17);
		else if (line[4] >= '0' && line[4] <= '9')
			qfw_num15(b, 'p', strtol(line + 4, NULL, 10));
		else
			qfw_num15(b, 'p', label_off(S, line + 4));
	} else if (strncmp(line, "warn ", 5) == 0) {
		qfw_num15(b, 'W', strtol(line + 5, NULL, 10));
	} else if (strncmp(line, "fill ", 5) == 0) {
		if (sscanf(line + 5, "%c %ld %c", &t, &n, name) != 3 || n < 0)
			die("bad fill", line);
		buf_reserve(&tmp, (size_t)n);
		memset(tmp.data, name[0], (size_t)n);
		qfw_rec(b, t, tmp.data, (size_t)n);
	} else if (strncmp(line, "hdr ", 4) == 0) {
		hexbytes(&tmp, line + 6);
		qfw_hdr(b, line[4], (unsigned char *)tmp.data, tmp.len);
	} else if (strncmp(line, "raw ", 4) == 0) {
		hexbytes(&tmp, line + 4);
		buf_add(b, tmp.data, tmp.len);
	} else if (line[1] == '\0' || line[1] == ' ') {
		if (line[0] == 'X')
			S->x_off = (long)b->len;
		if (line[1] == ' ')
			unescape(&tmp, line + 2);
		qfw_rec(b, line[0], tmp.data ? tmp.data : "", tmp.len);
		if (line[0] == 'M')
			S->m_end = (long)b->len;
	} else {
		die("unknown directive", line);
	}
	buf_free(&tmp);
}

/* emit - one pass over all lines */
static void
emit(struct state *S, struct buf *b, char **lines, size_t nlines)
{
	size_t	i;

	buf_reset(b);
	for (i = 0; i < nlines; i++)
		directive(S, b, lines[i]);
}

int
main(int argc, char **argv)
{
	struct state S;
	struct buf b;
	char  **lines = NULL, *line = NULL;
	size_t	nlines = 0, linecap = 0;
	FILE   *in, *out;

	if (argc != 3) {
		fprintf(stderr, "usage: mkqf DESCRIPTION OUTPUT\n");
		return 2;
	}
	if ((in = fopen(argv[1], "r")) == NULL)
		die(strerror(errno), argv[1]);
	while (getline(&line, &linecap, in) >= 0) {
		line[strcspn(line, "\n")] = '\0';
		lines = realloc(lines, (nlines + 1) * sizeof(*lines));
		if (lines == NULL || (lines[nlines++] = strdup(line)) == NULL)
			die("out of memory", argv[1]);
	}
	free(line);
	fclose(in);
	memset(&S, 0, sizeof(S));
	buf_init(&b);
	S.pass = 1;
	emit(&S, &b, lines, nlines);
	S.pass = 2;
	emit(&S, &b, lines, nlines);
	if ((out = fopen(argv[2], "w")) == NULL)
		die(strerror(errno), argv[2]);
	if (b.len && fwrite(b.data, 1, b.len, out) != b.len)
		die("write failed", argv[2]);
	if (fclose(out) != 0)
		die("close failed", argv[2]);
	buf_free(&b);
	return 0;
}
