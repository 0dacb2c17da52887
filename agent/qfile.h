/*
 * qfile.h - extract the envelope facts of one Postfix queue file.
 *
 * SYNOPSIS
 *	parser = qf_parser_create();
 *	qf_input_fd(&input, &fd, &sb, kind);	an open file and its fstat
 *	status = qf_parse(parser, &input, &msg);
 *	status = qf_walk(parser, &input, trace_fn, ctx);
 *	qf_parser_free(parser);
 *
 * DESCRIPTION
 *	qf_parse() follows the record chain of one file from offset 0 to the
 *	first end record it reaches, the way Postfix's own readers do: pointer
 *	records are followed, the message content is skipped with the offsets
 *	of the size record once they are proven right (the record found there
 *	must be the extracted-segment marker), recipients are collected from
 *	the envelope and the extracted segment, and done or canceled
 *	recipients are not counted.
 *
 *	The parser reads bytes only through input->read (pread(2) on a queue
 *	file, as qf_input_fd() sets it up; memcpy in tests and fuzzers), in
 *	a window of at most QF_WINDOW bytes that is allocated once per
 *	parser; parsing a file allocates nothing except when a message has
 *	more recipient domains than any message before it.
 *
 *	qf_walk() visits every record in chain order, content included, and
 *	reports each one to the trace function; it exists for tools and tests
 *	that compare the decoded stream with postcat(1).
 *
 *	Values in struct qf_msg point into the parser and stay valid until the
 *	next call with the same parser.
 *
 * SECURITY
 *	Every byte is attacker-shaped. Lengths are bounded by the file size,
 *	pointer jumps by QF_JUMP_LIMIT, the number of records visited by half
 *	the file size (every record takes at least two bytes, so a longer walk
 *	is a loop), the size record is used only when the record it points at
 *	proves it right, and at most QF_VALUE_MAX bytes of any address or
 *	attribute value are read.
 *
 * DIAGNOSTICS
 *	QF_OK, QF_CORRUPT (the file is not a complete queue file) or QF_IO (a
 *	read failed; errno is kept in qf_errno()). qf_error() names the
 *	problem and qf_error_offset() where it was found.
 */
#ifndef PFQ_QFILE_H
#define PFQ_QFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "qmsg.h"

#define QF_JUMP_LIMIT		10000	/* pointer jumps per file (Postfix's) */
#define QF_READ_CHUNK		8192	/* bytes read at once */
#define QF_WINDOW		65536	/* read window per parser */

enum qf_kind {
	QF_KIND_QUEUE,		/* written by cleanup(8): C record first */
	QF_KIND_MAILDROP	/* written by postdrop(1): T first, no sizes */
};

/* Copy up to len bytes at offset off; return the count, 0 at EOF, -1. */
typedef	ssize_t (*qf_read_fn)(void *ctx, void *dst, size_t len, uint64_t off);

struct qf_input {
	qf_read_fn read;
	void   *ctx;
	uint64_t size;		/* fstat size: nothing past it is read */
	int64_t	mtime;		/* arrival of maildrop files without T */
	enum qf_kind kind;
};

#define QF_OK		0
#define QF_CORRUPT	1
#define QF_IO		2

/* Segments, as reported to trace functions. */
#define QF_SEG_ENVELOPE	0
#define QF_SEG_CONTENT	1
#define QF_SEG_EXTRACT	2

/*
 * Trace callback: one record at file offset off. payload holds the first
 * shown bytes of a payload of full_len bytes (shown < full_len only for
 * payloads longer than the read window).
 */
typedef void (*qf_trace_fn)(void *ctx, uint64_t off, int type,
	    const unsigned char *payload, size_t shown, size_t full_len,
	    int segment);

struct qf_parser;

struct qf_parser *qf_parser_create(void);
void	qf_parser_free(struct qf_parser *);
struct stat;
void	qf_input_fd(struct qf_input *, int *, const struct stat *,
	    enum qf_kind);
int	qf_parse(struct qf_parser *, const struct qf_input *, struct qf_msg *);
int	qf_walk(struct qf_parser *, const struct qf_input *, qf_trace_fn,
	    void *);
const char *qf_error(const struct qf_parser *);
uint64_t qf_error_offset(const struct qf_parser *);
int	qf_errno(const struct qf_parser *);

#endif
