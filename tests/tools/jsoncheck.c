/*
 * jsoncheck - parse JSON files with jansson, the JSON library pfqmon
 * uses, for the tests of the shipped TICK artifacts.
 *
 * usage: jsoncheck FILE...		parse each file; exit 1 on the first error
 *        jsoncheck --vars FILE		a Kapacitor vars file: print one line
 *					"name<TAB>type<TAB>value" per variable
 *        jsoncheck --pretty FILE...	also: each file is byte for byte what
 *					jansson writes for the document it
 *					holds, indented by 2, and a newline
 *					(what pfqmon top wrote before it
 *					streamed its JSON)
 *
 * A vars file is an object of name -> {"type": T, "value": V} with an
 * optional "description" string and nothing else; T is one of Kapacitor's
 * var types. Errors name the file, line and column (or the variable).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *const var_types[] = {
	"bool", "int", "float", "duration", "string", "regex", "lambda",
	"star", "list", NULL,
};

/* known_type - is t one of Kapacitor's var types? */
static int
known_type(const char *t)
{
	int	i;

	for (i = 0; var_types[i]; i++)
		if (strcmp(t, var_types[i]) == 0)
			return 1;
	return 0;
}

/* print_vars - check the vars-file shape and print each variable */
static int
print_vars(const char *path, json_t *root)
{
	const char *name, *key;
	json_t *var, *member, *type;
	char   *value;

	if (!json_is_object(root)) {
		fprintf(stderr, "jsoncheck: %s: not a JSON object\n", path);
		return 1;
	}
	json_object_foreach(root, name, var) {
		type = json_object_get(var, "type");
		if (!json_is_object(var) || !json_is_string(type)
		    || !known_type(json_string_value(type))) {
			fprintf(stderr, "jsoncheck: %s: var %s: no valid \"type\"\n",
			    path, name);
			return 1;
		}
		json_object_foreach(var, key, member) {
			if (strcmp(key, "type") && strcmp(key, "value")
			    && strcmp(key, "description")) {
				fprintf(stderr, "jsoncheck: %s: var %s: unknown member %s\n",
				    path, name, key);
				return 1;
			}
		}
		if (strcmp(json_string_value(type), "star") != 0
		    && json_object_get(var, "value") == NULL) {
			fprintf(stderr, "jsoncheck: %s: var %s: no value\n", path, name);
			return 1;
		}
		value = json_dumps(json_object_get(var, "value"),
		    JSON_COMPACT | JSON_ENCODE_ANY);
		printf("%s\t%s\t%s\n", name, json_string_value(type),
		    value ? value : "null");
		free(value);
	}
	return 0;
}

/* same_as_dump - is the file exactly jansson's pretty dump of root? */
static int
same_as_dump(const char *path, json_t *root)
{
	FILE   *f;
	char   *text, *file;
	size_t	len, n, i;
	long	size;
	int	rc = 1;

	text = json_dumps(root, JSON_ENCODE_ANY | JSON_INDENT(2));
	if (text == NULL || (f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "jsoncheck: %s: cannot dump or reopen\n", path);
		free(text);
		return 1;
	}
	len = strlen(text);
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (file = malloc((size_t)size + 1))) {
		n = fread(file, 1, (size_t)size, f);
		for (i = 0; i < n && i < len && file[i] == text[i]; i++)
			;
		if (n == len + 1 && i == len && file[len] == '\n')
			rc = 0;
		else
			fprintf(stderr, "jsoncheck: %s: not what jansson writes: "
			    "first difference at byte %zu of %zu (jansson: %zu)\n",
			    path, i, n, len + 1);
		free(file);
	} else {
		fprintf(stderr, "jsoncheck: %s: cannot read\n", path);
	}
	fclose(f);
	free(text);
	return rc;
}

int
main(int argc, char **argv)
{
	json_error_t err;
	json_t *root;
	int	i = 1, vars = 0, pretty = 0, rc = 0;

	if (argc > 1 && strcmp(argv[1], "--vars") == 0) {
		vars = 1;
		i++;
	} else if (argc > 1 && strcmp(argv[1], "--pretty") == 0) {
		pretty = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: jsoncheck [--vars | --pretty] FILE...\n");
		return 2;
	}
	for (; i < argc && rc == 0; i++) {
		root = json_load_file(argv[i], JSON_REJECT_DUPLICATES |
		    (pretty ? JSON_ALLOW_NUL | JSON_DECODE_ANY : 0), &err);
		if (root == NULL) {
			fprintf(stderr, "jsoncheck: %s: line %d column %d: %s\n",
			    argv[i], err.line, err.column, err.text);
			return 1;
		}
		if (vars)
			rc = print_vars(argv[i], root);
		else if (pretty)
			rc = same_as_dump(argv[i], root);
		json_decref(root);
	}
	return rc;
}
