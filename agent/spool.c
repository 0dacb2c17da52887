/*
 * spool.c - the queue directory walker (see spool.h).
 *
 * Trusts nothing below the queue directory: names, file types, modes and
 * contents are all checked before use, and a file that disappears while
 * it is being looked at is an everyday event, not an error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "spool.h"
#include "xalloc.h"

#define REL_PATH_MAX	256		/* queue-relative path, for messages */
#define QUEUE_ID_MAX	255		/* Postfix's mail_queue_id_ok() bound */

/* Set of (device, inode) keys of the files counted in this scan. */
struct inoset {
	uint64_t *slot;			/* 0 is empty */
	size_t	mask;
	size_t	n;
};

struct walker {
	struct agg *agg;
	struct scan_stats *st;
	struct qf_parser *parser;
	struct inoset seen;
	dev_t	dev;			/* device of the queue directory */
};

/* inoset_slot - where key is, or the empty slot where it would go */
static size_t
inoset_slot(const struct inoset *s, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;
	size_t	i;

	for (i = (size_t)(h >> 32 ^ h) & s->mask; s->slot[i] && s->slot[i] != key;
	    i = (i + 1) & s->mask)
		;
	return i;
}

/* inoset_add - remember key; returns 0 if it was already there */
static int
inoset_add(struct inoset *s, uint64_t key)
{
	size_t	i, nslots;
	uint64_t *old;

	if (s->slot == NULL || (s->n + 1) * 4 > (s->mask + 1) * 3) {
		old = s->slot;
		nslots = old ? (s->mask + 1) * 2 : 1024;
		s->slot = xcalloc(nslots, sizeof(*s->slot));
		s->mask = nslots - 1;
		for (i = 0; old && i < nslots / 2; i++)
			if (old[i])
				s->slot[inoset_slot(s, old[i])] = old[i];
		free(old);
	}
	i = inoset_slot(s, key);
	if (s->slot[i])
		return 0;
	s->slot[i] = key;
	s->n++;
	return 1;
}

/* inoset_has - was key counted already? */
static int
inoset_has(const struct inoset *s, uint64_t key)
{
	return s->slot != NULL && s->slot[inoset_slot(s, key)] == key;
}

/*
 * file_key - identity of a file for duplicate detection. The spool lives
 * on one file system, so the inode alone is exact; a file on another
 * device (a hash directory that is a mount point) gets a mixed key.
 */
static uint64_t
file_key(const struct walker *W, const struct stat *sb)
{
	uint64_t key = (uint64_t)sb->st_ino;

	if (sb->st_dev != W->dev)
		key ^= ((uint64_t)sb->st_dev + 1) * 0xc2b2ae3d27d4eb4fULL;
	return key ? key : 1;
}

/* queue_id_ok - Postfix's rule: 1 to 255 of [A-Za-z0-9_] */
static int
queue_id_ok(const char *name, size_t len)
{
	size_t	i;

	if (len == 0 || len > QUEUE_ID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char	c = name[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
		    || (c >= 'a' && c <= 'z') || c == '_'))
			return 0;
	}
	return 1;
}

