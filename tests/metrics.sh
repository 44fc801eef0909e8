#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# --metrics: exact counts against the workload and a flood (scraped while
# it runs), the series bound, promtool, a real Prometheus server, hostile
# HTTP clients, bad listen addresses; SIGHUP rotation of -o FILE.
# Runs as root with SHMTRACE=<binary>; about 40 s per binary.
. "$(dirname "$0")/lib.sh"

build_flood || {
	fail "metrics: build tests/flood.c" "compiler failed"
	exit 0
}
# Keys of our own, so that concurrent test runs do not see each other.
KEY_BASE=$((0x6d000000 | ($$ & 0xfff) << 12))
PORT=
BG=()

cleanup() {
	local p
	for p in "${BG[@]}"; do
		kill "$p" 2>/dev/null
	done
	remove_cgroups
}
trap cleanup EXIT


# A TCP port nobody listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

scrape() { curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics"; }

# metric_sum FILTER < EXPOSITION: the sum of the samples whose line
# matches FILTER (an awk regex), as an integer.
metric_sum() { awk -v re="$1" '$0 !~ /^#/ && $0 ~ re { s += $NF } END { printf "%d\n", s }'; }

# start_metrics ARGS...: shmtrace --metrics on a free port, with ARGS.
start_metrics() {
	PORT=$(free_port)
	start_tracer --metrics="$PORT" "$@"
}

# The workload's calls, counted by the workload's own expectations (its
# result column, written by hand) against shmtrace_calls_total. Traced as
# `-- COMMAND`, which scrapes before it ends: no other process counts.
test_exact_workload() {
	local want got f
	PORT=$(free_port)
	"$SHMTRACE" --metrics="$PORT" -j -W -o "$TEST_TMP/out" -- sh -c \
		"'$WORKLOAD' >'$TEST_TMP/expect' 2>/dev/null; sleep 0.3
		 curl -s --max-time 10 http://127.0.0.1:$PORT/metrics >'$TEST_TMP/m1'" 2>"$TEST_TMP/err"
	want=$(awk -F'\t' '$5 == "shmt-wl" { r = $14 == "null" ? "ok" : $14; n[r]++ }
		END { for (r in n) print r, n[r] }' "$TEST_TMP/expect" | sort)
	got=$(sed -n 's/^shmtrace_calls_total{syscall="shmget",result="\([A-Za-z0-9]*\)",comm="shmt-wl",container=""} \([0-9]*\)$/\1 \2/p' \
		"$TEST_TMP/m1" | sort)
	assert_eq "metrics: calls_total by result equals the workload's calls, exactly" "$want" "$got"
	assert_eq "metrics: calls_total equals the events printed" \
		"$(grep -c '"syscall":"shmget"' "$TEST_TMP/out")" \
		"$(metric_sum '^shmtrace_calls_total\\{' <"$TEST_TMP/m1")"
	assert_eq "metrics: the histogram counts every call" \
		"$(wc -l <"$TEST_TMP/expect")" \
		"$(metric_sum '^shmtrace_call_duration_seconds_count\\{syscall="shmget"\\}' <"$TEST_TMP/m1")"
	assert_eq "metrics: +Inf bucket == count" \
		"$(metric_sum 'le="\\+Inf"' <"$TEST_TMP/m1")" \
		"$(metric_sum '_seconds_count' <"$TEST_TMP/m1")"
	assert_eq "metrics: build info names the attach mode" 1 \
		"$(grep -c '^shmtrace_build_info{version="[0-9.]*",attach="[a-z]*"} 1$' "$TEST_TMP/m1")"
	for f in world-access hugetlb-eperm; do
		assert_eq "metrics: findings_total{finding=\"$f\"} equals the events -W marks" \
			"$(grep -c "\"finding\":\"$f\"" "$TEST_TMP/out")" \
			"$(metric_sum "^shmtrace_findings_total\\{finding=\"$f\"\\}" <"$TEST_TMP/m1")"
	done
	if ! command -v promtool >/dev/null; then
		skip "metrics: promtool check metrics" "promtool is not installed (Debian: prometheus)"
		return
	fi
	check "metrics: promtool check metrics passes" promtool check metrics <"$TEST_TMP/m1"
}

# Scrapes every 0.1 s while a flood runs: each is no less than the one
# before, and the last (after the flood) plus the lost equals the calls.
test_flood_scrapes() {
	local key=$((KEY_BASE + 2)) calls last=0 v mono=yes n=0 lost fpid
	start_metrics -o /dev/null -k "$(hexkey $key)" -b 64M ||
		{ fail "metrics: flood" "shmtrace did not start"; return; }
	"$FLOOD" -t 2 -s 2 "$key" >"$TEST_TMP/calls" &
	fpid=$!
	while kill -0 "$fpid" 2>/dev/null; do
		v=$(scrape | metric_sum '^shmtrace_calls_total\\{')
		[ "$v" -ge "$last" ] || mono="no: $v after $last"
		last=$v n=$((n + 1))
		sleep 0.1
	done
	wait "$fpid"
	calls=$(cat "$TEST_TMP/calls")
	sleep 1.2	# the loss counters are read every second
	scrape >"$TEST_TMP/m2"
	stop_tracer
	v=$(metric_sum '^shmtrace_calls_total\\{syscall="shmget",result="ENOENT",comm="shmt-flood"' <"$TEST_TMP/m2")
	lost=$(metric_sum '^shmtrace_lost_events_total' <"$TEST_TMP/m2")
	echo "  flood: $calls calls, $v counted, $lost lost, $n scrapes during it"
	assert_eq "metrics: counters never went back across $n scrapes during a flood" yes "$mono"
	assert_eq "metrics: after the flood, calls_total + lost == calls made" "$calls" "$((v + lost))"
	check "metrics: the flood was scraped more than 5 times" test "$n" -gt 5
	check "metrics: flood: no crash or sanitizer report" clean_exit "$TEST_TMP/err"
}

# names FROM TO KEY: one call of KEY under each process name bFROM..bTO.
names() {
	local i
	for i in $(seq "$1" "$2"); do
		"$WORKLOAD" comm "$(printf 'b%04d' "$i" | od -An -tx1 | tr -d ' \n')" "$3" >/dev/null 2>&1
	done
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# 1100 process names: 1000 get series of their own, the rest count as
# other; 1100 more names later leave memory where it was.
test_bound() {
	local key=$((KEY_BASE + 3)) got rss1 rss2
	start_metrics -o /dev/null -k "$(hexkey $key)" ||
		{ fail "metrics: bound" "shmtrace did not start"; return; }
	names 1 1100 "$key"
	sleep 0.3
	scrape >"$TEST_TMP/m3"
	rss1=$(rss_kb "$TRACER_PID")
	names 1101 2200 "$key"
	sleep 0.3
	scrape >/dev/null
	rss2=$(rss_kb "$TRACER_PID")
	stop_tracer
	got=$(grep -c '^shmtrace_calls_total{' "$TEST_TMP/m3")
	assert_eq "metrics: 1100 process names make 1000 series and other" 1001 "$got"
	assert_eq "metrics: 100 calls count under comm=\"other\"" 100 \
		"$(metric_sum 'comm="other",container="other"' <"$TEST_TMP/m3")"
	assert_eq "metrics: every call counted" 1100 "$(metric_sum '^shmtrace_calls_total\\{' <"$TEST_TMP/m3")"
	check "metrics: 1100 more names leave the RSS within 10% ($rss1 kB, then $rss2 kB)" \
		test $((rss2 * 10)) -le $((rss1 * 11))
}

# Process names with quotes, backslashes, newlines and bytes that are not
# UTF-8: the labels carry them escaped as text mode prints them, and the
# exposition stays valid.
test_hostile_names() {
	local key=$((KEY_BASE + 7))
	start_metrics -o "$TEST_TMP/hostile.txt" -k "$(hexkey $key)" ||
		{ fail "metrics: hostile names" "shmtrace did not start"; return; }
	"$WORKLOAD" comm 22615c0a62ff20 "$key"
	"$WORKLOAD" comm 7d2c782223 "$key"
	sleep 0.3
	scrape >"$TEST_TMP/m5"
	stop_tracer
	assert_eq "metrics: hostile names: labels escape what text mode escapes" \
		'comm="\"a\\\\\\x0ab\\xff\\x20"
comm="},x\"#"' \
		"$(grep -o 'comm="[^,]*,*[^,]*",container' "$TEST_TMP/m5" | sed 's/,container$//' | sort)"
	if command -v promtool >/dev/null; then
		check "metrics: hostile names: promtool check metrics passes" promtool check metrics <"$TEST_TMP/m5"
	fi
}

# A container name that whoever can make a cgroup picks (nspawn's
# machine-NAME.scope, which systemd \xHH-escapes): quotes, a backslash,
# a newline, ESC and a byte that is not UTF-8. Its calls into the host's
# IPC namespace and into one of its own (where a segment and a process
# stay) carry the name in a series and a live-segment gauge, escaped as
# -C prints it; the exposition stays valid, and each JSON line keeps the
# name inside its strings.
test_hostile_container() {
	local key=$((KEY_BASE + 8)) name rel ns_pid i got=
	name='x\x22\x2c\x22finding\x22\x3a\x22ok\x5c\x0a\x1b\xff'
	rel=machine-$name.scope
	if [ -z "$CG_ROOT" ] || ! make_cgroup "$rel"; then
		skip "metrics: a hostile container name" "no cgroup v2 hierarchy to make one in"
		return
	fi
	start_metrics -j -W -o "$TEST_TMP/hc.json" -k "$(hexkey $key)" ||
		{ fail "metrics: a hostile container name" "shmtrace did not start"; return; }
	in_cgroup "$rel" "$WORKLOAD" get "$(hexkey $key)" 0x3a4 >/dev/null
	ipcrm -M "$(hexkey $key)"
	in_cgroup "$rel" unshare --ipc sh -c \
		"'$WORKLOAD' get $(hexkey $key) 0x3a4 && exec sleep 30" >/dev/null &
	ns_pid=$!
	BG+=("$ns_pid")
	for i in $(seq 40); do
		scrape >"$TEST_TMP/hc.prom"
		got=$(grep -c -F 'container="x\",\"finding\":\"ok\\\\\\x0a\\x1b\\xff"' "$TEST_TMP/hc.prom")
		[ "$got" = 3 ] && break
		sleep 0.25
	done
	stop_tracer
	kill_cgroup "$rel"
	wait "$ns_pid" 2>/dev/null
	assert_eq "metrics: a hostile container name: its calls, segments and bytes, escaped" 3 "$got"
	if command -v promtool >/dev/null; then
		check "metrics: a hostile container name: promtool check metrics passes" \
			promtool check metrics <"$TEST_TMP/hc.prom"
	fi
	if command -v jq >/dev/null; then
		assert_eq "metrics: a hostile container name: JSON keeps it in one string" \
			'["world-access","shared-ipc"] x","finding":"ok
["world-access"] x","finding":"ok' \
			"$(jq -rc 'select(.syscall == "shmget" and .container) | "\(.findings | map(.finding)) \(.container[0:16])"' "$TEST_TMP/hc.json")"
	fi
}

# live_series ID N: container ID's live-segment series, |-joined, once
# its segment count is N, else as they stand after 10 s.
live_series() {
	local got i
	for i in $(seq 40); do
		got=$(scrape | grep "container=\"$1\"" | grep '^shmtrace_segment' | sort | tr '\n' '|')
		case $got in *"segments{container=\"$1\"} $2|") break ;; esac
		sleep 0.25
	done
	echo "$got"
}

# Live segments by container: a hand-made Docker cgroup whose process,
# in an IPC namespace of its own, made 2 segments and stays.
test_live_segments() {
	local id ns_pid got
	id=fee1$(printf '%060x' $$)
	if [ -z "$CG_ROOT" ] || ! make_cgroup "docker/$id"; then
		skip "metrics: live segments by container" "no cgroup v2 hierarchy to make one in"
		return
	fi
	start_metrics -o /dev/null || { fail "metrics: live segments" "shmtrace did not start"; return; }
	in_cgroup "docker/$id" unshare --ipc sh -c \
		"'$WORKLOAD' get 0x1234 0x3a4 && '$WORKLOAD' get 0x1235 0x3a4 && exec sleep 30" >/dev/null &
	ns_pid=$!
	BG+=("$ns_pid")
	got=$(live_series "$id" 2)
	stop_tracer
	kill_cgroup "docker/$id"
	wait "$ns_pid" 2>/dev/null
	assert_eq "metrics: a container's live segments and bytes" \
		"shmtrace_segment_bytes{container=\"$id\"} 8192|shmtrace_segments{container=\"$id\"} 2|" "$got"
}

# Sizes that add up past 2^64: four 2^62-byte SHM_NORESERVE segments,
# made by uid 65534 in an IPC namespace of its own. The bytes gauge
# stops at the largest count it has rather than wrapping to a small one.
test_huge_sizes() {
	local id=fee2$(printf '%060x' $$) ns_pid got wl
	if [ -z "$CG_ROOT" ] || ! make_cgroup "docker/$id"; then
		skip "metrics: sizes past 2^64" "no cgroup v2 hierarchy to make one in"
		return
	fi
	wl=$(public_copy "$WORKLOAD")
	start_metrics -o /dev/null || { fail "metrics: sizes past 2^64" "shmtrace did not start"; return; }
	in_cgroup "docker/$id" unshare --ipc setpriv --reuid 65534 --regid 65534 --clear-groups \
		sh -c "for i in 1 2 3 4; do '$wl' get 0 0x1380 0x4000000000000000 || exit; done
		       exec sleep 30" >/dev/null &
	ns_pid=$!
	BG+=("$ns_pid")
	got=$(live_series "$id" 4)
	stop_tracer
	kill_cgroup "docker/$id"
	wait "$ns_pid" 2>/dev/null
	assert_eq "metrics: four 2^62-byte segments: the bytes gauge saturates, the count is exact" \
		"shmtrace_segment_bytes{container=\"$id\"} 18446744073709551615|shmtrace_segments{container=\"$id\"} 4|" "$got"
}

# A real Prometheus server scrapes shmtrace every second and answers PromQL.
test_prometheus() {
	local key=$((KEY_BASE + 4)) pport dir i got=
	if ! command -v prometheus >/dev/null; then
		skip "metrics: Prometheus server" "prometheus is not installed (Debian: prometheus)"
		return
	fi
	start_metrics -o /dev/null -k "$(hexkey $key)" ||
		{ fail "metrics: prometheus" "shmtrace did not start"; return; }
	dir=$TEST_TMP/prom
	mkdir -p "$dir"
	pport=$(free_port)
	cat >"$dir/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	scrape_configs:
	  - job_name: shmtrace
	    static_configs:
	      - targets: ['127.0.0.1:$PORT']
	EOF
	prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$pport" >"$dir/log" 2>&1 &
	BG+=($!)
	"$FLOOD" -n 1234 "$key" >/dev/null
	for i in $(seq 60); do
		got=$(curl -s --max-time 2 "http://127.0.0.1:$pport/api/v1/query" \
			--data-urlencode 'query=sum(shmtrace_calls_total{syscall="shmget"})' |
			jq -r '.data.result[0].value[1] // empty' 2>/dev/null)
		[ "$got" = 1234 ] && break
		sleep 0.5
	done
	kill "${BG[-1]}"
	wait "${BG[-1]}" 2>/dev/null
	stop_tracer
	assert_eq "metrics: Prometheus answers sum(shmtrace_calls_total{syscall=\"shmget\"})" 1234 "$got"
}

# Clients that connect and never send, and one that asks and never reads:
# every event still arrives, scrapes resume, shmtrace stops cleanly.
test_hostile_clients() {
	local key=$((KEY_BASE + 5)) pids=() i status
	start_metrics -j -k "$(hexkey $key)" ||
		{ fail "metrics: hostile clients" "shmtrace did not start"; return; }
	for i in $(seq 12); do
		python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
if sys.argv[2] == "ask":
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    for _ in range(200):
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(30)' "$PORT" "$([ $((i % 3)) = 0 ] && echo ask || echo idle)" 2>/dev/null &
		pids+=($!)
	done
	BG+=("${pids[@]}")
	sleep 0.5
	"$FLOOD" -n 5000 "$key" >/dev/null
	sleep 0.3
	assert_eq "metrics: with 12 stalled clients, every event is printed" 5000 \
		"$(grep -c '"errno":"ENOENT"' "$TEST_TMP/out")"
	assert_eq "metrics: a scrape is answered once stalled clients time out" 5000 \
		"$(scrape | metric_sum '^shmtrace_calls_total\\{')"
	stop_tracer
	status=$?
	assert_eq "metrics: shmtrace stops with status 0 while clients hang on" 0 "$status"
	check "metrics: stalled clients: no crash or sanitizer report" clean_exit "$TEST_TMP/err"
	kill "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
}

# alive PID: a process that has not ended (a zombie has).
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# The server is a process of its own, as nobody, with nothing: no group,
# no capability, no way to gain one, a seccomp filter, no descriptor but
# its sockets and stderr; it alone listens, and it goes with shmtrace.
test_privsep() {
	local srv got i
	start_metrics -o /dev/null || { fail "metrics: privsep" "shmtrace did not start"; return; }
	srv=$(pgrep -P "$TRACER_PID" -x shmtrace-httpd)
	got=$(awk '/^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):/ { $1 = $1; printf "%s|", $0 }' \
		"/proc/$srv/status" 2>&1)
	assert_eq "metrics: the HTTP server runs as 65534, no groups, no capabilities, no_new_privs, a seccomp filter" \
		"Uid: 65534 65534 65534 65534|Gid: 65534 65534 65534 65534|Groups:|CapInh: 0000000000000000|CapPrm: 0000000000000000|CapEff: 0000000000000000|CapBnd: 0000000000000000|CapAmb: 0000000000000000|NoNewPrivs: 1|Seccomp: 2|" \
		"$got"
	assert_eq "metrics: the server holds 3 descriptors: stderr, the listener, its socket to shmtrace" \
		"2 socket socket" \
		"$(for f in /proc/"$srv"/fd/*; do case $(readlink "$f") in socket:*) echo socket ;; *) basename "$f" ;; esac; done | sort | paste -sd' ')"
	assert_eq "metrics: the server alone listens on the port" "pid=$srv" \
		"$(ss -Hltnp "sport = :$PORT" | grep -o 'pid=[0-9]*' | sort -u | paste -sd' ')"
	assert_eq "metrics: /healthz answers ok" "200|ok" \
		"$(curl -s --max-time 5 -o "$TEST_TMP/healthz" -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")|$(cat "$TEST_TMP/healthz")"
	kill -KILL "$TRACER_PID"
	wait "$TRACER_PID" 2>/dev/null
	for i in $(seq 20); do
		alive "$srv" || break
		sleep 0.05
	done
	check "metrics: kill -9 of shmtrace: its server is gone within 1 s" eval '! alive "$srv"'
}

