/*
 * cache.c - the rescan cache (see cache.h).
 *
 * A dense array of entries with an open-addressing index of 32-bit entry
 * numbers, rebuilt when the sweep compacts the array. The sweep marks
 * the entries of files that left the queue gone (CACHE_GONE, unnamed)
 * and compacts only once a quarter of the array is gone: a watched
 * scan of a million files that saw 200 of them deleted would otherwise
 * rebuild both indexes, a million names hashed, every interval. Keys are inode
 * numbers chosen by the file system, not by senders, but are still mixed
 * before indexing so that runs of nearby inodes spread out. The recipient
 * domains of messages with more than one live in a shared pool that the
 * sweep compacts once more than half of it is garbage.
 */
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "msg.h"
#include "siphash.h"
#include "xalloc.h"

struct cache {
	struct cache_entry *ent;
	size_t	n, cap;
	size_t	gone;			/* entries marked CACHE_GONE */
	uint32_t *slots;		/* entry index + 1; 0 is empty */
	size_t	mask;
	uint32_t scan;
	struct buf pool;		/* struct agg_dref */
	size_t	garbage;		/* drefs no entry refers to */
	/* The watched agent's: names, and an index of (node, name). */
	struct buf names;
	uint32_t *nslots;		/* entry index + 1; 0 is empty */
	size_t	nmask;
	size_t	nnamed;			/* names indexed, stale ones included */
	uint8_t	key[16];
};

/* cache_create - an empty cache; cache_free() releases it */
struct cache *
cache_create(void)
{
	struct cache *c = xcalloc(1, sizeof(*c));

	buf_init(&c->pool);
	buf_init(&c->names);
	siphash_key(c->key);
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
	free(c->nslots);
	buf_free(&c->pool);
	buf_free(&c->names);
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
		if (c->ent[i].verdict == CACHE_GONE)
			continue;
		for (j = slot_of(c, c->ent[i].key); c->slots[j];
		    j = (j + 1) & c->mask)
			;
		c->slots[j] = (uint32_t)(i + 1);
	}
}

/* name_slot - first slot to probe for a node's name */
static size_t
name_slot(const struct cache *c, uint32_t node, const char *name, size_t len)
{
	uint8_t	tmp[sizeof(node) + UINT8_MAX];

	memcpy(tmp, &node, sizeof(node));
	memcpy(tmp + sizeof(node), name, len);
	return (size_t)siphash13(c->key, tmp, sizeof(node) + len) & c->nmask;
}

/* name_is - is this the entry's current name? */
static int
name_is(const struct cache *c, const struct cache_entry *e, uint32_t node,
    const char *name, size_t len)
{
	return e->node == node && e->namelen == len
	    && memcmp(c->names.data + e->name, name, len) == 0;
}

/* name_insert - index entry i under its current name */
static void
name_insert(struct cache *c, size_t i)
{
	const struct cache_entry *e = &c->ent[i];
	size_t	j;

	for (j = name_slot(c, e->node, c->names.data + e->name, e->namelen);
	    c->nslots[j]; j = (j + 1) & c->nmask)
		;
	c->nslots[j] = (uint32_t)(i + 1);
	c->nnamed++;
}

/* name_reindex - a fresh name index of the named entries, load <= 1/2 */
static void
name_reindex(struct cache *c)
{
	size_t	nslots = 1024, i;

	while (nslots < c->n * 2)
		nslots *= 2;
	free(c->nslots);
	c->nslots = xcalloc(nslots, sizeof(*c->nslots));
	c->nmask = nslots - 1;
	c->nnamed = 0;
	for (i = 0; i < c->n; i++)
		if (c->ent[i].node)
			name_insert(c, i);
}

/*
 * cache_name - where the entry's file is now: node (>= 0) and name. A
 * name the entry had before stays in the index, stale, until the next
 * reindex; lookups check the entry's current name.
 */
void
cache_name(struct cache *c, struct cache_entry *e, int node, const char *name,
    size_t len)
{
	uint32_t n = (uint32_t)node + 1;

	if (node < 0 || len > UINT8_MAX || name_is(c, e, n, name, len))
		return;
	e->node = n;
	e->name = (uint32_t)c->names.len;
	e->namelen = (uint8_t)len;
	buf_add(&c->names, name, len);
	if (c->nslots == NULL || (c->nnamed + 1) * 2 > c->nmask + 1)
		name_reindex(c);
	else
		name_insert(c, (size_t)(e - c->ent));
}

/* cache_find_name - the entry whose file is name in node now, or NULL */
struct cache_entry *
cache_find_name(struct cache *c, int node, const char *name, size_t len)
{
	uint32_t n = (uint32_t)node + 1;
	size_t	j;

	if (c->nslots == NULL || node < 0 || len > UINT8_MAX)
		return NULL;
	for (j = name_slot(c, n, name, len); c->nslots[j]; j = (j + 1) & c->nmask)
		if (name_is(c, &c->ent[c->nslots[j] - 1], n, name, len))
			return &c->ent[c->nslots[j] - 1];
	return NULL;
}

/* cache_entries, cache_count, cache_scan - every entry, for a pass */
struct cache_entry *
cache_entries(struct cache *c)
{
	return c->ent;
}

size_t
cache_count(const struct cache *c)
{
	return c->n;
}

uint32_t
cache_scan(const struct cache *c)
{
	return c->scan;
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
		if (c->ent[c->slots[i] - 1].key == key
		    && c->ent[c->slots[i] - 1].verdict != CACHE_GONE)
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

/* compact_names - keep the names entries have now, index them again */
static void
compact_names(struct cache *c)
{
	struct buf names;
	size_t	i;

	buf_init(&names);
	for (i = 0; i < c->n; i++) {
		struct cache_entry *e = &c->ent[i];

		if (!e->node)
			continue;
		buf_add(&names, c->names.data + e->name, e->namelen);
		e->name = (uint32_t)(names.len - e->namelen);
	}
	buf_free(&c->names);
	c->names = names;
	name_reindex(c);
}

/*
 * cache_sweep - forget the files this scan did not find: mark them gone,
 * and compact the array once a quarter of it is gone
 */
void
cache_sweep(struct cache *c)
{
	struct cache_entry *e;
	size_t	i, kept = 0, before = c->n;

	for (i = 0; i < c->n; i++) {
		e = &c->ent[i];
		if (e->verdict == CACHE_GONE || e->seen == c->scan)
			continue;
		drop_drefs(c, e);
		e->verdict = CACHE_GONE;
		e->node = 0;		/* no pass over the entries counts it */
		c->gone++;
	}
	if (c->gone * 4 > c->n) {
		for (i = 0; i < c->n; i++) {
			if (c->ent[i].verdict == CACHE_GONE)
				continue;
			if (kept != i)
				c->ent[kept] = c->ent[i];
			kept++;
		}
		c->n = kept;
		c->gone = 0;
		reindex(c);
	}
	if (c->garbage * 2 > c->pool.len / sizeof(struct agg_dref))
		compact_pool(c);
	if (c->nslots != NULL && (c->n != before
	    || c->names.len > 64 * (c->n + 64)))
		compact_names(c);
}

/* cache_size - entries held, gone ones not included */
size_t
cache_size(const struct cache *c)
{
	return c->n - c->gone;
}
