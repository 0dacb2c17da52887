/*
 * jsoncheck - parse JSON files with jansson, the JSON library pfqmon
 * uses, for the tests of the shipped TICK artifacts.
 *
 * usage: jsoncheck FILE...		parse each file; exit 1 on the first error
 *        jsoncheck --vars FILE		a Kapacitor vars file: print one line
 *					"name<TAB>type<TAB>value" per variable
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

int
main(int argc, char **argv)
{
	json_error_t err;
	json_t *root;
	int	i = 1, vars = 0, rc = 0;

	if (argc > 1 && strcmp(argv[1], "--vars") == 0) {
		vars = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: jsoncheck [--vars] FILE...\n");
		return 2;
	}
	for (; i < argc && rc == 0; i++) {
		root = json_load_file(argv[i], JSON_REJECT_DUPLICATES, &err);
		if (root == NULL) {
			fprintf(stderr, "jsoncheck: %s: line %d column %d: %s\n",
			    argv[i], err.line, err.column, err.text);
			return 1;
		}
		if (vars)
			rc = print_vars(argv[i], root);
		json_decref(root);
	}
	return rc;
}
