#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Boots Debian's 5.10, 6.1 and 6.12 cloud kernels under QEMU (TCG) and runs
# tests/matrix.sh inside each: every attach mode x every entry path. The
# 6.12 kernel boots a second time with ia32_emulation=0: a kernel that
# refuses 32-bit programs although its BTF has the IA32 entry points, as
# some hosts of this project's kind do.
# Prints the guests' PASS/FAIL/SKIP lines tagged with the kernel, then a
# kernel x mode x path table. Expects the static builds made by `make vmtest`.
set -uo pipefail
cd "$(dirname "$0")/../.."

OUT=.output/vm
CACHE=.output/vm-kernels
# Guests: name, the kernel it boots, extra kernel parameters.
GUESTS=("5.10 5.10" "6.1 6.1" "6.12 6.12" "6.12-no32 6.12 ia32_emulation=0")
BOOT_TIMEOUT=${BOOT_TIMEOUT:-420}
mkdir -p "$OUT"

# Copies a dynamically linked program and the libraries it needs.
copy_with_libs() {
	local prog=$1 root=$2 lib
	install -D "$prog" "$root$prog"
	for lib in $(ldd "$prog" | grep -o '/[^ ]*'); do
		install -D "$lib" "$root$lib"
	done
}

build_rootfs() {
	local root=$OUT/rootfs
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/tests"
	install .output/shmtrace-static "$root/bin/shmtrace"
	install .output/workload-static "$root/bin/workload"
	install .output/workload32 "$root/bin/workload32"
	install .output/compat32-probe "$root/bin/compat32-probe"
	install .output/behaviour-static "$root/bin/behaviour"
	copy_with_libs /bin/bash "$root"
	# What makes shmtrace's BTF cache entries.
	copy_with_libs "$(command -v bpftool)" "$root"
	install -m 644 tests/lib.sh "$root/tests/lib.sh"
	install -m 755 tests/matrix.sh "$root/tests/matrix.sh"
	install -m 755 tests/namespaces.sh "$root/tests/namespaces.sh"
	install -m 755 tests/vm/behaviour.sh "$root/tests/behaviour.sh"
	cat >"$root/tests/vm-run" <<-'EOF'
		#!/bin/bash
		# Inside the guest. 5.10's BTF gives the syscall wrappers no
		# readable argument type, so fentry cannot work there.
		ln -sf /proc/self/fd /dev/fd
		export SHMTRACE=/bin/shmtrace WORKLOAD=/bin/workload WORKLOAD32=/bin/workload32
		case $(uname -r) in
		# Two processes' calls at once under kretprobes on 5.10 have lost
		# a call without counting it (open); namespaces via tracepoints.
		5.10.*) export REQUIRE_MODES="kprobe tracepoint" EXPECT_AUTO=kprobe \
			NS_ATTACH="--attach tracepoint" ;;
		*) export REQUIRE_MODES="fentry kprobe tracepoint" EXPECT_AUTO=fentry ;;
		esac
		export TEST_TMP=/tmp/t
		mkdir -p $TEST_TMP
		# Without the BTF cache, then with this kernel's entry.
		MATRIX_OPTS=--no-cache bash /tests/matrix.sh
		bash /tests/cache.sh && MATRIX_TAG="matrix[cached]" bash /tests/matrix.sh
		bash /tests/no32.sh
		bash /tests/namespaces.sh
		bash /tests/behaviour.sh $REQUIRE_MODES
	EOF
	cat >"$root/tests/cache.sh" <<-'EOF'
		# Inside the guest: one start makes this kernel's BTF cache
		# entry (bpftool, in the background), the next uses it.
		. /tests/lib.sh
		shmtrace -v -q -d 0.1 -o /dev/null 2>$TEST_TMP/c1
		entry=$(sed -n 's/^shmtrace: cache: writing \(.*\) in the background$/\1/p' $TEST_TMP/c1)
		if [ -z "$entry" ] || ! await "$entry"; then
			fail "cache: this kernel's entry is made" "$(grep cache: $TEST_TMP/c1 | oneline)"
			exit 1
		fi
		shmtrace -v -q -d 0.1 -o /dev/null 2>$TEST_TMP/c2
		assert_eq "cache: this kernel's entry is made, then used" "shmtrace: cache: using $entry" \
			"$(grep '^shmtrace: cache:' $TEST_TMP/c2)"
	EOF
	cat >"$root/tests/no32.sh" <<-'EOF'
		# Inside the guest: 32-bit detection, shmtrace's and the tests', is
		# right both ways, so that a broken one cannot turn 32-bit cases
		# into SKIPs; and a kernel without IA32 emulation is told so.
		. /tests/lib.sh
		want=yes
		grep -qw ia32_emulation=0 /proc/cmdline && want=no
		assert_eq "32-bit detection: shmtrace's probe" "runs-32bit $want" "$(compat32-probe)"
		assert_eq "32-bit detection: the tests'" "$want" "$(can_run_32bit && echo yes || echo no)"
		[ "$want" = no ] || exit 0
		shmtrace --attach tracepoint -d 0.3 -o /dev/null 2>$TEST_TMP/err
		assert_eq "no 32-bit: the banner says so, and asks for no --compat" \
			"Tracing shmget via tracepoint (32-bit programs cannot run on this kernel)... Hit Ctrl-C to end." \
			"$(head -1 $TEST_TMP/err)"
		shmtrace -q -o /dev/null -- /bin/workload32 glibc 2>$TEST_TMP/err
		assert_eq "no 32-bit: -- a 32-bit program: 126, Exec format error" \
			"126|shmtrace: cannot run /bin/workload32: Exec format error" "$?|$(cat $TEST_TMP/err)"
	EOF
	chmod 755 "$root/tests/vm-run"
}

