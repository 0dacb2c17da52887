#!/usr/bin/python3
"""test_longrun.py - 1,000 scans in interval mode over a changing queue:
memory stays flat, every scan stays right.

A pool of real-format queue files (bench/gen, checked by Postfix's own
tools in test_generator.py) feeds a live queue directory of LIVE files.
While pfqmon runs with --interval 100ms (rescan cache on, as in
production), a thread keeps changing the queue: every 10 ms it moves
files out to the pool and others in, and moves deferred files to hold
(a queue change the cache must notice). Senders, SASL users, clients and
domains come and go, so the aggregate's keys churn.

pfqmon's resident set size is sampled from /proc every 25 scans. It must
be flat: after the first 100 scans (the cache and the key tables are
warm) it may not grow by more than RSS_SLACK. Every scan must be valid
line protocol with no error and no unparseable file, and count LIVE
messages give or take the files moved while it ran (a walk over a
changing directory is not a snapshot: a file moved out after it was
counted and another moved in before its directory was read are both
counted; BATCH are moved per 10 ms and a scan takes a few ms, so at most
SLACK either way); and most scans must be served mostly from the cache.

The RSS bound cannot see a small leak (1,000 bytes a scan is 0.9 MiB over
900 scans). So, over the same changing queue, both loop modes then run a
bounded number of scans under AddressSanitizer+UBSan (SAN_SCANS) and
under valgrind (VG_SCANS), and end cleanly (SIGTERM for --interval,
stdin closed for --execd): LeakSanitizer and valgrind check for leaks at
exit, so a block lost in every scan shows as one report, and any memory
error or undefined behaviour fails the run. Runs as root or not; needs
no Postfix.
"""

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, PFQMON_SAN, LPCHECK, GEN  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
from fixtures import AS_ROOT  # noqa: E402

POOL, LIVE, BATCH = 6000, 1500, 8
SLACK = 4 * BATCH
SCANS = 1000
WARM = 100                      # scans before the baseline sample
RSS_SLACK_KB = 1024
QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")
SAN_SCANS, VG_SCANS = 100, 40   # scans per loop mode under ASan+UBSan, valgrind
HANG_SECONDS = 600              # a run still going after this is killed (no bound on speed)
VALGRIND = ["valgrind", "-q", "--vgdb=no", "--error-exitcode=9", "--leak-check=full",
            "--errors-for-leak-kinds=all"]


class Churn:
    """Moves files between the pool and the live queue until stopped."""

    def __init__(self, pool, live, rels):
        self.pool, self.live = pool, live
        self.rng = random.Random(5)
        self.inside = {}                    # rel -> path in live
        self.outside = list(rels)
        self.rng.shuffle(self.outside)
        for _ in range(LIVE):
            self.move_in()
        self.moves = self.requeued = 0
        self.stop = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def move_in(self):
        rel = self.outside.pop(self.rng.randrange(len(self.outside)))
        dst = os.path.join(self.live, rel)
        os.rename(os.path.join(self.pool, rel), dst)
        self.inside[rel] = dst

    def move_out(self):
        rel = self.rng.choice(list(self.inside))
        os.rename(self.inside.pop(rel), os.path.join(self.pool, rel))
        self.outside.append(rel)

    def run(self):
        try:
            while not self.stop.is_set():
                for _ in range(BATCH):
                    self.move_out()
                for _ in range(BATCH):
                    self.move_in()
                self.moves += BATCH
                rel = self.rng.choice(list(self.inside))
                if rel.startswith("deferred/"):
                    dst = os.path.join(self.live, "hold", os.path.basename(rel))
                    os.rename(self.inside[rel], dst)
                    self.inside[rel] = dst
                    self.requeued += 1
                time.sleep(0.01)
        except Exception as e:      # reported by the test
            self.error = e


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def fields(line):
    out = {}
    for kv in line.split(" ")[1].split(","):
        k, v = kv.split("=")
        out[k] = int(v.rstrip("i"))
    return out