# The server killed (as seccomp would kill it): one line says so, the
# port closes, tracing goes on and ends with status 0.
test_server_killed() {
	local key=$((KEY_BASE + 7)) srv status
	start_metrics -j -k "$(hexkey $key)" || { fail "metrics: server killed" "shmtrace did not start"; return; }
	srv=$(pgrep -P "$TRACER_PID" -x shmtrace-httpd)
	kill -SYS "$srv"
	sleep 0.3
	"$WORKLOAD" comm 6b696c6c "$key" >/dev/null
	sleep 0.3
	check "metrics: with the server gone, the port is closed" eval '! curl -s --max-time 2 "http://127.0.0.1:$PORT/healthz"'
	stop_tracer
	status=$?
	assert_eq "metrics: the server's death is one line, the call after it is traced, status 0" \
		"shmtrace: --metrics: the HTTP server (pid $srv) was killed by signal 31 (Bad system call); no more scrapes|1|0" \
		"$(grep -- '--metrics' "$TEST_TMP/err")|$(grep -c '"comm":"kill"' "$TEST_TMP/out")|$status"
}

# idle_clients N HOW: N sockets that connect and then send nothing (HOW
# idle) or half a request (HOW partial), and reconnect as soon as they
# are dropped; then 5 scrapes. Prints how many were not answered within
# 1 s, and "unused" if partial clients were not dropped for others
# (they did not have every slot) while the scrapes ran.
idle_clients() {
	local n=$1 how=$2 pid i got times= dials
	python3 -c '
import selectors, signal, socket, sys
port, n, how, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
sel = selectors.DefaultSelector()
dials = 0
def report(*_):
    open(out, "w").write("%d\n" % dials)
    sys.exit(0)
signal.signal(signal.SIGTERM, report)
def dial():
    global dials
    dials += 1
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if how == "partial":
        s.send(b"GET /metrics HTTP/1.1\r\n")
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
for _ in range(n):
    dial()
while True:
    for key, _ in sel.select():
        s = key.fileobj
        try:
            data = s.recv(1)
        except OSError:
            data = b""
        if not data:
            sel.unregister(s)
            s.close()
            dial()' "$PORT" "$n" "$how" "$TEST_TMP/dials" 2>/dev/null &
	pid=$!
	BG+=("$pid")
	sleep 1.5
	for i in 1 2 3 4 5; do
		got=$(curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}' "http://127.0.0.1:$PORT/metrics")
		times="$times ${got#* }"
		[ "${got% *}" = 200 ] && awk -v t="${got#* }" 'BEGIN { exit !(t < 1) }' || times="$times(late or $got)"
		sleep 0.2
	done
	kill "$pid"
	wait "$pid" 2>/dev/null
	dials=$(cat "$TEST_TMP/dials")
	echo "  metrics: $n $how clients ($dials connects): scrapes took$times s" >&2
	[ "$how" = idle ] || [ "$dials" -gt $((n + 16)) ] || echo unused
	echo "$times" | grep -c 'late'
}

