#!/usr/bin/python3
"""test_deb.py - the Debian package as an admin gets it: built, checked
by lintian, installed with dpkg -i on this machine, used, then purged.

As root, holding a lock so that two runs on one machine never install
the package at the same time:
  - tests/packaging/build-deb.sh builds it with dpkg-buildpackage -us -uc
    -b, its build-time tests passing (the groups that need no root and
    no service; the others reported as skipped);
  - lintian finds no error and no warning (the one override, the 0750
    /etc/pfqmon, is the only tag overridden);
  - dpkg -i installs it, traced by strace: what dpkg, the maintainer
    scripts and the triggers create is known exactly, whatever other jobs
    on this machine do meanwhile. It adds nothing to /etc but /etc/pfqmon
    (no conffile, nothing in /etc/telegraf, /etc/sudoers.d, /etc/postfix
    or /etc/systemd), the unit is neither enabled nor running, and
    /etc/pfqmon is root:postfix 0750;
  - man -w finds pfqmon(8), pfqmon-select(8), pfqmon-top(8) and "man
    pfqmon select", and man --warnings renders them without a warning;
  - the shipped sudoers examples pass visudo -c -f and name the installed
    binary; systemd-analyze verify passes on the installed unit;
  - the installed pfqmon reads a throw-away Postfix (a compromised SASL
    account and a relay host, their mail held): its report, select and
    top agree with postqueue -j; the example configuration, put in
    /etc/pfqmon as the README says, is read by the postfix user and not
    by nobody;
  - dpkg --purge removes it and leaves no file behind: nothing that the
    install created, and nothing new named after pfqmon under /etc, /usr,
    /var/lib, /var/cache, /opt and /srv (compared before the install and
    after the purge), such as what the admin put in /etc/pfqmon.
The package is purged in a finally block, also when a check fails.
Skipped, saying why, when not root, when a tool is missing, when pfqmon is
already installed here or has left /etc/pfqmon (the test would replace and
purge it), or when another run holds the lock for 20 minutes.
"""

import fcntl
import glob
import grp
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from testenv import REPO as ROOT_DIR, LPCHECK  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import telegraffiles as tg  # noqa: E402
import harness  # noqa: E402
import pfqmetrics as pm  # noqa: E402

# /run/lock is on every Debian machine; /tmp where it is not.
LOCK = os.path.join("/run/lock" if os.path.isdir("/run/lock") else tempfile.gettempdir(),
                    "pfqmon-deb-test.lock")
LOCK_WAIT = 20 * 60
BIN = "/usr/bin/pfqmon"
EXAMPLES = "/usr/share/doc/pfqmon/examples"
UNIT = "/lib/systemd/system/pfqmon.service"
SNAPSHOT_ROOTS = ["/etc", "/usr", "/var/lib", "/var/cache", "/opt", "/srv"]
# man's cache of formatted pages: viewing a page stores one (systemd-analyze
# verify views pfqmon(8)), man-db's daily job removes them, no package's
# purge does; the man-db trigger also adds CACHEDIR.TAG files there.
SNAPSHOT_SKIP = ("/var/cache/man",)
TOOLS = ["dpkg-buildpackage", "dh", "lintian", "man", "visudo", "systemd-analyze",
         "dpkg-statoverride", "runuser", "strace"]
# What creates a path, and where the created path is among the arguments.
CREATE_CALLS = ("open", "openat", "creat", "mkdir", "mkdirat", "symlink", "symlinkat",
                "link", "linkat", "rename", "renameat", "renameat2")
VICTIM_MAILS, RELAY_MAILS = 12, 5


def skip(why):
    tap(True, "package: build, lintian, install, use and purge # SKIP " + why)
    return 0


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def dpkg(*args):
    """dpkg, waiting up to 5 minutes for another package manager's lock."""
    end = time.monotonic() + 300
    while True:
        res = run(["dpkg"] + list(args))
        if res.returncode == 0 or "lock" not in res.stderr or time.monotonic() > end:
            return res
        time.sleep(5)


def installed(pkg="pfqmon"):
    res = run(["dpkg-query", "-W", "-f=${db:Status-Status}", pkg])
    return res.returncode == 0 and res.stdout not in ("", "not-installed")


def snapshot():
    """Every path (file, directory, link) under the snapshot roots."""
    out = set()
    for root in SNAPSHOT_ROOTS:
        for d, dirs, files in os.walk(root):
            if d.startswith(SNAPSHOT_SKIP):
                dirs[:] = []
                continue
            out.update(os.path.join(d, n) for n in dirs + files)
    return out


