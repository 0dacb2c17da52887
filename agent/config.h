/*
 * config.h - pfqmon's JSON configuration file (jansson).
 *
 * config_settings() builds the effective settings: defaults, then FILE
 * (or none), then the command line's explicitly set options, which win;
 * then settings_finish(). On -1 nothing is left to free.
 *
 * config_load() applies the options in FILE to *s, marking each as set;
 * it returns 0, or -1 with a one-line reason in err that names the file,
 * the line and the key. Nothing is applied partially that could be
 * mistaken for success: on -1 the caller discards *s.
 */
#ifndef PFQ_CONFIG_H
#define PFQ_CONFIG_H

#include <stddef.h>

#include "settings.h"

int	config_settings(struct settings *, const struct settings *, const char *,
	    char *, size_t);
int	config_load(const char *, struct settings *, char *, size_t);
int	config_parse(const char *, size_t, const char *, struct settings *,
	    char *, size_t);

#endif
