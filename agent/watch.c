/*
 * watch.c - inotify on the queue directories, drained by a thread of its
 * own into a set of changed names (watch.h).
 *
 * Locking: one mutex guards the nodes and the changes; the thread holds
 * it only while it records a buffer of events, never across a read.
 * The hook runs under that mutex, in whichever thread reads the events
 * (the drain thread, or the scan in watch_take()), so hook calls never
 * overlap and see every event in the kernel's order.
 * Trusts the kernel's events; a name is a NUL-terminated string of at
 * most NAME_MAX bytes, copied, never used as a path here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "msg.h"
#include "siphash.h"
#include "watch.h"
#include "xalloc.h"

#define WATCH_NODES_MAX	4096		/* directories watched at most */
#define POLL_MS		250		/* how soon the thread sees a stop */

/* What a queue file's directory must tell us. */
#define FILE_EVENTS	(IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB \
			| IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE)
/* No IN_DONT_FOLLOW: /proc/self/fd/N is a link to the open directory. */
#define DIR_EVENTS	(FILE_EVENTS | IN_DELETE_SELF | IN_MOVE_SELF \
			| IN_ONLYDIR | IN_EXCL_UNLINK)

struct node {
	int	wd;			/* -1: the watch is gone */
	int	parent;			/* node number, -1 for a queue */
	int	kind;			/* the caller's; -1: no hook */
	int	dfd;			/* for the hook; -1: none */
};

struct watch {
	int	fd;			/* inotify */
	pthread_t thread;
	atomic_int stop;
	pthread_mutex_t lock;
	struct node *nodes;
	size_t	nnodes, cap;
	int	*by_wd;			/* wd -> node + 1; 0: none */
	size_t	nwd;
	struct watch_changes ch;	/* being collected */
	size_t	namecap;		/* room in ch.names */
	uint32_t *slots;		/* names set: index + 1; 0 is empty */
	size_t	mask;
	uint8_t	key[16];		/* for the names set */
	watch_hook_fn hook;		/* file events, as they are read */
	void	*hook_ctx;
};

/* reset - empty changes, every node full (nothing known yet) */
static void
reset(struct watch_changes *ch)
{
	memset(ch, 0, sizeof(*ch));
	buf_init(&ch->text);
	ch->all = 1;
}

/* name_hash - the set's hash of a node's name */
static uint64_t
name_hash(const struct watch *w, uint32_t node, const char *name, size_t len)
{
	uint8_t	tmp[sizeof(node) + NAME_MAX];

	memcpy(tmp, &node, sizeof(node));
	memcpy(tmp + sizeof(node), name, len);
	return siphash13(w->key, tmp, sizeof(node) + len);
}

/* grow_set - a set twice as large, every name placed again */
static void
grow_set(struct watch *w)
{
	size_t	nslots = w->slots ? (w->mask + 1) * 2 : 1024, i, j;
	const struct watch_name *n;

	free(w->slots);
	w->slots = xcalloc(nslots, sizeof(*w->slots));
	w->mask = nslots - 1;
	for (i = 0; i < w->ch.nnames; i++) {
		n = &w->ch.names[i];
		for (j = name_hash(w, n->node, w->ch.text.data + n->off,
		    strlen(w->ch.text.data + n->off)) & w->mask; w->slots[j];
		    j = (j + 1) & w->mask)
			;
		w->slots[j] = (uint32_t)(i + 1);
	}
}

/* add_name - a name of node changed; each (node, name) kept once */
static void
add_name(struct watch *w, uint32_t node, const char *name, size_t len)
{
	struct watch_changes *ch = &w->ch;
	size_t	j;

	if (ch->all)
		return;			/* everything is listed again anyway */
	if (w->slots == NULL || (ch->nnames + 1) * 2 > w->mask + 1)
		grow_set(w);
	for (j = name_hash(w, node, name, len) & w->mask; w->slots[j];
	    j = (j + 1) & w->mask) {
		const struct watch_name *n = &ch->names[w->slots[j] - 1];

		if (n->node == node && strcmp(ch->text.data + n->off, name) == 0)
			return;
	}
	if (ch->nnames == WATCH_NAMES_MAX) {
		ch->all = 1;		/* a burst too large to keep by name */
		return;
	}
	if (ch->nnames == w->namecap) {
		w->namecap = w->namecap ? w->namecap * 2 : 64;
		ch->names = xreallocarray(ch->names, w->namecap, sizeof(*ch->names));
	}
	ch->names[ch->nnames].node = node;
	ch->names[ch->nnames].off = (uint32_t)ch->text.len;
	buf_add(&ch->text, name, len);
	buf_addc(&ch->text, '\0');
	w->slots[j] = (uint32_t)++ch->nnames;
}

