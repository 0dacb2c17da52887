/*
 * agg.c - the aggregator (see agg.h).
 *
 * Each breakdown is an open-addressing table of 32-bit entry indices over
 * a dense array of 64-byte entries; key bytes live in one growing buffer
 * and entries refer to them by offset. Nothing is allocated per message:
 * only a key never seen before takes memory, about 64 bytes plus its
 * text plus 5 to 11 bytes of slots (bench/run.py measures it).
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

struct entry {
	struct agg_stats st;
	uint32_t hash;			/* low bits of the key's SipHash */
	uint32_t off;			/* key bytes in agg.keys */
	uint32_t len;
	uint32_t stamp;			/* last message counted here */
};

_Static_assert(sizeof(struct entry) == 64, "an entry is one cache line");

struct table {
	uint32_t *slots;		/* entry index + 1; 0 is empty */
	size_t	mask;			/* slots - 1, a power of 2 minus 1 */
	struct entry *ent;
	size_t	n, cap;
};

struct agg {
	int64_t	now;
	uint8_t	hkey[16];
	uint32_t serial;		/* messages added since agg_rescan() */
	struct agg_stats queue[Q_COUNT];
	struct agg_stats total;
	uint64_t age[Q_COUNT][AGE_BUCKETS];
	struct table dim[DIM_COUNT];
	struct buf keys;		/* every key's bytes, one after another */
	struct agg_prep prep;		/* agg_add()'s */
};

/* stats_init - empty statistics */
static void
stats_init(struct agg_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->oldest = INT64_MAX;
}

/* counts_init - every count of the aggregate (not its keys) to zero */
static void
counts_init(struct agg *a, int64_t now)
{
	int	q;

	a->now = now;
	a->serial = 0;
	for (q = 0; q < Q_COUNT; q++)
		stats_init(&a->queue[q]);
	stats_init(&a->total);
	memset(a->age, 0, sizeof(a->age));
}

/* agg_create - empty aggregate; ages are computed against now */
struct agg *
agg_create(int64_t now)
{
	struct agg *a = xcalloc(1, sizeof(*a));

	siphash_key(a->hkey);
	counts_init(a, now);
	buf_init(&a->keys);
	agg_prep_init(&a->prep);
	return a;
}

/* agg_free - release the aggregate and every key it holds */
void
agg_free(struct agg *a)
{
	int	d;

	if (a == NULL)
		return;
	for (d = 0; d < DIM_COUNT; d++) {
		free(a->dim[d].slots);
		free(a->dim[d].ent);
	}
	buf_free(&a->keys);
	agg_prep_free(&a->prep);
	free(a);
}

/* agg_rescan - zero every count for the next scan, keep the keys */
void
agg_rescan(struct agg *a, int64_t now)
{
	size_t	i;
	int	d;

	counts_init(a, now);
	for (d = 0; d < DIM_COUNT; d++)
		for (i = 0; i < a->dim[d].n; i++) {
			stats_init(&a->dim[d].ent[i].st);
			a->dim[d].ent[i].stamp = 0;
		}
}

/* agg_dead_keys - keys that no message of this scan used */
size_t
agg_dead_keys(const struct agg *a)
{
	size_t	i, dead = 0;
	int	d;

	for (d = 0; d < DIM_COUNT; d++)
		for (i = 0; i < a->dim[d].n; i++)
			dead += a->dim[d].ent[i].st.length == 0;
	return dead;
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

/* table_get - the number of key's entry, created empty when it is new */
static uint32_t
table_get(struct agg *a, struct table *t, const char *key, uint32_t len,
    uint64_t hash)
{
	uint32_t h = (uint32_t)hash;
	struct entry *e;
	size_t	i;

	if (t->slots == NULL)
		table_resize(t);
	for (i = h & t->mask; t->slots[i]; i = (i + 1) & t->mask) {
		e = &t->ent[t->slots[i] - 1];
		if (e->hash == h && e->len == len
		    && memcmp(a->keys.data + e->off, key, len) == 0)
			return t->slots[i];
	}
	/* New key: keep the load under 3/4 so probes stay short. */
	if ((t->n + 1) * 4 > (t->mask + 1) * 3) {
		table_resize(t);
		for (i = h & t->mask; t->slots[i]; i = (i + 1) & t->mask)
			;
	}
	if (a->keys.len + len > UINT32_MAX)
		msg_fatal(MSG_EXIT_FAIL, "too many distinct keys");
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->ent = xreallocarray(t->ent, t->cap, sizeof(*t->ent));
	}
	e = &t->ent[t->n];
	stats_init(&e->st);
	e->hash = h;
	e->off = (uint32_t)a->keys.len;
	e->len = len;
	e->stamp = 0;
	buf_add(&a->keys, key, len);
	t->slots[i] = (uint32_t)(++t->n);
	return t->slots[i];
}

