/*
 * closing.c - the rows of the last report, per breakdown (closing.h).
 *
 * Two sorted arrays of copied keys per breakdown, the last report's and
 * this one's: rows are few (--top of them per breakdown, or every key of
 * the queue with --top 0), and a sort per scan costs less than a hash
 * table kept warm. Keys are the already cleaned tag values; nothing here
 * trusts them beyond their length.
 */
#include <stdlib.h>
#include <string.h>

#include "closing.h"
#include "msg.h"
#include "xalloc.h"

struct key {
	char   *s;
	size_t	len;
};

struct keys {
	struct key *v;
	size_t	n, cap;
};

struct closing {
	struct keys last[CLOSING_SETS];	/* sorted */
	struct keys now[CLOSING_SETS];	/* as reported, sorted at the end */
};

/* closing_create - nothing reported yet */
struct closing *
closing_create(void)
{
	return xcalloc(1, sizeof(struct closing));
}

/* keys_clear - forget every key of a set, keep its array */
static void
keys_clear(struct keys *k)
{
	size_t	i;

	for (i = 0; i < k->n; i++)
		free(k->v[i].s);
	k->n = 0;
}

/* closing_keep - a row of this report */
void
closing_keep(struct closing *c, unsigned d, const char *key, size_t len)
{
	struct keys *k;

	if (d >= CLOSING_SETS)
		msg_panic("closing_keep: no set %u", d);
	k = &c->now[d];
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 32;
		k->v = xreallocarray(k->v, k->cap, sizeof(*k->v));
	}
	k->v[k->n].s = xmalloc(len + 1);
	memcpy(k->v[k->n].s, key, len);
	k->v[k->n].s[len] = '\0';
	k->v[k->n].len = len;
	k->n++;
}

/* key_cmp - bytes, then length: keys may hold any byte but NUL */
static int
key_cmp(const void *pa, const void *pb)
{
	const struct key *a = pa, *b = pb;
	size_t	n = a->len < b->len ? a->len : b->len;
	int	r = memcmp(a->s, b->s, n);

	return r ? r : (a->len > b->len) - (a->len < b->len);
}

/* closing_gone - fn for each row of the last report not in this one */
void
closing_gone(struct closing *c, unsigned d, closing_fn fn, void *ctx)
{
	struct keys *last, *now, tmp;
	size_t	i;

	if (d >= CLOSING_SETS)
		msg_panic("closing_gone: no set %u", d);
	last = &c->last[d];
	now = &c->now[d];
	if (now->n > 1)
		qsort(now->v, now->n, sizeof(*now->v), key_cmp);
	for (i = 0; i < last->n; i++)
		if (now->n == 0 || bsearch(&last->v[i], now->v, now->n,
		    sizeof(*now->v), key_cmp) == NULL)
			fn(ctx, last->v[i].s, last->v[i].len);
	keys_clear(last);
	tmp = *last;
	*last = *now;
	*now = tmp;
}

/* closing_free - every key and array */
void
closing_free(struct closing *c)
{
	int	d;

	if (c == NULL)
		return;
	for (d = 0; d < CLOSING_SETS; d++) {
		keys_clear(&c->last[d]);
		keys_clear(&c->now[d]);
		free(c->last[d].v);
		free(c->now[d].v);
	}
	free(c);
}
