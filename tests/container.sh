#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Which container each call came from: cgroups in every runtime's form,
# made by hand, then a real Podman container (runc, cgroupfs), one with
# its own IPC namespace and one with --ipc=host; --container and -C.
. "$(dirname "$0")/lib.sh"

HEX=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
IMAGE=localhost/shmtrace-test:2
PODMAN=(podman --runtime=runc --cgroup-manager=cgroupfs)
PODMAN_RUN=(run --rm --ulimit nofile=20000:20000 --ulimit nproc=4096:4096)

cleanup() { remove_cgroups; }
trap cleanup EXIT

# Calls made in hand-made cgroups of every form carry that container's id,
# although each caller has exited before shmtrace reads its call.
test_forms() {
	local forms=(
		"docker/$HEX|$HEX"
		"system.slice/docker-$HEX.scope|$HEX"
		"machine.slice/libpod-$HEX.scope/container|$HEX"
		"kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podab12.slice/cri-containerd-$HEX.scope|$HEX"
		"kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podab12.slice/crio-$HEX.scope|$HEX"
		"machine.slice/systemd-nspawn@web.service/payload|web"
		"machine.slice/machine-db\\x2d1.scope|db-1"
		"machine.slice/libpod-conmon-$HEX.scope|null"
	)
	local f rel want key=$((0x5e7f0000 + $$ % 4096)) i=0 got
	start_tracer -j || { fail "container" "shmtrace did not start"; return; }
	for f in "${forms[@]}"; do
		rel=${f%|*}
		make_cgroup "$rel" || { fail "container: $rel" "cannot make the cgroup"; continue; }
		in_cgroup "$rel" "$WORKLOAD" comm 6374722d6e "$((key + i))"
		i=$((i + 1))
	done
	stop_tracer
	i=0
	for f in "${forms[@]}"; do
		rel=${f%|*} want=${f#*|}
		[ "$want" = null ] || want="\"$want\""
		got=$(grep "\"key\":$((key + i))," "$TEST_TMP/out" | json_field container)
		assert_eq "container: a call in /$rel" "$want" "$got"
		i=$((i + 1))
	done
	got=$(grep "\"key\":$key," "$TEST_TMP/out" | grep -c '"shared-ipc"')
	check "container: no findings field without -W" test "$got" = 0
	remove_cgroups
}

# -W: shared-ipc for a container in the host's IPC namespace only; -C
# shows 12 hex digits; --container keeps only that container's calls.
test_findings_and_filter() {
	local rel=docker/$HEX key=$((0x5e7f1000 + $$ % 4096)) got
	make_cgroup "$rel" || { fail "container: -W" "cannot make the cgroup"; return; }
	start_tracer -W -C || { fail "container: -W" "shmtrace did not start"; return; }
	in_cgroup "$rel" "$WORKLOAD" comm 6374722d6e "$key"
	in_cgroup "$rel" unshare -i "$WORKLOAD" comm 6374722d6e "$((key + 1))"
	"$WORKLOAD" comm 6374722d6e "$((key + 2))"
	stop_tracer
	got=$(grep -c '^shmtrace: finding: shared-ipc: .*container 0123456789ab' "$TEST_TMP/err")
	assert_eq "container: -W shared-ipc: once, for the call in the host's IPC namespace" 1 "$got"
	got=$(awk -v k="$(printf '0x%08x' "$key")" '$7 == k { print $1 }' "$TEST_TMP/out")
	assert_eq "container: -C shows the short id" 0123456789ab "$got"
	got=$(awk -v k="$(printf '0x%08x' $((key + 2)))" '$7 == k { print $1 }' "$TEST_TMP/out")
	assert_eq "container: -C shows - on the host" - "$got"

	start_tracer --container 0123 || { fail "--container" "shmtrace did not start"; return; }
	in_cgroup "$rel" "$WORKLOAD" comm 6374722d6e "$key"
	"$WORKLOAD" comm 6374722d6e "$((key + 2))"
	stop_tracer
	got=$(tail -n +2 "$TEST_TMP/out" | awk '{ print $6 }' | sort -u | tr '\n' ' ')
	assert_eq "--container PREFIX: exactly that container's calls" "$(printf '0x%08x' "$key") " "$got"
	"$SHMTRACE" --container ffff -d 0.1 2>"$TEST_TMP/err" >/dev/null
	assert_eq "--container with no such container: status 1, one line" "1 1" \
		"$? $(grep -c 'container ffff' "$TEST_TMP/err")"
	remove_cgroups
}

ns_of_host() { stat -L -c %i /proc/self/ns/ipc; }

# podman_image: an image holding the static workload, built offline.
podman_image() {
	"${PODMAN[@]}" image exists "$IMAGE" 2>/dev/null && return 0
	local root=$TEST_TMP/rootfs
	mkdir -p "$root/bin" "$root/tmp"
	cp .output/workload-static "$root/bin/workload" || return 1
	cp "$(command -v busybox)" "$root/bin/busybox" || return 1
	tar -C "$root" -cf "$TEST_TMP/rootfs.tar" . &&
		"${PODMAN[@]}" import "$TEST_TMP/rootfs.tar" "$IMAGE" >/dev/null
}

# A real container: every call carries its id; with --ipc=host, shared-ipc.
test_podman() {
	local name="podman" cid got
	if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
		skip "$name" "podman and runc are not installed"
		return
	fi
	if [ ! -x .output/workload-static ]; then
		skip "$name" ".output/workload-static is not built"
		return
	fi
	if ! podman_image 2>"$TEST_TMP/perr"; then
		skip "$name" "cannot build the image: $(oneline <"$TEST_TMP/perr")"
		return
	fi
	start_tracer -e all -j -W || { fail "$name" "shmtrace did not start"; return; }
	# A container gone (cgroup and all) before shmtrace reads its calls,
	# some 50 ms later, cannot be named: these stay a moment.
	cid=$("${PODMAN[@]}" "${PODMAN_RUN[@]}" -d "$IMAGE" /bin/busybox sh -c \
		'/bin/workload glibc lifecycle; /bin/busybox sleep 1' 2>"$TEST_TMP/perr")
	"${PODMAN[@]}" wait "$cid" >/dev/null 2>&1
	"${PODMAN[@]}" "${PODMAN_RUN[@]}" --ipc=host "$IMAGE" /bin/busybox sh -c \
		'/bin/workload glibc precreate; /bin/busybox sleep 1' >"$TEST_TMP/pre" 2>>"$TEST_TMP/perr"
	stop_tracer
	if [ -z "$cid" ]; then
		skip "$name" "podman cannot run a container here: $(oneline <"$TEST_TMP/perr")"
		return
	fi
	got=$(grep '"comm":"shmt-wl"' "$TEST_TMP/out" | grep -v "\"ipc_ns\":$(ns_of_host)," |
		json_field container | sort | uniq -c | awk '{ print $2, ($1 >= 10) }')
	assert_eq "$name: its lifecycle's calls (10 or more) carry its id" "\"$cid\" 1" "$got"
	got=$(grep '"comm":"shmt-wl"' "$TEST_TMP/out" | grep "\"key\":$(cut -d' ' -f2 "$TEST_TMP/pre")," |
		grep -c '"finding":"shared-ipc"')
	assert_eq "$name: --ipc=host: shared-ipc" 1 "$got"
	got=$(grep '"comm":"shmt-wl"' "$TEST_TMP/out" | grep '"syscall":"shmat"' | grep -c '"finding":"shared-ipc"')
	assert_eq "$name: its own IPC namespace: no shared-ipc" 0 "$got"
	ipcrm -m "$(cut -d' ' -f1 "$TEST_TMP/pre")" 2>/dev/null
}

CG_ROOT=$(cgroup2_root)
if [ -z "$CG_ROOT" ]; then
	skip "container" "no cgroup v2 hierarchy is mounted"
else
	test_forms
	test_findings_and_filter
fi
test_podman
