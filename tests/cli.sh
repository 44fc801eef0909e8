#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The command line of issue 3, end to end: every filter, "-- COMMAND",
# run length, output options and pipes, each checked against real shmget
# calls made by the C workload (.output/workload) under the real tracer.
# What needs neither root nor BPF (bad values, --help, the man page, the
# completion) is in tests/docs.sh.
[ -n "${TEST_TMP:-}" ] || OWN_TMP=1
. tests/lib.sh

EXPECT=$TEST_TMP/expect
GO=$TEST_TMP/go
# A key nothing on this machine uses: a trace filtered on it stays empty.
UNUSED_KEY=0x7e0dead0
HEADER="PID TID UID COMM ABI KEY SIZE SHMFLG RET LAT(us)"
CGROUP_ROOT=
CGROUP_DIR=
CGROUP_MOUNTED=
NOISE_PID=
TWIN_PID=

cleanup() {
	[ -n "$NOISE_PID" ] && kill "$NOISE_PID" 2>/dev/null
	[ -n "$CGROUP_DIR" ] && rmdir "$CGROUP_DIR" 2>/dev/null
	[ -n "$CGROUP_MOUNTED" ] && umount "$CGROUP_MOUNTED" 2>/dev/null
	[ -n "${OWN_TMP:-}" ] && rm -rf "$TEST_TMP"
}
trap cleanup EXIT

# wait_for PID MS: waits for a child to exit; its status in WAIT_STATUS.
# Returns 1, leaving it running, if it outlives MS milliseconds.
wait_for() {
	local pid=$1 deadline=$(($(now_ms) + $2))
	while kill -0 "$pid" 2>/dev/null; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.02
	done
	wait "$pid"
	WAIT_STATUS=$?
}

# Waits (up to 10 s) for the banner of a tracer started by hand.
wait_banner() {
	local _
	for _ in $(seq 200); do
		grep -q '^Tracing shmget' "$TEST_TMP/err" && return 0
		sleep 0.05
	done
	return 1
}

