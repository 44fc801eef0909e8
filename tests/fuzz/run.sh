#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Builds the libFuzzer targets into .output/fuzz/ and runs each for
# FUZZ_TIME seconds (default 30) from a scratch copy of its corpus in
# tests/fuzz/corpus-NAME/, so the repository is not modified. Prints
#   PASS: fuzz: NAME | FAIL: fuzz: NAME: crash summary
# A crashing input is kept as .output/fuzz/NAME-crash-* (or -timeout-,
# -leak-, ...); replay it with: .output/fuzz/fuzz_NAME FILE
set -u
cd "$(dirname "$0")/../.."

FUZZ_TIME=${FUZZ_TIME:-30}
CLANG=${CLANG:-clang}
OUT=.output/fuzz
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer -Wall -Wextra -Iinclude -Isrc -I.output -Itests"

# NAME: the sources each target links.
declare -A SOURCES=(
	[cli]="tests/fuzz/fuzz_cli.c tests/harness.c src/cli.c src/decode.c src/fmt.c src/syscalls.c src/findings.c src/output.c src/stable.c src/hashtab.c"
	[http]="tests/fuzz/fuzz_http.c tests/harness.c src/httpreq.c"
	[format]="tests/fuzz/fuzz_format.c tests/harness.c src/decode.c src/findings.c src/fmt.c src/output.c src/stable.c src/syscalls.c src/hashtab.c"
)

# build NAME: prints nothing on success, the compiler's errors otherwise.
build() {
	# shellcheck disable=SC2086 # word splitting wanted
	$CLANG $CFLAGS ${SOURCES[$1]} -lm -o "$OUT/fuzz_$1" 2>&1
}

# The first line that says what went wrong, from a libFuzzer log.
crash_summary() {
	local line
	line=$(grep -m1 -E '^fuzz_[a-z]+: |runtime error:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$1")
	[ -n "$line" ] || line=$(grep -m1 '^SUMMARY:' "$1")
	[ -n "$line" ] || line="exited without a report: $(tail -1 "$1")"
	printf '%s' "$line" | sed 's/^==[0-9]*== *//' | cut -c1-300
}

fuzz() {
	local name=$1 work log status out
	work=$(mktemp -d /tmp/shmtrace-fuzz.XXXXXX)
	log=$OUT/$name.log
	if ! out=$(build "$name"); then
		echo "FAIL: fuzz: $name: build failed: $(printf '%s' "$out" | head -3 | tr '\n' '|')"
		rm -rf "$work"
		return
	fi
	cp -r "tests/fuzz/corpus-$name" "$work/corpus"
	rm -f "$OUT/$name"-crash-* "$OUT/$name"-timeout-* "$OUT/$name"-leak-* "$OUT/$name"-oom-*
	# -close_fd_mask=3: the targets' own stdout/stderr (argp's messages)
	# are dropped; libFuzzer's and the sanitizers' reports are kept.
	"$OUT/fuzz_$name" -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb=2048 \
		-close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$OUT/$name-" \
		"$work/corpus" >"$log" 2>&1
	status=$?
	if [ "$status" = 0 ] && ! grep -q -E 'ERROR: |runtime error:' "$log"; then
		echo "PASS: fuzz: $name ($(grep -m1 '^stat::number_of_executed_units' "$log" | awk '{ print $2 }') runs)"
	else
		echo "FAIL: fuzz: $name: $(crash_summary "$log") (log $log, input $(ls "$OUT/$name"-* 2>/dev/null | grep -v '\.log$' | head -1))"
	fi
	rm -rf "$work"
}

if ! command -v "$CLANG" >/dev/null; then
	echo "SKIP: fuzz: no $CLANG"
	exit 0
fi
mkdir -p "$OUT"
for name in cli format http; do
	fuzz "$name"
done
