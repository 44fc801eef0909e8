#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The BTF cache: made on a first start, used by the next, keyed by the
# kernel BTF's content; a stale, corrupt or unwritable one is never
# trusted and the trace stays right.
. "$(dirname "$0")/lib.sh"
: "${BEHAVIOUR:=.output/behaviour}"
# Its own directory: tests/run runs this once per build, in one TEST_TMP.
T=$(mktemp -d "$TEST_TMP/cache.XXXXXX")

# traced OUT ARGS...: the two-thread workload under shmtrace -v --stable
# -e all ARGS; stderr in OUT.err. A start that blocks (on a FIFO) ends
# with status 124 after 60 s.
traced() {
	local out=$1
	shift
	timeout 60 "$SHMTRACE" -v -q --stable -e all -o "$out" "$@" -- "$BEHAVIOUR" threads 2>"$out.err"
}

# note FILE: shmtrace's "cache:" lines in FILE (libbpf's own left out).
note() { grep '^shmtrace: cache: ' "$1" | sed 's/^shmtrace: cache: //'; }

# await_change FILE OLD: waits (up to 10 s) for FILE to differ from OLD.
await_change() {
	local i
	for i in $(seq 200); do
		[ -s "$1" ] && ! cmp -s "$1" "$2" && return 0
		sleep 0.05
	done
	return 1
}

