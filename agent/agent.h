/*
 * agent.h - run pfqmon in the mode its settings ask for.
 *
 * agent_run() builds the effective settings (defaults, then the JSON
 * configuration file, then the command line, which wins), finds the
 * queue directory, and runs:
 *
 *	one-shot (default)	scan once, print or push, exit;
 *	--interval D		scan at every multiple of D (wall clock), with
 *				that time as the timestamp of every line, until
 *				SIGTERM or SIGINT;
 *	--execd			Telegraf inputs.execd, signal = "STDIN": one scan
 *				per line read on stdin, exit when stdin closes.
 *
 * With --push each scan goes to InfluxDB through a bounded queue
 * (outq.c): failed attempts that may succeed later are retried with
 * exponential backoff and jitter, honouring Retry-After; scans keep
 * running meanwhile; a rejected batch is dropped and reported. SIGHUP
 * reloads the configuration file (the command line still wins); a bad
 * file keeps the previous settings. SIGTERM and SIGINT end the loop after
 * the current scan, with one last attempt to send what is queued.
 *
 * Returns the exit status: 0, 1 for a failure (queue unreadable in
 * one-shot mode, output or push failed), 2 for bad settings.
 *
 * agent_check() (--check-config) builds the same settings, finds the
 * queue directory, prints what would run (never a secret) and returns 0,
 * or exits 2 naming the problem.
 */
#ifndef PFQ_AGENT_H
#define PFQ_AGENT_H

#include "settings.h"

int	agent_run(const struct settings *, const char *);
int	agent_check(const struct settings *, const char *);

#endif
