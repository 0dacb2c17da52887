#!/usr/bin/python3
"""test_agent.py - pfqmon as an agent: interval, push, execd, configuration.

Against a private InfluxDB 1.x (harness.py), on the Postfix sample spool:
  - interval + push for several scans: every scan's points arrive, with
    the scan's aligned time as their timestamp;
  - InfluxDB stopped for several scans and started again: every scan
    arrives afterwards; with a buffer too small for the outage, exactly
    the oldest scans are dropped and pfqmon reports how many;
  - rejected writes (a database that does not exist: 404; a field type
    conflict: 400 partial write) are reported with the server's words
    and not retried;
  - execd mode driven through a pipe as Telegraf drives it;
  - configuration files: each wrong key, type or value is one line
    naming the key and its line, exit 2; the command line wins; SIGHUP
    reloads, and a broken file keeps the previous settings.
A scripted HTTP server (in this process) stands in only for what
InfluxDB 1.6 cannot produce: the 2.x write API with a token, 429 and 503
with Retry-After, and a TLS certificate to verify or refuse.
"""

import base64
import gzip
import http.server
import json
import os
import select
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, LPCHECK, GEN  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import fixtures  # noqa: E402
import harness  # noqa: E402
import pfqmetrics as pm  # noqa: E402

ROOT = tempfile.mkdtemp(prefix="pfqmon-agent.")
SPOOL = fixtures.restore_spool(os.path.join(ROOT, "spool"))


def wait_until(cond, timeout, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


class Agent:
    """pfqmon running in the background, stopped by its PID."""

    def __init__(self, args, env=None):
        # Appending: pfqmon shares the files' offset, which stderr() moves.
        n = time.monotonic_ns()
        self.out = open(os.path.join(ROOT, "out.%d" % n), "a+b")
        self.err = open(os.path.join(ROOT, "err.%d" % n), "a+b")
        self.proc = subprocess.Popen([PFQMON] + args, stdout=self.out,
                                     stderr=self.err, env=env)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode("utf-8", "replace")

    def stdout(self):
        self.out.seek(0)
        return self.out.read()

    def scans(self):
        """Timestamps (ns) of the scans it logged (-v)."""
        out = set()
        for line in self.stderr().splitlines():
            if "pfqmon: scan at " in line:
                sec = line.split("scan at ")[1].split()[0]
                out.add(int(round(float(sec) * 1000)) * 1000000)
        return out


def arrived(influx, db, host):
    return {row[0] for row in influx.points(
        db, "SELECT \"length\" FROM postfix_queue_total WHERE host = '%s'" % host)}


def test_interval_push(influx, url):
    """Interval + push, configured by a file: every point of every scan."""
    cfg = os.path.join(ROOT, "interval.json")
    with open(cfg, "w") as f:
        json.dump({"queue_dir": SPOOL, "interval": "1s", "push": url,
                   "push_db": "agent", "tag": {"host": "agent-a"},
                   "verbose": True, "top": 5, **fixtures.AS_ROOT_KEYS}, f)
    influx.query("CREATE DATABASE agent")
    a = Agent(["--config", cfg])
    wait_until(lambda: len(a.scans()) >= 4, 15)
    rc = a.stop()
    scans = a.scans()
    got = arrived(influx, "agent", "agent-a")
    tap(rc == 0 and len(scans) >= 4,
        "agent: --interval 1s runs and exits 0 on SIGTERM (%d scans)" % len(scans),
        [a.stderr()[-500:]])
    tap(got == scans and all(t % 1000000000 == 0 for t in got),
        "agent: every scan arrives in InfluxDB, stamped with its aligned time",
        ["scans %s" % sorted(scans), "arrived %s" % sorted(got)])
    one = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", SPOOL, "--top", "5"],
                         capture_output=True).stdout
    per_scan = len(one.splitlines())
    total = 0
    for meas in sorted({l.split(b",")[0].split(b" ")[0].decode() for l in one.splitlines()}):
        total += len(influx.points("agent", "SELECT * FROM \"%s\" WHERE host = 'agent-a'" % meas))
    tap(total == per_scan * len(scans),
        "agent: all %d lines of each scan arrive (%d points)" % (per_scan, total))
    lengths = {row[1] for row in influx.points(
        "agent", "SELECT \"length\" FROM postfix_queue_total WHERE host = 'agent-a'")}
    tap(lengths == {9}, "agent: the pushed counts are the spool's (9 messages)", [lengths])


