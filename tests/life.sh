#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The attaches and detaches no shm call makes (-e attach,detach): a
# mapping inherited by fork, dropped by exit, exec or munmap, moved by
# mremap, split by a hole. Each event's nattch must be what
# /proc/sysvipc/shm says once the step is done; a child's shmdt of what
# it inherited names its segment; a leak names who still holds it.
. tests/lib.sh

EXPECT=$TEST_TMP/expect

# The JSON implicit events and shmdt calls of EXPECT's pids, as its lines.
json_life() {
	jq -r --arg pids "$(cut -f3 "$EXPECT" | sort -u | tr '\n' ' ')" '
		select(.pid as $p | $pids | split(" ") | index($p | tostring))
		| select(.event or .syscall == "shmdt")
		| [(.event // .syscall), (.cause // "-"), .pid, .addr, .shmid,
		   .key, (.nattch // "-")] | @tsv' "$1"
}

test_life_json() {
	local name="life: fork, exit, exec, munmap, shmdt, mremap, a hole: every attach and detach, with /proc's nattch"
	"$SHMTRACE" -q -e all -j -o "$TEST_TMP/out" -- "$WORKLOAD" glibc life >"$EXPECT" 2>"$TEST_TMP/err"
	assert_eq "$name: the command's status" 0 $?
	check "$name: the workload's steps ran (11 lines)" test "$(wc -l <"$EXPECT")" = 11
	json_life "$TEST_TMP/out" >"$TEST_TMP/got"
	check "$name" same_lines "$EXPECT" "$TEST_TMP/got"
	check "$name: no abi, ret, errno or latency on implicit events" \
		test "$(jq -c 'select(.event) | select(has("abi") or has("ret") or has("errno") or has("latency_ns") or has("syscall"))' "$TEST_TMP/out" | wc -l)" = 0
}

# The text line of the first inherited attach, field by field.
test_life_text() {
	local name="life: text, an implicit attach in the -e all columns" pid addr id key want
	"$SHMTRACE" -q -e all -o "$TEST_TMP/out" -- "$WORKLOAD" glibc life >"$EXPECT" 2>"$TEST_TMP/err"
	read -r _ _ pid addr id key _ < <(head -1 "$EXPECT")
	want=$(printf '%s %s 0 shmt-wl - attach 0x%08x - - cause=fork,shmaddr=0x%x,shmid=%s,nattch=2' \
		"$pid" "$pid" "$key" "$addr" "$id")
	assert_eq "$name" "$want" "$(awk -v p="$pid" '$1 == p && $6 == "attach"' "$TEST_TMP/out" | tr -s ' ')"
}

# attach and detach alone: only the implicit events, none of the calls.
test_life_only() {
	local name="life: -e attach,detach reports those alone, with the segment named"
	"$SHMTRACE" -q -e attach,detach -j -o "$TEST_TMP/out" -- "$WORKLOAD" glibc life >"$EXPECT" 2>"$TEST_TMP/err"
	grep -v '^shmdt' "$EXPECT" >"$TEST_TMP/want"
	json_life "$TEST_TMP/out" >"$TEST_TMP/got"
	check "$name" same_lines "$TEST_TMP/want" "$TEST_TMP/got"
}

# A fork-heavy command that attaches nothing sends nothing: the kernel
# side follows only the processes that hold a mapping.
test_life_unrelated() {
	"$SHMTRACE" -q -e all -j -o "$TEST_TMP/out" -- sh -c 'for i in 1 2 3 4 5 6 7 8; do /bin/true; done' 2>"$TEST_TMP/err"
	assert_eq "life: forks and execs of processes that hold no mapping: no event" 0 \
		"$(wc -l <"$TEST_TMP/out")"
}

test_life_banner() {
	start_tracer -e all || { fail "life: banner" "tracer did not start"; return; }
	stop_tracer
	check "life: the banner says what attach and detach cannot see" \
		grep -q '^Tracing .*attach, detach: not seen for 32-bit munmap and mremap, mappings changed by mprotect, madvise, mlock, mmap MAP_FIXED or shmat SHM_REMAP, or attaches made before the trace)' "$TEST_TMP/err"
}

# A segment left attached by a child that outlives the command.
test_leak_held() {
	local name="leak: names the processes that still hold it" id key child
	"$SHMTRACE" -q -e all -W -o /dev/null -- "$WORKLOAD" glibc held 5 >"$TEST_TMP/pre" 2>"$TEST_TMP/err"
	read -r id key child <"$TEST_TMP/pre"
	assert_eq "$name: text" 1 \
		"$(grep -c "^shmtrace: leak: key $(printf '0x%08x' "$key") id $id .*, nattch 1 (held by pid $child); remove it with: ipcrm -m $id\$" "$TEST_TMP/err")"
	"$SHMTRACE" -q -e all -W -j -o "$TEST_TMP/out" -- sh -c 'kill "$1"; "$0" glibc held 5' \
		"$WORKLOAD" "$child" >"$TEST_TMP/pre2" 2>"$TEST_TMP/err"
	ipcrm -m "$id" 2>/dev/null
	read -r id key child <"$TEST_TMP/pre2"
	assert_eq "$name: JSON holders" "1 [$child]" \
		"$(jq -r 'select(.leak) | .leak | "\(.nattch) \(.holders | tostring)"' "$TEST_TMP/out")"
	kill "$child" 2>/dev/null
	ipcrm -m "$id" 2>/dev/null
}

# -s's segments: the creator, every process that held it (the children
# through fork), the highest nattch, who removed it and when it went.
test_segtable() {
	local name="-s: the segment table" id key kids row
	"$SHMTRACE" -q -s -j -e all -o "$TEST_TMP/out" -- "$WORKLOAD" glibc life >"$EXPECT" 2>"$TEST_TMP/err"
	read -r _ _ _ _ id key _ < <(head -1 "$EXPECT")
	kids=$(awk '$2 == "fork" { print $3 }' "$EXPECT" | tr '\n' ',' | sed 's/,$//')
	row=$(jq -r --argjson id "$id" '.segments[] | select(.id == $id)
		| "\(.key) \(.size) \(.creator.comm) \(.holders[0] == .creator.pid) \(.holders[1:] | map(tostring) | join(",")) \(.max_nattch) \(.removed_by.pid == .creator.pid) \(.destroyed != null)"' "$TEST_TMP/out")
	assert_eq "$name, JSON: key, size, creator, holders (inherited ones too), max nattch, remover, destroyed" \
		"$key $((4 * $(getconf PAGESIZE))) shmt-wl true $kids 3 true true" "$row"
	"$SHMTRACE" -q -s -e all -o "$TEST_TMP/out" -- "$WORKLOAD" glibc life >"$EXPECT" 2>"$TEST_TMP/err"
	read -r _ _ _ _ id key _ < <(head -1 "$EXPECT")
	kids=$(awk '$2 == "fork" { print $3 }' "$EXPECT" | tr '\n' ',' | sed 's/,$//')
	assert_eq "$name, text: one line, whitespace-free fields" 1 \
		"$(grep -cE "^$(printf '0x%08x' "$key") +$id +[0-9]+ +$((4 * $(getconf PAGESIZE))) +[0-9]+/shmt-wl +3 +[0-9]+,$kids +[0-9]+/shmt-wl +[0-9:.]+\$" "$TEST_TMP/out")"
}

test_life_json
test_life_text
test_segtable
test_life_only
test_life_unrelated
test_life_banner
test_leak_held
