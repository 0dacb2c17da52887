"""bench/steady.py - the agent in steady state, for make bench (run.py):
pfqmon --interval on a generated spool that bench/churn.py changes by a
fixed number of files between ticks, with the CPU, the latency and the
memory of every interval.

One run starts `pfqmon --interval` (watched by default, or --no-watch for
the stat-based rescan), waits for its first (full) scan, then, half-way
between every two ticks, makes CHANGES file changes (churn.py) and reads
the next report. Per interval it records:

  cpu     the CPU time (user + system, every thread of the process, the
          inotify thread and the scan's helpers included) spent between
          two reports, from a cgroup of the run's own (cpuacct.usage in
          nanoseconds; cgroup v2's cpu.stat when v1 is not there); the
          only fallback, /proc/PID/stat, counts in clock ticks of 10 ms
  latency the time from the tick (the report's timestamp, a multiple of
          the interval on the wall clock) to the report's last line read
  the scan line's full, events, cached and duration_us

and after the first scan the process's VmRSS and VmHWM (/proc/PID/status).
"""

import os
import re
import select
import subprocess
import time

from churn import Churn

SCAN = re.compile(rb"^postfix_queue_scan,[^ ]* (\S+) (\d+)$", re.M)


class CpuMeter:
    """The CPU time of a process and every thread it ever had, in seconds."""

    def __init__(self, tag):
        self.kind, self.path, self.pid = None, None, None
        for kind, base in (("v1", "/sys/fs/cgroup/cpuacct"), ("v2", "/sys/fs/cgroup/unified"),
                           ("v2", "/sys/fs/cgroup")):
            if kind == "v2" and not os.path.exists(os.path.join(base, "cgroup.procs")):
                continue
            if kind == "v1" and not os.path.exists(os.path.join(base, "cpuacct.usage")):
                continue
            path = os.path.join(base, "pfqmon-bench-%s-%d" % (tag, os.getpid()))
            try:
                os.mkdir(path)
            except OSError:
                continue
            self.kind, self.path = kind, path
            break

    def preexec(self):
        """In the child, before exec: join the cgroup."""
        if self.path:
            with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def what(self):
        return {"v1": "cgroup cpuacct.usage (ns)", "v2": "cgroup cpu.stat usage_usec",
                None: "/proc/PID/stat utime+stime (10 ms ticks)"}[self.kind]

    def read(self):
        if self.kind == "v1":
            with open(os.path.join(self.path, "cpuacct.usage")) as f:
                return int(f.read()) / 1e9
        if self.kind == "v2":
            with open(os.path.join(self.path, "cpu.stat")) as f:
                for line in f:
                    if line.startswith("usage_usec"):
                        return int(line.split()[1]) / 1e6
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self):
        if self.path:
            for _ in range(50):
                try:
                    os.rmdir(self.path)
                    return
                except OSError:
                    time.sleep(0.1)


def status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Reports:
    """Reads an agent's reports one at a time, with the time each ended."""

    def __init__(self, p):
        self.p, self.data = p, b""

    def next(self, timeout):
        end = time.monotonic() + timeout
        while True:
            m = SCAN.search(self.data)
            if m and self.data.endswith(b"\n"):
                self.data = self.data[m.end() + 1:]
                fields = dict(kv.split(b"=", 1) for kv in m.group(1).split(b","))
                return time.time(), {k.decode(): int(v.rstrip(b"i")) for k, v in fields.items()
                                     if v.endswith(b"i")}, int(m.group(2)) / 1e9
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError("no report within %.0f s" % timeout)
            select.select([self.p.stdout], [], [], left)
            chunk = os.read(self.p.stdout.fileno(), 1 << 20)
            if not chunk:
                raise RuntimeError("pfqmon --interval ended")
            self.data += chunk


def run(cmd, spool, watched, interval, ticks, changes, full_rescan=None, log=print):
    """One agent, ticks intervals of churn; returns what was measured."""
    cpu = CpuMeter("w" if watched else "nw")
    args = cmd + ["--interval", "%ds" % interval]
    if not watched:
        args.append("--no-watch")
    elif full_rescan:
        args += ["--full-rescan", "%ds" % full_rescan]
    churn = Churn(spool)
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         preexec_fn=cpu.preexec)
    cpu.pid = p.pid
    res = {"intervals": [], "cpu_what": cpu.what(), "interval": interval,
           "changes": changes, "churn_s": []}
    try:
        rd = Reports(p)
        c0 = cpu.read()
        t, scan, stamp = rd.next(600)
        c1 = cpu.read()
        res["first"] = {"cpu": c1 - c0, "scan": scan}
        res["rss_kib"] = status_kib(p.pid, "VmRSS")
        res["hwm_kib"] = status_kib(p.pid, "VmHWM")
        # One interval of warm-up: files the first scan met within RACY_NS
        # of being written are read again once.
        for i in range(ticks + 1):
            wait = stamp + interval / 2.0 - time.time()
            if wait > 0:
                time.sleep(wait)
            t0 = time.monotonic()
            churn.step(changes)
            res["churn_s"].append(time.monotonic() - t0)
            t, scan, stamp = rd.next(interval * 3 + 600)
            c2 = cpu.read()
            if i > 0:
                res["intervals"].append({"cpu": c2 - c1, "latency": t - stamp, "scan": scan})
                log("  %s interval %d: %.1f ms CPU, report %.3f s after its tick%s" % (
                    "watched" if watched else "--no-watch", i, (c2 - c1) * 1e3, t - stamp,
                    ", full" if scan.get("full") else ""))
            c1 = c2
        res["vm_rss_end_kib"] = status_kib(p.pid, "VmRSS")
    finally:
        p.terminate()
        p.wait(60)
        cpu.close()
    return res