# Bytes of a name as the workload's "comm HEX KEY" mode wants them.
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# The event lines of a text trace, without TIME or LAT:
# PID TID UID COMM ABI KEY SIZE SHMFLG RET.
events() { awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$1"; }

# expected COND: the workload's lines ($EXPECT, TSV) for which the awk
# condition holds ($1 pid, $2 tid, $3 uid, $8 key, $13 ret; P is the
# workload's pid, K1 and K2 its keys), in the form of events().
expected() {
	awk -F'\t' -v P="$WL_PID" -v K1="$K1" -v K2="$K2" \
		"$1"' { print $1, $2, $3, $5, $6, $7, $9, $11, $12 }' "$EXPECT"
}

# compare NAME EXPECTED-FILE GOT-FILE: same lines; an empty expectation
# is a broken test, not a pass.
compare() {
	if [ ! -s "$2" ]; then
		fail "$1" "nothing expected: the test is broken"
	elif same_lines "$2" "$3" >"$TEST_TMP/why"; then
		pass "$1"
	else
		fail "$1" "expected vs got: $(oneline <"$TEST_TMP/why")"
	fi
}

# Starts the workload blocked on a fifo, so that its pid (WL_PID) and
# keys (K1, K2: see workload.c) are known before its first call.
blocked_workload() {
	rm -f "$GO"
	mkfifo "$GO"
	(read -r _ <"$GO"; exec "$WORKLOAD") >"$EXPECT" &
	WL_PID=$!
	K1=$((0x5e000000 | (WL_PID & 0xffffff) << 2))
	K2=$((K1 + 1))
}

# Lets it run (and the twin of blocked_twin, if any); fails unless it
# ran to completion as WL_PID.
release_workload() {
	[ -n "$TWIN_PID" ] && echo go >"$GO.twin"
	echo go >"$GO"
	if [ -n "$TWIN_PID" ]; then
		wait "$TWIN_PID"
		TWIN_PID=
	fi
	wait "$WL_PID" || { RUN_ERR="workload failed"; return 1; }
	[ "$(head -c 32 "$EXPECT" | cut -f1)" = "$WL_PID" ] ||
		{ RUN_ERR="workload did not run as pid $WL_PID"; return 1; }
}

# traced_run TRACER-ARGS...: the blocked workload under shmtrace.
traced_run() {
	if ! start_tracer "$@"; then
		release_workload
		RUN_ERR="shmtrace did not start: $(oneline <"$TEST_TMP/err")"
		return 1
	fi
	release_workload || { stop_tracer; return 1; }
	stop_tracer || { RUN_ERR="shmtrace exited with $?: $(oneline <"$TEST_TMP/err")"; return 1; }
}

# filter_case NAME COND TRACER-ARGS...: after blocked_workload, the
# trace holds exactly the workload's calls matching COND, nothing else.
filter_case() {
	local name=$1 cond=$2
	shift 2
	traced_run "$@" || { fail "$name" "$RUN_ERR"; return; }
	expected "$cond" >"$TEST_TMP/exp"
	events "$TEST_TMP/out" >"$TEST_TMP/got"
	compare "$name" "$TEST_TMP/exp" "$TEST_TMP/got"
}

# command_case NAME COND TRACER-ARGS...: for filters that other callers
# on a busy machine pass too (-u, -x, IPC_PRIVATE: a flood of them would
# fill the ring buffer): shmtrace ARGS -- workload reports exactly the
# workload's calls that match COND.
command_case() {
	local name=$1 cond=$2 status
	shift 2
	WL_PID='' K1='' K2=''
	timeout 30 "$SHMTRACE" -q -o "$TEST_TMP/out" "$@" -- "$WORKLOAD" >"$EXPECT" 2>"$TEST_TMP/err"
	status=$?
	if [ "$status" != 0 ]; then
		fail "$name" "status $status: $(oneline <"$TEST_TMP/err")"
		return
	fi
	expected "$cond" >"$TEST_TMP/exp"
	events "$TEST_TMP/out" >"$TEST_TMP/got"
	compare "$name" "$TEST_TMP/exp" "$TEST_TMP/got"
}

# comm_call NAME KEY: one ENOENT lookup of KEY by a process called NAME;
# prints the event line it must produce, in the form of events().
comm_call() {
	local pid
	"$WORKLOAD" comm "$(hex "$1")" "$2" &
	pid=$!
	wait "$pid" || return 1
	printf '%s %s 0 %s x86_64 0x%08x 4096 000 ENOENT\n' "$pid" "$pid" "$1" "$(($2))"
}

## Filters

test_pid() {
	blocked_workload
	filter_case "-p PID: exactly that process's calls, its threads included, its child not" \
		'$1 == P' -p "$WL_PID"
}

test_tid() {
	blocked_workload
	filter_case "-t TID: exactly that thread's calls, not the other threads'" \
		'$2 == P' -t "$WL_PID"
}

test_uid() {
	command_case "-u 65534: exactly the unprivileged child's calls" '$3 == 65534' -u 65534
	command_case "-u 0: exactly the calls of the root parent and threads" '$3 == 0' -u 0
}

test_comm() {
	local name="shmtcli$$" k=$((0x7c000000 | ($$ & 0xffff) << 4))
	start_tracer -c "$name" || { fail "-c NAME" "shmtrace did not start"; return; }
	comm_call "$name" $k >"$TEST_TMP/exp" &&
		comm_call "${name}x" $((k + 1)) >/dev/null &&
		comm_call "${name%?}" $((k + 2)) >/dev/null &&
		comm_call shmt-wl $k >/dev/null
	stop_tracer
	events "$TEST_TMP/out" >"$TEST_TMP/got"
	compare "-c NAME: exactly that comm, not a longer name, a prefix or another name" \
		"$TEST_TMP/exp" "$TEST_TMP/got"
}

test_key_hex() {
	blocked_workload
	filter_case "-k 0xHEX: exactly the calls with that key (main thread, threads)" \
		'$8 == K1' -k "$(printf '0x%08x' "$K1")"
}

test_key_decimal() {
	blocked_workload
	filter_case "-k DECIMAL: exactly the calls with that key (parent and child)" \
		'$8 == K2' -k "$K2"
}

test_key_private() {
	command_case "-k IPC_PRIVATE: exactly the IPC_PRIVATE calls" '$8 == 0' -k IPC_PRIVATE
	command_case "-k 0: the same as IPC_PRIVATE" '$8 == 0' -k 0
}

test_failed() {
	command_case "-x: exactly the calls that returned an error" '$13 < 0' -x
}

test_and() {
	blocked_workload
	filter_case "-p PID -k KEY -x: AND of the three" \
		'$1 == P && $8 == K1 && $13 < 0' -p "$WL_PID" -k "$(printf '0x%08x' "$K1")" -x
	blocked_workload
	filter_case "-c NAME -u 0 -k KEY: AND of the three" \
		'$3 == 0 && $8 == K2' -c shmt-wl -u 0 -k "$K2"
}

# The cgroup v2 hierarchy in CGROUP_ROOT: mounted already (v2 alone at
# /sys/fs/cgroup, or hybrid at .../unified), or, with v1 alone, mounted
# here; not in a subshell, so that cleanup knows to unmount it.
cgroup2_root() {
	CGROUP_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -z "$CGROUP_ROOT" ] || return 0
	CGROUP_ROOT=$TEST_TMP/cgroup2
	mkdir -p "$CGROUP_ROOT"
	mount -t cgroup2 none "$CGROUP_ROOT" 2>"$TEST_TMP/mount.err" || return 1
	CGROUP_MOUNTED=$CGROUP_ROOT
}

