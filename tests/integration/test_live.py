#!/usr/bin/python3
"""test_live.py - pfqmon while a real Postfix is moving mail.

An injector thread sends mail that flows incoming -> active -> deferred,
or is delivered at once (discard) and removed, or is held in active by a
tarpit; an admin thread meanwhile holds, releases, requeues and deletes
messages with postsuper. pfqmon scans the live spool again and again
(every fourth scan with the ASan+UBSan build, every third one as pfqmon
select over all queues). Every scan must exit 0 with valid line protocol
whose counters add up, and no scan may report more messages than had
been submitted (plus requeued: a requeued message briefly has two files)
when it finished. Every select must list each message at most once, as a
valid queue ID: a file renamed from queue to queue mid-scan is one
message (pfqmon deduplicates by inode). Files that disappear mid-scan
are counted as vanished (tests/hostile proves that path
deterministically with strace fault injection; here the numbers seen are
reported). Once the queue settles, a last scan must equal postqueue -j.
"""

import os
import random
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, PFQMON_SAN, LPCHECK  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import harness  # noqa: E402
import pfqmetrics as pm  # noqa: E402

MESSAGES = 2500
ALL_QUEUES = ["--queue", "maildrop", "--queue", "incoming", "--queue", "active",
              "--queue", "deferred", "--queue", "hold"]

class Flow:
    """Submits MESSAGES messages; counts each before its DATA starts, so
    the count is an upper bound for what can be in the queue."""

    def __init__(self, port):
        self.port = port
        self.submitted = 0
        self.lock = threading.Lock()
        self.error = None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        try:
            inj = harness.Injector(self.port)
            inj.xclient(addr="198.51.100.20", login="flow")
            for i in range(MESSAGES):
                kind = i % 5
                if kind == 0:
                    to = ["d%d@discard.test" % i]          # delivered, removed
                elif kind == 3:
                    to = ["t%d@tarpit.test" % i]           # held in active
                elif kind == 4:
                    to = ["d%d@discard.test" % i, "r%d@dest.example" % i]
                else:
                    to = ["r%d@dest%d.example" % (i, i % 9)]  # -> deferred
                with self.lock:
                    self.submitted += 1
                inj.send("flow%d@sender%d.example" % (i % 40, i % 7), to)
            inj.close()
        except Exception as e:  # reported by the test, not raised in a thread
            self.error = e

    def bound(self):
        with self.lock:
            return self.submitted


class Admin:
    """postsuper -h, -H, -r and -d on a few queued messages at a time,
    until stopped; counts what it asked for."""

    def __init__(self, postfix):
        self.p = postfix
        self.rng = random.Random(3)
        self.done = {"-h": 0, "-H": 0, "-r": 0, "-d": 0}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        try:
            while not self.stop.wait(0.25):
                q = self.p.postqueue_j()
                deferred = [m["queue_id"] for m in q if m["queue_name"] == "deferred"]
                held = [m["queue_id"] for m in q if m["queue_name"] == "hold"]
                self.rng.shuffle(deferred)
                for flag, ids in (("-h", deferred[:3]), ("-H", held[:1]),
                                  ("-r", deferred[3:5]), ("-d", deferred[5:6] + held[1:2])):
                    if ids:
                        with self.lock:         # count before it can show
                            self.done[flag] += len(ids)
                        self.p.postsuper(flag, ids)
        except Exception as e:  # reported by the test
            self.error = e

    def requeued(self):
        with self.lock:
            return self.done["-r"]