# Sockets that never send, or never finish, cannot keep a scrape out:
# the kernel holds the first (TCP_DEFER_ACCEPT), and the oldest of the
# second gives up its slot to a newcomer.
test_idle_clients() {
	local n how
	start_metrics -o /dev/null || { fail "metrics: idle clients" "shmtrace did not start"; return; }
	for n in 24 200; do
		for how in idle partial; do
			assert_eq "metrics: with $n $how clients that reconnect, 5 of 5 scrapes answered within 1 s" 0 \
				"$(idle_clients "$n" "$how")"
		done
	done
	stop_tracer
	check "metrics: idle clients: no crash or sanitizer report" clean_exit "$TEST_TMP/err"
}

# What the server answers besides /metrics; where it listens.
test_http() {
	local code
	start_metrics -o /dev/null || { fail "metrics: http" "shmtrace did not start"; return; }
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")
	assert_eq "metrics: another path is 404" 404 "$code"
	code=$(curl -s -I -o /dev/null -w '%{http_code} %{content_type}' "http://127.0.0.1:$PORT/healthz")
	assert_eq "metrics: HEAD /healthz is 200, plain text" "200 text/plain" "$code"
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/metrics")
	assert_eq "metrics: POST is 405" 405 "$code"
	code=$(curl -s -I -o /dev/null -w '%{http_code} %{content_type}' "http://127.0.0.1:$PORT/metrics?x=1")
	assert_eq "metrics: HEAD with a query string is 200, the exposition's type" \
		"200 text/plain; version=0.0.4; charset=utf-8" "$code"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(printf '%5000s' | tr ' ' x)" \
		"http://127.0.0.1:$PORT/metrics")
	assert_eq "metrics: a request over 4 KiB is 431" 431 "$code"
	assert_eq "metrics: listens on 127.0.0.1 only by default" "127.0.0.1:$PORT" \
		"$(ss -Hltn "sport = :$PORT" | awk '{ print $4 }')"
	stop_tracer
}

