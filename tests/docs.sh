#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# What needs neither root nor the kernel (part of make check): bad values,
# --help, the man page and the bash completion, against the binary itself.
. "$(dirname "$0")/lib.sh"

MAN=doc/shmtrace.8
COMPLETION=doc/shmtrace.bash-completion

## Bad values

# usage_error NAME ARGS...: status 2 and one stderr line naming the
# option's long name (or what was wrong).
usage_error() {
	local what=$1 err status
	shift
	err=$("$SHMTRACE" "$@" 2>&1 >/dev/null)
	status=$?
	if [ "$status" = 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] &&
		printf '%s' "$err" | grep -qF -- "$what"; then
		pass "bad value: shmtrace $*: status 2, one stderr line naming $what"
	else
		fail "bad value: shmtrace $*: status 2, one stderr line naming $what" \
			"status $status, stderr: $(printf '%s' "$err" | oneline)"
	fi
}

# argp_error NAME ARGS...: status 2; argp adds a "Try --help" line.
argp_error() {
	local what=$1 err status
	shift
	err=$("$SHMTRACE" "$@" 2>&1 >/dev/null)
	status=$?
	assert_eq "bad option: shmtrace $*: status 2, the error names $what, then the --help hint" \
		"2|yes|2|Try \`shmtrace --help' or \`shmtrace --usage' for more information." \
		"$status|$(head -1 <<<"$err" | grep -qF -- "$what" && echo yes)|$(wc -l <<<"$err")|$(sed -n 2p <<<"$err")"
}

test_bad_values() {
	usage_error "--pid: 'abc'" -p abc
	usage_error "--pid: '-1'" -p -1
	usage_error "--pid: '0'" --pid 0
	usage_error "--tid: 'x'" -t x
	usage_error "--uid: '-1'" -u -1
	usage_error "--comm: '0123456789abcdef'" -c 0123456789abcdef
	usage_error "--duration: '0'" -d 0
	usage_error "--duration: 'abc'" --duration abc
	usage_error "--key: '0xZZ'" --key 0xZZ
	usage_error "--key: '0x100000000'" -k 0x100000000
	usage_error "--count: '0'" -n 0
	usage_error "--buffer: '3000'" -b 3000
	usage_error "--buffer: '2G'" --buffer 2G
	usage_error "--attach: 'bogus'" --attach bogus
	usage_error "missing command after --" --
	usage_error "--stable cannot be combined with --json" --stable -j
	usage_error "--stable cannot be combined with --summary" -s --stable
	usage_error "--stable cannot be combined with --timestamp" --stable -T
	usage_error "--stable cannot be combined with --containers" -C --stable
	usage_error "--metrics: '0'" --metrics 0
	usage_error "--metrics: '65536'" --metrics 65536
	usage_error "--metrics: 'localhost:9464'" --metrics localhost:9464
	usage_error "--metrics: '1.2.3:9464'" --metrics=1.2.3:9464
	usage_error "--metrics: '::1:9464'" --metrics ::1:9464
	usage_error "--metrics: ':9464'" --metrics :9464
	usage_error "'extra'" -q extra
	argp_error "'--bogus'" --bogus
	argp_error "'Z'" -Z
	argp_error "'o'" -o
}

## Help, man page, completion

LONG_OPTIONS="pid tid uid comm key failed cgroup ipcns container fail-on json timestamp containers stable output metrics no-header quiet duration count attach compat buffer btf verbose"

test_help() {
	local help missing='' o
	help=$("$SHMTRACE" --help)
	assert_eq "--help: status 0" 0 "$?"
	for o in $LONG_OPTIONS; do
		grep -qE -- "(^|[ ,])--$o([ =]|$)" <<<"$help" || missing="$missing --$o"
	done
	assert_eq "--help: lists every option of issue 3" "" "$missing"
	local version
	version=$(sed -n 's/^VERSION := //p' Makefile 2>/dev/null)
	assert_eq "--version: 'shmtrace VERSION (commit COMMIT)', status 0" \
		"shmtrace ${version:-0.1} (commit $(git rev-parse --short=12 HEAD 2>/dev/null)|0" \
		"$("$SHMTRACE" --version | sed 's/-dirty)$//; s/)$//')|$?"
}

