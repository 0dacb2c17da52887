/*
 * test_prom.c - Prometheus's text (prom.c): escaping, read back with the
 * strict reader; the families, grouped, each with HELP and TYPE; the
 * --top rule; the sources without identities; a failed scan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "prom.h"
#include "promparse.h"
#include "unit.h"

#define NOW	1800000000

/* one - write m{t="<value>"} 7 and return the text */
static const char *
one(struct buf *b, const char *value, size_t len)
{
	struct prom_sample s;

	buf_reset(b);
	prom_begin(&s, b, "m");
	prom_label(&s, "t", value, len);
	prom_end(&s, 7);
	return b->data;
}

START_TEST(escaping)
{
	struct buf b;

	buf_init(&b);
	ck_assert_str_eq(one(&b, "a b,c=d", 7), "m{t=\"a b,c=d\"} 7\n");
	ck_assert_str_eq(one(&b, "x\\y", 3), "m{t=\"x\\\\y\"} 7\n");
	ck_assert_str_eq(one(&b, "say \"hi\"", 8), "m{t=\"say \\\"hi\\\"\"} 7\n");
	/* Cleaning first: no newline, control byte or bad UTF-8 is left. */
	ck_assert_str_eq(one(&b, "two\nlines", 9), "m{t=\"two?lines\"} 7\n");
	ck_assert_str_eq(one(&b, "nul\0x", 5), "m{t=\"nul?x\"} 7\n");
	ck_assert_str_eq(one(&b, "bad\xff\xfe", 5), "m{t=\"bad??\"} 7\n");
	ck_assert_str_eq(one(&b, "end\\", 4), "m{t=\"end?\"} 7\n");
	ck_assert_str_eq(one(&b, "", 0), "m{t=\"?\"} 7\n");
	ck_assert_str_eq(one(&b, "j\xc3\xbcrgen", 7), "m{t=\"j\xc3\xbcrgen\"} 7\n");
	buf_free(&b);
}
END_TEST

/* read_back - the label value the strict reader gives back */
static void
read_back(const char *value, size_t len, const char *want)
{
	struct promp_sample p;
	struct buf b;
	const char *err = NULL;

	buf_init(&b);
	one(&b, value, len);
	promp_init(&p);
	ck_assert_msg(promp_parse(&p, b.data, b.len - 1, &err) == 0, "%s: %s",
	    b.data, err);
	ck_assert_uint_eq(p.nlabels, 1);
	ck_assert_uint_eq(p.val[0].len, strlen(want));
	ck_assert(memcmp(p.val[0].data, want, strlen(want)) == 0);
	promp_free(&p);
	buf_free(&b);
}

#define RB(lit, want)	read_back(lit, sizeof(lit) - 1, want)

START_TEST(hostile_values_read_back)
{
	RB("\"odd \\\"user\\\" x\\\\y\"@weird.test",
	    "\"odd \\\"user\\\" x\\\\y\"@weird.test");
	RB("a\\\"} 1\nfake_metric 2", "a\\\"} 1?fake_metric 2");
	RB("\\n", "\\n");
	RB("\"", "\"");
	RB("over\xc0\xaflong", "over??long");
	RB("#comment", "#comment");
}
END_TEST

/* A message with one recipient domain, as the parser gives it. */
struct fake {
	struct qf_msg m;
	struct qf_domain dom;
};

static const struct qf_msg *
fake(struct fake *f, const char *sender, const char *sasl, const char *client,
    int64_t age)
{
	memset(f, 0, sizeof(*f));
	f->m.arrival = NOW - age;
	f->m.size = 100;
	f->m.rcpt_pending = 1;
	f->m.sender.p = sender;
	f->m.sender.len = strlen(sender);
	if (sasl) {
		f->m.sasl_username.p = sasl;
		f->m.sasl_username.len = strlen(sasl);
	}
	if (client) {
		f->m.client_address.p = client;
		f->m.client_address.len = strlen(client);
	}
	f->dom.off = 0;
	f->dom.len = 2;
	f->dom.count = 1;
	f->m.domain_base = "@d";
	f->m.domains = &f->dom;
	f->m.ndomains = 1;
	return &f->m;
}

