#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# --stable: the same deterministic workload gives the same bytes, run after
# run, whatever the CPUs interleaved; ordinals name what ids and addresses
# name, per namespace; what --stable cannot keep is counted as lost.
. "$(dirname "$0")/lib.sh"
: "${BEHAVIOUR:=.output/behaviour}"

# stable FILE ARGS...: shmtrace --stable -e all -q -o FILE ARGS; the
# status in STABLE_STATUS, stderr in $TEST_TMP/err.
stable() {
	local out=$1
	shift
	"$SHMTRACE" --stable -e all -q -o "$out" "$@" 2>"$TEST_TMP/err"
	STABLE_STATUS=$?
}

# Two threads at once: their calls interleave differently each run, the
# trace does not. Written by hand from the workload.
test_threads_exact() {
	local name="--stable: two threads at once" i want
	want=$(cat <<-'WANT'
	PID     TID     UID    COMM             ABI    SYSCALL KEY         RET            ARGS
	P1      T1      0      shmt-beh         x86_64 shmget  0x5eb00010  S1             size=4096,shmflg=IPC_CREAT|IPC_EXCL|0600,created=true
	P1      T1      0      shmt-beh         x86_64 shmat   0x5eb00010  A1             shmid=S1,shmaddr=NULL,shmflg=0
	P1      T1      0      shmt-beh         x86_64 shmget  0x5eb00010  EEXIST         size=4096,shmflg=IPC_CREAT|IPC_EXCL|0600
	P1      T1      0      shmt-beh         x86_64 shmdt   0x5eb00010  0              shmaddr=A1,shmid=S1
	P1      T1      0      shmt-beh         x86_64 shmctl  0x5eb00010  0              shmid=S1,cmd=IPC_RMID,buf=NULL
	P1      T2      0      shmt-beh         x86_64 shmget  0x5eb00011  S2             size=4096,shmflg=IPC_CREAT|IPC_EXCL|0600,created=true
	P1      T2      0      shmt-beh         x86_64 shmat   0x5eb00011  A2             shmid=S2,shmaddr=NULL,shmflg=0
	P1      T2      0      shmt-beh         x86_64 shmget  0x5eb00011  EEXIST         size=4096,shmflg=IPC_CREAT|IPC_EXCL|0600
	P1      T2      0      shmt-beh         x86_64 shmdt   0x5eb00011  0              shmaddr=A2,shmid=S2
	P1      T2      0      shmt-beh         x86_64 shmctl  0x5eb00011  0              shmid=S2,cmd=IPC_RMID,buf=NULL
	WANT
	)
	for i in 1 2 3 4 5; do
		stable "$TEST_TMP/threads$i" -- "$BEHAVIOUR" threads
		assert_eq "$name, run $i: exactly the expected trace, status 0" "$want|0" \
			"$(cat "$TEST_TMP/threads$i")|$STABLE_STATUS"
	done
}

# The whole behaviour workload twice: byte for byte the same, one line
# per call it made, its unprivileged child's calls after its own.
test_twice() {
	local name="--stable: the behaviour workload twice" calls
	stable "$TEST_TMP/b1" -- "$BEHAVIOUR"
	calls=$(sed -n 's/^\([0-9]*\) calls$/\1/p' "$TEST_TMP/err")
	stable "$TEST_TMP/b2" -- "$BEHAVIOUR"
	assert_eq "$name: both complete (status 0)" "0" "$STABLE_STATUS"
	if cmp -s "$TEST_TMP/b1" "$TEST_TMP/b2"; then
		pass "$name: byte-identical"
	else
		fail "$name: byte-identical" "$(diff "$TEST_TMP/b1" "$TEST_TMP/b2" | oneline)"
	fi
	assert_eq "$name: one line per call (the workload counted ${calls:-?})" \
		"$((${calls:-0} + 1))" "$(trace_call_lines "$TEST_TMP/b1")"
	assert_eq "$name: the children's inherited attaches, their exit, munmap, mremap and exec, with nattch" \
		"$BEHAVIOUR_IMPLICIT" "$(trace_implicit "$TEST_TMP/b1")"
	assert_eq "$name: grouped by process in creation order" "PID P1 P2 P3 P4 P5" \
		"$(awk '{ print $1 }' "$TEST_TMP/b1" | uniq | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "$name: no time, no latency, no raw id or address" "" \
		"$(grep -E 'LAT|0x[0-9a-f]{9,}|[0-9]\.[0-9]{3}' "$TEST_TMP/b1")"
}

# Two processes at once, each in a namespace of its own: both have a
# segment 0, which are two segments.
test_namespaces() {
	local name="--stable: two namespaces' segment 0" i
	for i in 1 2; do
		stable "$TEST_TMP/ns$i" -- sh -c '"$0" threads & "$0" threads; wait' "$BEHAVIOUR"
	done
	if cmp -s "$TEST_TMP/ns1" "$TEST_TMP/ns2"; then
		pass "$name: two runs byte-identical"
	else
		fail "$name: two runs byte-identical" "$(diff "$TEST_TMP/ns1" "$TEST_TMP/ns2" | oneline)"
	fi
	assert_eq "$name: P1 made S1 and S2, P2 made S3 and S4" "P1 S1|P1 S2|P2 S3|P2 S4" \
		"$(awk '$6 == "shmget" && $8 ~ /^S/ { print $1, $8 }' "$TEST_TMP/ns1" | tr '\n' '|' | sed 's/|$//')"
}

# The default events: shmget only, in the same layout, created= included.
test_shmget_only() {
	local name="--stable without -e: shmget only"
	"$SHMTRACE" --stable -q -o "$TEST_TMP/get" -- "$BEHAVIOUR" threads 2>/dev/null
	assert_eq "$name" "shmget shmget shmget shmget|P1 T1 S1 created=true" \
		"$(awk 'NR > 1 { print $6 }' "$TEST_TMP/get" | tr '\n' ' ' | sed 's/ $//')|$(awk 'NR == 2 { sub(/.*,/, "", $9); print $1, $2, $8, $9 }' "$TEST_TMP/get")"
}

# What --stable cannot keep is lost, said so, and exit 3.
test_cap() {
	local name="--stable: past 262144 events" flood=$TEST_TMP/flood
	if ! "${CC:-cc}" -O2 -pthread tests/flood.c -o "$flood" 2>/dev/null; then
		fail "$name" "cannot build tests/flood.c"
		return
	fi
	"$SHMTRACE" --stable -q -b 256M -o /dev/null -- "$flood" -t 1 -n 262200 \
		$((0x5e7e2000 + $$ % 4096)) >/dev/null 2>"$TEST_TMP/err"
	assert_eq "$name: status 3, the 56 past the limit counted as lost" \
		"3|shmtrace: lost 56 events (--stable keeps at most 262144)" \
		"$?|$(grep lost "$TEST_TMP/err")"
}

test_threads_exact
test_twice
test_namespaces
test_shmget_only
test_cap
