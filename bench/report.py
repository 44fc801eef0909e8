#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""bench/report.py WORKDIR: the report of a bench/run run.

bench/run measures and leaves in WORKDIR:
  raw.tsv    one measurement a line: section, variant, round, metric, value
  meta.tsv   what else the run knows, a key then its values, tab-separated:
             the machine, the settings, which tracers and attach modes
             work, the variants each table ran, the rate search's verdicts
  loop.txt, tracer.txt   the perf record profiles, when they were taken
This script compares each run with the untraced run of its round, takes
the median, min, max and sum of each metric over the rounds and writes
WORKDIR/RESULTS.md and WORKDIR/results.json.

The numbers are the ones bench/run's awk wrote before this script took
over, to the byte: the summaries with six significant digits ("%.6g"),
the cells formatted from those, and every measurement as recorded.
Hence the few functions below that read and write numbers as awk does.
"""
import json
import math
import re
import sys
from pathlib import Path

# awk's reading of a string as a number: its longest numeric prefix, or 0.
NUMERIC_PREFIX = re.compile(r"[ \t\n]*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")

LABEL = {
    "untraced": "untraced",
    "shmtrace-null": "shmtrace, text to /dev/null",
    "shmtrace-cold": "shmtrace, first start on this kernel (no BTF cache)",
    "shmtrace-warm": "shmtrace, later starts (BTF cache)",
    "shmtrace-baseline": "shmtrace before the BTF cache (--baseline)",
    "shmtrace-text": "shmtrace, text to a file",
    "shmtrace-json": "shmtrace -j, JSON to a file",
    "bpftrace": "bpftrace, enter+exit script",
    "perf": "perf trace -e shmget",
    "strace": "strace -f -e trace=shmget",
    "bpftrace-empty": "floor: empty enter+exit programs (bpftrace)",
    "shmtrace-attach-fentry": "shmtrace --attach=fentry",
    "shmtrace-attach-kprobe": "shmtrace --attach=kprobe",
    "shmtrace-attach-tracepoint": "shmtrace --attach=tracepoint",
    "shmtrace-all": "shmtrace -e all (follows holders' forks, execs, exits)",
}
WORKLOAD = {
    "enoent": "enoent: lookup of a missing key",
    "create": "create: IPC_CREAT|IPC_EXCL + IPC_RMID",
    "lookup-2t": "lookup, 2 threads",
}
# The rows of the overhead table (whatever ran: a missing tracer says why).
OVERHEAD_ROWS = ["untraced", "shmtrace-null", "shmtrace-text", "shmtrace-json",
                 "bpftrace", "perf", "strace", "bpftrace-empty"]
TRACERS = ["shmtrace-null", "shmtrace-text", "shmtrace-json", "bpftrace", "perf", "strace"]
RATE_ROWS = ["shmtrace-text", "bpftrace", "perf", "strace"]
ATTACH_MODES = ["shmtrace", "shmtrace-compat", "shmtrace-attach-fentry",
                "shmtrace-attach-kprobe", "shmtrace-attach-tracepoint"]
# The loop's profile: the part of a traced call, and the functions in it
# (None: the BPF programs, whatever their names in this run).
PROFILE_PARTS = [
    ("the system call itself", "__x64_sys_shmget"),
    ("entry hook: tracepoint + BPF program", "syscall_trace_enter"),
    ("exit hook: tracepoint + BPF program", "syscall_exit_work"),
    ("... of which (both hooks) the BPF programs", None),
    ("... of which (both hooks) clock reads", "ktime_get_boot_fast_ns ktime_get_ns"),
    ("... of which (both hooks) ring buffer reserve+submit",
     "bpf_ringbuf_reserve bpf_ringbuf_submit"),
    ("... of which (both hooks) reader wakeups", "irq_work_queue"),
    ("... of which (both hooks) map lookup/update/delete",
     "htab_map_update_elem htab_map_delete_elem __htab_map_lookup_elem "
     "bpf_task_storage_get_recur bpf_task_storage_delete"),
    ("... of which (both hooks) bpf_get_current_comm", "bpf_get_current_comm"),
]
# meta.tsv keys that name something before their value, and how many names:
# "verdict SECTION VARIANT RATE pass|FAIL", "available TRACER WHY", ...
NAMED = {"verdict": 3, "available": 1, "attach_mode": 1, "max_lossless_rate": 1}


# --- numbers, as awk reads and writes them ----------------------------------

def number(text):
    """A recorded value as a number, the way awk reads it."""
    m = NUMERIC_PREFIX.match(text or "")
    return float(m.group()) if m else 0.0


def looks_numeric(text):
    """Whether awk compares the value as a number (else as a string)."""
    return NUMERIC_PREFIX.fullmatch(text.rstrip(" \t\n")) is not None


def awk_str(x):
    """A number as awk's print writes it: integers whole, others "%.6g"."""
    return "%d" % x if math.isfinite(x) and x == int(x) else "%.6g" % x