def test_outage(influx, url):
    """InfluxDB down for several scans: all of them arrive afterwards."""
    influx.query("CREATE DATABASE outage")
    a = Agent([*fixtures.AS_ROOT, "--queue-dir", SPOOL, "--interval", "1s", "--push", url, "--push-db",
               "outage", "--tag", "host=agent-b", "-v", "--push-timeout", "2s"])
    wait_until(lambda: len(arrived(influx, "outage", "agent-b")) >= 2, 15)
    influx.stop()
    n = len(a.scans())
    wait_until(lambda: len(a.scans()) >= n + 4 and "cannot push" in a.stderr(), 30)
    during = a.scans()
    influx.start()
    ok = wait_until(lambda: arrived(influx, "outage", "agent-b") >= during, 40, 0.5)
    rc = a.stop()
    scans, got = a.scans(), arrived(influx, "outage", "agent-b")
    retried = influx.points("outage", "SELECT max(\"push_retried\") FROM postfix_queue_scan "
                            "WHERE host = 'agent-b'")
    err = a.stderr()
    tap(ok and rc == 0 and scans == got and "cannot push" in err
        and "accepts data again" in err and retried and retried[0][1] > 0,
        "agent: after a %d-scan outage every scan arrives once InfluxDB is back "
        "(%d retries)" % (len(during) - 2, retried[0][1] if retried else 0),
        ["missing %s" % sorted(scans - got), err[-800:]])


CORE = (b"postfix_queue ", b"postfix_queue,", b"postfix_queue_total", b"postfix_queue_age",
        b"postfix_queue_scan")


def scan_parts(spool):
    """Bytes of the core lines and of the breakdown rows of one pushed scan
    of spool with every row (timestamps included), and its measurements."""
    out = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", spool, "--top", "0",
                          "--tag", "host=agent-c"], capture_output=True).stdout.splitlines()
    core = sum(len(l) + 21 for l in out if l.startswith(CORE))
    detail = sum(len(l) + 21 for l in out if not l.startswith(CORE))
    return core, detail, len(out), sorted({l.split(b" ")[0].split(b",")[0].decode()
                                           for l in out})


