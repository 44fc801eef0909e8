#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Inside a QEMU guest: the kernel-behaviour workload under --stable -e all
# in every attach mode given. Every mode must give the same bytes, one
# line per call and the implicit events of its children; the first mode's trace goes to the console as
# "BEHAVIOUR: " lines, for vmtest.sh to diff against the host's.
# Usage: behaviour.sh MODE...
. /tests/lib.sh

first=
for mode in "$@"; do
	out=$TEST_TMP/behaviour.$mode
	shmtrace --attach "$mode" --stable -e all -q -o "$out" -- /bin/behaviour 2>"$TEST_TMP/err"
	status=$?
	calls=$(sed -n 's/^\([0-9]*\) calls$/\1/p' "$TEST_TMP/err")
	assert_eq "behaviour: $mode: status 0, one line per call (${calls:-?})" \
		"0|$((${calls:-0} + 1))" "$status|$(trace_call_lines "$out")"
	assert_eq "behaviour: $mode: the children's inherited attaches, their exit, munmap, mremap and exec, with nattch" \
		"$BEHAVIOUR_IMPLICIT" "$(trace_implicit "$out")"
	if [ -z "$first" ]; then
		first=$mode
		sed 's/^/BEHAVIOUR: /' "$out"
	elif cmp -s "$TEST_TMP/behaviour.$first" "$out"; then
		pass "behaviour: $mode gives the same trace as $first"
	else
		fail "behaviour: $mode gives the same trace as $first" \
			"$(diff "$TEST_TMP/behaviour.$first" "$out" | oneline)"
	fi
done
