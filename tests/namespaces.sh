#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# IPC and pid namespaces with unshare(1): a segment is (namespace, id)
# everywhere, namespaces' own tables are read, gone namespaces forgotten,
# ids inside pid namespaces reported, and --ipcns filters in the kernel.
# Runs on the host and in the QEMU guests (busybox unshare, no jq).
. "$(dirname "$0")/lib.sh"

# ns_inode PID: the inode of PID's IPC namespace.
ns_inode() { stat -L -c %i "/proc/$1/ns/ipc"; }

# in_new_ipcns FILE COMMAND...: runs COMMAND in a new IPC namespace whose
# inode goes to FILE first, and COMMAND's pid to FILE.pid.
in_new_ipcns() {
	local file=$1
	shift
	unshare -i sh -c 'echo $$ >"$0.pid"; stat -L -c %i /proc/self/ns/ipc >"$0"; exec "$@"' \
		"$file" "$@"
}

# lines_of PID: the JSON events of PID in $TEST_TMP/out.
lines_of() { grep "\"pid\":$1," "$TEST_TMP/out"; }

have_unshare() {
	if ! unshare -i true 2>/dev/null; then
		skip "$1" "unshare -i does not work here"
		return 1
	fi
}

# Two namespaces, each with a segment of id 0, at the same time: each
# call is named with its own namespace's key.
test_id_collision() {
	local name="ipcns: two namespaces, both with segment id 0" i
	have_unshare "$name" || return
	start_tracer -e all || { fail "$name" "shmtrace did not start"; return; }
	for i in 1 2; do
		in_new_ipcns "$TEST_TMP/ns$i" "$WORKLOAD" glibc lifecycle \
			>"$TEST_TMP/exp$i" 2>/dev/null &
	done
	wait %2 %3
	stop_tracer
	check "$name: nothing lost" grep -q '^shmtrace: [0-9]* events\?, 0 lost$' "$TEST_TMP/err"
	cp "$TEST_TMP/err" "$TEST_TMP/collision.err"
	for i in 1 2; do
		expected_lifecycle "$TEST_TMP/exp$i" >"$TEST_TMP/e"
		traced_lifecycle "$TEST_TMP/out" "$TEST_TMP/exp$i" >"$TEST_TMP/g"
		check "$name: namespace $i's calls carry its keys" \
			same_lines "$TEST_TMP/e" "$TEST_TMP/g"
	done
}

# The same in JSON: ipc_ns is the caller's namespace, on every event.
test_ipc_ns_field() {
	local name="ipcns: JSON ipc_ns is /proc/PID/ns/ipc's inode" pid want got
	have_unshare "$name" || return
	start_tracer -e all -j || { fail "$name" "shmtrace did not start"; return; }
	in_new_ipcns "$TEST_TMP/ns" "$WORKLOAD" glibc lifecycle >"$TEST_TMP/exp" 2>/dev/null
	"$WORKLOAD" glibc lifecycle >"$TEST_TMP/exp.host" 2>/dev/null
	stop_tracer
	pid=$(cut -f1 "$TEST_TMP/exp" | head -1)
	want=$(cat "$TEST_TMP/ns")
	got=$(lines_of "$pid" | json_field ipc_ns | sort -u)
	assert_eq "$name: a new namespace" "$want" "$got"
	pid=$(cut -f1 "$TEST_TMP/exp.host" | head -1)
	got=$(lines_of "$pid" | json_field ipc_ns | sort -u)
	assert_eq "$name: the host's" "$(ns_inode $$)" "$got"
	got=$(lines_of "$pid" | json_field container | sort -u)
	assert_eq "$name: container is null on the host" "null" "$got"
}

