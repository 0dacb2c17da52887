#!/usr/bin/python3
"""bench/run.py - make bench: pfqmon against the programs that read the
same queue, side by side, on synthetic spools of 10k, 100k and 1M messages.

For each size (BENCH_SIZES=10000,100000 to choose), with the page cache
hot, several rounds in which every program runs once in turn:

  pfqmon                 a full scan, default options (both cores)
  pfqmon --threads 1     the same on one core
  qshape -s              Postfix's Perl report, all five queues
  postqueue -j           Postfix stopped: root reads the queue itself
  stat walk              what Telegraf's inputs.postfix does (bench/statwalk)
  floor                  open, read 4 KiB, close every file (bench/floor)

It reports the median wall time, the range, the peak RSS and each
program's time relative to pfqmon, then memory per distinct key and the
cost of an unchanged rescan in execd mode, and writes bench/results.md.
Spools are generated once (bench/gen) into bench/cache and reused. Needs
root (postqueue reads another instance's queue only as root).
"""

import datetime
import os
import platform
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import harness  # noqa: E402
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
from fixtures import AS_ROOT  # noqa: E402

PFQMON = os.path.join(TOP, "agent", "pfqmon")
GEN = os.path.join(TOP, "build", "bench", "gen")
FLOOR = os.path.join(TOP, "build", "bench", "floor")
STATWALK = os.path.join(TOP, "build", "bench", "statwalk")
CACHE = os.path.join(HERE, "cache")
QUEUES = ["maildrop", "incoming", "active", "deferred", "hold"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def spool_for(n, senders):
    """A generated spool, cached; owned by postfix like a real one."""
    base = os.path.join(CACHE, "n%d-s%d" % (n, senders))
    spool = os.path.join(base, "spool")
    if not os.path.exists(os.path.join(base, "complete")):
        shutil.rmtree(base, ignore_errors=True)
        os.makedirs(base)
        log("generating %d messages, %d senders ..." % (n, senders))
        subprocess.run([GEN, "--senders", str(senders), str(n), spool], check=True)
        subprocess.run(["chown", "-R", "postfix:postfix", spool], check=True)
        open(os.path.join(base, "complete"), "w").close()
    return spool


def measure(cmd):
    """(wall seconds, peak RSS in KiB) of one run, output discarded. The
    RSS comes from GNU time, a small C parent: Linux keeps the peak RSS of
    the process image before execve, so wait4() on a child forked from
    Python would report Python's own size for a small program."""
    with tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            raise RuntimeError("%s failed" % cmd[0])
        return wall, int(rss.read().split()[-1])


def tools(spool, conf):
    return [
        ("pfqmon", [PFQMON, *AS_ROOT, "--queue-dir", spool]),
        ("pfqmon --threads 1", [PFQMON, *AS_ROOT, "--queue-dir", spool, "--threads", "1"]),
        ("qshape -s", ["/usr/sbin/qshape", "-s"] + [os.path.join(spool, q) for q in QUEUES]),
        ("postqueue -j", ["/usr/sbin/postqueue", "-c", conf, "-j"]),
        ("stat walk (Telegraf)", [STATWALK, spool]),
        ("floor (open, read 4K, close)", [FLOOR, spool]),
    ]


def bench_size(n, rounds):
    spool = spool_for(n, max(1, n // 10))
    pf = harness.Postfix(root=CACHE)
    try:
        pf.setup()
        pf.postconf("queue_directory = " + spool)
        ts = tools(spool, pf.conf)
        out = subprocess.run([PFQMON, *AS_ROOT, "--queue-dir", spool], capture_output=True).stdout
        total = re.search(rb"^postfix_queue_total length=(\d+)i", out, re.M)
        if not total or int(total.group(1)) != n:
            raise RuntimeError("pfqmon does not count %d messages" % n)
        log("%d messages: warm-up" % n)
        for _, cmd in ts:
            measure(cmd)
        times = {name: [] for name, _ in ts}
        rss = {name: 0 for name, _ in ts}
        for r in range(rounds):
            log("%d messages: round %d of %d" % (n, r + 1, rounds))
            for name, cmd in ts:
                w, m = measure(cmd)
                times[name].append(w)
                rss[name] = max(rss[name], m)
        return {"n": n, "times": times, "rss": rss, "output_bytes": len(out)}
    finally:
        pf.close()


def table(res):
    base = statistics.median(res["times"]["pfqmon"])
    lines = ["| program | median s | min–max s | peak RSS MiB | time ÷ pfqmon |",
             "|---|---:|---:|---:|---:|"]
    for name, ts in res["times"].items():
        med = statistics.median(ts)
        lines.append("| %s | %.3f | %.3f–%.3f | %.1f | %.2f |" % (
            name, med, min(ts), max(ts), res["rss"][name] / 1024.0, med / base))
    return "\n".join(lines)


def keys_and_rss(spool):
    """Distinct keys (all of them, --top 0) and the peak RSS in KiB of a
    default scan. The RSS is taken with the default --top: with --top 0 the
    report itself (about 150 bytes a line, built whole before it is
    written) grows with the keys, which measures the output the user asked
    for, not what pfqmon keeps per key. That figure is reported too."""
    out = subprocess.run([PFQMON, *AS_ROOT, "--queue-dir", spool, "--top", "0"],
                         capture_output=True).stdout
    keys = sum(1 for l in out.splitlines() if re.match(
        rb"postfix_queue_(sender|sasl|client|sender_domain|recipient_domain),", l))
    rss = min(measure([PFQMON, *AS_ROOT, "--queue-dir", spool])[1] for _ in range(3))
    rss_all = min(measure([PFQMON, *AS_ROOT, "--queue-dir", spool, "--top", "0"])[1] for _ in range(3))
    return keys, rss, rss_all


def memory_per_key():
    """Peak RSS of two 100k spools that differ only in distinct senders."""
    few, many = spool_for(100000, 1000), spool_for(100000, 100000)
    k1, r1, a1 = keys_and_rss(few)
    k2, r2, a2 = keys_and_rss(many)
    return {"keys_few": k1, "rss_few": r1, "keys_many": k2, "rss_many": r2,
            "per_key": (r2 - r1) * 1024.0 / max(1, k2 - k1),
            "per_key_top0": (a2 - a1) * 1024.0 / max(1, k2 - k1)}


def rescan(n):
    """Seconds of the first scan and of unchanged rescans, execd mode."""
    spool = spool_for(n, max(1, n // 10))
    # The first scan of the test is a hot-cache full scan, like every
    # other number here: the spool may have left the page cache while the
    # larger spools were read.
    for _ in range(2):
        measure([PFQMON, *AS_ROOT, "--queue-dir", spool])
    p = subprocess.Popen([PFQMON, "--execd", *AS_ROOT, "--queue-dir", spool],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    durations = []
    try:
        for _ in range(4):
            p.stdin.write(b"\n")
            p.stdin.flush()
            data = b""
            while b"\npostfix_queue_scan" not in data:
                select.select([p.stdout], [], [], 120)
                chunk = os.read(p.stdout.fileno(), 1 << 20)
                if not chunk:
                    raise RuntimeError("pfqmon --execd ended")
                data += chunk
            while not data.endswith(b"\n"):
                data += os.read(p.stdout.fileno(), 1 << 20)
            m = re.search(rb"duration_us=(\d+)i", data)
            durations.append(int(m.group(1)) / 1e6)
    finally:
        p.stdin.close()
        p.wait(30)
    return durations


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    fs = subprocess.run(["stat", "-f", "-c", "%T", CACHE], capture_output=True,
                        text=True).stdout.strip()
    return "%d cores (%s), Linux %s, spool on %s" % (os.cpu_count(), cpu,
                                                    platform.release(), fs)


def targets(results, mem, rs):
    """The issue's targets, each with what was measured."""
    by = {r["n"]: r for r in results}
    lines = []

    def med(n, name):
        return statistics.median(by[n]["times"][name])

    def check(ok, text):
        lines.append("- %s %s" % ("met:" if ok else "**not met**:", text))
    if 100000 in by:
        pf = med(100000, "pfqmon")
        q, pq = med(100000, "qshape -s") / pf, med(100000, "postqueue -j") / pf
        one = med(100000, "pfqmon --threads 1") / med(100000, "floor (open, read 4K, close)")
        check(q >= 8, "100k: at least 8x faster than qshape -s (%.1fx)" % q)
        check(pq >= 10, "100k: at least 10x faster than postqueue -j (%.1fx)" % pq)
        full = pf / med(100000, "floor (open, read 4K, close)")
        check(full <= 1.3, "100k: the full scan within 1.3x of the single-threaded floor "
              "(%.2fx)" % full)
        check(one <= 1.3, "100k: the stricter reading, pfqmon --threads 1 within 1.3x "
              "of the single-threaded floor (%.2fx)" % one)
    for n in (100000, 1000000):
        if n in by:
            sp = med(n, "floor (open, read 4K, close)") / med(n, "pfqmon")
            check(sp >= 1.6, "%dk: both cores beat the single-threaded floor by at least "
                  "1.6x (%.2fx)" % (n // 1000, sp))
    if 1000000 in by:
        r = by[1000000]["rss"]["pfqmon"] / 1024.0
        check(r < 64, "1M messages, 100k senders: peak RSS under 64 MiB (%.1f MiB)" % r)
        check(by[1000000]["output_bytes"] <= 2 * by[min(by)]["output_bytes"],
              "output bounded by --top (%d bytes at 1M, %d at %dk)" % (
                  by[1000000]["output_bytes"], by[min(by)]["output_bytes"], min(by) // 1000))
    if mem:
        check(mem["per_key"] <= 128, "memory per distinct key at most 128 bytes "
              "(%.0f bytes: %d -> %d keys, %.1f -> %.1f MiB)" % (
                  mem["per_key"], mem["keys_few"], mem["keys_many"],
                  mem["rss_few"] / 1024.0, mem["rss_many"] / 1024.0))
        lines.append("- (with --top 0 the whole report is kept until written: "
                     "%.0f bytes per key, the output included)" % mem["per_key_top0"])
    if rs:
        ratio = statistics.median(rs[1:]) / rs[0]
        check(ratio <= 1 / 3, "unchanged 100k rescan at most a third of the first scan "
              "(%.3f s then %s s: %.2f)" % (rs[0], ", ".join("%.3f" % d for d in rs[1:]),
                                          ratio))
    return lines


def main():
    if os.geteuid() != 0:
        log("make bench needs root: postqueue reads another instance's queue only as root")
        return 1
    os.makedirs(CACHE, exist_ok=True)
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000,1000000").split(",")]
    results = []
    for n in sizes:
        results.append(bench_size(n, 5 if n <= 100000 else 3))
        print("\n### %d messages\n\n%s\n" % (n, table(results[-1])), flush=True)
    mem = memory_per_key() if 100000 in sizes else None
    rs = rescan(100000) if 100000 in sizes else None
    goals = targets(results, mem, rs)
    print("\n".join(goals))
    with open(os.path.join(HERE, "results.md"), "w") as f:
        f.write("# pfqmon benchmark\n\n")
        f.write("Measured by `make bench` (bench/run.py) on %s, %s. Hot page cache; "
                "each program ran once per round, in turn; medians of %s rounds.\n"
                "Spools from bench/gen: 84%% deferred, a compromised account, a relay "
                "and a skewed crowd of N/10 senders.\n\n" % (
                    datetime.date.today().isoformat(), machine(),
                    "/".join(str(5 if r["n"] <= 100000 else 3) for r in results)))
        for r in results:
            f.write("## %d messages\n\n%s\n\n" % (r["n"], table(r)))
        f.write("## Targets\n\n%s\n\nWhy the targets not met are not met: "
                "README.md, section Speed.\n" % "\n".join(goals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
