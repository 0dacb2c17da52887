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
a file that is not a queue file. After every change the execd scan must
equal, line for line, a fresh one-shot scan (no cache) of the same queue,
and, where the change is one Postfix makes, its queue totals must equal
postqueue -j (showq does not list hand-made files whose name does not
match their hash directory); unchanged scans must come from the cache. Once with one thread, once with two, and once more with
two under AddressSanitizer and UBSan.
"""

import os
import pwd
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, PFQMON_SAN, QFDUMP, GEN  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import harness  # noqa: E402

NOW = "1900000000"
N = 600
MAIL_QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")


def files_in(spool, queue):
    out = []
    for root, _, names in os.walk(os.path.join(spool, queue)):
        out += [os.path.join(root, n) for n in sorted(names)]
    return sorted(out)


def scan_fields(line):
    """The scan counters of a postfix_queue_scan line, minus the ones that
    differ by design between a cached and a fresh scan."""
    fields = dict(kv.split("=", 1) for kv in line.split(" ", 1)[1].split(","))
    for k in ("cached", "duration_us"):
        fields.pop(k, None)
    return fields, line


BREAKDOWNS = ("postfix_queue_sender,", "postfix_queue_sasl,", "postfix_queue_client,",
              "postfix_queue_sender_domain,", "postfix_queue_recipient_domain,")


def closing(line):
    """A breakdown row of zeros: in the loops, the last point of a key that
    left the report (docs/metrics.md), which a single scan never writes."""
    return line.startswith(BREAKDOWNS) and " length=0i," in line


def split(lines):
    scan = [l for l in lines if l.startswith("postfix_queue_scan,")]
    rest = sorted(l for l in lines if not l.startswith("postfix_queue_scan,")
                  and not closing(l))
    return rest, scan_fields(scan[0]) if len(scan) == 1 else ({}, "")


def cached_of(line):
    for kv in line.split(" ", 1)[1].split(","):
        if kv.startswith("cached="):
            return int(kv[len("cached="):-1])
    return -1


class Execd:
    def __init__(self, spool, threads, binary):
        self.p = subprocess.Popen(
            [binary, "--queue-dir", spool, "--execd", "--top", "0", "--now", NOW,
             "--threads", str(threads)],
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


def oneshot(spool):
    out = subprocess.run([PFQMON, "--queue-dir", spool, "--top", "0", "--now", NOW],
                         capture_output=True, check=True).stdout
    return out.decode().splitlines()


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


def run(threads, rng, binary=PFQMON, label=""):
    tag = "rescan, %d thread%s%s" % (threads, "" if threads == 1 else "s", label)
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
        ex = Execd(spool, threads, binary)

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
            got, want = ex.scan(), oneshot(spool)
            (g_rest, (g_scan, g_line)), (w_rest, (w_scan, _)) = split(got), split(want)
            pq = {}
            for m in pf.postqueue_j():
                pq[m["queue_name"]] = pq.get(m["queue_name"], 0) + 1
            ours = {}
            for l in g_rest:
                if l.startswith("postfix_queue,queue="):
                    q = l.split(",", 1)[1].split(" ")[0][len("queue="):]
                    n = int(l.split("length=")[1].split("i")[0])
                    if n and q in MAIL_QUEUES:
                        ours[q] = n
            diff = sorted(set(g_rest) ^ set(w_rest))
            ok = g_rest == w_rest and g_scan == w_scan and (ours == pq or not postfix_shaped)
            detail = ["differing lines: %d" % len(diff)] + diff[:6] + [
                "scan cached: %s" % g_line, "scan fresh: %s" % w_scan,
                "per queue: pfqmon %s postqueue -j %s" % (ours, pq)]
            c = cached_of(g_line)
            if expect_cached in ("all", "all-now"):
                ok = ok and c == int(g_scan.get("files", "-1i")[:-1])
            elif expect_cached == "some":
                ok = ok and 0 < c < int(g_scan.get("files", "0i")[:-1])
            tap(ok, "%s: %s: equals a fresh scan%s (%d from cache)"
                % (tag, what, " and postqueue -j" if postfix_shaped else "", c), detail)

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
        check("delivered mail removed", "some")
        deferred = files_in(spool, "deferred")
        pf.postsuper("-h", ids(deferred[:20]))
        check("postsuper -h", "some")
        pf.postsuper("-H", ids(files_in(spool, "hold"))[:5])
        check("postsuper -H", "some")
        pf.postsuper("-d", ids(files_in(spool, "deferred")[:10] + files_in(spool, "hold")[:3]))
        check("postsuper -d", "some")
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
    for name in cases("one_thread", "two_threads", "sanitized"):
        if name == "one_thread":
            run(1, random.Random(42))
        elif name == "two_threads":
            run(2, random.Random(43))
        else:
            run(2, random.Random(44), PFQMON_SAN, " [asan+ubsan]")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
