/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* "-- COMMAND": a child started only once the tracer is attached. */
#ifndef SHMTRACE_COMMAND_H
#define SHMTRACE_COMMAND_H

#include <stdbool.h>
#include <sys/types.h>

struct command {
	pid_t pid;
	int go_fd;	/* a byte written to it lets the child exec */
	int err_fd;	/* the child's exec errno, or EOF once it ran */
	int exit_fd;	/* readable once the child has exited (a pidfd), or -1 */
};

/* Forks a child that waits before exec'ing argv. 0 or -errno. */
int command_prepare(struct command *c, char **argv);
/*
 * Lets the child exec; returns 0, or the errno that made exec fail (the
 * child has then been reaped).
 */
int command_start(struct command *c);
/* Whether the command has exited: then reaped, its wait status in *wstatus. */
bool command_reap(struct command *c, int *wstatus);
/* Ends the command: SIGTERM, then SIGKILL if it is still there after 2 s. */
void command_stop(struct command *c);
/* The shell's convention: the exit code, or 128+N for signal N. */
int command_exit_code(int wstatus);

#endif /* SHMTRACE_COMMAND_H */
