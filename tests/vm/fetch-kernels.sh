#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Usage: tests/vm/fetch-kernels.sh CACHE_DIR
#
# Makes sure CACHE_DIR/<name>/vmlinuz and CACHE_DIR/<name>/version exist for
# the Debian cloud kernels the VM tests boot (see KERNELS below), and
# CACHE_DIR/arm64-root for the arm64 guests' userland. Packages are
# only downloaded and unpacked, never installed, so no boot hooks run and the
# machine's kernel setup is untouched. Releases other than the machine's own
# are read through a private apt sources list and lists folder kept in
# CACHE_DIR/.apt/<suite>, so the machine's apt configuration is not modified.
set -euo pipefail

readonly PROG=fetch-kernels

# name  suite  metapackage. The concrete linux-image-<abi> package is resolved
# through the metapackage because Debian rotates ABI numbers out of the archive.
# arm64 packages come through the machine's own lists once dpkg knows the
# architecture (the Makefile's test-deps adds it).
readonly KERNELS=(
	"5.10 bullseye linux-image-cloud-amd64"
	"6.1  bookworm linux-image-cloud-amd64"
	"6.12 bookworm linux-image-6.12-cloud-amd64"
	"6.1-arm64  bookworm linux-image-cloud-arm64:arm64"
	"6.12-arm64 bookworm linux-image-6.12-cloud-arm64:arm64"
)

readonly KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

CACHE=
WORK=
HOST_SUITE=
APT_OPTS=()
ERR=
UPDATE_NOTE=
declare -A REFRESHED=()

die() {
	echo "$PROG: error: $*" >&2
	exit 1
}

note() {
	echo "$PROG: $*" >&2
}

cleanup() {
	[[ -z $WORK ]] || rm -rf -- "$WORK"
}

# Last apt error line of a log, so a failure fits on one line.
last_error() {
	local line
	# A fetch failure names the URL and the cause; prefer it to the summary.
	line=$(grep -m 1 -E '^[EW]: Failed to fetch' "$1" || grep -E '^(E|Err):' "$1" | tail -n 1 || true)
	[[ -n $line ]] || line=$(tail -n 1 "$1" || true)
	echo "${line:-no output}"
}

# Archive URI of the machine's own sources serving SUITE, one-line format.
uri_from_list_files() {
	local suite=$1 f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		# Drop the optional "[opts]" so URI and suite are fields 2 and 3.
		awk -v s="$suite" '$1 == "deb" { sub(/\[[^]]*\][ \t]*/, ""); if ($3 == s) print $2 }' "$f"
	done
}

# Same for deb822 .sources files: one stanza per paragraph.
uri_from_sources_files() {
	local suite=$1 f
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		awk -v s="$suite" '
			BEGIN { RS = ""; FS = "\n" }
			{
				uri = ""; deb = 0; hit = 0; on = 1
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^#/) continue
					n = split($i, w, /[ \t]+/)
					if (w[1] == "URIs:") uri = w[2]
					if (w[1] == "Enabled:" && w[2] == "no") on = 0
					for (j = 2; j <= n; j++) {
						if (w[1] == "Types:" && w[j] == "deb") deb = 1
						if (w[1] == "Suites:" && w[j] == s) hit = 1
					}
				}
				if (uri != "" && deb && hit && on) print uri
			}' "$f"
	done
}

# The Debian archive the machine already trusts; other releases live there too.
archive_uri() {
	local uris
	uris=$(uri_from_sources_files "$HOST_SUITE"; uri_from_list_files "$HOST_SUITE")
	[[ -n $uris ]] || die "no apt source for '$HOST_SUITE' in /etc/apt/sources.list{,.d}; cannot find the Debian archive URI"
	echo "${uris%%$'\n'*}"
}

# Point APT_OPTS at the machine's apt setup for its own suite, or at a
# private sources list and lists/cache folders for any other suite.
select_suite() {
	local suite=$1 dir signed=
	APT_OPTS=()
	[[ $suite != "$HOST_SUITE" ]] || return 0
	dir=$CACHE/.apt/$suite
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	[[ ! -r $KEYRING ]] || signed="[signed-by=$KEYRING] "
	echo "deb $signed$(archive_uri) $suite main" >"$dir/sources.list"
	# Dir::Cache too: otherwise apt would rebuild the machine's own
	# pkgcache.bin from the private lists.
	APT_OPTS=(
		-o "Dir::Etc::sourcelist=$dir/sources.list"
		-o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache=$dir/cache"
		-o "Acquire::Languages=none"
	)
}

# apt-get update for SUITE, at most once per run.
refresh_lists() {
	local suite=$1 log=$WORK/update-$1.log strict=()
	[[ -z ${REFRESHED[$suite]:-} ]] || return 1
	REFRESHED[$suite]=1
	if [[ $suite == "$HOST_SUITE" && $EUID -ne 0 ]]; then
		die "package lists for $suite are missing or stale and refreshing them needs root (apt-get update)"
	fi
	# apt-get update exits 0 when an index cannot be fetched. The private
	# list has one source, so any failure is ours; the machine's may hold
	# unrelated broken sources, so there a failure is only remembered.
	[[ $suite == "$HOST_SUITE" ]] || strict=(--error-on=any)
	apt-get "${APT_OPTS[@]}" "${strict[@]}" update >"$log" 2>&1 ||
		die "apt-get update for $suite failed: $(last_error "$log")"
	UPDATE_NOTE=$(grep -m 1 '^W: Failed to fetch' "$log" || true)
}

