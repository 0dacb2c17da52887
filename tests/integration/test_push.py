#!/usr/bin/env python3
"""test_push - the push against servers that never answer, answer late,
trickle their headers or send a body without end, and scans larger than
the push buffer, against a real InfluxDB 1.x.

What must hold (docs/configuration.md, "Push to InfluxDB"):
- scans run on their tick whatever the server does: no tick skipped, no
  scan late, with --interval 1s;
- at most 4 KiB of a reply is read (the server sees the connection
  closed long before its 1 GB body is out);
- SIGTERM ends pfqmon within the documented bound (5 s after the current
  scan), and what was not delivered is logged;
- a scan larger than the buffer keeps its per-queue, total, age and scan
  lines and its largest rows; what is dropped is counted and logged, and
  a one-shot push that did not deliver everything exits 1.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, GEN  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import fixtures  # noqa: E402
import harness  # noqa: E402

ROOT = tempfile.mkdtemp(prefix="pfqmon-push.")
SPOOL = fixtures.restore_spool(os.path.join(ROOT, "spool"))
STOP_BOUND = 5 + 2              # the documented 5 s, and slack for a busy machine


class Hostile:
    """A TCP server that reads a request and then misbehaves: "silent"
    never answers, "late" answers 204 after 30 s, "trickle" sends its
    status line one byte a second, "endless" answers 400 with a body of
    1 GB, "redirect" answers 307 to location. It counts the requests, and
    the body bytes it got out before the client left."""

    def __init__(self, mode, location=""):
        self.mode, self.sent, self.requests, self.location = mode, 0, 0, location
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.done = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_request(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            body += chunk
        self.requests += 1
        return True

    def _serve(self, conn):
        try:
            while self._read_request(conn):
                if self.mode == "silent":
                    self.done.wait(600)
                elif self.mode == "late":
                    if self.done.wait(30):
                        return
                    conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                elif self.mode == "trickle":
                    for b in b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n":
                        if self.done.wait(1):
                            return
                        conn.sendall(bytes([b]))
                elif self.mode == "redirect":
                    conn.sendall(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: %s\r\n"
                                 b"Content-Length: 0\r\n\r\n" % self.location.encode())
                elif self.mode == "endless":
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                                 b"Content-Length: 1073741824\r\n\r\n")
                    chunk = b"x" * 65536
                    while self.sent < 1 << 30 and not self.done.is_set():
                        conn.sendall(chunk)
                        self.sent += len(chunk)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.done.set()
        self.sock.close()


def scan_stamps(err):
    """The scan times (ms) an agent logged with -v."""
    out = []
    for line in err.splitlines():
        if "pfqmon: scan at " in line:
            out.append(int(round(float(line.split("scan at ")[1].split()[0]) * 1000)))
    return out


def run_against(mode, scans=8):
    """pfqmon pushing to a Hostile(mode) server until it has logged
    `scans` scans, then SIGTERM."""
    srv = Hostile(mode)
    err = open(os.path.join(ROOT, "err.%s" % mode), "a+b")   # shared offset: append
    p = subprocess.Popen([PFQMON, *fixtures.AS_ROOT, "--queue-dir", SPOOL, "--interval", "1s",
                          "--push", "http://127.0.0.1:%d" % srv.port, "--push-db", "d", "-v"],
                         stdout=subprocess.DEVNULL, stderr=err)
    end = time.monotonic() + 60
    while time.monotonic() < end and p.poll() is None:
        err.seek(0)
        if len(scan_stamps(err.read().decode("utf-8", "replace"))) >= scans:
            break
        time.sleep(0.2)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(60)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    took = time.monotonic() - t0
    srv.close()
    err.seek(0)
    text = err.read().decode("utf-8", "replace")
    return srv, rc, took, text


def test_hostile_servers():
    for mode, what in (("silent", "a server that never answers"),
                       ("late", "a server that answers after 30 s"),
                       ("trickle", "a server that trickles its headers"),
                       ("endless", "a server that sends a 1 GB error body")):
        srv, rc, took, err = run_against(mode)
        stamps = scan_stamps(err)
        gaps = [b - a for a, b in zip(stamps, stamps[1:]) if b - a != 1000]
        tap(len(stamps) >= 6 and not gaps and "skipped" not in err,
            "push: %s: a scan on every tick (%d in a row), none skipped" % (what, len(stamps)),
            ["gaps %s" % gaps, err[-500:]])
        tap(rc == 0 and took <= STOP_BOUND,
            "push: %s: SIGTERM ends pfqmon in %.1f s (bound 5 s after the scan)"
            % (what, took), ["exit %r" % rc, err[-300:]])
        if mode in ("silent", "late", "trickle"):
            tap("not delivered" in err and "points" in err,
                "push: %s: what could not be delivered is logged when stopping" % what,
                [err[-300:]])
        else:
            tap(srv.requests >= 2 and srv.sent <= 64 << 20 and "HTTP 400" in err,
                "push: %s: at most a few KiB of the reply are read (the server got "
                "%.1f MB out, %d requests)" % (what, srv.sent / 1e6, srv.requests),
                [err[-300:]])


def test_redirect():
    """A 3xx is not followed (the credentials would go along): rejected."""
    other = Hostile("silent")
    srv = Hostile("redirect", "http://127.0.0.1:%d/write?db=d" % other.port)
    res = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", SPOOL, "--push",
                          "http://127.0.0.1:%d" % srv.port, "--push-db", "d"],
                         capture_output=True, timeout=60)
    srv.close()
    other.close()
    tap(res.returncode == 1 and b"HTTP 307" in res.stderr and srv.requests == 1
        and other.requests == 0,
        "push: a redirect is rejected, not followed, not retried",
        [res.stderr.decode()[-300:], srv.requests, other.requests])


def gen_spool(name, messages, senders):
    d = os.path.join(ROOT, name)
    subprocess.run([GEN, "--senders", str(senders), "--seed", "5", str(messages), d],
                   check=True, capture_output=True)
    return d


def test_big_scan(influx):
    spool = gen_spool("big", 6000, 5000)
    lines = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", spool, "--top", "0"],
                           capture_output=True, check=True).stdout.splitlines()
    top_sender = lines[[l.startswith(b"postfix_queue_sender,") for l in lines].index(True)]
    top_name = top_sender.split(b" ")[0].split(b"sender=", 1)[1].decode()
    total = [l for l in lines if l.startswith(b"postfix_queue_total ")][0]
    length = int(total.split(b"length=")[1].split(b"i")[0])
    nbytes = sum(len(l) + 1 for l in lines)
    for i, (buffer_bytes, what) in enumerate(((65536, "a buffer of 64 KiB"),
                                              (1024, "a buffer of 1 KiB"))):
        db = "big%d" % i
        influx.query("CREATE DATABASE %s" % db)
        res = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", spool, "--top", "0",
                              "--push", "http://127.0.0.1:%d" % influx.port, "--push-db", db,
                              "--push-buffer-bytes", str(buffer_bytes), "--tag", "host=big"],
                             capture_output=True, timeout=120)
        err = res.stderr.decode("utf-8", "replace")
        got_total = influx.points(db, "SELECT \"length\" FROM postfix_queue_total")
        queues = influx.points(db, "SELECT \"length\" FROM postfix_queue")
        scan = influx.points(db, "SELECT \"parsed\" FROM postfix_queue_scan")
        ages = influx.points(db, "SELECT * FROM postfix_queue_age")
        senders = influx.points(db, "SELECT \"length\" FROM postfix_queue_sender")
        top = influx.points(db, "SELECT \"length\" FROM postfix_queue_sender "
                            "WHERE sender = '%s'" % top_name.replace("'", "\\'"))
        logged = [l for l in err.splitlines() if "push buffer full" in l]
        stored_senders = len(senders)
        tap(got_total and got_total[0][1] == length and len(queues) == 6 and scan
            and len(ages) == 6,
            "push: a %d KB scan with %s: the queue, total, age and scan lines arrive"
            % (nbytes // 1000, what),
            [got_total, len(queues), scan, len(ages), err[-400:]])
        if buffer_bytes > 4096:
            tap(top, "push: %s: the largest sender's row is among those kept" % what,
                [top_name, stored_senders])
        tap(res.returncode == 1 and logged and "not delivered whole" in err,
            "push: %s: the dropped rows are logged and the one-shot exits 1" % what,
            ["exit %d" % res.returncode, err[-400:]])
    influx.query("CREATE DATABASE bigall")
    res = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", spool, "--top", "0",
                          "--push", "http://127.0.0.1:%d" % influx.port, "--push-db",
                          "bigall"], capture_output=True, timeout=120)
    n = len(influx.points("bigall", "SELECT \"length\" FROM postfix_queue_sender"))
    want = sum(1 for l in lines if l.startswith(b"postfix_queue_sender,"))
    tap(res.returncode == 0 and n == want,
        "push: with the default buffer every one of the %d sender rows arrives" % want,
        [res.stderr.decode()[-300:], n])


def main():
    influx = harness.Influx(ROOT)
    try:
        picked = cases(test_hostile_servers, test_redirect, test_big_scan)
        for t in (t for t in picked if t is not test_big_scan):
            try:
                t()
            except Exception as e:
                tap(False, "%s: harness error: %s: %s" % (t.__name__, type(e).__name__, e))
        if test_big_scan in picked:
            influx.start()
            try:
                test_big_scan(influx)
            except Exception as e:
                tap(False, "test_big_scan: harness error: %s: %s" % (type(e).__name__, e))
    finally:
        influx.close()
        shutil.rmtree(ROOT, ignore_errors=True)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
