// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "command.h"
#include "util.h"

#define GO 'g'
/* How long finish() gives the command after SIGTERM before SIGKILL. */
#define TERM_GRACE_MS 2000

/*
 * What a shell runs when execve() says ENOEXEC: a text file, as a script
 * of /bin/sh. A binary the kernel refused (another architecture, 32-bit
 * on a kernel without IA32 emulation) stays an error, as in bash.
 */
static bool is_binary(const char *path)
{
	unsigned char head[80];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n >= 4 && !memcmp(head, "\x7f" "ELF", 4))
		return true;
	return n > 0 && memchr(head, '\0', n);
}

/* Runs file with argv as a shell would; returns the errno if it cannot. */
static int exec_file(const char *file, char **argv)
{
	int argc = 0;

	execv(file, argv);
	if (errno != ENOEXEC || is_binary(file))
		return errno;
	while (argv[argc])
		argc++;
	{
		char *sh_argv[argc + 2];

		sh_argv[0] = "sh";
		sh_argv[1] = (char *)file;
		memcpy(sh_argv + 2, argv + 1, argc * sizeof(char *));
		execv("/bin/sh", sh_argv);
	}
	return ENOEXEC;
}

/* execvp() without its fallback to /bin/sh for binaries. */
static int exec_command(char **argv)
{
	const char *path = getenv("PATH");
	char file[PATH_MAX];
	int err = ENOENT, e;
	size_t n;

	if (strchr(argv[0], '/'))
		return exec_file(argv[0], argv);
	if (!path)
		path = "/usr/local/bin:/bin:/usr/bin";
	for (; *path; path += n + !!path[n]) {
		n = strcspn(path, ":");
		if (snprintf(file, sizeof(file), "%.*s%s%s", (int)n, path,
			     n ? "/" : "", argv[0]) >= (int)sizeof(file))
			continue;
		e = exec_file(file, argv);
		/* Like execvp: a later directory may still have it. */
		if (e == EACCES)
			err = EACCES;
		else if (e != ENOENT && e != ENOTDIR)
			return e;
	}
	return err;
}

static void child(char **argv, int go_fd, int err_fd, pid_t parent)
{
	char c = 0;
	ssize_t n;
	int err;

	/* Dies with shmtrace, so that it never runs untraced. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	/* Dispositions we changed must not leak into the command. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	do
		n = read(go_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	/* End of file: shmtrace died before it was tracing. */
	if (n != 1 || c != GO)
		_exit(127);
	close(go_fd);
	err = exec_command(argv);
	if (write(err_fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

int command_prepare(struct command *c, char **argv)
{
	int go[2], err[2];
	pid_t parent;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(err, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	parent = getpid();
	c->pid = fork();
	if (c->pid < 0) {
		int e = errno;

		close(go[0]);
		close(go[1]);
		close(err[0]);
		close(err[1]);
		return -e;
	}
	if (c->pid == 0) {
		close(go[1]);
		close(err[0]);
		child(argv, go[0], err[1], parent);
	}
	close(go[0]);
	close(err[1]);
	c->go_fd = go[1];
	c->err_fd = err[0];
	/* Without it (before 5.3), SIGCHLD alone says the child exited. */
	c->exit_fd = pidfd_open(c->pid, 0);
	return 0;
}

static void reaped(struct command *c)
{
	if (c->exit_fd >= 0)
		close(c->exit_fd);
	c->exit_fd = -1;
}

int command_start(struct command *c)
{
	const char go = GO;
	ssize_t n;
	int err = 0;

	n = write(c->go_fd, &go, 1);
	close(c->go_fd);
	if (n != 1)
		return errno;
	do
		n = read(c->err_fd, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(c->err_fd);
	if (n != sizeof(err))
		return 0;
	while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
	reaped(c);
	return err;
}

bool command_reap(struct command *c, int *wstatus)
{
	if (waitpid(c->pid, wstatus, WNOHANG) != c->pid)
		return false;
	reaped(c);
	return true;
}

int command_exit_code(int wstatus)
{
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}

void command_stop(struct command *c)
{
	uint64_t deadline = now_ms() + TERM_GRACE_MS;

	kill(c->pid, SIGTERM);
	while (waitpid(c->pid, NULL, WNOHANG) == 0) {
		if (now_ms() >= deadline) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, NULL, 0);
			break;
		}
		usleep(10000);
	}
	reaped(c);
}
