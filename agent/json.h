/*
 * json.h - read-only JSON documents (the only module that includes
 * jansson).
 *
 * SYNOPSIS
 *	struct jdoc *d = jdoc_parse(text, len, err, sizeof(err));
 *	struct jval *v = jval_get(jdoc_root(d), "sender");
 *	const char *s = jval_string(v, &len);
 *	jdoc_free(d);
 *
 * DESCRIPTION
 *	jdoc_parse() accepts one JSON value (duplicate object keys are an
 *	error, NUL inside strings is allowed and shown through the length).
 *	Every jval belongs to its document and is valid until jdoc_free();
 *	nothing else is allocated. Accessors take NULL and a value of the
 *	wrong type alike and answer "absent": callers check types once, the
 *	way a schema would, and never crash on a hostile document.
 *
 * DIAGNOSTICS
 *	jdoc_parse() returns NULL with "line L column C: reason" in err;
 *	the reason may quote the input.
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

#endif
