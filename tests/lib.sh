# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers for the shell tests. Every test reports one line:
#   PASS: name | FAIL: name: why | SKIP: name: why
# and tests/run counts them.

: "${SHMTRACE:=./shmtrace}"
: "${WORKLOAD:=.output/workload}"
: "${TEST_TMP:=$(mktemp -d /tmp/shmtrace-test.XXXXXX)}"
TRACER_PID=

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
skip() { echo "SKIP: $1: $2"; }

now_ms() { date +%s%3N; }

# public_copy PROGRAM: a copy another uid can run. The clone and TEST_TMP
# may be mode 0700 (mktemp -d), where uid 65534 cannot reach PROGRAM.
public_copy() {
	mkdir -p "$TEST_TMP/pub" && chmod 711 "$TEST_TMP" &&
		install -m 755 "$1" "$TEST_TMP/pub/" && echo "$TEST_TMP/pub/${1##*/}"
}
oneline() { head -c 2000 | tr '\n' '|'; }

# as_nobody COMMAND...: COMMAND as the attacker, uid and gid 65534.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# sticky_dir: a new directory like /tmp (root's, mode 1777) in TEST_TMP,
# where uid 65534 can plant files for a root shmtrace.
sticky_dir() {
	local d
	chmod 711 "$TEST_TMP" && d=$(mktemp -d "$TEST_TMP/sticky.XXXXXX") &&
		chmod 1777 "$d" && echo "$d"
}

# file_kind FILE: "regular file", "fifo", "symbolic link"..., or "none".
file_kind() { stat -c %F "$1" 2>/dev/null || echo none; }

# assert_eq NAME EXPECTED ACTUAL
assert_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected '$(printf '%s' "$2" | oneline)', got '$(printf '%s' "$3" | oneline)'"
	fi
}

