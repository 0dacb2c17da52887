#!/usr/bin/python3
"""test_generator.py - Postfix checks the benchmark's synthetic queue.

bench/gen writes queue files in Postfix's own format; here a small one
(short and long queue IDs) is handed to Postfix's own tools: postsuper -s
must find no queue ID to fix (the IDs match the inodes), postcat must read
every file, and postqueue -j must list every message with the queue and
sender the generator wrote. pfqmon must parse every file as well.
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, LPCHECK, GEN  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
from fixtures import AS_ROOT  # noqa: E402
import harness  # noqa: E402
import pfqmetrics as pm  # noqa: E402

N = 400


def files_of(spool):
    out = set()
    for q in ("maildrop", "incoming", "active", "deferred", "hold"):
        for root, _, names in os.walk(os.path.join(spool, q)):
            out |= {os.path.join(root, n) for n in names}
    return out


def check(long_ids):
    tag = "generator (%s IDs)" % ("long" if long_ids else "short")
    p = harness.Postfix(long_ids=long_ids)
    tmp = tempfile.mkdtemp(prefix="pfqmon-gen.")
    spool, manifest = os.path.join(tmp, "spool"), os.path.join(tmp, "manifest")
    try:
        p.setup()
        subprocess.run([GEN] + (["--long-ids"] if long_ids else []) +
                       ["--manifest", manifest, str(N), spool], check=True)
        subprocess.run(["chown", "-R", "postfix:postfix", spool], check=True)
        os.chmod(tmp, 0o755)
        p.postconf("queue_directory = " + spool)
        before = files_of(spool)
        res = subprocess.run([harness.SBIN + "/postsuper", "-c", p.conf, "-s"],
                             capture_output=True)
        tap(res.returncode == 0 and files_of(spool) == before and len(before) == N,
            "%s: postsuper -s finds no queue ID to fix in %d files" % (tag, N),
            [res.stderr.decode()[-300:]])
        sections, bad = 0, b""
        paths = sorted(before)
        for i in range(0, len(paths), 200):
            r = subprocess.run([harness.SBIN + "/postcat", "-c", p.conf, "-e"] + paths[i:i + 200],
                               capture_output=True)
            sections += r.stdout.count(b"*** MESSAGE FILE END")
            bad += r.stderr
        tap(sections == N and not bad, "%s: postcat reads every file to its end" % tag,
            [bad.decode()[-300:]])
        want = {}
        for line in open(manifest):
            q, qid, sender = line.rstrip("\n").split(" ", 2)
            want[qid] = (q, sender)
        got = {m["queue_id"]: (m["queue_name"], m["sender"]) for m in p.postqueue_j()}
        tap(got == want, "%s: postqueue -j lists every message with its queue and sender"
            % tag, ["differ: %s" % sorted(set(got.items()) ^ set(want.items()))[:4]])
        out = subprocess.run([PFQMON, *AS_ROOT, "--queue-dir", spool], capture_output=True).stdout
        scan = pm.decode(out, LPCHECK)[("postfix_queue_scan", (("source", "spool"),))]
        tap(scan["parsed"] == scan["files"] == N, "%s: pfqmon parses every file" % tag,
            [scan])
    except Exception as e:
        tap(False, "%s: harness error: %s: %s" % (tag, type(e).__name__, e))
    finally:
        p.close()
        subprocess.run(["rm", "-rf", tmp])


def main():
    for name in cases("short_ids", "long_ids"):
        check(name == "long_ids")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