def test_small_buffer(influx, url):
    """A buffer that holds the queue totals of twenty scans but the rows
    of only two (a queue of 300 senders, every row), and an outage of
    about eight scans: breakdown rows of the oldest scans go, every queue
    total arrives, every point is either delivered or counted as dropped,
    and the drops are logged."""
    spool = os.path.join(ROOT, "senders")
    subprocess.run([GEN, "--senders", "300", "--seed", "9", "600", spool], check=True,
                   capture_output=True)
    core, detail, per_scan, measurements = scan_parts(spool)
    size = core * 20 + detail * 2
    influx.query("CREATE DATABASE small")
    a = Agent([*fixtures.AS_ROOT, "--queue-dir", spool, "--top", "0", "--interval", "1s",
               "--push", url, "--push-db", "small", "--tag", "host=agent-c", "-v",
               "--push-buffer-bytes", str(size), "--push-timeout", "2s"])
    wait_until(lambda: len(arrived(influx, "small", "agent-c")) >= 2, 15)
    influx.stop()
    n = len(a.scans())
    wait_until(lambda: len(a.scans()) >= n + 6 and "push buffer full" in a.stderr(), 40)
    influx.start()
    wait_until(lambda: "accepts data again" in a.stderr(), 40, 0.5)
    # Two scans more, and every scan so far delivered (its queue total).
    back = len(a.scans())
    wait_until(lambda: len(a.scans()) >= back + 2
               and a.scans() <= arrived(influx, "small", "agent-c"), 40, 0.5)
    rc = a.stop()
    scans, totals = a.scans(), arrived(influx, "small", "agent-c")
    senders = {row[0] for row in influx.points(
        "small", "SELECT \"length\" FROM postfix_queue_sender WHERE host = 'agent-c'")}
    stored = 0
    for meas in measurements:
        stored += len(influx.points("small", "SELECT * FROM \"%s\" WHERE host = "
                                    "'agent-c'" % meas))
    # The last scan line reports the drops of the scans before it.
    last = max(scans)
    dropped = influx.points("small", "SELECT \"push_dropped\" FROM postfix_queue_scan "
                            "WHERE host = 'agent-c' AND time = %d" % last)
    err = a.stderr()
    logged = sum(int(l.split("dropped ")[1].split()[0])
                 for l in err.splitlines() if "push buffer full" in l)
    lost_rows = sorted(scans - senders)
    problems = []
    if rc != 0:
        problems.append("exit %r" % rc)
    if not lost_rows:
        problems.append("the outage dropped nothing: the test proves nothing")
    if totals != scans:
        problems.append("queue totals lost for %s" % sorted(scans - totals))
    if lost_rows and any(t > min(lost_rows) and t < max(lost_rows) for t in senders):
        problems.append("a newer scan's rows were dropped before an older one's")
    # Every point is stored or counted as dropped. A request that timed out
    # after InfluxDB had stored it (the server restarting under load) is
    # both: at least once, never lost without a number.
    produced = per_scan * len(scans)
    if not dropped or dropped[0][1] != logged or stored + logged < produced \
            or stored > produced:
        problems.append("points: %d stored + %d dropped (logged; reported %s), "
                        "produced %d x %d" % (stored, logged, dropped, per_scan, len(scans)))
    tap(not problems, "agent: a buffer too small for the outage drops the breakdown rows "
        "of the %d oldest scans, keeps every queue total, and counts every point"
        % len(lost_rows), problems + [err[-600:]])


def test_rejected(influx, url):
    """404 and 400: reported with the server's words, dropped, not retried."""
    a = Agent([*fixtures.AS_ROOT, "--queue-dir", SPOOL, "--interval", "1s", "--push", url, "--push-db",
               "nosuchdb", "-v"])
    wait_until(lambda: len(a.scans()) >= 3, 10)
    rc = a.stop()
    err = a.stderr()
    rejected = [l for l in err.splitlines() if "points, which are dropped" in l]
    tap(rc == 0 and len(rejected) == len(a.scans()) and "database not found" in err
        and "retrying" not in err,
        "agent: a database that does not exist (404) is reported once per scan, "
        "never retried", [err[-600:]])
    res = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", SPOOL, "--push", url, "--push-db",
                          "nosuchdb"], capture_output=True, timeout=30)
    tap(res.returncode == 1 and b"database not found" in res.stderr
        and b"not delivered" in res.stderr,
        "agent: one-shot push to a missing database exits 1 and says why",
        [res.stderr.decode()])
    influx.query("CREATE DATABASE conflict")
    influx.write("conflict", b'postfix_queue_total,host=agent-d length="text"\n')
    res = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", SPOOL, "--push", url, "--push-db",
                          "conflict", "--tag", "host=agent-d"], capture_output=True,
                         timeout=30)
    tap(res.returncode == 1 and b"HTTP 400" in res.stderr
        and b"field type conflict" in res.stderr,
        "agent: a 400 (field type conflict) is reported with InfluxDB's message",
        [res.stderr.decode()])


def read_batch(proc, timeout=15):
    """Lines from an execd child until its postfix_queue_scan line."""
    data, end = b"", time.monotonic() + timeout
    while b"\npostfix_queue_scan" not in b"\n" + data or not data.endswith(b"\n"):
        left = end - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            return None
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            return None
        data += chunk
    return data