# A second workload, started blocked too and released with the first:
# its calls are made while the first one's are traced.
blocked_twin() {
	rm -f "$GO.twin"
	mkfifo "$GO.twin"
	(read -r _ <"$GO.twin"; exec "$WORKLOAD") >"$TEST_TMP/twin" &
	TWIN_PID=$!
}

cgroup_case() {
	local name=$1 cond=$2
	shift 2
	blocked_workload
	if ! echo "$WL_PID" >"$CGROUP_DIR/cgroup.procs"; then
		release_workload
		fail "$name" "cannot move pid $WL_PID into $CGROUP_DIR"
		return
	fi
	blocked_twin
	filter_case "$name" "$cond" --cgroup "$CGROUP_DIR" "$@"
}

test_cgroup() {
	local root
	if ! cgroup2_root; then
		skip "--cgroup PATH" "no cgroup v2 hierarchy, and mounting one failed: $(head -1 "$TEST_TMP/mount.err")"
		return
	fi
	root=$CGROUP_ROOT
	CGROUP_DIR=$root/shmtrace-cli-$$
	if ! mkdir "$CGROUP_DIR"; then
		skip "--cgroup PATH" "cannot create a cgroup under $root"
		CGROUP_DIR=
		return
	fi
	cgroup_case "--cgroup PATH: exactly the calls of the tasks inside (child, threads)" 1
	cgroup_case "--cgroup PATH -u 65534: AND of the two" '$3 == 65534' -u 65534
	for _ in $(seq 50); do
		rmdir "$CGROUP_DIR" 2>/dev/null && break
		sleep 0.05
	done
	check "--cgroup: test cgroup removed" test ! -d "$CGROUP_DIR"
	CGROUP_DIR=
}

test_cgroup_bad() {
	local err
	err=$("$SHMTRACE" -q --cgroup /nonexistent-cgroup -d 0.1 2>&1 >/dev/null)
	assert_eq "--cgroup /nonexistent-cgroup: status 1, one line naming the path" \
		"1 1 1" "$? $(printf '%s\n' "$err" | wc -l) $(printf '%s' "$err" | grep -c 'cannot open cgroup /nonexistent-cgroup')"
}

## -- COMMAND

# Unrelated shmget calls, by a process with the workload's own comm.
start_noise() {
	: >"$TEST_TMP/noise"
	(while :; do
		"$WORKLOAD" comm "$(hex shmt-wl)" 0x7c0ffee0
		echo >>"$TEST_TMP/noise"
	done) &
	NOISE_PID=$!
	while [ ! -s "$TEST_TMP/noise" ]; do sleep 0.01; done
}

stop_noise() {
	kill "$NOISE_PID"
	wait "$NOISE_PID" 2>/dev/null
	NOISE_PID=
}