class Loop:
    """One pfqmon in a loop mode (interval or execd), scans read as they
    come; killed if it is still running after HANG_SECONDS."""

    def __init__(self, argv, mode, errfile):
        self.mode = mode
        extra = ["--interval", "100ms"] if mode == "interval" else ["--execd"]
        # stderr to a file: a pipe nobody reads during the scans could fill
        self.err = open(errfile, "w+b")
        self.proc = subprocess.Popen(argv + extra, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err)
        self.timer = threading.Timer(HANG_SECONDS, self.proc.kill)
        self.timer.start()

    def scan(self):
        """The next scan's counters, or None when pfqmon stopped."""
        if self.mode == "execd":
            self.proc.stdin.write(b"\n")
            self.proc.stdin.flush()
        for raw in self.proc.stdout:
            if raw.startswith(b"postfix_queue_scan,"):
                return fields(raw.decode("utf-8", "replace").rstrip("\n"))
        return None

    def finish(self):
        """End as Telegraf or systemd would (communicate() closes stdin,
        which ends --execd); (exit status, stderr)."""
        if self.mode == "interval":
            self.proc.send_signal(signal.SIGTERM)
        self.proc.communicate()
        self.timer.cancel()
        self.err.seek(0)
        return self.proc.returncode, self.err.read().decode("utf-8", "replace")

    def kill(self):
        self.timer.cancel()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.err.close()


def checked_loop(label, argv, mode, n, report, errfile):
    """n scans of argv in a loop mode over the changing queue, then a clean
    end; report(rc, stderr) -> problems found by the checker at exit."""
    loop = Loop(argv, mode, errfile)
    scans, bad = 0, []
    try:
        while scans < n:
            s = loop.scan()
            if s is None:
                break
            scans += 1
            if s["errors"] or s["unparseable"]:
                bad.append("scan %d: %s" % (scans, s))
        rc, err = loop.finish()
    finally:
        loop.kill()
    problems = report(rc, err)
    if scans != n:
        problems.insert(0, "%d of %d scans came" % (scans, n))
    tap(scans == n and not bad and not problems,
        "longrun [%s]: %d %s scans over the changing queue, then a clean exit: "
        "no leak at exit, no error" % (label, n, "--interval 100ms" if mode == "interval"
                                        else "--execd"),
        (problems + bad)[:15])


def sanitized(root, argv_tail, mode):
    def report(rc, err):
        lines = [l for l in err.splitlines() if "Sanitizer" in l or "runtime error" in l
                 or "leak" in l.lower() or l.startswith(("    #", "SUMMARY"))]
        return ([] if rc == 0 else ["exit %d" % rc]) + lines[:12]
    checked_loop("asan+ubsan", [PFQMON_SAN] + argv_tail, mode, SAN_SCANS, report,
                 os.path.join(root, "san-%s.err" % mode))


def under_valgrind(root, argv_tail, mode):
    if shutil.which("valgrind") is None:
        tap(False, "longrun [valgrind]: valgrind is not installed")
        return
    log = os.path.join(root, "valgrind-%s.log" % mode)

    def report(rc, err):
        # valgrind's own log: its errors only (-q), never pfqmon's stderr;
        # "--PID--" lines are its notes on calls it does not know
        # (seccomp, Landlock), not errors.
        with open(log, errors="replace") as f:
            lines = [l.rstrip() for l in f if not re.match(r"--\d+-- ", l)]
        return ([] if rc == 0 else ["exit %d" % rc]) + lines[:12]
    checked_loop("valgrind", VALGRIND + ["--log-file=" + log, PFQMON] + argv_tail,
                 mode, VG_SCANS, report, os.path.join(root, "vg-%s.err" % mode))


