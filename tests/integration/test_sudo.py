#!/usr/bin/python3
"""test_sudo.py - the Telegraf set-up through a real sudo, as a real
unprivileged user: the shipped sudoers lines allow exactly the shipped
commands, and pfqmon refuses what a wider line would let through.

As root, with a throw-away Postfix instance holding mail (some of it
from a SASL login) and a throw-away system user playing telegraf:
- a sudoers file in /etc/sudoers.d (unique name, mode 0440, checked with
  visudo -c -f first) holds the lines of docs/telegraf/sudoers.pfqmon-*,
  the commented examples included, adapted to a copy of the binary and
  to the instance's configuration directory;
- first wall: each command of the shipped Telegraf snippets, run by the
  user exactly as Telegraf runs it (runuser -u USER -- sudo -n -u postfix
  ...; the default instance in a mount namespace where /etc/postfix is
  the instance's), reports the whole queue with its SASL user; every
  other argument list is refused by sudo itself;
- second wall: with a test-only line allowing any arguments added to the
  same file, pfqmon refuses, exit 2 and one line naming the option, each
  option that reads a file or sends data: --config of a file holding a
  password with --push to a local listener (no connection may reach it),
  --push-token-file of a file only postfix may read, --config of a
  non-JSON file (its text must not be quoted), -c and --queue-dir of a
  directory the user owns (its main.cf a link to a file only postfix may
  read), select and top with --config, --user, and MAIL_CONFIG of that
  directory (kept by a Defaults env_keep line); while the options that
  shape stdout, and root's directories, still work;
- as root (sudo from root: SUDO_UID set, uid 0) every option works: the
  same --config and --push reach the listener, with the password.
The user and the sudoers file are removed in a finally block.
"""

import base64
import http.server
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import REPO as ROOT_DIR, PFQMON, LPCHECK  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import harness  # noqa: E402
import pfqmetrics as pm  # noqa: E402
import telegraffiles as tg  # noqa: E402

SHIPPED_BIN = "/usr/bin/pfqmon"
SHIPPED_INSTANCE = "/etc/postfix-out"
SUDOERS_D = "/etc/sudoers.d"
PAIRS = [("docs/telegraf/pfqmon-exec.conf", "docs/telegraf/sudoers.pfqmon-exec"),
         ("docs/telegraf/pfqmon-execd.conf", "docs/telegraf/sudoers.pfqmon-execd")]
SECRET = "Zq7" + secrets.token_hex(8)         # in every file the user must not see
PASSWORD = "pw" + SECRET
VICTIM_MSGS, OTHER_MSGS = 4, 2


class Listener:
    """A loopback HTTP server that answers 204 and remembers every
    connection and request, so a test can say nothing reached it."""

    def __init__(self):
        got = self.requests = []
        self.connections = 0
        self.marker, self.marked = None, threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(n)
                got.append((self.path, dict(self.headers)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        class Server(http.server.ThreadingHTTPServer):
            def verify_request(self, request, client_address):
                if client_address[1] == outer.marker:
                    outer.marked.set()
                    return False
                outer.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def drain(self, timeout=30):
        """Wait until every connection made so far is counted: a connection
        of the listener's own, made now, is accepted after them (the
        backlog is in order), and is not counted."""
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.marker = s.getsockname()[1]
        self.marked.clear()
        s.connect(self.server.server_address)
        self.marked.wait(timeout)
        s.close()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Env:
    """Everything the run made, for the tests and for cleanup."""
    user = None
    sudoers = None
    tmp = None
    postfix = None
    listener = None


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=120, **kw)


def make_user():
    name = "pfqtg%s" % secrets.token_hex(4)
    res = sh(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
              "--shell", "/usr/sbin/nologin", name])
    if res.returncode != 0:
        raise RuntimeError("useradd: %s" % res.stderr.decode(errors="replace"))
    return name