def traced_dpkg(tmp, *args):
    """dpkg under strace -f: (result, the absolute paths it and its
    children created: files opened with O_CREAT, directories, links and
    rename targets)."""
    prefix = os.path.join(tmp, "strace")
    end = time.monotonic() + 300
    while True:
        for f in glob.glob(prefix + ".*"):
            os.unlink(f)
        res = run(["strace", "-ff", "-qq", "-s", "4096", "-o", prefix,
                   "-e", "trace=" + ",".join(CREATE_CALLS), "dpkg"] + list(args))
        if res.returncode == 0 or "lock" not in res.stderr or time.monotonic() > end:
            break
        time.sleep(5)
    created = set()
    for f in glob.glob(prefix + ".*"):
        for line in open(f, errors="replace"):
            m = re.match(r"(\w+)\((.*)\) += (-?\d+)", line)
            if not m or m.group(1) not in CREATE_CALLS or int(m.group(3)) < 0:
                continue
            call, argv = m.group(1), m.group(2)
            if call.startswith("open") and "O_CREAT" not in argv:
                continue
            paths = re.findall(r'"((?:[^"\\]|\\.)*)"', argv)
            if not paths:
                continue
            # The new name is the last path of link, symlink and rename.
            path = paths[0] if call in ("open", "openat", "creat", "mkdir", "mkdirat") \
                else paths[-1]
            if path.startswith("/"):
                created.add(os.path.normpath(path))
    return res, created


def ours(path):
    """A path that names pfqmon: a directory pfqmon, or pfqmon.* files."""
    parts = path.split("/")
    base = parts[-1]
    return "pfqmon" in parts[:-1] or base == "pfqmon" or base.startswith(("pfqmon.", "pfqmon_"))


def lock():
    """The machine-wide lock of this test, or None after LOCK_WAIT."""
    f = open(LOCK, "a")
    end = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return f
        except BlockingIOError:
            if time.monotonic() > end:
                f.close()
                return None
            time.sleep(5)


def check_build(out):
    res = run([os.path.join(ROOT_DIR, "tests/packaging/build-deb.sh"), out], cwd=ROOT_DIR)
    debs = glob.glob(os.path.join(out, "pfqmon_*.deb"))
    log = ""
    if os.path.exists(os.path.join(out, "build.log")):
        log = open(os.path.join(out, "build.log"), errors="replace").read()
    m = re.search(r"^(\d+) passed, (\d+) failed$", log, re.M)
    tap(res.returncode == 0 and len(debs) == 1,
        "package: dpkg-buildpackage -us -uc -b builds pfqmon_*.deb",
        (res.stdout + res.stderr).splitlines()[-15:])
    tap(m is not None and int(m.group(1)) > 100 and m.group(2) == "0"
        and re.search(r"^# \d+ tests skipped", log, re.M) is not None,
        "package: the build ran the tests that need no root or service, and they passed",
        [m.group(0) if m else "no test summary in build.log"])
    tap("-D_FORTIFY_SOURCE=2" in log and "-fstack-protector-strong" in log
        and "-Wl,-z,relro" in log and "-Wl,-z,now" in log,
        "package: compiled and linked with dpkg-buildflags' hardening flags")
    return debs[0] if res.returncode == 0 and len(debs) == 1 else None


def check_lintian(out):
    changes = glob.glob(os.path.join(out, "pfqmon_*.changes"))
    res = run(["lintian", "--fail-on", "error,warning", "--tag-display-limit", "0"] + changes)
    bad = [l for l in res.stdout.splitlines() if re.match(r"^[EW]: ", l)]
    tap(changes and res.returncode == 0 and not bad,
        "package: lintian reports no error and no warning", bad or res.stderr.splitlines())
    # Once more for the overridden tags (lintian then counts them for
    # --fail-on) and the informational ones.
    res = run(["lintian", "-I", "--show-overrides", "--tag-display-limit", "0"] + changes)
    tags = [l for l in res.stdout.splitlines() if re.match(r"^[EWIPXO]: ", l)]
    overridden = sorted({l.split()[2] for l in tags if l.startswith("O:")})
    tap(overridden == ["non-standard-dir-perm"],
        "package: the only lintian tag overridden is the 0750 /etc/pfqmon",
        ["overridden: %s" % overridden])
    for l in tags:
        if l[0] in "IP":
            print("# lintian: " + l)


