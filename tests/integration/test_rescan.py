#!/usr/bin/python3
"""test_rescan.py - the rescan cache never hides a change.

In --execd mode pfqmon keeps what each queue file said and, on the next
scan, reads only the files that changed. Here one pfqmon runs in execd
mode over a generated queue while the queue is changed between scans the
way Postfix changes it: new mail (sendmail into maildrop, cleanup's files
appearing in incoming), delivered mail (files removed), postsuper -h, -H,
-d and -r, qmgr moving files to active, a recipient marked delivered in
place (what qmgr does to a partially delivered message), a file replaced
under the same name, a file still being written and then completed, and
a file that is not a queue file.

After every change the execd scan must equal, series for series and
field for field, what Postfix's own tools say is in the queue (never
pfqmon's own fresh scan, which would share a bug of the parser): every
file of the five mail queues is complete when its owner permissions are
rwx (Postfix's mail_open_ok), and then read with 'postcat -e' by its
path (a file postcat refuses is unparseable); the per-message facts
(queue, sender, arrival, size, pending recipients, SASL login, client)
are turned into metrics by tests/lib/pfqmetrics.py. postqueue -j must
agree with postcat on every message it lists (queue, arrival, size,
pending recipients), and where the change is one Postfix makes, it must
list exactly those messages (showq does not list hand-made files whose
name does not match their hash directory). Unchanged scans must come
from the cache. Once with one thread, once with two, and once more with
two under AddressSanitizer and UBSan.
"""


import os
import pwd
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, PFQMON_SAN, QFDUMP, LPCHECK, GEN  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import harness  # noqa: E402
import pfqmetrics as pm  # noqa: E402

NOW = "1900000000"
N = 600
MAIL_QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")


def files_in(spool, queue):
    out = []
    for root, _, names in os.walk(os.path.join(spool, queue)):
        out += [os.path.join(root, n) for n in sorted(names)]
    return sorted(out)


BREAKDOWNS = ("postfix_queue_sender", "postfix_queue_sasl", "postfix_queue_client",
              "postfix_queue_sender_domain", "postfix_queue_recipient_domain")
SCAN_KEY = ("postfix_queue_scan", (("source", "spool"),))
COUNTERS = ("files", "parsed", "skipped", "vanished", "unparseable", "ignored",
            "duplicates", "errors")


def report(lines):
    """An execd scan's lines -> {series: fields} (lpcheck proves them
    valid line protocol), without the closing rows: in the loops, the
    last point of a key that left the report is a row of zeros
    (docs/metrics.md), which the oracle of a single queue never has; and
    without the arrivals, which are not the queue (test_churn.py checks
    them against what Postfix was sent)."""
    got = pm.decode(("\n".join(lines) + "\n").encode(), LPCHECK)
    return {k: f for k, f in got.items()
            if not (k[0] in BREAKDOWNS and f.get("length") == 0)
            and not k[0].startswith("postfix_arrivals")}