test_command() {
	local name="-- COMMAND: exactly its calls, forked child and threads included, not a concurrent caller's"
	local status noise pids tids
	start_noise
	noise=$(wc -l <"$TEST_TMP/noise")
	timeout 30 "$SHMTRACE" -q -o "$TEST_TMP/out" -- "$WORKLOAD" >"$EXPECT" 2>"$TEST_TMP/err"
	status=$?
	noise=$(($(wc -l <"$TEST_TMP/noise") - noise))
	stop_noise
	pids=$(cut -f1 "$EXPECT" | sort -u | wc -l)
	tids=$(cut -f2 "$EXPECT" | sort -u | wc -l)
	if [ "$status" != 0 ] || [ "$pids" -lt 2 ] || [ "$tids" -lt 6 ] || [ "$noise" -lt 1 ]; then
		fail "$name" "status $status, $pids pids, $tids tids, $noise concurrent calls: $(oneline <"$TEST_TMP/err")"
		return
	fi
	expected 1 >"$TEST_TMP/exp"
	events "$TEST_TMP/out" >"$TEST_TMP/got"
	compare "$name" "$TEST_TMP/exp" "$TEST_TMP/got"
	assert_eq "-- COMMAND -o FILE: FILE starts with the header" \
		"$HEADER" "$(head -1 "$TEST_TMP/out" | tr -s ' ')"
	check "-- COMMAND -o FILE: stdout holds only the command's own output" \
		awk -F'\t' 'NF != 14 { print; bad = 1 } END { exit bad }' "$EXPECT"
}

test_command_32bit() {
	local name="--attach tracepoint --compat -- 32-bit COMMAND: its ipc(SHMGET) calls, exactly"
	if [ ! -x .output/workload32 ]; then
		skip "$name" ".output/workload32 not built"
		return
	fi
	if ! WORKLOAD32=.output/workload32 can_run_32bit; then
		skip "$name" "$NO32_REASON"
		return
	fi
	timeout 30 "$SHMTRACE" -q --attach tracepoint --compat -o "$TEST_TMP/out" -- \
		.output/workload32 ipc >"$EXPECT" 2>"$TEST_TMP/err" ||
		{ fail "$name" "status $?: $(oneline <"$TEST_TMP/err")"; return; }
	expected 1 >"$TEST_TMP/exp"
	events "$TEST_TMP/out" >"$TEST_TMP/got"
	compare "$name" "$TEST_TMP/exp" "$TEST_TMP/got"
}

# command_status NAME WANT COMMAND...: shmtrace's exit status.
command_status() {
	local name=$1 want=$2
	shift 2
	timeout 20 "$SHMTRACE" -q -o /dev/null -- "$@" >/dev/null 2>"$TEST_TMP/err"
	assert_eq "$name" "$want" "$?"
}

# A thread that outlives its thread-group leader is still followed.
test_command_leader_exits() {
	local key=$((0x7e5c0000 | ($$ & 0xffff))) got
	got=$("$SHMTRACE" -q --no-header -- "$WORKLOAD" leader-exits $key 2>/dev/null |
		awk -v k="$(printf '0x%08x' $key)" '$6 == k { print $4, $9 }')
	assert_eq "-- COMMAND: a call from a thread after its leader exited is traced" \
		"$(basename "$WORKLOAD" | cut -c1-15) ENOENT" "$got"
}

test_command_status() {
	command_status "-- true: status 0" 0 true
	command_status "-- sh -c 'exit 7': status 7" 7 sh -c 'exit 7'
	command_status "-- command killed by SIGTERM: status 143" 143 sh -c 'kill -TERM $$'
	command_status "-- command killed by SIGKILL: status 137" 137 sh -c 'kill -KILL $$'
}

# cannot_run NAME WANT-STATUS COMMAND: one stderr line naming it.
cannot_run() {
	local err
	err=$(timeout 20 "$SHMTRACE" -q -o /dev/null -- "$3" 2>&1 >/dev/null)
	assert_eq "$1" "$2 1 1" \
		"$? $(printf '%s\n' "$err" | wc -l) $(printf '%s' "$err" | grep -cF "$3")"
}

test_command_missing() {
	cannot_run "-- a command that does not exist: status 127, one stderr line naming it" \
		127 "$TEST_TMP/no-such-command"
	: >"$TEST_TMP/not-executable"
	chmod 644 "$TEST_TMP/not-executable"
	cannot_run "-- a file that is not executable: status 126, one stderr line naming it" \
		126 "$TEST_TMP/not-executable"
}