/*
 * check_text - every line is a comment or a sample the strict reader
 * takes; each family has one HELP and one TYPE gauge, before its samples,
 * which come together; the text ends in "# EOF". Returns the samples of
 * name, in order, as "label=value,...=N" lines into out.
 */
static void
check_text(const struct buf *text, const char *name, struct buf *out)
{
	char	seen[256][96], cur[96] = "";
	size_t	nseen = 0, i;
	const char *line = text->data, *end, *err;
	struct promp_sample p;

	ck_assert(text->len >= 6);
	ck_assert(strcmp(text->data + text->len - 6, "# EOF\n") == 0);
	for (; line < text->data + text->len; line = end + 1) {
		end = memchr(line, '\n', (size_t)(text->data + text->len - line));
		ck_assert(end != NULL);
		if (strncmp(line, "# HELP ", 7) == 0) {
			size_t	n = strcspn(line + 7, " ");

			ck_assert(n < sizeof(cur));
			memcpy(cur, line + 7, n);
			cur[n] = '\0';
			for (i = 0; i < nseen; i++)
				ck_assert_msg(strcmp(seen[i], cur) != 0, "%s twice", cur);
			ck_assert(nseen < 256);
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", cur);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert(strncmp(line + 7, cur, strlen(cur)) == 0);
			ck_assert(strncmp(line + 7 + strlen(cur), " gauge\n", 7) == 0);
			continue;
		}
		if (line[0] == '#') {
			ck_assert(strncmp(line, "# EOF\n", 6) == 0);
			continue;
		}
		promp_init(&p);
		ck_assert_msg(promp_parse(&p, line, (size_t)(end - line), &err) == 0,
		    "%.*s: %s", (int)(end - line), line, err);
		ck_assert_msg(strlen(cur) == p.name.len
		    && memcmp(cur, p.name.data, p.name.len) == 0,
		    "%.*s outside its family %s", (int)(end - line), line, cur);
		if (out && strcmp(cur, name) == 0) {
			for (i = 0; i < p.nlabels; i++) {
				buf_add(out, p.key[i].data, p.key[i].len);
				buf_addc(out, '=');
				buf_add(out, p.val[i].data, p.val[i].len);
				buf_addc(out, ',');
			}
			buf_add(out, p.value.data, p.value.len);
			buf_addc(out, '\n');
		}
		promp_free(&p);
	}
}

START_TEST(families_and_top)
{
	struct agg *a = agg_create(NOW);
	struct report_opts o;
	struct scan_stats st;
	struct fake f;
	struct buf text, got;
	int	i;

	for (i = 0; i < 3; i++)
		agg_add(a, Q_DEFERRED, fake(&f, "big@x", "victim", "192.0.2.1", 60));
	agg_add(a, Q_HOLD, fake(&f, "big@x", "victim", "192.0.2.1", 600));
	agg_add(a, Q_DEFERRED, fake(&f, "small@x", NULL, NULL, 10));
	agg_add(a, Q_ACTIVE, fake(&f, "evil\"}\n@x", "evil\\", NULL, 10));
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	st.files = st.parsed = 6;
	st.duration_us = 1234567;
	o.top = 1;
	buf_init(&text);
	buf_init(&got);
	prom_write(&text, a, &o, &st, NOW);
	check_text(&text, "postfix_queue_sender_messages", &got);
	ck_assert_str_eq(got.data,
	    "sender=big@x,queue=maildrop,0\n"
	    "sender=big@x,queue=incoming,0\n"
	    "sender=big@x,queue=active,0\n"
	    "sender=big@x,queue=deferred,3\n"
	    "sender=big@x,queue=hold,1\n"
	    "sender=(other),queue=maildrop,0\n"
	    "sender=(other),queue=incoming,0\n"
	    "sender=(other),queue=active,1\n"
	    "sender=(other),queue=deferred,1\n"
	    "sender=(other),queue=hold,0\n");
	buf_reset(&got);
	check_text(&text, "postfix_queue_sasl_oldest_message_age_seconds", &got);
	ck_assert_str_eq(got.data, "sasl_username=victim,600\n"
	    "sasl_username=(other),10\n");
	buf_reset(&got);
	check_text(&text, "postfix_queue_messages", &got);
	ck_assert_str_eq(got.data, "queue=maildrop,0\nqueue=incoming,0\n"
	    "queue=active,1\nqueue=deferred,4\nqueue=hold,1\nqueue=corrupt,0\n");
	buf_reset(&got);
	check_text(&text, "postfix_queue_scan_duration_seconds", &got);
	ck_assert_str_eq(got.data, "source=spool,1.234567\n");

	/* --top 0: every row, the hostile ones read back cleaned. */
	o.top = 0;
	buf_reset(&text);
	buf_reset(&got);
	prom_write(&text, a, &o, &st, NOW);
	check_text(&text, "postfix_queue_sasl_bytes", &got);
	ck_assert_str_eq(got.data, "sasl_username=victim,400\n"
	    "sasl_username=evil?,100\n");
	buf_reset(&got);
	check_text(&text, "postfix_queue_sender_bytes", &got);
	ck_assert_str_eq(got.data, "sender=big@x,400\nsender=evil\"}?@x,100\n"
	    "sender=small@x,100\n");
	buf_free(&text);
	buf_free(&got);
	agg_free(a);
}
END_TEST

