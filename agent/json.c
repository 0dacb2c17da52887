/*
 * json.c - JSON documents over jansson, read and written (json.h).
 *
 * The only file that includes jansson; no json_t leaves it. A struct
 * jval is a json_t seen from outside: the documents read are never
 * changed. A struct jout is a json_t being built, and a struct jstream
 * writes a document around such values without holding it. Trusts
 * jansson to bound its own parsing; callers bound the text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "json.h"
#include "msg.h"
#include "xalloc.h"

#define JOUT_INDENT	2	/* spaces per level, pretty */

struct jdoc {
	json_t *root;
};

/* as_json, as_jval - the same object under its two names */
static json_t *
as_json(const struct jval *v)
{
	json_t *j;

	memcpy(&j, &v, sizeof(j));
	return j;
}

static struct jval *
as_jval(json_t *j)
{
	struct jval *v;

	memcpy(&v, &j, sizeof(v));
	return v;
}

/*
 * error_kind - what went wrong, in words of our own: jansson's own text
 * quotes the input near the error, and the input may be a file that is
 * not ours to show (a secret, a queue file named by mistake).
 */
static const char *
error_kind(const json_error_t *jerr)
{
	switch (json_error_code(jerr)) {
	case json_error_out_of_memory:
		return "out of memory";
	case json_error_stack_overflow:
		return "nested too deeply";
	case json_error_invalid_utf8:
		return "invalid UTF-8";
	case json_error_premature_end_of_input:
		return "the text ends inside a JSON value";
	case json_error_end_of_input_expected:
		return "more text after the JSON value";
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return "a NUL character where none is allowed";
	case json_error_duplicate_key:
		return "duplicate key";
	case json_error_numeric_overflow:
		return "a number out of range";
	case json_error_invalid_syntax:
		return "invalid JSON syntax";
	default:
		return "not valid JSON";
	}
}

/* jdoc_parse - see json.h */
struct jdoc *
jdoc_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	struct jdoc *d;
	json_t *root;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL
	    | JSON_DECODE_ANY, &jerr);
	if (root == NULL) {
		if (jerr.line > 0 && jerr.column > 0)
			snprintf(err, errlen, "line %d column %d: %s", jerr.line,
			    jerr.column, error_kind(&jerr));
		else
			snprintf(err, errlen, "%s", error_kind(&jerr));
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->root = root;
	return d;
}

struct jval *
jdoc_root(const struct jdoc *d)
{
	return as_jval(d->root);
}

void
jdoc_free(struct jdoc *d)
{
	if (d == NULL)
		return;
	json_decref(d->root);
	free(d);
}

/* jval_type - see json.h */
enum jtype
jval_type(const struct jval *v)
{
	json_t *j = as_json(v);

	if (j == NULL)
		return JT_ABSENT;
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return JT_OBJECT;
	case JSON_ARRAY:
		return JT_ARRAY;
	case JSON_STRING:
		return JT_STRING;
	case JSON_INTEGER:
		return JT_INTEGER;
	case JSON_REAL:
		return JT_REAL;
	case JSON_TRUE:
	case JSON_FALSE:
		return JT_BOOL;
	default:
		return JT_NULL;
	}
}

/* jval_string - the bytes of a string value and their length, or NULL */
const char *
jval_string(const struct jval *v, size_t *len)
{
	json_t *j = as_json(v);

	if (j == NULL || !json_is_string(j))
		return NULL;
	*len = json_string_length(j);
	return json_string_value(j);
}

/* jval_integer, jval_bool - 0 and the value, or -1 when it is not one */
int
jval_integer(const struct jval *v, long long *out)
{
	json_t *j = as_json(v);

	if (j == NULL || !json_is_integer(j))
		return -1;
	*out = (long long)json_integer_value(j);
	return 0;
}

int
jval_bool(const struct jval *v, int *out)
{
	json_t *j = as_json(v);

	if (j == NULL || !json_is_boolean(j))
		return -1;
	*out = json_is_true(j);
	return 0;
}