def test_execd():
    """Telegraf's execd protocol, signal = "STDIN"."""
    bad = os.path.join(SPOOL, "incoming")
    os.makedirs(bad, exist_ok=True)
    with open(os.path.join(bad, "ABCDEF00001"), "wb") as f:
        f.write(b"not a queue file")
    os.chmod(os.path.join(bad, "ABCDEF00001"), 0o700)
    p = subprocess.Popen([PFQMON, "--execd", *fixtures.AS_ROOT, "--queue-dir", SPOOL, "-v"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    batches = []
    for _ in range(3):
        p.stdin.write(b"\n")
        p.stdin.flush()
        batches.append(read_batch(p))
    p.stdin.close()
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    err = p.stderr.read().decode()
    os.unlink(os.path.join(bad, "ABCDEF00001"))
    ok = all(b is not None for b in batches)
    valid = ok and all(pm.decode(b, LPCHECK) for b in batches)
    stamps = ok and any(l.split(b" ")[-1].isdigit() for b in batches for l in b.splitlines())
    tap(ok and valid and not stamps, "execd: one valid batch per newline, flushed at "
        "once, no timestamps (Telegraf stamps them)", [err[-300:]])
    tap(rc == 0, "execd: exits 0 when Telegraf closes stdin")
    lines = [l for l in err.splitlines() if l]
    tap(lines and all(l[:3] in ("I! ", "W! ", "E! ") for l in lines)
        and any("not a valid queue file" in l for l in lines),
        "execd: stderr lines carry Telegraf's level prefixes", lines[:3])
    p = subprocess.Popen([PFQMON, "--execd", *fixtures.AS_ROOT, "--queue-dir", SPOOL],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    # Once a batch is out, pfqmon waits for Telegraf's next newline.
    p.stdin.write(b"\n")
    p.stdin.flush()
    read_batch(p)
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    tap(rc == 0, "execd: exits 0 on SIGTERM while waiting for Telegraf")


CONFIG_ERRORS = [
    ('{\n  "top": 5,\n  "tpo": 3\n}\n', ["line 3 column 3", "unknown key"]),
    ('{\n  "top": "5"\n}\n', ["line 2", 'key "top"', "integer"]),
    ('{\n  "queue_dir": "/q",\n  "interval": "5"\n}\n', ["line 3", 'key "interval"', "duration"]),
    ('{\n  "verbose": 1\n}\n', ["line 2", 'key "verbose"', "true or false"]),
    ('{\n  "tag": {"host": 7}\n}\n', ["line 2", 'key "tag"', "string"]),
    ('{\n  "tag": {"queue": "x"}\n}\n', ["line 2", 'key "tag"', "does not use"]),
    ('{\n  "top": 1,\n  "top": 2\n}\n', ["line 3", "duplicate"]),
    ('{\n  "top": 1,\n  oops\n}\n', ["line 3", "column"]),
    ('[1, 2]\n', ["want a JSON object"]),
    ('{"push": "http://127.0.0.1:9", "push_db": "d", "push_password": "a",'
     ' "push_password_file": "/nonexistent"}\n', ["one way only"]),
    ('{"push": "http://127.0.0.1:9", "push_db": "d", "push_password_file": "/nonexistent"}\n',
     ["push_password_file", "/nonexistent"]),
]


def test_config():
    for i, (text, needles) in enumerate(CONFIG_ERRORS):
        path = os.path.join(ROOT, "bad%d.json" % i)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(text)
        res = subprocess.run([PFQMON, "--config", path], capture_output=True, timeout=10)
        err = res.stderr.decode()
        tap(res.returncode == 2 and len(err.splitlines()) == 1
            and all(n in err for n in needles) and not res.stdout,
            "config: %s -> exit 2, one line naming %s" % (text.replace("\n", " ")[:50],
                                                          ", ".join(needles)), [err])
    res = subprocess.run([PFQMON, "--config", os.path.join(ROOT, "missing.json")],
                         capture_output=True)
    tap(res.returncode == 2 and b"cannot open" in res.stderr,
        "config: a missing file -> exit 2", [res.stderr])
    cfg = os.path.join(ROOT, "top.json")
    with open(cfg, "w") as f:
        json.dump({"queue_dir": SPOOL, "top": 1, **fixtures.AS_ROOT_KEYS}, f)
    out = subprocess.run([PFQMON, "--config", cfg, "--top", "3"], capture_output=True).stdout
    rows = [l for l in out.splitlines() if l.startswith(b"postfix_queue_sender,")]
    tap(len(rows) == 4, "config: the command line wins (--top 3 over \"top\": 1)",
        [len(rows)])


def test_reload():
    """SIGHUP re-reads the file; a broken file keeps the old settings."""
    cfg = os.path.join(ROOT, "reload.json")
    with open(cfg, "w") as f:
        json.dump({"queue_dir": SPOOL, "interval": "1s", "top": 1, **fixtures.AS_ROOT_KEYS}, f)
    a = Agent(["--config", cfg])
    wait_until(lambda: a.stdout().count(b"postfix_queue_scan") >= 2, 10)
    with open(cfg, "w") as f:
        json.dump({"queue_dir": SPOOL, "interval": "1s", "top": 2, **fixtures.AS_ROOT_KEYS}, f)
    a.proc.send_signal(signal.SIGHUP)
    n = a.stdout().count(b"postfix_queue_scan")
    wait_until(lambda: a.stdout().count(b"postfix_queue_scan") >= n + 2, 10)
    with open(cfg, "w") as f:
        f.write('{"queue_dir": ')
    a.proc.send_signal(signal.SIGHUP)
    n = a.stdout().count(b"postfix_queue_scan")
    wait_until(lambda: a.stdout().count(b"postfix_queue_scan") >= n + 2, 10)
    rc = a.stop()
    per_scan, rows = [], 0
    for line in a.stdout().splitlines():
        if line.startswith(b"postfix_queue_sender,"):
            rows += 1
        elif line.startswith(b"postfix_queue_scan"):
            per_scan.append(rows)
            rows = 0
    err = a.stderr()
    tap(rc == 0 and per_scan[0] == 2 and per_scan[-1] == 3 and 3 in per_scan
        and "configuration reloaded" in err and "keeping the previous configuration" in err,
        "config: SIGHUP reloads the file (top 1 -> 2), a broken file keeps the "
        "previous settings", [per_scan, err[-400:]])


class Scripted(http.server.BaseHTTPRequestHandler):
    """Answers POSTs from a script of (status, headers) and records them,
    with the client's port (one port per TCP connection)."""
    protocol_version = "HTTP/1.1"       # keep-alive, as InfluxDB does
    script, seen, ports = [], [], []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Scripted.seen.append((time.monotonic(), self.path, dict(self.headers), body))
        Scripted.ports.append(self.client_address[1])
        status, headers = Scripted.script.pop(0) if Scripted.script else (204, {})
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def serve(tls_ctx=None):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    if tls_ctx:
        srv.socket = tls_ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def test_scripted():
    srv = serve()
    url = "http://127.0.0.1:%d" % srv.server_address[1]
    Scripted.script = [(503, {"Retry-After": "2"}), (429, {"Retry-After": "1"}), (204, {})]
    Scripted.seen = []
    env = dict(os.environ, PFQ_TEST_TOKEN="s3cret")
    res = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", SPOOL, "--push", url, "--push-bucket",
                          "b/autogen", "--push-org", "my org", "--push-token-env",
                          "PFQ_TEST_TOKEN"], capture_output=True, env=env, timeout=60)
    seen = Scripted.seen
    ok = res.returncode == 0 and len(seen) == 3
    if ok:
        body = gzip.decompress(seen[0][3])
        ok = (seen[0][1] == "/api/v2/write?bucket=b%2Fautogen&org=my%20org&precision=ns"
              and seen[0][2].get("Authorization") == "Token s3cret"
              and seen[0][2].get("Content-Encoding") == "gzip"
              and all(s[3] == seen[0][3] for s in seen)
              and seen[1][0] - seen[0][0] >= 1.9 and seen[2][0] - seen[1][0] >= 0.9
              and pm.decode(body, LPCHECK)
              and all(b",host=" in l and l.split(b" ")[-1].isdigit()
                      for l in body.splitlines()))
    tap(ok, "push: InfluxDB 2.x API with a token; 503 and 429 retried after their "
        "Retry-After; the same gzipped batch each time",
        [res.stderr.decode(), [(s[1], s[0]) for s in seen]])

    pw = os.path.join(ROOT, "password")
    with open(pw, "w") as f:
        f.write("pa:ss\n")
    Scripted.script, Scripted.seen = [(204, {})], []
    res = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", SPOOL, "--push", url + "/", "--push-db",
                          "d b", "--push-rp", "r", "--push-user", "u", "--push-password-file",
                          pw, "--push-no-gzip"], capture_output=True, timeout=30)
    s = Scripted.seen[0] if Scripted.seen else (0, "", {}, b"")
    tap(res.returncode == 0 and s[1] == "/write?db=d%20b&rp=r&precision=ns"
        and s[2].get("Authorization") == "Basic " + base64.b64encode(b"u:pa:ss").decode()
        and "Content-Encoding" not in s[2] and pm.decode(s[3], LPCHECK),
        "push: InfluxDB 1.x API with basic authentication from a password file, "
        "uncompressed on request", [res.stderr.decode(), s[1], s[2]])

    Scripted.script, Scripted.seen, Scripted.ports = [], [], []
    a = Agent([*fixtures.AS_ROOT, "--queue-dir", SPOOL, "--interval", "1s", "--push", url, "--push-db", "d",
               "-v"])
    wait_until(lambda: len(Scripted.seen) >= 3, 10)
    a.stop()
    tap(len(Scripted.ports) >= 3 and len(set(Scripted.ports)) == 1,
        "push: one connection is kept and reused from scan to scan",
        [Scripted.ports])

    Scripted.script, Scripted.seen = [(503, {})] * 10, []
    res = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", SPOOL, "--push", url, "--push-db", "d"],
                         capture_output=True, timeout=60)
    tap(res.returncode == 1 and len(Scripted.seen) == 4 and b"not delivered" in res.stderr,
        "push: one-shot gives up after 4 attempts and exits 1, saying so",
        [res.stderr.decode(), len(Scripted.seen)])
    srv.shutdown()


