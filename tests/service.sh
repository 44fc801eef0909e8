#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The ways to deploy shmtrace: the systemd unit (verified, and its
# capabilities proven enough and each one needed), the FROM-scratch image
# run with Podman tracing the host, and the Kubernetes DaemonSet.
# Runs as root with SHMTRACE=<binary>; about 20 s.
. "$(dirname "$0")/lib.sh"

UNIT=dist/shmtrace.service
DAEMONSET=deploy/daemonset.yaml
STATIC=${SHMTRACE_STATIC:-.output/shmtrace-static}
KEY_BASE=$((0x5e0c0000 | ($$ & 0xfff) << 4))
PODMAN=(podman --runtime=runc --cgroup-manager=cgroupfs)

# The unit's capabilities, as setpriv names them: +bpf,+perfmon,...
unit_caps() {
	sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr ' ' '\n' |
		sed 's/^CAP_\(.*\)/+\L\1/' | paste -sd,
}

test_unit_verify() {
	local unit=$TEST_TMP/shmtrace.service o missing=
	if ! command -v systemd-analyze >/dev/null; then
		skip "service: systemd-analyze verify" "systemd-analyze is not installed"
		return
	fi
	# verify wants ExecStart's binary to exist: this one.
	sed "s#/usr/sbin/shmtrace#$(realpath "$SHMTRACE")#" "$UNIT" >"$unit"
	check "service: systemd-analyze verify $UNIT" systemd-analyze verify --man=no "$unit"
	for o in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
		ProtectKernelModules=yes "ExecReload=/bin/kill -HUP \$MAINPID"; do
		grep -qxF "$o" "$UNIT" || missing="$missing $o"
	done
	assert_eq "service: the unit's protections are on" "" "$missing"
}

# segments_seen CAPS: shmtrace_segments under only CAPS, while a process
# of uid 65534 holds 2 segments in an IPC namespace of its own; then the
# host's count, as /proc/sysvipc/shm lists it.
segments_seen() {
	local port ns_pid got host wl
	wl=$(public_copy "$WORKLOAD")
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	unshare --ipc setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \
		"'$wl' get $((KEY_BASE + 1)) 0x380 && '$wl' get $((KEY_BASE + 2)) 0x380 && exec sleep 30" \
		>/dev/null &
	ns_pid=$!
	sleep 0.3
	setpriv --bounding-set=-all,"$1" --inh-caps=-all "$SHMTRACE" -j -o /dev/null \
		--metrics="$port" >/dev/null 2>"$TEST_TMP/caps.err" &
	TRACER_PID=$!
	for _ in $(seq 100); do
		grep -q '^Tracing' "$TEST_TMP/caps.err" && break
		sleep 0.05
	done
	# A call from the namespace makes it known; its table is read within 2 s.
	nsenter --ipc --target "$ns_pid" "$WORKLOAD" comm 6e73 $((KEY_BASE + 3)) >/dev/null
	sleep 2.5
	got=$(curl -s "http://127.0.0.1:$port/metrics" | sed -n 's/^shmtrace_segments{container=""} //p')
	host=$(($(wc -l </proc/sysvipc/shm) - 1))
	stop_tracer
	kill "$ns_pid"
	wait "$ns_pid" 2>/dev/null
	echo "$((got - host))"
}

# The unit's capabilities suffice: it traces, and reads a namespace of
# another user; without CAP_SYS_PTRACE, or CAP_SYS_ADMIN, it cannot.
test_unit_caps() {
	local caps key=$((KEY_BASE + 4)) cap status
	caps=$(unit_caps)
	if ! command -v setpriv >/dev/null || ! command -v unshare >/dev/null; then
		skip "service: capabilities" "setpriv or unshare is missing"
		return
	fi
	setpriv --bounding-set=-all,"$caps" --inh-caps=-all "$SHMTRACE" -j -k "$key" -n 1 \
		>"$TEST_TMP/caps.out" 2>/dev/null &
	TRACER_PID=$!
	sleep 1
	"$WORKLOAD" comm 63617073 "$key"
	wait "$TRACER_PID"
	status=$?
	assert_eq "service: with only the unit's capabilities ($caps), a call is traced" \
		'"caps"|"ENOENT"|0' \
		"$(json_field comm <"$TEST_TMP/caps.out")|$(json_field errno <"$TEST_TMP/caps.out")|$status"
	assert_eq "service: with them, another user's IPC namespace is read (2 segments)" 2 \
		"$(segments_seen "$caps")"
	for cap in +sys_ptrace +sys_admin; do
		assert_eq "service: without ${cap#+}, that namespace is not read" 0 \
			"$(segments_seen "$(sed "s/,$cap//" <<<"$caps")")"
	done
	setpriv --bounding-set=-all,"$(sed "s/,+setuid//" <<<"$caps")" --inh-caps=-all \
		"$SHMTRACE" --metrics="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')" \
		-d 1 >/dev/null 2>"$TEST_TMP/nosetuid.err"
	status=$?
	assert_eq "service: without setuid, --metrics refuses: one line, status 1" \
		"1|shmtrace: --metrics: the HTTP server cannot drop its privileges: cannot become uid 65534: Operation not permitted" \
		"$status|$(cat "$TEST_TMP/nosetuid.err")"
}

