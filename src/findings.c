// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <sys/shm.h>
#include "decode.h"
#include "findings.h"

#define WORLD_RW	0006	/* o+r, o+w */

static const char *const names[FINDING_MAX] = {
	[FINDING_WORLD_ACCESS] = "world-access",
	[FINDING_KEY_SQUAT] = "key-squat",
	[FINDING_EXCL_ALONE] = "excl-without-creat",
	[FINDING_HUGETLB_EPERM] = "hugetlb-eperm",
	[FINDING_FOREIGN_WRITER] = "foreign-writer",
	[FINDING_SHARED_IPC] = "shared-ipc",
};

const char *finding_name(enum finding f)
{
	return names[f];
}

static unsigned int shmget_findings(const struct event *e,
				    const struct annotation *a)
{
	uint32_t flg = e->args[2];
	unsigned int f = 0;

	if ((flg & IPC_EXCL) && !(flg & IPC_CREAT))
		f |= 1u << FINDING_EXCL_ALONE;
	if ((flg & SHM_HUGETLB) && e->ret == -EPERM)
		f |= 1u << FINDING_HUGETLB_EPERM;
	if (a->created == 1 && (flg & WORLD_RW))
		f |= 1u << FINDING_WORLD_ACCESS;
	if (a->created == 0 && (flg & IPC_CREAT) && !(flg & IPC_EXCL) &&
	    a->seg_known && a->seg.uid != NO_UID && a->seg.uid != e->uid)
		f |= 1u << FINDING_KEY_SQUAT;
	return f;
}

/*
 * Who can hurt whom: a writer can change what every other user of the
 * segment reads. A risk where the writer is less privileged than one of
 * them: not root itself, neither creator nor owner, while root created,
 * owns or has attached the segment (inherited attaches included). So an
 * X server (root, or the same kind of user) writing into a client's
 * MIT-SHM segment is no finding, and nobody writing into root's is.
 */
static bool root_uses(const struct segment *s)
{
	return s->cuid == 0 || s->uid == 0 || s->root_pieces > 0;
}

static unsigned int shmat_findings(const struct event *e,
				   const struct annotation *a)
{
	const struct segment *s = &a->seg;

	if (!ret_is_error(e->ret) && !((uint32_t)e->args[2] & SHM_RDONLY) &&
	    a->seg_known && e->uid != 0 && e->uid != s->cuid &&
	    e->uid != s->uid && root_uses(s))
		return 1u << FINDING_FOREIGN_WRITER;
	return 0;
}

/* --ipc=host, hostIPC: true: the host and its other tenants are reachable. */
static unsigned int shared_ipc(const struct event *e,
			       const struct annotation *a)
{
	return a->container && e->ipc_ns == HOST_IPC_NS ?
	       1u << FINDING_SHARED_IPC : 0;
}

unsigned int findings_check(const struct event *e,
			    const struct annotation *a)
{
	unsigned int f = shared_ipc(e, a);

	if (e->syscall == SYS_SHMGET)
		f |= shmget_findings(e, a);
	if (e->syscall == SYS_SHMAT)
		f |= shmat_findings(e, a);
	return f;
}

void put_finding_reason(struct sink *s, enum finding f,
			const struct event *e, const struct annotation *a,
			put_name_fn *put_name)
{
	switch (f) {
	case FINDING_WORLD_ACCESS:
		put_str(s, "segment created with permissions 0");
		put_oct(s, e->args[2] & 0777, 3);
		put_str(s, ": every user can ");
		put_str(s, (e->args[2] & WORLD_RW) == WORLD_RW ? "read and write" :
			   (e->args[2] & 0002) ? "write" : "read");
		put_str(s, " it");
		break;
	case FINDING_KEY_SQUAT:
		put_str(s, "IPC_CREAT without IPC_EXCL opened an existing segment owned by uid ");
		put_u64(s, a->seg.uid);
		put_str(s, ": whoever creates a fixed key first owns what later callers use");
		break;
	case FINDING_EXCL_ALONE:
		put_str(s, "IPC_EXCL without IPC_CREAT has no effect");
		break;
	case FINDING_HUGETLB_EPERM:
		put_str(s, "SHM_HUGETLB refused: the caller needs CAP_IPC_LOCK or membership of vm.hugetlb_shm_group");
		break;
	case FINDING_FOREIGN_WRITER:
		put_str(s, "attached writable by uid ");
		put_u64(s, e->uid);
		put_str(s, ", less privileged than root, which uses the segment (created by uid ");
		put_u64(s, a->seg.cuid);
		put_str(s, ", owned by uid ");
		put_u64(s, a->seg.uid);
		put_str(s, ")");
		break;
	case FINDING_SHARED_IPC:
		put_str(s, "container ");
		put_name(s, a->container, strlen(a->container));
		put_str(s, " uses the host's IPC namespace: the host and every container sharing it can reach these segments");
		break;
	default:
		break;
	}
}
