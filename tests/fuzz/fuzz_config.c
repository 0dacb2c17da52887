/*
 * fuzz_config.c - libFuzzer target for the configuration reader: any
 * bytes as a configuration file must give either settings or one error
 * line, and settings_finish() must cope with whatever was accepted.
 * jansson parses, config.c's key scanner finds lines, settings.c checks
 * every value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "settings.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings s;
	char	err[1024];

	settings_init(&s);
	err[0] = '\0';
	if (config_parse((const char *)data, size, "fuzz.json", &s, err,
	    sizeof(err)) == 0) {
		/* Secrets from files or the environment are not fuzzed. */
		free(s.push_password_file);
		free(s.push_token_file);
		free(s.push_password_env);
		free(s.push_token_env);
		s.push_password_file = s.push_token_file = NULL;
		s.push_password_env = s.push_token_env = NULL;
		(void)settings_finish(&s, err, sizeof(err));
	} else if (err[0] == '\0' || memchr(err, '\n', strlen(err)) != NULL) {
		abort();		/* an error must be exactly one line */
	}
	settings_free(&s);
	return 0;
}
