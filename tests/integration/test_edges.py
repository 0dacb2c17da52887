#!/usr/bin/env python3
"""test_edges - the agent at the edges: a directory that is not a queue,
a queue directory replaced under a running agent, wall-clock steps,
FIFOs where files are expected, secrets in URLs and configurations,
signals during start-up, and a queue owned by root.

Clock steps are played with libfaketime (Debian's faketime package),
which moves the wall clock of pfqmon alone and leaves its monotonic
clock alone; without it those cases are skipped, never passed.
"""

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import fixtures  # noqa: E402

ROOT = tempfile.mkdtemp(prefix="pfqmon-edges.")
FAKETIME = (glob.glob("/usr/lib/*/faketime/libfaketime.so.1") or [None])[0]


class Agent:
    """pfqmon in the background, its output in files, stopped by PID."""

    def __init__(self, args, env=None, name="agent"):
        # Appending: pfqmon shares the files' offset, which lines() moves.
        n = time.monotonic_ns()
        self.out = open(os.path.join(ROOT, "%s.%d.out" % (name, n)), "a+b")
        self.err = open(os.path.join(ROOT, "%s.%d.err" % (name, n)), "a+b")
        self.proc = subprocess.Popen([PFQMON] + args, stdout=self.out, stderr=self.err,
                                     env=env)

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

    def scans(self):
        """The scan lines printed so far, as (timestamp ns, fields)."""
        self.out.seek(0)
        out = []
        for line in self.out.read().decode().splitlines():
            if line.startswith("postfix_queue_scan,"):
                fields = dict(kv.split("=") for kv in line.split(" ")[1].split(","))
                out.append((int(line.split(" ")[2]), fields))
        return out

    def lines(self):
        self.out.seek(0)
        return self.out.read().decode().splitlines()


def wait_until(cond, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def test_not_a_queue(_spool):
    empty = os.path.join(ROOT, "mnt")
    os.makedirs(empty)
    res = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", empty],
                         capture_output=True, timeout=30)
    tap(res.returncode == 1 and not res.stdout and b"not a Postfix queue directory"
        in res.stderr, "an empty directory is not a queue: exit 1, nothing printed",
        [res.returncode, res.stdout[:200], res.stderr])
    res = subprocess.run([PFQMON, "select", *fixtures.AS_ROOT, "--queue-dir", empty,
                          "--sender", "a@b.example", "--count"], capture_output=True,
                         timeout=30)
    tap(res.returncode == 1 and not res.stdout,
        "select --count on a directory that is not a queue prints no 0 and exits 1",
        [res.returncode, res.stdout, res.stderr])
    if os.geteuid() == 0:
        res = subprocess.run([PFQMON, "--queue-dir", empty], capture_output=True, timeout=30)
        tap(res.returncode == 2 and b"--user" in res.stderr and not res.stdout,
            "as root, a directory without queues cannot say whom to read it as: exit 2",
            [res.returncode, res.stderr])
    # An agent started on the empty mount point, then the queue appears
    # there (renamed into place here; a bind mount below where allowed).
    a = Agent([*fixtures.AS_ROOT, "--queue-dir", empty, "--interval", "200ms"], name="mnt")
    wait_until(lambda: len(a.scans()) >= 3, 10)
    before = a.scans()
    zeros = [l for l in a.lines() if not l.startswith("postfix_queue_scan")]
    spool = fixtures.restore_spool(os.path.join(ROOT, "queue"))
    os.rename(empty, empty + ".old")
    os.rename(spool, empty)
    ok = wait_until(lambda: any(l.startswith("postfix_queue_total length=9i")
                                for l in a.lines()), 10)
    rc = a.stop()
    err = a.stderr()
    tap(before and all(f["errors"] == "1i" for _, f in before) and not zeros,
        "agent on a directory that is not a queue: errors=1 and no zero lines",
        [before[:2], zeros[:3], err[-300:]])
    tap(ok and rc == 0 and "another directory now" in err,
        "agent follows the path when it names another directory (9 messages there now)",
        [err[-400:]])
    # A bind mount over an empty directory, where this machine allows it.
    target = os.path.join(ROOT, "mnt2")
    os.makedirs(target)
    a = Agent([*fixtures.AS_ROOT, "--queue-dir", target, "--interval", "200ms"],
              name="mnt2")
    wait_until(lambda: len(a.scans()) >= 2, 10)
    m = subprocess.run(["mount", "--bind", empty, target], capture_output=True)
    if m.returncode != 0:
        a.stop()
        tap(True, "agent follows a file system mounted on its queue directory # SKIP "
            "mount --bind not allowed here: %s" % m.stderr.decode().strip()[:80])
        return
    try:
        ok = wait_until(lambda: any(l.startswith("postfix_queue_total length=9i")
                                    for l in a.lines()), 10)
        rc = a.stop()
    finally:
        subprocess.run(["umount", target], capture_output=True)
    tap(ok and rc == 0, "agent follows a file system mounted on its queue directory",
        [a.stderr()[-300:]])