def remove_user(name):
    # sudo may still be exiting: userdel refuses a user with a process.
    for _ in range(50):
        res = sh(["userdel", name])
        if res.returncode == 0 or b"does not exist" in res.stderr:
            return True
        time.sleep(0.1)
    return False


def install_sudoers(env, lines):
    """Write lines to the run's /etc/sudoers.d file: visudo -c -f first,
    mode 0440, then renamed into place (a name with a dot is skipped by
    sudo, so the temporary file is never read as sudoers)."""
    tmp = os.path.join(SUDOERS_D, ".%s.tmp" % os.path.basename(env.sudoers))
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o440), "w") as f:
        f.write("".join(l + "\n" for l in lines))
    res = sh(["visudo", "-c", "-q", "-f", tmp])
    if res.returncode != 0:
        os.unlink(tmp)
        raise RuntimeError("visudo -c: %s" % (res.stdout + res.stderr).decode(errors="replace"))
    os.chmod(tmp, 0o440)
    os.rename(tmp, env.sudoers)


def adapt(text, env):
    """A shipped line or argument with the test's user, binary and instance."""
    return (text.replace("telegraf ", env.user + " ", 1) if text.startswith("telegraf ") else text) \
        .replace(SHIPPED_BIN, env.bin).replace(SHIPPED_INSTANCE, env.postfix.conf)


def shipped_lines(env):
    lines = []
    for _, sudoers in PAIRS:
        for r in tg.sudoers_rules(open(os.path.join(ROOT_DIR, sudoers)).read()):
            lines.append(adapt(r.line, env))
    return lines


def shipped_commands(env):
    """[(name, argv, default_instance)] of every shipped Telegraf command."""
    out = []
    for conf, _ in PAIRS:
        for active, argv in tg.snippet_commands(os.path.join(ROOT_DIR, conf)):
            argv = [adapt(a, env) for a in argv]
            default = "-c" not in argv
            out.append(("%s %s" % (os.path.basename(conf), " ".join(argv[4:]).replace(
                env.bin, "pfqmon").replace(env.postfix.conf, "INSTANCE")), argv, default))
    return out


def as_user(env, argv, default_instance=False, stdin=None, mail_config=None):
    """argv run by the test user, as Telegraf would run it; the default
    instance is the test's one, in a private mount namespace. With
    mail_config, the user's environment has MAIL_CONFIG."""
    cmd = ["runuser", "-u", env.user, "--"] + (
        ["env", "MAIL_CONFIG=" + mail_config] if mail_config else []) + argv
    if default_instance:
        return harness.in_namespace(env.postfix.conf, cmd, input=stdin)
    return sh(cmd, input=stdin)


def report_ok(res, tags=()):
    """The report is the whole queue, read from the files (SASL user);
    tags: the extra (key, value) tags every line carries."""
    try:
        got = pm.decode(res.stdout, LPCHECK)
    except Exception as e:
        return ["undecodable: %s" % e, res.stderr.decode(errors="replace")[-300:]]
    total = got.get(("postfix_queue_total", tuple(sorted(tags))), {}).get("length")
    sasl = got.get(("postfix_queue_sasl", tuple(sorted((("sasl_username", "victim"),)
                                                      + tuple(tags)))), {}).get("length")
    if res.returncode == 0 and total == VICTIM_MSGS + OTHER_MSGS and sasl == VICTIM_MSGS:
        return []
    return ["exit %d, total %s, victim %s" % (res.returncode, total, sasl),
            res.stderr.decode(errors="replace")[-300:]]


def setup_queue(env):
    p = env.postfix = harness.Postfix()
    p.setup()
    p.start()
    inj = harness.Injector(p.smtp_port)
    try:
        inj.xclient(addr="198.51.100.10", login="victim")
        for i in range(VICTIM_MSGS):
            inj.send("victim@customer.example", ["r%d@remote.test" % i])
        inj.xclient(addr="203.0.113.5")
        for i in range(OTHER_MSGS):
            inj.send("user%d@corp.example" % i, ["s%d@remote.test" % i])
    finally:
        inj.close()
    p.wait_settled()
    p.stop()


