/*
 * lpcheck - validate line protocol on stdin with tests/lib/lpparse.c and
 * optionally print every line decoded, one JSON object per line:
 *
 *	{"m":"postfix_queue","tags":{"queue":"deferred"},"fields":{"length":6}}
 *
 * usage: lpcheck [--json]
 *
 * Exit 0 when every line is valid and the input ends with LF, 1 with a
 * message naming the first bad line otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lpparse.h"

/* json_str - a decoded string as a JSON string (UTF-8 passed through) */
static void
json_str(const struct buf *b)
{
	size_t	i;

	putchar('"');
	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* print_json - one decoded line */
static void
print_json(const struct lpp_line *l)
{
	size_t	i;

	printf("{\"m\":");
	json_str(&l->measurement);
	printf(",\"tags\":{");
	for (i = 0; i < l->ntags; i++) {
		printf(i ? "," : "");
		json_str(&l->tag_key[i]);
		putchar(':');
		json_str(&l->tag_val[i]);
	}
	printf("},\"fields\":{");
	for (i = 0; i < l->nfields; i++) {
		printf(i ? "," : "");
		json_str(&l->field_key[i]);
		printf(":%lld", (long long)l->field_val[i]);
	}
	printf("}}\n");
}

int
main(int argc, char **argv)
{
	struct buf in;
	struct lpp_line l;
	char	chunk[65536];
	size_t	n, start = 0, lineno = 0, i;
	const char *err;
	int	json = argc > 1 && strcmp(argv[1], "--json") == 0;

	buf_init(&in);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_add(&in, chunk, n);
	if (in.len > 0 && in.data[in.len - 1] != '\n') {
		fprintf(stderr, "lpcheck: output does not end with a newline\n");
		return 1;
	}
	lpp_init(&l);
	for (i = 0; i < in.len; i++) {
		if (in.data[i] != '\n')
			continue;
		lineno++;
		if (lpp_parse(&l, in.data + start, i - start, &err) < 0) {
			fprintf(stderr, "lpcheck: line %zu: %s: %.*s\n", lineno, err,
			    (int)(i - start > 200 ? 200 : i - start), in.data + start);
			return 1;
		}
		if (json)
			print_json(&l);
		start = i + 1;
	}
	lpp_free(&l);
	buf_free(&in);
	return 0;
}
