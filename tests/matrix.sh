#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Every attach mode x every entry path on the running kernel: each call of
# the 64-bit and 32-bit workloads must be reported exactly once, with the
# right ABI and fields, or the banner must say that the path is not covered.
# Once for shmget alone, once for the whole lifecycle (-e all: shmget,
# shmat, shmctl, shmdt).
#
# Runs on the host and inside the QEMU guests (tests/vm/vmtest.sh).
#   REQUIRE_MODES  modes that must work here (others may SKIP)
#   EXPECT_AUTO    the mode --attach auto must pick
#   WORKLOAD32     the 32-bit workload
#   MATRIX_OPTS    options added to every run (--no-cache, ...)
#   MATRIX_TAG     what the result lines start with (default: matrix)
. "$(dirname "$0")/lib.sh"

TAG=${MATRIX_TAG:-matrix}

: "${WORKLOAD32:=.output/workload32}"
: "${REQUIRE_MODES:=tracepoint}"
: "${EXPECT_AUTO:=tracepoint}"
KERNEL=$(uname -r | cut -d. -f1,2)

# Entry paths: name, workload, its argument, the banner's name for it.
# 32-bit glibc calls ipc(2) on i386; ARM EABI has the direct syscalls only.
case $(uname -m) in
aarch64)
	PATHS=(
		"aarch64-shmget $WORKLOAD glibc 64-bit syscalls"
		"arm-glibc $WORKLOAD32 glibc 32-bit syscalls"
	) ;;
*)
	PATHS=(
		"x86_64-shmget $WORKLOAD glibc 64-bit syscalls"
		"i386-glibc $WORKLOAD32 glibc 32-bit ipc(2)"
		"i386-shmget395 $WORKLOAD32 shmget 32-bit syscalls"
		"i386-ipc117 $WORKLOAD32 ipc 32-bit ipc(2)"
	) ;;
esac
NATIVE_PATH=${PATHS[0]%%-*}
# Modes: label, options.
MODES=(
	"fentry|--attach fentry"
	"kprobe|--attach kprobe"
	"tracepoint|--attach tracepoint"
	"tracepoint+compat|--attach tracepoint --compat"
)

required() { local m=${1%% *}; [[ " $REQUIRE_MODES " == *" ${m%%+*} "* ]]; }

# The banner's reason for a path (its banner name) not being covered, if
# it names one.
uncovered_reason() {
	grep '^Tracing shmget' "$TEST_TMP/err" | grep -o "not covered: .*" |
		tr ';' '\n' | grep -F "$1" | sed 's/.*: //; s/)\.\.\..*//' | head -1
}

# A path this host can have callers on: 32-bit ones need the kernel (and
# the CPU) to run 32-bit programs.
path_possible() { [[ $1 == "$NATIVE_PATH"-* ]] || can_run_32bit; }

# run_paths [lifecycle]: every path's workload, expectations in exp.NAME.
run_paths() {
	local p name
	for p in "${PATHS[@]}"; do
		read -r name wl arg _ <<<"$p"
		path_possible "$name" || continue
		"$wl" "$arg" "$@" >"$TEST_TMP/exp.$name" 2>"$TEST_TMP/wlerr.$name" || return 1
	done
}

# check_paths LABEL KIND: KIND is text (shmget alone) or lifecycle.
check_paths() {
	local label=$1 kind=$2 p name banner_name reason
	for p in "${PATHS[@]}"; do
		read -r name _ _ banner_name <<<"$p"
		if ! path_possible "$name"; then
			skip "$TAG: $KERNEL $label $name" "$NO32_REASON"
			continue
		fi
		"expected_$kind" "$TEST_TMP/exp.$name" >"$TEST_TMP/e"
		"traced_$kind" "$TEST_TMP/out" "$TEST_TMP/exp.$name" >"$TEST_TMP/g"
		reason=$(uncovered_reason "$banner_name")
		if [ -n "$reason" ] && [ ! -s "$TEST_TMP/g" ]; then
			skip "$TAG: $KERNEL $label $name" "$reason (announced in the banner)"
		else
			check "$TAG: $KERNEL $label $name" same_lines "$TEST_TMP/e" "$TEST_TMP/g"
		fi
	done
}

skip_paths() {
	local label=$1 why=$2 p name
	for p in "${PATHS[@]}"; do
		read -r name _ <<<"$p"
		if required "$label"; then
			fail "$TAG: $KERNEL $label $name" "$why"
		else
			skip "$TAG: $KERNEL $label $name" "$why"
		fi
	done
}

# test_mode "LABEL|OPTIONS" KIND [WORKLOAD ARGS]
test_mode() {
	local label=${1%%|*} opts=${1#*|} kind=$2
	shift 2
	[ "$kind" = lifecycle ] && label="$label/all"
	# shellcheck disable=SC2086
	if ! start_tracer $opts ${MATRIX_OPTS:-} 2>/dev/null; then
		wait "$TRACER_PID" 2>/dev/null
		skip_paths "$label" "$(head -1 "$TEST_TMP/err" | sed 's/^shmtrace: //')"
		return
	fi
	if ! run_paths "$@"; then
		stop_tracer
		fail "$TAG: $KERNEL $label workloads" "$(cat "$TEST_TMP"/wlerr.* | tr '\n' '|')"
		return
	fi
	stop_tracer
	check_paths "$label" "$kind"
	assert_eq "$TAG: $KERNEL $label nothing lost" "0 lost" \
		"$(sed -n 's/^shmtrace: [0-9]* events\?, \([0-9]* lost\)$/\1/p;/^shmtrace: lost/p' "$TEST_TMP/err")"
}

test_auto() {
	# shellcheck disable=SC2086
	if start_tracer ${MATRIX_OPTS:-} 2>/dev/null; then
		stop_tracer
	fi
	check "$TAG: $KERNEL auto picks $EXPECT_AUTO" \
		grep -q "^Tracing shmget via $EXPECT_AUTO" "$TEST_TMP/err"
}

for m in "${MODES[@]}"; do
	test_mode "$m" text
	test_mode "$m -e all" lifecycle lifecycle
done
test_auto