# await_stat FILE FORMAT VALUE: waits (up to 10 s) for stat -c FORMAT
# FILE to say VALUE (%u its owner, %F its kind).
await_stat() {
	local i
	for i in $(seq 200); do
		[ "$(stat -c "$2" "$1" 2>/dev/null)" = "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

# The reference: the same trace without a cache.
"$SHMTRACE" -q --no-cache --stable -e all -o "$T/want" -- "$BEHAVIOUR" threads 2>/dev/null

test_made_and_used() {
	local name="cache: made on the first start, used by the next" d=$T/c1 entry opens
	traced "$T/t1" --cache-dir "$d"
	assert_eq "$name: the first says there is none, and writes one" \
		"no entry|writing" "$(note "$T/t1.err" | cut -d' ' -f1,2 | head -1 | sed 's/ for//')|$(note "$T/t1.err" | sed -n 's/^\(writing\) .*/\1/p')"
	entry=$(note "$T/t1.err" | sed -n 's/^writing \(.*\) in the background$/\1/p')
	ENTRY=${entry##*/}
	await "$entry"
	assert_eq "$name: the entry is in --cache-dir, a few kilobytes" "yes" \
		"$([ -s "$entry" ] && [ "$(stat -c %s "$entry")" -lt 65536 ] && echo yes)"
	traced "$T/t2" --cache-dir "$d"
	assert_eq "$name: the second uses it" "using $entry" "$(note "$T/t2.err")"
	assert_eq "$name: and traces the same" "$(cat "$T/want")" "$(cat "$T/t2")"
	if ! command -v strace >/dev/null; then
		skip "$name: kernel BTF read once" "no strace"
		return
	fi
	strace -f -qq -e trace=open,openat -o "$T/strace" \
		"$SHMTRACE" -q --attach tracepoint --cache-dir "$d" -d 0.1 -o /dev/null 2>/dev/null
	opens=$(grep -c 'btf/vmlinux' "$T/strace")
	assert_eq "$name: tracepoint mode reads the kernel BTF once (its identity), libbpf never" 1 "$opens"
}

# --btf FILE: a copy of the kernel's BTF with one string more is another
# kernel BTF as far as the cache knows (same types, other content).
other_btf() {
	local a=$1 b=$2 size hdr str_off str_len n
	size=$(stat -c %s "$a")
	read -r hdr str_off str_len <<<"$(od -An -tu4 -j4 -N4 "$a") $(od -An -tu4 -j16 -N8 "$a")"
	[ $((hdr + str_off + str_len)) = "$size" ] || return 1
	cp "$a" "$b"
	printf 'x\0' >>"$b"
	n=$((str_len + 2))
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((n & 255)) $((n >> 8 & 255)) $((n >> 16 & 255)) $((n >> 24)))" |
		dd of="$b" bs=1 seek=20 conv=notrunc 2>/dev/null
}

test_keyed_by_content() {
	local name="cache: keyed by the kernel BTF's content" d=$T/c2 ea eb
	cp /sys/kernel/btf/vmlinux "$T/a.btf"
	if ! other_btf "$T/a.btf" "$T/b.btf"; then
		fail "$name" "the kernel's BTF does not end with its strings"
		return
	fi
	traced "$T/k1" --cache-dir "$d" --btf "$T/a.btf"
	ea=$(note "$T/k1.err" | sed -n 's/^writing \(.*\) in the background$/\1/p')
	await "$ea"
	traced "$T/k2" --cache-dir "$d" --btf "$T/b.btf"
	eb=$(note "$T/k2.err" | sed -n 's/^writing \(.*\) in the background$/\1/p')
	assert_eq "$name: another BTF file does not use the first's entry" \
		"no entry yes" "$(note "$T/k2.err" | head -1 | cut -d' ' -f1,2) $([ -n "$eb" ] && [ "$eb" != "$ea" ] && echo yes)"
	assert_eq "$name: and traces right" "$(cat "$T/want")" "$(cat "$T/k2")"
	await "$eb"
	traced "$T/k3" --cache-dir "$d" --btf "$T/a.btf"
	assert_eq "$name: the first file still finds its own" "using $ea" "$(note "$T/k3.err")"

	# A's entry under B's name: made for another kernel BTF.
	cp "$ea" "$eb"
	traced "$T/k4" --cache-dir "$d" --btf "$T/b.btf"
	assert_eq "$name: an entry for another BTF is stale, not used" \
		"$eb is stale: made for another kernel BTF or build: rebuilding it" \
		"$(note "$T/k4.err" | head -1)"
	assert_eq "$name: the stale entry's run traces right" "$(cat "$T/want")" "$(cat "$T/k4")"
	if await_change "$eb" "$ea"; then
		traced "$T/k5" --cache-dir "$d" --btf "$T/b.btf"
		assert_eq "$name: rebuilt, then used" "using $eb" "$(note "$T/k5.err")"
	else
		fail "$name: rebuilt, then used" "$eb was not rewritten"
	fi
}

test_corrupt() {
	local name="cache: a corrupt entry" d=$T/c3 entry size
	traced "$T/r1" --cache-dir "$d"
	entry=$(note "$T/r1.err" | sed -n 's/^writing \(.*\) in the background$/\1/p')
	await "$entry"
	size=$(stat -c %s "$entry")
	printf 'Z' | dd of="$entry" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
	cp "$entry" "$T/corrupt"
	traced "$T/r2" --cache-dir "$d"
	assert_eq "$name: is detected" "$entry is corrupt: its checksum does not match: rebuilding it" \
		"$(note "$T/r2.err" | head -1)"
	assert_eq "$name: the run traces right" "$(cat "$T/want")" "$(cat "$T/r2")"
	if await_change "$entry" "$T/corrupt"; then
		traced "$T/r3" --cache-dir "$d"
		assert_eq "$name: is rebuilt, then used" "using $entry" "$(note "$T/r3.err")"
	else
		fail "$name: is rebuilt, then used" "$entry was not rewritten"
	fi
}

# CO-RE reads kernel memory by what an entry says: another user's is not used.
test_foreign() {
	local name="cache: an entry another user owns" d=$T/c5 entry
	traced "$T/f1" --cache-dir "$d"
	entry=$(note "$T/f1.err" | sed -n 's/^writing \(.*\) in the background$/\1/p')
	await "$entry"
	chown 65534 "$entry"
	traced "$T/f2" --cache-dir "$d"
	assert_eq "$name: is not used" \
		"$entry is not ours (another owner, or writable by others): rebuilding it" \
		"$(note "$T/f2.err" | head -1)"
	assert_eq "$name: the run traces right" "$(cat "$T/want")" "$(cat "$T/f2")"
	# The rebuild is written in the background: a chmod before its rename
	# would go with the file it replaces.
	if ! await_stat "$entry" %u 0; then
		fail "$name: nor one others may write" "$entry was not rebuilt"
		return
	fi
	chmod 666 "$entry"
	traced "$T/f3" --cache-dir "$d"
	assert_eq "$name: nor one others may write" \
		"$entry is not ours (another owner, or writable by others): rebuilding it" \
		"$(note "$T/f3.err" | head -1)"
}

test_read_only() {
	local name="cache: a read-only cache directory" d=$T/c4
	mkdir -p "$d"
	# Root's alone (a tmpfs is 1777 by default): only the writing fails.
	if ! mount -t tmpfs -o ro,mode=0700 tmpfs "$d" 2>/dev/null; then
		skip "$name" "cannot mount a read-only tmpfs here"
		return
	fi
	traced "$T/o1" --cache-dir "$d"
	umount "$d"
	assert_eq "$name: traces right" "$(cat "$T/want")" "$(cat "$T/o1")"
	assert_eq "$name: -v says so" "$d is not writable (Read-only file system): tracing without a cache" \
		"$(note "$T/o1.err" | tail -1)"
}

test_default_and_off() {
	local name="cache: \$XDG_CACHE_HOME/shmtrace by default, --no-cache"
	# Under sudo make test, SUDO_UID would make shmtrace ignore it.
	unset SUDO_UID
	XDG_CACHE_HOME=$T/xdg traced "$T/x1" --no-cache
	assert_eq "$name: --no-cache writes nothing, says nothing" "|no" \
		"$(note "$T/x1.err")|$([ -e "$T/xdg" ] && echo yes || echo no)"
	XDG_CACHE_HOME=$T/xdg traced "$T/x2"
	assert_eq "$name: the default directory" "$T/xdg/shmtrace" \
		"$(note "$T/x2.err" | sed -n 's|^writing \(.*\)/[0-9a-f-]*\.btf in the background$|\1|p')"
}

# ---- Attacks: uid 65534 against a root shmtrace -------------------------

# refused OUT: the refusal note, if it is the only cache note in OUT.err.
refused() { [ "$(note "$1.err" | wc -l)" = 1 ] && note "$1.err"; }

# A cache directory uid 65534 owns, or can change, is refused with one
# note, the trace goes on without a cache, and nothing is written there.
test_attacker_dir() {
	local name="cache: a directory uid 65534 controls" s status entry=${ENTRY:-x.btf}
	s=$(sticky_dir) && chmod 711 "$T"
	as_nobody mkdir "$s/evil" "$s/evil2"
	# With the old open(), a FIFO as the entry blocked the start.
	as_nobody mkfifo "$s/evil/$entry"
	traced "$T/a1" --cache-dir "$s/evil"
	status=$?
	assert_eq "$name: owned by uid 65534: refused (status 0, not blocked)" \
		"0|$s/evil is refused: it is owned by uid 65534: tracing without a cache" \
		"$status|$(refused "$T/a1")"
	assert_eq "$name: and the run traces right" "$(cat "$T/want")" "$(cat "$T/a1")"
	assert_eq "$name: nothing is written there" "$entry fifo" \
		"$(ls -A "$s/evil") $(file_kind "$s/evil/$entry")"

	traced "$T/a2" --cache-dir "$s/evil2/cache"
	assert_eq "$name: below a directory uid 65534 owns: refused" \
		"$s/evil2/cache is refused: $s/evil2 above it is owned by uid 65534: tracing without a cache" \
		"$(refused "$T/a2")"
	assert_eq "$name: nothing is made there" "" "$(ls -A "$s/evil2")"

	mkdir -m 0700 "$T/target"
	as_nobody ln -s "$T/target" "$s/link"
	traced "$T/a3" --cache-dir "$s/link"
	assert_eq "$name: a symlink it planted to root's directory: refused" \
		"$s/link is refused: it is a symbolic link: tracing without a cache|" \
		"$(refused "$T/a3")|$(ls -A "$T/target")"

	mkdir -m 0777 "$T/ww" && chmod 0777 "$T/ww"
	traced "$T/a4" --cache-dir "$T/ww"
	assert_eq "$name: root's, but world-writable: refused" \
		"$T/ww is refused: others may write it (mode 0777): tracing without a cache|" \
		"$(refused "$T/a4")|$(ls -A "$T/ww")"
	mkdir -m 0700 "$T/ww/c"
	traced "$T/a5" --cache-dir "$T/ww/c"
	assert_eq "$name: below a world-writable directory that is not sticky: refused" \
		"$T/ww/c is refused: others may write $T/ww above it (mode 0777): tracing without a cache|" \
		"$(refused "$T/a5")|$(ls -A "$T/ww/c")"

	traced "$T/a6" --cache-dir "$s/root/cache"
	entry=$(note "$T/a6.err" | sed -n 's/^writing \(.*\) in the background$/\1/p')
	assert_eq "$name: made by root in a sticky directory: used, each made 0700" \
		"$s/root/cache/${ENTRY:-x.btf} 700 700" \
		"$entry $(stat -c %a "$s/root") $(stat -c %a "$s/root/cache")"
	await "$entry"
}

# sudo -E keeps the caller's XDG_CACHE_HOME: root's own place instead.
test_sudo_env() {
	local name="cache: XDG_CACHE_HOME of another user" s dir
	s=$(sticky_dir)
	as_nobody mkdir "$s/xdg"
	SUDO_UID=1000 XDG_CACHE_HOME=$s/xdg traced "$T/s1"
	dir=$(note "$T/s1.err" | grep -o '/[^ ()]*\.btf' | head -1)
	assert_eq "$name: with SUDO_UID it is ignored: /var/cache/shmtrace" \
		"/var/cache/shmtrace|" "${dir%/*}|$(ls -A "$s/xdg")"
	assert_eq "$name: and the run traces right" "$(cat "$T/want")" "$(cat "$T/s1")"
	env -u SUDO_UID XDG_CACHE_HOME="$s/xdg" setpriv --ruid=65534 \
		"$SHMTRACE" -v -q -k 0x7c700001 -d 0.1 -o /dev/null 2>"$T/s2.err"
	dir=$(note "$T/s2.err" | grep -o '/[^ ()]*\.btf' | head -1)
	assert_eq "$name: with another real uid (set-uid) it is ignored" \
		"/var/cache/shmtrace|" "${dir%/*}|$(ls -A "$s/xdg")"
}

# A FIFO, a symlink (to a sound entry) or a device as the entry, which
# only root could plant in a directory that passes: refused without
# blocking, and replaced by a regular entry.
test_entry_kinds() {
	local name="cache: an entry that is not a regular file" d=$T/c6 entry kind want status
	traced "$T/e0" --cache-dir "$d"
	entry=$(note "$T/e0.err" | sed -n 's/^writing \(.*\) in the background$/\1/p')
	await "$entry"
	cp "$entry" "$T/sound"
	for kind in fifo "symbolic link" "character special file"; do
		rm -f "$entry"
		case $kind in
		fifo) mkfifo "$entry" && want="not a regular file" ;;
		symb*) ln -s "$T/sound" "$entry" && want="a symbolic link" ;;
		*) mknod "$entry" c 1 3 && want="not a regular file" ;;
		esac
		traced "$T/e1" --cache-dir "$d"
		status=$?
		assert_eq "$name: a $kind is refused (status 0, not blocked)" \
			"0|$entry is $want: rebuilding it" "$status|$(note "$T/e1.err" | head -1)"
		assert_eq "$name: a $kind: the run traces right" "$(cat "$T/want")" "$(cat "$T/e1")"
		check "$name: a $kind is replaced by a regular entry" await_stat "$entry" %F "regular file"
	done
}

