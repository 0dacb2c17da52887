/*
 * agg.c - the aggregator (see agg.h).
 *
 * Each breakdown is an open-addressing table of 32-bit entry indices over
 * a dense entry array; key bytes live in a chunked arena that never moves
 * them. Nothing is allocated per message: only a key never seen before
 * takes memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "addr.h"
#include "agg.h"
#include "msg.h"
#include "siphash.h"
#include "tagval.h"
#include "xalloc.h"

#define ARENA_CHUNK	65536

struct entry {
	uint64_t hash;
	const char *key;
	uint32_t len;
	uint32_t stamp;			/* last message counted here */
	struct agg_stats st;
};

struct table {
	uint32_t *slots;		/* entry index + 1; 0 is empty */
	size_t	mask;			/* slots - 1, a power of 2 minus 1 */
	struct entry *ent;
	size_t	n, cap;
};

struct arena {
	char   *cur;
	size_t	left;
	char  **chunks;
	size_t	nchunks;
};

struct agg {
	int64_t	now;
	uint8_t	hkey[16];
	uint32_t serial;		/* messages added so far */
	struct agg_stats queue[Q_COUNT];
	struct agg_stats total;
	uint64_t age[Q_COUNT][AGE_BUCKETS];
	struct table dim[DIM_COUNT];
	struct arena keys;
};

/* stats_init - empty statistics */
static void
stats_init(struct agg_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->oldest = INT64_MAX;
}

/* random_key - hash key from the kernel, or a weaker mix if it refuses */
static void
random_key(uint8_t key[16])
{
	struct timespec ts;
	uint64_t mix;

	if (getrandom(key, 16, GRND_NONBLOCK) == 16)
		return;
	/* Only reached on kernels without getrandom(2): better than none. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	mix = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)getpid() << 32 ^ (uint64_t)ts.tv_sec;
	memcpy(key, &mix, 8);
	mix = ~mix * 0xc2b2ae3d27d4eb4fULL;
	memcpy(key + 8, &mix, 8);
}

/* agg_create - empty aggregate; ages are computed against now */
struct agg *
agg_create(int64_t now)
{
	struct agg *a = xcalloc(1, sizeof(*a));
	int	q;

	a->now = now;
	random_key(a->hkey);
	for (q = 0; q < Q_COUNT; q++)
		stats_init(&a->queue[q]);
	stats_init(&a->total);
	return a;
}

/* agg_free - release the aggregate and every key it holds */
void
agg_free(struct agg *a)
{
	size_t	i;
	int	d;

	if (a == NULL)
		return;
	for (d = 0; d < DIM_COUNT; d++) {
		free(a->dim[d].slots);
		free(a->dim[d].ent);
	}
	for (i = 0; i < a->keys.nchunks; i++)
		free(a->keys.chunks[i]);
	free(a->keys.chunks);
	free(a);
}

/* arena_copy - stable copy of a key (len <= TAGVAL_MAX) */
static const char *
arena_copy(struct arena *ar, const char *key, size_t len)
{
	char   *p;

	if (len > ar->left) {
		ar->chunks = xreallocarray(ar->chunks, ar->nchunks + 1,
		    sizeof(*ar->chunks));
		ar->cur = ar->chunks[ar->nchunks++] = xmalloc(ARENA_CHUNK);
		ar->left = ARENA_CHUNK;
	}
	p = ar->cur;
	memcpy(p, key, len);
	ar->cur += len;
	ar->left -= len;
	return p;
}

/* table_resize - rehash into twice as many slots (64 to start with) */
static void
table_resize(struct table *t)
{
	size_t	nslots = t->slots ? (t->mask + 1) * 2 : 64, i, j;

	if (nslots > (size_t)UINT32_MAX)
		msg_fatal(MSG_EXIT_FAIL, "too many distinct keys");
	free(t->slots);
	t->slots = xcalloc(nslots, sizeof(*t->slots));
	t->mask = nslots - 1;
	for (i = 0; i < t->n; i++) {
		for (j = t->ent[i].hash & t->mask; t->slots[j];
		    j = (j + 1) & t->mask)
			;
		t->slots[j] = (uint32_t)(i + 1);
	}
}

/* table_get - the entry for key, created empty when it is new */
static struct entry *
table_get(struct agg *a, struct table *t, const char *key, size_t len)
{
	uint64_t h = siphash24(a->hkey, key, len);
	struct entry *e;
	size_t	i;

	if (t->slots == NULL)
		table_resize(t);
	for (i = h & t->mask; t->slots[i]; i = (i + 1) & t->mask) {
		e = &t->ent[t->slots[i] - 1];
		if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0)
			return e;
	}
	/* New key: keep the load under 3/4 so probes stay short. */
	if ((t->n + 1) * 4 > (t->mask + 1) * 3) {
		table_resize(t);
		for (i = h & t->mask; t->slots[i]; i = (i + 1) & t->mask)
			;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->ent = xreallocarray(t->ent, t->cap, sizeof(*t->ent));
	}
	e = &t->ent[t->n];
	e->hash = h;
	e->key = arena_copy(&a->keys, key, len);
	e->len = (uint32_t)len;
	e->stamp = 0;
	stats_init(&e->st);
	t->slots[i] = (uint32_t)(++t->n);
	return e;
}

