/*
 * test_qfile.c - the queue-file parser, on files built with qfwrite.
 *
 * Golden tests on real Postfix files are in tests/golden; these cover
 * each rule and each way a file can be wrong.
 */
#include <stdlib.h>
#include <string.h>

#include "qfwrite.h"
#include "unit.h"

#define SIZE_REC_LEN	97		/* 'C', length byte, 95 bytes */

/*
 * build - a cleanup-format file with a correct size record. Each string
 * is a record: its first byte is the type, the rest the payload.
 */
static void
build(struct buf *out, const char *const *env, const char *const *content,
    const char *const *extra)
{
	struct buf rest;
	size_t	m_end, x_off;

	buf_init(&rest);
	for (; env && *env; env++)
		qfw_str(&rest, (*env)[0], *env + 1);
	qfw_rec(&rest, 'M', "", 0);
	m_end = rest.len;
	for (; content && *content; content++)
		qfw_str(&rest, (*content)[0], *content + 1);
	x_off = rest.len;
	qfw_rec(&rest, 'X', "", 0);
	for (; extra && *extra; extra++)
		qfw_str(&rest, (*extra)[0], *extra + 1);
	qfw_rec(&rest, 'E', "", 0);
	buf_reset(out);
	qfw_size(out, (long)(x_off - m_end), (long)(SIZE_REC_LEN + m_end), 1);
	ck_assert_uint_eq(out->len, SIZE_REC_LEN);
	buf_add(out, rest.data, rest.len);
	buf_free(&rest);
}

/* parse - run the parser over a buffer */
static int
parse(struct qf_parser *P, const struct buf *b, enum qf_kind kind,
    struct qf_msg *m, struct memfile *mf)
{
	struct qf_input in;
	struct memfile local;

	memfile_input(&in, mf ? mf : &local, b, kind);
	return qf_parse(P, &in, m);
}

/* walk_ok - does the full record walk (content included) succeed? */
static void
nothing(void *c, uint64_t o, int t, const unsigned char *p, size_t s,
    size_t f, int g)
{
	(void)c; (void)o; (void)t; (void)p; (void)s; (void)f; (void)g;
}

static int
walk(struct qf_parser *P, const struct buf *b)
{
	struct qf_input in;
	struct memfile mf;

	memfile_input(&in, &mf, b, QF_KIND_QUEUE);
	return qf_walk(P, &in, nothing, NULL);
}

static int
str_is(struct qf_str s, const char *want)
{
	return s.p != NULL && s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static const char *const basic_env[] = {
	"T1700000000 5", "Acreate_time=1700000001", "Asasl_method=PLAIN",
	"Asasl_username=alice", "SJoe@Example.COM",
	"Aclient_address=127.0.0.1", "Alog_client_address=198.51.100.7",
	"Ondest1@dest.example", "Rr1@dest.example", "Rr2@dest.example",
	"Dr3@dest.example", "/gone@dest.example", NULL,
};
static const char *const basic_content[] = {
	"NSubject: test", "N", "Nbody line", NULL,
};
static const char *const basic_extra[] = {
	"Aencoding=7bit", "Rbcc@Other.example", NULL,
};

START_TEST(basic_message)
{
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	buf_init(&b);
	build(&b, basic_env, basic_content, basic_extra);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	ck_assert_int_eq(m.arrival, 1700000000);
	ck_assert(str_is(m.sender, "Joe@Example.COM"));
	ck_assert(str_is(m.sasl_username, "alice"));
	/* log_client_address wins even when client_address comes first. */
	ck_assert(str_is(m.client_address, "198.51.100.7"));
	/* R in both segments; D and / are done. */
	ck_assert_uint_eq(m.rcpt_pending, 3);
	ck_assert_uint_eq(m.ndomains, 2);
	ck_assert_uint_eq(m.domains[0].count, 2);
	ck_assert_int_eq(memcmp(m.domain_base + m.domains[0].off, "@dest.example",
	    m.domains[0].len), 0);
	ck_assert_uint_eq(m.domains[1].count, 1);
	ck_assert_uint_eq(m.domains_dropped, 0);
	/* Size field 1: content records from after M up to X. */
	ck_assert_uint_eq(m.size, (2 + 13) + (2 + 0) + (2 + 9));
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

START_TEST(content_is_skipped_not_read)
{
	static const char *const bad_content[] = {"NSubject: x", "Qnot a type", NULL};
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	buf_init(&b);
	build(&b, basic_env, bad_content, basic_extra);
	/* The size record is right, so the content is never looked at... */
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	ck_assert_uint_eq(m.rcpt_pending, 3);
	/* ...while a walk through the content finds the bad record. */
	ck_assert_int_eq(walk(P, &b), QF_CORRUPT);
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

START_TEST(one_read_per_small_file_two_for_large)
{
	struct qf_parser *P = qf_parser_create();
	const char *big[202];
	struct memfile mf;
	struct qf_msg m;
	struct buf b;
	char	line[1002];
	int	i;

	buf_init(&b);
	build(&b, basic_env, basic_content, basic_extra);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, &mf), QF_OK);
	ck_assert_uint_eq(mf.reads, 1);

	memset(line, 'x', sizeof(line) - 1);
	line[0] = 'N';
	line[sizeof(line) - 1] = '\0';
	for (i = 0; i < 200; i++)
		big[i] = line;
	big[200] = NULL;
	build(&b, basic_env, big, basic_extra);
	ck_assert_uint_gt(b.len, 200000);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, &mf), QF_OK);
	ck_assert_uint_eq(m.rcpt_pending, 3);
	/* The head, then the extracted segment at the end: no body bytes. */
	ck_assert_uint_eq(mf.reads, 2);
	ck_assert_uint_lt(mf.bytes, 2 * QF_READ_CHUNK);
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

