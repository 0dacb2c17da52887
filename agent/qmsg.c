/*
 * qmsg.c - the message every reader fills (see qmsg.h): the queue-ID rule
 * and the runs of recipient domains.
 *
 * Trusts nothing it is given: addresses are mail, and the runs are
 * bounded however many recipients a message has.
 */
#include <stdlib.h>
#include <string.h>

#include "qmsg.h"
#include "xalloc.h"

/* qf_queue_id_ok - see qmsg.h */
int
qf_queue_id_ok(const char *id, size_t len)
{
	size_t	i;

	if (len == 0 || len > QF_QUEUE_ID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char	c = id[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
		    || (c >= 'a' && c <= 'z') || c == '_'))
			return 0;
	}
	return 1;
}

/* qf_domains_init - empty, allocated up front: results never point at NULL */
void
qf_domains_init(struct qf_domains *D)
{
	memset(D, 0, sizeof(*D));
	D->cap = 1024;
	D->text = xmalloc(D->cap);
	D->runs_cap = 16;
	D->runs = xreallocarray(NULL, D->runs_cap, sizeof(*D->runs));
}

/* qf_domains_reset - no runs, for the next message; the memory stays */
void
qf_domains_reset(struct qf_domains *D)
{
	D->len = 0;
	D->n = 0;
	D->dropped = 0;
}

/* qf_domains_free - release what qf_domains_init() and growth took */
void
qf_domains_free(struct qf_domains *D)
{
	free(D->text);
	free(D->runs);
}

/*
 * qf_domains_add - remember the domain part of a pending recipient: the
 * text from its last '@' on, or the whole address when it has none, so
 * that the aggregator can tell "user@" from "user" and from the null
 * address. Consecutive recipients in the same domain share one run,
 * which keeps a 10,000-recipient message to one domain at one run.
 */
void
qf_domains_add(struct qf_domains *D, const char *p, size_t len)
{
	size_t	i = len, dlen;
	const char *d;
	struct qf_domain *last;

	while (i > 0 && p[i - 1] != '@')
		i--;
	if (i > 0)
		i--;			/* keep the '@' */
	d = p + i;
	dlen = len - i;
	if (D->n > 0) {
		last = &D->runs[D->n - 1];
		if (last->len == dlen && memcmp(D->text + last->off, d, dlen) == 0) {
			last->count++;
			return;
		}
	}
	if (D->n >= QF_DOMAINS_MAX || dlen > QF_DOMAIN_BYTES_MAX - D->len) {
		D->dropped++;
		return;
	}
	if (D->n == D->runs_cap) {
		D->runs_cap *= 2;
		D->runs = xreallocarray(D->runs, D->runs_cap, sizeof(*D->runs));
	}
	if (dlen > D->cap - D->len) {
		size_t	cap = D->cap;

		while (cap - D->len < dlen)
			cap *= 2;
		D->text = xreallocarray(D->text, cap, 1);
		D->cap = cap;
	}
	memcpy(D->text + D->len, d, dlen);
	D->runs[D->n].off = D->len;
	D->runs[D->n].len = dlen;
	D->runs[D->n].count = 1;
	D->n++;
	D->len += dlen;
}