def postfix_only_file(env, name, text):
    """A file only the postfix user may read (mode 0600)."""
    pf = pwd.getpwnam("postfix")
    path = os.path.join(env.tmp, name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(text)
    os.chown(path, pf.pw_uid, pf.pw_gid)
    return path


def setup_files(env):
    """The binary, the secrets, and a directory the user owns."""
    env.tmp = tempfile.mkdtemp(prefix="pfqmon-sudo.")
    os.chmod(env.tmp, 0o755)
    bindir = os.path.join(env.tmp, "bin")
    os.mkdir(bindir)
    os.chmod(bindir, 0o755)      # the user and postfix must reach the binary
    env.bin = os.path.join(bindir, "pfqmon")
    shutil.copy(PFQMON, env.bin)
    os.chmod(env.bin, 0o755)
    env.config = postfix_only_file(env, "pfqmon.json", (
        '{"push": "%s", "push_db": "telegraf", "push_user": "pfqmon",\n'
        ' "push_password": "%s"}\n') % (env.listener.url, PASSWORD))
    env.token = postfix_only_file(env, "token", SECRET + "\n")
    # jansson quotes a token of up to 20 characters near a syntax error.
    env.notjson = postfix_only_file(env, "notjson", '{"token" "%s"}\n' % SECRET[:15])
    env.cf_target = postfix_only_file(env, "private.cf", "%s no equals sign\n" % SECRET)
    u = pwd.getpwnam(env.user)
    env.attacker = tempfile.mkdtemp(prefix="pfqmon-sudo-user.")
    os.symlink(env.cf_target, os.path.join(env.attacker, "main.cf"))
    os.chmod(env.attacker, 0o755)
    os.chown(env.attacker, u.pw_uid, u.pw_gid)
    os.lchown(os.path.join(env.attacker, "main.cf"), u.pw_uid, u.pw_gid)


def first_wall(env):
    for name, argv, default in shipped_commands(env):
        stdin = b"\n" if "--execd" in argv else None
        res = as_user(env, argv, default, stdin)
        tap(not (p := report_ok(res)),
            "first wall: %s, run by the user through sudo, reports the queue as postfix"
            % name, p)
    url = env.listener.url
    others = [["-v"], [""], ["--top", "5"], ["--execd", "--top", "1"],
              ["-c", env.postfix.conf, "--top", "1"], ["-c", env.attacker],
              ["--config", env.config], ["--config", env.config, "--push", url],
              ["--push-token-file", env.token, "--push", url, "--push-bucket", "b"],
              ["--queue-dir", env.postfix.spool], ["select", "--sasl-user", "victim"],
              ["top"], ["--help"]]
    for args in others:
        res = as_user(env, ["/usr/bin/sudo", "-n", "-u", "postfix", env.bin] + args)
        err = res.stderr.decode(errors="replace")
        tap(res.returncode == 1 and err.startswith("sudo:") and not res.stdout
            and "pfqmon" not in err,
            "first wall: sudo itself refuses pfqmon %s" % label(env, args),
            ["exit %d" % res.returncode, err[-300:]])
    env.listener.drain()
    tap(env.listener.connections == 0,
        "first wall: nothing reached the listener", ["%d connections" % env.listener.connections])


def label(env, args):
    """args for a test's name, the run's temporary paths shortened."""
    return " ".join(a or '""' for a in args).replace(env.postfix.conf, "INSTANCE") \
        .replace(env.postfix.spool, "SPOOL").replace(env.attacker, "USERDIR") \
        .replace(env.tmp, "TMP")


def expect_refused(env, args, option, name, mail_config=None):
    """pfqmon, through sudo as postfix with any arguments allowed, refuses
    args with exit 2 and one line naming option; nothing secret shown."""
    res = as_user(env, ["/usr/bin/sudo", "-n", "-u", "postfix", env.bin] + args,
                  mail_config=mail_config)
    err = res.stderr.decode(errors="replace")
    out = res.stdout.decode(errors="replace")
    want = "pfqmon: %s: refused when run through sudo as postfix: " % option
    tap(res.returncode == 2 and len(err.splitlines()) == 1 and err.startswith(want)
        and not out and SECRET not in err and SECRET[:5] not in err,
        "second wall: %s -> exit 2, one line naming %s" % (name, option),
        ["exit %d" % res.returncode, err[-400:], out[-200:]])


def second_wall(env):
    url = env.listener.url
    before = env.listener.connections
    conf = env.postfix.conf
    expect_refused(env, ["--config", env.config, "--push", url], "--config",
                   "--config (a password inside) --push to the listener")
    expect_refused(env, ["--config", env.config], "--config", "--config alone")
    expect_refused(env, ["-c", conf, "--push", url, "--push-db", "x"], "--push",
                   "--push to the listener")
    expect_refused(env, ["--push-token-file", env.token, "--push", url, "--push-bucket", "b"],
                   "--push", "--push with --push-token-file of a postfix-only file")
    expect_refused(env, ["-c", conf, "--push-token-file", env.token], "--push-token-file",
                   "--push-token-file of a postfix-only file")
    expect_refused(env, ["-c", conf, "--push-ca-file", env.token], "--push-ca-file",
                   "--push-ca-file of a postfix-only file")
    expect_refused(env, ["-c", conf, "--push-password-env", "HOME"], "--push-password-env",
                   "--push-password-env")
    expect_refused(env, ["--config", env.notjson], "--config",
                   "--config of a postfix-only non-JSON file")
    expect_refused(env, ["-c", env.attacker], "--config-dir (-c)",
                   "-c of the user's directory (main.cf a link to a postfix-only file)")
    expect_refused(env, ["--queue-dir", env.attacker], "--queue-dir",
                   "--queue-dir of the user's directory")
    expect_refused(env, ["-c", conf, "--user", "postfix"], "--user", "--user")
    expect_refused(env, ["select", "--config", env.notjson, "--sender", "a@b.example"],
                   "--config", "select --config of a postfix-only non-JSON file")
    expect_refused(env, ["select", "-c", env.attacker, "--sasl-user", "victim"],
                   "--config-dir (-c)", "select -c of the user's directory")
    expect_refused(env, ["top", "--config", env.config], "--config", "top --config")
    expect_refused(env, ["top", "--user", "root"], "--user", "top --user")
    expect_refused(env, ["-v"], "MAIL_CONFIG", "MAIL_CONFIG (kept by sudoers) of the user's "
                   "directory", mail_config=env.attacker)
    env.listener.drain()
    tap(env.listener.connections == before,
        "second wall: no connection reached the listener",
        ["%d connections" % (env.listener.connections - before)])

    sudo = ["/usr/bin/sudo", "-n", "-u", "postfix", env.bin]
    res = as_user(env, sudo + ["-c", conf, "--top", "3", "-v", "--tag", "site=t",
                                "--threads", "1", "--no-cache", "--source", "spool"])
    tap(not (p := report_ok(res, (("site", "t"),))),
        "second wall: -c of root's directory and options for stdout still work", p)
    res = as_user(env, sudo + ["--queue-dir", env.postfix.spool])
    tap(not (p := report_ok(res)), "second wall: --queue-dir of root's spool still works", p)
    res = as_user(env, sudo, mail_config=conf)
    tap(not (p := report_ok(res)), "second wall: MAIL_CONFIG of root's directory still works",
        p)
    res = as_user(env, sudo + ["select", "-c", conf, "--sasl-user", "victim", "--count"])
    tap(res.returncode == 0 and res.stdout.strip() == str(VICTIM_MSGS).encode(),
        "second wall: select --sasl-user through sudo finds the victim's %d messages"
        % VICTIM_MSGS, [res.stdout, res.stderr])
    res = as_user(env, sudo + ["top", "-c", conf, "--rows", "2", "--format", "json"])
    tap(res.returncode == 0 and b'"victim"' in res.stdout,
        "second wall: top --rows --format through sudo still works", [res.stderr])


def as_root(env):
    """sudo from root: SUDO_UID is set, but the uid is 0: all options."""
    sudo = ["/usr/bin/sudo", "-n", env.bin]
    conf = env.postfix.conf
    n = len(env.listener.requests)
    res = sh(sudo + ["--config", env.config, "-c", conf])
    auth = "Basic " + base64.b64encode(("pfqmon:" + PASSWORD).encode()).decode()
    got = env.listener.requests[n:]
    tap(res.returncode == 0 and got and got[0][1].get("Authorization") == auth,
        "root through sudo: --config with a password pushes to the listener, with it",
        ["exit %d" % res.returncode, res.stderr.decode(errors="replace")[-300:],
         "%d requests" % len(got)])
    n = len(env.listener.requests)
    res = sh(sudo + ["-c", conf, "--push", env.listener.url, "--push-bucket", "b",
                     "--push-token-file", env.token])
    got = env.listener.requests[n:]
    tap(res.returncode == 0 and got and got[0][1].get("Authorization") == "Token " + SECRET,
        "root through sudo: --push-token-file is read and sent", [res.stderr, len(got)])
    res = sh(sudo + ["select", "--config", env.config, "-c", conf, "--sasl-user", "victim",
                     "--count", "--user", "postfix"])
    tap(res.returncode == 0 and res.stdout.strip() == str(VICTIM_MSGS).encode(),
        "root through sudo: select --config --user works", [res.stdout, res.stderr])
    res = sh(sudo + ["top", "--config", env.config, "-c", conf])
    tap(res.returncode == 0 and b"victim" in res.stdout,
        "root through sudo: top --config works", [res.stderr])
    res = sh(sudo + ["--config", env.notjson])
    err = res.stderr.decode(errors="replace")
    tap(res.returncode == 2 and env.notjson in err and "line 1 column" in err
        and SECRET[:5] not in err,
        "root through sudo: --config of a non-JSON file names it, quotes none of it", [err])


def main():
    if os.geteuid() != 0:
        tap(False, "the sudo tests need root")
        return 1
    missing = [t for t in ("sudo", "visudo", "runuser", "useradd", "userdel", "unshare")
               if shutil.which(t) is None]
    if missing:
        print("ok - sudo tests # SKIP not installed: %s" % " ".join(missing))
        return 0
    picked = cases(first_wall, second_wall, as_root)
    if not picked:
        return exit_status()
    env = Env()
    try:
        env.listener = Listener()
        env.user = make_user()
        env.sudoers = os.path.join(SUDOERS_D, "pfqmon-test-%s" % secrets.token_hex(6))
        setup_queue(env)
        setup_files(env)
        for t in picked:
            if t is first_wall:
                install_sudoers(env, shipped_lines(env))
            elif t is second_wall:
                install_sudoers(env, shipped_lines(env) + [
                    "%s ALL=(postfix) NOPASSWD: %s" % (env.user, env.bin),
                    'Defaults!%s env_keep += "MAIL_CONFIG"' % env.bin])
            t(env)
    except Exception as e:
        tap(False, "sudo tests: %s: %s" % (type(e).__name__, e))
    finally:
        if env.sudoers:
            for path in (env.sudoers, os.path.join(SUDOERS_D, ".%s.tmp" %
                                                   os.path.basename(env.sudoers))):
                if os.path.lexists(path):
                    os.unlink(path)
        if env.user and not remove_user(env.user):
            tap(False, "cleanup: userdel %s" % env.user)
        if env.postfix:
            env.postfix.close()
        if env.listener:
            env.listener.close()
        for d in (env.tmp, getattr(env, "attacker", None)):
            if d:
                shutil.rmtree(d, ignore_errors=True)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