def g6(x):
    return "%.6g" % x


def num(x, d, q=1):
    """x / q with d decimals, or "-" when there is none."""
    return "-" if x is None else "%.*f" % (d, number(x) / q)


def rate_name(r):
    r = number(r)
    if r >= 1000000:
        return "%gM/s" % (r / 1000000)
    if r >= 1000:
        return "%gk/s" % (r / 1000)
    return "%g/s" % r


def verdict(x, limit):
    return "-" if x is None else "met" if x <= limit else "not met"


# --- reading the run ---------------------------------------------------------

def read_lines(path):
    """A file's lines, split at "\n" only (as awk does: a "\r" is part of a
    value); bytes that are not UTF-8 come back out as they were."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n") if text else []


def split(line, n):
    """The first n tab-separated fields of a line; missing ones are ""."""
    f = line.split("\t", n - 1)
    return f + [""] * (n - len(f))


def awk_fields(line, n):
    """A line split on blanks as awk splits it, at least n fields."""
    f = [x for x in re.split(r"[ \t]+", line) if x]
    return f + [""] * (n - len(f))


class Facts(dict):
    """What meta.tsv says; bench/run writes every key, so one missing is
    a work directory from something else: say which, rather than a trace."""

    def __init__(self, what):
        super().__init__()
        self.what = what

    def __missing__(self, key):
        sys.exit("bench/report.py: meta.tsv has no %s %s" % (self.what, key))


class Run:
    """The records of a run, the run's facts, and what is made of them."""

    def __init__(self, work):
        self.work = Path(work)
        self.meta = Facts("key")
        self.named = {key: Facts(key) for key in NAMED}
        for line in read_lines(self.work / "meta.tsv"):
            self.read_meta(line)
        self.records = [tuple(split(line, 5)) for line in read_lines(self.work / "raw.tsv")]
        self.records += self.ratios()
        self.agg = self.aggregate()

    def read_meta(self, line):
        key = line.split("\t", 1)[0]
        n = NAMED.get(key, 0)
        f = split(line, n + 2)
        if n:
            self.named[key][f[1] if n == 1 else tuple(f[1:n + 1])] = f[n + 1]
        else:
            self.meta[key] = f[1]

    def ratios(self):
        """Per round, each variant against the untraced run of the same round."""
        ns, base, keys = {}, {}, []
        for s, v, r, m, x in self.records:
            if m != "ns_per_call":
                continue
            ns[s, v, r] = x
            if v == "untraced":
                base[s, r] = x
            else:
                keys.append((s, v, r))
        out = []
        for s, v, r in keys:
            b = base.get((s, r))
            if b is None or not looks_numeric(b) or number(b) <= 0:
                continue		# no untraced run to compare with
            a, b = number(ns[s, v, r]), number(b)
            out.append((s, v, r, "ratio", "%.3f" % (a / b)))
            out.append((s, v, r, "added_ns", "%.1f" % (a - b)))
        return out

    def aggregate(self):
        """(section, variant, metric) -> median, min, max, sum (as "%.6g") and n."""
        values = {}
        for s, v, _, m, x in self.records:
            values.setdefault((s, v, m), []).append(number(x))
        agg = {}
        for key, xs in values.items():
            total = 0.0
            for x in xs:		# not sum(): since 3.12 it compensates rounding, awk does not
                total += x
            xs = sorted(xs)
            n = len(xs)
            med = xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
            agg[key] = {"median": g6(med), "min": g6(xs[0]), "max": g6(xs[-1]),
                        "sum": g6(total), "n": n}
        return agg

    # --- what the tables read -------------------------------------------

    def get(self, s, v, m, what="median"):
        """A summary as written ("%.6g"), or None when nothing was measured."""
        a = self.agg.get((s, v, m))
        return None if a is None else a[what]

    def value(self, s, v, m, what="median"):
        x = self.get(s, v, m, what)
        return None if x is None else number(x)

    def spread(self, s, v, m, d, q=1):
        """The median and its spread: "123.4 (120.1-130.2)"."""
        if (s, v, m) not in self.agg:
            return "-"
        med = num(self.get(s, v, m), d, q)
        if self.get(s, v, m, "n") > 1:
            return "%s (%s-%s)" % (med, num(self.get(s, v, m, "min"), d, q),
                                   num(self.get(s, v, m, "max"), d, q))
        return med

    def steps(self, section, variant=None):
        """The rate steps of a variant (or of a section): rate -> metric -> value."""
        out = {}
        for s, v, r, m, x in self.records:
            if s == section and variant in (None, v):
                out.setdefault(r, {})[m] = x
        return out

    def avail(self, v):
        """ "yes", or why the tracer of a variant did not run."""
        if v.startswith("bpftrace"):
            return self.named["available"]["bpftrace"]
        if v in ("perf", "strace"):
            return self.named["available"][v]
        return "yes"

    def mode(self, v):
        """The attach mode a shmtrace variant found, or "" when it did not start."""
        return self.named["attach_mode"].get(v, "")

    def label(self, v):
        if v == "shmtrace":
            return "shmtrace (default: %s)" % (self.mode("shmtrace") or "?")
        if v == "shmtrace-compat":
            return "shmtrace --compat (%s + raw_syscalls)" % (self.mode("shmtrace-compat") or "?")
        return LABEL[v]

    def max_rate(self, v):
        return self.named["max_lossless_rate"].get(v, "0")

    def verdict_of(self, section, v, rate):
        return self.named["verdict"].get((section, v, rate), "FAIL")

    def confirm_ok(self):
        """The 10 s run's verdict, or None when it did not run."""
        m = self.meta
        if m["confirm_seconds"] == "0" or m["confirm_rate"] not in self.steps("confirm"):
            return None
        return self.verdict_of("confirm", "shmtrace-text", m["confirm_rate"])

    def words(self, key):
        return self.meta[key].split()

    def duration(self):
        return "%.0f" % (number(self.meta["t_end"]) - number(self.meta["t_start"]))


