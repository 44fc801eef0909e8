#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The release: `make release` of this clean tree, what it holds, the same
# bytes from a clone at another path, the source tarball building on its
# own, both packages lintian-clean, and the amd64 one installed, used,
# removed and purged in a fresh Debian container made from the archive.
. tests/lib.sh

VERSION=$(sed -n 's/^VERSION := //p' Makefile)
COMMIT=$(git rev-parse --short=12 HEAD)
REL=.output/release/shmtrace-$VERSION
PODMAN=(podman --runtime=runc --cgroup-manager=cgroupfs)
ROOTFS=.output/package/bookworm.tar	# kept: the archive's packages change rarely

release_files() {
	echo "SHA256SUMS shmtrace-$VERSION-linux-arm64 shmtrace-$VERSION-linux-x86_64" \
		"shmtrace-$VERSION.tar.gz shmtrace_${VERSION}_amd64.deb shmtrace_${VERSION}_arm64.deb"
}

# Bytes 18-19 of an ELF file: its machine (3e00 x86_64, b700 aarch64).
elf_machine() { od -An -tx1 -j18 -N2 "$1" | tr -d ' '; }

test_release() {
	local name="release" f
	make --no-print-directory release >"$TEST_TMP/release.log" 2>&1
	assert_eq "$name: make release, status 0" "0|" "$?|$(grep -E 'error:|\*\*\*' "$TEST_TMP/release.log" | oneline)"
	assert_eq "$name: one folder of the static binaries, both packages, the source, SHA256SUMS" \
		"$(release_files)" "$(ls "$REL" | tr '\n' ' ' | sed 's/ $//')"
	check "$name: SHA256SUMS checks" bash -c "cd '$REL' && sha256sum --quiet -c SHA256SUMS"
	assert_eq "$name: the x86_64 binary is static and names version and commit" \
		"3e00|0|shmtrace $VERSION (commit $COMMIT)" \
		"$(elf_machine "$REL/shmtrace-$VERSION-linux-x86_64")|$(readelf -l "$REL/shmtrace-$VERSION-linux-x86_64" | grep -c 'interpreter')|$("$REL/shmtrace-$VERSION-linux-x86_64" --version)"
	f=$REL/shmtrace-$VERSION-linux-arm64
	assert_eq "$name: the arm64 binary is a static aarch64 one that names version and commit" \
		"b700|0|1" \
		"$(elf_machine "$f")|$(readelf -l "$f" | grep -c 'interpreter')|$(grep -c "shmtrace $VERSION (commit $COMMIT)" "$f")"
}

# The same commit, cloned at another path, built again: the same bytes.
test_reproducible() {
	local name="release: reproducible" clone=$TEST_TMP/elsewhere/a/longer/path/shmtrace
	git clone -q . "$clone" && git -C "$clone" checkout -q "$(git rev-parse HEAD)"
	(cd "$clone" && make --no-print-directory release) >"$TEST_TMP/release2.log" 2>&1
	assert_eq "$name: a clone at another path gives byte-identical files" "" \
		"$(diff "$REL/SHA256SUMS" "$clone/$REL/SHA256SUMS" 2>&1 | oneline)"
}

# The source tarball alone, outside any git tree: builds, and knows its commit.
test_tarball() {
	local name="release: the source tarball" d=$TEST_TMP/src
	mkdir -p "$d" && tar -C "$d" -xzf "$REL/shmtrace-$VERSION.tar.gz"
	make --no-print-directory -C "$d/shmtrace-$VERSION" >"$TEST_TMP/tarball.log" 2>&1
	assert_eq "$name: builds outside git, and names its commit" \
		"shmtrace $VERSION (commit $COMMIT)" "$("$d/shmtrace-$VERSION/shmtrace" --version 2>&1)"
}

test_packages() {
	local name="package" a deb
	for a in amd64 arm64; do
		deb=$REL/shmtrace_${VERSION}_$a.deb
		assert_eq "$name $a: name, version, architecture, and libbpf built in" \
			"shmtrace|$VERSION|$a|libbpf (= $(dpkg-query -W -f='${source:Version}' "libbpf-dev:$a"))" \
			"$(dpkg-deb -f "$deb" Package Version Architecture Built-Using | sed 's/^[^:]*: //' | tr '\n' '|' | sed 's/|$//')"
		assert_eq "$name $a: depends on libc6, libelf1 and zlib1g only" "libc6 libelf1 zlib1g" \
			"$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/[ :].*//' | sort | tr '\n' ' ' | sed 's/ $//')"
		assert_eq "$name $a: the binary, man page, completion, unit, logrotate, copyright, changelog" \
			"./etc/logrotate.d/shmtrace ./lib/systemd/system/shmtrace.service ./usr/sbin/shmtrace ./usr/share/bash-completion/completions/shmtrace ./usr/share/doc/shmtrace/changelog.gz ./usr/share/doc/shmtrace/copyright ./usr/share/man/man8/shmtrace.8.gz" \
			"$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sort | tr '\n' ' ' | sed 's/ $//')"
		assert_eq "$name $a: lintian: no error, no warning" "0|" \
			"$(lintian --fail-on error,warning "$deb" >"$TEST_TMP/lintian.$a" 2>&1; echo $?)|$(grep -E '^(E|W):' "$TEST_TMP/lintian.$a" | oneline)"
	done
	assert_eq "$name arm64: its binary is aarch64" "b700" \
		"$(dpkg-deb --fsys-tarfile "$REL/shmtrace_${VERSION}_arm64.deb" | tar -xO ./usr/sbin/shmtrace | od -An -tx1 -j18 -N2 | tr -d ' ')"
}