def check_installed(created):
    new_etc = sorted(p for p in created if p.startswith("/etc/"))
    tap(new_etc == ["/etc/pfqmon"],
        "install: the package adds nothing to /etc but /etc/pfqmon (nothing in "
        "telegraf.d, sudoers.d, postfix or systemd)", new_etc)
    res = run(["dpkg-query", "-W", "-f=${Conffiles}", "pfqmon"])
    tap(res.returncode == 0 and not res.stdout.strip(), "install: the package has no conffile",
        [res.stdout])
    files = set(run(["dpkg", "-L", "pfqmon"]).stdout.split())
    want = {BIN, UNIT, "/etc/pfqmon", "/usr/share/pfqmon/dashboards/pfqmon.json",
            "/usr/share/pfqmon/tick/postfix_queue.tick",
            "/usr/share/pfqmon/tick/postfix_culprit.vars.json",
            "/usr/share/pfqmon/tick/postfix_deadman.tick",
            EXAMPLES + "/pfqmon.json", EXAMPLES + "/telegraf/pfqmon-execd.conf",
            EXAMPLES + "/telegraf/sudoers.pfqmon-exec",
            "/usr/share/man/man8/pfqmon.8.gz", "/usr/share/man/man8/pfqmon-select.8.gz",
            "/usr/share/man/man8/pfqmon-top.8.gz", "/usr/share/doc/pfqmon/NEWS.gz",
            "/usr/share/doc/pfqmon/copyright"}
    tap(want <= files, "install: the binary, man pages, TICK files, dashboard, examples "
        "and unit are where the README says", sorted(want - files))
    ver = run([BIN, "--version"]).stdout.strip()
    tap(ver == "pfqmon " + run(["dpkg-query", "-W", "-f=${Version}", "pfqmon"]).stdout,
        "install: %s --version prints the package's version" % BIN, [ver])

    st = os.stat("/etc/pfqmon")
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    so = run(["dpkg-statoverride", "--list", "/etc/pfqmon"]).stdout.strip()
    tap(stat.S_IMODE(st.st_mode) == 0o750 and st.st_uid == 0 and group == "postfix"
        and re.fullmatch(r"root postfix 0*750 /etc/pfqmon", so) is not None,
        "install: /etc/pfqmon is root:postfix 0750, kept by a statoverride",
        ["mode %o uid %d group %s; statoverride %r" % (stat.S_IMODE(st.st_mode),
                                                        st.st_uid, group, so)])

    wants = glob.glob("/etc/systemd/system/*/pfqmon.service") + \
        glob.glob("/etc/systemd/system/pfqmon.service")
    enabled = run(["systemctl", "is-enabled", "pfqmon.service"])
    tap(not wants and enabled.stdout.strip() in ("disabled", ""),
        "install: the unit is installed but not enabled",
        wants + [enabled.stdout, enabled.stderr])
    if os.path.isdir("/run/systemd/system"):
        active = run(["systemctl", "is-active", "pfqmon.service"]).stdout.strip()
        tap(active == "inactive", "install: the unit is not running", [active])
    else:
        tap(True, "install: the unit is not running # SKIP systemd is not running here")
    res = run(["systemd-analyze", "verify", UNIT])
    noise = [l for l in res.stderr.splitlines() if l.strip()
             and "Failed to" not in l and "bus" not in l.lower()]
    tap(res.returncode == 0 and not noise,
        "install: systemd-analyze verify passes on %s (ExecStart, man pages)" % UNIT, noise)


def check_man():
    where = {}
    for args in (["pfqmon"], ["pfqmon-select"], ["pfqmon-top"], ["pfqmon", "select"],
                 ["8", "pfqmon"]):
        res = run(["man", "-w"] + args)
        where[" ".join(args)] = res.stdout.strip() if res.returncode == 0 else None
    tap(where["pfqmon"] == where["8 pfqmon"] == "/usr/share/man/man8/pfqmon.8.gz"
        and where["pfqmon-select"] == where["pfqmon select"]
        == "/usr/share/man/man8/pfqmon-select.8.gz"
        and where["pfqmon-top"] == "/usr/share/man/man8/pfqmon-top.8.gz",
        "man: man -w finds pfqmon(8), pfqmon-select(8) (also as \"man pfqmon select\") "
        "and pfqmon-top(8)", ["%s: %s" % kv for kv in where.items()])
    for page in ("pfqmon", "pfqmon-select", "pfqmon-top"):
        res = run(["man", "--warnings", "-E", "UTF-8", "-l",
                   "/usr/share/man/man8/%s.8.gz" % page],
                  env=dict(os.environ, MANWIDTH="80"))
        tap(res.returncode == 0 and not res.stderr.strip() and "NAME" in res.stdout,
            "man: the installed %s(8) renders under man --warnings with no warning" % page,
            res.stderr.splitlines())


