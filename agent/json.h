/*
 * json.h - JSON documents read, and JSON written (the only module that
 * includes jansson).
 *
 * SYNOPSIS
 *	struct jdoc *d = jdoc_parse(text, len, err, sizeof(err));
 *	struct jval *v = jval_get(jdoc_root(d), "sender");
 *	const char *s = jval_string(v, &len);
 *	jdoc_free(d);
 *
 *	jstream_init(&js, &out);
 *	jstream_object(&js, NULL);
 *	jstream_array(&js, "rows");
 *	jstream_put(&js, NULL, row);		for each row; write out, reset
 *	jstream_end(&js);
 *	jstream_end(&js);			the document is complete
 *
 * DESCRIPTION
 *	jdoc_parse() accepts one JSON value (duplicate object keys are an
 *	error, NUL inside strings is allowed and shown through the length).
 *	Every jval belongs to its document and is valid until jdoc_free();
 *	nothing else is allocated. Accessors take NULL and a value of the
 *	wrong type alike and answer "absent": callers check types once, the
 *	way a schema would, and never crash on a hostile document.
 *
 *	Writing: jout_object(), jout_array() and the scalars make values;
 *	jout_set() and jout_push() hand a value to its container, which
 *	then owns it, so only the root is given to jout_free().
 *	jout_string() takes valid UTF-8; a byte that is not is written as
 *	'?', so the output is always valid JSON. jout_write() appends the
 *	document, indented with pretty, and a newline. Out of memory is
 *	fatal, as with xalloc.h.
 *
 *	Streaming, for a document too large to hold whole (top --rows 0
 *	over a million senders): jstream_init() starts one document that
 *	is appended to out piece by piece, and the caller may write out
 *	and empty it between any two calls. jstream_object() and
 *	jstream_array() open a container, jstream_end() closes the
 *	innermost one (closing the outermost also writes the newline),
 *	jstream_put() writes one value, a scalar or a whole jout, and
 *	frees it. Each member of an object is named by key; in an array
 *	and at the top, key is NULL. The bytes are those jout_write(v,
 *	out, 1) appends for the same document built whole: jansson still
 *	writes every value, key and escape, and jstream only adds the
 *	separators and the indentation jansson would have written around
 *	them. A jstream allocates nothing and out stays the caller's.
 *	Nesting deeper than JSTREAM_DEPTH, a key where none belongs or none
 *	where one does, is a bug in the caller: abort(3).
 *
 * DIAGNOSTICS
 *	jdoc_parse() returns NULL with "line L column C: kind" in err (the
 *	position left out when jansson has none). The kind is ours ("invalid
 *	JSON syntax", "duplicate key", ...): err never quotes the input.
 */
#ifndef PFQ_JSON_H
#define PFQ_JSON_H

#include <stddef.h>

struct jdoc;
struct jval;

enum jtype {
	JT_ABSENT, JT_NULL, JT_BOOL, JT_INTEGER, JT_REAL, JT_STRING,
	JT_ARRAY, JT_OBJECT
};

struct jdoc *jdoc_parse(const char *, size_t, char *, size_t);
struct jval *jdoc_root(const struct jdoc *);
void	jdoc_free(struct jdoc *);

enum jtype jval_type(const struct jval *);
const char *jval_string(const struct jval *, size_t *);
int	jval_integer(const struct jval *, long long *);
int	jval_bool(const struct jval *, int *);
struct jval *jval_get(const struct jval *, const char *);
size_t	jval_size(const struct jval *);
struct jval *jval_at(const struct jval *, size_t);
int	jval_each(const struct jval *, int (*)(void *, const char *,
	    const struct jval *), void *);

struct jout;
struct buf;

struct jout *jout_object(void);
struct jout *jout_array(void);
struct jout *jout_string(const char *, size_t);
struct jout *jout_integer(long long);
struct jout *jout_null(void);
void	jout_set(struct jout *, const char *, struct jout *);
void	jout_push(struct jout *, struct jout *);
void	jout_write(const struct jout *, struct buf *, int);
void	jout_free(struct jout *);

#define JSTREAM_DEPTH	8

struct jstream {
	struct buf *out;
	int	depth;				/* containers open */
	int	done;				/* the top value is written */
	char	close[JSTREAM_DEPTH];		/* '}' or ']' */
	unsigned char empty[JSTREAM_DEPTH];	/* nothing in it yet */
};

void	jstream_init(struct jstream *, struct buf *);
void	jstream_object(struct jstream *, const char *);
void	jstream_array(struct jstream *, const char *);
void	jstream_put(struct jstream *, const char *, struct jout *);
void	jstream_end(struct jstream *);

#endif