# A segment made in a namespace before the trace began is named by the
# key in that namespace's own table, read when the namespace is first
# seen. (A namespace already gone by then has no table left to read.)
test_preexisting() {
	local name="ipcns: a segment made before the trace, in its namespace"
	local holder id key
	have_unshare "$name" || return
	rm -f "$TEST_TMP/go" "$TEST_TMP/used" "$TEST_TMP/done"
	in_new_ipcns "$TEST_TMP/ns" sh -c '
		"$0" glibc precreate >"$1/pre" || exit 1
		while [ ! -e "$1/go" ]; do sleep 0.05; done
		"$0" attach "$(cut -d" " -f1 "$1/pre")"; echo used >"$1/used"
		while [ ! -e "$1/done" ]; do sleep 0.05; done' "$WORKLOAD" "$TEST_TMP" &
	holder=$!
	while [ ! -s "$TEST_TMP/pre" ] && kill -0 "$holder" 2>/dev/null; do
		sleep 0.05
	done
	start_tracer -e all -j || { fail "$name" "shmtrace did not start"; return; }
	touch "$TEST_TMP/go"
	await "$TEST_TMP/used"
	stop_tracer
	touch "$TEST_TMP/done"
	wait "$holder"
	read -r id key <"$TEST_TMP/pre"
	got=$(grep "\"ipc_ns\":$(cat "$TEST_TMP/ns")," "$TEST_TMP/out" |
		sed -n 's/.*"syscall":"\([a-z]*\)".*"key":\([0-9a-z]*\).*/\1 \2/p' | tr '\n' ' ')
	assert_eq "$name: shmat and shmdt name key $key" \
		"shmat $key shmdt $key " "$got"
	[ "$id" = 0 ] || skip "$name: id" "the namespace's first id was $id, not 0"
}

# A namespace that goes away is forgotten: the next one, which likely gets
# its inode back, must not see its segments.
test_gone() {
	local name="ipcns: a namespace destroyed during the trace is forgotten"
	local ns_a ns_b key_b got
	have_unshare "$name" || return
	rm -f "$TEST_TMP/used"
	start_tracer -e shmat,shmdt,shmctl -j || { fail "$name" "shmtrace did not start"; return; }
	in_new_ipcns "$TEST_TMP/nsa" sh -c '"$0" glibc precreate >/dev/null && "$0" attach 0' "$WORKLOAD"
	# Namespaces are freed asynchronously; shmtrace looks once a second.
	sleep 2.5
	rm -f "$TEST_TMP/done"
	in_new_ipcns "$TEST_TMP/nsb" sh -c '"$0" glibc precreate >"$1/preb" && "$0" attach 0
		echo used >"$1/used"; while [ ! -e "$1/done" ]; do sleep 0.05; done' \
		"$WORKLOAD" "$TEST_TMP" &
	await "$TEST_TMP/used"
	stop_tracer
	touch "$TEST_TMP/done"
	wait
	ns_a=$(cat "$TEST_TMP/nsa") ns_b=$(cat "$TEST_TMP/nsb")
	key_b=$(cut -d' ' -f2 "$TEST_TMP/preb")
	got=$(grep "\"ipc_ns\":$ns_b," "$TEST_TMP/out" | grep '"syscall":"shmat"' | json_field key | tail -1)
	assert_eq "$name: the new namespace's shmat names its own key" "$key_b" "$got"
	if [ "$ns_a" != "$ns_b" ]; then
		skip "$name: inode reuse" "the kernel gave the new namespace another inode ($ns_a, $ns_b)"
	else
		pass "$name: inode reuse: both namespaces had inode $ns_a"
	fi
}

# Keys are per namespace: IPC_CREAT on a key that another namespace's
# other user owns creates a segment here, and is no key-squat.
test_no_squat_across() {
	local name="ipcns: no key-squat across namespaces" key=$((0x5e700000 + $$ % 4096))
	local got holder status
	have_unshare "$name" || return
	# busybox's setpriv (the QEMU guests') cannot change uids.
	if ! setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
		skip "$name" "no setpriv that can act as another user"
		return
	fi
	rm -f "$TEST_TMP/go"
	in_new_ipcns "$TEST_TMP/nsa" sh -c '
		setpriv --reuid=65534 --regid=65534 --clear-groups "$0" get "$1" 0x3a4 >/dev/null || exit 1
		while [ ! -e "$2/go" ]; do sleep 0.05; done' "$(public_copy "$WORKLOAD")" "$key" "$TEST_TMP" &
	holder=$!
	sleep 0.3
	start_tracer -W -j || { fail "$name" "shmtrace did not start"; return; }
	in_new_ipcns "$TEST_TMP/nsb" "$WORKLOAD" get "$key" 0x3a4 >/dev/null
	touch "$TEST_TMP/go"
	wait "$holder"
	status=$?
	stop_tracer
	got=$(grep "\"ipc_ns\":$(cat "$TEST_TMP/nsb")," "$TEST_TMP/out" | grep -c 'key-squat')
	# The other user's segment must exist, or there is nothing to squat.
	assert_eq "$name: root's IPC_CREAT in another namespace" "0|0" "$status|$got"
	got=$(grep "\"ipc_ns\":$(cat "$TEST_TMP/nsb")," "$TEST_TMP/out" | json_field created)
	assert_eq "$name: it created its segment" true "$got"
}