START_TEST(wrong_size_record_means_linear_scan)
{
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	buf_init(&b);
	build(&b, basic_env, basic_content, basic_extra);
	/*
	 * Field 1 ("%15ld" at offset 2) off by two: the record it points at
	 * is not 'X', so the parser walks the content instead.
	 */
	memcpy(b.data + 2, "             26", 15);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	ck_assert_uint_eq(m.rcpt_pending, 3);
	ck_assert_uint_eq(m.size, 26);	/* reported as Postfix reports it */

	/* Letters in the size record: the file size, and a linear walk. */
	memcpy(b.data + 2, "            abc", 15);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	ck_assert_uint_eq(m.size, b.len);
	ck_assert_uint_eq(m.rcpt_pending, 3);

	/* A data size pointing past the end of the file. */
	memcpy(b.data + 2, "        9999999", 15);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	ck_assert_uint_eq(m.rcpt_pending, 3);
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

/*
 * A milter-style file: the sender record was replaced by a pointer to
 * the heap after 'E', which points back (Postfix 2.3+).
 */
START_TEST(pointer_to_heap_and_back)
{
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	buf_init(&b);
	qfw_size(&b, 4, 135, 1);
	qfw_str(&b, 'T', "1700000000 0");
	ck_assert_uint_eq(b.len, 111);
	qfw_num15(&b, 'p', 143);
	ck_assert_uint_eq(b.len, 128);
	qfw_str(&b, 'R', "r@x");
	qfw_rec(&b, 'M', "", 0);
	ck_assert_uint_eq(b.len, 135);
	qfw_str(&b, 'N', "hi");
	qfw_rec(&b, 'X', "", 0);
	qfw_rec(&b, 'E', "", 0);
	ck_assert_uint_eq(b.len, 143);
	qfw_str(&b, 'S', "s@heap.example");
	qfw_num15(&b, 'p', 128);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	ck_assert(str_is(m.sender, "s@heap.example"));
	ck_assert_uint_eq(m.rcpt_pending, 1);
	ck_assert_int_eq(walk(P, &b), QF_OK);
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

START_TEST(pointer_loops_end)
{
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	buf_init(&b);
	qfw_size(&b, 4, 135, 1);
	qfw_str(&b, 'T', "1700000000 0");
	qfw_num15(&b, 'p', 111);		/* points at itself */
	qfw_str(&b, 'S', "s@x");
	qfw_rec(&b, 'M', "", 0);
	qfw_rec(&b, 'X', "", 0);
	qfw_rec(&b, 'E', "", 0);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);

	/* A pointer back to earlier envelope records: a cycle of four. */
	buf_reset(&b);
	qfw_size(&b, 4, 135, 1);
	qfw_str(&b, 'T', "1700000000 0");	/* 97..111 */
	qfw_str(&b, 'S', "s@x");		/* 111..116 */
	qfw_str(&b, 'R', "r@x");		/* 116..121 */
	qfw_str(&b, 'R', "q@y");		/* 121..126 */
	qfw_str(&b, 'O', "o@z");		/* 126..131 */
	ck_assert_uint_eq(b.len, 131);
	qfw_num15(&b, 'p', 116);
	qfw_rec(&b, 'M', "", 0);
	qfw_rec(&b, 'X', "", 0);
	qfw_rec(&b, 'E', "", 0);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	ck_assert_str_eq(qf_error(P), "record chain loops");

	/* A pointer past the end of the file. */
	buf_reset(&b);
	qfw_size(&b, 4, 135, 1);
	qfw_str(&b, 'T', "1700000000 0");
	qfw_num15(&b, 'p', 99999);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	ck_assert_str_eq(qf_error(P), "pointer past end of file");
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

/* chain - a file whose envelope is n forward pointers in a row */
static void
chain(struct buf *b, int n)
{
	int	i;

	buf_reset(b);
	qfw_size(b, 0, 0, 1);
	qfw_str(b, 'T', "1700000000 0");
	qfw_str(b, 'S', "s@x");
	for (i = 0; i < n; i++)
		qfw_num15(b, 'p', (long)(b->len + 17));
	qfw_str(b, 'R', "r@x");
	qfw_rec(b, 'M', "", 0);
	qfw_rec(b, 'X', "", 0);
	qfw_rec(b, 'E', "", 0);
}

START_TEST(jump_limit)
{
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	buf_init(&b);
	chain(&b, QF_JUMP_LIMIT);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	chain(&b, QF_JUMP_LIMIT + 1);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	ck_assert_str_eq(qf_error(P), "too many pointer jumps");
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

START_TEST(every_truncation_is_corrupt)
{
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b, t;
	size_t	n;

	buf_init(&b);
	buf_init(&t);
	build(&b, basic_env, basic_content, basic_extra);
	for (n = 0; n < b.len; n++) {
		buf_reset(&t);
		buf_add(&t, b.data, n);
		ck_assert_int_eq(parse(P, &t, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
		ck_assert_int_eq(parse(P, &t, QF_KIND_MAILDROP, &m, NULL),
		    QF_CORRUPT);
	}
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	buf_free(&b);
	buf_free(&t);
	qf_parser_free(P);
}
END_TEST

START_TEST(required_records)
{
	static const char *const no_sender[] = {"T1700000000 0", "Rr@x", NULL};
	static const char *const no_time[] = {"Ss@x", "Rr@x", NULL};
	static const char *const bad_time[] = {"Tsoon", "Ss@x", NULL};
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	buf_init(&b);
	build(&b, no_sender, NULL, NULL);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	ck_assert_str_eq(qf_error(P), "no sender record");
	build(&b, no_time, NULL, NULL);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	ck_assert_str_eq(qf_error(P), "no arrival time record");
	build(&b, bad_time, NULL, NULL);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	ck_assert_str_eq(qf_error(P), "bad arrival time");
	/* No end record: cut the final 'E'. */
	build(&b, basic_env, NULL, NULL);
	b.len -= 2;
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	ck_assert_str_eq(qf_error(P), "no end record");
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

START_TEST(first_sender_and_time_win)
{
	static const char *const env[] = {
		"T1700000000 0", "T1800000000 0", "Sfirst@x", "Ssecond@y",
		"Asasl_username=one", "Asasl_username=two", "Asasl_username=", NULL,
	};
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	buf_init(&b);
	build(&b, env, NULL, NULL);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	ck_assert_int_eq(m.arrival, 1700000000);
	ck_assert(str_is(m.sender, "first@x"));
	ck_assert(str_is(m.sasl_username, "one"));
	ck_assert_ptr_null(m.client_address.p);
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

START_TEST(attributes_only_from_the_envelope)
{
	static const char *const env[] = {
		"T1700000000 0", "Ss@x", "Asasl_username=", "Aclient_address=",
		"Ano_equals_sign", NULL,
	};
	static const char *const extra[] = {
		"Asasl_username=mallory", "Aclient_address=203.0.113.9", NULL,
	};
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	buf_init(&b);
	build(&b, env, NULL, extra);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	ck_assert_ptr_null(m.sasl_username.p);
	ck_assert_ptr_null(m.client_address.p);
	ck_assert(str_is(m.client_address, "127.0.0.1") == 0);
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

START_TEST(records_in_the_wrong_segment)
{
	static const char *const q_env[] = {"T1700000000 0", "Ss@x", "Qx", NULL};
	static const char *const nul_env[] = {"T1700000000 0", "Ss@x", NULL};
	static const char *const s_extra[] = {"Sother@x", NULL};
	static const char *const n_env[] = {"T1700000000 0", "Ss@x", "Nline", NULL};
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	buf_init(&b);
	build(&b, q_env, NULL, NULL);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	ck_assert_str_eq(qf_error(P), "unexpected record type");
	build(&b, nul_env, NULL, s_extra);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	build(&b, n_env, NULL, NULL);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	/* A type byte of 0. */
	build(&b, nul_env, NULL, NULL);
	b.data[SIZE_REC_LEN] = '\0';
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

START_TEST(lengths_past_the_end)
{
	static const unsigned char five[] = {0xff, 0xff, 0xff, 0xff, 0x01};
	static const unsigned char big[] = {0xff, 0xff, 0xff, 0x7f};
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	buf_init(&b);
	qfw_size(&b, 0, 0, 0);
	qfw_str(&b, 'T', "1700000000 0");
	qfw_hdr(&b, 'S', five, sizeof(five));
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	ck_assert_str_eq(qf_error(P), "record length too large");

	buf_reset(&b);
	qfw_size(&b, 0, 0, 0);
	qfw_hdr(&b, 'S', big, sizeof(big));
	buf_add(&b, "x@y", 3);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	ck_assert_str_eq(qf_error(P), "record runs past end of file");
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

START_TEST(maildrop_files)
{
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	/* postdrop's format: T first, no size record. */
	buf_init(&b);
	qfw_str(&b, 'T', "1700000100 12");
	qfw_str(&b, 'A', "rewrite_context=local");
	qfw_str(&b, 'F', "root");
	qfw_str(&b, 'S', "root@host.example");
	qfw_str(&b, 'R', "a@dest.example");
	qfw_rec(&b, 'M', "", 0);
	qfw_str(&b, 'N', "Subject: hi");
	qfw_rec(&b, 'X', "", 0);
	qfw_str(&b, 'R', "b@dest.example");
	qfw_rec(&b, 'E', "", 0);
	ck_assert_int_eq(parse(P, &b, QF_KIND_MAILDROP, &m, NULL), QF_OK);
	ck_assert_int_eq(m.arrival, 1700000100);
	ck_assert_uint_eq(m.size, b.len);	/* as postqueue: the file size */
	ck_assert_uint_eq(m.rcpt_pending, 2);

	/* No T (Postfix < 2.3): the file's mtime, as pickup uses. */
	buf_reset(&b);
	qfw_size(&b, -1, -1, -1);		/* 3.11's preliminary record */
	qfw_str(&b, 'S', "old@host.example");
	qfw_str(&b, 'R', "a@dest.example");
	qfw_rec(&b, 'M', "", 0);
	qfw_rec(&b, 'X', "", 0);
	qfw_rec(&b, 'E', "", 0);
	ck_assert_int_eq(parse(P, &b, QF_KIND_MAILDROP, &m, NULL), QF_OK);
	ck_assert_int_eq(m.arrival, 1700000000);
	ck_assert_uint_eq(m.size, b.len);
	/* The same file in a cleanup queue lacks its T: not valid. */
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_CORRUPT);
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

START_TEST(huge_values_are_bounded)
{
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b, big;

	buf_init(&b);
	buf_init(&big);
	buf_reserve(&big, 1 << 20);
	memset(big.data, 'a', 1 << 20);
	big.len = 1 << 20;
	memcpy(big.data + big.len - 12, "@big.example", 12);
	qfw_size(&b, 0, 0, 0);
	qfw_str(&b, 'T', "1700000000 0");
	qfw_rec(&b, 'S', big.data, big.len);
	memcpy(big.data, "sasl_username=", 14);
	qfw_rec(&b, 'A', big.data, big.len);
	qfw_rec(&b, 'R', big.data, big.len);
	qfw_rec(&b, 'M', "", 0);
	qfw_rec(&b, 'N', big.data, big.len);
	qfw_rec(&b, 'X', "", 0);
	qfw_rec(&b, 'E', "", 0);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	ck_assert_uint_eq(m.sender.len, QF_VALUE_MAX);
	ck_assert_uint_eq(m.sasl_username.len, QF_VALUE_MAX);
	ck_assert_uint_eq(m.rcpt_pending, 1);
	buf_free(&b);
	buf_free(&big);
	qf_parser_free(P);
}
END_TEST

START_TEST(many_recipients)
{
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;
	int	i, n = QF_DOMAINS_MAX + 10;

	buf_init(&b);
	qfw_size(&b, 0, 0, 0);
	qfw_str(&b, 'T', "1700000000 0");
	qfw_str(&b, 'S', "s@x");
	for (i = 0; i < 10000; i++)
		qfw_str(&b, 'R', "same@one.example");
	qfw_rec(&b, 'M', "", 0);
	qfw_rec(&b, 'X', "", 0);
	qfw_rec(&b, 'E', "", 0);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	ck_assert_uint_eq(m.rcpt_pending, 10000);
	ck_assert_uint_eq(m.ndomains, 1);
	ck_assert_uint_eq(m.domains[0].count, 10000);

	/* Alternating domains: one entry each, up to the bound. */
	buf_reset(&b);
	qfw_size(&b, 0, 0, 0);
	qfw_str(&b, 'T', "1700000000 0");
	qfw_str(&b, 'S', "s@x");
	for (i = 0; i < n; i++)
		qfw_str(&b, 'R', i % 2 ? "a@one.example" : "b@two.example");
	qfw_rec(&b, 'M', "", 0);
	qfw_rec(&b, 'X', "", 0);
	qfw_rec(&b, 'E', "", 0);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	ck_assert_uint_eq(m.rcpt_pending, (uint64_t)n);
	ck_assert_uint_eq(m.ndomains, QF_DOMAINS_MAX);
	/*
	 * Past the bound, recipients in the last entry's domain still join
	 * it; the others (every second one) are counted as dropped.
	 */
	ck_assert_uint_eq(m.domains_dropped, 5);
	{
		uint64_t sum = m.domains_dropped;
		size_t	k;

		for (k = 0; k < m.ndomains; k++)
			sum += m.domains[k].count;
		ck_assert_uint_eq(sum, (uint64_t)n);
	}
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

START_TEST(recipient_domain_parts)
{
	static const char *const env[] = {
		"T1700000000 0", "S", "R", "Rlocaluser", "Ruser@", "R\"a@b\"@C.example",
		NULL,
	};
	struct qf_parser *P = qf_parser_create();
	struct qf_msg m;
	struct buf b;

	buf_init(&b);
	build(&b, env, NULL, NULL);
	ck_assert_int_eq(parse(P, &b, QF_KIND_QUEUE, &m, NULL), QF_OK);
	ck_assert_uint_eq(m.sender.len, 0);	/* the null sender */
	ck_assert_uint_eq(m.ndomains, 4);
	ck_assert_uint_eq(m.domains[0].len, 0);	/* empty address */
	ck_assert_int_eq(memcmp(m.domain_base + m.domains[1].off, "localuser",
	    9), 0);
	ck_assert_uint_eq(m.domains[2].len, 1);	/* "@" */
	ck_assert_int_eq(memcmp(m.domain_base + m.domains[3].off, "@C.example",
	    10), 0);
	buf_free(&b);
	qf_parser_free(P);
}
END_TEST

Suite *
qfile_suite(void)
{
	Suite  *s = suite_create("qfile");
	TCase  *tc = tcase_create("parse");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, basic_message);
	tcase_add_test(tc, content_is_skipped_not_read);
	tcase_add_test(tc, one_read_per_small_file_two_for_large);
	tcase_add_test(tc, wrong_size_record_means_linear_scan);
	tcase_add_test(tc, pointer_to_heap_and_back);
	tcase_add_test(tc, pointer_loops_end);
	tcase_add_test(tc, jump_limit);
	tcase_add_test(tc, every_truncation_is_corrupt);
	tcase_add_test(tc, required_records);
	tcase_add_test(tc, first_sender_and_time_win);
	tcase_add_test(tc, attributes_only_from_the_envelope);
	tcase_add_test(tc, records_in_the_wrong_segment);
	tcase_add_test(tc, lengths_past_the_end);
	tcase_add_test(tc, maildrop_files);
	tcase_add_test(tc, huge_values_are_bounded);
	tcase_add_test(tc, many_recipients);
	tcase_add_test(tc, recipient_domain_parts);
	suite_add_tcase(s, tc);
	return s;
}