def faketime_env(path):
    return dict(os.environ, LD_PRELOAD=FAKETIME, FAKETIME_TIMESTAMP_FILE=path,
                FAKETIME_NO_CACHE="1", FAKETIME_DONT_FAKE_MONOTONIC="1")


def test_clock_steps(spool):
    if FAKETIME is None:
        for name in ("a wall clock stepped back 30 s", "a wall clock stepped forward 1 h"):
            tap(True, "%s # SKIP libfaketime (Debian package faketime) is not installed"
                % name)
        return
    ts = os.path.join(ROOT, "faketime")
    with open(ts, "w") as f:
        f.write("+0\n")
    a = Agent([*fixtures.AS_ROOT, "--queue-dir", spool, "--interval", "1s"],
              env=faketime_env(ts), name="back")
    wait_until(lambda: len(a.scans()) >= 3, 10)
    with open(ts + ".new", "w") as f:
        f.write("-30s\n")
    os.rename(ts + ".new", ts)
    n = len(a.scans())
    t0 = time.monotonic()
    wait_until(lambda: len(a.scans()) >= n + 4, 15)
    took = time.monotonic() - t0
    rc = a.stop()
    err = a.stderr()
    warnings = [l for l in err.splitlines() if l.startswith("W!")]
    stamps = [t for t, _ in a.scans()]
    back = [b - a_ for a_, b in zip(stamps, stamps[1:]) if b < a_]
    tap(rc == 0 and len(a.scans()) >= n + 4 and took < 8 and len(warnings) <= 1
        and back and all(s % 1000000000 == 0 for s in stamps),
        "a wall clock stepped back 30 s: scans go on every second (4 in %.1f s), "
        "stamps follow the clock, %d log line" % (took, len(warnings)),
        [err[-400:], stamps[-6:]])
    with open(ts, "w") as f:
        f.write("+0\n")
    a = Agent([*fixtures.AS_ROOT, "--queue-dir", spool, "--interval", "100ms"],
              env=faketime_env(ts), name="fwd")
    wait_until(lambda: len(a.scans()) >= 5, 10)
    with open(ts + ".new", "w") as f:
        f.write("+1h\n")
    os.rename(ts + ".new", ts)
    n = len(a.scans())
    wait_until(lambda: len(a.scans()) >= n + 15, 15)
    rc = a.stop()
    err = a.stderr()
    warnings = [l for l in err.splitlines() if l.startswith("W!")]
    tap(rc == 0 and len(a.scans()) >= n + 10 and len(warnings) <= 1,
        "a wall clock stepped forward 1 h at --interval 100ms: scans go on, %d log "
        "line(s), not one per missed tick" % len(warnings), [err[-400:]])


def test_fifos(spool):
    fifo = os.path.join(ROOT, "fifo")
    os.mkfifo(fifo)
    for what, args in (("--config", ["--config", fifo]),
                       ("--push-password-file", ["--push", "http://127.0.0.1:9", "--push-db",
                                                 "d", "--push-user", "u",
                                                 "--push-password-file", fifo]),
                       ("--push-token-file", ["--push", "http://127.0.0.1:9",
                                              "--push-bucket", "b", "--push-token-file",
                                              fifo]),
                       ("--push-ca-file", ["--push", "https://127.0.0.1:9", "--push-db",
                                           "d", "--push-ca-file", fifo])):
        try:
            res = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", spool] + args,
                                 capture_output=True, timeout=10)
            ok = res.returncode == 2 and b"not a regular file" in res.stderr
            detail = [res.returncode, res.stderr]
        except subprocess.TimeoutExpired:
            ok, detail = False, ["hangs"]
        tap(ok, "a FIFO as %s is refused at once: exit 2" % what, detail)
    cfg = os.path.join(ROOT, "reload.json")
    with open(cfg, "w") as f:
        json.dump({"queue_dir": spool, "interval": "200ms", **fixtures.AS_ROOT_KEYS}, f)
    a = Agent(["--config", cfg], name="fifo")
    wait_until(lambda: len(a.scans()) >= 2, 10)
    os.unlink(cfg)
    os.mkfifo(cfg)
    a.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "keeping the previous configuration" in a.stderr(), 5)
    n = len(a.scans())
    wait_until(lambda: len(a.scans()) >= n + 3, 5)
    t0 = time.monotonic()
    rc = a.stop(timeout=10)
    tap(rc == 0 and len(a.scans()) >= n + 3 and time.monotonic() - t0 < 5
        and "not a regular file" in a.stderr(),
        "a FIFO as the configuration on SIGHUP: refused, scans go on, SIGTERM works",
        [rc, a.stderr()[-300:]])


