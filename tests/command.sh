#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# "-- COMMAND": the command runs only once it is traced, never outlives
# shmtrace, and fails to start the way a shell says so.
. "$(dirname "$0")/lib.sh"

# gone PID MS: PID no longer exists (or is a zombie) within MS milliseconds.
gone() {
	local deadline=$(($(now_ms) + $2)) state
	while [ "$(now_ms)" -lt "$deadline" ]; do
		state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
		[ -z "$state" ] || [ "$state" = Z ] && return 0
		sleep 0.02
	done
	return 1
}

# shmtrace killed while it loads: the command never runs. A warm start
# takes ~15 ms, so a kill can land after loading; such a try proves
# nothing and is repeated. The banner, printed just before the command
# is released, tells the two apart.
test_killed_loading() {
	local name="-- COMMAND: shmtrace killed while loading" tp child try i
	for try in $(seq 20); do
		rm -f "$TEST_TMP/ran"
		"$SHMTRACE" --no-cache -o /dev/null -- \
			sh -c ': >"$0"; sleep 30' "$TEST_TMP/ran" 2>"$TEST_TMP/err" &
		tp=$!
		child=
		for i in $(seq 2000); do
			read -r child _ <"/proc/$tp/task/$tp/children" 2>/dev/null
			[ -n "$child" ] && break
		done
		kill -KILL "$tp"
		wait "$tp" 2>/dev/null
		if [ -z "$child" ]; then
			fail "$name" "shmtrace made no child"
			return
		fi
		if ! grep -q '^Tracing' "$TEST_TMP/err"; then
			check "$name: the waiting command is gone" gone "$child" 2000
			sleep 0.5
			check "$name: the command never ran" \
				test ! -e "$TEST_TMP/ran"
			return
		fi
		gone "$child" 2000
	done
	skip "$name" "every kill of 20 came after loading"
}

# shmtrace killed while the command runs: the command dies with it.
test_killed_running() {
	local name="-- COMMAND: shmtrace killed while the command runs" tp pid
	rm -f "$TEST_TMP/pid"
	start_tracer -o /dev/null -- sh -c 'echo $$ >"$0"; exec sleep 30' "$TEST_TMP/pid" ||
		{ fail "$name" "shmtrace did not start"; return; }
	await "$TEST_TMP/pid"
	pid=$(cat "$TEST_TMP/pid" 2>/dev/null)
	kill -KILL "$TRACER_PID"
	wait "$TRACER_PID" 2>/dev/null
	if [ -z "$pid" ]; then
		fail "$name" "the command did not start"
		return
	fi
	check "$name: the command is killed within 1 s" gone "$pid" 1000
}

# A command that ignores SIGTERM does not keep shmtrace from ending.
test_stubborn() {
	local name="-- COMMAND: a command ignoring SIGTERM" start took pid
	rm -f "$TEST_TMP/pid"
	start=$(now_ms)
	"$SHMTRACE" -q -o /dev/null -d 1 -- \
		bash -c 'trap "" TERM; echo $$ >"$0"; while :; do sleep 0.1; done' "$TEST_TMP/pid"
	took=$(($(now_ms) - start))
	pid=$(cat "$TEST_TMP/pid" 2>/dev/null)
	check "$name: shmtrace ends within 5 s (took $took ms)" test "$took" -lt 5000
	check "$name: the command is gone" gone "${pid:-0}" 1000
}

# run_status NAME WANT_STATUS WANT_STDERR COMMAND...
run_status() {
	local name=$1 want=$2 want_err=$3 status
	shift 3
	"$SHMTRACE" -q -o /dev/null -- "$@" 2>"$TEST_TMP/err"
	status=$?
	assert_eq "$name: status $want, stderr '$want_err'" "$want|$want_err" \
		"$status|$(cat "$TEST_TMP/err")"
}

test_exec_errors() {
	local elf=$TEST_TMP/foreign-elf
	cp /bin/true "$elf"
	# e_machine (bytes 18-19): 0x7777, no architecture's, so that no
	# kernel runs it and no binfmt_misc emulator (qemu-user) claims it.
	printf '\167\167' | dd of="$elf" bs=1 seek=18 conv=notrunc 2>/dev/null
	run_status "-- ELF of another architecture" 126 \
		"shmtrace: cannot run $elf: Exec format error" "$elf"
	printf '#!/bin/sh\nexit 7\n' >"$TEST_TMP/script"
	chmod +x "$TEST_TMP/script"
	run_status "-- a #! script" 7 "" "$TEST_TMP/script"
	printf 'exit 5\n' >"$TEST_TMP/plain"
	chmod +x "$TEST_TMP/plain"
	run_status "-- a script without #!, as sh does" 5 "" "$TEST_TMP/plain"
	run_status "-- a missing command" 127 \
		"shmtrace: cannot run no-such-command-x: No such file or directory" no-such-command-x
	printf 'exit 0\n' >"$TEST_TMP/noexec"
	chmod -x "$TEST_TMP/noexec"
	run_status "-- a file without execute permission" 126 \
		"shmtrace: cannot run $TEST_TMP/noexec: Permission denied" "$TEST_TMP/noexec"
	run_status "-- a command found in PATH" 3 "" sh -c 'exit 3'
}

