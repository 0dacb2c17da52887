/*
 * prom.h - write one scan in Prometheus's text exposition format 0.0.4,
 * which OpenMetrics parsers also read (--format openmetrics, and what
 * pfqmon serve answers on /metrics).
 *
 * SYNOPSIS
 *	prom_write(&out, agg, &opts, &stats, now);	one scan
 *	prom_write(&out, NULL, &opts, &stats, now);	a scan that failed
 *	prom_schema(&out);				the metric names
 *
 *	struct prom_sample s;			one sample, as lp.h does lines
 *	prom_begin(&s, &out, "name");
 *	prom_label(&s, "key", value, len);	any bytes
 *	prom_end(&s, value);
 *
 * DESCRIPTION
 *	prom_write() appends the same facts report_write() writes as line
 *	protocol (docs/metrics.md), named after Prometheus's conventions:
 *	postfix_queue_messages, _bytes, _recipients and
 *	_oldest_message_age_seconds with a queue label; qshape's buckets in
 *	postfix_queue_age_messages{queue, bucket}; per breakdown (sender,
 *	SASL user, client address, sender and recipient domain) the
 *	breakdown's messages per queue and its bytes, recipients and oldest
 *	age, at most opts->top rows plus one "(other)" row, as the line
 *	protocol has them; and the scan's own health (postfix_queue_scan_*,
 *	its duration in seconds and its time). Every family is a gauge with
 *	one HELP and one TYPE line, its samples together; the text ends with
 *	"# EOF", which OpenMetrics requires and 0.0.4 reads as a comment.
 *	Samples carry no timestamp: the scraper stamps them. A row that left
 *	the queue is simply not written: Prometheus marks its series stale,
 *	so no closing row is needed (opts->closing is not used). With agg
 *	NULL only the scan's health is written (errors 1: the queue could
 *	not be read). Extra tags (opts->tags) become labels of every sample.
 *
 *	prom_schema() appends one line per family, "metric NAME LABELS
 *	HELP" (LABELS comma-separated, "-" for none), read off a real
 *	report of one message that reaches every breakdown, so that the
 *	documentation can be checked against what is written.
 *
 * SECURITY
 *	Label values come from mail. prom_label() runs every value through
 *	tagval_clean() (valid UTF-8, no control character, at most
 *	TAGVAL_MAX bytes), whatever the caller did, then escapes backslash,
 *	double quote and newline as the format asks: a value can never end
 *	its label, its sample or its line (tests/fuzz/fuzz_prom.c). An empty
 *	value is written as "?": Prometheus reads an empty label as absent.
 *
 * OWNERSHIP
 *	Appends to the caller's buffer; allocates nothing per message (one
 *	array of rows per breakdown, from agg_top()).
 */
#ifndef PFQ_PROM_H
#define PFQ_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "buf.h"
#include "report.h"
#include "scan.h"

/* The content type of what prom_write() writes. */
#define PROM_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct prom_sample {
	struct buf *b;
	int	nlabels;
};

void	prom_begin(struct prom_sample *, struct buf *, const char *);
void	prom_label(struct prom_sample *, const char *, const char *, size_t);
void	prom_end(struct prom_sample *, uint64_t);
void	prom_write(struct buf *, const struct agg *, const struct report_opts *,
	    const struct scan_stats *, int64_t);
void	prom_schema(struct buf *);

#endif
