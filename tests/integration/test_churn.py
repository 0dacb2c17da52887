#!/usr/bin/python3
"""test_churn.py - the watched agent under churn, against a real Postfix.

pfqmon --execd watches the queue with inotify (the default in both agent
modes) and, besides the queue, counts arrivals: every message that
entered the queue since the last scan, by sender, SASL user and client
address, read as it comes even when it is delivered within a second.
A throw-away Postfix 3.7 takes the mail over SMTP (XCLIENT sets the SASL
login and the client address Postfix records) and delivers it through
its discard transport, or defers it (a relay that refuses), or holds it
(a HOLD access rule), while postsuper -h, -H, -r and -d move and delete
queued mail.

  arrivals   10,000 messages from five SASL users on five addresses,
             delivered as fast as Postfix can: the arrivals counted per
             user never exceed what the user sent, at least 99% of the
             messages are counted by SASL user, and counted plus vanished
             (complete but gone before pfqmon could read it) is exactly
             what was sent: nothing is missed or counted twice. A retry
             (deferred to active) or a release (hold to deferred) is not
             an arrival.
  sanitized  the same at a tenth under ASan+UBSan (at least 90% read in
             time: the sanitized build is several times slower; exact and
             never twice, as above).
  quiet      under mixed churn, at every quiet point, the watched scan
             equals a fresh one-shot scan of the same queue, series for
             series and field for field (the one-shot scan is proven
             against postcat and postqueue -j by the other groups).
  overflow   the agent is stopped (SIGSTOP) while a burst makes far more
             events than the kernel queues (fs.inotify.max_queued_events):
             the next scan sees the overflow, lists every directory
             (full=1) and equals the fresh scan; its arrivals are a lower
             bound, never a double count; the scan after that is exact
             again.
"""

import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, PFQMON_SAN, LPCHECK  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import harness  # noqa: E402
import pfqmetrics as pm  # noqa: E402

NOW = "1900000000"
USERS = 5
PER_USER = int(os.environ.get("CHURN_PER_USER", "2000"))
ARRIVALS = ("postfix_arrivals", "postfix_arrivals_sender",
            "postfix_arrivals_sasl", "postfix_arrivals_client")
SCAN = "postfix_queue_scan"
BREAKDOWNS = ("postfix_queue_sender", "postfix_queue_sasl", "postfix_queue_client",
              "postfix_queue_sender_domain", "postfix_queue_recipient_domain")


class Execd:
    """pfqmon --execd: a newline asks for a scan; the lines of one scan
    end with postfix_queue_scan."""

    def __init__(self, binary, spool):
        self.p = subprocess.Popen(
            [binary, "--queue-dir", spool, "--execd", "--top", "0", "--now", NOW],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)

    def scan(self):
        self.p.stdin.write(b"\n")
        self.p.stdin.flush()
        lines = []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("pfqmon --execd ended: %r"
                                   % self.p.stderr.read()[-400:])
            lines.append(line.decode("utf-8", "replace").rstrip("\n"))
            if line.startswith(SCAN.encode() + b","):
                return pm.decode(("\n".join(lines) + "\n").encode(), LPCHECK)

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.p.kill()
            self.p.wait()
        err = self.p.stderr.read().decode("utf-8", "replace")
        return self.p.returncode, err


def queue_part(report):
    """The queue's series: no arrivals, no scan line, no closing rows
    (a key that left the report gets one last row of zeros, which a
    one-shot scan never has)."""
    return {k: f for k, f in report.items()
            if k[0] not in ARRIVALS and k[0] != SCAN
            and not (k[0] in BREAKDOWNS and f.get("length") == 0)}


def oneshot(binary, spool):
    res = subprocess.run([binary, "--queue-dir", spool, "--top", "0", "--now", NOW],
                         capture_output=True, timeout=120)
    if res.returncode != 0:
        raise RuntimeError("one-shot scan: %r" % res.stderr[-300:])
    return pm.decode(res.stdout, LPCHECK)


def arrivals_of(report, acc):
    """Add one scan's arrivals to acc: per SASL user, per client, total,
    vanished, unparseable."""
    for (meas, tags), f in report.items():
        if meas == "postfix_arrivals":
            for k in ("messages", "vanished", "unparseable"):
                acc[k] = acc.get(k, 0) + f[k]
        elif meas in ("postfix_arrivals_sasl", "postfix_arrivals_client",
                      "postfix_arrivals_sender"):
            key = (meas, tags[0][1])
            acc[key] = acc.get(key, 0) + f["messages"]
    return acc


