/*
 * cmd.h - pfqmon's commands: the agent ("pfqmon [options]", agent.h),
 * "pfqmon select", which lists the queue IDs of exactly the messages
 * that match filters, ready for postsuper(1), "pfqmon top", which
 * shows who has the most mail in the queue, and "pfqmon serve", the
 * agent answering Prometheus's scrapes (serve.h).
 *
 * Each takes argv with its own name first, reads it through cli.h
 * (select and top take the agent's options for finding and reading the
 * queue: --queue-dir, -c, --user, --source, --threads, --now, -v,
 * --config) and returns the exit status: 0, 1 when the queue cannot be
 * read or the output written, 2 (through msg_fatal) for bad options.
 */
#ifndef PFQ_CMD_H
#define PFQ_CMD_H

int	cmd_agent(int, char **);
int	cmd_select(int, char **);
int	cmd_top(int, char **);
int	cmd_serve(int, char **);

#endif
