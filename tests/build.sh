#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The build's flags: users' builds warn, the tests' builds fail on a warning.
. "$(dirname "$0")/lib.sh"

test_werror() {
	local plain tests
	plain=$(make -n -B .output/obj/fmt.o 2>/dev/null | grep 'fmt\.c')
	tests=$(make -n -B WERROR=1 .output/obj-werror/fmt.o 2>/dev/null | grep 'fmt\.c')
	check "build: a plain make warns (-Wall -Wextra) without -Werror" \
		bash -c "grep -q -- '-Wall -Wextra' <<<'$plain' && ! grep -q -- '-Werror' <<<'$plain'"
	check "build: the tests' build (WERROR=1) has -Werror" grep -q -- '-Werror' <<<"$tests"
	check "build: make test builds with WERROR=1" \
		bash -c "make -n test 2>/dev/null | grep -q 'WERROR=1'"
}

# The BPF program, for each architecture: the same warnings, and none of
# them today.
test_bpf_warnings() {
	local arch=$1 obj=$2 cmd
	cmd=$(make -n -B ARCH="$arch" "$obj" 2>/dev/null | grep 'shmtrace\.bpf\.c')
	check "build: the $arch BPF program is compiled with -Wall -Wextra" grep -q -- '-Wall -Wextra' <<<"$cmd"
	check "build: the $arch BPF program compiles without a warning" \
		bash -c "${cmd/-o ${obj//\//\\/}/-o /dev/null} -Werror 2>&1"
}

# A plain make checks and says what is missing; deps, run and test install.
test_deps() {
	local out status=0
	check "build: a plain make installs nothing" \
		bash -c "! make -n -B .output/shmtrace.bpf.o 2>/dev/null | grep -q apt-get"
	check "build: make build-check passes where everything is installed" make -s build-check
	out=$(make -s build-check BUILD_LIBS="libbpf no-such-lib" 2>&1 >/dev/null) || status=$?
	check "build: a missing library stops the build" test "$status" -ne 0
	assert_eq "build: a missing library is named in one line, with the command that installs it" \
		"shmtrace: cannot build, missing: no-such-lib; 'sudo make deps' installs them" \
		"$(grep '^shmtrace: ' <<<"$out" | sed 's/ (Debian: .*//')"
	check "build: make deps installs the build's packages" \
		bash -c "make -n -B deps 2>/dev/null | grep -q apt-get"
	check "build: make run and make test install what they need first" \
		bash -c "make -n -B run 2>/dev/null | grep -q apt-get && make -n -B test 2>/dev/null | grep -q apt-get"
}

test_werror
test_deps
test_bpf_warnings x86 .output/shmtrace.bpf.o
test_bpf_warnings arm64 .output/arm64/shmtrace.bpf.o