def send_all(pf, users, per_user, domain="discard.test", tag="u"):
    """Each user on its own connection and thread, XCLIENT LOGIN and ADDR
    once, then per_user messages. Returns {login: accepted}."""
    sent = {}
    errors = []

    def one(k):
        login = "%s%d" % (tag, k)
        inj = harness.Injector(pf.smtp_port)
        n = 0
        try:
            inj.xclient(addr="198.51.100.%d" % (20 + k), login=login)
            for i in range(per_user):
                inj.send("%s@customer.example" % login, ["r%d@%s" % (i, domain)])
                n += 1
        except Exception as e:      # noqa: BLE001 - reported below
            errors.append("%s: %s" % (login, e))
        finally:
            inj.close()
            sent[login] = n

    threads = [threading.Thread(target=one, args=(k,)) for k in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sent, errors


def wait_empty(pf, timeout=300):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not pf.postqueue_j():
            return True
        time.sleep(0.2)
    return False


def case_arrivals(pf, binary, label, per_user, share=0.99):
    agent = Execd(binary, pf.spool)
    acc = {}
    try:
        arrivals_of(agent.scan(), acc)      # the watch is set: from now on
        base = dict(acc)
        stop = threading.Event()
        scans = []

        def scanner():
            # Scans while the mail flows, as an agent's ticks would.
            while not stop.is_set():
                scans.append(agent.scan())
                time.sleep(0.5)

        t = threading.Thread(target=scanner)
        t.start()
        sent, errors = send_all(pf, USERS, per_user)
        emptied = wait_empty(pf)
        stop.set()
        t.join()
        scans.append(agent.scan())
        for r in scans:
            arrivals_of(r, acc)
        total = sum(sent.values())
        tap(not errors and total == USERS * per_user and emptied,
            "%s: Postfix took %d messages from %d SASL users and delivered "
            "them all" % (label, total, USERS), errors[:3] + [
                "accepted %d, queue empty: %s" % (total, emptied)])
        got = {login: acc.get(("postfix_arrivals_sasl", login), 0) for login in sent}
        counted = acc.get("messages", 0) - base.get("messages", 0)
        vanished = acc.get("vanished", 0) - base.get("vanished", 0)
        over = {u: (got[u], sent[u]) for u in sent if got[u] > sent[u]}
        tap(not over, "%s: no SASL user's arrivals exceed what it sent" % label,
            ["%s: counted %d of %d" % (u, *v) for u, v in over.items()])
        tap(sum(got.values()) >= share * total,
            "%s: at least %d%% of the messages were counted by SASL user as "
            "they arrived (%s)" % (label, round(share * 100), ", ".join(
                "%s %d/%d" % (u, got[u], sent[u]) for u in sorted(sent))),
            ["counted %d of %d" % (sum(got.values()), total)])
        by_client = sum(acc.get(("postfix_arrivals_client", "198.51.100.%d" % (20 + k)), 0)
                        for k in range(USERS))
        tap(counted == sum(got.values()) == by_client
            and counted + vanished == total,
            "%s: counted + vanished = sent, and the SASL and client breakdowns "
            "add up to the total (%d counted, %d vanished, %d sent)"
            % (label, counted, vanished, total),
            ["by SASL %d, by client %d, total %d, vanished %d, sent %d" % (
                sum(got.values()), by_client, counted, vanished, total)])
        overflows = sum(f.get("overflows", 0) for r in scans for (m, _), f in r.items()
                        if m == SCAN)
        tap(overflows == 0, "%s: the watch kept up (no overflow)" % label,
            ["%d overflows" % overflows])
    finally:
        rc, err = agent.close()
    tap(rc == 0 and "ERROR" not in err and "runtime error" not in err,
        "%s: the agent ended cleanly" % label, [rc, err[-500:]])


def case_quiet(pf, binary, label):
    """Mixed churn, then compare at quiet points."""
    agent = Execd(binary, pf.spool)
    mismatches = []
    points = 0
    retry_arrivals = None
    try:
        agent.scan()
        steps = [
            ("deferred mail", lambda: send_all(pf, 3, 40, domain="deferred.example", tag="d")),
            ("held mail", lambda: send_all(pf, 2, 30, domain="hold.test", tag="h")),
            ("mail delivered at once", lambda: send_all(pf, 3, 100, tag="q")),
            ("postsuper -h deferred", lambda: pf.postsuper("-h", ids(pf, "deferred")[:50])),
            ("postsuper -H", lambda: pf.postsuper("-H", ids(pf, "hold")[:40])),
            ("postqueue -f (retries to active)", flush(pf)),
            ("postsuper -r", lambda: pf.postsuper("-r", ids(pf, "deferred")[:30])),
            ("postsuper -d", lambda: pf.postsuper("-d", ids(pf, "deferred")[:25])),
            ("postqueue -f again", flush(pf)),
        ]
        for what, act in steps:
            act()
            pf.wait_settled(quiet=1.5, timeout=120)
            watched = agent.scan()
            fresh = oneshot(binary, pf.spool)
            points += 1
            d = pm.diff(queue_part(fresh), queue_part(watched))
            if d:
                mismatches.append("after %s: %s" % (what, d[:6]))
            if what.startswith("postqueue -f (retries"):
                retry_arrivals = arrivals_of(watched, {}).get("messages", 0)
        tap(not mismatches, "%s: at %d quiet points in deferrals, holds, deliveries "
            "and postsuper -h/-H/-r/-d, the watched scan equals a fresh one-shot "
            "scan" % (label, points), mismatches)
        tap(retry_arrivals == 0, "%s: retries (deferred to active) are not arrivals"
            % label, ["%r arrivals after postqueue -f" % retry_arrivals])
    finally:
        rc, err = agent.close()
    tap(rc == 0, "%s: the agent ended cleanly" % label, [rc, err[-500:]])


def flush(pf):
    def act():
        harness.run([harness.SBIN + "/postqueue", "-c", pf.conf, "-f"], check=False)
        time.sleep(2)
    return act


def ids(pf, queue):
    return [m["queue_id"] for m in pf.postqueue_j() if m["queue_name"] == queue]


def case_overflow(pf, binary, label):
    agent = Execd(binary, pf.spool)
    try:
        agent.scan()
        os.kill(agent.p.pid, signal.SIGSTOP)
        try:
            # Each message makes about eight events (create, writes, the
            # completing chmod, close, the move to active, the delete):
            # 3,000 of them are well over 16,384.
            sent, errors = send_all(pf, USERS, 600, tag="o")
            send_all(pf, 1, 60, domain="deferred.example", tag="od")
            pf.wait_settled(quiet=1.5, timeout=180)
        finally:
            os.kill(agent.p.pid, signal.SIGCONT)
        watched = agent.scan()
        scan = next(f for (m, _), f in watched.items() if m == SCAN)
        fresh = oneshot(binary, pf.spool)
        tap(scan.get("overflows", 0) > 0 and scan.get("full") == 1,
            "%s: a burst past the kernel's queue is seen as an overflow and the "
            "scan lists every directory" % label,
            ["scan: %r" % {k: scan.get(k) for k in ("overflows", "full", "events")}])
        d = pm.diff(queue_part(fresh), queue_part(watched))
        tap(not d, "%s: after the overflow the watched scan equals a fresh scan"
            % label, d)
        acc = arrivals_of(watched, {})
        total = sum(sent.values()) + 60
        tap(acc.get("messages", 0) + acc.get("vanished", 0) <= total,
            "%s: arrivals across an overflow are a lower bound, never a double "
            "count (%d + %d vanished of %d)" % (label, acc.get("messages", 0),
                                                acc.get("vanished", 0), total))
        # Recovered: the next burst is counted exactly again.
        sent, errors = send_all(pf, 2, 100, tag="p")
        wait_empty_of(pf, "deferred")
        after = agent.scan()
        acc = arrivals_of(after, {})
        d = pm.diff(queue_part(oneshot(binary, pf.spool)), queue_part(after))
        tap(not errors and acc.get("messages", 0) + acc.get("vanished", 0) == 200
            and not d, "%s: the scan after recovers: 200 arrivals counted exactly, "
            "the queue equal to a fresh scan" % label,
            ["arrivals %r, errors %r" % (acc, errors[:2])] + d[:4])
    finally:
        rc, err = agent.close()
    tap(rc == 0, "%s: the agent ended cleanly" % label, [rc, err[-500:]])


def wait_empty_of(pf, keep):
    """Wait until only queue `keep` holds mail (the deferred stays)."""
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if all(m["queue_name"] == keep for m in pf.postqueue_j()):
            return
        time.sleep(0.2)


def main():
    if os.geteuid() != 0:
        tap(True, "churn # SKIP needs root to run a Postfix instance")
        return exit_status()
    if not os.path.exists(harness.SBIN + "/postfix"):
        tap(True, "churn # SKIP Postfix is not installed")
        return exit_status()
    pf = harness.Postfix(name="pfqchurn")
    try:
        pf.setup()
        # Fast: no delay between SMTP replies; deferred mail goes to a
        # relay that refuses (deferred.example has no transport: relayhost).
        pf.start()
        run = {
            "arrivals": lambda: case_arrivals(pf, PFQMON, "churn", PER_USER),
            # Several times slower under ASan, the watch's thread reads
            # fewer messages in time; what it cannot read must still be
            # counted as vanished, exactly, and nothing twice.
            "sanitized": lambda: case_arrivals(pf, PFQMON_SAN, "churn-san",
                                               max(1, PER_USER // 10), share=0.9),
            "quiet": lambda: case_quiet(pf, PFQMON, "churn"),
            "overflow": lambda: case_overflow(pf, PFQMON, "churn"),
        }
        for name in cases("arrivals", "sanitized", "quiet", "overflow"):
            run[name]()
    finally:
        pf.close()
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