test_command_stdio() {
	local out
	out=$(echo from-stdin | timeout 20 "$SHMTRACE" -q -o "$TEST_TMP/ev" -- \
		sh -c 'cat; echo to-stderr >&2' 2>"$TEST_TMP/err")
	assert_eq "-- COMMAND: its stdin and stdout are left alone" "from-stdin" "$out"
	assert_eq "-- COMMAND: its stderr is left alone" "to-stderr" "$(cat "$TEST_TMP/err")"
	assert_eq "-- COMMAND -o FILE: FILE holds only the header" \
		"$HEADER" "$(tr -s ' ' <"$TEST_TMP/ev")"
	out=$(timeout 20 "$SHMTRACE" -q -- sh -c 'echo from-command' 2>/dev/null | tr -s ' ')
	assert_eq "-- COMMAND without -o: the header, then the command's own output" \
		"$HEADER"$'\n'"from-command" "$out"
}

## Output and run length

test_output_file() {
	local k=$((0x7c100000 | ($$ & 0xffff) << 4)) line
	start_tracer -o "$TEST_TMP/file" -k $k || { fail "-o FILE" "shmtrace did not start"; return; }
	line=$(comm_call cli-out $k)
	stop_tracer
	assert_eq "-o FILE: stdout stays empty" "" "$(cat "$TEST_TMP/out")"
	assert_eq "-o FILE: header and the one event in FILE" "$HEADER"$'\n'"$line" \
		"$(head -1 "$TEST_TMP/file" | tr -s ' '; events "$TEST_TMP/file")"
}

test_json() {
	local k=$((0x7c200000 | ($$ & 0xffff) << 4)) line
	start_tracer -j -k $k || { fail "-j" "shmtrace did not start"; return; }
	line=$(comm_call cli-json $k)
	stop_tracer
	assert_eq "-j -k KEY: one JSON object, the call's fields" \
		"${line% *} -2 ENOENT" \
		"$(jq -r '[.pid, .tid, .uid, .comm, .abi, (.key | tostring), .size, .flags, .ret, .errno] | join(" ")' "$TEST_TMP/out" 2>&1 |
			awk '{ $6 = sprintf("0x%08x", $6); print }')"
}

test_timestamp() {
	local k=$((0x7c300000 | ($$ & 0xffff) << 4)) line now
	start_tracer -T -k $k || { fail "-T" "shmtrace did not start"; return; }
	line=$(comm_call cli-time $k)
	now=$(date +%s)
	stop_tracer
	assert_eq "-T: header starts with TIME" "TIME $HEADER" "$(head -1 "$TEST_TMP/out" | tr -s ' ')"
	assert_eq "-T: the event, after its time" "$line" \
		"$(awk 'NR > 1 { print $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$TEST_TMP/out")"
	check "-T: time is HH:MM:SS.uuuuuu, local, within 5 s of now" \
		awk -v now="$(date -d @"$now" +%T)" 'function s(t, a) { split(t, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
			NR == 2 { d = s(now) - s($1); if (d < 0) d = -d; if (d > 43200) d = 86400 - d
				if ($1 !~ /^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ || d > 5) { print $1 " vs " now; exit 1 } }' "$TEST_TMP/out"
}

# quiet_case NAME WANT-STDOUT WANT-STDERR ARGS...: a short idle run.
quiet_case() {
	local name=$1 want_out=$2 want_err=$3 out status
	shift 3
	"$SHMTRACE" -k $UNUSED_KEY -d 0.2 "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	status=$?
	out=$(tr -s ' ' <"$TEST_TMP/out")
	# BANNER stands for the banner of whatever mode auto picked.
	case $want_err in
	BANNER*) sed -i 's/^Tracing shmget via [a-z]*\b.*\.\.\. Hit Ctrl-C to end\.$/BANNER/' "$TEST_TMP/err" ;;
	esac
	assert_eq "$name" "0|$want_out|$want_err" "$status|$out|$(cat "$TEST_TMP/err")"
}

test_quiet_header() {
	quiet_case "default: banner and summary on stderr, header on stdout" \
		"$HEADER" "BANNER"$'\n'"shmtrace: 0 events, 0 lost"
	quiet_case "-q: no banner, no summary" "$HEADER" "" -q
	quiet_case "--no-header: no header" "" "BANNER"$'\n'"shmtrace: 0 events, 0 lost" --no-header
	quiet_case "-q --no-header: nothing at all" "" "" -q --no-header
	quiet_case "-j: no header in JSON mode" "" "" -q -j
}

