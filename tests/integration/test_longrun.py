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
SLACK either way); and most scans must be served mostly from the cache. Runs as root or not; needs
no Postfix.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, LPCHECK, GEN  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
from fixtures import AS_ROOT  # noqa: E402

POOL, LIVE, BATCH = 6000, 1500, 8
SLACK = 4 * BATCH
SCANS = 1000
WARM = 100                      # scans before the baseline sample
RSS_SLACK_KB = 1024
QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")


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
        churn.stop.set()
        churn.thread.join()
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=60)
        out.write(rest)
        out.close()
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
