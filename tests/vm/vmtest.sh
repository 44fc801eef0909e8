#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Boots Debian's x86_64 5.10, 6.1 and 6.12 and arm64 6.1 and 6.12 cloud
# kernels under QEMU (TCG) and runs tests/matrix.sh inside each: every
# attach mode x every entry path. The x86_64 6.12 kernel boots a second
# time with ia32_emulation=0: a kernel that refuses 32-bit programs
# although its BTF has the IA32 entry points, as some hosts of this
# project's kind do.
# Prints the guests' PASS/FAIL/SKIP lines tagged with the kernel, then a
# kernel x mode x path table. Expects the static builds made by `make
# guests`.
set -uo pipefail
cd "$(dirname "$0")/../.."

OUT=.output/vm
CACHE=.output/vm-kernels
# Guests: name, architecture, the kernel it boots, QEMU's CPU, extra kernel
# parameters. The slowest first. The A64FX has no AArch32 at all, like many
# arm64 server CPUs; shmtrace.no32 tells the tests to expect that, and
# shmtrace.unit runs the arm64 unit tests and hooks check (once).
GUESTS=(
	"6.12-arm64 arm64 6.12-arm64 - shmtrace.unit"
	"6.1-arm64 arm64 6.1-arm64 -"
	"5.10 x86 5.10 -"
	"6.1 x86 6.1 -"
	"6.12 x86 6.12 -"
	"6.12-no32 x86 6.12 - ia32_emulation=0"
	"6.12-arm64-no32 arm64 6.12-arm64 a64fx shmtrace.no32"
)
BOOT_TIMEOUT=${BOOT_TIMEOUT:-420}
# VM_GUESTS="5.10 6.1": only those guests (e.g. to run one again and again).
if [ -n "${VM_GUESTS:-}" ]; then
	for g in "${GUESTS[@]}"; do
		[[ " $VM_GUESTS " == *" ${g%% *} "* ]] && only+=("$g")
	done
	GUESTS=("${only[@]}")
fi
mkdir -p "$OUT"
TEST_TMP=$OUT . tests/lib.sh

# Copies a dynamically linked program and the libraries it needs.
copy_with_libs() {
	local prog=$1 root=$2 lib
	install -D "$prog" "$root$prog"
	for lib in $(ldd "$prog" | grep -o '/[^ ]*'); do
		install -D "$lib" "$root$lib"
	done
}

# The arm64 guests' userland, from Debian's arm64 packages
# (fetch-kernels.sh): bash, and bpftool with its libraries.
copy_arm64_userland() {
	local root=$1 from=$CACHE/arm64-root
	install -D "$from/bin/busybox" "$root/bin/busybox"
	install -D "$from/bin/bash" "$root/bin/bash"
	install -D "$from/usr/sbin/bpftool" "$root/usr/sbin/bpftool"
	mkdir -p "$root/lib" "$root/usr/lib"
	cp -a "$from/lib/." "$root/lib/"
	cp -a "$from/usr/lib/aarch64-linux-gnu" "$root/usr/lib/"
	rm -rf "$root/usr/lib/aarch64-linux-gnu/gconv"
}

