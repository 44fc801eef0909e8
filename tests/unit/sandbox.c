// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * src/sandbox.c, entered for real in a forked child: as root the jail
 * holds (nobody, no capabilities, files refused, anything unlisted or
 * executable memory kills); as anyone else it refuses to start.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "sandbox.h"
#include "unit.h"

enum probe {
	PROBE_OPEN, PROBE_GETPID, PROBE_EXEC_MMAP, PROBE_MMAP,
	PROBE_EXEC_MPROTECT, PROBE_MPROTECT,
};

/*
 * In the child: enters the jail, then tries the probe. The exit status
 * says how far it got: 2 the jail refused, 3 open was refused with
 * EACCES, 4 the probe's call returned.
 */
static void jailed(enum probe p)
{
	char why[WHY_LEN];
	void *m;

	if (sandbox_enter(getppid(), why))
		_exit(2);
	switch (p) {
	case PROBE_OPEN:
		_exit(open("/etc/passwd", O_RDONLY) < 0 && errno == EACCES ? 3 : 4);
	case PROBE_GETPID:
		syscall(SYS_getpid);
		break;
	case PROBE_EXEC_MMAP:
	case PROBE_MMAP:
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE |
			 (p == PROBE_EXEC_MMAP ? PROT_EXEC : 0),
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		_exit(m == MAP_FAILED ? 5 : 4);
	case PROBE_EXEC_MPROTECT:
	case PROBE_MPROTECT:
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(5);
		_exit(mprotect(m, 4096, PROT_READ |
			       (p == PROBE_EXEC_MPROTECT ? PROT_EXEC : 0)) ? 5 : 4);
	}
	_exit(4);
}

/* "exit N" or "signal NAME", of a child that ran the probe. */
static const char *outcome(enum probe p, char *buf, size_t len)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		jailed(p);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		snprintf(buf, len, "no child");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %s", sigabbrev_np(WTERMSIG(status)));
	else
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	return buf;
}

void test_sandbox(void)
{
	static const struct {
		enum probe p;
		const char *what, *want;
	} cases[] = {
		{ PROBE_OPEN, "open(2) fails with EACCES", "exit 3" },
		{ PROBE_GETPID, "an unlisted call (getpid) kills", "signal SYS" },
		{ PROBE_EXEC_MMAP, "executable memory kills", "signal SYS" },
		{ PROBE_MMAP, "memory to read and write is had", "exit 4" },
		{ PROBE_EXEC_MPROTECT, "making memory executable kills", "signal SYS" },
		{ PROBE_MPROTECT, "making memory read-only is allowed", "exit 4" },
	};
	struct tcase tc;
	char got[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tc_begin(&tc, "sandbox: %s", geteuid() ? "refused: not root" : cases[i].what);
		expect_str(&tc, geteuid() ? "exit 2" : cases[i].want,
			   outcome(cases[i].p, got, sizeof(got)));
		tc_end(&tc);
	}
}
