#!/usr/bin/python3
"""capture-sasl-ties.py OUTDIR - real Postfix 3.7 queue files with SASL
logins and ties at every top-N cut, for the golden tests.

Starts a throw-away Postfix (tests/integration/harness.py) and sends, in
this order, over SMTP with XCLIENT (ADDR and LOGIN, as a SASL login
records them):

  2 x bob   from 198.51.100.7,  bob@zeta.example  -> 3 rcpts @dest-z.example
            (the oldest, largest messages, with the most recipients)
  2 x alice from 198.51.100.10, alice@alpha.example -> 1 rcpt @dest-a.example
  1 x carol from 203.0.113.5,   carol@mid.example -> 1 rcpt @dest-m.example
  1 x dave  from 203.0.113.50,  dave@mid.example  -> 1 rcpt @dest-m.example
  1 x no login, from 127.0.0.1, nosasl@mid.example -> 1 rcpt @dest-n.example

so that in every breakdown rows of equal counts meet at a top-N cut
(--top 1, 2 and 3), and byte order of the key alone decides which stays:
it keeps alice over bob although bob's mail is older, larger and has more
recipients, and 198.51.100.10 over 198.51.100.7 (numeric order would not).
A second passes between the groups, so the arrival times differ too.

Delivery goes to a relay that refuses connections, so every message ends
in deferred/. Once the queue has settled, Postfix is stopped and OUTDIR
gets what tests/fixtures/postfix-3.7 holds for the first sample set:
spool/ (deferred/ and the defer/ logs), MANIFEST-original-modes.txt,
'postcat -v -o' of every file in postcat-all.txt (TZ=UTC, machine paths
replaced by QUEUE_DIR/) and postqueue-j.txt. Prints the newest arrival
time. Needs root.
"""

import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402

BIG = b"Subject: weekly report\r\n\r\n" + b"".join(
    b"line %04d of a long report, as a compromised account sends it\r\n" % i
    for i in range(45))
SMALL = b"Subject: hi\r\n\r\nhello\r\n"

# (client address, SASL login or None, sender, recipients, body, count)
GROUPS = [
    ("198.51.100.7", "bob", "bob@zeta.example",
     ["r1@dest-z.example", "r2@dest-z.example", "r3@dest-z.example"], BIG, 2),
    ("198.51.100.10", "alice", "alice@alpha.example", ["a@dest-a.example"], SMALL, 2),
    ("203.0.113.5", "carol", "carol@mid.example", ["c@dest-m.example"], SMALL, 1),
    ("203.0.113.50", "dave", "dave@mid.example", ["d@dest-m.example"], SMALL, 1),
    (None, None, "nosasl@mid.example", ["n@dest-n.example"], SMALL, 1),
]


def inject(p):
    for addr, login, sender, rcpts, body, count in GROUPS:
        inj = harness.Injector(p.smtp_port)
        try:
            if addr:
                inj.xclient(addr=addr, login=login)
            for _ in range(count):
                inj.send(sender, rcpts, body)
        finally:
            inj.close()
        time.sleep(1.1)


def files(spool, queues):
    out = []
    for q in queues:
        for base, _, names in os.walk(os.path.join(spool, q)):
            out += [os.path.relpath(os.path.join(base, n), spool) for n in names]
    return sorted(out)


def main():
    outdir = sys.argv[1]
    p = harness.Postfix(name="pfqsasl")
    try:
        p.setup()
        p.start()
        inject(p)
        settled = p.wait_settled(quiet=2.0)
        if {q for q, _ in settled} != {"deferred"} or len(settled) != 7:
            raise RuntimeError("queue did not settle in deferred: %s" % settled)
        pq = subprocess.run([harness.SBIN + "/postqueue", "-c", p.conf, "-j"],
                            capture_output=True, check=True).stdout
        p.stop()
        os.makedirs(os.path.join(outdir, "spool"))
        manifest, dumps = [], []
        env = dict(os.environ, TZ="UTC")
        for rel in files(p.spool, ("deferred", "defer")):
            src, dst = os.path.join(p.spool, rel), os.path.join(outdir, "spool", rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o644)        # as the first set: modes in the manifest
            st = os.stat(src)
            manifest.append("%o postfix:postfix %d mtime=%s.%09d0 %s" % (
                st.st_mode & 0o7777, st.st_size,
                time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(st.st_mtime)),
                st.st_mtime_ns % 1000000000, rel))
            dump = b""
            if rel.startswith("deferred/"):
                dump = subprocess.run([harness.SBIN + "/postcat", "-c", p.conf, "-v", "-o", src],
                                      capture_output=True, check=True, env=env).stdout
                dump = dump.replace(p.spool.encode() + b"/", b"QUEUE_DIR/")
            dumps.append(b"### " + rel.encode() + b"\n" + dump)
        with open(os.path.join(outdir, "MANIFEST-original-modes.txt"), "w") as f:
            f.write("\n".join(manifest) + "\n")
        with open(os.path.join(outdir, "postcat-all.txt"), "wb") as f:
            f.write(b"".join(dumps))
        with open(os.path.join(outdir, "postqueue-j.txt"), "wb") as f:
            f.write(pq)
        newest = max(int(l.split(b'"arrival_time": ')[1].split(b",")[0])
                     for l in pq.splitlines())
        print("%d messages; newest arrival %d" % (len(settled), newest))
    finally:
        p.close()


if __name__ == "__main__":
    main()
