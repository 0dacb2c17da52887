/*
 * qdir.c - walk one queue directory, handing out file names in batches
 * (see qdir.h).
 *
 * Trusts nothing below the queue directory: an entry's name and type are
 * checked before its name is handed out, subdirectories are opened
 * without following links, and a directory that disappears while it is
 * walked is an everyday event, not an error. Opens directories only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "qdir.h"
#include "qmsg.h"
#include "xalloc.h"

#define REL_PATH_MAX	256		/* queue-relative path, for messages */

struct qdir {
	struct qdir_batch batch;	/* names not yet handed out */
	qdir_batch_fn fn;
	qdir_enter_fn enter;		/* or NULL */
	int	node;			/* what enter said of this directory */
	void   *ctx;
	struct scan_stats *st;		/* of the walk in progress */
	int	depth_max;
	struct qdir_order {
		uint64_t ino;		/* d_ino */
		size_t	off;		/* the name's offset in batch.names */
	}	order[QDIR_BATCH_MAX];	/* the batch's names, to sort */
};

/* qdir_create - a walker handing batches to fn; free with qdir_free */
struct qdir *
qdir_create(qdir_batch_fn fn, void *ctx)
{
	struct qdir *w = xcalloc(1, sizeof(*w));

	w->fn = fn;
	w->ctx = ctx;
	buf_init(&w->batch.names);
	return w;
}

/* qdir_set_enter - tell fn of every directory before it is read */
void
qdir_set_enter(struct qdir *w, qdir_enter_fn fn)
{
	w->enter = fn;
}

/* qdir_free - release a walker */
void
qdir_free(struct qdir *w)
{
	if (w == NULL)
		return;
	buf_free(&w->batch.names);
	free(w);
}

/* qdir_name - the i-th name of a batch, NUL-terminated */
const char *
qdir_name(const struct qdir_batch *b, size_t i)
{
	return b->names.data + b->off[i];
}

/* by_ino - inode order */
static int
by_ino(const void *x, const void *y)
{
	const struct qdir_order *a = x, *b = y;

	return (a->ino > b->ino) - (a->ino < b->ino);
}

/*
 * hand_out - give the names collected in directory dfd to the caller,
 * in inode order: with a cold cache the inodes (and, as file systems
 * allocate, the data) are then read in disk order, not in the order of
 * the directory's hash
 */
static void
hand_out(struct qdir *w, int dfd, const char *rel)
{
	struct qdir_batch *b = &w->batch;
	size_t	i;

	if (b->n == 0)
		return;
	qsort(w->order, b->n, sizeof(w->order[0]), by_ino);
	for (i = 0; i < b->n; i++)
		b->off[i] = w->order[i].off;
	b->dfd = dfd;
	b->rel = rel;
	b->node = w->node;
	w->fn(w->ctx, b);
	b->n = 0;
	buf_reset(&b->names);
}

/* collect - one more name for the batch */
static void
collect(struct qdir *w, const char *name, size_t len, uint64_t ino)
{
	struct qdir_batch *b = &w->batch;

	w->order[b->n].ino = ino;
	w->order[b->n].off = b->names.len;
	b->off[b->n++] = b->names.len;
	buf_add(&b->names, name, len + 1);	/* with its NUL */
}

/* is_subdir - is this entry a directory (without following links)? */
static int
is_subdir(DIR *d, const struct dirent *de)
{
	struct stat sb;

	if (de->d_type == DT_DIR)
		return 1;
	if (de->d_type != DT_UNKNOWN)
		return 0;
	if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	return S_ISDIR(sb.st_mode);
}

static void walk_tree(struct qdir *, int, int, const char *);

/* descend - walk a one-character (hash) subdirectory */
static void
descend(struct qdir *w, DIR *d, const char *name, int depth, const char *rel)
{
	char	sub[REL_PATH_MAX];
	int	fd;

	fd = openat(dirfd(d), name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return;		/* removed since readdir: nothing to count */
		w->st->errors++;
		msg_warn("cannot open %s/%s: %s", rel, name, strerror(errno));
		return;
	}
	snprintf(sub, sizeof(sub), "%s/%s", rel, name);
	walk_tree(w, fd, depth + 1, sub);
}

/*
 * walk_tree - visit every entry of a queue directory; takes over dfd.
 * Files are handed out in batches; hash subdirectories are walked after
 * the files of their parent.
 */
static void
walk_tree(struct qdir *w, int dfd, int depth, const char *rel)
{
	struct scan_stats *st = w->st;
	struct dirent *de;
	char	subdirs[256];
	size_t	nsub = 0, len, i;
	int	node = -1;
	DIR    *d;

	if (w->enter)
		node = w->enter(w->ctx, dfd, rel, depth, w->node);
	w->node = node;
	if ((d = fdopendir(dfd)) == NULL) {
		st->errors++;
		msg_warn("cannot read %s: %s", rel, strerror(errno));
		close(dfd);
		return;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		len = strlen(de->d_name);
		/* Hash directories, as Postfix's mail_scan_dir_next() finds them. */
		if (len == 1 && depth < w->depth_max && is_subdir(d, de)) {
			if (nsub < sizeof(subdirs))
				subdirs[nsub++] = de->d_name[0];
			continue;
		}
		st->files++;
		if (!qf_queue_id_ok(de->d_name, len)
		    || (de->d_type != DT_UNKNOWN && de->d_type != DT_REG)) {
			st->ignored++;
			continue;
		}
		collect(w, de->d_name, len, (uint64_t)de->d_ino);
		if (w->batch.n == QDIR_BATCH_MAX)
			hand_out(w, dirfd(d), rel);
	}
	if (errno != 0) {
		st->errors++;
		msg_warn("cannot read %s: %s", rel, strerror(errno));
	}
	hand_out(w, dirfd(d), rel);
	for (i = 0; i < nsub; i++) {
		char	name[2] = {subdirs[i], '\0'};

		w->node = node;		/* the parent of what descend() enters */
		descend(w, d, name, depth, rel);
	}
	closedir(d);
}

/* qdir_walk - hand out the files of directory dfd and its hash directories */
void
qdir_walk(struct qdir *w, int dfd, const char *rel, int depth_max,
    struct scan_stats *st)
{
	w->st = st;
	w->depth_max = depth_max;
	w->node = -1;
	walk_tree(w, dfd, 0, rel);
}
