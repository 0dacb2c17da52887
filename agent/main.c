/*
 * main.c - pfqmon's entry: make the process fit to run (standard
 * descriptors, umask, signals), then hand the command line to the
 * command it names (cmd.h): "select", "top", "serve", or else the agent.
 *
 * Exit status: 0 after a scan (bad queue files are counted, not fatal),
 * 1 when the queue cannot be read or the output cannot be delivered, 2
 * for bad command-line input or configuration. Trusts nothing of its
 * arguments but the first word; the command checks the rest (cli.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "cmd.h"
#include "msg.h"

/* The commands named by the first argument; without one, the agent. */
static const struct {
	const char *name;
	int	(*run)(int, char **);
} commands[] = {
	{ "select", cmd_select },
	{ "top", cmd_top },
	{ "serve", cmd_serve },
};

/*
 * sane_stdio - make sure fds 0-2 are open, so that no file opened later
 * lands on them; a closed stdout is an error, since the report would be
 * lost.
 */
static void
sane_stdio(void)
{
	int	fd, stdout_closed = 0;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
				exit(MSG_EXIT_FAIL);
			if (fd == STDOUT_FILENO)
				stdout_closed = 1;
		}
	if (stdout_closed)
		msg_fatal(MSG_EXIT_FAIL, "standard output is closed");
}

int
main(int argc, char **argv)
{
	size_t	i;

	agent_block_signals();		/* first: see agent.h */
	sane_stdio();
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; argc > 1 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			agent_unblock_signals();	/* they run once */
			return commands[i].run(argc - 1, argv + 1);
		}
	return cmd_agent(argc, argv);
}