# --- RESULTS.md: one function a section, each a list of lines ----------------

def table_row(cells):
    """A table row; None is a column left blank ("| |")."""
    return "|" + "".join(" |" if c is None else " %s |" % c for c in cells)


def unavailable(run, v, columns):
    """The row of a tracer that did not run: why, and blank columns."""
    return table_row([run.label(v), run.avail(v)] + [None] * (columns - 2))


def header(run):
    m = run.meta
    # The median and max of others' CPU over every run, as recorded (the
    # old `sort -n` order: by value, then by text).
    cpu = sorted((x for _, _, _, k, x in run.records if k == "other_cpu_pct"),
                 key=lambda x: (number(x), x))
    load = ("median %s%%, max %s%% of one CPU" % (cpu[(len(cpu) + 1) // 2 - 1], cpu[-1])
            if cpu else "-")
    warning = "" if m["busy_progs"] == "0" else f"""

**Warning: {m["busy_progs"]} of {m["total_runs"]} runs started while someone else's tracing
BPF programs were loaded; programs on the syscall tracepoints tax the
untraced runs too, so these numbers are not a clean comparison.**"""
    perf = run.avail("perf")
    return [f"""# shmtrace benchmark

Generated by `bench/run` (`make bench`); the numbers of the last run.{warning}
All comparisons are from this one run: the variants of each table take
turns, in alternating order, for {m["rounds"]} rounds; cells show the median and,
in parentheses, the spread (min-max) over the rounds.

| | |
|---|---|
| date | {m["date"]} |
| CPUs (nproc) | {m["nproc"]} |
| CPU | {m["cpu"]} |
| kernel | {m["kernel"]} |
| shmtrace | commit {m["commit"]}, {m["shmtrace_version"]}, attach mode {run.mode("shmtrace") or "?"} |
| bpftrace | {m["bpftrace_version"]} |
| perf | {m["perf_version"]} ({"works" if perf == "yes" else perf}) |
| strace | {m["strace_version"]} |
| settings | {m["rounds"]} rounds, {m["run_seconds"]} s per run, rate steps of {m["rate_seconds"]} s{", --quick" if m["quick"] == "1" else ""} |
| run time | {run.duration()} s |
| shmtrace binary | sha256 {m["sha256_prefix"]}... (copied at the start of the run) |
| machine load | loadavg {m["loadavg_start"]} at start, {m["loadavg_end"]} at end; CPU used by other processes during the runs: {load} |
| quiet machine? | runs started on a busy machine (other processes using 30% of a CPU or more, or someone else's tracing BPF programs loaded): {m["busy_runs"]} of {m["total_runs"]}, {m["busy_progs"]} of them with BPF programs, after waiting {int(m["quiet_waited_ms"]) // 1000} s in all for quiet |
| bpf_stats | kernel.bpf_stats_enabled={m["bpf_stats_was"]} at the start{" (enabled by someone else: every BPF program run also pays for its clock reads)" if m["bpf_stats_was"] == "1" else ""} |"""]


def overhead(run):
    out = [f"""
## Overhead: shmget lookup of an existing key, tight loop, 1 thread

Each run: {run.meta["run_seconds"]} s of `loadgen lookup`. "x untraced": the ratio to the
untraced run of the same round. Calls are summed over the rounds
(including loadgen's 1-2 setup calls per run); "not seen" is calls
without an event in the output, "lost" what the tracer itself reported.
"others' CPU": CPU time used meanwhile by everything but loadgen and
the tracer, in % of one CPU (on a shared machine: how disturbed the run was).

| tracer | ns/call | x untraced | calls | events seen | reported lost | not seen | others' CPU % |
|---|---|---|---|---|---|---|---|"""]
    for v in OVERHEAD_ROWS:
        out.append(overhead_row(run, v) if run.avail(v) == "yes" else unavailable(run, v, 8))
    foreign = 0.0
    for s, _, _, k, x in run.records:
        if s == "overhead" and k == "foreign_events":
            foreign += number(x)
    if foreign != 0:
        out.append(f"""
Other processes' shmget calls seen by the system-wide tracers that write a
file, over all rounds: {awk_str(foreign)} (they also count in "reported lost").""")
    return out


def overhead_row(run, v):
    def total(metric):
        return num(run.get("overhead", v, metric, "sum"), 0)

    row = [run.label(v), run.spread("overhead", v, "ns_per_call", 1)]
    if v in ("untraced", "bpftrace-empty"):	# no events to count
        row += ["1" if v == "untraced" else run.spread("overhead", v, "ratio", 2),
                total("calls"), None, None, None]
    else:
        missing = run.value("overhead", v, "missing", "sum") or 0
        calls = run.value("overhead", v, "expected", "sum") or 0
        share = "%.1f%%" % (100 * missing / calls) if calls > 0 else "-"
        row += [run.spread("overhead", v, "ratio", 2), total("expected"), total("events"),
                total("lost"), "%s (%s)" % (total("missing"), share)]
    return table_row(row + [run.spread("overhead", v, "other_cpu_pct", 0)])


def startup(run):
    out = [f"""
## Startup, memory, CPU

Same runs as above. "banner": exec to the `Tracing shmget` line;
"first event": exec to the first traced call of a generator making one
stamped call per {1000000 // int(run.meta["stamp_rate"])} us (its key encodes the time; strace: exec
of `strace loadgen` to the child's first call); "stop": SIGINT to exit.
Memory and CPU are the tracer's own, read just before it is stopped:
peak (VmHWM) and current (VmRSS) RSS; CPU to get ready, and CPU per
event while tracing (user+system, 10 ms ticks).

| tracer | banner ms | first event ms | stop ms | peak RSS MB | RSS at end MB | CPU to start ms | CPU us/event |
|---|---|---|---|---|---|---|---|"""]
    for v in TRACERS:
        if run.avail(v) != "yes":
            out.append(unavailable(run, v, 8))
            continue
        sp = run.spread
        out.append(table_row([run.label(v), sp("overhead", v, "banner_ms", 1),
                              sp("overhead", v, "first_event_ms", 1),
                              sp("overhead", v, "stop_ms", 0),
                              sp("overhead", v, "peak_rss_kb", 1, 1024),
                              sp("overhead", v, "end_rss_kb", 1, 1024),
                              sp("overhead", v, "cpu_startup_s", 0, 0.001),
                              sp("overhead", v, "cpu_us_per_event", 2)]))
    return out


def btf_cache(run):
    out = ["""
## Startup with and without the BTF cache

Taking turns in the same rounds, text to a file, the load as above. A
first start finds no entry in its (empty) `--cache-dir`: it reads the
kernel BTF for its identity and libbpf parses it for CO-RE; after the
banner it writes the entry in the background. A later start finds the
entry and gives libbpf a few kilobytes to parse instead.

| tracer | banner ms | first event ms | peak RSS MB | CPU to start ms |
|---|---|---|---|---|"""]
    for v in run.words("startup_variants"):
        sp = run.spread
        out.append(table_row([run.label(v), sp("startup", v, "banner_ms", 1),
                              sp("startup", v, "first_event_ms", 1),
                              sp("startup", v, "peak_rss_kb", 1, 1024),
                              sp("startup", v, "cpu_startup_s", 0, 0.001)]))
    if run.avail("perf") == "yes":	# issue 14's targets are against perf trace
        out += ["", issue14(run)]
    return out


def issue14(run):
    def ms(v, metric):
        return num(run.get("startup", v, metric), 1)

    warm = run.value("startup", "shmtrace-warm", "banner_ms")
    perf = run.value("startup", "perf", "first_event_ms")
    rss = run.value("startup", "shmtrace-warm", "peak_rss_kb")
    quarter = ("%s, %.2f" % (verdict(warm, perf / 4), warm / perf)
               if warm is not None and perf is not None and perf > 0 else "-")
    baseline = ("; cold banner %s ms against the baseline's %s ms" % (
        ms("shmtrace-cold", "banner_ms"), ms("shmtrace-baseline", "banner_ms"))
        if run.meta["baseline"] == "1" else "")
    return ("Issue 14's targets: warm banner %s ms against perf trace's first event %s ms "
            "(at most 1/4: %s); warm peak RSS %s MB (at most 8: %s)%s." % (
                ms("shmtrace-warm", "banner_ms"), ms("perf", "first_event_ms"), quarter,
                num(run.get("startup", "shmtrace-warm", "peak_rss_kb"), 1, 1024),
                verdict(None if rss is None else rss / 1024, 8), baseline))


def rate_search(run):
    m = run.meta
    rates = run.words("rates")
    out = [f"""
## Highest sustained rate with zero loss

`loadgen lookup -r RATE` paced in batches every 100 us, {m["rate_seconds"]} s per step, the
rates tried in increasing order until one fails; output to a file. A step
passes when the tracer reports no loss, every call is in the output and the
generator kept up with the rate (97%). A step that failed while other
processes used 30% of a CPU or more, or made shmget calls of their own
(which a system-wide tracer reports and may lose too), was run once more:
{m["rate_retries"]} time(s) in this run.

| tracer | highest zero-loss rate | steps: achieved rate, events/calls, lost |
|---|---|---|"""]
    for v in RATE_ROWS:
        if run.avail(v) != "yes":
            out.append(unavailable(run, v, 3))
            continue
        done = run.steps("rate", v)
        steps = ["%s %s (%s)" % (rate_name(r), run.verdict_of("rate", v, r),
                                 step_cell(done[r], True))
                 for r in rates if r in done]
        cap = run.max_rate(v)
        cap = "below " + rate_name(rates[0] if rates else "") if cap == "0" else rate_name(cap)
        out.append(table_row([run.label(v), cap, "; ".join(steps)]))
    ok = run.confirm_ok()
    if ok is not None:
        out.append(table_row(["shmtrace, text to a file, %s s" % m["confirm_seconds"],
                              "%s %s" % (rate_name(m["confirm_rate"]), ok),
                              step_cell(run.steps("confirm")[m["confirm_rate"]], False)]))
    return out


def step_cell(m, with_cpu):
    """A rate step: "achieved rate, events/calls, lost N" and what disturbed it."""
    cell = "%s, %s/%s, lost %s" % (rate_name(m.get("achieved_rate")), m.get("events", ""),
                                  m.get("expected", ""), m.get("lost", ""))
    others = awk_str(number(m.get("foreign_events")))
    if others != "0":
        cell += ", others' events " + others
    # Others' CPU is shown from 30%, when it is a whole number (as recorded:
    # "%.0f"; the old shell test took nothing else).
    cpu = number(m.get("other_cpu_pct"))
    if with_cpu and math.isfinite(cpu) and cpu == int(cpu) and cpu >= 30:
        cell += ", others' CPU %s%%" % awk_str(cpu)
    return cell


def tax_rows(run, section):
    """A table row per variant of an unrelated workload: ns, added, ratio, others' CPU."""
    sp, rows = run.spread, []
    for v in run.words(section + "_variants"):
        row = [run.label(v), sp(section, v, "ns_per_call", 1)]
        row += [None, "1"] if v == "untraced" else [sp(section, v, "added_ns", 1),
                                                   sp(section, v, "ratio", 2)]
        rows.append(table_row(row + [sp(section, v, "other_cpu_pct", 0)]))
    return rows


def getppid(run):
    out = [f"""
## Cost to an unrelated system call (getppid)

`loadgen getppid`, {run.meta["run_seconds"]} s per run, while each tracer traces shmget
system-wide. Enabling any syscall tracepoint sends every system call of
every task through the kernel's syscall-tracing slow path.

| tracer | ns/call | added ns | x untraced | others' CPU % |
|---|---|---|---|---|"""]
    out += tax_rows(run, "getppid")
    for a in ["fentry", "kprobe"]:
        if not run.mode("shmtrace-attach-" + a):
            out.append(table_row(["shmtrace --attach=" + a, "not available on this kernel",
                                  None, None, None]))
    return out


def fork_tax(run):
    if not run.meta.get("fork_variants"):
        return []
    out = [f"""
## Cost to a fork-heavy program that attaches nothing

`loadgen fork`: fork() of a child that exits at once, and its waitpid(),
{run.meta["run_seconds"]} s per run, while shmtrace traces system-wide. With -e all its
process-event programs run on every fork, exec and exit, and stop at a
hash lookup for processes that hold no mapping.

| tracer | ns/fork | added ns | x untraced | others' CPU % |
|---|---|---|---|---|"""]
    return out + tax_rows(run, "fork")


def workloads(run):
    out = ["""
## Other workloads: shmtrace, text to /dev/null

| workload | untraced ns/call | shmtrace ns/call | x untraced | calls | events | lost |
|---|---|---|---|---|---|---|"""]
    for wl in run.words("workloads"):
        s = "wl-" + wl
        out.append(table_row([WORKLOAD[wl], run.spread(s, "untraced", "ns_per_call", 1),
                              run.spread(s, "shmtrace-null", "ns_per_call", 1),
                              run.spread(s, "shmtrace-null", "ratio", 2)] +
                             [num(run.get(s, "shmtrace-null", k, "sum"), 0)
                              for k in ["expected", "events", "lost"]]))
    return out


def bpf_stats(run):
    # (the old test: a line of raw.tsv that starts with "bpfstats")
    if not any(s.startswith("bpfstats") for s, *_ in run.records):
        return []
    out = [f"""
## Kernel side: BPF program run time

One {run.meta["run_seconds"]} s lookup run per tracer with `kernel.bpf_stats_enabled=1`
(which itself adds two clock reads per program run): run_time_ns / run_cnt
of each program the tracer loaded. The ns/call column is the loop's cost
under those conditions.

| tracer | program | ns per run | runs | lookup ns/call |
|---|---|---|---|---|"""]
    progs, ns, runs, call = [], {}, {}, {}	# metrics prog_NAME_ns, prog_NAME_runs
    for s, v, _, k, x in run.records:
        if s != "bpfstats":
            continue
        if re.fullmatch(r"prog_.*_ns", k):
            ns[v, k[5:-3]] = x
            progs.append((v, k[5:-3]))
        elif re.fullmatch(r"prog_.*_runs", k):
            runs[v, k[5:-5]] = x
        elif k == "ns_per_call":
            call[v] = x
    for v, p in progs:
        out.append(table_row([v, p, ns[v, p], runs.get((v, p), ""), call.get(v, "")]))
    return out


def profile(run):
    """The perf record section: the loop's parts, shmtrace's top symbols."""
    if "profile_ns" not in run.meta:
        return []
    ns_per_call = run.meta["profile_ns"]
    # loop.txt: "children% self% symbol" a line; tracer.txt: "self% dso symbol..."
    loop = [awk_fields(line, 3) for line in read_lines(run.work / "loop.txt")]
    out = [f"""
## Where the time goes: perf record

`perf record -e cpu-clock -g` of 1 s of the lookup loop while shmtrace
writes text to a file ({ns_per_call} ns/call under the profiler), and of the
shmtrace process meanwhile. Loop: share of the loop's samples in each part
of the call (callees included), and the ns/call that share stands for.

| part of a traced shmget | functions | % of samples | ~ns/call |
|---|---|---|---|"""]
    for what, syms in PROFILE_PARTS:
        if syms is None:
            syms = "".join(f[2] + " " for f in loop if f[2].startswith("bpf_prog_"))
        # A symbol counts when " sym " is in " syms " (so, as before, a
        # line without one counts when syms ends in a blank).
        share = 0.0
        for f in loop:
            if " " + f[2] + " " in " " + syms + " ":
                share += number(f[0])
        pct = "%.1f" % share
        shown = sorted({re.sub(r"^bpf_prog_[0-9a-f]*_", "bpf_prog_*_", x) for x in syms.split()})
        out.append(table_row([what, ", ".join(shown), pct,
                              "%.0f" % (number(pct) * number(ns_per_call) / 100)]))
    out.append("""
shmtrace's own process, top symbols (self time):

| % of samples | where | function |
|---|---|---|""")
    for line in read_lines(run.work / "tracer.txt")[:12]:
        f = awk_fields(line, 3)
        out.append(table_row([f[0], f[1], " ".join(x for x in f[2:] if x)]))
    return out


def targets(run):
    out = ["""
## Targets of issue 6

| target | measured | |
|---|---|---|"""]
    ratio = num(run.get("overhead", "shmtrace-null", "ratio"), 2)
    out.append(table_row([
        "overhead, text to /dev/null, lookup loop: at most 2x untraced (aim 1.5x)",
        ratio + "x", verdict(None if ratio == "-" else float(ratio), 2)]))
    out.append(loss_target(run))
    out.append(table_row([
        "attached and reporting in under 30 ms from exec",
        "banner %s ms, first event %s ms" % (
            num(run.get("overhead", "shmtrace-null", "banner_ms"), 1),
            num(run.get("overhead", "shmtrace-text", "first_event_ms"), 1)),
        verdict(run.value("overhead", "shmtrace-text", "first_event_ms"), 30)]))
    for what, metric, limit in [("peak RSS no higher than 13.4 MB", "peak_rss_kb", 13.4),
                                ("steady-state RSS under 8 MB", "end_rss_kb", 8)]:
        kb = run.get("overhead", "shmtrace-null", metric)
        mb = num(kb, 3, 1024)		# judged at 3 decimals, shown at 1
        out.append(table_row([what, num(kb, 1, 1024) + " MB",
                              verdict(None if mb == "-" else float(mb), limit)]))
    out.append(getppid_target(run))
    return out


def loss_target(run):
    """Zero loss at 1M/s for 10 s: the 10 s run, or (--quick) the steps."""
    m = run.meta
    target = "zero loss at 1M events/s for 10 s, text to a file"
    if m["confirm_seconds"] != "0":
        ok = run.confirm_ok()
        return table_row([target, "%s for %s s: %s" % (rate_name(m["confirm_rate"]),
                                                       m["confirm_seconds"], ok or "not run"),
                          "met" if ok == "pass" else "not met"])
    best = run.max_rate("shmtrace-text")
    return table_row([target, "highest zero-loss step: %s (--quick: no 10 s run)" % rate_name(best),
                      "met in steps" if number(best) >= 1000000 else "not met"])


def getppid_target(run):
    """No measurable cost: the default mode's added ns within the untraced spread."""
    added = run.value("getppid", "shmtrace", "added_ns")
    base = run.value("getppid", "untraced", "ns_per_call")
    lo = run.value("getppid", "untraced", "ns_per_call", "min")
    hi = run.value("getppid", "untraced", "ns_per_call", "max")
    cost = ("%+.1f ns (%+.1f%%)" % (added, 100 * added / base)
            if added is not None and base else "-")
    return table_row(["no measurable cost to unrelated syscalls, default mode",
                      "getppid %s, against an untraced spread of %s ns" % (
                          cost, "-" if lo is None else "%.1f" % (hi - lo)),
                      "-" if lo is None else verdict(added, hi - lo)])


def wrap_label(run, v):
    if v == "untraced":
        return "`/bin/true`"
    if v == "strace":
        return "`strace -f -o /dev/null -- /bin/true`"
    if v == "perf":
        return "`perf trace -e shmget,shmat,shmdt,shmctl -o /dev/null -- /bin/true`"
    mode = v[len("wrap-"):]
    events = ""
    if mode.endswith("-all"):
        mode, events = mode[:-len("-all")], " -e all"
    return "`shmtrace -q --attach=%s%s -o /dev/null -- /bin/true`" % (mode, events)


def exec_to_exit(run):
    out = [f"""
## Exec to exit: wrapping a command

Wall time from exec to exit of `/bin/true`, bare and under each tracer,
{run.meta["wrap_rounds"]} rounds, every variant once a round, back to back, through bash
(its fork and exec are in every row). shmtrace: each attach mode this
kernel has. A shmtrace that exits leaves the detaching to a child (each
tracepoint's perf event waits for RCU grace periods as it goes, 15-45 ms
each here, under the kernel's event_mutex); a tracer started while that
child is still at work waits for the same mutex to attach, so a row that
follows `-e all` pays part of its teardown.

| command | wall ms | added ms | exit status |
|---|---|---|---|"""]
    base = run.value("exec", "untraced", "wall_ms")
    for v in run.words("wrap_variants"):
        med = run.value("exec", v, "wall_ms")
        added = None if v == "untraced" or med is None or base is None else "%.1f" % (med - base)
        out.append(table_row([wrap_label(run, v), run.spread("exec", v, "wall_ms", 1), added,
                              run.get("exec", v, "status", "max")]))
    for a in ["fentry", "kprobe", "tracepoint"]:
        if not run.mode("shmtrace-attach-" + a):
            out.append(table_row(["shmtrace --attach=" + a, "not available on this kernel",
                                  None, None]))
    for t in ["strace", "perf"]:
        if run.avail(t) != "yes":
            out.append(table_row([t, run.avail(t), None, None]))
    return out


SECTIONS = [header, overhead, startup, btf_cache, rate_search, getppid, fork_tax, workloads,
            bpf_stats, profile, exec_to_exit, targets]


def markdown(run):
    return "\n".join(line for section in SECTIONS for line in section(run)) + "\n"


# --- results.json ------------------------------------------------------------
# Written one member a line down to the tables' rows, each row on one line,
# and every number as it was recorded (or summarised: "%.6g"), so that runs
# compare line by line.

class Lit(str):
    """A JSON number, written as it is."""


class Block(dict):
    """An object written one member a line."""


class Rows(list):
    """An array written one element a line."""


def lit(text):
    """A recorded value: a JSON number as written, else a string."""
    return Lit(text) if JSON_NUMBER.fullmatch(text) else text


def measured(text):
    """A measurement that may be missing (null)."""
    return lit(text) if text else None


def summarised(text):
    """A summary or formatted number: null when there is none (or it is inf, nan)."""
    return Lit(text) if text and JSON_NUMBER.fullmatch(text) else None


def render(x, indent=""):
    inner = indent + "  "
    if isinstance(x, Lit):
        return str(x)
    if isinstance(x, Block):
        return ("{" + ",".join("\n" + inner + render(k) + ": " + render(v, inner)
                               for k, v in x.items()) + "\n" + indent + "}")
    if isinstance(x, Rows):
        return "[" + ",".join("\n" + inner + render(v, inner) for v in x) + "\n" + indent + "]"
    if isinstance(x, dict):
        return "{" + ", ".join(render(k) + ": " + render(v) for k, v in x.items()) + "}"
    if isinstance(x, list):
        return "[" + ",".join(render(v) for v in x) + "]"
    if isinstance(x, str):
        # JSON is UTF-8: bytes that were not (surrogateescape) become U+FFFD.
        x = x.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return json.dumps(x, ensure_ascii=False)


def machine(run):
    m = run.meta
    return Block(
        date=m["date"], nproc=lit(m["nproc"]), cpu=m["cpu"], kernel=m["kernel"],
        shmtrace_commit=m["commit"], shmtrace_version=m["shmtrace_version"],
        bpftrace=m["bpftrace_version"], perf=m["perf_version"],
        strace=m["strace_version"], loadavg_start=m["loadavg_start"],
        loadavg_end=m["loadavg_end"], shmtrace_sha256_prefix=m["sha256_prefix"],
        bpf_stats_enabled_at_start=lit(m["bpf_stats_was"]),
        runs_on_busy_machine=lit(m["busy_runs"]),
        runs_with_foreign_tracing_progs=lit(m["busy_progs"]),
        runs=lit(m["total_runs"]),
        waited_for_quiet_s=Lit(int(m["quiet_waited_ms"]) // 1000))


def settings(run):
    m = run.meta
    return {"rounds": lit(m["rounds"]), "run_seconds": lit(m["run_seconds"]),
            "rate_seconds": lit(m["rate_seconds"]),
            "rates": [lit(r) for r in run.words("rates")],
            "confirm_rate": lit(m["confirm_rate"]),
            "confirm_seconds": lit(m["confirm_seconds"]), "quick": m["quick"] == "1",
            "duration_s": summarised(run.duration())}


def summary(run):
    """Per section, variant and metric: median, min, max, sum, n; the rate
    search has its own member (rate_steps)."""
    out = Block()
    for (s, v, k), a in sorted(run.agg.items(), key=lambda e: e[0][:2]):
        if s in ("rate", "confirm"):
            continue
        cell = {w: summarised(a[w]) for w in ("median", "min", "max", "sum")}
        out.setdefault(s, Block()).setdefault(v, Block())[k] = {**cell, "n": Lit(a["n"])}
    return out


# A rate step's JSON members, and the metric each is.
STEP_MEMBERS = [("achieved_rate", "achieved_rate"), ("calls", "expected"), ("events", "events"),
                ("lost", "lost"), ("others_events", "foreign_events"),
                ("others_cpu_pct", "other_cpu_pct")]


def rate_steps(run):
    """The rate search, step by step (the 10 s run as variant "confirm")."""
    out = Block()
    for v in run.words("rate_variants") + ["confirm"]:
        done = run.steps("confirm") if v == "confirm" else run.steps("rate", v)
        out[v] = Rows(dict(rate=lit(r), **{name: measured(d.get(metric))
                                            for name, metric in STEP_MEMBERS})
                      for r, d in done.items())
    return out


def results(run):
    doc = Block(
        machine=machine(run),
        settings=settings(run),
        available={t: run.avail(t) for t in ["bpftrace", "perf", "strace"]},
        attach_modes={v: run.mode(v) or None for v in ATTACH_MODES},
        ratios_to_untraced={v: summarised(run.get("overhead", v, "ratio"))
                            for v in OVERHEAD_ROWS[1:] if run.get("overhead", v, "ratio")},
        getppid_added_ns={v: summarised(run.get("getppid", v, "added_ns"))
                          for v in run.words("getppid_variants") if v != "untraced"},
        fork_added_ns={v: summarised(run.get("fork", v, "added_ns"))
                       for v in run.words("fork_variants") if v != "untraced"},
        max_lossless_rate={v: lit(run.max_rate(v)) for v in run.words("rate_variants")},
        confirm=run.confirm_ok(),
        summary=summary(run),
        rate_steps=rate_steps(run),
        rate_retries=lit(run.meta["rate_retries"]),
        # Every run, for scripts that want their own statistics.
        runs=Rows({"section": s, "variant": v, "round": lit(r), "metric": k, "value": lit(x)}
                  for s, v, r, k, x in run.records))
    text = render(doc) + "\n"
    json.loads(text)		# valid JSON, whatever was recorded
    return text


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench/report.py WORKDIR (bench/run's work directory)")
    run = Run(sys.argv[1])
    # RESULTS.md keeps names as they came; results.json is UTF-8 (render).
    (run.work / "RESULTS.md").write_text(markdown(run), encoding="utf-8",
                                         errors="surrogateescape")
    (run.work / "results.json").write_text(results(run), encoding="utf-8")


if __name__ == "__main__":
    main()
