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
- pfqmon --execd reports every message while its /proc status shows the
  postfix user, no other group, no capabilities, no_new_privs and a
  seccomp filter;
- --user names an unknown user, or root without being root: exit 2.
"""

import os
import pwd
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from taplib import tap, exit_status  # noqa: E402
import harness  # noqa: E402
import pfqmetrics as pm  # noqa: E402

PFQMON = os.path.abspath(os.environ.get("PFQMON", "agent/pfqmon"))
PROBE = os.path.abspath(os.environ.get("PRIVPROBE", "build/tests/privprobe"))
LPCHECK = os.path.abspath(os.environ.get("LPCHECK", "build/tests/lpcheck"))
CHANGES = ["fchmod", "ftruncate", "open-write", "open-append", "open-create",
           "truncate", "chmod", "chown", "utimensat", "setxattr", "link",
           "symlink", "mkdir", "mknod-fifo", "rename", "unlink", "chmod-dir"]


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
    tap(snapshot(path) == before and said.get("still") == "there ok",
        "%s: the queue file and its directory are unchanged" % tag)


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()
    return out


def agent_as(spool, want, extra, tag, nmsg):
    """pfqmon --execd: its status while running, and its first report."""
    p = subprocess.Popen([PFQMON, "--execd", "--queue-dir", spool] + extra,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        p.stdin.write(b"\n")
        p.stdin.flush()
        out = b""
        while b"postfix_queue_scan" not in out:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
        while out and not out.endswith(b"\n"):
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
        st = proc_status(p.pid) if p.poll() is None else {}
    finally:
        p.stdin.close()
        rc = p.wait(30)
    err = p.stderr.read().decode(errors="replace")
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
        total = pm.decode(out, LPCHECK)[("postfix_queue_total", ())]["length"]
    except Exception as e:
        total = "undecodable: %s" % e
    tap(rc == 0 and total == nmsg, "%s: reports all %d messages" % (tag, nmsg),
        ["rc %s total %s" % (rc, total), err[-400:]])


def main():
    p = harness.Postfix()
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
        agent_as(p.spool, (pf.pw_uid, pf.pw_gid), [], "pfqmon as root", len(ids))
        agent_as(p.spool, (0, 0), ["--user", "root"], "pfqmon --user root", len(ids))

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
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
