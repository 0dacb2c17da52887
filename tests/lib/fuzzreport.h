/*
 * fuzzreport.h - what the listing fuzz targets (fuzz_pqjson, fuzz_showq)
 * check after a parser has counted arbitrary input.
 *
 * fuzz_report_check(a, &st) aborts unless every listed message was
 * counted exactly once (parsed, unparseable or ignored) and the report
 * of a (without SASL and client breakdowns) is whole lines; then it
 * frees a.
 */
#ifndef PFQ_FUZZREPORT_H
#define PFQ_FUZZREPORT_H

#include "agg.h"
#include "scan.h"

void	fuzz_report_check(struct agg *, const struct scan_stats *);

#endif