# build_rootfs ARCH: the guest's files, from the builds for ARCH.
build_rootfs() {
	local arch=$1 root=$OUT/rootfs-$1 bins=.output
	[ "$arch" = x86 ] || bins=.output/$arch
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/tests"
	install $bins/shmtrace-static "$root/bin/shmtrace"
	install $bins/workload-static "$root/bin/workload"
	install $bins/workload32 "$root/bin/workload32"
	install $bins/compat32-probe "$root/bin/compat32-probe"
	install $bins/behaviour-static "$root/bin/behaviour"
	if [ "$arch" = x86 ]; then
		copy_with_libs /bin/bash "$root"
		# What makes shmtrace's BTF cache entries.
		copy_with_libs "$(command -v bpftool)" "$root"
	else
		# The unit tests and the hooks check, built for this architecture.
		install $bins/unit "$root/bin/unit"
		install $bins/hooks "$root/bin/hooks"
		copy_arm64_userland "$root"
	fi
	install -m 644 tests/lib.sh "$root/tests/lib.sh"
	install -m 755 tests/matrix.sh "$root/tests/matrix.sh"
	install -m 755 tests/namespaces.sh "$root/tests/namespaces.sh"
	install -m 755 tests/contention.sh "$root/tests/contention.sh"
	install -m 755 tests/kretprobes.sh "$root/tests/kretprobes.sh"
	install -m 755 tests/vm/behaviour.sh "$root/tests/behaviour.sh"
	cat >"$root/tests/vm-run" <<-'EOF'
		#!/bin/bash
		# Inside the guest. 5.10's BTF gives the syscall wrappers no
		# readable argument type, so fentry cannot work there.
		ln -sf /proc/self/fd /dev/fd
		export SHMTRACE=/bin/shmtrace WORKLOAD=/bin/workload WORKLOAD32=/bin/workload32
		export TEST_TMP=/tmp/t
		mkdir -p $TEST_TMP
		case $(uname -r) in
		5.10.*) export REQUIRE_MODES="kprobe tracepoint" EXPECT_AUTO=kprobe ;;
		# arm64 attaches fentry from 6.4 (ftrace direct calls): the
		# probe's answer, as the banner gives it.
		6.1.*-arm64) export REQUIRE_MODES="kprobe tracepoint" EXPECT_AUTO=kprobe
			bash /tests/fentry.sh ;;
		*) export REQUIRE_MODES="fentry kprobe tracepoint" EXPECT_AUTO=fentry ;;
		esac
		# Built for this architecture: its decoders and its BPF object's
		# hooks, in the one guest whose kernel line asks for them.
		grep -qw shmtrace.unit /proc/cmdline && { /bin/unit; /bin/hooks; }
		# Without the BTF cache, then with this kernel's entry.
		MATRIX_OPTS=--no-cache bash /tests/matrix.sh
		bash /tests/cache.sh && MATRIX_TAG="matrix[cached]" bash /tests/matrix.sh
		bash /tests/no32.sh
		bash /tests/namespaces.sh
		bash /tests/contention.sh
		bash /tests/kretprobes.sh
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
		grep -qwE 'ia32_emulation=0|shmtrace.no32' /proc/cmdline && want=no
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
	cat >"$root/tests/fentry.sh" <<-'EOF'
		# Inside a guest whose kernel loads fentry programs but cannot
		# attach them: shmtrace says so, and auto goes on to kprobes.
		. /tests/lib.sh
		shmtrace --attach fentry -d 0.1 -o /dev/null 2>$TEST_TMP/err
		assert_eq "fentry: a kernel that cannot attach it: status 1, one line" \
			"1|shmtrace: fentry: the kernel cannot attach fentry programs to __arm64_sys_shmget (ENOTSUPP)" \
			"$?|$(cat $TEST_TMP/err)"
	EOF
	chmod 755 "$root/tests/vm-run"
}