# The FROM-scratch image, run privileged in the host's pid namespace,
# traces a call made on the host.
test_image() {
	local ctx=$TEST_TMP/image key=$((KEY_BASE + 5)) image=localhost/shmtrace-test-image:1 pid want status
	if ! command -v podman >/dev/null || [ ! -x "$STATIC" ]; then
		skip "service: container image" "needs podman and $STATIC (make STATIC=1)"
		return
	fi
	mkdir -p "$ctx"
	cp "$STATIC" "$ctx/shmtrace"
	check "service: podman builds dist/Containerfile from scratch" \
		"${PODMAN[@]}" build --quiet -f dist/Containerfile -t "$image" "$ctx"
	"${PODMAN[@]}" run --rm --privileged --pid=host --ulimit nofile=20000:20000 \
		--ulimit nproc=4096:4096 "$image" -k "$key" -n 1 -d 20 \
		>"$TEST_TMP/image.out" 2>"$TEST_TMP/image.err" &
	TRACER_PID=$!
	for _ in $(seq 200); do
		grep -q '^Tracing' "$TEST_TMP/image.err" && break
		sleep 0.05
	done
	"$WORKLOAD" comm 696d6167652d776c "$key" &
	pid=$!
	wait "$pid"
	wait "$TRACER_PID"
	status=$?
	want="\"pid\":$pid,\"tid\":$pid,\"uid\":0,\"gid\":0,\"ipc_ns\":$(stat -Lc %i /proc/self/ns/ipc),\"ns_pid\":$pid,\"ns_tid\":$pid,\"container\":null,\"comm\":\"image-wl\",\"abi\":\"x86_64\",\"syscall\":\"shmget\",\"key\":$key,\"size\":4096,\"shmflg\":0,\"flags\":\"000\",\"created\":null,\"ret\":-2,\"errno\":\"ENOENT\""
	assert_eq "service: the image traces the host's call, JSON on stdout, status 0" \
		"$want|0" "$(sed 's/^{"time":"[^"]*",\(.*\),"latency_ns":[0-9]*}$/\1/' "$TEST_TMP/image.out")|$status"
	"${PODMAN[@]}" rmi "$image" >/dev/null 2>&1
}

# The arm64 image, built here from the cross-built static binary (make
# guests makes it): an arm64 image holding an aarch64 program.
test_image_arm64() {
	local ctx=$TEST_TMP/image-arm64 static=.output/arm64/shmtrace-static root
	local image=localhost/shmtrace-test-image:arm64
	if ! command -v podman >/dev/null || [ ! -x "$static" ]; then
		skip "service: arm64 image" "needs podman and $static (make ARCH=arm64 STATIC=1)"
		return
	fi
	mkdir -p "$ctx"
	cp "$static" "$ctx/shmtrace"
	"${PODMAN[@]}" build --quiet --arch arm64 -f dist/Containerfile -t "$image" "$ctx" \
		>/dev/null 2>"$TEST_TMP/image-arm64.err"
	root=$("${PODMAN[@]}" image mount "$image" 2>>"$TEST_TMP/image-arm64.err")
	# e_machine, ELF bytes 18-19: 0xb7 is EM_AARCH64.
	assert_eq "service: podman builds the arm64 image: an arm64 image of an aarch64 program" \
		"arm64|linux|b700" \
		"$("${PODMAN[@]}" image inspect --format '{{.Architecture}}|{{.Os}}' "$image" 2>&1)|$(od -An -tx1 -j18 -N2 "$root/shmtrace" 2>&1 | tr -d ' ')"
	"${PODMAN[@]}" image unmount "$image" >/dev/null 2>&1
	"${PODMAN[@]}" rmi "$image" >/dev/null 2>&1
}

# The DaemonSet: valid YAML, and what it promises.
test_daemonset() {
	local got
	if ! python3 -c 'import yaml' 2>/dev/null; then
		skip "service: DaemonSet" "python3-yaml is not installed"
		return
	fi
	got=$(python3 - "$DAEMONSET" <<-'EOF'
	import sys, yaml
	docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
	ds = [d for d in docs if d["kind"] == "DaemonSet"][0]
	t = ds["spec"]["template"]
	a = t["metadata"]["annotations"]
	c = t["spec"]["containers"][0]
	port = c["ports"][0]["containerPort"]
	print(t["spec"]["hostPID"], a["prometheus.io/scrape"], a["prometheus.io/port"] == str(port),
	      "--metrics=0.0.0.0:%d" % port in c["args"], "--json" not in c["args"],
	      ",".join("+" + x.lower() for x in c["securityContext"]["capabilities"]["add"]),
	      c["securityContext"]["capabilities"]["drop"], "limits" in c["resources"],
	      c["image"], c["livenessProbe"]["httpGet"]["path"],
	      c["readinessProbe"]["httpGet"]["path"])
	EOF
	)
	assert_eq "service: DaemonSet: hostPID, scrape annotations on the metrics port, the unit's capabilities, limits, the image, probes on /healthz" \
		"True true True True True $(unit_caps) ['ALL'] True localhost/shmtrace:$(sed -n 's/^VERSION := //p' Makefile) /healthz /healthz" \
		"$got"
}

test_unit_verify
test_unit_caps
test_image
test_image_arm64
test_daemonset