/* mark_full - node must be listed again */
static void
mark_full(struct watch *w, int node)
{
	struct watch_changes *ch = &w->ch;
	size_t	old = ch->nnodes;

	if (node < 0) {
		ch->all = 1;
		return;
	}
	if ((size_t)node >= ch->nnodes) {
		ch->nnodes = w->nnodes > (size_t)node ? w->nnodes : (size_t)node + 1;
		ch->full = xreallocarray(ch->full, ch->nnodes, 1);
		memset(ch->full + old, 0, ch->nnodes - old);
	}
	ch->full[node] = 1;
}

/* node_of - the node a watch descriptor stands for, or -1 */
static int
node_of(const struct watch *w, int wd)
{
	return wd >= 0 && (size_t)wd < w->nwd ? w->by_wd[wd] - 1 : -1;
}

/* record - one event, under the lock */
static void
record(struct watch *w, const struct inotify_event *ev)
{
	int	node;

	w->ch.events++;
	if (ev->mask & IN_Q_OVERFLOW) {
		w->ch.overflows++;
		w->ch.all = 1;
		return;
	}
	if ((node = node_of(w, ev->wd)) < 0)
		return;			/* a watch already forgotten */
	if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
		/*
		 * The directory went: none of its files is there any more (it
		 * is full, and not alive), and its parent is listed again.
		 */
		w->nodes[node].wd = -1;
		if (ev->mask & IN_IGNORED)
			w->by_wd[ev->wd] = 0;
		if (w->nodes[node].dfd >= 0) {
			close(w->nodes[node].dfd);
			w->nodes[node].dfd = -1;
		}
		mark_full(w, node);
		mark_full(w, w->nodes[node].parent);
		return;
	}
	if (ev->mask & IN_ISDIR) {
		mark_full(w, node);	/* a hash directory came or went */
		return;
	}
	if (ev->len > 0)
		add_name(w, (uint32_t)node, ev->name, strnlen(ev->name, ev->len));
}

/* tell - the hook, of one event on a name, in one of its two passes */
static void
tell(struct watch *w, const struct inotify_event *ev, int early)
{
	struct watch_event e;
	int	node;

	if (w->hook == NULL || ev->len == 0 || (ev->mask & IN_ISDIR)
	    || (node = node_of(w, ev->wd)) < 0 || w->nodes[node].kind < 0
	    || w->nodes[node].dfd < 0)
		return;
	e.node = node;
	e.kind = w->nodes[node].kind;
	e.dfd = w->nodes[node].dfd;
	e.mask = ev->mask;
	e.cookie = ev->cookie;
	e.name = ev->name;
	e.len = strnlen(ev->name, ev->len);
	e.early = early;
	w->hook(w->hook_ctx, &e);
}

/*
 * read_events - read and record what the kernel has queued, until it has
 * nothing more; under the lock, so that no event is ever read but not
 * yet recorded when watch_take() looks. Returns -1 on a read error.
 */