def main():
    if os.geteuid() != 0:
        tap(False, "live Postfix test needs root")
        return 1
    if not cases("live"):
        return exit_status()
    p = harness.Postfix(name="pfqlive")
    try:
        p.setup()
        p.start()
        flow = Flow(p.smtp_port)
        admin = Admin(p)
        flow.thread.start()
        admin.thread.start()
        scans, bad_exit, bad_out, bad_sum, over = 0, [], [], [], []
        selects, bad_select = 0, []
        vanished = duplicates = skipped = max_total = 0
        while flow.thread.is_alive() or scans < 10:
            binary = PFQMON_SAN if scans % 4 == 0 else PFQMON
            if (scans + selects) % 3 == 2:
                res = subprocess.run([binary, "select", "--queue-dir", p.spool]
                                     + ALL_QUEUES, capture_output=True, timeout=60)
                bound = flow.bound() + admin.requeued()
                selects += 1
                ids = res.stdout.split()
                if (res.returncode != 0 or len(ids) != len(set(ids)) or len(ids) > bound
                        or any(not re.fullmatch(rb"[0-9A-F]{6,}", i) for i in ids)):
                    bad_select.append("exit %d, %d IDs, %d distinct, bound %d: %s"
                                      % (res.returncode, len(ids), len(set(ids)), bound,
                                         res.stderr[:200]))
                continue
            res = subprocess.run([binary, "--queue-dir", p.spool, "--top", "5"],
                                 capture_output=True, timeout=60)
            bound = flow.bound() + admin.requeued()
            scans += 1
            if res.returncode != 0:
                bad_exit.append((binary, res.returncode, res.stderr[:300]))
                continue
            try:
                got = pm.decode(res.stdout, LPCHECK)
            except ValueError as e:
                bad_out.append(str(e))
                continue
            s = got[("postfix_queue_scan", (("source", "spool"),))]
            parts = sum(s[k] for k in ("parsed", "skipped", "vanished", "unparseable",
                                       "ignored", "duplicates", "errors"))
            if parts != s["files"] or s["unparseable"] or s["errors"]:
                bad_sum.append(s)
            total = got[("postfix_queue_total", ())]["length"]
            max_total = max(max_total, total)
            if total > bound:
                over.append("scan %d: %d messages, %d submitted" % (scans, total, bound))
            vanished += s["vanished"]
            duplicates += s["duplicates"]
            skipped += s["skipped"]
        flow.thread.join()
        admin.stop.set()
        admin.thread.join()
        tap(flow.error is None and flow.submitted == MESSAGES,
            "live: %d messages flowed through a running Postfix" % flow.submitted,
            [flow.error])
        tap(admin.error is None and all(admin.done.values()),
            "live: meanwhile postsuper held %(-h)d, released %(-H)d, requeued %(-r)d "
            "and deleted %(-d)d messages" % admin.done, [admin.error])
        tap(selects > 0 and not bad_select,
            "live: %d selects during the flow, each listing every message at most "
            "once, as a valid queue ID" % selects, bad_select[:5])
        tap(not bad_exit and not bad_out,
            "live: %d scans during the flow, every one exits 0 with valid output" % scans,
            bad_exit + bad_out)
        tap(not bad_sum, "live: every scan's counters add up; nothing unparseable", bad_sum)
        tap(not over, "live: no scan reports more messages than were submitted "
            "(at most %d)" % max_total, over)
        # What the races gave is only reported, not tested: how many there
        # are depends on timing (tests/hostile proves the counts with strace).
        print("# live: races seen and counted: %d vanished, %d duplicates, "
              "%d skipped while being written" % (vanished, duplicates, skipped))

        p.wait_settled()
        now = int(time.time())
        pq = p.postqueue_j()
        res = subprocess.run([PFQMON, "--queue-dir", p.spool, "--top", "0",
                              "--now", str(now)], capture_output=True, timeout=60)
        got = pm.decode(res.stdout, LPCHECK)
        detail = []
        for q in pm.MAIL_QUEUES:
            n = sum(1 for m in pq if m["queue_name"] == q)
            g = got[("postfix_queue", (("queue", q),))]["length"]
            if n != g:
                detail.append("%s: postqueue %d, pfqmon %d" % (q, n, g))
        tap(not detail, "live: once settled, every queue equals postqueue -j "
            "(%d messages)" % len(pq), detail)
    except Exception as e:
        tap(False, "live: harness error: %s: %s" % (type(e).__name__, e), [p.log_tail()])
    finally:
        p.close()
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
