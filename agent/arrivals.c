/*
 * arrivals.c - count each message once as it enters the queue, read from
 * the watch's events (arrivals.h).
 *
 * Runs in the watch's thread (or the scan's, inside watch_take()), one
 * event at a time under the watch's lock; its own mutex is only against
 * arrivals_take(). Trusts nothing in a file: the scan's parser reads
 * it, with the scan's bounds.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arrivals.h"
#include "clock.h"
#include "msg.h"
#include "qfile.h"
#include "siphash.h"
#include "xalloc.h"

/* Postfix's queue IDs are 10 to 17 characters; longer ones are not kept. */
#define NAME_KEEP	23

/*
 * A name in incoming is OPEN from the moment it appears: cleanup is
 * writing it, and pfqmon holds it open, read-only, so that it can still
 * read it once it is complete even if the queue manager moved it and a
 * delivery agent removed it before the watch's thread got there (under
 * load that thread can run milliseconds late; a message to a local
 * discard lives about as long). COUNTED once read; PENDING in hold
 * while cleanup still writes a message it put on hold.
 */
enum { SLOT_EMPTY, SLOT_OPEN, SLOT_COUNTED, SLOT_PENDING };

struct slot {
	uint64_t hash;
	char	name[NAME_KEEP + 1];
	uint8_t	len;
	uint8_t	state;
	int	fd;			/* SLOT_OPEN: the file; else -1 */
};

/* The first half of a rename, until its second half is told. */
struct moved_from {
	uint32_t cookie;
	int	kind;			/* -1: none */
	int	counted;		/* it was counted where it was */
};

struct arrivals {
	pthread_mutex_t lock;		/* agg and counts, against take */
	struct agg *agg;
	struct arrival_counts n;
	struct qf_parser *parser;
	struct slot *slots;		/* open addressing, linear probing */
	size_t	mask, used;
	size_t	open;			/* slots holding a descriptor */
	uint8_t	key[16];
	struct moved_from from;
	int64_t	since_ms;		/* the last take, or the start */
	int	renamed_fd;		/* early: held under a temporary name */
	uint32_t renamed_cookie;	/* and its rename's */
};

/* What reading a file said. */
enum got { GOT_MESSAGE, GOT_GONE, GOT_INCOMPLETE, GOT_NOTHING };

/* --- the names set ------------------------------------------------ */

/* find - the slot of name, or the empty slot where it would go */
static size_t
find(const struct arrivals *a, uint64_t h, const char *name, size_t len)
{
	size_t	j;

	for (j = h & a->mask; a->slots[j].state != SLOT_EMPTY;
	    j = (j + 1) & a->mask)
		if (a->slots[j].hash == h && a->slots[j].len == len
		    && memcmp(a->slots[j].name, name, len) == 0)
			break;
	return j;
}

/* grow - twice the slots, every name placed again */
static void
grow(struct arrivals *a)
{
	struct slot *old = a->slots;
	size_t	n = old ? a->mask + 1 : 0, i, j;

	a->mask = n ? n * 2 - 1 : 1023;
	a->slots = xcalloc(a->mask + 1, sizeof(*a->slots));
	for (i = 0; i < n; i++) {
		if (old[i].state == SLOT_EMPTY)
			continue;
		for (j = old[i].hash & a->mask; a->slots[j].state != SLOT_EMPTY;
		    j = (j + 1) & a->mask)
			;
		a->slots[j] = old[i];
	}
	free(old);
}

/* state_of - what is known of name (SLOT_EMPTY: nothing) */
static int
state_of(const struct arrivals *a, uint64_t h, const char *name, size_t len)
{
	return a->slots ? a->slots[find(a, h, name, len)].state : SLOT_EMPTY;
}

/*
 * keep - remember name in state, with fd (-1: none; else the set's from
 * now on); 0 when the set is full or the name long (fd not taken)
 */