def test_tls():
    if shutil.which("openssl") is None:
        tap(True, "push: TLS certificates are verified # SKIP no openssl here")
        return
    key, cert = os.path.join(ROOT, "key.pem"), os.path.join(ROOT, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], capture_output=True, check=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = serve(ctx)
    url = "https://127.0.0.1:%d" % srv.server_address[1]
    base = [PFQMON, *fixtures.AS_ROOT, "--queue-dir", SPOOL, "--push", url, "--push-db", "d"]
    Scripted.script, Scripted.seen = [], []
    refused = subprocess.run(base, capture_output=True, timeout=60)
    with_ca = subprocess.run(base + ["--push-ca-file", cert], capture_output=True, timeout=30)
    tap(refused.returncode == 1 and b"certificate" in refused.stderr.lower()
        and with_ca.returncode == 0 and len(Scripted.seen) == 1,
        "push: TLS certificates are verified by default; --push-ca-file trusts a CA",
        [refused.stderr.decode()[-300:], with_ca.stderr.decode()[-300:]])
    srv.shutdown()


WITH_INFLUX = (test_interval_push, test_outage, test_small_buffer, test_rejected)


def main():
    influx = harness.Influx(ROOT)
    try:
        picked = cases(*WITH_INFLUX, test_execd, test_config, test_reload, test_scripted,
                       test_tls)
        if any(t in WITH_INFLUX for t in picked):
            influx.start()
        url = "http://127.0.0.1:%d" % influx.port
        for t in (t for t in picked if t in WITH_INFLUX):
            try:
                t(influx, url)
            except Exception as e:
                tap(False, "%s: harness error: %s: %s" % (t.__name__, type(e).__name__, e))
                if influx.proc is None:
                    influx.start()
        for t in (t for t in picked if t not in WITH_INFLUX):
            try:
                t()
            except Exception as e:
                tap(False, "%s: harness error: %s: %s" % (t.__name__, type(e).__name__, e))
    finally:
        influx.close()
        shutil.rmtree(ROOT, ignore_errors=True)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
