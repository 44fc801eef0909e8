#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# kprobe mode's kretprobes live in tracefs, outside the process: each
# shmtrace removes its own at exit; one killed with SIGKILL leaves them,
# and the next shmtrace removes them; two shmtraces at once keep theirs
# apart, and each sees every call.
# Runs on the host (SKIP: no kprobes there) and in the QEMU guests.
. "$(dirname "$0")/lib.sh"

KERNEL=$(uname -r | cut -d. -f1,2)
T="kretprobes: $KERNEL"

if [ ! -e /sys/bus/event_source/devices/kprobe/type ]; then
	skip "$T" "this kernel has no kprobes (CONFIG_KPROBES)"
	exit 0
fi
EVENTS=/sys/kernel/tracing/kprobe_events
[ -e $EVENTS ] || EVENTS=/sys/kernel/debug/tracing/kprobe_events

# probes_of PID: how many of shmtrace PID's kretprobes tracefs has.
probes_of() { grep -c "^r4096:shmtrace/s[0-9]*_$1_" "$EVENTS"; }
ours() { grep -c ':shmtrace/' "$EVENTS"; }
# How many are left once an exited shmtrace's teardown (a child that
# outlives it, at most a second on real machines) is done: up to 10 s.
left() {
	local i
	for i in $(seq 100); do
		[ "$(ours)" = 0 ] && break
		sleep 0.1
	done
	ours
}

# start NAME OPTIONS...: a kprobe-mode shmtrace in the background, its
# events in $TEST_TMP/NAME.out; sets PID_NAME once its banner is out.
start() {
	local name=$1 i
	shift
	"$SHMTRACE" --attach kprobe -e all -j "$@" -o "$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" &
	eval "PID_$name=$!"
	for i in $(seq 200); do
		grep -q '^Tracing' "$TEST_TMP/$name.err" && return 0
		sleep 0.05
	done
	return 1
}

stop() { kill -INT "$1"; wait "$1"; }

seen() { grep -c '"syscall":' "$TEST_TMP/$1.out"; }

# in_pid_ns INODE: whether any process is in that pid namespace.
in_pid_ns() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(stat -L -c %i "$p/ns/pid" 2>/dev/null)" = "$1" ] && return 0
	done
	return 1
}

# child_of PID: PID's child (the guests' BusyBox has no pkill -P).
child_of() {
	local s st ppid
	for s in /proc/[0-9]*/stat; do
		st=$(cat "$s" 2>/dev/null) || continue
		# After the name in parentheses: state, then the parent's pid.
		read -r _ ppid _ <<<"${st##*) }"
		[ "$ppid" = "$1" ] && { s=${s#/proc/}; echo "${s%/stat}"; }
	done
}

# A container's first process: its namespace ends with it, teardown and
# all, so it removes its own before it exits. Killed, it leaves probes
# named by its pid there, 1, which only the host's next start can judge.
test_pid_one() {
	local name="$T: as pid 1 of a pid namespace" u i ns
	if ! unshare -p -f true 2>/dev/null; then
		skip "$name" "unshare -p -f does not work here"
		return
	fi
	unshare -p -f --mount-proc "$SHMTRACE" --attach kprobe -e all -q -j -o "$TEST_TMP/one.out" -- \
		"$WORKLOAD" get $((0x7a6b0021)) 0 >/dev/null 2>"$TEST_TMP/one.err"
	assert_eq "$name: it traced the call, and leaves nothing at exit" "1 0|" \
		"$(grep -c '"key":2053832737' "$TEST_TMP/one.out") $(ours)|$(oneline <"$TEST_TMP/one.err")"
	unshare -p -f --mount-proc "$SHMTRACE" --attach kprobe -e all -o /dev/null -d 60 2>"$TEST_TMP/one.err" &
	u=$!
	for i in $(seq 200); do
		[ "$(ours)" != 0 ] && break
		sleep 0.05
	done
	ns=$(sed -n 's/.*:shmtrace\/s\([0-9]*\)_1_.*/\1/p' "$EVENTS" | head -1)
	kill -KILL "$(child_of "$u")"
	wait "$u" 2>/dev/null
	check "$name: killed, it leaves its own" \
		sh -c 'test "$1" -gt 0 || cat "$2" && test "$1" -gt 0' sh "$(ours)" "$TEST_TMP/one.err"
	# Its links go with the last process of its namespace.
	for i in $(seq 100); do
		in_pid_ns "$ns" || break
		sleep 0.1
	done
	if start d; then
		stop "$PID_d"
		assert_eq "$name: the host's next start removed them" 0 "$(left)"
	else
		fail "$name: the host's next start" "$(oneline <"$TEST_TMP/d.err")"
	fi
}

assert_eq "$T: none are there before" 0 "$(left)"
if ! start a || ! start b; then
	fail "$T: two shmtraces start" "$(cat "$TEST_TMP"/a.err "$TEST_TMP"/b.err | oneline)"
	exit 0
fi
n=$(probes_of "$PID_a")
check "$T: each has its own (a: $n)" test "$n" -gt 0 -a "$(probes_of "$PID_b")" = "$n"
"$WORKLOAD" glibc contend 16 4 >"$TEST_TMP/calls1"
kill -KILL "$PID_a"
wait "$PID_a" 2>/dev/null
assert_eq "$T: SIGKILL leaves a's behind" "$n" "$(probes_of "$PID_a")"
"$WORKLOAD" glibc contend 16 4 >"$TEST_TMP/calls2"
stop "$PID_b"
assert_eq "$T: b, beside a and after a was killed, saw every call" \
	"$(($(sed -n 's/^calls //p' "$TEST_TMP/calls1") + $(sed -n 's/^calls //p' "$TEST_TMP/calls2")))" \
	"$(seen b)"
assert_eq "$T: b removed its own at exit, and only its own" "0 $n" "$(probes_of "$PID_b") $(probes_of "$PID_a")"
if start c; then
	assert_eq "$T: the next start removed the killed one's" 0 "$(probes_of "$PID_a")"
	stop "$PID_c"
else
	fail "$T: the next start" "$(oneline <"$TEST_TMP/c.err")"
fi
assert_eq "$T: nothing left behind" 0 "$(left)"
# A command that cannot run ends the trace early: nothing is left either.
"$SHMTRACE" --attach kprobe -e all -o /dev/null -- /no/such/program 2>/dev/null
assert_eq "$T: a command that cannot run leaves nothing" 0 "$(left)"
test_pid_one
