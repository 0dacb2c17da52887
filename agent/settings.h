/*
 * settings.h - every option pfqmon has, in one table shared by the
 * command line and the JSON configuration file.
 *
 * SYNOPSIS
 *	settings_init(&s);			defaults
 *	settings_set(&s, def, "10s", err, n);	one value, as text (command line)
 *	settings_merge(&dst, &src);		src's explicitly set options win
 *	settings_finish(&s, err, n);		check combinations, read secrets
 *	settings_free(&s);
 *
 * DESCRIPTION
 *	Each option has one name: "--push-db" on the command line is
 *	"push_db" in the configuration file. settings_table() lists them
 *	(the JSON reader in config.c and the command-line front end in cli.c
 *	both walk it), so every command-line option has a configuration key
 *	by construction. A few entries are file-only (the secrets themselves,
 *	which should not appear in ps output) and marked so.
 *
 *	Each option also says what it may do when sudo runs pfqmon as a
 *	user (enum setting_sudo): sudo.c refuses, in that case, every option
 *	that reads a file or sends data anywhere but stdout.
 *
 *	settings_cli_name() spells a key as the command line does
 *	("push_db" -> "push-db").
 *
 *	Each default is written once, in the table (default_value; strings
 *	and tags have none): settings_init() sets it, and
 *	settings_default_text() spells it for --help ("10s", "16 MiB"),
 *	where the option's help text says "{default}" (cli.c).
 *
 *	Values are bounded: counts and durations have a minimum and a
 *	maximum, strings a length. settings_finish() rejects impossible
 *	combinations and resolves each secret from exactly one source (the
 *	file, a file it names, or an environment variable).
 *
 *	settings_parse_listen() reads a --listen value (struct listen_addr),
 *	without looking any name up: 0, or -1 with the reason in err.
 *
 *	settings_open_file() opens a file the settings name (the
 *	configuration, a secret, a CA bundle) for reading without blocking
 *	and only if it is a regular file, so a FIFO or a device named by
 *	mistake or malice cannot hang pfqmon at start or on reload.
 *
 * DIAGNOSTICS
 *	Functions return 0 or -1 with a one-line reason in err that names
 *	the option; callers add where the value came from and exit 2.
 */
#ifndef PFQ_SETTINGS_H
#define PFQ_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#define SETTINGS_TAGS_MAX	16
#define SETTINGS_STRING_MAX	4096	/* paths, URLs, names, secrets */

/*
 * pfqmon serve (settings.serve): where it listens and how often it
 * scans unless --listen and --interval say otherwise. The port is the
 * one Postfix exporters use (kumina/postfix_exporter); a --listen
 * without a port takes it too.
 */
#define SETTINGS_LISTEN_PORT	9154
#define SETTINGS_STR_(x)	#x
#define SETTINGS_STR(x)		SETTINGS_STR_(x)
#define SETTINGS_LISTEN_DEFAULT	":" SETTINGS_STR(SETTINGS_LISTEN_PORT)
#define SETTINGS_SERVE_INTERVAL	"15s"

enum setting_type {
	SET_STRING,
	SET_COUNT,		/* unsigned integer within [min, max] */
	SET_DURATION,		/* "500ms", "10s", "1m", "1h" -> milliseconds */
	SET_FLAG,		/* boolean; a bare flag on the command line */
	SET_TAG			/* key=value; an object in the file */
};

struct tag {
	char   *key;
	char   *value;
};

struct settings {
	char   *queue_dir;
	char   *config_dir;
	char   *user;			/* as root, become this user */
	char   *source;			/* spool, postqueue, auto (NULL) */
	uint64_t top;
	uint64_t threads;	/* 0: one per online core, at most 8 */
	int	no_cache;		/* loop modes: no rescan cache */
	int	no_watch;		/* loop modes: no inotify */
	uint64_t full_rescan_ms;	/* watched: list everything this often */
	uint64_t now;			/* 0: the current time */
	int	verbose;
	uint64_t interval_ms;		/* 0: one scan and exit */
	int	execd;
	char   *push_url;
	char   *push_db;
	char   *push_rp;
	char   *push_user;
	char   *push_password;
	char   *push_password_file;
	char   *push_password_env;
	char   *push_org;
	char   *push_bucket;
	char   *push_token;
	char   *push_token_file;
	char   *push_token_env;
	char   *push_ca_file;
	int	push_insecure;
	int	push_no_gzip;
	uint64_t push_timeout_ms;
	uint64_t push_connect_timeout_ms;
	uint64_t push_buffer_bytes;
	char   *format;			/* NULL or "influx"; "openmetrics" */
	char   *listen;			/* serve /metrics here (serve.h) */
	uint64_t listen_connections;	/* at once */
	uint64_t listen_timeout_ms;	/* idle connection */
	int	serve;			/* pfqmon serve: listen by default
					 * (not an option: the command) */
	struct tag tags[SETTINGS_TAGS_MAX];
	size_t	ntags;
	uint64_t set;			/* bit per table entry: set explicitly */
};

/*
 * What an option may do when sudo runs pfqmon as a user (sudo.c). The
 * zero value refuses: an option is allowed only once it is declared
 * harmless.
 */
enum setting_sudo {
	SUDO_ROOT_ONLY = 0,	/* refused: only root may give it */
	SUDO_STDOUT,		/* allowed: shapes only what goes to stdout */
	SUDO_TRUSTED_DIR,	/* a directory: only one root alone controls */
	SUDO_READS_FILE,	/* refused: reads a file the caller names */
	SUDO_SENDS		/* refused: sends data elsewhere than stdout */
};

/*
 * A --listen address: ADDR:PORT, [IPV6]:PORT, :PORT (every address,
 * IPv6 and IPv4), or ADDR alone (SETTINGS_LISTEN_PORT); numeric
 * addresses only, so that no name lookup decides where pfqmon listens.
 */
struct listen_addr {
	int	family;			/* AF_INET, AF_INET6; 0: every address */
	unsigned char addr[16];		/* network order; 4 bytes for IPv4 */
	unsigned port;
};

struct setting_def {
	const char *name;		/* configuration key; '-' for '_' on the CLI */
	int	short_opt;		/* or 0 */
	enum setting_type type;
	size_t	offset;			/* into struct settings */
	uint64_t min, max;		/* counts; durations in milliseconds */
	uint64_t default_value;		/* the same units; flags 0 or 1 */
	int	bytes;			/* a count of bytes: "16 MiB" in --help */
	int	file_only;		/* not a command-line option */
	enum setting_sudo sudo;		/* through sudo as a user */
	const char *arg;		/* argument name for --help, NULL for flags */
	const char *help;		/* "{default}": the default, as text */
};

const struct setting_def *settings_table(size_t *);
const struct setting_def *settings_find(const char *);
void	settings_cli_name(char *, size_t, const char *);
void	settings_default_text(char *, size_t, const struct setting_def *);
void	settings_init(struct settings *);
void	settings_free(struct settings *);
int	settings_set(struct settings *, const struct setting_def *, const char *,
	    char *, size_t);
int	settings_set_tag(struct settings *, const char *, const char *, char *,
	    size_t);
void	settings_mark(struct settings *, const struct setting_def *);
void	settings_merge(struct settings *, const struct settings *);
int	settings_finish(struct settings *, char *, size_t);
int	settings_parse_duration(const char *, uint64_t *);
int	settings_parse_listen(const char *, struct listen_addr *, char *, size_t);
struct stat;
int	settings_open_file(const char *, struct stat *, char *, size_t);

#endif