/* count_message - add one message to statistics */
static void
count_message(struct agg_stats *s, enum pfq_queue q, const struct qf_msg *m)
{
	s->length++;
	s->size += m->size;
	if (m->arrival < s->oldest)
		s->oldest = m->arrival;
	if (q < Q_MAIL_COUNT)
		s->per_queue[q]++;
}

/* touch - count a message under key; once per message, recipients add */
static void
touch(struct agg *a, enum agg_dim d, const char *key, size_t len,
    enum pfq_queue q, const struct qf_msg *m, uint64_t rcpts)
{
	struct entry *e = table_get(a, &a->dim[d], key, len);

	if (e->stamp != a->serial) {
		e->stamp = a->serial;
		count_message(&e->st, q, m);
	}
	e->st.recipients += rcpts;
}

/* touch_value - clean an identity value and count it, if not empty */
static void
touch_value(struct agg *a, enum agg_dim d, struct qf_str v,
    enum pfq_queue q, const struct qf_msg *m)
{
	char	key[TAGVAL_MAX + 1];
	size_t	n;

	if (v.p == NULL)
		return;
	if ((n = tagval_clean(key, v.p, v.len)) > 0)
		touch(a, d, key, n, q, m, m->rcpt_pending);
}

/* touch_domain - count a message under the domain of an address */
static void
touch_domain(struct agg *a, enum agg_dim d, const char *addr, size_t len,
    enum pfq_queue q, const struct qf_msg *m, uint64_t rcpts)
{
	char	raw[QF_VALUE_MAX], key[TAGVAL_MAX + 1];
	size_t	n;

	n = addr_domain_key(raw, sizeof(raw), addr, len);
	n = tagval_clean(key, raw, n);
	touch(a, d, key, n, q, m, rcpts);
}

/* age_bucket - qshape's geometric bucket: < 5 min, < 10, ... >= 1280 */
static int
age_bucket(int64_t age)
{
	int64_t	limit = AGE_BUCKET_FIRST_S;
	int	b = 0;

	while (b < AGE_BUCKETS - 1 && age >= limit) {
		b++;
		limit *= 2;
	}
	return b;
}

/* agg_age_of - seconds since the oldest arrival; 0 for none or future */
int64_t
agg_age_of(const struct agg *a, const struct agg_stats *s)
{
	if (s->length == 0 || s->oldest == INT64_MAX || s->oldest >= a->now)
		return 0;
	return a->now - s->oldest;
}

