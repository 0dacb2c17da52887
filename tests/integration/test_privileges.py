#!/usr/bin/python3
"""test_privileges.py - started as root, pfqmon gives root up and can
change nothing in the spool.

A real Postfix instance defers a few messages, then stops. As root:
- privprobe (tests/tools, the same start-up code as pfqmon: priv.c) tries
  every way of changing a deferred queue file and its directory (write,
  append and create opens, truncate, chmod, chown, utimes, xattrs, link,
  symlink, mkdir, mkfifo, rename, unlink), once dropping to the queue's
  owner and once told to stay root: each must be refused, and the file
  must be byte for byte, mode and time what it was;
- the same probe tries the ways around a list of forbidden calls, which
  the seccomp allow-list must refuse with EPERM: io_uring (a SETXATTR of
  system.posix_acl_access that gives the file group-execute, Postfix's
  force-expire bit), flock, fcntl locks and leases and FS_IOC_SETFLAGS on
  a read-only descriptor, openat2 for writing; and personality, harmless
  but not on the list;
- pfqmon --execd reports every message while its /proc status shows the
  postfix user, no other group, no capabilities, no_new_privs and a
  seccomp filter, and starts every scan thread it was asked for;
- with -c and no --queue-dir, SIGHUP re-runs postconf from inside the
  sandbox (through the helper, child.h) and the next scan is complete;
- with Postfix running again, --source postqueue as root is sandboxed
  too, its helper runs as postfix and is gone when pfqmon is;
- --user names an unknown user, or root without being root: exit 2.
"""

import os
import pwd
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, LPCHECK, PRIVPROBE as PROBE  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import harness  # noqa: E402
import pfqmetrics as pm  # noqa: E402

CHANGES = ["fchmod", "ftruncate", "open-write", "open-append", "open-create",
           "truncate", "chmod", "chown", "utimensat", "setxattr", "link",
           "symlink", "mkdir", "mknod-fifo", "rename", "unlink", "chmod-dir"]
# Only the seccomp filter stands in the way of these: each must be EPERM.
AROUND = ["io_uring-setup", "io_uring-setxattr", "flock-ex", "flock-sh",
          "fcntl-setlk", "fcntl-ofd-setlk", "fcntl-setlease", "ioctl-setflags",
          "openat2-write"]
EPERM = "denied " + os.strerror(1)