static int
read_events(struct watch *w)
{
	char	buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t	n, off;

	for (;;) {
		if ((n = read(w->fd, buf, sizeof(buf))) < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (n == 0)
			return 0;
		for (off = 0; off + (ssize_t)sizeof(*ev) <= n;
		    off += (ssize_t)(sizeof(*ev) + ev->len)) {
			ev = (const struct inotify_event *)(const void *)(buf + off);
			record(w, ev);
			tell(w, ev, 1);
		}
		/* The hook's slow work comes after every event's quick part. */
		for (off = 0; w->hook && off + (ssize_t)sizeof(*ev) <= n;
		    off += (ssize_t)(sizeof(*ev) + ev->len)) {
			ev = (const struct inotify_event *)(const void *)(buf + off);
			tell(w, ev, 0);
		}
	}
}

/* drain - the thread: record events as they come, until told to stop */
static void *
drain(void *arg)
{
	struct watch *w = arg;
	struct pollfd pfd = {0, POLLIN, 0};
	int	rc;

	pfd.fd = w->fd;
	while (!atomic_load(&w->stop)) {
		if (poll(&pfd, 1, POLL_MS) <= 0)
			continue;
		pthread_mutex_lock(&w->lock);
		if ((rc = read_events(w)) < 0)
			w->ch.all = 1;
		pthread_mutex_unlock(&w->lock);
		if (rc < 0) {
			msg_error("watching the queue: %s; every scan lists every "
			    "directory from now on", strerror(errno));
			break;
		}
	}
	return NULL;
}

/* watch_create - an inotify instance and its thread; NULL + err if none */
struct watch *
watch_create(char *err, size_t errlen)
{
	struct watch *w;
	int	fd, rc;

	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		snprintf(err, errlen, "inotify: %s", strerror(errno));
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	siphash_key(w->key);
	reset(&w->ch);
	atomic_init(&w->stop, 0);
	if (pthread_mutex_init(&w->lock, NULL) != 0
	    || (rc = pthread_create(&w->thread, NULL, drain, w)) != 0) {
		snprintf(err, errlen, "inotify: cannot start its thread");
		close(fd);
		free(w);
		return NULL;
	}
	return w;
}

/* add_node - a new node for wd, under the lock */
static int
add_node(struct watch *w, int wd, int parent, int kind, int dfd)
{
	size_t	old;

	if (w->nnodes == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->nodes = xreallocarray(w->nodes, w->cap, sizeof(*w->nodes));
	}
	if ((size_t)wd >= w->nwd) {
		old = w->nwd;
		w->nwd = (size_t)wd + 64;
		w->by_wd = xreallocarray(w->by_wd, w->nwd, sizeof(*w->by_wd));
		memset(w->by_wd + old, 0, (w->nwd - old) * sizeof(*w->by_wd));
	}
	w->nodes[w->nnodes].wd = wd;
	w->nodes[w->nnodes].parent = parent;
	w->nodes[w->nnodes].kind = kind;
	w->nodes[w->nnodes].dfd = kind >= 0 ? fcntl(dfd, F_DUPFD_CLOEXEC, 0) : -1;
	w->by_wd[wd] = (int)++w->nnodes;
	return (int)w->nnodes - 1;
}

/* watch_dir - see watch.h */
int
watch_dir(struct watch *w, int dfd, int parent, int kind)
{
	char	path[64];
	int	wd, node;

	if (w->nnodes >= WATCH_NODES_MAX)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dfd);
	if ((wd = inotify_add_watch(w->fd, path, DIR_EVENTS)) < 0)
		return -1;
	pthread_mutex_lock(&w->lock);
	/* The same directory again (the same inode): the same node. */
	if ((node = node_of(w, wd)) < 0)
		node = add_node(w, wd, parent, kind, dfd);
	pthread_mutex_unlock(&w->lock);
	return node;
}

/* watch_take - see watch.h */
void
watch_take(struct watch *w, struct watch_changes *out)
{
	pthread_mutex_lock(&w->lock);
	/* What happened before the scan is in this take, drained or not. */
	if (read_events(w) < 0)
		w->ch.all = 1;
	*out = w->ch;
	out->nnodes = out->full ? out->nnodes : 0;
	reset(&w->ch);
	w->ch.all = 0;
	w->namecap = 0;
	if (w->slots)
		memset(w->slots, 0, (w->mask + 1) * sizeof(*w->slots));
	pthread_mutex_unlock(&w->lock);
}

/* watch_set_hook - see watch.h; before the first watch_dir() */
void
watch_set_hook(struct watch *w, watch_hook_fn fn, void *ctx)
{
	pthread_mutex_lock(&w->lock);
	w->hook = fn;
	w->hook_ctx = ctx;
	pthread_mutex_unlock(&w->lock);
}

/* watch_full - must node be listed again? */
int
watch_full(const struct watch_changes *ch, int node)
{
	return ch->all || node < 0 || ((size_t)node < ch->nnodes && ch->full[node]);
}

/* watch_name_text - the i-th changed name */
const char *
watch_name_text(const struct watch_changes *ch, size_t i)
{
	return ch->text.data + ch->names[i].off;
}

/* watch_changes_free - what watch_take() handed over */
void
watch_changes_free(struct watch_changes *ch)
{
	free(ch->full);
	free(ch->names);
	buf_free(&ch->text);
	memset(ch, 0, sizeof(*ch));
}

/* watch_alive - does node still stand for the directory it was added for? */
int
watch_alive(struct watch *w, int node)
{
	int	alive;

	pthread_mutex_lock(&w->lock);
	alive = node >= 0 && (size_t)node < w->nnodes && w->nodes[node].wd >= 0;
	pthread_mutex_unlock(&w->lock);
	return alive;
}

/* watch_nodes - directories watched */
size_t
watch_nodes(const struct watch *w)
{
	return w->nnodes;
}

/* watch_free - stop the thread, close inotify */
void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	size_t	i;

	atomic_store(&w->stop, 1);
	pthread_join(w->thread, NULL);
	close(w->fd);
	for (i = 0; i < w->nnodes; i++)
		if (w->nodes[i].dfd >= 0)
			close(w->nodes[i].dfd);
	pthread_mutex_destroy(&w->lock);
	watch_changes_free(&w->ch);
	free(w->slots);
	free(w->nodes);
	free(w->by_wd);
	free(w);
}