# The README's Options block is --help's, headings and order included.
test_help_layout() {
	local readme help
	readme=$(awk '/^## Options$/ { on = 1; next } on && /^```$/ { if (in_block) exit; in_block = 1; next }
		in_block' README.md)
	help=$("$SHMTRACE" --help | sed -n '/^ *Events:$/,/--help/p' | sed '$d' |
		sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
	assert_eq "--help: headings and options as in README's Options block" "$readme" "$help"
	assert_eq "--help: -e comes right under Events:" "  -e, --events=LIST" \
		"$("$SHMTRACE" --help | grep -A1 '^ *Events:$' | tail -1 | cut -c1-19)"
	assert_eq "--help: -p is under Filters" "Filters (in the kernel, combined with AND):" \
		"$("$SHMTRACE" --help | grep -B20 -- '--pid=PID' | grep ':$' | tail -1 | sed 's/^ *//')"
}

test_man() {
	local text missing='' o
	if [ ! -f "$MAN" ]; then
		fail "man page" "$MAN is missing"
		return
	fi
	if ! command -v man >/dev/null; then
		skip "man page" "man is not installed"
		return
	fi
	check "man page: renders without warnings" \
		bash -c "[ -z \"\$(LC_ALL=C MANWIDTH=80 man --warnings -l '$MAN' 2>&1 >/dev/null)\" ]"
	text=$(LC_ALL=C MANWIDTH=200 man --no-hyphenation --no-justification -l "$MAN" 2>/dev/null | col -b)
	for o in $("$SHMTRACE" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
		grep -qF -- "$o" <<<"$text" || missing="$missing $o"
	done
	assert_eq "man page: documents every long option of --help" "" "$missing"
	for o in NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT "EXIT STATUS" EXAMPLES NOTES "SEE ALSO"; do
		grep -qx "$o" <<<"$text" || missing="$missing '$o'"
	done
	assert_eq "man page: has every section" "" "$missing"
}

# complete_words WORDS...: what the completion offers for the last word.
complete_words() {
	(
		# shellcheck source=doc/shmtrace.bash-completion
		. "$COMPLETION" || exit 1
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		fn=$(complete -p shmtrace 2>/dev/null | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
		[ -n "$fn" ] || exit 1
		"$fn" shmtrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf '%s\n' "${COMPREPLY[@]}" | sort
	)
}

test_completion() {
	if [ ! -f "$COMPLETION" ]; then
		fail "completion" "$COMPLETION is missing"
		return
	fi
	assert_eq "completion: --att<TAB> gives --attach" "--attach" \
		"$(complete_words shmtrace --att | sed 's/=$//')"
	assert_eq "completion: --attach <TAB> gives the four modes" "auto fentry kprobe tracepoint" \
		"$(complete_words shmtrace --attach '' | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "completion: --attach=tr<TAB> gives tracepoint" "tracepoint" \
		"$(complete_words shmtrace --attach = tr)"
	assert_eq "completion: --no-h<TAB> gives --no-header" "--no-header" \
		"$(complete_words shmtrace -q --no-h)"
	assert_eq "completion: --cgroup <TAB> offers directories only" "$TEST_TMP/cgdir/d" \
		"$(mkdir -p "$TEST_TMP/cgdir/d"; : >"$TEST_TMP/cgdir/f"; complete_words shmtrace --cgroup "$TEST_TMP/cgdir/")"
	assert_eq "completion: -o <TAB> offers files" "$TEST_TMP/cgdir/d $TEST_TMP/cgdir/f" \
		"$(complete_words shmtrace -o "$TEST_TMP/cgdir/" | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "completion: -p <TAB> offers running pids" "$$" \
		"$(complete_words shmtrace -p "$$" | grep -x "$$")"
	assert_eq "completion: after --, commands" "shmtrace-cli-cmd" \
		"$(mkdir -p "$TEST_TMP/bin"; : >"$TEST_TMP/bin/shmtrace-cli-cmd"; chmod +x "$TEST_TMP/bin/shmtrace-cli-cmd"
		   PATH=$TEST_TMP/bin:$PATH complete_words shmtrace -q -- shmtrace-cli-c)"
}

# The syscalls -e takes, as the binary's own error message lists them.
binary_syscalls() {
	"$SHMTRACE" -e bogus 2>&1 | sed -n "s/.*is not a list of \(.*\) or all$/\1/p" | tr -d ,
}

# The man page and the completion offer exactly the syscalls -e takes.
test_syscall_lists() {
	local want man comp
	want=$(binary_syscalls | tr ' ' '\n' | sort | tr '\n' ' ')
	check "syscalls: the binary lists some" test -n "$want"
	comp=$(complete_words shmtrace -e '' | grep -vx all | sort | tr '\n' ' ')
	assert_eq "syscalls: the completion of -e offers those of the binary" "$want" "$comp"
	man=$(sed -n '/^\.BI \\-e /,/^\.TP/p' "$MAN" | grep -oE '\b(shm[a-z]+|attach|detach)\b' | sort -u | tr '\n' ' ')
	assert_eq "syscalls: the man page's -e lists those of the binary" "$want" "$man"
}

# The completion offers every long option of --help.
test_completion_options() {
	local missing='' o offered
	offered=$(complete_words shmtrace -- '' 2>/dev/null; complete_words shmtrace --)
	for o in $("$SHMTRACE" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
		grep -qx -- "$o=\?" <<<"$(complete_words shmtrace "$o" | sed 's/=$//')" ||
			missing="$missing $o"
	done
	assert_eq "completion: offers every long option of --help" "" "$missing"
}

test_bad_values
test_help
test_help_layout
test_man
test_completion
test_syscall_lists
test_completion_options
