#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Beyond shmget (-e, -W, -s): created/opened detection, every finding
# present and absent, key correlation for a segment made before tracing
# started, and summary counts for a workload with known numbers. The
# per-path, per-mode lifecycle decoding is in tests/matrix.sh.
. tests/lib.sh

EXPECT=$TEST_TMP/expect

# The JSON events of EXPECT's pids, as the workload's findings lines.
json_findings() {
	jq -r --arg pids "$(workload_pids "$EXPECT")" '
		select(.pid as $p | $pids | split(" ") | index($p | tostring))
		| select(.syscall == "shmget" or .syscall == "shmat")
		| [.pid, .tid, .syscall, (.key // "null"),
		   (if has("created") then (.created | tostring) else "-" end),
		   ([.findings[].finding] | if length == 0 then "-" else join(",") end)]
		| @tsv' "$TEST_TMP/out"
}

test_findings_json() {
	local name="findings json: each finding present where due, absent elsewhere; created/opened"
	start_tracer -e all -W --json || { fail "$name" "tracer did not start"; return; }
	"$WORKLOAD" glibc findings >"$EXPECT"
	stop_tracer
	json_findings >"$TEST_TMP/got"
	check "$name" same_lines "$EXPECT" "$TEST_TMP/got"
	check "findings json: every event has a findings array" \
		jq -e '.findings | type == "array"' "$TEST_TMP/out"
}

test_findings_text() {
	local f
	start_tracer -e all -W || { fail "findings text" "tracer did not start"; return; }
	"$WORKLOAD" glibc findings >"$EXPECT"
	stop_tracer
	for f in world-access key-squat excl-without-creat hugetlb-eperm foreign-writer; do
		# world-access: root's 0666 segment and nobody's 0644 one.
		local want=1
		[ $f = world-access ] && want=2
		check "findings text: $f reported $want time(s) on stderr, one line each" test \
			"$(grep -c "^shmtrace: finding: $f: pid [0-9]* comm shmt-wl " "$TEST_TMP/err")" = $want
	done
	check "findings text: stdout keeps only events" \
		awk 'NR > 1 && NF != 10 { exit 1 }' "$TEST_TMP/out"
}

test_findings_off() {
	start_tracer -e all --json || { fail "findings off" "tracer did not start"; return; }
	"$WORKLOAD" glibc findings >"$EXPECT"
	stop_tracer
	check "findings: none without -W (no field, no stderr line)" bash -c \
		"! grep -q finding '$TEST_TMP/err' && jq -e 'has(\"findings\") | not' '$TEST_TMP/out' >/dev/null"
}

# A segment from before the start: its key comes from /proc/sysvipc/shm.
test_preexisting() {
	local id key
	read -r id key < <("$WORKLOAD" glibc precreate)
	start_tracer -e shmat,shmdt,shmctl --json || { fail "preexisting" "tracer did not start"; return; }
	"$WORKLOAD" use "$id"
	stop_tracer
	check "key correlation: shmat, shmdt, shmctl of a segment created before tracing name its key" \
		test "$(jq -r --argjson id "$id" 'select(.shmid == $id) | "\(.syscall) \(.key)"' "$TEST_TMP/out" | sort | tr '\n' ' ')" = \
		"shmat $key shmctl $key shmdt $key "
}

# The lifecycle workload's calls, by syscall and result.
SUMMARY_ROWS="shmat EINVAL 1 1
shmat ok 2 0
shmctl EINVAL 1 1
shmctl ok 2 0
shmdt EINVAL 1 1
shmdt ok 2 0
shmget ok 1 0"

test_summary_text() {
	"$SHMTRACE" -q -s -e all -o "$TEST_TMP/out" -- "$WORKLOAD" glibc lifecycle >/dev/null 2>"$TEST_TMP/err"
	check "summary: exit status of the command" test $? = 0
	check "summary: header" test "$(head -1 "$TEST_TMP/out" | tr -s ' ')" = \
		"SYSCALL COMM RESULT CALLS ERRORS MIN(us) P50(us) P99(us) MAX(us)"
	check "summary: one row per syscall x comm x result, with the workload's counts" test \
		"$(awk 'NR > 1 && $2 == "shmt-wl" { print $1, $3, $4, $5 }' "$TEST_TMP/out" | sort)" = "$SUMMARY_ROWS"
	check "summary: min <= p50 <= p99 <= max in every row" \
		awk 'NF == 0 { exit bad } NR > 1 && !($6 <= $7 && $7 <= $8 && $8 <= $9) { print; bad = 1 } END { exit bad }' "$TEST_TMP/out"
}

test_summary_json() {
	"$SHMTRACE" -q --summary=both --json -e all -o "$TEST_TMP/out" -- "$WORKLOAD" glibc lifecycle >/dev/null 2>"$TEST_TMP/err"
	check "summary=both json: the events, then one summary object" test \
		"$(jq -r 'if has("summary") then "S" else "E" end' "$TEST_TMP/out" | uniq -c | awk '{ print $1 $2 }' | tr '\n' ' ')" = "10E 1S "
	check "summary json: counts and errors per row" test \
		"$(jq -r '.summary[]? | select(.comm == "shmt-wl") | "\(.syscall) \(.result) \(.calls) \(.errors)"' "$TEST_TMP/out" | sort)" = "$SUMMARY_ROWS"
	check "summary json: latency min <= p50 <= p99 <= max" jq -e \
		'.summary // [] | all(.latency_ns | .min <= .p50 and .p50 <= .p99 and .p99 <= .max)' "$TEST_TMP/out"
}

test_events_option() {
	start_tracer -e shmctl --json || { fail "events option" "tracer did not start"; return; }
	"$WORKLOAD" glibc lifecycle >"$EXPECT"
	stop_tracer
	check "-e shmctl: only shmctl events, 3 of them" test \
		"$(jq -r --arg pids "$(workload_pids "$EXPECT")" 'select(.pid as $p | $pids | split(" ") | index($p | tostring)) | .syscall' "$TEST_TMP/out" | sort | uniq -c | tr -s ' ')" = " 3 shmctl"
	check "-e shmctl: the banner names it" grep -q '^Tracing shmctl via ' "$TEST_TMP/err"
	"$SHMTRACE" -e shmget,bogus >/dev/null 2>"$TEST_TMP/err"
	check "-e with an unknown name: status 2" test $? = 2
	check "-e with an unknown name: one line naming it" test \
		"$(cat "$TEST_TMP/err")" = "shmtrace: --events: 'shmget,bogus' is not a list of shmget, shmat, shmdt, shmctl, attach, detach or all"
}

test_findings_json
test_findings_text
test_findings_off
test_preexisting
test_summary_text
test_summary_json
test_events_option