START_TEST(no_identity_and_failed_scan)
{
	struct agg *a = agg_create(NOW);
	struct report_opts o;
	struct scan_stats st;
	struct fake f;
	struct buf text;
	char	key[] = "env", val[] = "x\"y";
	struct tag tag = {key, val};

	agg_add(a, Q_DEFERRED, fake(&f, "s@x", "u", "192.0.2.1", 1));
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	o.no_identity = 1;
	o.source = "showq";
	o.tags = &tag;
	o.ntags = 1;
	buf_init(&text);
	prom_write(&text, a, &o, &st, NOW);
	check_text(&text, "", NULL);
	ck_assert(strstr(text.data, "postfix_queue_sasl") == NULL);
	ck_assert(strstr(text.data, "postfix_queue_client") == NULL);
	ck_assert(strstr(text.data, "postfix_queue_sender_messages{sender=\"s@x\","
	    "queue=\"deferred\",env=\"x\\\"y\"} 1\n") != NULL);
	ck_assert(strstr(text.data, "postfix_queue_scan_files{source=\"showq\","
	    "env=\"x\\\"y\"} 0\n") != NULL);

	/* A scan that could not read the queue: its health alone. */
	buf_reset(&text);
	st.errors = 1;
	prom_write(&text, NULL, &o, &st, NOW);
	check_text(&text, "", NULL);
	ck_assert(strstr(text.data, "postfix_queue_messages") == NULL);
	ck_assert(strstr(text.data, "postfix_queue_scan_errors{source=\"showq\","
	    "env=\"x\\\"y\"} 1\n") != NULL);
	ck_assert(strstr(text.data, "postfix_queue_scan_timestamp_seconds{source="
	    "\"showq\",env=\"x\\\"y\"} 1800000000\n") != NULL);
	buf_free(&text);
	agg_free(a);
}
END_TEST

START_TEST(schema)
{
	struct buf out;

	buf_init(&out);
	prom_schema(&out);
	ck_assert(strstr(out.data, "metric postfix_queue_messages queue Messages")
	    == out.data);
	ck_assert(strstr(out.data, "\nmetric postfix_queue_client_messages "
	    "client_address,queue ") != NULL);
	ck_assert(strstr(out.data, "\nmetric postfix_queue_age_messages "
	    "queue,bucket ") != NULL);
	ck_assert(strstr(out.data, "\nmetric postfix_queue_scan_timestamp_seconds "
	    "source ") != NULL);
	buf_free(&out);
}
END_TEST

Suite *
prom_suite(void)
{
	Suite  *s = suite_create("prom");
	TCase  *tc = tcase_create("prom");

	tcase_add_test(tc, escaping);
	tcase_add_test(tc, hostile_values_read_back);
	tcase_add_test(tc, families_and_top);
	tcase_add_test(tc, no_identity_and_failed_scan);
	tcase_add_test(tc, schema);
	suite_add_tcase(s, tc);
	return s;
}
