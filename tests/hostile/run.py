#!/usr/bin/python3
"""hostile/run.py - pfqmon on spools built to hurt it.

Every case builds a private spool (queue files from mkqf descriptions, or
special files), runs pfqmon, and requires: exit status 0, output that the
strict line-protocol reader accepts, no raw control byte in the output,
and the scan counters (and where stated, the tag values) the case
expects. Each case runs twice:

  - under the ASan+UBSan build: any memory error or undefined behaviour
    aborts and fails the case;
  - under the plain build with bounds: at most BOUND_AS bytes of address
    space and BOUND_SECONDS seconds of wall time per run.

pfqmon select runs on every spool too (sanitized): it must list each
message of the five mail queues exactly once, as a valid queue ID and
nothing else. So does pfqmon top --rows 0 --format json: one JSON
document, byte for byte what jansson writes for it whole (as top wrote it
before it streamed), with the report's total. One spool made of the
cases' files runs once more under valgrind: no error, no leak. And top's
JSON of 100,000 rows must need about the memory of its table.

One TAP line per check.
"""

import json
import os
import pwd
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, PFQMON_SAN, LPCHECK, JSONCHECK, MKQF  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
from fixtures import AS_ROOT  # noqa: E402
import pfqmetrics as pm  # noqa: E402
import selectoracle  # noqa: E402

GNU_TIME = "/usr/bin/time"
FIX = "tests/fixtures/postfix-3.7"
NOW = 1800000000
BOUND_AS = 256 << 20            # address space of the plain build
BOUND_SECONDS = 20


def esc(b):
    """bytes -> a mkqf payload (escapes for everything but plain ASCII)."""
    out = []
    for c in b:
        if c == 0x5C:
            out.append("\\\\")
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)


class Spool:
    """A private queue directory."""

    def __init__(self, root):
        self.dir = tempfile.mkdtemp(dir=root)
        self.n = 0

    def path(self, queue, name=None):
        if name is None:
            self.n += 1
            name = "%011X" % (0xA0000000 + self.n)
        d = os.path.join(self.dir, queue)
        os.makedirs(d, exist_ok=True)
        return os.path.join(d, name)

    def qf(self, queue, desc, mode=0o700, name=None):
        """A queue file from a mkqf description."""
        p = self.path(queue, name)
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(desc)
        try:
            subprocess.run([MKQF, f.name, p], check=True)
        finally:
            os.unlink(f.name)
        os.chmod(p, mode)
        return p

    def raw(self, queue, data, mode=0o700, name=None):
        p = self.path(queue, name)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
        return p


def message(sender=b"s@x.example", rcpts=(b"r@dest.example",), env=(),
            extra=(), content=(b"Subject: hi", b"", b"body"), t=NOW - 60):
    """A cleanup-format description with a correct size record."""
    lines = ["size auto %d" % len(rcpts), "T %d 0" % t]
    lines += ["A " + esc(a) for a in env]
    lines.append("S " + esc(sender) if sender else "S")
    lines += ["R " + esc(r) for r in rcpts]
    lines.append("M")
    lines += ["N " + esc(c) if c else "N" for c in content]
    lines.append("X")
    lines += ["A " + esc(a) for a in extra]
    lines.append("E")
    return "\n".join(lines) + "\n"


def limit_plain():
    resource.setrlimit(resource.RLIMIT_AS, (BOUND_AS, BOUND_AS))


def as_root(spool):
    """--user root for the spools that are root's (most of them), not for
    those given to another owner."""
    return AS_ROOT if os.stat(spool.dir).st_uid == 0 else []


def run(binary, spool, args, bounded):
    start = time.monotonic()
    try:
        res = subprocess.run([binary, *as_root(spool), "--queue-dir", spool.dir, "--now", str(NOW)]
                             + args, capture_output=True, timeout=BOUND_SECONDS,
                             preexec_fn=limit_plain if bounded else None)
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % BOUND_SECONDS, 0
    return res, None, time.monotonic() - start


