/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The HTTP server's jail, entered by the forked server process before it
 * reads a byte from the network: uid and gid SANDBOX_UID with no groups,
 * no capabilities in any set, no way to gain any (no_new_privs), death
 * with its parent, and a seccomp filter that allows only the socket and
 * memory calls the server makes. A memory-safety bug in the server can
 * then do no more than the nobody user with no filesystem could.
 */
#ifndef SHMTRACE_SANDBOX_H
#define SHMTRACE_SANDBOX_H

#include <sys/types.h>

/* The overflow uid and gid, "nobody", whether or not passwd names it. */
#define SANDBOX_UID 65534

/*
 * Enters the jail for good; parent is the pid to die with. 0, or -1 with
 * why (WHY_LEN bytes) if any step cannot be taken: then nothing may run.
 */
int sandbox_enter(pid_t parent, char *why);

#endif /* SHMTRACE_SANDBOX_H */