def check_sudoers_examples():
    for kind in ("exec", "execd"):
        path = "%s/telegraf/sudoers.pfqmon-%s" % (EXAMPLES, kind)
        text = open(path).read()
        res = run(["visudo", "-c", "-q", "-f", path])
        tap(res.returncode == 0, "examples: visudo -c -f %s" % path,
            (res.stdout + res.stderr).splitlines())
        # The commented line for another instance, uncommented, too.
        with tempfile.NamedTemporaryFile("w", prefix="pfqmon-sudoers.") as f:
            f.write(re.sub(r"^#(telegraf )", r"\1", text, flags=re.M))
            f.flush()
            res = run(["visudo", "-c", "-q", "-f", f.name])
        rules = tg.sudoers_rules(text)
        cmds = [tg.unsudo(c, "postfix") for _, c in
                tg.snippet_commands("%s/telegraf/pfqmon-%s.conf" % (EXAMPLES, kind))]
        tap(res.returncode == 0 and rules and all(r.path == BIN for r in rules)
            and sorted(cmds) == sorted(tg.rule_command(r) for r in rules),
            "examples: sudoers.pfqmon-%s, its example line uncommented too, passes visudo "
            "and allows exactly the commands of pfqmon-%s.conf, all naming %s"
            % (kind, kind, BIN), [res.stderr, [r.line for r in rules], cmds])


def play(p):
    """A compromised SASL account and a relay host; their mail is held."""
    inj = harness.Injector(p.smtp_port)
    try:
        inj.xclient(addr="198.51.100.10", login="victim")
        for i in range(VICTIM_MAILS):
            inj.send("victim@customer.example", ["r%d@hold.test" % i])
        inj.xclient(addr="203.0.113.66")
        for i in range(RELAY_MAILS):
            inj.send("news%d@relay.example" % i, ["s%d@hold.test" % i])
    finally:
        inj.close()


def check_postfix(tmp):
    p = harness.Postfix()
    try:
        p.setup()
        p.start()
        play(p)
        listed = p.wait_settled()
        res = run([BIN, "-c", p.conf, "--top", "0"])
        got = pm.decode(res.stdout.encode(), LPCHECK) if res.returncode == 0 else {}
        total = got.get(("postfix_queue_total", ()), {}).get("length")
        victim = got.get(("postfix_queue_sasl", (("sasl_username", "victim"),)), {})
        relay = got.get(("postfix_queue_client", (("client_address", "203.0.113.66"),)), {})
        scan = got.get(("postfix_queue_scan", (("source", "spool"),)), {})
        tap(res.returncode == 0 and total == len(listed) == VICTIM_MAILS + RELAY_MAILS
            and victim.get("length") == victim.get("hold") == VICTIM_MAILS
            and relay.get("length") == RELAY_MAILS and scan.get("parsed") == total,
            "run: the installed pfqmon, started as root, reports the throw-away Postfix's "
            "queue as postqueue -j lists it, by SASL user and client",
            [res.stderr, "total %s, postqueue -j %d, victim %s, relay %s, scan %s"
             % (total, len(listed), victim, relay, scan)])
        ids = run([BIN, "select", "-c", p.conf, "--sasl-user", "victim"])
        want = sorted(m["queue_id"] for m in p.postqueue_j()
                      if m["sender"] == "victim@customer.example")
        tap(ids.returncode == 0 and sorted(ids.stdout.split()) == want and want,
            "run: the installed pfqmon select --sasl-user lists exactly the victim's mail",
            [ids.stderr, "select %s, postqueue -j %s" % (ids.stdout.split(), want)])
        top = run([BIN, "top", "-c", p.conf, "--format", "json"])
        try:
            doc = json.loads(top.stdout)
            rows = doc["sasl_usernames"]["rows"]
            ok = doc["total"]["length"] == len(listed) and rows[0]["key"] == "victim"
        except (ValueError, KeyError, IndexError, TypeError):
            ok = False
        tap(top.returncode == 0 and ok,
            "run: the installed pfqmon top puts the victim first", [top.stderr, top.stdout[:300]])

        # The service's configuration, put in place as the README says.
        pw = "/etc/pfqmon/influxdb-password"
        steps = [["install", "-m", "0640", "-g", "postfix", EXAMPLES + "/pfqmon.json",
                  "/etc/pfqmon/pfqmon.json"],
                 ["install", "-m", "0640", "-g", "postfix", os.path.join(tmp, "pw"), pw]]
        with open(os.path.join(tmp, "pw"), "w") as f:
            f.write("Sekr1t-deb-test\n")
        errs = [r.stderr for r in (run(s) for s in steps) if r.returncode != 0]
        res = run(["runuser", "-u", "postfix", "--", BIN, "--config", "/etc/pfqmon/pfqmon.json",
                   "--queue-dir", p.spool, "--check-config"])
        tap(not errs and res.returncode == 0 and "configuration OK" in res.stdout
            and "Sekr1t" not in res.stdout + res.stderr,
            "config: the postfix user reads the example configuration and its password "
            "file in /etc/pfqmon (mode 0640, group postfix)", errs + [res.stdout, res.stderr])
        res = run(["runuser", "-u", "nobody", "--", "cat", pw])
        tap(res.returncode != 0 and "Sekr1t" not in res.stdout,
            "config: another user cannot read the password in /etc/pfqmon")
    except Exception as e:  # a harness failure is a failure, with its reason
        tap(False, "run: harness error: %s: %s" % (type(e).__name__, e))
    finally:
        p.close()