def check(name, spool, scan=None, expect=None, args=("--top", "0")):
    """Run both builds; scan: expected counters; expect(got) -> list of
    problems, for the checks that need the decoded output."""
    for label, binary, bounded in (("asan+ubsan", PFQMON_SAN, False),
                                   ("bounded", PFQMON, True)):
        res, err, secs = run(binary, spool, list(args), bounded)
        tag = "%s [%s]" % (name, label)
        if res is None:
            tap(False, tag + ": finishes", err)
            continue
        if res.returncode != 0:
            tap(False, tag + ": exit status 0", res.stderr.decode(errors="replace"))
            continue
        out = res.stdout
        bad = [c for c in set(out) if (c < 0x20 and c != 0x0A) or c == 0x7F]
        try:
            got = pm.decode(out, LPCHECK)
        except ValueError as e:
            tap(False, tag + ": output is valid line protocol", str(e))
            continue
        problems = []
        if bad:
            problems.append("raw control bytes in output: %r" % bad)
        s = got.get(("postfix_queue_scan", (("source", "spool"),)), {})
        for k, v in (scan or {}).items():
            if s.get(k) != v:
                problems.append("scan %s: expected %s, got %s" % (k, v, s.get(k)))
        if s:
            parts = sum(s[k] for k in ("parsed", "skipped", "vanished", "unparseable",
                                       "ignored", "duplicates", "errors"))
            if parts != s["files"]:
                problems.append("scan counters do not add up to files: %s" % s)
        if expect:
            problems += expect(got)
        tap(not problems, tag, "\n".join(problems))
        if binary == PFQMON_SAN and s:
            check_select(name, spool, got)
            check_top_json(name, spool, got)


ALL_QUEUES = ["--queue", "maildrop", "--queue", "incoming", "--queue", "active",
              "--queue", "deferred", "--queue", "hold"]


def check_select(name, spool, got):
    """select over every mail queue: each counted message once, as an ID."""
    tag = "%s [select, asan+ubsan]" % name
    try:
        res = subprocess.run([PFQMON_SAN, "select", *as_root(spool), "--queue-dir", spool.dir]
                             + ALL_QUEUES, capture_output=True, timeout=BOUND_SECONDS)
    except subprocess.TimeoutExpired:
        tap(False, tag + ": finishes")
        return
    ids = res.stdout.split(b"\n")[:-1] if res.stdout else []
    total = got[("postfix_queue_total", ())]["length"]
    problems = []
    if res.returncode != 0:
        problems.append("exit %d: %s" % (res.returncode, res.stderr[:300]))
    if any(not re.fullmatch(rb"[A-Za-z0-9_]{1,255}", i) for i in ids):
        problems.append("not a queue ID: %r" % [i for i in ids if not
                        re.fullmatch(rb"[A-Za-z0-9_]{1,255}", i)][:3])
    if len(ids) != len(set(ids)) or len(ids) != total:
        problems.append("%d IDs (%d distinct), the report counts %d"
                        % (len(ids), len(set(ids)), total))
    tap(not problems, tag, "\n".join(problems))


def check_top_json(name, spool, got):
    """top's JSON: what jansson writes whole, with the report's total."""
    tag = "%s [top --format json, asan+ubsan]" % name
    try:
        res = subprocess.run([PFQMON_SAN, "top", "--rows", "0", "--format", "json",
                              *as_root(spool), "--queue-dir", spool.dir, "--now", str(NOW)],
                             capture_output=True, timeout=BOUND_SECONDS)
    except subprocess.TimeoutExpired:
        tap(False, tag + ": finishes")
        return
    problems = []
    if res.returncode != 0:
        problems.append("exit %d: %s" % (res.returncode, res.stderr[:300]))
    with tempfile.NamedTemporaryFile("wb") as f:
        f.write(res.stdout)
        f.flush()
        chk = subprocess.run([JSONCHECK, "--pretty", f.name], capture_output=True)
    if chk.returncode != 0:
        problems.append(chk.stderr.decode(errors="replace"))
    else:
        total = json.loads(res.stdout)["total"]["length"]
        if total != got[("postfix_queue_total", ())]["length"]:
            problems.append("total %d, the report's %d"
                            % (total, got[("postfix_queue_total", ())]["length"]))
    tap(not problems, tag, "\n".join(problems))


def peak_rss_kib(args):
    """(exit status, output, peak RSS in KiB) of one plain run. GNU time,
    a small C parent, measures it: wait4() from Python would report
    Python's own size for a small program."""
    with tempfile.NamedTemporaryFile("r") as rss:
        res = subprocess.run([GNU_TIME, "-q", "-f", "%M", "-o", rss.name, PFQMON]
                             + args, capture_output=True, timeout=BOUND_SECONDS)
        return res.returncode, res.stdout, int(rss.read().split()[-1])


def series(got, meas, tag, value):
    return got.get((meas, ((tag, value),)))


# ---------------------------------------------------------------- cases