static int
keep(struct arrivals *a, uint64_t h, const char *name, size_t len, int state,
    int fd)
{
	struct slot *s;

	if (len > NAME_KEEP || a->used >= ARRIVALS_NAMES_MAX)
		return 0;
	if (a->slots == NULL || (a->used + 1) * 2 > a->mask + 1)
		grow(a);
	s = &a->slots[find(a, h, name, len)];
	if (s->state == SLOT_EMPTY) {
		a->used++;
		s->hash = h;
		s->len = (uint8_t)len;
		memcpy(s->name, name, len);
		s->name[len] = '\0';
		s->fd = -1;
	}
	if (s->fd >= 0) {
		close(s->fd);
		a->open--;
	}
	s->state = (uint8_t)state;
	if ((s->fd = fd) >= 0)
		a->open++;
	return 1;
}

/*
 * forget - name leaves the set; returns the state it had, and in *fd
 * the descriptor it held (-1: none), now the caller's. Linear probing
 * deletes by moving later members of the run back, so that no lookup
 * ever stops at the hole.
 */
static int
forget(struct arrivals *a, uint64_t h, const char *name, size_t len, int *fd)
{
	size_t	i, j, home;
	int	state;

	*fd = -1;
	if (a->slots == NULL)
		return SLOT_EMPTY;
	i = find(a, h, name, len);
	if ((state = a->slots[i].state) == SLOT_EMPTY)
		return state;
	a->used--;
	if ((*fd = a->slots[i].fd) >= 0)
		a->open--;
	for (j = (i + 1) & a->mask; a->slots[j].state != SLOT_EMPTY;
	    j = (j + 1) & a->mask) {
		home = a->slots[j].hash & a->mask;
		/* Move j into the hole i unless its home lies in (i, j]. */
		if (((j - home) & a->mask) >= ((j - i) & a->mask)) {
			a->slots[i] = a->slots[j];
			i = j;
		}
	}
	a->slots[i].state = SLOT_EMPTY;
	return state;
}

/* --- reading and counting ------------------------------------------ */

/* open_file - a queue file, read-only, no link followed; -1 + errno */
static int
open_file(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
	    | O_NOCTTY);
}

/*
 * read_fd - read an open file that may be an arrival; count it if it is
 * one (complete: cleanup set the owner's execute bit last)
 */
static enum got
read_fd(struct arrivals *a, int fd)
{
	struct qf_input in;
	struct qf_msg m;
	struct stat sb;
	int	rc;

	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return GOT_NOTHING;
	if ((sb.st_mode & S_IRWXU) != S_IRWXU)
		return GOT_INCOMPLETE;	/* cleanup is still writing it */
	qf_input_fd(&in, &fd, &sb, QF_KIND_QUEUE);
	rc = qf_parse(a->parser, &in, &m);
	pthread_mutex_lock(&a->lock);
	if (rc == QF_OK) {
		a->n.messages++;
		agg_add(a->agg, Q_INCOMING, &m);
	} else
		a->n.unparseable++;	/* or unreadable: no sender either way */
	pthread_mutex_unlock(&a->lock);
	return GOT_MESSAGE;
}

/* take_in - open and read a file that may be an arrival */
static enum got
take_in(struct arrivals *a, int dfd, const char *name)
{
	enum got got;
	int	fd;

	if ((fd = open_file(dfd, name)) < 0)
		return errno == ENOENT ? GOT_GONE : GOT_NOTHING;
	got = read_fd(a, fd);
	close(fd);
	return got;
}

/* vanished - an arrival that was gone before it could be read */
static void
vanished(struct arrivals *a)
{
	pthread_mutex_lock(&a->lock);
	a->n.vanished++;
	pthread_mutex_unlock(&a->lock);
}

/* appeared - a new name in incoming: hold the file open while it is written */
static void
appeared(struct arrivals *a, const struct watch_event *e, uint64_t h)
{
	int	fd;

	if (state_of(a, h, e->name, e->len) != SLOT_EMPTY
	    || a->open >= ARRIVALS_FDS_MAX || e->len > NAME_KEEP)
		return;
	if ((fd = open_file(e->dfd, e->name)) < 0)
		return;			/* gone already: its move will tell */
	if (!keep(a, h, e->name, e->len, SLOT_OPEN, fd))
		close(fd);
}

/*
 * cleanup_temp - cleanup's name for a file it has just created, before
 * it knows the queue ID (the inode number): microseconds and its pid,
 * "%d.%d" (Postfix's mail_queue_enter())
 */