class Execd:
    def __init__(self, spool, threads, binary, extra=()):
        self.p = subprocess.Popen(
            [binary, "--queue-dir", spool, "--execd", "--top", "0", "--now", NOW,
             "--threads", str(threads), *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def scan(self):
        self.p.stdin.write(b"\n")
        self.p.stdin.flush()
        lines = []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("pfqmon --execd ended: %s" % self.p.stderr.read()[-300:])
            lines.append(line.decode().rstrip("\n"))
            if line.startswith(b"postfix_queue_scan,"):
                return lines

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)
        return self.p.returncode


def oracle(pf, spool):
    """(messages, scan counters) as Postfix's tools see the queue: a file
    of a mail queue is complete when its owner has rwx (mail_open_ok),
    not yet complete otherwise (skipped); postcat -e reads each complete
    file by its path, and one it refuses is unparseable."""
    complete, skipped, files = [], 0, 0
    for q in MAIL_QUEUES:
        for path in files_in(spool, q):
            mode = os.lstat(path).st_mode
            if not stat.S_ISREG(mode):
                continue
            files += 1
            if mode & stat.S_IRWXU == stat.S_IRWXU:
                complete.append(path)
            else:
                skipped += 1
    facts = pf.postcat_files(complete, spool)
    msgs = []
    for path in complete:
        f = facts.get(os.path.relpath(path, spool))
        if f is None or f["sender"] is None:
            continue
        # In maildrop the size is the file's (docs/metrics.md): postdrop
        # writes no size record, and a preliminary one since Postfix 3.11,
        # whose showq and postcat ignore any size record there; 3.7's
        # still read that of a file postsuper -r moved there.
        size = f["size"]
        if size is None or f["queue"] == "maildrop":
            size = os.path.getsize(path)
        msgs.append({"id": os.path.basename(path), "queue": f["queue"],
                     "sender": f["sender"], "arrival": f["arrival"], "size": size,
                     "recipients": f["recipients"], "sasl": f["sasl"],
                     "client": f["client"]})
    scan = dict.fromkeys(COUNTERS, 0)
    scan.update(files=files, parsed=len(msgs), skipped=skipped,
                unparseable=len(complete) - len(msgs))
    return msgs, scan


def against_postqueue(pq, msgs, postfix_shaped):
    """postqueue -j and postcat agree on every message postqueue lists;
    for a queue only Postfix changed, postqueue lists every message."""
    by_id = {m["id"]: m for m in msgs}
    problems = []
    for p in pq:
        m = by_id.get(p["queue_id"])
        # (Postfix 3.7's showq gives a requeued file's size record in maildrop)
        size = p["message_size"] if p["queue_name"] != "maildrop" else m and m["size"]
        want = (p["queue_name"], p["arrival_time"], size, len(p["recipients"]))
        got = m and (m["queue"], m["arrival"], m["size"], len(m["recipients"]))
        if want != got:
            problems.append("%s: postqueue -j %s, postcat %s" % (p["queue_id"], want, got))
    extra = set(by_id) - {p["queue_id"] for p in pq}
    if postfix_shaped and extra:
        problems.append("postqueue -j does not list %s" % sorted(extra)[:5])
    return problems


def mark_one_delivered(path):
    """Overwrite the type byte of the first pending recipient with 'D', in
    place, as qmgr does (rec_put_type): the size stays the same."""
    dump = subprocess.run([QFDUMP, "x", path], capture_output=True).stdout.decode()
    rcpts = [int(l.split()[0]) for l in dump.splitlines() if l.split()[1:2] == ["recipient:"]]
    if len(rcpts) < 2:
        return False
    with open(path, "r+b") as f:
        f.seek(rcpts[0])
        if f.read(1) != b"R":
            return False
        os.pwrite(f.fileno(), b"D", rcpts[0])
    return True


def as_postfix(path):
    """Files in the queue belong to mail_owner, as Postfix writes them:
    pfqmon started as root reads the queue as that user."""
    pf = pwd.getpwnam("postfix")
    os.chown(path, pf.pw_uid, pf.pw_gid)


def newest_change(spool):
    """The latest change time (ns) of anything under spool."""
    newest = 0
    for base, dirs, files in os.walk(spool):
        for name in dirs + files:
            try:
                newest = max(newest, os.lstat(os.path.join(base, name)).st_ctime_ns)
            except FileNotFoundError:
                pass
    return newest


def ids(paths):
    return [os.path.basename(p) for p in paths]


def run(threads, rng, binary=PFQMON, label="", watch=True):
    """The agent's rescans over a changing queue. Watched (inotify, the
    default), a file removed is never read, so scans after removals are
    told by the cache alone; listing every directory (--no-watch), the
    stat of each file decides."""
    tag = "rescan, %d thread%s%s" % (threads, "" if threads == 1 else "s", label)
    removed = "all-now" if watch else "some"
    pf = harness.Postfix()
    tmp = tempfile.mkdtemp(prefix="pfqmon-rescan.")
    spool, extra = os.path.join(tmp, "spool"), os.path.join(tmp, "extra")
    ex = None
    try:
        pf.setup()
        subprocess.run([GEN, "--seed", "7", "--now", NOW, str(N), spool], check=True)
        subprocess.run([GEN, "--seed", "8", "--now", NOW, "40", extra], check=True)
        subprocess.run(["chown", "-R", "postfix:postfix", spool], check=True)
        shutil.chown(os.path.join(spool, "maildrop"), "postfix", "postdrop")
        os.chmod(os.path.join(spool, "maildrop"), 0o730)
        os.chmod(tmp, 0o755)
        pf.postconf("queue_directory = " + spool)
        ex = Execd(spool, threads, binary, () if watch else ("--no-watch",))

        def check(what, expect_cached=None, postfix_shaped=True):
            if expect_cached == "all":
                # Files changed within a second before a scan began are
                # read again by the next one (their change time may not
                # show a second change): wait until the newest change is
                # a second old, and let one scan re-read.
                aged = newest_change(spool) + 1000000000
                while time.time_ns() <= aged:
                    time.sleep(0.05)
                ex.scan()
            got = report(ex.scan())
            msgs, want_scan = oracle(pf, spool)
            exp = pm.expected(msgs, int(NOW))
            detail = pm.diff(exp, got, only={k[0] for k in set(exp) | set(got)} - {SCAN_KEY[0]})
            s = got.get(SCAN_KEY, {})
            g_scan = {k: s.get(k) for k in COUNTERS}
            if g_scan != want_scan:
                detail.insert(0, "scan counters: pfqmon %s, postcat %s" % (g_scan, want_scan))
            detail += against_postqueue(pf.postqueue_j(), msgs, postfix_shaped)
            c = s.get("cached", -1)
            if expect_cached in ("all", "all-now") and c != s.get("files"):
                detail.append("cached %d of %s files, want all" % (c, s.get("files")))
            elif expect_cached == "some" and not 0 < c < s.get("files", 0):
                detail.append("cached %d of %s files, want some" % (c, s.get("files")))
            tap(not detail, "%s: %s: equals postcat -e%s (%d messages, %d from cache)"
                % (tag, what, " and postqueue -j" if postfix_shaped else "", len(msgs), c),
                detail)

        check("first scan")
        check("nothing changed", "all")
        # New mail: sendmail (postdrop writes maildrop) and cleanup's files.
        for i in range(5):
            pf.sendmail("new%d@fresh.example" % i, "someone@dest.example")
        # incoming and active are not hashed (hash_queue_names): flat.
        for path in files_in(extra, "deferred")[:12]:
            dst = os.path.join(spool, "incoming", os.path.basename(path))
            os.rename(path, dst)
            shutil.chown(dst, "postfix", "postfix")
        check("new mail in maildrop and incoming", "some")
        deferred = files_in(spool, "deferred")
        rng.shuffle(deferred)
        for path in deferred[:15]:
            os.unlink(path)
        check("delivered mail removed", removed)
        deferred = files_in(spool, "deferred")
        pf.postsuper("-h", ids(deferred[:20]))
        check("postsuper -h", "some")
        pf.postsuper("-H", ids(files_in(spool, "hold"))[:5])
        check("postsuper -H", "some")
        pf.postsuper("-d", ids(files_in(spool, "deferred")[:10] + files_in(spool, "hold")[:3]))
        check("postsuper -d", removed)
        marked = 0
        for path in files_in(spool, "deferred"):
            if marked < 15 and mark_one_delivered(path):
                marked += 1
        tap(marked == 15, "%s: marked 15 recipients delivered in place" % tag)
        check("recipients delivered in place (partial delivery)", "some")
        pf.postsuper("-r", ids(files_in(spool, "deferred")[:5]))
        check("postsuper -r", "some")
        for path in files_in(spool, "deferred")[:10]:
            os.rename(path, os.path.join(spool, "active", os.path.basename(path)))
        check("qmgr moves deferred to active", "some")
        victim, donor = files_in(spool, "deferred")[:2]
        data = open(donor, "rb").read()
        os.unlink(victim)
        with open(victim, "wb") as f:
            f.write(data)
        as_postfix(victim)
        os.chmod(victim, 0o700)
        check("file replaced under the same name", "some", postfix_shaped=False)
        writing = os.path.join(os.path.dirname(victim), "9ZZZZZZZZZ")
        with open(writing, "wb") as f:
            f.write(data)
        as_postfix(writing)
        os.chmod(writing, 0o600)
        check("a file still being written", "some", postfix_shaped=False)
        os.chmod(writing, 0o700)
        check("the same file completed", "some", postfix_shaped=False)
        junk = os.path.join(os.path.dirname(victim), "8ZZZZZZZZZ")
        with open(junk, "wb") as f:
            f.write(b"not a queue file\n" * 10)
        as_postfix(junk)
        os.chmod(junk, 0o700)
        check("a file that is not a queue file", postfix_shaped=False)
        check("nothing changed, with that file", "all", postfix_shaped=False)
        os.unlink(junk)
        os.unlink(writing)
        check("both removed: nothing to read", "all-now", postfix_shaped=False)
        rc = ex.close()
        ex = None
        tap(rc == 0, "%s: execd exits 0 when stdin closes" % tag)
    except Exception as e:
        tap(False, "%s: harness error: %s: %s" % (tag, type(e).__name__, e))
    finally:
        if ex is not None:
            ex.p.kill()
            ex.p.wait()
        pf.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    # Each case has its own random sequence, so that it plays the same
    # changes whether it runs alone (-k) or after the others.
    for name in cases("one_thread", "two_threads", "sanitized", "no_watch"):
        if name == "one_thread":
            run(1, random.Random(42))
        elif name == "two_threads":
            run(2, random.Random(43))
        elif name == "sanitized":
            run(2, random.Random(44), PFQMON_SAN, " [asan+ubsan]")
        else:
            run(1, random.Random(45), PFQMON, ", every directory listed (--no-watch)",
                watch=False)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