# Senders, SASL names and client addresses an attacker controls (also
# the Prometheus checks' hostile spool, tests/prometheus/check.py).
HOSTILE_VALUES = [
    b'"odd \\"user\\" x\\\\y"@weird.test',   # quoted-pair, internal form
    b'odd "user" x\\y@weird.test',
    b'"a,b=c d"@weird.test', b"a,b=c d@weird.test",
    b"j\xc3\xbcrgen@m\xc3\xbcller.test", b"\xe6\x97\xa5\xe6\x9c\xac@example.jp",
    b"bad\xff\xfeutf8@x.test", b"over\xc0\xaflong@x.test",
    b"new\nline@x.test", b"cr\rlf\r\n@x.test", b"tab\there@x.test",
    b"nul\x00byte@x.test", b"esc\x1b[31m@x.test", b"c1\xc2\x85ctl@x.test",
    b"trailing@back.slash\\", b"#comment@x.test", b"   @x.test",
    b"x" * 3000 + b"@long.example", b"\\", b"=", b",", b" ",
    b"MixedCase@Example.COM", b"line proto\\ escape\\,x\\=y@x.test",
    b'quote"} 1\nfake_metric{a="b', b'back\\"quote@x.test',
]


def hostile_identities_spool(root):
    """A deferred message per hostile value, as sender, recipient, SASL
    login and client address."""
    sp = Spool(root)
    for v in HOSTILE_VALUES:
        sp.qf("deferred", message(sender=v, rcpts=(v, b"r@" + v),
                                  env=[b"sasl_username=" + v,
                                       b"log_client_address=" + v]))
    return sp


def case_hostile_identities(root):
    """Senders, SASL names and client addresses an attacker controls."""
    values = HOSTILE_VALUES
    sp = hostile_identities_spool(root)

    def expect(got):
        problems = []
        for v in values:
            for meas, tagk, key in (
                    ("postfix_queue_sender", "sender", pm.sender_key(v)),
                    ("postfix_queue_sasl", "sasl_username", pm.clean(v)),
                    ("postfix_queue_client", "client_address", pm.client_key(v)),
                    ("postfix_queue_sender_domain", "domain", pm.domain_key(v))):
                row = series(got, meas, tagk, key)
                if row is None or row["length"] < 1:
                    problems.append("%s %s=%r missing" % (meas, tagk, key))
        exp = pm.expected([{"queue": "deferred", "sender": v, "arrival": NOW - 60,
                            "size": 0, "recipients": [v, b"r@" + v], "sasl": v,
                            "client": v} for v in values], NOW)
        for k in exp:
            if k[0] == "postfix_queue_scan":
                continue
            g = got.get(k)
            if g is None or any(g.get(f) != x for f, x in exp[k].items()
                                if f not in ("size",)):
                problems.append("%s: expected %s, got %s" % (k, exp[k], g))
        return problems
    check("hostile identities are escaped, cleaned and counted", sp,
          scan={"files": len(values), "parsed": len(values)}, expect=expect)
    return sp


def case_client_addresses(root):
    """Client addresses in every form a queue file may hold: Postfix's
    "IPv6:" tag in any case, non-canonical and mapped IPv6, and junk
    that only looks like an address. The tag is the bare address, one
    row per address; select --client finds each by the same rules."""
    values = [
        b"IPv6:2001:db8::25", b"IPV6:2001:DB8:0::25", b"ipv6:2001:0db8:0:0:0:0:0:25",
        b"2001:db8::25", b"IPv6:2001:db8::26", b"IPv6:::ffff:192.0.2.9",
        b"::ffff:c000:209", b"192.0.2.9", b"IPv6:::1.2.3.4", b"IPv6:::1",
        b"IPv6:fe80::1%eth0", b"fe80::1%25eth0", b"IPv6:192.0.2.1", b"IPv6:",
        b"IPv6:IPv6:::1", b"[IPv6:2001:db8::25]", b"IPv6: 2001:db8::25",
        b"IPv6:2001:db8::25\n", b"IPv6:2001:db8::25\x00junk", b"IPv6:" + b"0" * 60 + b"::1",
        b"IPv6:" + b"1:" * 2000 + b"1", b"192.0.2.01", b"IPv6:\xff\xfe::1",
    ]
    sp = Spool(root)
    msgs = []
    for i, v in enumerate(values):
        path = sp.qf("deferred", message(sender=b"c%d@x.test" % i,
                                         env=[b"log_client_address=" + v]))
        msgs.append({"id": os.path.basename(path), "queue": "deferred", "sender": b"c%d@x.test" % i,
                     "arrival": NOW - 60, "size": 0, "recipients": [b"r@dest.example"],
                     "sasl": None, "client": v})

    def expect(got):
        problems = []
        rows = {k[1][0][1]: g["length"] for k, g in got.items()
                if k[0] == "postfix_queue_client"}
        want = {}
        for v in values:
            want[pm.client_key(v)] = want.get(pm.client_key(v), 0) + 1
        if rows != want:
            problems.append("client rows %s, want %s" % (sorted(rows.items()),
                                                          sorted(want.items())))
        for k in ("2001:db8::25", "192.0.2.9", "::1.2.3.4"):
            if k not in rows:
                problems.append("no row %s" % k)
        if any(k.lower().startswith("ipv6:") and pm.client_key(k.encode()) != pm.clean(k.encode())
               for k in rows):
            problems.append("an address row kept its IPv6: tag: %s" % sorted(rows))
        return problems
    check("client addresses in every form are keyed by the bare address", sp,
          scan={"files": len(values), "parsed": len(values)}, expect=expect)

    for args in (["--client", "2001:db8::25"], ["--client", "IPv6:2001:DB8::25"],
                 ["--client", "[IPv6:2001:db8::]/32"], ["--client", "::/0"],
                 ["--client", "0.0.0.0/0"], ["--client", "192.0.2.9"],
                 ["--client", "::ffff:192.0.2.0/120"], ["--client", "::/96"],
                 ["--client", "::1", "--client", "192.0.2.1"]):
        want = selectoracle.select(msgs, args, NOW)
        res = subprocess.run([PFQMON_SAN, "select", *as_root(sp), "--queue-dir", sp.dir] + args,
                             capture_output=True, timeout=BOUND_SECONDS)
        got = set(res.stdout.decode(errors="replace").split())
        tap(res.returncode == 0 and got == want and not res.stderr,
            "client addresses in every form: select %s picks the oracle's %d messages"
            % (" ".join(args), len(want)),
            "exit %d, want %s, got %s %s" % (res.returncode, sorted(want), sorted(got),
                                             res.stderr[:300]))
    return sp