/* fd_pread - the queue-file parser's read function */
static ssize_t
fd_pread(void *ctx, void *dst, size_t len, uint64_t off)
{
	const int *fd = ctx;

	if (off > (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	return pread(*fd, dst, len, (off_t)off);
}

/* note - verbose per-file diagnostic with a log-safe name */
static void
note(const char *rel, const char *name, const char *what)
{
	char	safe[QUEUE_ID_MAX + 1];

	if (msg_verbose)
		msg_info("%s/%s: %s", rel,
		    printable_for_log(safe, sizeof(safe), name, strlen(name)),
		    what);
}

/* count_parsed - hand the result of one file to the counters */
static void
count_parsed(struct walker *W, int rc, enum pfq_queue q, uint64_t key,
    const struct qf_msg *m, uint64_t file_size, const char *rel,
    const char *name)
{
	char	why[160];

	switch (rc) {
	case QF_OK:
		W->st->parsed++;
		inoset_add(&W->seen, key);
		agg_add(W->agg, q, m);
		return;
	case QF_CORRUPT:
		W->st->unparseable++;
		snprintf(why, sizeof(why), "not a valid queue file: %s at offset %llu",
		    qf_error(W->parser),
		    (unsigned long long)qf_error_offset(W->parser));
		note(rel, name, why);
		/* The corrupt queue holds exactly such files: still count it. */
		if (q == Q_CORRUPT) {
			inoset_add(&W->seen, key);
			agg_add_unparsed(W->agg, q, file_size);
		}
		return;
	default:
		W->st->errors++;
		snprintf(why, sizeof(why), "read error: %s",
		    strerror(qf_errno(W->parser)));
		note(rel, name, why);
	}
}

/* scan_file - open, check and parse one queue file */
static void
scan_file(struct walker *W, int dfd, const char *name, enum pfq_queue q,
    const char *rel)
{
	struct stat sb;
	struct qf_input in;
	struct qf_msg m;
	uint64_t key = 0;
	int	fd, rc;

	fd = openat(dfd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			W->st->vanished++;
		else if (errno == ELOOP || errno == ENXIO)
			W->st->ignored++;	/* symbolic link, socket */
		else {
			W->st->errors++;
			note(rel, name, strerror(errno));
		}
		return;
	}
	if (fstat(fd, &sb) < 0) {
		W->st->errors++;
		note(rel, name, strerror(errno));
	} else if (!S_ISREG(sb.st_mode)) {
		W->st->ignored++;
	} else if (q != Q_CORRUPT && (sb.st_mode & S_IRWXU) != S_IRWXU) {
		W->st->skipped++;	/* cleanup or postdrop still writing */
	} else if (inoset_has(&W->seen, key = file_key(W, &sb))) {
		W->st->duplicates++;	/* renamed into a queue scanned later */
	} else {
		in.read = fd_pread;
		in.ctx = &fd;
		in.size = (uint64_t)sb.st_size;
		in.mtime = (int64_t)sb.st_mtime;
		in.kind = q == Q_MAILDROP ? QF_KIND_MAILDROP : QF_KIND_QUEUE;
		rc = qf_parse(W->parser, &in, &m);
		count_parsed(W, rc, q, key, &m, in.size, rel, name);
	}
	close(fd);
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

static void walk_dir(struct walker *, int, enum pfq_queue, int, const char *);

/* descend - walk a one-character (hash) subdirectory */
static void
descend(struct walker *W, DIR *d, const char *name, enum pfq_queue q,
    int depth, const char *rel)
{
	char	sub[REL_PATH_MAX];
	int	fd;

	fd = openat(dirfd(d), name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return;		/* removed since readdir: nothing to count */
		W->st->errors++;
		msg_warn("cannot open %s/%s: %s", rel, name, strerror(errno));
		return;
	}
	snprintf(sub, sizeof(sub), "%s/%s", rel, name);
	walk_dir(W, fd, q, depth + 1, sub);
}

/* walk_dir - visit every entry of a queue directory; takes over dfd */
static void
walk_dir(struct walker *W, int dfd, enum pfq_queue q, int depth,
    const char *rel)
{
	struct dirent *de;
	DIR    *d;
	size_t	len;

	if ((d = fdopendir(dfd)) == NULL) {
		W->st->errors++;
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
		if (len == 1 && q != Q_MAILDROP && depth < SPOOL_DEPTH_MAX
		    && is_subdir(d, de)) {
			descend(W, d, de->d_name, q, depth, rel);
			continue;
		}
		W->st->files++;
		if (!queue_id_ok(de->d_name, len)
		    || (de->d_type != DT_UNKNOWN && de->d_type != DT_REG)) {
			W->st->ignored++;
			continue;
		}
		scan_file(W, dirfd(d), de->d_name, q, rel);
	}
	if (errno != 0) {
		W->st->errors++;
		msg_warn("cannot read %s: %s", rel, strerror(errno));
	}
	closedir(d);
}

/* spool_scan - one pass over every queue of a queue directory */
int
spool_scan(const char *dir, struct agg *agg, struct scan_stats *st,
    char *err, size_t errlen)
{
	static const char *const names[] = SCHEMA_QUEUE_NAMES;
	/* showq's order; any order can see a moving file twice or not at all */
	static const enum pfq_queue order[] = {
		Q_MAILDROP, Q_ACTIVE, Q_INCOMING, Q_DEFERRED, Q_HOLD, Q_CORRUPT,
	};
	char	safe[REL_PATH_MAX];
	struct walker W;
	struct stat sb;
	size_t	i;
	int	root, fd, rc = 0;

	memset(st, 0, sizeof(*st));
	memset(&W, 0, sizeof(W));
	printable_for_log(safe, sizeof(safe), dir, strlen(dir));
	if ((root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot open queue directory %s: %s",
		    safe, strerror(errno));
		return -1;
	}
	if (fstat(root, &sb) < 0) {
		snprintf(err, errlen, "cannot stat queue directory %s: %s",
		    safe, strerror(errno));
		close(root);
		return -1;
	}
	W.agg = agg;
	W.st = st;
	W.dev = sb.st_dev;
	W.parser = qf_parser_create();
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *name = names[order[i]];

		fd = openat(root, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;	/* Postfix creates some queues on demand */
		if (fd < 0) {
			snprintf(err, errlen, "cannot open queue %s/%s: %s%s",
			    safe, name, strerror(errno), errno == EACCES ?
			    " (run pfqmon as root or as the mail_owner user, "
			    "e.g. sudo -u postfix; never change queue "
			    "permissions)" : "");
			rc = -1;
			break;
		}
		walk_dir(&W, fd, order[i], 0, name);
	}
	qf_parser_free(W.parser);
	free(W.seen.slot);
	close(root);
	return rc;
}