def test_secrets(spool):
    url = "http://pfquser:s3cretpw@127.0.0.1:9/?u=pfquser&p=s3cretq"
    res = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", spool, "--push", url,
                          "--push-db", "d", "--push-connect-timeout", "500ms"],
                         capture_output=True, timeout=60)
    tap(res.returncode == 1 and b"127.0.0.1:9" in res.stderr
        and b"s3cret" not in res.stderr + res.stdout,
        "a password in the push URL is never printed in errors", [res.stderr[-300:]])
    res = subprocess.run([PFQMON, *fixtures.AS_ROOT, "--queue-dir", spool, "--push", url,
                          "--push-db", "d", "--check-config"], capture_output=True, timeout=30)
    tap(res.returncode == 0 and b"***@127.0.0.1:9" in res.stdout
        and b"s3cret" not in res.stderr + res.stdout,
        "--check-config shows the push URL without its credentials", [res.stdout])
    cfg = os.path.join(ROOT, "secret.json")
    with open(os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(b'{"push": "http://127.0.0.1:9", "push_db": "d",\n'
                b' "push_password": "hunt\x01er2"}\n')
    res = subprocess.run([PFQMON, "--config", cfg], capture_output=True, timeout=30)
    tap(res.returncode == 2 and b"hunt" not in res.stderr and b"er2" not in res.stderr
        and len(res.stderr.splitlines()) == 1,
        "a configuration error never quotes the file (a password with a control "
        "character)", [res.stderr])


def children_named(pid, name):
    """PIDs of pid's children whose command is name (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        if ppid == pid and comm == name:
            out.append(int(d))
    return out


def blocked_signals(pid):
    """The signal numbers pid has blocked, from /proc, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("SigBlk:"):
                    mask = int(line.split()[1], 16)
                    return {n for n in range(1, 65) if mask >> (n - 1) & 1}
    except OSError:
        return None
    return None


def test_early_signals(spool):
    """A SIGHUP while pfqmon is still starting, as the default set-up
    does it: asking postconf for the queue directory. strace holds
    pfqmon for 1.5 s in its wait for postconf, so the signal surely comes
    during start-up; the test sends it once pfqmon's main() has blocked
    it, or after 1 s for a binary that never does. Only the dynamic
    loader's few milliseconds before main() remain a window no program
    can close."""
    if shutil.which("strace") is None:
        tap(True, "a SIGHUP during start-up is a reload # SKIP no strace here")
        return
    etc = os.path.join(ROOT, "etc-hup")
    os.makedirs(etc, exist_ok=True)
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write("queue_directory = %s\n" % spool)
    # Appending: pfqmon shares the files' offset, which the loop moves.
    err = open(os.path.join(ROOT, "hup.err"), "a+b")
    out = open(os.path.join(ROOT, "hup.out"), "a+b")
    tracer = subprocess.Popen(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=wait4",
                               "-e", "inject=wait4:delay_enter=1500000", PFQMON,
                               *fixtures.AS_ROOT, "-c", etc, "--interval", "200ms"],
                              stdout=out, stderr=err)
    pid, t0, sent = None, time.monotonic(), False
    try:
        while time.monotonic() - t0 < 5 and not sent:
            kids = [int(x) for x in open("/proc/%d/task/%d/children"
                                         % (tracer.pid, tracer.pid)).read().split()] \
                if tracer.poll() is None else []
            pid = kids[0] if kids else pid
            blocked = blocked_signals(pid) if pid else None
            if pid and ((blocked and signal.SIGHUP in blocked)
                        or time.monotonic() - t0 > 1.0):
                os.kill(pid, signal.SIGHUP)
                sent = time.monotonic() - t0
            time.sleep(0.005)
        end = time.monotonic() + 15
        while time.monotonic() < end and out.seek(0) == 0 \
                and out.read().count(b"postfix_queue_scan") < 2 and tracer.poll() is None:
            time.sleep(0.1)
        out.seek(0)
        scans = out.read().count(b"postfix_queue_scan")
        alive = tracer.poll() is None
    finally:
        if tracer.poll() is None and pid:
            os.kill(pid, signal.SIGTERM)
        try:
            tracer.wait(30)
        except subprocess.TimeoutExpired:
            tracer.kill()
            tracer.wait()
    err.seek(0)
    text = err.read().decode("utf-8", "replace")
    tap(sent and sent < 1.4 and alive and scans >= 2 and "configuration reloaded" in text,
        "a SIGHUP while pfqmon waits for postconf at start is a reload, not the end "
        "of the agent", ["sent at %s s, alive %s, %d scans" % (sent, alive, scans),
                         text[-300:]])