# Boots one guest (name, kernel, extra parameters); its log is
# $OUT/NAME.log, its PASS/FAIL/SKIP lines (tagged) $OUT/NAME.results.
boot_one() {
	local name=$1 kernel=$2 status
	VM_EXTRA_APPEND=${3:-} tests/vm/boot.sh "$CACHE/$kernel/vmlinuz" "$OUT/rootfs" \
		"$BOOT_TIMEOUT" >"$OUT/$name.log" 2>"$OUT/$name.err"
	status=$?
	grep -aE '^(PASS|FAIL|SKIP): ' "$OUT/$name.log" |
		sed "s/^\(PASS\|FAIL\|SKIP\): /\1: [vm $name] /" >"$OUT/$name.results"
	if [ "$status" != 0 ] || ! grep -q '^PASS' "$OUT/$name.results"; then
		echo "FAIL: [vm $name] boot: status $status: $(tail -3 "$OUT/$name.err" | tr '\n' '|')" \
			>>"$OUT/$name.results"
	fi
}

# The kernel-behaviour trace: the host's own, then each guest's (from its
# "BEHAVIOUR: " console lines) as a diff against it. A difference is a
# finding about kernels, not a failure; a trace that is missing, or not
# one line per call, is a failure.
compare_behaviour() {
	local host=$OUT/host.behaviour g k calls
	if ! .output/shmtrace-static --stable -e all -q -o "$host" -- \
		.output/behaviour-static 2>"$OUT/host.behaviour.err"; then
		echo "FAIL: [vm] behaviour: the host's trace: $(oneline <"$OUT/host.behaviour.err")"
		return
	fi
	calls=$(sed -n 's/^\([0-9]*\) calls$/\1/p' "$OUT/host.behaviour.err")
	if [ "$(wc -l <"$host")" = "$((calls + 1))" ]; then
		echo "PASS: [vm] behaviour: the host's trace ($(uname -r)), one line per call"
	else
		echo "FAIL: [vm] behaviour: the host's trace: $(wc -l <"$host") lines for $calls calls"
	fi
	echo
	echo "Kernel behaviour (shmtrace --stable -e all -- behaviour), against the host's $(uname -r):"
	for g in "${GUESTS[@]}"; do
		k=${g%% *}
		sed -n 's/^BEHAVIOUR: //p' "$OUT/$k.log" >"$OUT/$k.behaviour"
		if [ ! -s "$OUT/$k.behaviour" ]; then
			echo "  $k: no trace"
		elif cmp -s "$host" "$OUT/$k.behaviour"; then
			echo "  $k: identical ($(($(wc -l <"$host") - 1)) calls)"
		else
			echo "  $k: differs:"
			diff -u --label host --label "$k" "$host" "$OUT/$k.behaviour" | sed 's/^/    /'
		fi
	done
}

oneline() { head -c 500 | tr '\n' '|'; }

# The table: one row per kernel and mode (/all: -e all, the lifecycle),
# one column per entry path.
print_table() {
	printf '\n%-9s %-22s %-14s %-14s %-14s %-14s\n' KERNEL MODE x86_64-shmget \
		i386-glibc i386-shmget395 i386-ipc117
	cat "$@" | sed -n 's/^\(PASS\|FAIL\|SKIP\): \[vm \([^]]*\)\] matrix: [^ ]* \([^ ]*\) \([^ :]*\).*/\2 \3 \4 \1/p' |
		awk '{ cell[$1 " " $2, $3] = $4; if (!seen[$1 " " $2]++) rows[++n] = $1 " " $2 }
		END {
			split("x86_64-shmget i386-glibc i386-shmget395 i386-ipc117", cols, " ")
			for (i = 1; i <= n; i++) {
				split(rows[i], rk, " ")
				if (rk[2] == "auto") continue
				printf "%-9s %-22s", rk[1], rk[2]
				for (c = 1; c <= 4; c++) {
					v = cell[rows[i], cols[c]]
					printf " %-14s", v == "" ? "-" : v
				}
				printf "\n"
			}
		}'
}

if ! tests/vm/fetch-kernels.sh "$CACHE" 2>"$OUT/fetch.err"; then
	echo "FAIL: [vm] fetching kernels: $(tail -1 "$OUT/fetch.err")"
	exit 0
fi
build_rootfs
# Two guests at a time: each TCG guest keeps one core busy.
for g in "${GUESTS[@]}"; do
	# shellcheck disable=SC2086
	boot_one $g &
	while [ "$(jobs -rp | wc -l)" -ge 2 ]; do
		wait -n
	done
done
wait
results=()
for g in "${GUESTS[@]}"; do
	k=${g%% *}
	cat "$OUT/$k.results"
	results+=("$OUT/$k.results")
done
print_table "${results[@]}"
compare_behaviour
