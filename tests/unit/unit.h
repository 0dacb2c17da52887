/*
 * unit.h - the unit test suites (Check framework) and shared helpers.
 *
 * Each test_*.c file defines one suite; main.c runs them all and prints
 * TAP on stdout, which tests/run.sh counts.
 */
#ifndef PFQ_TEST_UNIT_H
#define PFQ_TEST_UNIT_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "qfile.h"

Suite	*rec_suite(void);
Suite	*qfile_suite(void);
Suite	*tagval_suite(void);
Suite	*addr_suite(void);
Suite	*agg_suite(void);
Suite	*lp_suite(void);
Suite	*prom_suite(void);
Suite	*util_suite(void);
Suite	*agentparts_suite(void);
Suite	*select_suite(void);
Suite	*cli_suite(void);
Suite	*qdir_suite(void);
Suite	*pool_suite(void);
Suite	*tally_suite(void);
Suite	*arrivals_suite(void);

/* unit_rm_tree - remove a temporary tree, never following a link */
void	unit_rm_tree(const char *);

/* An in-memory queue file for the parser, with read accounting. */
struct memfile {
	const char *data;
	size_t	size;
	unsigned reads;			/* read calls made */
	uint64_t bytes;			/* bytes handed out */
};

void	memfile_input(struct qf_input *, struct memfile *, const struct buf *,
	    enum qf_kind);

#endif