# Name of the concrete linux-image-* package the metapackage depends on.
resolve_image() {
	apt-cache "${APT_OPTS[@]}" depends "$1" 2>/dev/null |
		awk '/^ *\|?Depends: linux-image-/ && !done { print $2; done = 1 }'
}

# Download and unpack META's kernel into DIR; sets IMAGE, RELEASE, PKG or ERR.
try_fetch() {
	local meta=$1 suite=$2 dir=$3 debs images
	rm -rf -- "$dir" && mkdir -p "$dir/root"
	PKG=$(resolve_image "$meta" || true)
	[[ -n $PKG ]] || { ERR="cannot resolve $meta in $suite"; return 1; }
	(cd "$dir" && apt-get "${APT_OPTS[@]}" download "$PKG") >"$dir/download.log" 2>&1 ||
		{ ERR="apt-get download $PKG failed: $(last_error "$dir/download.log")"; return 1; }
	debs=("$dir"/*.deb)
	dpkg-deb -x "${debs[0]}" "$dir/root" 2>"$dir/extract.log" ||
		{ ERR="dpkg-deb -x ${debs[0]##*/} failed: $(last_error "$dir/extract.log")"; return 1; }
	images=("$dir"/root/boot/vmlinuz-*)
	[[ ${#images[@]} -eq 1 && -f ${images[0]} ]] ||
		{ ERR="$PKG does not hold exactly one boot/vmlinuz-*"; return 1; }
	IMAGE=${images[0]}
	RELEASE=${IMAGE##*/vmlinuz-}
}

# Move the image into place; vmlinuz last, as it is what marks the cache full.
install_kernel() {
	local dest=$1
	mkdir -p "$dest"
	echo "$RELEASE" >"$dest/version.new"
	cp "$IMAGE" "$dest/vmlinuz.new"
	mv -f "$dest/version.new" "$dest/version"
	mv -f "$dest/vmlinuz.new" "$dest/vmlinuz"
}

fetch_one() {
	local name=$1 suite=$2 meta=$3 dest=$CACHE/$1
	if [[ -s $dest/vmlinuz && -s $dest/version ]]; then
		note "$name: $(<"$dest/version") (cached)"
		return
	fi
	select_suite "$suite"
	# Private lists start empty; the machine's are used as they are first.
	[[ $suite == "$HOST_SUITE" ]] || refresh_lists "$suite" || true
	if ! try_fetch "$meta" "$suite" "$WORK/$name"; then
		# Missing or stale lists are the usual cause: refresh once, retry.
		refresh_lists "$suite" || die "$name: $ERR"
		try_fetch "$meta" "$suite" "$WORK/$name" ||
			die "$name: $ERR${UPDATE_NOTE:+ (apt-get update: $UPDATE_NOTE)}"
	fi
	install_kernel "$dest"
	rm -rf -- "${WORK:?}/$name"
	note "$name: $RELEASE (downloaded $PKG from $suite)"
}

# The arm64 guests' userland: busybox, bash, and bpftool (which makes BTF cache
# entries) with the libraries it needs. The host's are amd64 ones, and
# dpkg cannot install both architectures' busybox-static or bpftool.
readonly ARM64_DEBS="busybox-static bash libtinfo6 bpftool libc6 libcap2 libelf1 zlib1g"

fetch_arm64_root() {
	local dest=$CACHE/arm64-root dir=$WORK/arm64-root deb
	[[ ! -x $dest/bin/busybox ]] || return 0
	mkdir -p "$dir/root"
	(cd "$dir" && apt-get download $(printf '%s:arm64 ' $ARM64_DEBS)) >"$dir/download.log" 2>&1 ||
		die "apt-get download of arm64 $ARM64_DEBS failed: $(last_error "$dir/download.log")"
	for deb in "$dir"/*.deb; do
		dpkg-deb -x "$deb" "$dir/root" || die "dpkg-deb -x ${deb##*/} failed"
	done
	rm -rf -- "$dest"
	mv "$dir/root" "$dest"
	note "arm64-root: $ARM64_DEBS (downloaded)"
}

main() {
	local entry
	[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 CACHE_DIR" >&2; exit 2; }
	for entry in apt-get apt-cache dpkg-deb; do
		command -v "$entry" >/dev/null || die "$entry not found (this script needs a Debian host)"
	done
	# shellcheck source=/dev/null
	HOST_SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[[ -n $HOST_SUITE ]] || die "cannot tell the host's Debian codename from /etc/os-release"
	mkdir -p "$1"
	CACHE=$(cd "$1" && pwd)
	# Work inside the cache so the final mv stays on one filesystem.
	WORK=$(mktemp -d "$CACHE/.tmp.XXXXXX")
	trap cleanup EXIT
	for entry in "${KERNELS[@]}"; do
		# shellcheck disable=SC2086 # split the table row into its fields
		fetch_one $entry
	done
	fetch_arm64_root
}

main "$@"