/* count_message - add one message to statistics */
static void
count_message(struct agg_stats *s, enum pfq_queue q, uint64_t size,
    int64_t arrival)
{
	s->length++;
	s->size += size;
	if (arrival < s->oldest)
		s->oldest = arrival;
	if (q < Q_MAIL_COUNT)
		s->per_queue[q]++;
}

/* touch - count the message under entry id; once per message */
static void
touch(struct agg *a, enum agg_dim d, uint32_t id, enum pfq_queue q,
    uint64_t size, int64_t arrival, uint64_t rcpts)
{
	struct entry *e = &a->dim[d].ent[id - 1];

	if (e->stamp != a->serial) {
		e->stamp = a->serial;
		count_message(&e->st, q, size, arrival);
	}
	e->st.recipients += rcpts;
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

/* agg_prep_init - an empty prep; agg_prep_free() releases it */
void
agg_prep_init(struct agg_prep *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->text);
}

/* agg_prep_free - release a prep's memory */
void
agg_prep_free(struct agg_prep *p)
{
	free(p->dom);
	buf_free(&p->text);
	memset(p, 0, sizeof(*p));
}

/* prep_key - store one cleaned key and its hash */
static void
prep_key(const struct agg *a, struct agg_prep *p, struct agg_pkey *k,
    const char *raw, size_t rawlen, uint64_t rcpts)
{
	char	key[TAGVAL_MAX + 1];
	size_t	n = tagval_clean(key, raw, rawlen);

	k->off = (uint32_t)p->text.len;
	k->len = (uint32_t)n;
	k->rcpts = rcpts;
	k->hash = siphash13(a->hkey, key, n);
	buf_add(&p->text, key, n);
}

/* prep_domain - one more recipient domain key */
static struct agg_pkey *
prep_domain(struct agg_prep *p)
{
	if (p->ndom == p->domcap) {
		p->domcap = p->domcap ? p->domcap * 2 : 16;
		p->dom = xreallocarray(p->dom, p->domcap, sizeof(*p->dom));
	}
	return &p->dom[p->ndom++];
}

/* agg_prepare - the keys of one message, cleaned and hashed */
void
agg_prepare(const struct agg *a, struct agg_prep *p, const struct qf_msg *m)
{
	char	raw[QF_VALUE_MAX];
	size_t	n, i;

	p->size = m->size;
	p->arrival = m->arrival;
	p->rcpt_pending = m->rcpt_pending;
	p->ndom = 0;
	buf_reset(&p->text);
	n = addr_sender_key(raw, sizeof(raw), m->sender.p, m->sender.len);
	prep_key(a, p, &p->id[DIM_SENDER], raw, n, m->rcpt_pending);
	p->has[DIM_SENDER] = 1;
	n = addr_domain_key(raw, sizeof(raw), m->sender.p, m->sender.len);
	prep_key(a, p, &p->id[DIM_SENDER_DOMAIN], raw, n, m->rcpt_pending);
	p->has[DIM_SENDER_DOMAIN] = 1;
	p->has[DIM_SASL] = p->has[DIM_CLIENT] = 0;
	if (m->sasl_username.p != NULL) {
		prep_key(a, p, &p->id[DIM_SASL], m->sasl_username.p,
		    m->sasl_username.len, m->rcpt_pending);
		p->has[DIM_SASL] = p->id[DIM_SASL].len > 0;
	}
	if (m->client_address.p != NULL) {
		n = addr_client_key(raw, sizeof(raw), m->client_address.p,
		    m->client_address.len);
		prep_key(a, p, &p->id[DIM_CLIENT], raw, n, m->rcpt_pending);
		p->has[DIM_CLIENT] = p->id[DIM_CLIENT].len > 0;
	}
	for (i = 0; i < m->ndomains; i++) {
		n = addr_domain_key(raw, sizeof(raw),
		    m->domain_base + m->domains[i].off, m->domains[i].len);
		prep_key(a, p, prep_domain(p), raw, n, m->domains[i].count);
	}
	if (m->domains_dropped > 0)
		prep_key(a, p, prep_domain(p), KEY_OTHER, strlen(KEY_OTHER),
		    m->domains_dropped);
}