static int
cleanup_temp(const char *name, size_t len)
{
	size_t	i, dots = 0;

	if (len == 0 || len > NAME_KEEP)
		return 0;
	for (i = 0; i < len; i++) {
		if (name[i] == '.')
			dots++;
		else if (name[i] < '0' || name[i] > '9')
			return 0;
	}
	return dots == 1 && name[0] != '.' && name[len - 1] != '.';
}

/*
 * early - the first pass over a buffer of events in incoming: hold each
 * new file open from the moment cleanup creates it, under its temporary
 * name, then under its queue ID; the longer it is held, the less can a
 * late watch thread miss (a message to a local discard may live a few
 * milliseconds once complete, but the whole SMTP transaction before).
 */
static void
early(struct arrivals *a, const struct watch_event *e)
{
	int	temp = cleanup_temp(e->name, e->len), fd;
	uint64_t h;

	if (!temp && !qf_queue_id_ok(e->name, e->len))
		return;
	h = siphash13(a->key, e->name, e->len);
	if (e->mask & IN_CREATE)
		appeared(a, e, h);
	else if (temp && (e->mask & IN_MOVED_FROM)) {
		/* cleanup names it: the descriptor goes with the rename */
		(void)forget(a, h, e->name, e->len, &fd);
		if (a->renamed_fd >= 0)
			close(a->renamed_fd);
		a->renamed_fd = fd;
		a->renamed_cookie = e->cookie;
	} else if (temp && (e->mask & IN_DELETE)) {
		(void)forget(a, h, e->name, e->len, &fd);
		if (fd >= 0)
			close(fd);	/* an aborted transaction */
	} else if (!temp && (e->mask & IN_MOVED_TO)) {
		if (a->renamed_fd >= 0 && a->renamed_cookie == e->cookie
		    && state_of(a, h, e->name, e->len) == SLOT_EMPTY
		    && keep(a, h, e->name, e->len, SLOT_OPEN, a->renamed_fd))
			a->renamed_fd = -1;
		else
			appeared(a, e, h);
	}
	if (a->renamed_fd >= 0 && !(e->mask & IN_MOVED_FROM)) {
		close(a->renamed_fd);	/* the rename's other half did not come */
		a->renamed_fd = -1;
	}
}

/* moved_in - the second half of a rename, into a directory of kind */
static void
moved_in(struct arrivals *a, const struct watch_event *e, uint64_t h)
{
	int	from_incoming = a->from.kind == Q_INCOMING
	    && a->from.cookie == e->cookie;
	int	fd;

	if (e->kind == Q_INCOMING) {
		/* cleanup names its new file: hold it from the start */
		appeared(a, e, h);
		return;
	}
	if (!from_incoming || a->from.counted)
		return;			/* a retry, a release, or counted */
	if (e->kind == Q_ACTIVE) {
		if (take_in(a, e->dfd, e->name) == GOT_GONE)
			vanished(a);
	} else if (e->kind == Q_HOLD) {
		/* cleanup may move a held message before it completes it */
		if ((fd = open_file(e->dfd, e->name)) < 0)
			return;
		if (read_fd(a, fd) != GOT_INCOMPLETE
		    || a->open >= ARRIVALS_FDS_MAX
		    || !keep(a, h, e->name, e->len, SLOT_PENDING, fd))
			close(fd);
	}
}

/*
 * completed - the file's mode changed: in incoming (or in hold, for a
 * message cleanup put on hold) that is cleanup marking it complete
 */