/* jval_get - an object's member, or NULL */
struct jval *
jval_get(const struct jval *v, const char *key)
{
	json_t *j = as_json(v);

	if (j == NULL || !json_is_object(j))
		return NULL;
	return as_jval(json_object_get(j, key));
}

/* jval_size, jval_at - an array's length and its elements */
size_t
jval_size(const struct jval *v)
{
	json_t *j = as_json(v);

	if (j == NULL)
		return 0;
	if (json_is_array(j))
		return json_array_size(j);
	if (json_is_object(j))
		return json_object_size(j);
	return 0;
}

struct jval *
jval_at(const struct jval *v, size_t i)
{
	json_t *j = as_json(v);

	if (j == NULL || !json_is_array(j))
		return NULL;
	return as_jval(json_array_get(j, i));
}

/*
 * jval_each - call fn for each member of an object, in the document's
 * order, until it returns non-zero; returns that, or 0, or -1 if v is
 * not an object.
 */
int
jval_each(const struct jval *v, int (*fn)(void *, const char *,
    const struct jval *), void *ctx)
{
	json_t *j = as_json(v), *member;
	const char *key;
	int	rc;

	if (j == NULL || !json_is_object(j))
		return -1;
	json_object_foreach(j, key, member) {
		if ((rc = fn(ctx, key, as_jval(member))) != 0)
			return rc;
	}
	return 0;
}

/* out_json, as_jout - a value being written under its two names */
static json_t *
out_json(const struct jout *v)
{
	json_t *j;

	memcpy(&j, &v, sizeof(j));
	return j;
}

static struct jout *
as_jout(json_t *j)
{
	struct jout *v;

	if (j == NULL)
		msg_fatal(MSG_EXIT_FAIL, "out of memory");
	memcpy(&v, &j, sizeof(v));
	return v;
}

struct jout *
jout_object(void)
{
	return as_jout(json_object());
}

struct jout *
jout_array(void)
{
	return as_jout(json_array());
}

struct jout *
jout_null(void)
{
	return as_jout(json_null());
}

struct jout *
jout_integer(long long n)
{
	return as_jout(json_integer((json_int_t)n));
}