def snapshot(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        return (f.read(), st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns,
                st.st_ctime_ns, sorted(os.listdir(os.path.dirname(path))))


def probe(spool, path, user, tag, want_uid):
    before = snapshot(path)
    res = subprocess.run([PROBE, spool, path] + ([user] if user else []),
                         capture_output=True, timeout=60)
    lines = res.stdout.decode(errors="replace").splitlines()
    said = dict(l.split(" ", 1) for l in lines if " " in l)
    tap(res.returncode == 0 and said.get("uid") == "%d euid %d" % (want_uid, want_uid),
        "%s: runs as uid %d after start-up" % (tag, want_uid),
        lines[:3] + [res.stderr.decode(errors="replace")])
    tap(said.get("read") == "ok", "%s: can still read the queue file" % tag, lines)
    done = [c for c in CHANGES if not said.get(c, "").startswith("denied")]
    tap(not done, "%s: every change to the file or its directory is refused (%d tried)"
        % (tag, len(CHANGES)), ["went through or not tried: %s" % done] + lines)
    for c in AROUND:
        tap(said.get(c) == EPERM, "%s: %s is refused by the seccomp filter" % (tag, c),
            ["%s %s" % (c, said.get(c, "not tried"))])
    tap(said.get("unlisted-personality") == EPERM,
        "%s: personality, harmless but not on the allow-list, is refused" % tag,
        ["unlisted-personality %s" % said.get("unlisted-personality", "not tried")])
    tap(said.get("socket-bind") == EPERM and said.get("socket-listen") == EPERM,
        "%s: no socket can be bound or listened on (pfqmon serve accepts only on "
        "the one bound before)" % tag,
        ["socket-bind %s" % said.get("socket-bind", "not tried"),
         "socket-listen %s" % said.get("socket-listen", "not tried")])
    tap(snapshot(path) == before and said.get("still") == "there ok",
        "%s: the queue file and its directory are unchanged" % tag,
        ["mode before %o, after %o" % (before[1], os.stat(path).st_mode)])


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()
    return out


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def read_until(fd, needles, timeout=30):
    """Read fd until one of needles shows up, or its end, or timeout
    seconds: what was read."""
    data, end = b"", time.monotonic() + timeout
    while not any(n in data for n in needles):
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data


def read_scan(p, out=b""):
    """Read p's stdout up to the end of its next postfix_queue_scan line."""
    while b"postfix_queue_scan" not in out:
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            return out
        out += chunk
    while not out.endswith(b"\n"):
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        out += chunk
    return out


def agent_as(spool, want, extra, tag, nmsg, prefix=(), hup=False, source=None):
    """pfqmon --execd: its status while running, and its first report
    (with hup, the first report after a SIGHUP). Returns pfqmon's
    children while it ran and its stderr."""
    where = ["--queue-dir", spool] if spool else []
    p = subprocess.Popen(list(prefix) + [PFQMON, "--execd"] + where + extra,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    early = b""
    try:
        p.stdin.write(b"\n")
        p.stdin.flush()
        out = read_scan(p)
        if hup:
            p.send_signal(signal.SIGHUP)
            # It reloads while it waits for the newline, and says so.
            early = read_until(p.stderr.fileno(), (b"configuration reloaded", b"reload:"))
            p.stdin.write(b"\n")
            p.stdin.flush()
            out = read_scan(p)
        st = proc_status(p.pid) if p.poll() is None else {}
        kids = children(p.pid)
    finally:
        p.stdin.close()
        rc = p.wait(30)
    err = (early + p.stderr.read()).decode(errors="replace")
    uid, gid = want
    tap(st.get("Uid") == [str(uid)] * 4 and st.get("Gid") == [str(gid)] * 4
        and st.get("Groups", []) in ([], [str(gid)]),
        "%s: runs as uid %d, gid %d and no other group" % (tag, uid, gid),
        ["Uid %s Gid %s Groups %s" % (st.get("Uid"), st.get("Gid"), st.get("Groups")), err])
    tap(st.get("NoNewPrivs") == ["1"] and st.get("Seccomp") == ["2"]
        and (uid == 0 or st.get("CapEff") == ["0000000000000000"]),
        "%s: no_new_privs, a seccomp filter%s" % (tag, "" if uid == 0 else
                                                   ", no capabilities"),
        ["NoNewPrivs %s Seccomp %s CapEff %s" % (st.get("NoNewPrivs"), st.get("Seccomp"),
                                                 st.get("CapEff"))])
    try:
        got = pm.decode(out, LPCHECK)
        total = got[("postfix_queue_total", ())]["length"]
        scans = [k for k in got if k[0] == "postfix_queue_scan"]
    except Exception as e:
        total, scans = "undecodable: %s" % e, []
    tap(rc == 0 and total == nmsg, "%s: reports all %d messages" % (tag, nmsg),
        ["rc %s total %s" % (rc, total), err[-400:]])
    if source:
        tap(scans == [("postfix_queue_scan", (("source", source),))],
            "%s: the scan says source=%s" % (tag, source), [scans])
    return kids, err


def gone(pids, seconds=5):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not any(os.path.exists("/proc/%d" % k) for k in pids):
            return True
        time.sleep(0.05)
    return False


def main():
    if not cases("privileges"):
        return exit_status()
    p = harness.Postfix()
    etc = harness.default_config_for(p.conf)
    try:
        p.setup()
        p.start()
        for i in range(3):
            p.sendmail("sender%d@example.org" % i, "rcpt%d@remote.test" % i)
        p.wait_settled()
        p.stop()
        ids = p.postqueue_j()
        files = []
        for root, _, names in os.walk(os.path.join(p.spool, "deferred")):
            files += [os.path.join(root, n) for n in names]
        tap(len(ids) == 3 and len(files) == 3,
            "setup: three messages deferred by a real Postfix",
            ["postqueue -j %d, files %d" % (len(ids), len(files)), p.log_tail()])
        if not files:
            return exit_status()
        pf = pwd.getpwnam("postfix")
        probe(p.spool, files[0], None, "root, default", pf.pw_uid)
        probe(p.spool, files[0], "root", "root told to stay root", 0)
        _, err = agent_as(p.spool, (pf.pw_uid, pf.pw_gid), ["--threads", "3", "-v"],
                          "pfqmon as root", len(ids))
        tap("cannot start scan thread" not in err,
            "pfqmon as root: all 3 scan threads start inside the sandbox",
            [l for l in err.splitlines() if "thread" in l])
        agent_as(p.spool, (0, 0), ["--user", "root"], "pfqmon --user root", len(ids))
        _, err = agent_as(None, (pf.pw_uid, pf.pw_gid), ["-c", p.conf],
                          "pfqmon -c, SIGHUP", len(ids), hup=True)
        tap("configuration reloaded" in err and "reload:" not in err,
            "pfqmon -c: SIGHUP runs postconf again from inside the sandbox",
            err.splitlines()[-5:])

        # postqueue -c as the postfix user needs the default main.cf to
        # name the instance: a private one in a private mount namespace.
        p.start()
        ns = ["unshare", "-m", "--propagation", "private", "sh", "-c",
              'mount --bind "$0" /etc/postfix && exec "$@"', etc]
        kids, err = agent_as(None, (pf.pw_uid, pf.pw_gid),
                             ["-c", p.conf, "--source", "postqueue"],
                             "pfqmon --source postqueue as root", len(ids),
                             prefix=ns, source="postqueue")
        helper = []
        for k in kids:
            try:
                with open("/proc/%d/comm" % k) as f:
                    comm = f.read().strip()
                helper.append((k, comm, proc_status(k).get("Uid")))
            except OSError:
                helper.append((k, "gone", None))
        tap(len(helper) == 1 and helper[0][1] == "pfqmon-spawn"
            and helper[0][2] == [str(pf.pw_uid)] * 4,
            "--source postqueue: one helper starts postqueue, as postfix", [helper, err])
        tap(kids and gone(kids), "--source postqueue: the helper ends with pfqmon",
            [kids])

        res = subprocess.run([PFQMON, "--queue-dir", p.spool, "--user", "no-such-user"],
                             capture_output=True)
        tap(res.returncode == 2 and b"no-such-user" in res.stderr and
            len(res.stderr.splitlines()) == 1,
            "--user with an unknown user: one line naming it, exit 2", [res.stderr])
        res = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                              "--clear-groups", PFQMON, "--queue-dir", p.spool,
                              "--user", "root"], capture_output=True)
        tap(res.returncode == 2 and b"needs root" in res.stderr,
            "--user root when not root: refused, exit 2", [res.stderr])
    except Exception as e:
        tap(False, "harness error: %s: %s" % (type(e).__name__, e))
    finally:
        p.close()
        subprocess.run(["rm", "-rf", etc])
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
