/*
 * main.c - run every unit suite; TAP on stdout, one line per test.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

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
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