# The port is taken: one line, exit status 1, before tracing.
test_port_in_use() {
	local port err status
	start_metrics -o /dev/null || { fail "metrics: port in use" "shmtrace did not start"; return; }
	port=$PORT
	err=$("$SHMTRACE" --metrics="$port" -d 1 2>&1 >/dev/null)
	status=$?
	stop_tracer
	assert_eq "metrics: a port in use: status 1 and one line saying so" \
		"1|shmtrace: --metrics: cannot listen on 127.0.0.1 port $port: Address already in use" \
		"$status|$err"
}

# logrotate: rename the file, SIGHUP, many times during a flood; every
# line is whole and in exactly one file.
test_sighup() {
	local key=$((KEY_BASE + 6)) calls fpid i files bad lines
	start_tracer -j -b 64M -k "$(hexkey $key)" -o "$TEST_TMP/rot.jsonl" ||
		{ fail "sighup" "shmtrace did not start"; return; }
	"$FLOOD" -t 1 -s 2 "$key" >"$TEST_TMP/calls" &
	fpid=$!
	for i in $(seq 10); do
		sleep 0.15
		mv "$TEST_TMP/rot.jsonl" "$TEST_TMP/rot.jsonl.$i"
		kill -HUP "$TRACER_PID"
	done
	wait "$fpid"
	calls=$(cat "$TEST_TMP/calls")
	sleep 0.3
	stop_tracer
	files=$(for f in "$TEST_TMP"/rot.jsonl*; do [ -s "$f" ] && echo "$f"; done | wc -l)
	lines=$(cat "$TEST_TMP"/rot.jsonl* | wc -l)
	bad=$(cat "$TEST_TMP"/rot.jsonl* | grep -cv '^{"time":.*}$')
	echo "  sighup: $calls calls, $lines lines in $files files"
	assert_eq "sighup: lines across the rotated files == events, none lost to rotation" \
		"shmtrace: $lines events, $((calls - lines)) lost" "$(grep '^shmtrace: .* lost$' "$TEST_TMP/err")"
	assert_eq "sighup: no partial line" 0 "$bad"
	check "sighup: the events went to more than 5 files" test "$files" -gt 5
}

test_exact_workload
test_flood_scrapes
test_bound
test_hostile_names
test_hostile_container
test_live_segments
test_huge_sizes
test_prometheus
test_hostile_clients
test_privsep
test_server_killed
test_idle_clients
test_http
test_port_in_use
test_sighup
