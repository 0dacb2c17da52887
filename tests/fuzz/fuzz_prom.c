/*
 * fuzz_prom.c - round-trip property of the Prometheus writer (prom.h).
 *
 * For any byte string used as a label value (twice, so that a value
 * cannot swallow the label after it), the writer must produce exactly
 * one line, the strict reader (promparse.h: what Prometheus's parser
 * takes, valid UTF-8 included) must accept it, and each label must read
 * back as exactly tagval_clean() of the input ("?" for an empty input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "prom.h"
#include "promparse.h"
#include "tagval.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	clean[TAGVAL_MAX + 1];
	struct prom_sample s;
	struct promp_sample p;
	struct buf out;
	const char *err, *want;
	size_t	n, i;

	buf_init(&out);
	prom_begin(&s, &out, "postfix_queue_sender_messages");
	prom_label(&s, "sender", (const char *)data, size);
	prom_label(&s, "queue", (const char *)data, size);
	prom_end(&s, 1);

	if (out.len == 0 || out.data[out.len - 1] != '\n'
	    || memchr(out.data, '\n', out.len - 1) != NULL)
		abort();
	promp_init(&p);
	if (promp_parse(&p, out.data, out.len - 1, &err) != 0)
		abort();
	n = tagval_clean(clean, (const char *)data, size);
	want = n ? clean : "?";
	n = n ? n : 1;
	if (p.nlabels != 2 || strcmp(p.value.data, "1") != 0)
		abort();
	for (i = 0; i < 2; i++)
		if (p.val[i].len != n || memcmp(p.val[i].data, want, n))
			abort();
	promp_free(&p);
	buf_free(&out);
	return 0;
}
