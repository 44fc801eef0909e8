// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* src/stable.c: --stable's order and ordinals, as format_event prints them. */
#include <stdio.h>
#include "output.h"
#include "stable.h"
#include "syscalls.h"
#include "unit.h"

struct replayed {
	struct output *out;
	char text[TEXT_MAX];
	size_t len;
};

static int replay_one(void *ctx, const struct event *e,
		      const struct annotation *a)
{
	struct replayed *r = ctx;
	struct text t;
	char squeezed[TEXT_MAX];

	format_event(r->out, text_init(&t), e, a);
	r->len += snprintf(r->text + r->len, sizeof(r->text) - r->len, "%s",
			   squeeze(text_str(&t), squeezed));
	return 0;
}

/*
 * --stable: kept in arrival order, printed by pid, tid, then arrival;
 * ordinals name what values name: a remapped or detached address is
 * another, a namespace's segment 5 is not another's.
 */
void test_stable(void)
{
#define EV(p, t, sys, a0, a1, a2, r, ns) { .pid = p, .tid = t, .comm = "app", \
	.syscall = sys, .args = { a0, a1, a2 }, .ret = r, .ipc_ns = ns, .latency_ns = 9 }
	static const struct {
		struct event e;
		struct annotation a;
	} arrivals[] = {
		{ EV(9, 9, SYS_SHMGET, 0, 4096, 01600, 5, 2), { .key_known = true, .created = 1, .shmid = -1 } },
		{ EV(3, 4, SYS_SHMGET, 0, 4096, 01600, 5, 1), { .key_known = true, .created = 1, .shmid = -1 } },
		{ EV(3, 3, SYS_SHMAT, 5, 0, 0, 0x7f00000, 1), { .shmid = 5 } },
		{ EV(3, 3, SYS_SHMAT, 5, 0x7f00000, 040000, 0x7f00000, 1), { .shmid = 5 } },
		{ EV(3, 3, SYS_SHMDT, 0x7f00000, 0, 0, 0, 1), { .shmid = 5 } },
		{ EV(3, 3, SYS_SHMDT, 0x7f00000, 0, 0, -22, 1), { .shmid = -1 } },
		{ EV(3, 3, SYS_SHMCTL, 0, 13, 0x7ffd0000, 5, 1), { .shmid = 5 } },
		{ EV(3, 3, SYS_SHMCTL, 5, 2, 0x7ffd0000, 0, 1), { .shmid = 5 } },
		{ EV(3, 3, SYS_SHMAT, 5, 0x7e00000, 0, 0x7e00000, 1), { .shmid = 5 } },
	};
	static const char want[] =
		"P1 T1 0 app " NATIVE " shmat - A1 shmid=S1,shmaddr=NULL,shmflg=0\n"
		"P1 T1 0 app " NATIVE " shmat - A2 shmid=S1,shmaddr=A1,shmflg=SHM_REMAP\n"
		"P1 T1 0 app " NATIVE " shmdt - 0 shmaddr=A2,shmid=S1\n"
		"P1 T1 0 app " NATIVE " shmdt - EINVAL shmaddr=A3\n"
		"P1 T1 0 app " NATIVE " shmctl - S1 shmid=0,cmd=SHM_STAT,buf=ptr\n"
		"P1 T1 0 app " NATIVE " shmctl - 0 shmid=S1,cmd=IPC_STAT,buf=ptr\n"
		"P1 T1 0 app " NATIVE " shmat - A4 shmid=S1,shmaddr=A4,shmflg=0\n"
		"P1 T2 0 app " NATIVE " shmget IPC_PRIVATE S2 size=4096,shmflg=IPC_CREAT|0600,created=true\n"
		"P2 T3 0 app " NATIVE " shmget IPC_PRIVATE S3 size=4096,shmflg=IPC_CREAT|0600,created=true\n";
#undef EV
	static struct stable st;
	static struct replayed r;
	struct output out;
	struct tcase tc;
	size_t i;

	tc_begin(&tc, "--stable: order and ordinals");
	output_init(&out, -1, OUT_TEXT, false);
	out.lifecycle = true;
	out.stable = &st;
	r.out = &out;
	for (i = 0; i < ARRAY_SIZE(arrivals); i++)
		stable_add(&st, &arrivals[i].e, &arrivals[i].a);
	stable_replay(&st, replay_one, &r);
	expect_str(&tc, want, r.text);
	stable_free(&st);
	tc_end(&tc);
}