def main():
    if not cases("longrun"):
        return exit_status()
    root = tempfile.mkdtemp(prefix="pfqmon-longrun.")
    proc = None
    try:
        pool, live = os.path.join(root, "pool"), os.path.join(root, "live")
        subprocess.run([GEN, "--senders", "3000", "--seed", "7", str(POOL), pool],
                       check=True, capture_output=True)
        rels = []
        for q in QUEUES:
            for base, dirs, files in os.walk(os.path.join(pool, q)):
                os.makedirs(os.path.join(live, os.path.relpath(base, pool)), exist_ok=True)
                rels += [os.path.relpath(os.path.join(base, f), pool) for f in files]
        churn = Churn(pool, live, rels)
        proc = subprocess.Popen([PFQMON, "--interval", "100ms", *AS_ROOT, "--queue-dir", live,
                                 "--top", "20"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        churn.thread.start()
        scans, rss, bad, totals, cached = 0, {}, [], [], 0
        out = open(os.path.join(root, "out.lp"), "wb")
        t0 = time.monotonic()
        for raw in proc.stdout:
            out.write(raw)
            line = raw.decode("utf-8", "replace")
            if line.startswith("postfix_queue_total "):
                totals.append(fields(line)["length"])
            elif line.startswith("postfix_queue_scan,"):
                scans += 1
                s = fields(line)
                if s["errors"] or s["unparseable"]:
                    bad.append("scan %d: %s" % (scans, s))
                if s["cached"] * 2 > s["parsed"]:
                    cached += 1
                if scans % 25 == 0:
                    rss[scans] = rss_kb(proc.pid)
                if scans >= SCANS:
                    break
        elapsed = time.monotonic() - t0
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=60)
        out.write(rest)
        out.close()
        # Both loop modes once more, the queue still changing, under the
        # checkers that see a leak at exit.
        tail = [*AS_ROOT, "--queue-dir", live, "--top", "20"]
        for mode in ("interval", "execd"):
            sanitized(root, tail, mode)
            under_valgrind(root, tail, mode)
        churn.stop.set()
        churn.thread.join()
        tap(churn.error is None, "longrun: the queue changed all along (%d files moved "
            "in and out, %d moved to hold)" % (churn.moves, churn.requeued), [churn.error])
        tap(scans == SCANS and proc.returncode == 0,
            "longrun: %d scans at --interval 100ms in %.0f s, then exit 0 on SIGTERM"
            % (scans, elapsed), [proc.returncode, err.decode(errors="replace")[-300:]])
        with open(os.path.join(root, "out.lp"), "rb") as f:
            res = subprocess.run([LPCHECK], stdin=f, capture_output=True)
        tap(res.returncode == 0, "longrun: every line of every scan is valid line protocol",
            [res.stdout[-300:], res.stderr[-300:]])
        tap(not bad, "longrun: no scan had an error or an unparseable file", bad[:5])
        off = [t for t in totals if not LIVE - SLACK <= t <= LIVE + SLACK]
        tap(len(totals) == SCANS and not off,
            "longrun: every scan counts %d +- %d messages (saw %d-%d)"
            % (LIVE, SLACK, min(totals or [0]), max(totals or [0])), off[:5])
        tap(cached > SCANS // 2, "longrun: the rescan cache served most files in %d of "
            "%d scans" % (cached, scans))
        base = rss.get(WARM)
        late = [v for k, v in rss.items() if k > WARM]
        grew = max(late) - base if base and late else None
        tap(grew is not None and grew <= RSS_SLACK_KB,
            "longrun: RSS flat: %s KiB after %d scans, at most %s KiB over scans %d-%d "
            "(growth %s KiB, bound %d)" % (base, WARM, max(late or [0]), WARM + 25, SCANS,
                                          grew, RSS_SLACK_KB),
            ["%d: %d" % kv for kv in sorted(rss.items())][::4])
    except Exception as e:
        tap(False, "longrun: harness error: %s: %s" % (type(e).__name__, e))
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