# In a new pid namespace the caller is pid 1 there.
test_pid_ns() {
	local name="pidns: ns_pid and ns_tid in a new pid namespace" line
	if ! unshare -p -f true 2>/dev/null; then
		skip "$name" "unshare -p -f does not work here"
		return
	fi
	start_tracer -j || { fail "$name" "shmtrace did not start"; return; }
	unshare -i -p -f "$WORKLOAD" glibc precreate >/dev/null
	stop_tracer
	line=$(grep '"comm":"shmt-wl"' "$TEST_TMP/out" | head -1)
	assert_eq "$name: ns_pid, ns_tid" "1 1" \
		"$(echo "$line" | json_field ns_pid) $(echo "$line" | json_field ns_tid)"
	check "$name: pid is the host's" test "$(echo "$line" | json_field pid)" -gt 1
}

# shmtrace itself in a pid namespace of its own, as in a container: it
# knows -- COMMAND by another pid than the host's, and still follows it
# and its children.
test_follow_in_pid_ns() {
	local name="pidns: -- COMMAND run from inside a pid namespace" k1=$((0x7a6b0011)) k2=$((0x7a6b0012))
	if ! unshare -p -f true 2>/dev/null; then
		skip "$name" "unshare -p -f does not work here"
		return
	fi
	unshare -p -f --mount-proc "$SHMTRACE" -q -j -o "$TEST_TMP/f.json" -- \
		sh -c "$WORKLOAD get $k1 0 >/dev/null; sh -c '$WORKLOAD get $k2 0 >/dev/null'" 2>"$TEST_TMP/f.err"
	assert_eq "$name: the command's call and its child's, with their pids there" "$k1 yes|$k2 yes|" \
		"$(sed 's/.*"pid":\([0-9]*\),.*"ns_pid":\([0-9]*\),.*"key":\([0-9]*\),.*/\3 \1 \2/' "$TEST_TMP/f.json" |
			while read -r k p n; do [ "$p" != "$n" ] && echo "$k yes|" || echo "$k no|"; done | tr -d '\n')"
}

# --ipcns: only the calls made in that namespace, by PID or by inode.
test_ipcns_filter() {
	local name="--ipcns" how arg holder
	have_unshare "$name" || return
	for how in PID INODE; do
		rm -f "$TEST_TMP/go" "$TEST_TMP/ns"
		in_new_ipcns "$TEST_TMP/ns" sh -c '
			while [ ! -e "$1/go" ]; do sleep 0.05; done
			exec "$0" glibc lifecycle' "$WORKLOAD" "$TEST_TMP" >"$TEST_TMP/exp" &
		holder=$!
		while [ ! -s "$TEST_TMP/ns" ]; do sleep 0.05; done
		arg=$(cat "$TEST_TMP/ns.pid")
		[ "$how" = INODE ] && arg=$(cat "$TEST_TMP/ns")
		start_tracer -e all --ipcns "$arg" ||
			{ fail "$name=$how" "shmtrace did not start"; kill "$holder"; continue; }
		"$WORKLOAD" glibc lifecycle >/dev/null
		touch "$TEST_TMP/go"
		wait "$holder"
		stop_tracer
		expected_lifecycle "$TEST_TMP/exp" >"$TEST_TMP/e"
		tail -n +2 "$TEST_TMP/out" | awk '{ print $1, $2, $3, $4, $5, $6, $7, $8, $10 }' >"$TEST_TMP/g"
		check "$name=$how: exactly that namespace's calls" same_lines "$TEST_TMP/e" "$TEST_TMP/g"
	done
	"$SHMTRACE" --ipcns 4194000 -d 0.1 >/dev/null 2>"$TEST_TMP/err"
	assert_eq "$name=NO-SUCH-PID: status 1, one line" "1 1" \
		"$? $(grep -c 'ipcns 4194000' "$TEST_TMP/err")"
}

test_id_collision
test_ipc_ns_field
test_preexisting
test_gone
test_no_squat_across
test_pid_ns
test_follow_in_pid_ns
test_ipcns_filter