# Inside the fresh container: every file but the ones dpkg and apt keep.
CONTAINER_SCRIPT='
set -u
files() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /out -o -path /var/lib/dpkg \
		-o -path /var/lib/apt -o -path /var/cache/apt -o -path /var/cache/debconf -o -path /var/log \
		-o -path /etc/ld.so.cache -o -path /var/cache/ldconfig -o -path /tmp \) -prune -o -print | sort
}
pkgs() { dpkg-query -W -f="\${Package}\n" | sort; }
files >/out/files.before
pkgs >/out/pkgs.before
apt-get update -qq >/out/apt.log 2>&1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /out/shmtrace.deb >>/out/apt.log 2>&1
echo "install $?" >/out/steps
pkgs >/out/pkgs.after
shmtrace --version >/out/version
shmtrace -q -j -o /out/trace -- sh -c "/out/workload get 0x7a6b0001 0 >/dev/null; exit 0" 2>/out/trace.err
echo "trace $?" >>/out/steps
[ -d /var/cache/shmtrace ] && echo "cache made" >>/out/steps
[ -e /lib/systemd/system/shmtrace.service ] && echo "unit there" >>/out/steps
dpkg -r shmtrace >>/out/apt.log 2>&1
echo "remove $? $(ls /usr/sbin/shmtrace /etc/logrotate.d/shmtrace 2>/dev/null | tr "\n" " ")" >>/out/steps
dpkg -P shmtrace >>/out/apt.log 2>&1
echo "purge $?" >>/out/steps
comm -13 /out/pkgs.before /out/pkgs.after | grep -vx shmtrace | xargs -r dpkg -P >>/out/apt.log 2>&1
files >/out/files.after
'

fresh_rootfs() {
	[ -s "$ROOTFS" ] && return 0
	mkdir -p "${ROOTFS%/*}" &&
		mmdebstrap --variant=apt --format=tar bookworm "$ROOTFS.tmp" \
			"deb http://deb.debian.org/debian bookworm main" \
			"deb http://deb.debian.org/debian bookworm-updates main" \
			"deb http://deb.debian.org/debian-security bookworm-security main" \
			>"$TEST_TMP/mmdebstrap.log" 2>&1 &&
		mv "$ROOTFS.tmp" "$ROOTFS"
}

test_install() {
	local name="package: installed in a fresh Debian container" image=localhost/shmtrace-fresh-debian:1
	local out=$TEST_TMP/fresh key=$((0x7a6b0001)) wl
	if ! fresh_rootfs; then
		fail "$name" "mmdebstrap failed: $(tail -3 "$TEST_TMP/mmdebstrap.log" | oneline)"
		return
	fi
	"${PODMAN[@]}" import "$ROOTFS" "$image" >/dev/null 2>&1
	mkdir -p "$out" && cp "$REL/shmtrace_${VERSION}_amd64.deb" "$out/shmtrace.deb" && cp "$WORKLOAD" "$out/workload"
	"${PODMAN[@]}" run --rm --privileged --network=host --ulimit nofile=20000:20000 \
		--ulimit nproc=4096:4096 -v "$out:/out" "$image" sh -c "$CONTAINER_SCRIPT" \
		>"$TEST_TMP/container.log" 2>&1
	assert_eq "$name: installs, traces, the cache made and the unit there, removes, purges" \
		"install 0|trace 0|cache made|unit there|remove 0 /etc/logrotate.d/shmtrace |purge 0|" \
		"$(tr '\n' '|' <"$out/steps" 2>/dev/null)"
	assert_eq "$name: apt pulled in only what it declares (libelf1 here)" "libelf1 shmtrace" \
		"$(comm -13 "$out/pkgs.before" "$out/pkgs.after" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "$name: --version" "shmtrace $VERSION (commit $COMMIT)" "$(cat "$out/version" 2>&1)"
	assert_eq "$name: a short trace" "\"syscall\":\"shmget\",\"key\":$key,\"size\":4096,\"shmflg\":0,\"flags\":\"000\",\"created\":null,\"ret\":-2,\"errno\":\"ENOENT\"" \
		"$(sed 's/.*\(,"syscall".*\),"latency_ns".*/\1/; s/^,//' "$out/trace" 2>&1 | oneline | sed 's/|$//')"
	assert_eq "$name: purged, nothing is left behind, the cache directory included" "" \
		"$(diff "$out/files.before" "$out/files.after" 2>&1 | oneline)"
	"${PODMAN[@]}" rmi "$image" >/dev/null 2>&1
}

if git status --porcelain --untracked-files=no | grep -q .; then
	skip "release" "the tree has uncommitted changes (make release refuses them)"
	exit 0
fi
test_release
test_packages
test_tarball
test_reproducible
test_install