test_duration() {
	local t0 ms
	start_tracer -d 1 -k $UNUSED_KEY || { fail "-d 1" "shmtrace did not start"; return; }
	t0=$(now_ms)
	if ! wait_for "$TRACER_PID" 3000; then
		stop_tracer
		fail "-d 1: stops after 1 s with status 0" "still running after 3 s"
		return
	fi
	ms=$(($(now_ms) - t0))
	if [ "$WAIT_STATUS" = 0 ] && [ "$ms" -ge 900 ] && [ "$ms" -le 1500 ]; then
		pass "-d 1: stops after 1 s with status 0"
	else
		fail "-d 1: stops after 1 s with status 0" "status $WAIT_STATUS after $ms ms"
	fi
}

test_count() {
	local name="-n 3: exactly the first 3 matching events, then status 0"
	blocked_workload
	start_tracer -n 3 --no-header -k "$K1" || { release_workload; fail "$name" "shmtrace did not start"; return; }
	release_workload
	if ! wait_for "$TRACER_PID" 3000; then
		stop_tracer
		fail "$name" "still running after 3 events and 3 s"
		return
	fi
	assert_eq "$name" "0|$(expected '$8 == K1' | head -3)" "$WAIT_STATUS|$(events "$TEST_TMP/out")"
}

## Tracing options

test_tracing_options() {
	quiet_case "-b 4K: a small buffer works" "" "" -q --no-header -b 4K
	if WORKLOAD32=.output/workload32 can_run_32bit; then
		quiet_case "--attach tracepoint: banner names the mode, lists what is not covered" "" \
			"Tracing shmget via tracepoint (not covered: 32-bit syscalls, 32-bit ipc(2): these need --compat)... Hit Ctrl-C to end."$'\n'"shmtrace: 0 events, 0 lost" \
			--no-header --attach tracepoint
	else
		quiet_case "--attach tracepoint: banner says 32-bit programs cannot run here" "" \
			"Tracing shmget via tracepoint (32-bit programs cannot run on this kernel)... Hit Ctrl-C to end."$'\n'"shmtrace: 0 events, 0 lost" \
			--no-header --attach tracepoint
	fi
	quiet_case "--attach tracepoint --compat: nothing left uncovered" "" \
		"Tracing shmget via tracepoint... Hit Ctrl-C to end."$'\n'"shmtrace: 0 events, 0 lost" \
		--no-header --attach tracepoint --compat
	quiet_case "--btf FILE: the kernel's own BTF works" "" "" -q --no-header --btf /sys/kernel/btf/vmlinux
	"$SHMTRACE" -v -q -d 0.1 -k $UNUSED_KEY >/dev/null 2>"$TEST_TMP/err"
	assert_eq "-v: libbpf's messages on stderr" "0 yes" \
		"$? $(grep -q '^libbpf: ' "$TEST_TMP/err" && echo yes)"
	"$SHMTRACE" -q --btf "$TEST_TMP/no-btf" -d 0.1 >/dev/null 2>"$TEST_TMP/err"
	assert_eq "--btf MISSING: status 1, one line naming the file" "1 1 1" \
		"$? $(wc -l <"$TEST_TMP/err") $(grep -c "$TEST_TMP/no-btf" "$TEST_TMP/err")"
}

## Pipes

test_pipe_prompt() {
	local name="pipe: an event reaches a pipe within 1 s, while shmtrace runs, without stdbuf"
	local k=$((0x7c400000 | ($$ & 0xffff) << 4)) line deadline seen=''
	rm -f "$TEST_TMP/pipe"
	mkfifo "$TEST_TMP/pipe"
	cat <"$TEST_TMP/pipe" >"$TEST_TMP/piped" &
	local cat_pid=$!
	"$SHMTRACE" -k $k >"$TEST_TMP/pipe" 2>"$TEST_TMP/err" &
	TRACER_PID=$!
	wait_banner
	line=$(comm_call cli-pipe $k)
	deadline=$(($(now_ms) + 1000))
	while [ "$(now_ms)" -le "$deadline" ]; do
		[ "$(events "$TEST_TMP/piped")" = "$line" ] && { seen=1; break; }
		sleep 0.02
	done
	if [ -n "$seen" ] && kill -0 "$TRACER_PID" 2>/dev/null; then
		pass "$name"
	else
		fail "$name" "got '$(oneline <"$TEST_TMP/piped")' for '$line'"
	fi
	stop_tracer
	wait "$cat_pid"
}