def case_truncations(root):
    """Every truncation of a real queue file."""
    data = open(FIX + "/spool/deferred/6/6C670A763CD", "rb").read()
    sp = first = Spool(root)
    for n in range(len(data)):
        sp.raw("deferred", data[:n])
    check("every truncation of 6C670A763CD is unparseable", sp,
          scan={"files": len(data), "parsed": 0, "unparseable": len(data)},
          expect=lambda g: [] if g[("postfix_queue_total", ())]["length"] == 0
          else ["truncated files were counted as messages"])

    # The milter-edited file: its fast path needs bytes up to offset 1379
    # (the pointer at 1362 that returns from the replaced sender at 1332;
    # postcat-all.txt), and never the replaced body after that. So the
    # 37 truncations from 1379 on still parse, as qmgr would read them.
    data = open(FIX + "/spool/deferred/7/7B5F8A761E3", "rb").read()
    sp = Spool(root)
    for n in range(len(data)):
        sp.raw("deferred", data[:n])
    parsed = len(data) - 1379

    def milter(got):
        row = series(got, "postfix_queue_sender", "sender",
                     "milter-sender@remote.example")
        if parsed and (row is None or row["length"] != parsed):
            return ["parsed truncations lost the milter's sender: %s" % row]
        return []
    check("truncations of the milter-edited 7B5F8A761E3", sp,
          scan={"files": len(data), "parsed": parsed,
                "unparseable": len(data) - parsed}, expect=milter)
    return first, sp


