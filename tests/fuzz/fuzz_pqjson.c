/*
 * fuzz_pqjson.c - libFuzzer target for the postqueue -j reader: any bytes
 * as postqueue's output are counted line by line, and whatever was
 * counted must make a report of valid, bounded line protocol.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "buf.h"
#include "pqsource.h"
#include "report.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agg *a = agg_create(1700000000);
	struct scan_stats st;
	struct report_opts o;
	struct buf out;
	size_t	lines = 0, i;

	memset(&st, 0, sizeof(st));
	memset(&o, 0, sizeof(o));
	o.top = 5;
	o.no_identity = 1;
	pq_count_text(a, &st, (const char *)data, size);
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	/* Every line is either counted or explained, never both or neither. */
	if (st.files != lines + (size > 0 && data[size - 1] != '\n')
	    || st.parsed + st.unparseable + st.ignored != st.files)
		abort();
	buf_init(&out);
	report_write(&out, a, &o, &st);
	if (out.len == 0 || out.data[out.len - 1] != '\n')
		abort();
	buf_free(&out);
	agg_free(a);
	return 0;
}
