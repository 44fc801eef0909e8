// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* src/container.c: what names a container in a cgroup path. */
#include <string.h>
#include "container.h"
#include "unit.h"

/* Container ids in every runtime's cgroup path forms. */
void test_container(void)
{
#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H64B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	static const struct {
		const char *path, *id;	/* id NULL: the host */
	} cases[] = {
		{ "/docker/" H64, H64 },
		{ "/docker/" H64 "/init", H64 },
		{ "/system.slice/docker-" H64 ".scope", H64 },
		{ "/libpod_parent/libpod-" H64, H64 },
		{ "/machine.slice/libpod-" H64 ".scope", H64 },
		{ "/machine.slice/libpod-" H64 ".scope/container", H64 },
		{ "/machine.slice/libpod-conmon-" H64 ".scope", NULL },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b2c_3d4e.slice/cri-containerd-" H64 ".scope", H64 },
		{ "/kubepods/besteffort/pod1b2c3d4e-aaaa-bbbb-cccc-0123456789ab/" H64, H64 },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c.slice/crio-" H64 ".scope", H64 },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c.slice/crio-conmon-" H64 ".scope", NULL },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c.slice", NULL },
		{ "/machine.slice/systemd-nspawn@web.service", "web" },
		{ "/machine.slice/systemd-nspawn@web.service/payload", "web" },
		{ "/machine.slice/machine-db\\x2d1.scope", "db-1" },
		{ "/machine.slice/machine-a\\x5cx2d.scope", "a\\x2d" },	/* unescaped once */
		{ "/machine.slice/machine-a\\x00b.scope", "a\\x00b" },	/* no NUL */
		{ "/docker/" H64 "/docker/" H64B, H64B },	/* Docker in Docker */
		{ "/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", NULL },
		{ "/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", NULL },
		{ "/docker/0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", NULL },
		{ "/user.slice/user-1000.slice/session-2.scope", NULL },
		{ "/", NULL },
		{ "", NULL },
	};
	char id[CONTAINER_ID_LEN];
	struct tcase tc;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		bool found = container_from_path(cases[i].path, id, sizeof(id));

		tc_begin(&tc, "container_from_path %.60s%s", cases[i].path,
			 strlen(cases[i].path) > 60 ? "..." : "");
		expect_str(&tc, cases[i].id ? cases[i].id : "(host)",
			   found ? id : "(host)");
		tc_end(&tc);
	}
#undef H64
#undef H64B
}