# bpftool writes into a mkdtemp directory of root's (0700) inside the
# cache directory, and it is gone after a failure as after a success.
test_private_build() {
	local name="cache: bpftool's files" d=$T/c7 bin=$T/fakebin i
	mkdir -p "$bin"
	# gen min_core_btf KERNEL OUT OBJ: says where it was to write, fails.
	printf '%s\n' '#!/bin/sh' 'out=$(dirname "$5")' \
		"printf '%s %s\\n' \"\$out\" \"\$(stat -c '%U %a' \"\$out\")\" >'$T/seen.tmp'" \
		"mv '$T/seen.tmp' '$T/seen'" 'exit 1' >"$bin/bpftool"
	chmod 755 "$bin/bpftool"
	PATH=$bin:$PATH traced "$T/p1" --cache-dir "$d"
	await "$T/seen"
	assert_eq "$name: go to a private directory (root's, 0700) in the cache directory" \
		"$d/.build.XXXXXX root 700" "$(sed 's/\.build\.[^ ]*/.build.XXXXXX/' "$T/seen" 2>/dev/null)"
	for i in $(seq 200); do
		[ -z "$(ls -A "$d")" ] && break
		sleep 0.05
	done
	assert_eq "$name: bpftool failed: the private directory is removed" "" "$(ls -A "$d")"
	traced "$T/p2" --cache-dir "$d"
	await "$(note "$T/p2.err" | sed -n 's/^writing \(.*\) in the background$/\1/p')"
	for i in $(seq 200); do
		[ "$(ls -A "$d" | wc -l)" = 1 ] && break
		sleep 0.05
	done
	assert_eq "$name: bpftool made it: only the entry is left" "${ENTRY:-x.btf}" "$(ls -A "$d")"
}

test_made_and_used
test_keyed_by_content
test_corrupt
test_foreign
test_read_only
test_default_and_off
test_attacker_dir
test_sudo_env
test_entry_kinds
test_private_build
