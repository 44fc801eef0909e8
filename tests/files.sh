#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# -o FILE as uid 65534 attacks it against a root shmtrace: a link at the
# name is never followed, another user's file in a sticky directory
# others may write is refused (protected_regular), at the start and at
# SIGHUP's reopen; a new file is 0600 whatever the umask.
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d "$TEST_TMP/files.XXXXXX")
# A key nobody calls: the traces hold the header alone.
KEY=$(hexkey $((0x7c600000 | ($$ & 0xffff) << 4)))

# run_o FILE: a short root trace into -o FILE; prints "STATUS|STDERR".
run_o() {
	local status
	timeout 20 "$SHMTRACE" -q -k "$KEY" -d 0.1 -o "$1" 2>"$T/err"
	status=$?
	echo "$status|$(cat "$T/err")"
}

# what_is FILE: its owner, mode and checksum, to see that it is unchanged.
what_is() { echo "$(stat -c '%U %a' "$1") $(sha256sum <"$1")"; }

# refusal FILE WHY: what run_o prints when -o FILE is refused for WHY.
refusal() { echo "1|shmtrace: cannot open output file $1: $2"; }

LINK="a symbolic link, which -o never follows"
PLANTED="owned by uid 65534 in a sticky directory others may write (the kernel's protected_regular rule)"

if ! command -v setpriv >/dev/null; then
	skip "files: -o attacked by uid 65534" "needs setpriv (util-linux), not installed"
	exit 0
fi
S=$(sticky_dir)
SECRET=$T/secret
echo "root's alone" >"$SECRET"
chmod 600 "$SECRET"
SECRET_WAS=$(what_is "$SECRET")

test_symlink() {
	local name="files: -o at a symlink uid 65534 planted in a sticky directory"
	as_nobody ln -s "$SECRET" "$S/out"
	assert_eq "$name: refused, status 1" "$(refusal "$S/out" "$LINK")" "$(run_o "$S/out")"
	assert_eq "$name: its root-only target is unchanged" "$SECRET_WAS" "$(what_is "$SECRET")"
	ln -s "$SECRET" "$T/link"
	assert_eq "files: -o at a symlink in root's own directory: refused too" \
		"$(refusal "$T/link" "$LINK")" "$(run_o "$T/link")"
	assert_eq "files: -o at a symlink in root's own directory: the target is unchanged" \
		"$SECRET_WAS" "$(what_is "$SECRET")"
}

test_planted() {
	local name="files: -o at a file uid 65534 owns in a sticky directory" was g
	as_nobody sh -c 'echo planted >"$1"' sh "$S/planted"
	was=$(what_is "$S/planted")
	assert_eq "$name: refused, status 1" "$(refusal "$S/planted" "$PLANTED")" "$(run_o "$S/planted")"
	assert_eq "$name: it is unchanged" "$was" "$(what_is "$S/planted")"
	# Level 2 of the rule: a sticky directory its group may write.
	chmod 711 "$T"
	g=$T/group
	mkdir -m 1770 "$g" && chgrp 65534 "$g" && chmod 1770 "$g"
	as_nobody sh -c 'echo planted >"$1"' sh "$g/planted"
	assert_eq "files: -o at a file uid 65534 owns in a group-writable sticky directory: refused" \
		"$(refusal "$g/planted" "$PLANTED")" "$(run_o "$g/planted")"
	as_nobody mkfifo "$S/fifo"
	assert_eq "files: -o at a FIFO uid 65534 planted: refused at once, not blocked" \
		"$(refusal "$S/fifo" "a FIFO with no reader")" "$(run_o "$S/fifo")"
	touch "$S/roots"
	assert_eq "files: -o at root's own file in the sticky directory: written" \
		"0|" "$(run_o "$S/roots")"
	check "files: -o at root's own file in the sticky directory: holds the header" \
		grep -q '^PID ' "$S/roots"
}

# await_line FILE N: waits (up to 10 s) for FILE to have N lines.
await_line() {
	local i
	for i in $(seq 200); do
		[ "$(grep -c '' "$1" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# hup N: SIGHUP to the tracer; waits for its stderr's Nth line, or a moment.
hup() {
	kill -HUP "$TRACER_PID"
	[ "$1" = 0 ] && sleep 0.5 && return
	await_line "$T/hup.err" "$1"
}

# logrotate (root) renames -o's file away; before SIGHUP, uid 65534 plants
# a symlink, then a file of its own, at the freed name.
test_reopen() {
	local name="files: SIGHUP's reopen" log=$S/log was status
	: >"$T/hup.err"
	"$SHMTRACE" -q -k "$KEY" -o "$log" 2>"$T/hup.err" &
	TRACER_PID=$!
	if ! await "$log"; then
		fail "$name" "shmtrace did not start: $(oneline <"$T/hup.err")"
		kill "$TRACER_PID"
		return
	fi
	mv "$log" "$log.1"
	as_nobody ln -s "$SECRET" "$log"
	hup 1
	assert_eq "$name: a symlink at the name is not followed" \
		"shmtrace: cannot reopen $log: $LINK (still writing to the old file)" "$(sed -n 1p "$T/hup.err")"
	assert_eq "$name: its root-only target is unchanged" "$SECRET_WAS" "$(what_is "$SECRET")"
	rm "$log"
	as_nobody sh -c 'echo planted >"$1"' sh "$log"
	was=$(what_is "$log")
	hup 2
	assert_eq "$name: a file uid 65534 planted is refused" \
		"shmtrace: cannot reopen $log: $PLANTED (still writing to the old file)" "$(sed -n 2p "$T/hup.err")"
	assert_eq "$name: and left unchanged" "$was" "$(what_is "$log")"
	rm "$log"
	hup 0
	await "$log"
	assert_eq "$name: a missing name is made 0600, the header in it" "600 PID" \
		"$(stat -c %a "$log" 2>/dev/null) $(head -c 3 "$log" 2>/dev/null)"
	check "$name: shmtrace still runs" kill -0 "$TRACER_PID"
	stop_tracer
	status=$?
	assert_eq "$name: and ends with status 0, nothing else on stderr" "0|2" \
		"$status|$(grep -c '' "$T/hup.err")"
}

test_modes() {
	local name="files: a new -o file"
	assert_eq "$name: written" "0|" "$(run_o "$T/new")"
	assert_eq "$name: is 0600" 600 "$(stat -c %a "$T/new")"
	assert_eq "$name: is 0600 with umask 077" "0|600" "$(umask 077; run_o "$T/new077")$(stat -c %a "$T/new077")"
	assert_eq "$name: is 0600 with umask 000" "0|600" "$(umask 000; run_o "$T/new000")$(stat -c %a "$T/new000")"
	echo "an old trace" >"$T/old"
	chmod 644 "$T/old"
	assert_eq "files: an existing -o file: written" "0|" "$(run_o "$T/old")"
	assert_eq "files: an existing -o file: truncated, keeps its mode" \
		"644 $(cat "$T/new")" "$(stat -c %a "$T/old") $(cat "$T/old")"
	assert_eq "files: -o /dev/null: written" "0|" "$(run_o /dev/null)"
	assert_eq "files: -o /dev/stdout (a link): our own stdout" "$(cat "$T/new")"$'\n'"|0" \
		"$(timeout 20 "$SHMTRACE" -q -k "$KEY" -d 0.1 -o /dev/stdout 2>&1; echo "|$?")"
}

test_symlink
test_planted
test_reopen
test_modes