/* jout_string - valid UTF-8 as is; otherwise non-ASCII bytes become '?' */
struct jout *
jout_string(const char *s, size_t len)
{
	json_t *j;
	char   *ascii;
	size_t	i;

	if ((j = json_stringn(s, len)) != NULL)
		return as_jout(j);
	ascii = xmalloc(len + 1);
	for (i = 0; i < len; i++)
		ascii[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	j = json_stringn(ascii, len);
	free(ascii);
	return as_jout(j);
}

/* jout_set - obj[key] = v; obj owns v */
void
jout_set(struct jout *obj, const char *key, struct jout *v)
{
	if (json_object_set_new(out_json(obj), key, out_json(v)) < 0)
		msg_fatal(MSG_EXIT_FAIL, "out of memory");
}

/* jout_push - append v to arr; arr owns v */
void
jout_push(struct jout *arr, struct jout *v)
{
	if (json_array_append_new(out_json(arr), out_json(v)) < 0)
		msg_fatal(MSG_EXIT_FAIL, "out of memory");
}

/* jout_write - the document and a newline, appended to out */
void
jout_write(const struct jout *v, struct buf *out, int pretty)
{
	char   *text;

	text = json_dumps(out_json(v), JSON_ENCODE_ANY | (pretty ?
	    JSON_INDENT(JOUT_INDENT) : JSON_COMPACT));
	if (text == NULL)
		msg_fatal(MSG_EXIT_FAIL, "out of memory");
	buf_adds(out, text);
	buf_addc(out, '\n');
	free(text);
}

/* jout_free - the root and everything it owns */
void
jout_free(struct jout *v)
{
	json_decref(out_json(v));
}

/*
 * A jstream writes around its values what jansson's pretty dump writes
 * around the members of a container: "{" or "[", before each member a
 * comma (but the first) and a line break indented one level deeper,
 * after the last a line break at the container's own level, then "}"
 * or "]"; an empty container is "{}" or "[]". A value at depth d is
 * dumped by jansson as at the top, and each line break in its text
 * gets d levels more: jansson escapes the line breaks inside strings,
 * so every raw one in its text is one of its own indentations.
 */

/* Where a value's text goes: the stream's buffer, at the stream's depth. */
struct dump_to {
	struct buf *out;
	int	depth;
};

/* line_break - a line break and the indentation of depth levels */
static void
line_break(struct buf *out, int depth)
{
	int	i;

	buf_addc(out, '\n');
	for (i = 0; i < depth * JOUT_INDENT; i++)
		buf_addc(out, ' ');
}

/* dump_indented - jansson's dump callback: text, indented to->depth more */
static int
dump_indented(const char *text, size_t len, void *ctx)
{
	const struct dump_to *to = ctx;
	const char *nl;
	size_t	n;

	while ((nl = memchr(text, '\n', len)) != NULL) {
		n = (size_t)(nl - text);
		buf_add(to->out, text, n);
		line_break(to->out, to->depth);
		text += n + 1;
		len -= n + 1;
	}
	buf_add(to->out, text, len);
	return 0;
}

/* dump - v as jansson writes it pretty, at depth, appended to out */
static void
dump(struct buf *out, int depth, const json_t *v)
{
	struct dump_to to;

	to.out = out;
	to.depth = depth;
	/* Its strings were checked when made: only memory can fail. */
	if (json_dump_callback(v, dump_indented, &to, JSON_ENCODE_ANY |
	    JSON_INDENT(JOUT_INDENT)) < 0)
		msg_fatal(MSG_EXIT_FAIL, "out of memory");
}

/* jstream_init - a document to be written to out */
void
jstream_init(struct jstream *js, struct buf *out)
{
	memset(js, 0, sizeof(*js));
	js->out = out;
}

/* member - what comes before a value: a comma, a line break, its key */
static void
member(struct jstream *js, const char *key)
{
	int	in_object = js->depth > 0 && js->close[js->depth - 1] == '}';
	struct jout *k;

	if (js->done || (key != NULL) != in_object)
		msg_panic("jstream: a value %s a key where %s", key ? "with" :
		    "without", in_object ? "an object wants one" : "none belongs");
	if (js->depth > 0) {
		if (!js->empty[js->depth - 1])
			buf_addc(js->out, ',');
		js->empty[js->depth - 1] = 0;
		line_break(js->out, js->depth);
	}
	if (key != NULL) {
		/* jansson writes a key as it writes a string */
		k = jout_string(key, strlen(key));
		dump(js->out, 0, out_json(k));
		jout_free(k);
		buf_add(js->out, ": ", 2);
	}
}

/* doc_end - after the top value, the newline jout_write() ends with */
static void
doc_end(struct jstream *js)
{
	if (js->depth == 0) {
		buf_addc(js->out, '\n');
		js->done = 1;
	}
}

/* open_container - "{" or "[", and one level more */
static void
open_container(struct jstream *js, const char *key, char open, char close)
{
	if (js->depth == JSTREAM_DEPTH)
		msg_panic("jstream: deeper than %d levels", JSTREAM_DEPTH);
	member(js, key);
	buf_addc(js->out, open);
	js->close[js->depth] = close;
	js->empty[js->depth] = 1;
	js->depth++;
}

/* jstream_object, jstream_array - open a container */
void
jstream_object(struct jstream *js, const char *key)
{
	open_container(js, key, '{', '}');
}

void
jstream_array(struct jstream *js, const char *key)
{
	open_container(js, key, '[', ']');
}

/* jstream_end - close the innermost container */
void
jstream_end(struct jstream *js)
{
	if (js->depth == 0)
		msg_panic("jstream_end: no container is open");
	js->depth--;
	if (!js->empty[js->depth])
		line_break(js->out, js->depth);
	buf_addc(js->out, js->close[js->depth]);
	doc_end(js);
}

/* jstream_put - v written as a member or element, then freed */
void
jstream_put(struct jstream *js, const char *key, struct jout *v)
{
	member(js, key);
	dump(js->out, js->depth, out_json(v));
	jout_free(v);
	doc_end(js);
}
