/*
 * fuzzreport.c - the shared checks of the listing fuzz targets
 * (fuzzreport.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzzreport.h"
#include "report.h"

void
fuzz_report_check(struct agg *a, const struct scan_stats *st)
{
	struct report_opts o;
	struct buf out;

	if (st->parsed + st->unparseable + st->ignored != st->files)
		abort();
	memset(&o, 0, sizeof(o));
	o.top = 5;
	o.no_identity = 1;
	buf_init(&out);
	report_write(&out, a, &o, st);
	if (out.len == 0 || out.data[out.len - 1] != '\n')
		abort();
	buf_free(&out);
	agg_free(a);
}
