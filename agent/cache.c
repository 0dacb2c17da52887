/*
 * cache.c - the rescan cache (see cache.h).
 *
 * A dense array of entries with an open-addressing index of 32-bit entry
 * numbers, rebuilt when the sweep compacts the array. Keys are inode
 * numbers chosen by the file system, not by senders, but are still mixed
 * before indexing so that runs of nearby inodes spread out. The recipient
 * domains of messages with more than one live in a shared pool that the
 * sweep compacts once more than half of it is garbage.
 */
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "msg.h"
#include "xalloc.h"

struct cache {
	struct cache_entry *ent;
	size_t	n, cap;
	uint32_t *slots;		/* entry index + 1; 0 is empty */
	size_t	mask;
	uint32_t scan;
	struct buf pool;		/* struct agg_dref */
	size_t	garbage;		/* drefs no entry refers to */
};

/* cache_create - an empty cache; cache_free() releases it */
struct cache *
cache_create(void)
{
	struct cache *c = xcalloc(1, sizeof(*c));

	buf_init(&c->pool);
	return c;
}

/* cache_free - release the cache */
void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	free(c->ent);
	free(c->slots);
	buf_free(&c->pool);
	free(c);
}

/* slot_of - first slot to probe for key */
static size_t
slot_of(const struct cache *c, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 32 ^ h) & c->mask;
}

/* reindex - a fresh index for the n entries, load at most 1/2 */
static void
reindex(struct cache *c)
{
	size_t	nslots = 1024, i, j;

	while (nslots < c->n * 2)
		nslots *= 2;
	if (nslots > (size_t)UINT32_MAX)
		msg_fatal(MSG_EXIT_FAIL, "cache: too many queue files");
	free(c->slots);
	c->slots = xcalloc(nslots, sizeof(*c->slots));
	c->mask = nslots - 1;
	for (i = 0; i < c->n; i++) {
		for (j = slot_of(c, c->ent[i].key); c->slots[j];
		    j = (j + 1) & c->mask)
			;
		c->slots[j] = (uint32_t)(i + 1);
	}
}

/* cache_begin - a new scan: entries not touched from now on are swept */
void
cache_begin(struct cache *c)
{
	c->scan++;
}

/* cache_find - the entry for key, or NULL */
struct cache_entry *
cache_find(struct cache *c, uint64_t key)
{
	size_t	i;

	if (c->slots == NULL)
		return NULL;
	for (i = slot_of(c, key); c->slots[i]; i = (i + 1) & c->mask)
		if (c->ent[c->slots[i] - 1].key == key)
			return &c->ent[c->slots[i] - 1];
	return NULL;
}

/* cache_hit - the file of this entry was found again in this scan */
void
cache_hit(struct cache *c, struct cache_entry *e)
{
	e->seen = c->scan;
}

/* drop_drefs - an entry's pooled domains are no longer referred to */
static void
drop_drefs(struct cache *c, const struct cache_entry *e)
{
	if (e->verdict == CACHE_PARSED && e->ref.ndom > 1)
		c->garbage += e->ref.ndom;
}

/*
 * cache_put - the entry for key, emptied for the caller to fill; it
 * replaces what was known about key. The pointer is valid until the
 * next cache_put() or cache_sweep().
 */
struct cache_entry *
cache_put(struct cache *c, uint64_t key)
{
	struct cache_entry *e = cache_find(c, key);
	size_t	i;

	if (e != NULL) {
		drop_drefs(c, e);
		memset(e, 0, sizeof(*e));
		e->key = key;
		e->seen = c->scan;
		return e;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->ent = xreallocarray(c->ent, c->cap, sizeof(*c->ent));
	}
	e = &c->ent[c->n++];
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->seen = c->scan;
	if (c->slots == NULL || c->n * 2 > c->mask + 1) {
		reindex(c);
	} else {
		for (i = slot_of(c, key); c->slots[i]; i = (i + 1) & c->mask)
			;
		c->slots[i] = (uint32_t)c->n;
	}
	return e;
}

/* cache_pool - where agg_commit() puts the domains of a new entry */
struct buf *
cache_pool(struct cache *c)
{
	return &c->pool;
}

/* cache_drefs - the pool, for agg_recount() */
const struct agg_dref *
cache_drefs(const struct cache *c)
{
	return (const struct agg_dref *)(const void *)c->pool.data;
}

/* compact_pool - copy the live domains into a fresh pool */
static void
compact_pool(struct cache *c)
{
	const struct agg_dref *old = cache_drefs(c);
	struct buf pool;
	size_t	i;

	buf_init(&pool);
	for (i = 0; i < c->n; i++) {
		struct cache_entry *e = &c->ent[i];

		if (e->verdict != CACHE_PARSED || e->ref.ndom < 2)
			continue;
		buf_add(&pool, old + e->ref.dom, e->ref.ndom * sizeof(*old));
		e->ref.dom = (uint32_t)(pool.len / sizeof(*old) - e->ref.ndom);
	}
	buf_free(&c->pool);
	c->pool = pool;
	c->garbage = 0;
}

/* cache_sweep - forget the files this scan did not find */
void
cache_sweep(struct cache *c)
{
	size_t	i, kept = 0;

	for (i = 0; i < c->n; i++) {
		if (c->ent[i].seen != c->scan) {
			drop_drefs(c, &c->ent[i]);
			continue;
		}
		if (kept != i)
			c->ent[kept] = c->ent[i];
		kept++;
	}
	if (kept != c->n) {
		c->n = kept;
		reindex(c);
	}
	if (c->garbage * 2 > c->pool.len / sizeof(struct agg_dref))
		compact_pool(c);
}

/* cache_size - entries held */
size_t
cache_size(const struct cache *c)
{
	return c->n;
}
