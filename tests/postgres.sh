#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# PostgreSQL 15 (Debian's package) started, queried and stopped under
# shmtrace -e all --fail-on=leak. Its postmaster makes one SysV segment and
# every other process gets it through fork: each of those, the backends
# that served our queries included, must show an inherited attach and one
# detach at its exit; at a quiet moment, the last nattch shmtrace reported
# must be what /proc/sysvipc/shm said.
. tests/lib.sh

PG=/usr/lib/postgresql/15/bin
PORT=54329
MARK=$((0x7e5a0001))	# a lookup the server script makes after reading /proc
D=$TEST_TMP/pg

# As user postgres, in a directory it may enter (PostgreSQL's programs
# complain of one they cannot, such as a clone made by mktemp -d): start,
# three queries, the holders, /proc's nattch once the server is quiet,
# the marker, stop.
server_script() {
	cat <<-'EOF'
	set -e
	pg=$1 d=$2 port=$3 wl=$4 mark=$5
	cd "$d"
	"$pg/pg_ctl" -D "$d/data" -l "$d/log" -w -o "-k $d -p $port -c listen_addresses= -c autovacuum=off" start >/dev/null
	q() { "$pg/psql" -X -h "$d" -p "$port" -d postgres -Atc "$1"; }
	for i in 1 2 3; do q 'select pg_backend_pid()'; done >"$d/backends"
	q 'select pid from pg_stat_activity where pid <> pg_backend_pid()' >"$d/aux"
	pm=$(head -1 "$d/data/postmaster.pid")
	echo "$pm" >"$d/pm"
	want=$(($(wc -l <"$d/aux") + 1))
	for i in $(seq 200); do
		n=$(awk -v p="$pm" '$5 == p { print $7 }' /proc/sysvipc/shm)
		[ "$n" = "$want" ] && break
		sleep 0.05
	done
	echo "$n" >"$d/nattch"
	"$wl" get "$mark" 0 >/dev/null || true
	"$pg/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null
	EOF
}

setup() {
	local wl
	wl=$(public_copy "$WORKLOAD") || return 1
	# TEST_TMP is shared by the runs of both builds: a cluster of its own.
	rm -rf "$D" && mkdir -p "$D" && chown postgres: "$D" &&
		(cd "$D" && runuser -u postgres -- "$PG/initdb" -A trust -D "$D/data") >"$D/initdb.log" 2>&1 &&
		server_script >"$D/server.sh" && echo "$wl"
}

# The implicit events $1 (attach or detach) on segment $S: "PID CAUSE", sorted.
implicit() { jq -r --argjson s "$S" --arg e "$1" 'select(.event == $e and .shmid == $s) | "\(.pid) \(.cause)"' "$OUT" | sort; }

test_postgres() {
	local name="postgres: started, queried, stopped" wl status created pm forked exited missing last
	OUT=$TEST_TMP/pg.json
	if ! wl=$(setup); then
		fail "$name" "initdb failed: $(oneline <"$D/initdb.log")"
		return
	fi
	"$SHMTRACE" -q -e all -j --fail-on=leak -o "$OUT" -- \
		runuser -u postgres -- sh "$D/server.sh" "$PG" "$D" "$PORT" "$wl" "$MARK" 2>"$TEST_TMP/pg.err"
	status=$?
	assert_eq "$name: status 0, no leak" "0|" "$status|$(grep -v '^[0-9]* calls' "$TEST_TMP/pg.err" | oneline)"
	created=$(jq -r 'select(.syscall == "shmget" and .created == true) | "\(.ret) \(.key) \(.pid) \(.comm)"' "$OUT")
	read -r S key pm _ <<<"$created"
	# Its key is the data directory's inode number (PostgreSQL 12 on).
	assert_eq "$name: the postmaster made one segment, keyed by its data directory" \
		"$(stat -c %i "$D/data") $(cat "$D/pm" 2>/dev/null) postgres" "$(cut -d' ' -f2- <<<"$created")"
	S=${S:-0}
	forked=$(implicit attach)
	exited=$(implicit detach)
	check "$name: processes inherited it (at least the 3 backends and 3 others)" \
		test "$(grep -c ' fork$' <<<"$forked")" -ge 6
	assert_eq "$name: every inherited attach by fork, and one detach at each one's exit" \
		"$(sed 's/ fork$/ exit/' <<<"$forked")" "$exited"
	missing=$(cat "$D/backends" "$D/aux" | while read -r p; do
		grep -qx "$p fork" <<<"$forked" || echo "$p"; done | tr '\n' ' ')
	assert_eq "$name: the backends of the 3 queries and every process pg_stat_activity listed inherited it" \
		"3|" "$(wc -l <"$D/backends")|$missing"
	last=$(jq -r --argjson s "$S" --argjson m "$MARK" '
		select((.shmid == $s and .nattch != null) or .key == $m)
		| if .key == $m then "mark" else .nattch end' "$OUT" | sed -n '/^mark$/{x;p;q};h')
	assert_eq "$name: nattch when the server was quiet, as /proc/sysvipc/shm said" \
		"$(cat "$D/nattch" 2>/dev/null)" "$last"
	assert_eq "$name: the postmaster detached it and removed it" "shmdt 0|IPC_RMID 0|" \
		"$(jq -r --argjson s "$S" --argjson p "${pm:-0}" 'select(.pid == $p and .shmid == $s and (.syscall == "shmdt" or .cmd_name == "IPC_RMID")) | "\(.cmd_name // .syscall) \(.ret)"' "$OUT" | tr '\n' '|')"
	assert_eq "$name: the last inherited holder's exit left nattch 1, the postmaster's" "1" \
		"$(jq -r --argjson s "$S" 'select(.shmid == $s and .nattch != null) | .nattch' "$OUT" | tail -1)"
}

if [ ! -x "$PG/postgres" ] || ! id postgres >/dev/null 2>&1; then
	skip "postgres" "PostgreSQL 15 is not installed (Debian: postgresql-15)"
	exit 0
fi
test_postgres