static void
completed(struct arrivals *a, const struct watch_event *e, uint64_t h)
{
	int	state = state_of(a, h, e->name, e->len), fd;
	enum got got;

	if (state == SLOT_COUNTED)
		return;			/* postsuper -e, or a second chmod */
	if (state == SLOT_OPEN || state == SLOT_PENDING) {
		(void)forget(a, h, e->name, e->len, &fd);
		if (fd < 0)
			got = take_in(a, e->dfd, e->name);
		else if ((got = read_fd(a, fd)) == GOT_INCOMPLETE
		    && keep(a, h, e->name, e->len, state, fd))
			return;			/* not yet: its next chmod */
		else
			close(fd);
		/* The slot just freed takes it: it cannot count twice. */
		if (got == GOT_MESSAGE && e->kind == Q_INCOMING)
			(void)keep(a, h, e->name, e->len, SLOT_COUNTED, -1);
		return;
	}
	if (e->kind != Q_INCOMING)
		return;
	/*
	 * Not held open (the set was full, or the file was already there):
	 * read it now, but count it here only if it can be remembered, or
	 * else its move into active counts it; nothing counts twice.
	 */
	if (a->used < ARRIVALS_NAMES_MAX && e->len <= NAME_KEEP
	    && take_in(a, e->dfd, e->name) == GOT_MESSAGE)
		(void)keep(a, h, e->name, e->len, SLOT_COUNTED, -1);
}

/* arrivals_event - the watch's hook (see watch.h) */
void
arrivals_event(void *ctx, const struct watch_event *e)
{
	struct arrivals *a = ctx;
	uint64_t h;
	int	state, fd;

	if (e->kind != Q_INCOMING && e->kind != Q_ACTIVE && e->kind != Q_HOLD)
		return;
	if (e->early) {
		/* At once, before any file of the buffer is read. */
		if (e->kind == Q_INCOMING)
			early(a, e);
		return;
	}
	if (!qf_queue_id_ok(e->name, e->len))
		return;
	h = siphash13(a->key, e->name, e->len);
	if (e->mask & IN_MOVED_FROM) {
		state = forget(a, h, e->name, e->len, &fd);
		if (fd >= 0) {
			/* complete but its chmod not yet told: read it now */
			if (read_fd(a, fd) == GOT_MESSAGE)
				state = SLOT_COUNTED;
			close(fd);
		}
		a->from.cookie = e->cookie;
		a->from.kind = e->kind;
		a->from.counted = state == SLOT_COUNTED;
	} else if (e->mask & IN_MOVED_TO) {
		moved_in(a, e, h);
		a->from.kind = -1;
	} else if (e->mask & IN_CREATE) {
		if (e->kind == Q_INCOMING)
			appeared(a, e, h);
	} else if (e->mask & IN_DELETE) {
		(void)forget(a, h, e->name, e->len, &fd);
		if (fd >= 0)
			close(fd);	/* cleanup gave up on it: no arrival */
	} else if (e->mask & IN_ATTRIB) {
		if (e->kind == Q_INCOMING || e->kind == Q_HOLD)
			completed(a, e, h);
	}
}

/* arrivals_create - nothing arrived yet */
struct arrivals *
arrivals_create(void)
{
	struct arrivals *a = xcalloc(1, sizeof(*a));

	if (pthread_mutex_init(&a->lock, NULL) != 0)
		msg_panic("arrivals: cannot make a mutex");
	a->agg = agg_create(0);
	a->parser = qf_parser_create();
	a->from.kind = -1;
	a->renamed_fd = -1;
	a->since_ms = clock_mono_ms();
	siphash_key(a->key);
	return a;
}

/* arrivals_take - what arrived since the last take; the caller frees it */
struct agg *
arrivals_take(struct arrivals *a, struct arrival_counts *n)
{
	struct agg *fresh = agg_create(0), *got;
	int64_t	now = clock_mono_ms();

	pthread_mutex_lock(&a->lock);
	got = a->agg;
	*n = a->n;
	/* at least 1: a rate is messages / period_ms */
	n->period_ms = (uint64_t)(now > a->since_ms ? now - a->since_ms : 1);
	a->since_ms = now;
	a->agg = fresh;
	memset(&a->n, 0, sizeof(a->n));
	pthread_mutex_unlock(&a->lock);
	return got;
}

/* arrivals_free - after the watch that calls arrivals_event() is gone */
void
arrivals_free(struct arrivals *a)
{
	size_t	i;

	if (a == NULL)
		return;
	for (i = 0; a->slots && i <= a->mask; i++)
		if (a->slots[i].state != SLOT_EMPTY && a->slots[i].fd >= 0)
			close(a->slots[i].fd);
	if (a->renamed_fd >= 0)
		close(a->renamed_fd);
	agg_free(a->agg);
	qf_parser_free(a->parser);
	free(a->slots);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
