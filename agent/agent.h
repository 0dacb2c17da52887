/*
 * agent.h - run pfqmon in the mode its settings ask for.
 *
 * agent_run() builds the effective settings (defaults, then the JSON
 * configuration file, then the command line, which wins), finds the
 * queue directory, and runs:
 *
 *	one-shot (default)	scan once, print or push, exit;
 *	--interval D		scan every D on the monotonic clock, in phase
 *				with the multiples of D on the wall clock,
 *				with that time as the timestamp of every line
 *				(sched.h), until SIGTERM or SIGINT;
 *	--execd			Telegraf inputs.execd, signal = "STDIN": one scan
 *				per line read on stdin, exit when stdin closes.
 *
 * With --push each scan goes to InfluxDB from the sender's thread
 * (sender.h) through a bounded queue (outq.h) that keeps the queue
 * totals before the breakdowns: scans run on their tick whatever the
 * server does. SIGHUP reloads the configuration file (the command line
 * still wins); a bad file keeps the previous settings. SIGTERM and
 * SIGINT end the loop after the current scan; what is queued then gets
 * at most STOP_GRACE_MS (5 s) to be delivered, and what is not is
 * counted and logged. A one-shot push that did not deliver every point
 * exits 1.
 *
 * agent_block_signals(), called first thing by main(), holds SIGTERM,
 * SIGINT and SIGHUP until the loops install their handlers, so a
 * signal during start-up is acted on instead of killing the agent;
 * one-shot runs and the commands let them in again with
 * agent_unblock_signals().
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

void	agent_block_signals(void);
void	agent_unblock_signals(void);
int	agent_run(const struct settings *, const char *);
int	agent_check(const struct settings *, const char *);

#endif
