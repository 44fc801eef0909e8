#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Many threads inside the shm syscalls at once (workload contend): more
# than any kernel's default number of kretprobe instances. In every attach
# mode, every call is printed or counted as lost, exactly (seen + lost ==
# calls), and the exact modes lose none. Then kprobe mode without tracefs,
# the one mode that can lose returns: the banner says so, and what it
# loses is counted to the call.
#
# Runs on the host and inside the QEMU guests (tests/vm/vmtest.sh).
#   REQUIRE_MODES  modes that must work here (others may SKIP)
. "$(dirname "$0")/lib.sh"

: "${WORKLOAD32:=.output/workload32}"
: "${REQUIRE_MODES:=tracepoint}"
KERNEL=$(uname -r | cut -d. -f1,2)
THREADS=64
ROUNDS=8

required() { [[ " $REQUIRE_MODES " == *" $1 "* ]]; }

# What shmtrace's closing line says: "EVENTS LOST".
closing() { sed -n 's/^shmtrace: \([0-9]*\) events\?, \([0-9]*\) lost$/\1 \2/p' "$1"; }

# contend LABEL WORKLOAD PATH OPTIONS...: one traced run, checked; WRAP,
# if set, is the command shmtrace runs under.
contend() {
	local label=$1 wl=$2 path=$3 calls seen lost status
	shift 3
	${WRAP[@]+"${WRAP[@]}"} "$SHMTRACE" -e all -j -o "$TEST_TMP/c.json" "$@" -- \
		"$wl" "$path" contend $THREADS $ROUNDS >"$TEST_TMP/c.calls" 2>"$TEST_TMP/c.err"
	status=$?
	if grep -q '^Tracing' "$TEST_TMP/c.err"; then
		:
	elif required "${label%% *}"; then
		fail "contention: $KERNEL $label" "$(oneline <"$TEST_TMP/c.err")"
		return
	else
		skip "contention: $KERNEL $label" "$(grep '^shmtrace: ' "$TEST_TMP/c.err" | tail -1 | sed 's/^shmtrace: //')"
		return
	fi
	if grep -q '^Tracing.*not covered: .*32-bit' "$TEST_TMP/c.err" && [ "$wl" = "$WORKLOAD32" ]; then
		skip "contention: $KERNEL $label" "$(grep -o 'not covered: [^)]*' "$TEST_TMP/c.err")"
		return
	fi
	calls=$(sed -n 's/^calls //p' "$TEST_TMP/c.calls")
	seen=$(grep -c '"syscall":' "$TEST_TMP/c.json")
	read -r _ lost <<<"$(closing "$TEST_TMP/c.err")"
	if [ -z "$calls" ] || [ -z "$lost" ]; then
		fail "contention: $KERNEL $label" "no count: $(oneline <"$TEST_TMP/c.err")"
		return
	fi
	assert_eq "contention: $KERNEL $label: seen + lost == calls" "$calls" "$((seen + lost))"
	if grep -q '^Tracing.*calls can be lost' "$TEST_TMP/c.err"; then
		# Exit status 3 says events were lost, 0 that none were.
		assert_eq "contention: $KERNEL $label: status says whether calls were lost ($lost of $calls)" \
			"$([ "$lost" = 0 ] && echo 0 || echo 3)" "$status"
	else
		assert_eq "contention: $KERNEL $label: nothing lost, status 0" "0 0" "$lost $status"
	fi
}

WORKLOADS=("64-bit|$WORKLOAD|glibc")
can_run_32bit && WORKLOADS+=("32-bit|$WORKLOAD32|glibc")
for w in "${WORKLOADS[@]}"; do
	IFS='|' read -r abi wl path <<<"$w"
	contend "fentry $abi" "$wl" "$path" --attach fentry
	contend "kprobe $abi" "$wl" "$path" --attach kprobe -v
	# The kernel's own count of the returns our kretprobes missed.
	if grep -q '^Tracing.*via kprobe' "$TEST_TMP/c.err"; then
		assert_eq "contention: $KERNEL kprobe $abi: the kernel's kretprobes missed no return" \
			"shmtrace: the kernel's kretprobes missed 0 returns, of any caller" \
			"$(grep "kretprobes missed" "$TEST_TMP/c.err")"
	fi
	contend "tracepoint $abi" "$wl" "$path" --attach tracepoint --compat
	contend "auto $abi" "$wl" "$path"
done

# kprobe mode where tracefs is out of reach, as in many containers:
# /sys/kernel hidden in a mount namespace of its own, the BTF given by --btf.
NO_TRACEFS=(unshare -m sh -c 'mount -t tmpfs none /sys/kernel && exec "$@"' sh)
if [ ! -e /sys/bus/event_source/devices/kprobe/type ]; then
	skip "contention: $KERNEL kprobe without tracefs" "this kernel has no kprobes"
elif ! "${NO_TRACEFS[@]}" true 2>/dev/null; then
	skip "contention: $KERNEL kprobe without tracefs" "unshare -m cannot hide tracefs here"
else
	cp /sys/kernel/btf/vmlinux "$TEST_TMP/vmlinux.btf"
	BTF=(--btf "$TEST_TMP/vmlinux.btf" --no-cache)
	"${NO_TRACEFS[@]}" "$SHMTRACE" "${BTF[@]}" -d 0.1 -o /dev/null 2>"$TEST_TMP/nt.err"
	assert_eq "contention: $KERNEL auto without tracefs: kprobe, and the banner says calls can be lost" \
		"Tracing shmget via kprobe (calls can be lost: without tracefs, kretprobes run out under contention)... Hit Ctrl-C to end." \
		"$(grep '^Tracing' "$TEST_TMP/nt.err" | sed 's/ (not covered: [^)]*)//; s/ (32-bit programs cannot run on this kernel)//')"
	"${NO_TRACEFS[@]}" "$SHMTRACE" "${BTF[@]}" -e all -d 0.1 -o /dev/null 2>"$TEST_TMP/nt.err"
	assert_eq "contention: $KERNEL -e all without tracefs: the banner says munmap and mremap are not seen, and why" \
		"1" "$(grep -c '(attach, detach: not seen for munmap and mremap: tracefs is not mounted on /sys/kernel/tracing and mounting it failed (No such file or directory))' "$TEST_TMP/nt.err")"
	WRAP=("${NO_TRACEFS[@]}")
	for w in "${WORKLOADS[@]}"; do
		IFS='|' read -r abi wl path <<<"$w"
		contend "kprobe $abi without tracefs" "$wl" "$path" --attach kprobe "${BTF[@]}"
	done
fi
