#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shmtrace as a CI gate: leaked segments (made by a traced process, still
# there at the end, never removed) and --fail-on's exit statuses.
. "$(dirname "$0")/lib.sh"

# gate STDOUT_FILE ARGS...: runs shmtrace -q ARGS; status in GATE_STATUS,
# stderr in $TEST_TMP/err.
gate() {
	local out=$1
	shift
	"$SHMTRACE" -q "$@" >"$out" 2>"$TEST_TMP/err"
	GATE_STATUS=$?
}

# Removes the segment that "workload glibc precreate" printed "ID KEY" of.
remove_pre() { ipcrm -m "$(cut -d' ' -f1 "$1")" 2>/dev/null; }

test_leak_present() {
	local name="leak: a segment the command made and left" id key
	gate "$TEST_TMP/pre" -W -o /dev/null -- "$WORKLOAD" glibc precreate
	read -r id key <"$TEST_TMP/pre"
	assert_eq "$name: one stderr line with key, id, size, creator and how to remove it" 1 \
		"$(grep -c "^shmtrace: leak: key $(printf '0x%08x' "$key") id $id ipc_ns [0-9]* size 4096 created by pid [0-9]* comm shmt-wl at [0-9:.]*, nattch 0; remove it with: ipcrm -m $id\$" "$TEST_TMP/err")"
	assert_eq "$name: -W alone does not fail" 0 "$GATE_STATUS"
	remove_pre "$TEST_TMP/pre"
}

test_leak_json() {
	local name="leak: JSON, one object jq selects with .leak" id key
	gate "$TEST_TMP/out" -j --fail-on=leak -o "$TEST_TMP/out" -- sh -c '"$0" glibc precreate >"$1"' \
		"$WORKLOAD" "$TEST_TMP/pre"
	read -r id key <"$TEST_TMP/pre"
	assert_eq "$name: made by a child of the command" "$key $id 4096 shmt-wl 0 ipcrm -m $id" \
		"$(jq -r 'select(.leak) | .leak | "\(.key) \(.id) \(.size) \(.comm) \(.nattch) \(.remove)"' "$TEST_TMP/out")"
	assert_eq "$name: events stay events" 0 "$(jq -c 'select(.leak and .syscall)' "$TEST_TMP/out" | wc -l)"
	assert_eq "$name: --fail-on=leak: status 4, one line naming it" "4|shmtrace: --fail-on: leak" \
		"$GATE_STATUS|$(grep -- '--fail-on' "$TEST_TMP/err")"
	remove_pre "$TEST_TMP/pre"
}

test_leak_absent() {
	gate /dev/null -W --fail-on=leak -e all -o /dev/null -- "$WORKLOAD" glibc lifecycle
	assert_eq "leak: none when every segment is removed (IPC_RMID)" "0|0" \
		"$GATE_STATUS|$(grep -c 'leak' "$TEST_TMP/err")"
}

# A namespace that outlives the command keeps its leak; one that dies
# with it takes its segments along.
test_leak_namespace() {
	local name="leak: inside an IPC namespace" ns got
	if ! unshare -i true 2>/dev/null; then
		skip "$name" "unshare -i does not work here"
		return
	fi
	gate "$TEST_TMP/out" -j -W -o "$TEST_TMP/out" -- unshare -i sh -c '
		stat -L -c %i /proc/self/ns/ipc >"$1/ns"
		"$0" glibc precreate >"$1/pre"; sleep 3 &' "$WORKLOAD" "$TEST_TMP"
	ns=$(cat "$TEST_TMP/ns")
	got=$(jq -r 'select(.leak) | .leak | "\(.ipc_ns) \(.key) \(.remove)"' "$TEST_TMP/out" |
		sed 's|/proc/[1-9][0-9]*/ns|/proc/LIVE/ns|')
	assert_eq "$name, kept alive: reported with its namespace, and a live pid in it" \
		"$ns $(cut -d' ' -f2 "$TEST_TMP/pre") nsenter --ipc=/proc/LIVE/ns/ipc ipcrm -m $(cut -d' ' -f1 "$TEST_TMP/pre")" "$got"
	gate "$TEST_TMP/out" -j -W -o "$TEST_TMP/out" -- unshare -i "$WORKLOAD" glibc precreate
	assert_eq "$name, gone with the command: no leak" 0 "$(jq -c 'select(.leak)' "$TEST_TMP/out" | wc -l)"
}

test_fail_on() {
	local key=$((0x5e7e0000 + $$ % 4096))
	gate /dev/null -o /dev/null --fail-on=error -- "$WORKLOAD" comm 6f6e65 "$key"
	assert_eq "--fail-on=error: a failed call: 4" "4|shmtrace: --fail-on: error" \
		"$GATE_STATUS|$(grep -- '--fail-on' "$TEST_TMP/err")"
	gate /dev/null -o /dev/null --fail-on=world-access -- "$WORKLOAD" glibc
	assert_eq "--fail-on=world-access: a 0644 segment: 4" "4|shmtrace: --fail-on: world-access" \
		"$GATE_STATUS|$(grep -- '--fail-on' "$TEST_TMP/err")"
	gate /dev/null -o /dev/null --fail-on=findings -- "$WORKLOAD" glibc
	assert_eq "--fail-on=findings: names each that happened" \
		"4|shmtrace: --fail-on: world-access, hugetlb-eperm" \
		"$GATE_STATUS|$(grep -- '--fail-on' "$TEST_TMP/err")"
	gate /dev/null -o /dev/null --fail-on=excl-without-creat,leak,error -e shmat -- "$WORKLOAD" glibc
	assert_eq "--fail-on: nothing of it happened: 0, no line" "0|" \
		"$GATE_STATUS|$(grep -- '--fail-on' "$TEST_TMP/err")"
	gate /dev/null -o /dev/null --fail-on=error -- sh -c '"$0" comm 6f6e65 "$1"; exit 5' "$WORKLOAD" "$key"
	assert_eq "--fail-on: the command's own non-zero status comes first" 5 "$GATE_STATUS"
	"$SHMTRACE" --fail-on=leak,bogus -d 0.1 >/dev/null 2>"$TEST_TMP/err"
	assert_eq "--fail-on=bogus: usage error, one line" "2 1" "$? $(grep -c 'fail-on' "$TEST_TMP/err")"
}

# Lost events come before --fail-on: 3.
test_fail_on_lost() {
	local flood=$TEST_TMP/flood
	if ! "${CC:-cc}" -O2 -pthread tests/flood.c -o "$flood" 2>/dev/null; then
		fail "--fail-on=lost" "cannot build tests/flood.c"
		return
	fi
	gate /dev/null -o /dev/null -b 4K --fail-on=lost,error -- "$flood" -s 1 $((0x5e7e1000 + $$ % 4096))
	assert_eq "--fail-on=lost,error with events lost: 3, both named" \
		"3|shmtrace: --fail-on: error, lost" "$GATE_STATUS|$(grep -- '--fail-on' "$TEST_TMP/err")"
}

test_leak_present
test_leak_json
test_leak_absent
test_leak_namespace
test_fail_on
test_fail_on_lost
