/*
 * fuzz_showq.c - libFuzzer target for the showq protocol reader: any
 * bytes as what public/showq sends are counted record by record or
 * refused with one line, and what was counted makes a valid report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "fuzzreport.h"
#include "showq.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agg *a = agg_create(1700000000);
	struct scan_stats st;
	char	err[256];

	memset(&st, 0, sizeof(st));
	err[0] = '\0';
	if (sq_count_bytes(a, &st, (const char *)data, size, err, sizeof(err)) < 0
	    && (err[0] == '\0' || strchr(err, '\n') != NULL))
		abort();		/* a refusal is exactly one line */
	fuzz_report_check(a, &st);
	return 0;
}