def execd_scans(args, between):
    """Scans of an execd agent, one per newline; between[i]() runs before
    scan i+1. Returns the scans' lines, without the scan line."""
    p = subprocess.Popen([PFQMON, "--execd"] + args, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    scans = []
    try:
        for i in range(len(between) + 1):
            if i:
                between[i - 1]()
            p.stdin.write(b"\n")
            p.stdin.flush()
            lines = []
            while True:
                line = p.stdout.readline().decode()
                if not line:
                    raise RuntimeError(p.stderr.read().decode()[-300:])
                if line.startswith("postfix_queue_scan,"):
                    break
                lines.append(line.rstrip("\n"))
            scans.append(lines)
    finally:
        p.stdin.close()
        p.wait(10)
    return scans


def test_closing(_spool):
    """A breakdown row that leaves the report gets one point of zeros, so
    that last() and the culprit alert see it go; then it is forgotten."""
    spool = fixtures.restore_spool(os.path.join(ROOT, "closing"))
    moved = os.path.join(ROOT, "closing.deferred")

    def purge():
        os.rename(os.path.join(spool, "deferred"), moved)
        os.makedirs(os.path.join(spool, "deferred"))

    scans = execd_scans([*fixtures.AS_ROOT, "--queue-dir", spool, "--top", "3"],
                        [purge, lambda: None])
    senders = [[l for l in s if l.startswith("postfix_queue_sender,")] for s in scans]
    gone = [l for l in senders[1] if l.split(" ")[0].endswith("=ext@remote.example")]
    zero = "length=0i,size=0i,age=0i,recipients=0i,maildrop=0i,incoming=0i,active=0i," \
           "deferred=0i,hold=0i"
    tap(any(l.endswith("=ext@remote.example") for l in
            [x.split(" ")[0] for x in senders[0]])
        and len(gone) == 1 and gone[0].split(" ")[1] == zero
        and not any("ext@remote.example" in l for l in senders[2])
        and any(l.startswith("postfix_queue_sender,sender=(other) " + zero) for l in
                senders[1]),
        "a sender whose mail left the queue gets one line of zeros, then none",
        senders[1] + ["--"] + senders[2])


def test_root_owned(spool):
    if os.geteuid() != 0:
        tap(True, "a queue owned by root is not parsed as root unless asked # SKIP "
            "not root")
        return
    res = subprocess.run([PFQMON, "--queue-dir", spool], capture_output=True, timeout=30)
    asked = subprocess.run([PFQMON, "--user", "root", "--queue-dir", spool],
                           capture_output=True, timeout=30)
    tap(res.returncode == 2 and b"--user root" in res.stderr and not res.stdout
        and asked.returncode == 0 and b"postfix_queue_total length=9i" in asked.stdout,
        "a queue owned by root is not parsed as root unless --user root says so",
        [res.returncode, res.stderr, asked.stderr])


def main():
    try:
        spool = fixtures.restore_spool(os.path.join(ROOT, "spool"))
        for t in cases(test_not_a_queue, test_clock_steps, test_fifos, test_secrets,
                       test_early_signals, test_root_owned, test_closing):
            try:
                t(spool)
            except Exception as e:
                tap(False, "%s: harness error: %s: %s" % (t.__name__, type(e).__name__, e))
    finally:
        shutil.rmtree(ROOT, ignore_errors=True)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
