#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# An error in the middle of a trace ends the trace, not the process: what
# was traced before it is still written, and the run still ends with its
# closing line, the error in one line and status 1.
. "$(dirname "$0")/lib.sh"

build_flood || { fail "oneway: build flood" "cc failed"; exit 0; }
KEY=$((0x7a000000 + ($$ & 0xffff)))
closing() { grep -c '^shmtrace: [0-9]* events\?, [0-9]* lost$' "$1"; }

# --stable keeps every event in memory: with too little address space its
# table cannot grow, and every event it did keep must still come out.
if ldd "$SHMTRACE" 2>/dev/null | grep -q libasan; then
	skip "oneway: --stable out of memory" "the sanitizers' shadow memory needs the address space"
else
	prlimit --as=$((20 << 20)) "$SHMTRACE" --stable -o "$TEST_TMP/st.out" -- \
		"$FLOOD" -t 1 -n 400000 "$KEY" >/dev/null 2>"$TEST_TMP/st.err"
	status=$?
	kept=$(sed -n 's/^shmtrace: \([0-9]*\) events\?, [0-9]* lost$/\1/p' "$TEST_TMP/st.err")
	assert_eq "oneway: --stable out of memory: status 1, the error last" \
		"1|shmtrace: --stable: out of memory" "$status|$(tail -1 "$TEST_TMP/st.err")"
	check "oneway: --stable out of memory: some events were kept ($kept)" test "${kept:-0}" -gt 0
	assert_eq "oneway: --stable out of memory: every kept event is written, after the header" \
		"$((${kept:-0} + 1))" "$(wc -l <"$TEST_TMP/st.out")"
fi

# -o on a file system that fills up in the middle of the trace.
mkdir -p "$TEST_TMP/small"
if ! mount -t tmpfs -o size=64k none "$TEST_TMP/small" 2>/dev/null; then
	skip "oneway: a write error" "cannot mount a tmpfs here"
	exit 0
fi
"$SHMTRACE" -e all -o "$TEST_TMP/small/out" -- "$WORKLOAD" glibc contend 16 100 \
	>/dev/null 2>"$TEST_TMP/w.err"
status=$?
assert_eq "oneway: a write error: status 1, and it is said" \
	"1|1" "$status|$(grep -c '^shmtrace: writing events failed: No space left on device$' "$TEST_TMP/w.err")"
assert_eq "oneway: a write error: the closing line still comes" 1 "$(closing "$TEST_TMP/w.err")"
assert_eq "oneway: a write error: everything before it was written (the file system is full)" \
	65536 "$(stat -c %s "$TEST_TMP/small/out")"
assert_eq "oneway: a write error: the lines before it are whole events" 0 \
	"$(head -n -1 "$TEST_TMP/small/out" | awk 'NR > 1 && NF != 10' | wc -l)"
umount "$TEST_TMP/small"