# json_field FIELD: FIELD's value on each JSON line of stdin (numbers,
# null, or a string with its quotes); no jq in the QEMU guests.
json_field() { sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p"; }

# Some kernels refuse every 32-bit program (no IA32 emulation): a fact
# about the host, not a failure. Asked once per run.
NO32_REASON="this kernel cannot run 32-bit programs (Exec format error)"
can_run_32bit() {
	local f=$TEST_TMP/runs-32bit
	if [ ! -e "$f" ]; then
		if "${WORKLOAD32:-.output/workload32}" probe 2>&1 | grep -q 'Exec format error'; then
			echo no >"$f"
		else
			echo yes >"$f"
		fi
	fi
	[ "$(cat "$f")" = yes ]
}

# await FILE: waits (up to 10 s) for FILE to exist and not be empty.
await() {
	local i
	for i in $(seq 200); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# check NAME COMMAND...: PASS if the command succeeds, else FAIL with its output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(printf '%s' "$out" | head -c 2000 | tr '\n' '|')"
	fi
}

# Starts shmtrace in the background with ARGS, events to $TEST_TMP/out,
# stderr to $TEST_TMP/err, and waits for its banner.
start_tracer() {
	: >"$TEST_TMP/err"
	"$SHMTRACE" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
	TRACER_PID=$!
	local i
	for i in $(seq 200); do
		grep -q '^Tracing ' "$TEST_TMP/err" && return 0
		kill -0 "$TRACER_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "shmtrace did not start: $(tr '\n' '|' <"$TEST_TMP/err")" >&2
	return 1
}

# Stops it with SIGINT; returns its exit status.
stop_tracer() {
	kill -INT "$TRACER_PID" 2>/dev/null
	wait "$TRACER_PID"
}

# same_lines EXPECTED ACTUAL: the two files hold the same lines, as multisets.
same_lines() {
	if ! diff <(sort "$1") <(sort "$2") >"$TEST_TMP/diff"; then
		head -20 "$TEST_TMP/diff"
		return 1
	fi
}

# The workload's pids in EXPECT, space-separated.
workload_pids() { cut -f1 "$1" | sort -u | tr '\n' ' '; }

# expected_text EXPECT: the text columns PID..RET the workload expects.
expected_text() {
	awk -F'\t' '{ print $1, $2, $3, $5, $6, $7, $9, $11, $12 }' "$1"
}

# traced_text OUT EXPECT [SKIP]: OUT's columns PID..RET for EXPECT's pids,
# SKIP leading columns (TIME) ignored.
traced_text() {
	awk -v pids="$(workload_pids "$2")" -v skip="${3:-0}" '
		BEGIN { n = split(pids, p, " "); for (i = 1; i <= n; i++) want[p[i]] = 1 }
		FNR > 1 && ($(1 + skip) in want) {
			print $(1+skip), $(2+skip), $(3+skip), $(4+skip), $(5+skip), $(6+skip), $(7+skip), $(8+skip), $(9+skip)
		}' "$1"
}

# expected_lifecycle EXPECT: the workload's lifecycle lines, space-separated.
expected_lifecycle() { tr '\t' ' ' <"$1"; }

# traced_lifecycle OUT EXPECT: -e all's columns but LAT(us), for EXPECT's pids.
traced_lifecycle() {
	awk -v pids="$(workload_pids "$2")" '
		BEGIN { n = split(pids, p, " "); for (i = 1; i <= n; i++) want[p[i]] = 1 }
		FNR > 1 && ($1 in want) { print $1, $2, $3, $4, $5, $6, $7, $8, $10 }' "$1"
}

# tests/flood.c (shmget lookups as fast as possible, counted exactly),
# built into $FLOOD unless the caller gave one; false if it cannot be.
build_flood() {
	[ -n "${FLOOD:-}" ] && return 0
	FLOOD=$TEST_TMP/flood
	"${CC:-cc}" -O2 -Wall -pthread tests/flood.c -o "$FLOOD"
}

hexkey() { printf '0x%08x' "$1"; }
is() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }
# No sanitizer report and no crash in a stderr file.
clean_exit() { ! grep -E 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer|Segmentation' "$1"; }

# Hand-made cgroups: CG_ROOT is the cgroup v2 hierarchy (/sys/fs/cgroup,
# or .../unified on hybrid hosts), MADE what make_cgroup created.
cgroup2_root() { awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts; }
CG_ROOT=$(cgroup2_root)
MADE=()

# make_cgroup RELATIVE: creates it (and its parents) under the v2 root.
make_cgroup() {
	local rel=$1 dir=$CG_ROOT part
	for part in ${rel//\// }; do
		dir=$dir/$part
		[ -d "$dir" ] && continue
		mkdir "$dir" || return 1
		MADE+=("$dir")
	done
}

# in_cgroup RELATIVE COMMAND...: runs COMMAND inside that cgroup.
in_cgroup() {
	local rel=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG_ROOT/$rel" "$@"
}

# kill_cgroup RELATIVE: kills every process in it. Run in the background,
# in_cgroup's $! is the subshell around them, not what they exec'd.
kill_cgroup() { xargs -r kill <"$CG_ROOT/$1/cgroup.procs"; }

# Removes what make_cgroup made, innermost first.
remove_cgroups() {
	local i
	for ((i = ${#MADE[@]} - 1; i >= 0; i--)); do
		rmdir "${MADE[i]}" 2>/dev/null
	done
	MADE=()
}

# The behaviour workload's trace under --stable -e all (text): its lines
# that are calls, header included (the workload counts its calls), and its
# implicit events as "PID EVENT CAUSE NATTCH|...". Each child inherits
# the mappings its parent holds; the first exits, the next munmaps one,
# moves one's second page away (mremap: two mappings), execs.
BEHAVIOUR_IMPLICIT="P1 detach exit 0|P2 attach fork 2|P2 detach exit 1"
BEHAVIOUR_IMPLICIT+="|P3 attach fork 3|P3 attach fork 4|P3 detach munmap 3|P3 detach exit 2"
BEHAVIOUR_IMPLICIT+="|P4 attach fork 3|P4 attach fork 4|P4 attach mremap 5|P4 detach exit 4|P4 detach exit 3|P4 detach exit 2"
BEHAVIOUR_IMPLICIT+="|P5 attach fork 3|P5 attach fork 4|P5 detach exec 3|P5 detach exec 2"
trace_call_lines() { awk '$6 != "attach" && $6 != "detach"' "$1" | wc -l; }
trace_implicit() {
	awk '$6 == "attach" || $6 == "detach" {
		c = $9; sub(/^cause=/, "", c); sub(/,.*/, "", c)
		n = $9; sub(/.*nattch=/, "", n); print $1, $6, c, n
	}' "$1" | tr '\n' '|' | sed 's/|$//'
}