def case_broken_records(root):
    sp = Spool(root)
    bad = [
        # absurd lengths: five length bytes; 2^28-1; one byte past the end
        "size 0 0 0\nT 1 0\nhdr S ff ff ff ff 01\n",
        "size 0 0 0\nT 1 0\nhdr S ff ff ff 7f\nraw 41 42\n",
        "size 0 0 0\nT 1 0\nhdr S 05\nraw 61 40 62 63\n",
        # the largest five-byte length (2^35 - 1), and a sixth length byte
        "size 0 0 0\nT 1 0\nhdr S ff ff ff ff 7f\nraw 41\n",
        "size 0 0 0\nT 1 0\nhdr S ff ff ff ff ff 01\nraw 41\n",
        # pointer loops: to itself, a cycle, past the end, into the middle
        ":top\nsize 0 0 0\nT 1 0\n:self\nptr self\nS s@x\nE\n",
        "size 0 0 0\nT 1 0\nS s@x\n:a\nR r@x\nptr a\nM\nX\nE\n",
        "size 0 0 0\nT 1 0\nptr 99999999\n",
        "size 0 0 0\nT 1 0\nptr 3\nS s@x\nM\nX\nE\n",
        # one pointer too many
        "size 0 0 0\nT 1 0\nS s@x\nrepeat 10001 ptr next\nR r@x\nM\nX\nE\n",
        # unknown type, type 0, records in the wrong segment
        "size 0 0 0\nT 1 0\nS s@x\nQ what\nM\nX\nE\n",
        "size 0 0 0\nT 1 0\nS s@x\nraw 00 00\nM\nX\nE\n",
        "size 0 0 0\nT 1 0\nS s@x\nM\nX\nS late@x\nE\n",
        "size 0 0 0\nT 1 0\nS s@x\nM\nR in-content@x\nX\nE\n",
        "size 0 0 0\nT 1 0\nS s@x\nE\n",
        # missing records
        "size 0 0 0\nT 1 0\nS s@x\nR r@x\nM\nX\n",
        "size 0 0 0\nT 1 0\nR r@x\nM\nX\nE\n",
        "size 0 0 0\nS s@x\nR r@x\nM\nX\nE\n",
        "size 0 0 0\nT not-a-time\nS s@x\nM\nX\nE\n",
        # a size record whose offsets point anywhere but at X
        "size 5 2 1\nT 1 0\nS s@x\nR r@x\nM\nQ hidden\nX\nE\n",
    ]
    for d in bad:
        sp.qf("deferred", d)
    sp.raw("deferred", b"")                       # zero bytes, complete
    sp.raw("deferred", b"\x00" * 4096)
    sp.raw("deferred", os.urandom(8192))
    check("broken records and pointer loops are unparseable", sp,
          scan={"files": len(bad) + 3, "parsed": 0, "unparseable": len(bad) + 3})
    broken = sp

    sp = Spool(root)
    ok = [
        # exactly the jump limit
        "size 0 0 0\nT 1 0\nS s@x\nrepeat 10000 ptr next\nR r@x\nM\nX\nE\n",
        # wrong size record, readable content: walked instead of skipped
        "size 3 2 1\nT 1 0\nS s@x\nR r@x\nM\nN line\nX\nE\n",
        # a size record whose content offset is far past the end of file
        "size 10 99999999 1\nT 1 0\nS s@x\nR r@x\nM\nN line\nX\nE\n",
        # size record with letters in it, and none at all
        "C abc\nT 1 0\nS s@x\nR r@x\nM\nX\nE\n",
        "T 1 0\nS s@x\nR r@x\nM\nX\nE\n",
        # first sender wins, later ones are ignored; no recipients at all
        "size auto\nT 1 0\nS first@x\nS second@x\nM\nX\nE\n",
        # padding and placeholder pointers everywhere
        "size auto\nw\nT 1 0\nptr 0\nS s@x\nw xx\nR r@x\nM\nw\nN a\nptr 0\nX\nw\nE\n",
    ]
    for d in ok:
        sp.qf("deferred", d)
    check("unusual but valid files are parsed", sp,
          scan={"files": len(ok), "parsed": len(ok)})
    return broken, sp


def case_flipped_bytes(root):
    """Every sample file with random bytes flipped (a fixed seed, so a
    failure can be replayed): parsed or unparseable, nothing else."""
    rng = random.Random(9)
    sp = Spool(root)
    samples = []
    for base, _, files in os.walk(FIX + "/spool"):
        if "/defer" in base and "/deferred" not in base:
            continue            # defer logs, not queue files
        samples += [os.path.join(base, f) for f in files]
    n = 0
    for path in sorted(samples):
        data = open(path, "rb").read()
        for _ in range(250):
            b = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(b))
                b[i] ^= 1 << rng.randrange(8) if rng.random() < 0.7 else rng.randrange(1, 256)
            sp.raw("deferred", bytes(b))
            n += 1

    def adds_up(got):
        s = got[("postfix_queue_scan", (("source", "spool"),))]
        return [] if s["parsed"] + s["unparseable"] == n and s["parsed"] > 0 \
            and s["unparseable"] > 0 else ["%d files: %s" % (n, s)]
    check("%d sample files with flipped bytes" % n, sp,
          scan={"files": n, "errors": 0}, expect=adds_up)
    return sp


