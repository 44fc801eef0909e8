#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The real BPF program around the C workload: every call reported once,
# with exactly the expected fields, in text and JSON.
. tests/lib.sh

EXPECT=$TEST_TMP/expect

# Runs the workload (args: its path) under a system-wide shmtrace started
# with the remaining options; leaves the trace in $TEST_TMP/out.
trace_workload() {
	local via=$1
	shift
	start_tracer "$@" || return 1
	"$WORKLOAD" "$via" >"$EXPECT" || { stop_tracer; return 1; }
	stop_tracer
}

text_projection() {
	expected_text "$EXPECT" >"$TEST_TMP/exp.text"
	traced_text "$TEST_TMP/out" "$EXPECT" "${1:-0}" >"$TEST_TMP/got.text"
}

test_text() {
	local name="text: every workload call reported once, exact fields"
	if ! trace_workload glibc; then
		fail "$name" "tracer or workload failed: $(tr '\n' '|' <"$TEST_TMP/err")"
		return
	fi
	text_projection
	check "$name" same_lines "$TEST_TMP/exp.text" "$TEST_TMP/got.text"
	check "text: header line" test "$(head -1 "$TEST_TMP/out" | tr -s ' ')" = \
		"PID TID UID COMM ABI KEY SIZE SHMFLG RET LAT(us)"
	check "text: every line has the header's 10 fields" \
		awk 'NF != 10 { print "line " NR ": " $0; bad = 1 } END { exit bad }' "$TEST_TMP/out"
	check "text: latency column is microseconds with 3 decimals" \
		awk 'NR > 1 && $10 !~ /^[0-9]+\.[0-9][0-9][0-9]$/ { print; bad = 1 } END { exit bad }' "$TEST_TMP/out"
	check "text: exit status 0 on SIGINT, summary on stderr" \
		grep -q '^shmtrace: [0-9]* events\?, 0 lost$' "$TEST_TMP/err"
}

test_timestamps() {
	local name="text -T: TIME column first, HH:MM:SS.uuuuuu"
	if ! trace_workload glibc -T; then
		fail "$name" "tracer or workload failed"
		return
	fi
	text_projection 1
	check "text -T: same events with the time column" same_lines "$TEST_TMP/exp.text" "$TEST_TMP/got.text"
	check "$name" awk 'NR == 1 && $1 != "TIME" { bad = 1 }
		NR > 1 && ($1 !~ /^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ || NF != 11) { print; bad = 1 }
		END { exit bad }' "$TEST_TMP/out"
}

json_projection() {
	cut -f1-6,8-11,13,14 "$EXPECT" >"$TEST_TMP/exp.json"
	jq -r --arg pids "$(workload_pids "$EXPECT")" '
		select(.pid as $p | $pids | split(" ") | index($p | tostring))
		| [.pid, .tid, .uid, .gid, .comm, .abi, .key, .size, .shmflg, .flags, .ret, (.errno // "null")]
		| @tsv' "$TEST_TMP/out" >"$TEST_TMP/got.json"
}

JSON_KEYS='["abi","comm","container","created","errno","flags","gid","ipc_ns","key","latency_ns","ns_pid","ns_tid","pid","ret","shmflg","size","syscall","tid","time","uid"]'

test_json() {
	local name="json: every workload call reported once, exact fields"
	if ! trace_workload glibc --json; then
		fail "$name" "tracer or workload failed"
		return
	fi
	check "json: every line is one JSON object" jq -e -c . "$TEST_TMP/out"
	json_projection
	check "$name" same_lines "$TEST_TMP/exp.json" "$TEST_TMP/got.json"
	check "json: exactly the documented fields" jq -e --argjson k "$JSON_KEYS" \
		'(keys == $k) and .syscall == "shmget" and (.latency_ns | type == "number" and . > 0)' "$TEST_TMP/out"
	check "json: time is RFC 3339 UTC with nanoseconds, close to now" jq -e --argjson now "$(date +%s)" '
		(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$"))
		and ((.time | sub("\\.[0-9]+Z$"; "Z") | fromdate) - $now | fabs < 120)' "$TEST_TMP/out"
}

# Hostile process names: hex bytes, expected text form.
COMMS=(
	"612062|a\\x20b"
	"2271275c|\"q'\\\\"
	"410a1b5b33316d42|A\\x0a\\x1b[31mB"
	"fffe41|\\xff\\xfeA"
	"c3a9|\\xc3\\xa9"
	"7f09|\\x7f\\x09"
)

run_comms() {
	local i=0 c
	for c in "${COMMS[@]}"; do
		"$WORKLOAD" comm "${c%%|*}" $((0x7e57c000 + i)) || return 1
		i=$((i + 1))
	done
}

test_comm_text() {
	local i=0 c line
	start_tracer && run_comms && stop_tracer || { fail "comm: workload" "could not run"; return; }
	for c in "${COMMS[@]}"; do
		line=$(awk -v k="$(printf '0x%08x' $((0x7e57c000 + i)))" '$6 == k { print NF, $4 }' "$TEST_TMP/out")
		check "comm text: bytes ${c%%|*} print as ${c#*|} in one 10-field line" \
			test "$line" = "10 ${c#*|}"
		i=$((i + 1))
	done
	check "comm text: no control bytes reach the output" \
		bash -c "! LC_ALL=C grep -q \$'[\\x01-\\x09\\x0b-\\x1f\\x7f]' '$TEST_TMP/out'"
}

test_comm_json() {
	local i=0 c got
	start_tracer --json && run_comms && stop_tracer || { fail "comm: workload" "could not run"; return; }
	check "comm json: every line parses" jq -e -c . "$TEST_TMP/out"
	for c in "${COMMS[@]:0:3}" "${COMMS[4]}"; do
		# Valid UTF-8 names must come back byte for byte.
		got=$(jq -r --argjson k $((0x7e57c000 + i)) 'select(.key == $k) | .comm' "$TEST_TMP/out" | head -c -1 | od -An -tx1 | tr -d ' \n')
		check "comm json: bytes ${c%%|*} round-trip" test "$got" = "${c%%|*}"
		i=$((i + 1))
		[ $i = 3 ] && i=4
	done
	check "comm json: invalid UTF-8 bytes become \\u00XX" \
		grep -q '"comm":"\\u00ff\\u00feA"' "$TEST_TMP/out"
}

test_text
test_timestamps
test_json
test_comm_text
test_comm_json