# Boots one guest (name, architecture, kernel, CPU, extra parameters); its log
# is $OUT/NAME.log, its PASS/FAIL/SKIP lines (tagged) $OUT/NAME.results.
boot_one() {
	local name=$1 arch=$2 kernel=$3 cpu=${4#-} status
	VM_ARCH=$arch VM_CPU=$cpu VM_BUSYBOX=$OUT/rootfs-$arch/bin/busybox VM_EXTRA_APPEND=${5:-} \
		tests/vm/boot.sh "$CACHE/$kernel/vmlinuz" "$OUT/rootfs-$arch" \
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
	if [ "$(trace_call_lines "$host")" = "$((calls + 1))" ] &&
		[ "$(trace_implicit "$host")" = "$BEHAVIOUR_IMPLICIT" ]; then
		echo "PASS: [vm] behaviour: the host's trace ($(uname -r)), one line per call, and the implicit events"
	else
		echo "FAIL: [vm] behaviour: the host's trace: $(trace_call_lines "$host") lines for $calls calls, implicit events '$(trace_implicit "$host")'"
	fi
	echo
	echo "Kernel behaviour (shmtrace --stable -e all -- behaviour), against the host's $(uname -r):"
	as_x86 <"$host" >"$OUT/host.behaviour.cmp"
	for g in "${GUESTS[@]}"; do
		k=${g%% *}
		sed -n 's/^BEHAVIOUR: //p' "$OUT/$k.log" | as_x86 >"$OUT/$k.behaviour"
		if [ ! -s "$OUT/$k.behaviour" ]; then
			echo "  $k: no trace"
		elif cmp -s "$OUT/host.behaviour.cmp" "$OUT/$k.behaviour"; then
			echo "  $k: identical ($(($(wc -l <"$host") - 1)) calls)"
		else
			echo "  $k: differs:"
			diff -u --label host --label "$k" "$OUT/host.behaviour.cmp" "$OUT/$k.behaviour" |
				sed 's/^/    /'
		fi
	done
	# A difference is a finding, not a failure: diff's status is not ours.
	return 0
}

# Traces are compared with columns' spaces squeezed and the ABI named as
# on x86_64: the ABI's name and width are not the kernel's behaviour.
as_x86() { tr -s ' ' | sed -E 's/^([^ ]+ [^ ]+ [^ ]+ [^ ]+ )aarch64 /\1x86_64 /; s/^([^ ]+ [^ ]+ [^ ]+ [^ ]+ )arm /\1i386 /'; }


oneline() { head -c 500 | tr '\n' '|'; }

# The table: one row per kernel and mode (/all: -e all, the lifecycle),
# one column per entry path. ARM EABI's glibc makes the direct syscalls
# (so its cell fills both columns) and has no ipc(2).
print_table() {
	printf '\n%-16s %-6s %-22s %-8s %-13s %-15s %-13s\n' KERNEL ARCH MODE 64-bit \
		"32-bit glibc" "32-bit syscall" "32-bit ipc(2)"
	cat "$@" | sed -n 's/^\(PASS\|FAIL\|SKIP\): \[vm \([^]]*\)\] matrix: [^ ]* \([^ ]*\) \([^ :]*\).*/\2 \3 \4 \1/p' |
		awk '
		BEGIN {
			col["x86_64-shmget"] = 1; col["i386-glibc"] = 2
			col["i386-shmget395"] = 3; col["i386-ipc117"] = 4
			col["aarch64-shmget"] = 1; col["arm-glibc"] = 2
		}
		{
			key = $1 " " $2
			if (!($3 in col)) next
			cell[key, col[$3]] = $4
			if ($3 == "arm-glibc") { cell[key, 3] = $4; cell[key, 4] = "n/a" }
			arch[key] = $3 ~ /^(aarch64|arm)-/ ? "arm64" : "x86_64"
			if (!seen[key]++) rows[++n] = key
		}
		END {
			split("8 13 15 13", w, " ")
			for (i = 1; i <= n; i++) {
				split(rows[i], rk, " ")
				if (rk[2] == "auto") continue
				printf "%-16s %-6s %-22s", rk[1], arch[rows[i]], rk[2]
				for (c = 1; c <= 4; c++) {
					v = cell[rows[i], c]
					printf " %-" w[c] "s", v == "" ? "-" : v
				}
				printf "\n"
			}
		}'
}

if ! tests/vm/fetch-kernels.sh "$CACHE" 2>"$OUT/fetch.err"; then
	echo "FAIL: [vm] fetching kernels: $(tail -1 "$OUT/fetch.err")"
	exit 0
fi
build_rootfs x86
build_rootfs arm64
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