def case_unreadable_files(root):
    """A queue owned by nobody: pfqmon becomes nobody, and a file it then
    cannot read is an error while the scan goes on. Not as root, the
    queue is the user's own, and so is the file (mode --x: complete by
    Postfix's rule, but not readable)."""
    sp = Spool(root)
    for i in range(3):
        sp.qf("deferred", message())
    locked = sp.qf("deferred", message())
    if os.geteuid() == 0:
        pw = pwd.getpwnam("nobody")
        for base, dirs, files in os.walk(sp.dir):
            for x in dirs + files:
                os.chown(os.path.join(base, x), pw.pw_uid, pw.pw_gid)
        os.chown(sp.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(sp.dir, 0o755)
        os.chown(locked, 0, 0)
        os.chmod(locked, 0o700)
    else:
        os.chmod(locked, 0o100)
    check("a file the queue owner cannot read is an error; the rest is counted",
          sp, scan={"files": 4, "parsed": 3, "errors": 1})


def case_valgrind(root, spools):
    """The hostile spools once more under valgrind: no error, no leak."""
    if shutil.which("valgrind") is None:
        tap(False, "valgrind is not installed")
        return
    for name, sp in spools:
        for cmd in ([PFQMON, *as_root(sp), "--queue-dir", sp.dir, "--top", "0"],
                    [PFQMON, "select", *as_root(sp), "--queue-dir", sp.dir] + ALL_QUEUES):
            res = subprocess.run(["valgrind", "-q", "--vgdb=no", "--error-exitcode=9",
                                  "--leak-check=full", "--errors-for-leak-kinds=all"]
                                 + cmd, capture_output=True, timeout=600)
            # "--PID--" lines are valgrind's own notes (Landlock's calls);
            # select's own warning about unreadable files is expected.
            errs = [l for l in res.stderr.decode(errors="replace").splitlines()
                    if not re.match(r"--\d+-- |pfqmon: \d+ of the queue files", l)]
            tap(res.returncode == 0 and not errs,
                "%s%s [valgrind]: no errors, no leaks" % (name, " (select)" if
                                                           "select" in cmd else ""),
                ["exit %d" % res.returncode] + errs[:20])


def case_special_files(root):
    sp = Spool(root)
    os.makedirs(os.path.join(sp.dir, "active"))
    os.symlink("/etc/passwd", sp.path("active", "ABCDEF0001"))
    os.mkfifo(sp.path("active", "ABCDEF0002"))       # must not block
    os.makedirs(sp.path("active", "ABCDEF0003"))
    s = socket.socket(socket.AF_UNIX)
    s.bind(sp.path("active", "ABCDEF0004"))
    sp.raw("incoming", b"", mode=0o700)               # zero bytes, complete
    sp.raw("incoming", b"", mode=0o600)               # being written
    sp.qf("incoming", message(), mode=0o600)          # being written
    sp.qf("hold", message(), mode=0o644)
    sp.raw("incoming", b"x", name="12345.67890")       # temporary name
    sp.raw("incoming", b"x", name="ABC#FIX")
    d = os.path.join(sp.dir, "deferred", *"ABCDEFGHIJKLMNOPQ")  # depth 17
    os.makedirs(d)
    with open(os.path.join(d, "ABCDEF0005"), "wb") as f:
        f.write(b"never reached")
    try:
        check("symlinks, FIFOs, sockets, directories and odd names are ignored",
              sp, scan={"files": 11, "parsed": 0, "ignored": 7,
                        "unparseable": 1, "skipped": 3})
    finally:
        s.close()

    sp = Spool(root)
    os.makedirs(os.path.join(sp.dir, "incoming"))
    for i in range(10000):
        open(os.path.join(sp.dir, "incoming", "x%d.tmp" % i), "w").close()
    sp.qf("incoming", message())
    check("a 10,000-entry directory of invalid names", sp,
          scan={"files": 10001, "parsed": 1, "ignored": 10000})


def case_huge(root):
    mib = 1 << 20
    sp = Spool(root)
    big_sender = b"a" * mib + b"@big.example"
    sp.qf("deferred", message(sender=big_sender))
    sp.qf("deferred", message(env=[b"sasl_username=" + b"u" * mib]))
    sp.qf("deferred", message(content=[b"z" * mib, b"y" * (3 * mib)]))
    sp.qf("deferred", message(rcpts=[b"r" * mib + b"@big.example"]))
    sp.qf("deferred", "size auto\nT 1 0\nS s@x\nfill O 1048576 o\nR r@x\n"
          "fill w 1048576 w\nM\nX\nfill A 1048576 a\nE\n")

    def expect(got):
        key = pm.sender_key(big_sender[:4096])
        row = series(got, "postfix_queue_sender", "sender", key)
        return [] if row and len(key.encode()) == 512 else \
            ["1 MiB sender not reported as its 512-byte prefix"]
    check("1 MiB records are read only as far as needed", sp,
          scan={"files": 5, "parsed": 5}, expect=expect)

    sp = Spool(root)
    n = 50000
    desc = ["size auto %d" % n, "T 1 0", "S bulk@spam.example"]
    desc += ["R r%d@d%d.example" % (i, i) for i in range(n)]
    desc += ["M", "X", "E"]
    sp.qf("deferred", "\n".join(desc) + "\n")

    def many(got):
        rows = [k for k in got if k[0] == "postfix_queue_recipient_domain"]
        other = got.get(("postfix_queue_recipient_domain", (("domain", "(other)"),)))
        total = got[("postfix_queue_total", ())]
        problems = []
        if len(rows) != 21 or other is None or other["recipients"] != n - 20:
            problems.append("--top 20 must give 20 rows and (other): %d rows, %s"
                            % (len(rows), other))
        if total["recipients"] != n:
            problems.append("total recipients %s" % total["recipients"])
        return problems
    check("50,000 recipients in 50,000 domains", sp,
          scan={"parsed": 1}, expect=many, args=("--top", "20"))


def case_top_json_memory(root):
    """top --rows 0 --format json writes its document as it makes it.
    Built whole (a jansson tree, then its text) it needed 7 times the
    table's memory for these 100,000 rows: 213 MiB against 30; now both
    need about 22. The bound is generous: the table's peak and half as
    much again, plus 16 MiB."""
    name = "top --rows 0 --format json: peak RSS within 1.5 x the table's + 16 MiB"
    if not os.access(GNU_TIME, os.X_OK):
        tap(False, name + ": GNU time is not installed (apt-get install time)")
        return
    sp = Spool(root)
    files, per_file = 5, 20000
    for f in range(files):
        desc = ["size auto %d" % per_file, "T %d 0" % (NOW - 60),
                "S bulk%d@spam.example" % f]
        desc += ["R r@d%d-%d.example" % (f, i) for i in range(per_file)]
        desc += ["M", "X", "E"]
        sp.qf("deferred", "\n".join(desc) + "\n")
    args = ["top", "--rows", "0", *as_root(sp), "--queue-dir", sp.dir, "--now", str(NOW)]
    rc_t, _, table = peak_rss_kib(args)
    rc_j, out, js = peak_rss_kib(args + ["--format", "json"])
    rows = len(json.loads(out)["recipient_domains"]["rows"]) if rc_j == 0 else 0
    bound = table * 3 // 2 + 16 * 1024
    tap(rc_t == 0 and rows == files * per_file and js <= bound, name,
        "exit %d and %d, %d rows; peak RSS: JSON %d KiB, table %d KiB, bound %d KiB"
        % (rc_t, rc_j, rows, js, table, bound))


def case_queues(root):
    sp = Spool(root)
    # postdrop's format, and one without T (its mtime is the arrival)
    sp.qf("maildrop", "T %d 0\nA rewrite_context=local\nF root\nS root@host\n"
          "R a@dest.example\nM\nN hi\nX\nR b@dest.example\nE\n" % (NOW - 30),
          mode=0o744)
    p = sp.qf("maildrop", "S old@host\nR a@dest.example\nM\nX\nE\n", mode=0o744)
    os.utime(p, (NOW - 3600, NOW - 3600))
    # an unparseable file in the corrupt queue still counts there
    sp.raw("corrupt", b"garbage", mode=0o400)
    sp.qf("corrupt", message())

    def expect(got):
        md = got[("postfix_queue", (("queue", "maildrop"),))]
        cq = got[("postfix_queue", (("queue", "corrupt"),))]
        total = got[("postfix_queue_total", ())]
        problems = []
        if md["length"] != 2 or md["recipients"] != 3 or md["age"] != 3600:
            problems.append("maildrop: %s" % md)
        if cq["length"] != 2:
            problems.append("corrupt: %s" % cq)
        if total["length"] != 2:
            problems.append("total must not include corrupt: %s" % total)
        return problems
    check("maildrop and corrupt queues", sp,
          scan={"files": 4, "parsed": 3, "unparseable": 1}, expect=expect)


def case_unreadable_queue(root):
    """A queue directory that cannot be opened is an error, not zero."""
    sp = Spool(root)
    os.makedirs(os.path.join(sp.dir, "deferred"))
    os.symlink("/nonexistent", os.path.join(sp.dir, "active"))
    res, err, _ = run(PFQMON, sp, [], True)
    ok = res is not None and res.returncode == 1 and not res.stdout \
        and b"active" in res.stderr
    tap(ok, "a queue directory that is a symlink is refused with exit 1",
        err or (res and res.stderr))
    empty = Spool(root)
    for q in ("maildrop", "incoming", "active", "deferred", "hold"):
        os.makedirs(os.path.join(empty.dir, q))
    res, err, _ = run(PFQMON, empty, [], True)
    tap(res is not None and res.returncode == 0
        and b"postfix_queue_total length=0i" in res.stdout,
        "empty queues give zeros and exit 0", err or (res and res.stderr))
    for what, make in (("an empty directory", lambda d: None),
                       ("a directory of other things (as /var/spool or /etc)",
                        lambda d: [os.makedirs(os.path.join(d, x)) for x in
                                   ("mail", "cron", "postfix", "defer", "corrupt")])):
        sp = Spool(root)
        make(sp.dir)
        res, err, _ = run(PFQMON, sp, [], True)
        tap(res is not None and res.returncode == 1 and not res.stdout
            and b"not a Postfix queue directory" in res.stderr,
            "%s is not a queue: exit 1, nothing printed" % what,
            err or (res and res.stderr))


def case_syscall_faults(root):
    """The races and I/O errors of a live spool, made deterministic with
    strace's fault injection on one file or directory by name."""
    if shutil.which("strace") is None:
        tap(False, "strace is not installed: syscall fault injection impossible")
        return
    if subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "true"],
                      capture_output=True).returncode != 0:
        # Some containers forbid ptrace: say so instead of pretending.
        tap(True, "syscall fault injection # SKIP strace cannot trace here")
        return
    sp = Spool(root)
    qf = message()
    sp.qf("deferred", qf, name="AAAAAA00001")
    sp.qf("deferred", qf, name="AAAAAA00002")
    os.makedirs(os.path.join(sp.dir, "active", "C"))
    cfile = sp.qf("active/C", qf, name="CCCCCC00001")
    faults = [
        # (what, strace arguments, expected scan counters, total length)
        ("a file deleted between readdir and open is vanished",
         ["-P", "AAAAAA00001", "-e", "trace=openat", "-e", "inject=openat:error=ENOENT"],
         {"files": 3, "parsed": 2, "vanished": 1, "errors": 0}, 2),
        ("a hash directory removed between readdir and open is no error",
         ["-P", "C", "-e", "trace=openat", "-e", "inject=openat:error=ENOENT"],
         {"files": 2, "parsed": 2, "vanished": 0, "errors": 0}, 2),
        ("a file that cannot be opened is an error, and the scan goes on",
         ["-P", "AAAAAA00002", "-e", "trace=openat", "-e", "inject=openat:error=EACCES"],
         {"files": 3, "parsed": 2, "errors": 1}, 2),
        ("a read error is an error, and the scan goes on",
         # fd-based calls match by the resolved, absolute path
         ["-P", cfile, "-e", "trace=pread64", "-e", "inject=pread64:error=EIO"],
         {"files": 3, "parsed": 2, "errors": 1}, 2),
    ]
    for what, sargs, scan, length in faults:
        res = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null"] + sargs
                             + [PFQMON, *as_root(sp), "--queue-dir", sp.dir], capture_output=True,
                             timeout=BOUND_SECONDS)
        problems = []
        if res.returncode != 0:
            problems.append("exit %d: %s" % (res.returncode, res.stderr[:300]))
        else:
            try:
                got = pm.decode(res.stdout, LPCHECK)
            except ValueError as e:
                tap(False, what + ": output is valid line protocol", str(e))
                continue
            s = got[("postfix_queue_scan", (("source", "spool"),))]
            for k, v in scan.items():
                if s[k] != v:
                    problems.append("scan %s: expected %d, got %d" % (k, v, s[k]))
            if got[("postfix_queue_total", ())]["length"] != length:
                problems.append("total length %s" % got[("postfix_queue_total", ())])
        tap(not problems, what, "\n".join(problems))


