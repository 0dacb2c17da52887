/*
 * main.c - run every unit suite; TAP on stdout, one line per test.
 */
#define _XOPEN_SOURCE 700	/* nftw */

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "unit.h"

/* rm_entry - nftw callback: remove one entry, never following a link */
static int
rm_entry(const char *p, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb;
	(void)type;
	(void)f;
	return remove(p) == 0 ? 0 : -1;
}

/* unit_rm_tree - see unit.h */
void
unit_rm_tree(const char *path)
{
	(void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* mem_read - read function of struct memfile */
static ssize_t
mem_read(void *ctx, void *dst, size_t len, uint64_t off)
{
	struct memfile *m = ctx;

	m->reads++;
	if (off >= m->size)
		return 0;
	if (len > m->size - off)
		len = (size_t)(m->size - off);
	memcpy(dst, m->data + off, len);
	m->bytes += len;
	return (ssize_t)len;
}

/* memfile_input - parser input over a buffer built by the test */
void
memfile_input(struct qf_input *in, struct memfile *m, const struct buf *b,
    enum qf_kind kind)
{
	m->data = b->data;
	m->size = b->len;
	m->reads = 0;
	m->bytes = 0;
	in->read = mem_read;
	in->ctx = m;
	in->size = b->len;
	in->mtime = 1700000000;
	in->kind = kind;
}

int
main(void)
{
	SRunner *sr = srunner_create(rec_suite());
	int	failed;

	srunner_add_suite(sr, qfile_suite());
	srunner_add_suite(sr, tagval_suite());
	srunner_add_suite(sr, addr_suite());
	srunner_add_suite(sr, agg_suite());
	srunner_add_suite(sr, lp_suite());
	srunner_add_suite(sr, prom_suite());
	srunner_add_suite(sr, util_suite());
	srunner_add_suite(sr, agentparts_suite());
	srunner_add_suite(sr, select_suite());
	srunner_add_suite(sr, cli_suite());
	srunner_add_suite(sr, qdir_suite());
	srunner_add_suite(sr, pool_suite());
	srunner_add_suite(sr, tally_suite());
	srunner_add_suite(sr, arrivals_suite());
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