def check_purge(before, created):
    res = dpkg("--purge", "pfqmon")
    tap(res.returncode == 0 and not installed(),
        "purge: dpkg --purge pfqmon removes the package", res.stderr.splitlines())
    after = snapshot()
    # What the install created and is still there, and anything new that
    # names pfqmon (what the run put in /etc/pfqmon, as an admin would).
    # Other jobs on this machine may add files of their own meanwhile.
    left = sorted({p for p in created if os.path.lexists(p)}
                  | {p for p in after - before if ours(p)})
    tap(not left, "purge: no file is left behind (%s compared before the install and "
        "after the purge)" % ", ".join(SNAPSHOT_ROOTS), left[:15])
    so = run(["dpkg-statoverride", "--list", "/etc/pfqmon"]).stdout.strip()
    tap(not so, "purge: the statoverride of /etc/pfqmon is gone", [so])
    tap(run(["man", "-w", "pfqmon"]).returncode != 0, "purge: man -w pfqmon finds nothing")


def main():
    if not cases("deb"):
        return exit_status()
    if os.geteuid() != 0:
        return skip("needs root (dpkg -i, dpkg --purge)")
    missing = [t for t in TOOLS if shutil.which(t) is None
               and not os.path.exists("/usr/sbin/" + t)]
    if missing:
        return skip("missing %s (tests/install-deps.sh all)" % ", ".join(missing))
    os.environ["PATH"] += ":/usr/sbin:/sbin"
    lk = lock()
    if lk is None:
        return skip("another run held %s for %d minutes" % (LOCK, LOCK_WAIT // 60))
    tmp = tempfile.mkdtemp(prefix="pfqmon-debtest.")
    installing = False
    try:
        if installed() or os.path.lexists(BIN) or os.path.lexists("/etc/pfqmon"):
            return skip("pfqmon is installed on this machine (dpkg -s pfqmon, %s, "
                        "/etc/pfqmon): the test would replace and purge it" % BIN)
        t0 = time.monotonic()
        deb = check_build(os.path.join(tmp, "out"))
        if deb is None:
            return exit_status()
        print("# built in %.0f s" % (time.monotonic() - t0))
        check_lintian(os.path.join(tmp, "out"))
        before = snapshot()
        installing = True
        res, traced = traced_dpkg(tmp, "-i", deb)
        tap(res.returncode == 0 and installed(), "install: dpkg -i %s" % os.path.basename(deb),
            res.stderr.splitlines())
        if res.returncode != 0:
            return exit_status()
        # What the install created and is there now, by its real directory
        # (/lib is /usr/lib): not what existed before, nor man's page cache.
        traced = {os.path.join(os.path.realpath(os.path.dirname(p)), os.path.basename(p))
                  for p in traced}
        created = {p for p in traced if os.path.lexists(p) and p not in before
                   and p.startswith(tuple(r + "/" for r in SNAPSHOT_ROOTS))
                   and not p.startswith(SNAPSHOT_SKIP)}
        check_installed(created)
        check_man()
        check_sudoers_examples()
        check_postfix(tmp)
        check_purge(before, created)
        installing = installed()
        print("# %.0f s in all" % (time.monotonic() - t0))
    finally:
        if installing:
            dpkg("--purge", "pfqmon")
        shutil.rmtree(tmp, ignore_errors=True)
        lk.close()
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
