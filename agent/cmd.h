/*
 * cmd.h - the commands next to the agent: "pfqmon select" lists the
 * queue IDs of exactly the messages that match filters, ready for
 * postsuper(1); "pfqmon top" shows who has the most mail in the queue.
 *
 * Both take the agent's options for finding and reading the queue
 * (--queue-dir, -c, --user, --source, --threads, --now, -v, --config)
 * and give up privileges the same way. Each returns the exit status: 0,
 * 1 when the queue cannot be read or the output written, 2 (through
 * msg_fatal) for bad options.
 */
#ifndef PFQ_CMD_H
#define PFQ_CMD_H

int	cmd_select(int, char **);
int	cmd_top(int, char **);

#endif