/* agg_add - count one parsed message found in queue q */
void
agg_add(struct agg *a, enum pfq_queue q, const struct qf_msg *m)
{
	char	raw[QF_VALUE_MAX], key[TAGVAL_MAX + 1];
	int64_t	age = m->arrival < a->now ? a->now - m->arrival : 0;
	size_t	n, i;

	a->serial++;
	count_message(&a->queue[q], q, m);
	a->queue[q].recipients += m->rcpt_pending;
	a->age[q][age_bucket(age)]++;
	if (q >= Q_MAIL_COUNT)
		return;
	count_message(&a->total, q, m);
	a->total.recipients += m->rcpt_pending;

	n = addr_sender_key(raw, sizeof(raw), m->sender.p, m->sender.len);
	n = tagval_clean(key, raw, n);
	touch(a, DIM_SENDER, key, n, q, m, m->rcpt_pending);
	touch_domain(a, DIM_SENDER_DOMAIN, m->sender.p, m->sender.len, q, m,
	    m->rcpt_pending);
	touch_value(a, DIM_SASL, m->sasl_username, q, m);
	touch_value(a, DIM_CLIENT, m->client_address, q, m);
	for (i = 0; i < m->ndomains; i++)
		touch_domain(a, DIM_RCPT_DOMAIN,
		    m->domain_base + m->domains[i].off, m->domains[i].len, q, m,
		    m->domains[i].count);
	if (m->domains_dropped > 0)
		touch(a, DIM_RCPT_DOMAIN, KEY_OTHER, strlen(KEY_OTHER), q, m,
		    m->domains_dropped);
}

/* agg_add_unparsed - a corrupt-queue file that did not parse: count it */
void
agg_add_unparsed(struct agg *a, enum pfq_queue q, uint64_t size)
{
	a->queue[q].length++;
	a->queue[q].size += size;
}

/* agg_now - the time ages are computed against */
int64_t
agg_now(const struct agg *a)
{
	return a->now;
}

/* agg_queue - statistics of one queue */
const struct agg_stats *
agg_queue(const struct agg *a, enum pfq_queue q)
{
	return &a->queue[q];
}

/* agg_total - statistics of all mail queues together */
const struct agg_stats *
agg_total(const struct agg *a)
{
	return &a->total;
}

/* agg_age_buckets - AGE_BUCKETS message counts of one queue */
const uint64_t *
agg_age_buckets(const struct agg *a, enum pfq_queue q)
{
	return a->age[q];
}

/* agg_keys - number of distinct keys in a breakdown */
size_t
agg_keys(const struct agg *a, enum agg_dim d)
{
	return a->dim[d].n;
}

/* merge - fold statistics into a sum */
static void
merge(struct agg_stats *dst, const struct agg_stats *src)
{
	int	q;

	dst->length += src->length;
	dst->size += src->size;
	dst->recipients += src->recipients;
	if (src->oldest < dst->oldest)
		dst->oldest = src->oldest;
	for (q = 0; q < Q_MAIL_COUNT; q++)
		dst->per_queue[q] += src->per_queue[q];
}

/* row_cmp - most messages first, then key bytes, for a stable report */
static int
row_cmp(const void *x, const void *y)
{
	const struct agg_row *a = x, *b = y;
	size_t	n = a->len < b->len ? a->len : b->len;
	int	c;

	if (a->st->length != b->st->length)
		return a->st->length > b->st->length ? -1 : 1;
	if ((c = memcmp(a->key, b->key, n)) != 0)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* agg_top - the largest rows of a breakdown and the sum of the rest */
size_t
agg_top(const struct agg *a, enum agg_dim d, size_t top,
    struct agg_row **rowsp, struct agg_stats *other, int *have_other)
{
	const struct table *t = &a->dim[d];
	struct agg_row *rows = xcalloc(t->n, sizeof(*rows));
	size_t	n = 0, keep, i;
	const size_t other_len = strlen(KEY_OTHER);

	stats_init(other);
	*have_other = 0;
	for (i = 0; i < t->n; i++) {
		const struct entry *e = &t->ent[i];

		if (e->len == other_len && memcmp(e->key, KEY_OTHER, other_len) == 0) {
			merge(other, &e->st);
			*have_other = 1;
			continue;
		}
		rows[n].key = e->key;
		rows[n].len = e->len;
		rows[n].st = &e->st;
		n++;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	keep = top == 0 || top > n ? n : top;
	for (i = keep; i < n; i++) {
		merge(other, rows[i].st);
		*have_other = 1;
	}
	*rowsp = rows;
	return keep;
}