/* count_queue - the per-queue, age and total part of counting a message */
static int
count_queue(struct agg *a, enum pfq_queue q, uint64_t size, int64_t arrival,
    uint64_t rcpts)
{
	int64_t	age = arrival < a->now ? a->now - arrival : 0;

	a->serial++;
	count_message(&a->queue[q], q, size, arrival);
	a->queue[q].recipients += rcpts;
	a->age[q][age_bucket(age)]++;
	if (q >= Q_MAIL_COUNT)
		return 0;
	count_message(&a->total, q, size, arrival);
	a->total.recipients += rcpts;
	return 1;
}

/* sat32 - a recipient count for an agg_dref */
static uint32_t
sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/*
 * agg_commit - count a prepared message found in queue q. With ref, also
 * record it as key numbers; a message with several recipient domains
 * puts them in pool as struct agg_dref, whose owner keeps pool.
 */
void
agg_commit(struct agg *a, enum pfq_queue q, const struct agg_prep *p,
    struct agg_ref *ref, struct buf *pool)
{
	struct agg_dref dr;
	uint32_t id;
	size_t	i;
	int	d;

	if (ref) {
		memset(ref, 0, sizeof(*ref));
		ref->size = p->size;
		ref->arrival = p->arrival;
		ref->rcpt_pending = p->rcpt_pending;
	}
	if (!count_queue(a, q, p->size, p->arrival, p->rcpt_pending))
		return;
	for (d = 0; d < AGG_ONE_KEY_DIMS; d++) {
		if (!p->has[d])
			continue;
		id = table_get(a, &a->dim[d], p->text.data + p->id[d].off,
		    p->id[d].len, p->id[d].hash);
		touch(a, (enum agg_dim)d, id, q, p->size, p->arrival,
		    p->id[d].rcpts);
		if (ref)
			ref->id[d] = id;
	}
	if (ref) {
		ref->ndom = (uint32_t)p->ndom;
		if (p->ndom > 1)
			ref->dom = (uint32_t)(pool->len / sizeof(dr));
	}
	for (i = 0; i < p->ndom; i++) {
		id = table_get(a, &a->dim[DIM_RCPT_DOMAIN],
		    p->text.data + p->dom[i].off, p->dom[i].len, p->dom[i].hash);
		touch(a, DIM_RCPT_DOMAIN, id, q, p->size, p->arrival,
		    p->dom[i].rcpts);
		if (ref && p->ndom == 1) {
			ref->dom = id;
			ref->dom_rcpts = sat32(p->dom[i].rcpts);
		} else if (ref) {
			dr.id = id;
			dr.rcpts = sat32(p->dom[i].rcpts);
			buf_add(pool, &dr, sizeof(dr));
		}
	}
}

/* agg_recount - count again a message recorded by agg_commit() */
void
agg_recount(struct agg *a, enum pfq_queue q, const struct agg_ref *r,
    const struct agg_dref *pool)
{
	uint32_t i;
	int	d;

	if (!count_queue(a, q, r->size, r->arrival, r->rcpt_pending))
		return;
	for (d = 0; d < AGG_ONE_KEY_DIMS; d++)
		if (r->id[d])
			touch(a, (enum agg_dim)d, r->id[d], q, r->size, r->arrival,
			    r->rcpt_pending);
	if (r->ndom == 1)
		touch(a, DIM_RCPT_DOMAIN, r->dom, q, r->size, r->arrival,
		    r->dom_rcpts);
	else
		for (i = 0; i < r->ndom; i++)
			touch(a, DIM_RCPT_DOMAIN, pool[r->dom + i].id, q, r->size,
			    r->arrival, pool[r->dom + i].rcpts);
}

/* agg_add - count one parsed message found in queue q */
void
agg_add(struct agg *a, enum pfq_queue q, const struct qf_msg *m)
{
	agg_prepare(a, &a->prep, m);
	agg_commit(a, q, &a->prep, NULL, NULL);
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

/* agg_keys - number of keys in a breakdown with messages in this scan */
size_t
agg_keys(const struct agg *a, enum agg_dim d)
{
	size_t	i, n = 0;

	for (i = 0; i < a->dim[d].n; i++)
		n += a->dim[d].ent[i].st.length > 0;
	return n;
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
	struct agg_row *rows = xcalloc(t->n ? t->n : 1, sizeof(*rows));
	size_t	n = 0, keep, i;
	const size_t other_len = strlen(KEY_OTHER);

	stats_init(other);
	*have_other = 0;
	for (i = 0; i < t->n; i++) {
		const struct entry *e = &t->ent[i];
		const char *key = a->keys.data + e->off;

		if (e->st.length == 0)
			continue;	/* no message in this scan */
		if (e->len == other_len && memcmp(key, KEY_OTHER, other_len) == 0) {
			merge(other, &e->st);
			*have_other = 1;
			continue;
		}
		rows[n].key = key;
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