# The ids of the BPF programs and links PID holds, one "prog:ID" a line.
bpf_held_ids() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null |
		sed -n 's/^\(prog\|link\)_id:[[:space:]]*\([0-9]*\)$/\1:\2/p' | sort -u
}

# Which of the ids in FILE the kernel still has.
alive() {
	local kind id
	while IFS=: read -r kind id; do
		bpftool "$kind" show id "$id" >/dev/null 2>&1 && echo "$kind:$id"
	done <"$1"
}

# gone_within FILE MS: none of FILE's ids is left within MS milliseconds.
gone_within() {
	local deadline=$(($(now_ms) + $2))
	while [ -n "$(alive "$1")" ]; do
		[ "$(now_ms)" -lt "$deadline" ] || { alive "$1" | tr '\n' ' '; return 1; }
		sleep 0.02
	done
}

# The command waits for $TEST_TMP/go, so that what shmtrace holds can be
# read first; the trace must hold its every call once shmtrace has exited,
# and nothing of shmtrace stay loaded a second later, whatever detaches.
test_wrap_complete() {
	local name="-- COMMAND -e all: a finished command's trace" status
	rm -f "$TEST_TMP/go" "$TEST_TMP/wrap.exp"
	start_tracer -e all -- sh -c 'while [ ! -e "$0/go" ]; do sleep 0.01; done
		exec "$1" glibc lifecycle >"$0/wrap.exp"' "$TEST_TMP" "$WORKLOAD" ||
		{ fail "$name" "shmtrace did not start"; return; }
	bpf_held_ids "$TRACER_PID" >"$TEST_TMP/wrap.ids"
	: >"$TEST_TMP/go"
	wait "$TRACER_PID"
	status=$?
	assert_eq "$name: status 0" 0 "$status"
	expected_lifecycle "$TEST_TMP/wrap.exp" >"$TEST_TMP/wrap.e"
	traced_lifecycle "$TEST_TMP/out" "$TEST_TMP/wrap.exp" >"$TEST_TMP/wrap.g"
	check "$name: every call, exactly ($(wc -l <"$TEST_TMP/wrap.e") of the workload)" \
		same_lines "$TEST_TMP/wrap.e" "$TEST_TMP/wrap.g"
	check "$name: shmtrace held programs and links" \
		test -n "$(grep '^prog:' "$TEST_TMP/wrap.ids")" -a -n "$(grep '^link:' "$TEST_TMP/wrap.ids")"
	check "$name: none of its programs or links is left 1 s after it exited" \
		gone_within "$TEST_TMP/wrap.ids" 1000
}

# kill -9 while the command runs: the kernel lets everything go.
test_wrap_killed() {
	local name="-- COMMAND -e all: shmtrace killed"
	start_tracer -e all -o /dev/null -- sleep 30 ||
		{ fail "$name" "shmtrace did not start"; return; }
	bpf_held_ids "$TRACER_PID" >"$TEST_TMP/kill.ids"
	kill -KILL "$TRACER_PID"
	wait "$TRACER_PID" 2>/dev/null
	check "$name: it held programs and links" \
		test -n "$(grep '^prog:' "$TEST_TMP/kill.ids")" -a -n "$(grep '^link:' "$TEST_TMP/kill.ids")"
	# Here the kernel detaches one link after the other, as the process dies.
	check "$name: none of its programs or links is left" \
		gone_within "$TEST_TMP/kill.ids" 4000
}

test_killed_loading
test_killed_running
test_stubborn
test_exec_errors
if ! command -v bpftool >/dev/null; then
	skip "-- COMMAND -e all: what is left after shmtrace" "no bpftool"
elif [ ! -x "$WORKLOAD" ]; then
	skip "-- COMMAND -e all: what is left after shmtrace" "$WORKLOAD not built"
else
	test_wrap_complete
	test_wrap_killed
fi
