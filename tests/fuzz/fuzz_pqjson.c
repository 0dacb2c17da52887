/*
 * fuzz_pqjson.c - libFuzzer target for the postqueue -j reader: any bytes
 * as postqueue's output are counted line by line, and whatever was
 * counted must make a report of valid, bounded line protocol.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "fuzzreport.h"
#include "pqjson.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agg *a = agg_create(1700000000);
	struct scan_stats st;
	size_t	lines = 0, i;

	memset(&st, 0, sizeof(st));
	pq_count_text(a, &st, (const char *)data, size);
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	/* One count per line, the unterminated last one included. */
	if (st.files != lines + (size > 0 && data[size - 1] != '\n'))
		abort();
	fuzz_report_check(a, &st);
	return 0;
}