# The cases whose spools case_valgrind runs again, and their names there.
SPOOLS = ((case_hostile_identities, ["hostile identities"]),
          (case_client_addresses, ["client addresses"]),
          (case_truncations, ["truncations of 6C670A763CD", "truncations of 7B5F8A761E3"]),
          (case_broken_records, ["broken records", "unusual but valid"]),
          (case_flipped_bytes, ["flipped bytes"]))


def guarded(case, root, results=0, name=None):
    """Run one case; a harness error in it is one failure, and the other
    cases still run. results: how many spools the case returns (None for
    each when it failed)."""
    try:
        return case(root)
    except Exception as e:
        tap(False, "%s: harness error: %s: %s" % (name or case.__name__,
                                                  type(e).__name__, e),
            traceback.format_exc().splitlines()[-12:])
        return (None,) * results if results > 1 else None


def main():
    picked = cases(*(c for c, _ in SPOOLS), case_special_files, case_huge,
                   case_top_json_memory, case_queues, case_unreadable_queue,
                   case_unreadable_files, case_syscall_faults, case_valgrind)
    if case_valgrind in picked:         # it needs their spools: -k valgrind runs them too
        picked = [c for c, _ in SPOOLS if c not in picked] + picked
    root = tempfile.mkdtemp(prefix="pfqmon-hostile.")
    try:
        spools = []
        for case in picked:
            if case is case_valgrind:
                guarded(lambda r: case_valgrind(r, [(n, sp) for n, sp in spools if sp]),
                        root, name="case_valgrind")
                continue
            names = dict(SPOOLS).get(case)
            made = guarded(case, root, len(names) if names else 0)
            if names:
                spools += zip(names, made if len(names) > 1 else [made])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