# The BPF programs and links a process holds open, as "prog ID" and
# "link ID" lines (from the fdinfo of its descriptors).
bpf_held() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null |
		awk '$1 == "prog_id:" { print "prog", $2 } $1 == "link_id:" { print "link", $2 }' | sort -u
}

# Every BPF program and link in the kernel, in the same form.
bpf_alive() {
	{
		bpftool -j prog show | jq -r '.[] | "prog \(.id)"'
		bpftool -j link show | jq -r '.[] | "link \(.id)"'
	} 2>/dev/null | sort -u
}

# head_case NAME CALLS TRACER-ARGS...: shmtrace ARGS | head -1; with
# CALLS=1, one call for head to read and one after head exited. shmtrace
# must end with status 0 within 1 s of head, and leave nothing attached.
head_case() {
	local name=$1 calls=$2 k=$((0x7c500000 | ($$ & 0xffff) << 4)) ours t0 ms head_pid
	shift 2
	rm -f "$TEST_TMP/pipe"
	mkfifo "$TEST_TMP/pipe"
	# head starts reading late, so that shmtrace's holdings can be seen.
	{ sleep 0.5; head -1; } <"$TEST_TMP/pipe" >"$TEST_TMP/head" &
	head_pid=$!
	"$SHMTRACE" -k $k "$@" >"$TEST_TMP/pipe" 2>"$TEST_TMP/err" &
	TRACER_PID=$!
	wait_banner
	ours=$(bpf_held "$TRACER_PID")
	[ "$calls" = 1 ] && comm_call cli-head $k >/dev/null
	wait_for "$head_pid" 2000 || kill "$head_pid"
	t0=$(now_ms)
	[ "$calls" = 1 ] && comm_call cli-head $k >/dev/null
	if ! wait_for "$TRACER_PID" 1500; then
		ms=$(($(now_ms) - t0))
		stop_tracer
		fail "$name: exits with status 0 within 1 s of head" "still running $ms ms after head exited"
		skip "$name: leaves nothing attached" "shmtrace did not exit by itself"
		skip "$name: nothing on stderr but the banner" "shmtrace did not exit by itself"
		return
	fi
	ms=$(($(now_ms) - t0))
	assert_eq "$name: exits with status 0 within 1 s of head" "0 in time" \
		"$WAIT_STATUS $([ "$ms" -le 1000 ] && echo in time || echo "after $ms ms")"
	if [ -z "$ours" ]; then
		fail "$name: leaves nothing attached" "found none of its programs or links while it ran"
	else
		assert_eq "$name: leaves nothing attached" "" \
			"$(comm -12 <(echo "$ours") <(bpf_alive) | tr '\n' ' ')"
	fi
	assert_eq "$name: nothing on stderr but the banner" "" \
		"$(grep -v '^Tracing shmget' "$TEST_TMP/err")"
}

test_head() {
	if ! command -v bpftool >/dev/null || ! command -v jq >/dev/null; then
		skip "| head -1" "needs bpftool and jq"
		return
	fi
	head_case "shmtrace -q --no-header | head -1, an event after" 1 -q --no-header
	head_case "shmtrace | head -1 (the header), no event after" 0
}

# The closing line counts in English: 1 event, 2 events.
test_one_event() {
	"$SHMTRACE" -o /dev/null -- "$WORKLOAD" comm 6f6e65 0x5e7ffff1 2>"$TEST_TMP/err"
	assert_eq "closing line: one call is '1 event'" "shmtrace: 1 event, 0 lost" \
		"$(tail -1 "$TEST_TMP/err")"
}

if [ ! -x "$WORKLOAD" ]; then
	fail "cli" "$WORKLOAD is not built (make $WORKLOAD)"
	exit 0
fi
test_pid
test_tid
test_uid
test_comm
test_key_hex
test_key_decimal
test_key_private
test_failed
test_and
test_cgroup
test_cgroup_bad
test_command
test_command_32bit
test_command_leader_exits
test_command_status
test_command_missing
test_command_stdio
test_output_file
test_json
test_timestamp
test_quiet_header
test_duration
test_count
test_tracing_options
test_pipe_prompt
test_head
test_one_event
