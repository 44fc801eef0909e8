/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* -W: the call patterns that matter for security and correctness. */
#ifndef SHMTRACE_FINDINGS_H
#define SHMTRACE_FINDINGS_H

#include "fmt.h"

/* The initial IPC namespace's inode (PROC_IPC_INIT_INO): the host's. */
#define HOST_IPC_NS 0xEFFFFFFFu
#include "segments.h"

enum finding {
	FINDING_WORLD_ACCESS,	/* created readable or writable by all */
	FINDING_KEY_SQUAT,	/* IPC_CREAT opened another uid's segment */
	FINDING_EXCL_ALONE,	/* IPC_EXCL without IPC_CREAT */
	FINDING_HUGETLB_EPERM,	/* SHM_HUGETLB refused */
	FINDING_FOREIGN_WRITER,	/* attached writable by a non-creator */
	FINDING_SHARED_IPC,	/* a container in the host's IPC namespace */
	FINDING_MAX,
};

/* The findings e raises, as a bitmask of 1 << enum finding. */
unsigned int findings_check(const struct event *e,
			    const struct annotation *a);
/* Its short name, e.g. "world-access". */
const char *finding_name(enum finding f);
/* Why it matters, for this call, in one line; put_name escapes names. */
void put_finding_reason(struct sink *s, enum finding f,
			const struct event *e, const struct annotation *a,
			put_name_fn *put_name);

#endif /* SHMTRACE_FINDINGS_H */
