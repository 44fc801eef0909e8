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
# -e all ARGS; stderr in OUT.err.
traced() {
	local out=$1
	shift
	"$SHMTRACE" -v -q --stable -e all -o "$out" "$@" -- "$BEHAVIOUR" threads 2>"$out.err"
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

# The reference: the same trace without a cache.
"$SHMTRACE" -q --no-cache --stable -e all -o "$T/want" -- "$BEHAVIOUR" threads 2>/dev/null

test_made_and_used() {
	local name="cache: made on the first start, used by the next" d=$T/c1 entry opens
	traced "$T/t1" --cache-dir "$d"
	assert_eq "$name: the first says there is none, and writes one" \
		"no entry|writing" "$(note "$T/t1.err" | cut -d' ' -f1,2 | head -1 | sed 's/ for//')|$(note "$T/t1.err" | sed -n 's/^\(writing\) .*/\1/p')"
	entry=$(note "$T/t1.err" | sed -n 's/^writing \(.*\) in the background$/\1/p')
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
	chown 0 "$entry"
	chmod 666 "$entry"
	traced "$T/f3" --cache-dir "$d"
	assert_eq "$name: nor one others may write" \
		"$entry is not ours (another owner, or writable by others): rebuilding it" \
		"$(note "$T/f3.err" | head -1)"
}

test_read_only() {
	local name="cache: a read-only cache directory" d=$T/c4
	mkdir -p "$d"
	if ! mount -t tmpfs -o ro tmpfs "$d" 2>/dev/null; then
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
	XDG_CACHE_HOME=$T/xdg traced "$T/x1" --no-cache
	assert_eq "$name: --no-cache writes nothing, says nothing" "|no" \
		"$(note "$T/x1.err")|$([ -e "$T/xdg" ] && echo yes || echo no)"
	XDG_CACHE_HOME=$T/xdg traced "$T/x2"
	assert_eq "$name: the default directory" "$T/xdg/shmtrace" \
		"$(note "$T/x2.err" | sed -n 's|^writing \(.*\)/[0-9a-f-]*\.btf in the background$|\1|p')"
}

test_made_and_used
test_keyed_by_content
test_corrupt
test_foreign
test_read_only
test_default_and_off
