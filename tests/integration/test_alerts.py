#!/usr/bin/env python3
"""test_alerts - the alert mails, end to end, in a real Kapacitor 1.5.7.

A throw-away Postfix receives an abuse scene step by step; pfqmon pushes
every scan into a private InfluxDB 1.x, which Kapacitor subscribes to;
the TICKscripts are installed as the README says (the plain way for the
culprit script, with its defaults; the template way with shorter windows
for the others); Kapacitor mails a small SMTP server of this test's own.
Then the mails themselves are checked:

  - nothing below the threshold; a warning at 150, critical at 200, and
    a recovery, each with the queue's numbers;
  - one mail per culprit (SASL user, client address, sender) naming it,
    with the numbers pfqmon top gives; never "(other)" or MAILER-DAEMON;
  - every command of every culprit mail, pasted into bash with postsuper
    stubbed, runs only pfqmon and postsuper on exactly that key's mail,
    even for the SASL name and the sender an attacker made of quotes,
    backticks, $( ), ;, |, spaces, UTF-8 and a leading '-';
  - holding the culprit's mail with the mail's own command recovers its
    alert, with a text of its own; deleting it recovers the queue alert;
  - the deadman fires when pfqmon stops, within the documented time, and
    recovers when it is back;
  - a SASL user whose mail leaves at once (the queue never grows) gets
    one arrivals mail per key over the rate, and one when it stops.

Kapacitor is found as a user's machine has it: KAPACITORD and KAPACITOR,
then PATH, then ../shared/tools/tick/bin/; without it, or without
Debian's python3-aiosmtpd, every check is reported skipped, never passed.
"""

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import REPO, PFQMON  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import harness  # noqa: E402
from harness import (EVIL_LOGIN, EVIL_SENDER, EVIL_SENDER_TAG, VICTIM,  # noqa: E402
                     VICTIM_LOGIN, VICTIM_IPS, RELAY_IP, EVIL_IP, Sink,
                     wait_mails, envelopes, ids_of, paste, paste_all, xtext)

ROOT = tempfile.mkdtemp(prefix="pfqmon-alerts.")
os.chmod(ROOT, 0o755)           # Postfix and pfqmon run as postfix below it
HOST = "mx1"
TO = "ops@alerts.test"
SCAN = "2s"                    # pfqmon's interval here
QUEUE_WINDOW = "4s"            # the queue alert's window (template var)
DEAD_INTERVAL, DEAD_EVERY = 12, 2   # the deadman's vars, in seconds

SPRAY, SPRAY_LOGIN, SPRAY_IP = 120, "sprayer", "198.51.100.88"
SPRAY_SENDER = "sprayer@customer.example"


def find(env, name):
    """A tool as a user's machine has it, or None."""
    if os.environ.get(env):
        return os.environ[env] if os.access(os.environ[env], os.X_OK) else None
    path = shutil.which(name)
    if path:
        return path
    path = os.path.join(REPO, "..", "shared", "tools", "tick", "bin", name)
    return os.path.abspath(path) if os.access(path, os.X_OK) else None


class Kapacitor:
    """kapacitord with every path in this test's directory, subscribed to
    the test's InfluxDB, mailing the sink."""

    def __init__(self, daemon, cli, influx, smtp_port):
        self.cli = cli
        self.dir = os.path.join(ROOT, "kapacitor")
        os.makedirs(self.dir)
        for attempt in range(5):
            log = self.start(daemon, influx, smtp_port)
            if log is None:
                return
            if attempt == 4 or not harness.port_taken(log):
                raise RuntimeError("kapacitord did not start: %s" % log[-800:])

    def start(self, daemon, influx, smtp_port):
        """kapacitord on a port of its own: None once it answers, or what
        it logged."""
        self.port = harness.free_port()
        conf = os.path.join(self.dir, "kapacitor.conf")
        d = self.dir
        with open(conf, "w") as f:
            f.write('hostname = "127.0.0.1"\ndata_dir = "%s"\n'
                    '[http]\n  bind-address = "127.0.0.1:%d"\n  log-enabled = false\n'
                    '[replay]\n  dir = "%s/replay"\n'
                    '[storage]\n  boltdb = "%s/kapacitor.db"\n'
                    '[task]\n  dir = "%s/tasks"\n'
                    '[load]\n  enabled = false\n'
                    '[[influxdb]]\n  enabled = true\n  name = "default"\n'
                    '  default = true\n  urls = ["http://127.0.0.1:%d"]\n'
                    '  subscription-protocol = "http"\n'
                    '  kapacitor-hostname = "127.0.0.1"\n'
                    '  subscriptions-sync-interval = "1s"\n'
                    '[smtp]\n  enabled = true\n  host = "127.0.0.1"\n  port = %d\n'
                    '  from = "kapacitor@alerts.test"\n  no-verify = true\n'
                    '[logging]\n  file = "%s/kapacitord.log"\n  level = "INFO"\n'
                    '[reporting]\n  enabled = false\n'
                    % (d, self.port, d, d, d, influx.port, smtp_port, d))
        self.log = open(os.path.join(d, "stdout.log"), "wb")
        self.proc = subprocess.Popen([daemon, "-config", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        end = time.monotonic() + 30
        while time.monotonic() < end and self.proc.poll() is None:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/kapacitor/v1/ping"
                                            % self.port, timeout=1) as r:
                    if r.status == 204 and harness.listening(self.proc.pid, self.port):
                        return None
            except OSError:
                pass
            time.sleep(0.1)
        self.close()
        with open(os.path.join(d, "stdout.log"), "rb") as f:
            out = f.read().decode(errors="replace")
        return out + self.log_tail()

    def run(self, *args):
        return subprocess.run([self.cli, "-url", "http://127.0.0.1:%d" % self.port]
                              + list(args), capture_output=True, cwd=REPO, timeout=60)

    def log_tail(self):
        try:
            return open(os.path.join(self.dir, "kapacitord.log"), errors="replace").read()[-800:]
        except OSError:
            return ""

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Agent:
    """pfqmon --interval pushing into InfluxDB, as the README sets it up."""

    def __init__(self, conf, influx):
        self.err = open(os.path.join(ROOT, "pfqmon.%d.err" % time.time_ns()), "wb")
        self.proc = subprocess.Popen(
            [PFQMON, "-c", conf, "--interval", SCAN, "--push",
             "http://127.0.0.1:%d" % influx.port, "--push-db", "telegraf",
             "--tag", "host=" + HOST, "-v"], stdout=subprocess.DEVNULL, stderr=self.err)

    def last_scan(self):
        """Monotonic time of the last scan it logged (now, roughly)."""
        return time.monotonic()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)


def install(kap, vars_dir):
    """The README's two ways: define -tick -dbrp, and a template with vars."""
    problems = []

    def ok(res, what):
        if res.returncode != 0:
            problems.append("%s: %s" % (what, (res.stderr or res.stdout).decode()[-300:]))

    ok(kap.run("define", "postfix_culprit", "-tick", "tick/postfix_culprit.tick",
               "-dbrp", "telegraf.autogen"), "define postfix_culprit")
    ok(kap.run("enable", "postfix_culprit"), "enable postfix_culprit")
    for name, changes in (("postfix_queue", {"window": QUEUE_WINDOW, "to": TO}),
                          ("postfix_deadman", {"interval": "%ds" % DEAD_INTERVAL,
                                               "check_every": "%ds" % DEAD_EVERY,
                                               "to": TO})):
        with open("%s/tick/%s.vars.json" % (REPO, name)) as f:
            v = json.load(f)
        for k, val in changes.items():
            v[k]["value"] = val
        path = os.path.join(vars_dir, name + ".vars.json")
        with open(path, "w") as f:
            json.dump(v, f)
        ok(kap.run("define-template", name + "_tmpl", "-tick", "tick/%s.tick" % name),
           "define-template " + name)
        ok(kap.run("define", name, "-template", name + "_tmpl", "-vars", path,
                   "-dbrp", "telegraf.autogen"), "define " + name)
        ok(kap.run("enable", name), "enable " + name)
    for name in ("postfix_culprit", "postfix_queue", "postfix_deadman"):
        show = kap.run("show", name).stdout.decode()
        if "Executing: true" not in show or re.search(r"^Error: \S", show, re.M):
            problems.append("%s: %s" % (name, show[:400]))
    return problems


# The measurements each task reads: Kapacitor has had every point of them
# when its stream node has collected as many as InfluxDB holds.
READS = {"postfix_queue": ("postfix_queue_total",),
         "postfix_culprit": ("postfix_queue_sasl", "postfix_queue_client",
                             "postfix_queue_sender"),
         "postfix_deadman": ()}


def judged(kap, influx, sink, since, scans=4):
    """Whether Kapacitor has judged the queue as it is since `since` (wall
    clock, after a step of the scene): InfluxDB holds at least `scans`
    scans made after it (the queue alert's 4 s window over 2 s scans is
    then closed at least once on them); every task has collected every
    point of what it reads and passed each one on through all its nodes;
    and every mail its alerts triggered has reached the sink."""
    rows = influx.points("telegraf", "SELECT count(\"length\") FROM postfix_queue_total "
                         "WHERE host = '%s' AND time > %d" % (HOST, int(since * 1e9)))
    if not rows or rows[0][1] < scans:
        return False
    triggered = 0
    for task, measurements in READS.items():
        want = 0
        for m in measurements:
            got = influx.points("telegraf", "SELECT count(\"length\") FROM %s" % m)
            want += got[0][1] if got else 0
        with urllib.request.urlopen("http://127.0.0.1:%d/kapacitor/v1/tasks/%s"
                                    % (kap.port, task), timeout=10) as r:
            nodes = json.loads(r.read())["stats"]["node-stats"]
        emitted = sum(n["emitted"] for n in nodes.values())
        passed = sum(n["collected"] for name, n in nodes.items() if name != "stream0")
        if nodes["stream0"]["collected"] < want or emitted != passed:
            return False
        triggered += sum(n.get("alerts_triggered", 0) for n in nodes.values())
    return len(sink.since(0)) >= triggered


def settle(kap, influx, sink, since, what, timeout=120):
    """Wait until Kapacitor has judged the queue since `since` (judged()):
    then no mail about it is still to come. A failed test if it has not
    within timeout seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if judged(kap, influx, sink, since):
            return
        time.sleep(0.5)
    tap(False, "alerts: Kapacitor judged the queue after %s within %d s" % (what, timeout),
        [kap.log_tail()])


def top_counts(conf):
    """{(kind, key): messages} from pfqmon top --format json --rows 0."""
    res = subprocess.run([PFQMON, "top", "-c", conf, "--format", "json", "--rows", "0"],
                         capture_output=True, check=True)
    doc = json.loads(res.stdout)
    out = {}
    for kind, section in (("senders", "senders"), ("sasl_users", "sasl_usernames"),
                          ("client_addresses", "client_addresses")):
        for row in (doc.get(section) or {}).get("rows", []):
            out[(kind, row["key"])] = row["length"] - row["hold"]
    return out


def commands(mail):
    """Every command line of a mail, as the admin sees and copies it."""
    out = []
    for block in re.findall(r"<pre>(.*?)</pre>", mail["body"], re.S):
        out += [html.unescape(line).strip() for line in block.splitlines() if line.strip()]
    return out


def play(pf, steps, agent=None):
    """Inject steps of (client, login, sender, count, utf8). With agent,
    pfqmon is paused meanwhile, so that its next scan sees the step whole
    and the alerts' numbers are the step's, not a count half-way."""
    inj = harness.Injector(pf.smtp_port)
    if agent:
        agent.proc.send_signal(signal.SIGSTOP)
    try:
        for addr, login, sender, n, utf8 in steps:
            inj.xclient(addr=addr, login=xtext(login) if login else None)
            for i in range(n):
                inj.send(sender(i) if callable(sender) else sender,
                         ["r%d@dest%d.example" % (i, i % 9)], utf8=utf8)
        pf.wait_settled()
    finally:
        inj.close()
        if agent:
            agent.proc.send_signal(signal.SIGCONT)


def culprit_mails(mails, level):
    return [m for m in mails if m["subject"].startswith(level + ": Postfix on ")]


def main():
    picked = []
    try:
        picked = cases("alerts")
    finally:                # --list exits here
        if not picked:
            shutil.rmtree(ROOT, ignore_errors=True)
    if not picked:
        return exit_status()
    kapd, kap_cli = find("KAPACITORD", "kapacitord"), find("KAPACITOR", "kapacitor")
    try:
        import aiosmtpd  # noqa: F401
        why = None
    except ImportError:
        why = "python3-aiosmtpd is not installed"
    if not kapd or not kap_cli:
        why = "no kapacitord/kapacitor (KAPACITORD, KAPACITOR, PATH, ../shared/tools/tick/bin)"
    if why:
        tap(True, "alerts: the TICKscripts in a real Kapacitor # SKIP " + why)
        return exit_status()
    pf = influx = sink = kap = agent = None
    try:
        pf = harness.Postfix(ROOT, name="pfqalert")
        pf.setup()
        pf.start()
        influx = harness.Influx(ROOT, subscriber=True)
        influx.start()
        influx.query("CREATE DATABASE telegraf")
        sink = Sink()
        kap = Kapacitor(kapd, kap_cli, influx, sink.port)
        problems = install(kap, ROOT)
        tap(not problems, "alerts: the three TICKscripts install as the README says "
            "(define -dbrp, and define-template with vars) and run", problems)
        scenario(pf, influx, sink, kap)
    except Exception as e:
        tap(False, "alerts: harness error: %s: %s" % (type(e).__name__, e),
            [kap.log_tail() if kap else "", pf.log_tail() if pf else ""])
    finally:
        for x in (agent, kap, sink):
            if x is not None:
                x.close() if hasattr(x, "close") else x.stop()
        if influx:
            influx.close()
        if pf:
            pf.close()
        shutil.rmtree(ROOT, ignore_errors=True)
    return exit_status()


def scenario(pf, influx, sink, kap):
    conf = pf.conf
    agent = Agent(conf, influx)
    try:
        run_scene(pf, sink, conf, agent, influx, kap)
    finally:
        agent.stop()


def run_scene(pf, sink, conf, agent, influx, kap):
    # 1. Ordinary users: 30 messages, nothing to say.
    play(pf, [("198.51.100.%d" % (100 + u), "user%d" % u, "user%d@corp.example" % u, 3, False)
              for u in range(10)], agent)
    settle(kap, influx, sink, time.time(), "30 messages")
    tap(not sink.since(0), "alerts: 30 messages from ten users: no mail",
        [m["subject"] for m in sink.since(0)])

    # 2. The victim's account, from five addresses: 130 more, 160 in all.
    t1 = time.monotonic()
    play(pf, [(VICTIM_IPS[k], VICTIM_LOGIN, VICTIM, 26, False) for k in range(5)], agent)
    w1 = time.time()
    warn = wait_mails(sink, t1, lambda m: m["subject"].startswith("WARNING: Postfix queue"))
    culprits = wait_mails(sink, t1, lambda m: m["subject"].startswith("CRITICAL: Postfix on "),
                          count=2)
    settle(kap, influx, sink, w1, "160 messages")
    mails = sink.since(t1)
    tap(len(warn) == 1 and "holds 160 messages" in warn[0]["subject"]
        and "pfqmon top" in warn[0]["body"]
        and not any(m["subject"].startswith("CRITICAL: Postfix queue") for m in mails),
        "alerts: 160 messages: one WARNING mail with the number and pfqmon top, no "
        "CRITICAL", [m["subject"] for m in mails])
    names = sorted(m["subject"] for m in culprit_mails(mails, "CRITICAL"))
    tap(names == ['CRITICAL: Postfix on mx1: SASL user "victim" has 130 messages waiting',
                  'CRITICAL: Postfix on mx1: sender "victim@customer.example" has 130 '
                  'messages waiting'],
        "alerts: one mail for the account and one for its sender, none for its five "
        "addresses (26 each)", names)

    # 3. A relay host (60, no login) and the attacker's own names (55).
    t2 = time.monotonic()
    play(pf, [(RELAY_IP, None, lambda i: "news%d@relay%d.example" % (i, i % 7), 60, False),
              (EVIL_IP, EVIL_LOGIN, EVIL_SENDER, 55, True)], agent)
    w2 = time.time()
    crit = wait_mails(sink, t2, lambda m: m["subject"].startswith("CRITICAL: Postfix queue"))
    new = wait_mails(sink, t2, lambda m: m["subject"].startswith("CRITICAL: Postfix on "),
                     count=4)
    settle(kap, influx, sink, w2, "275 messages")
    mails = sink.since(t2)
    tap(len(crit) == 1 and "holds 275 messages" in crit[0]["subject"],
        "alerts: 275 messages: one CRITICAL mail", [m["subject"] for m in mails])
    counts = top_counts(conf)
    want = {("client_addresses", RELAY_IP), ("client_addresses", EVIL_IP),
            ("sasl_users", EVIL_LOGIN), ("senders", EVIL_SENDER_TAG)}
    got, wrong = {}, []
    for m in culprit_mails(mails, "CRITICAL"):
        s = re.match(r'CRITICAL: Postfix on mx1: (SASL user|client|sender) (".*") has '
                     r'(\d+) messages waiting$', m["subject"])
        if not s:
            wrong.append(m["subject"])
            continue
        kind = {"SASL user": "sasl_users", "client": "client_addresses",
                "sender": "senders"}[s.group(1)]
        key = json.loads(s.group(2))
        got[(kind, key)] = m
        if counts.get((kind, key)) != int(s.group(3)):
            wrong.append("%s: mail %s, pfqmon top %s" % (key, s.group(3),
                                                         counts.get((kind, key))))
    everything = [m["subject"] for m in sink.since(0)]
    tap(set(got) == want and not wrong and len(new) == 4
        and not any("(other)" in s or "MAILER-DAEMON" in s for s in everything),
        "alerts: one mail per new culprit (the relay, the attacker's address, SASL "
        "name and sender), with pfqmon top's numbers; never (other)", [wrong, sorted(got)]
        + everything)

    # 4. Paste every command of every culprit mail, postsuper stubbed.
    env = envelopes(pf)
    oracle = {("sasl_users", VICTIM_LOGIN): ids_of(env, "sasl", VICTIM_LOGIN),
              ("senders", VICTIM): ids_of(env, "sender", VICTIM),
              ("client_addresses", RELAY_IP): ids_of(env, "client", RELAY_IP),
              ("client_addresses", EVIL_IP): ids_of(env, "client", EVIL_IP),
              ("sasl_users", EVIL_LOGIN): ids_of(env, "sasl", EVIL_LOGIN),
              ("senders", EVIL_SENDER_TAG): {i for i, f in env.items()
                                             if f["sender"].decode("utf-8", "replace")
                                             == EVIL_SENDER.replace('"', "", 2)}}
    first = {}
    for m in culprit_mails(sink.since(0), "CRITICAL"):
        s = re.match(r'CRITICAL: Postfix on mx1: (SASL user|client|sender) (".*") has', m["subject"])
        if s:
            kind = {"SASL user": "sasl_users", "client": "client_addresses",
                    "sender": "senders"}[s.group(1)]
            first[(kind, json.loads(s.group(2)))] = m
    for key, mail in sorted(first.items()):
        work = tempfile.mkdtemp(dir=ROOT)
        lines = commands(mail)
        problems, held, canaries = paste_all(lines, conf, work, REPO)
        tap(len(lines) == 5 and not problems and not canaries
            and set(held) == oracle[key] and len(held) == len(oracle[key]),
            "alerts: the %d commands of the mail for %r, pasted into bash, hold exactly its "
            "%d messages and run nothing else" % (len(lines), key[1], len(oracle[key])),
            problems + ["canaries %s" % canaries, "held %d, want %d" % (len(held),
                                                                      len(oracle[key]))])

    # 5. Hold the account's mail with the mail's own command: it recovers.
    t3 = time.monotonic()
    hold = [l for l in commands(first[("sasl_users", VICTIM_LOGIN)]) if l.endswith("-h -")][0]
    res = paste(hold, conf, None, ROOT)
    w3 = time.time()
    ok = wait_mails(sink, t3, lambda m: m["subject"].startswith("OK: Postfix on "), count=2)
    settle(kap, influx, sink, w3, "the hold")
    rec = sorted(m["subject"] for m in culprit_mails(sink.since(t3), "OK"))
    body = [m for m in ok if "SASL user" in m["subject"]]
    tap(res.returncode == 0 and rec == [
        'OK: Postfix on mx1: SASL user "victim" is down to 0 waiting messages',
        'OK: Postfix on mx1: sender "victim@customer.example" is down to 0 waiting '
        'messages'] and body and "password is probably" not in body[0]["body"]
        and "130 of them on hold" in body[0]["body"],
        "alerts: the account's mail held with the mail's command: its two alerts "
        "recover, with a recovery text of their own", rec + [res.stderr[-200:]])

    # 6. Delete it with the recovery mail's command: the queue recovers.
    t4 = time.monotonic()
    delete = [l for l in commands(body[0]) if l.endswith("-d -")] if body else []
    res = paste(delete[0], conf, None, ROOT) if delete else None
    qok = wait_mails(sink, t4, lambda m: m["subject"].startswith("OK: Postfix queue"))
    tap(res is not None and res.returncode == 0 and len(qok) == 1
        and "back to 145 messages" in qok[0]["subject"]
        and "password" not in qok[0]["body"],
        "alerts: its mail deleted with the recovery mail's command: the queue alert "
        "recovers at 145", [m["subject"] for m in sink.since(t4)])

    # 7. pfqmon stops: the deadman, within interval + check_every.
    agent.stop()
    stopped = time.monotonic()
    dead = wait_mails(sink, stopped, lambda m: m["subject"].startswith("CRITICAL: pfqmon on"),
                      timeout=DEAD_INTERVAL + 30)
    after = dead[0]["at"] - stopped if dead else -1
    # Documented: interval + check_every to interval + 2 x check_every
    # after the last scan, which came at most one scan interval before the
    # stop; 3 s more for Kapacitor's mail.
    tap(len(dead) == 1 and DEAD_INTERVAL + DEAD_EVERY - 2 <= after
        <= DEAD_INTERVAL + 2 * DEAD_EVERY + 3,
        "alerts: the deadman mails %.1f s after pfqmon stopped (interval %d s, checked "
        "every %d s)" % (after, DEAD_INTERVAL, DEAD_EVERY),
        [m["subject"] for m in sink.since(stopped)])
    back = time.monotonic()
    again = Agent(conf, influx)
    try:
        rec = wait_mails(sink, back, lambda m: m["subject"].startswith("OK: pfqmon on"),
                         timeout=30)
        tap(len(rec) == 1, "alerts: the deadman recovers when scans come back",
            [m["subject"] for m in sink.since(back)])
        arrivals(pf, sink, conf, kap)
    finally:
        again.stop()
    subjects = [m["subject"] for m in sink.since(0)]
    tap(len(subjects) == len(set(subjects)),
        "alerts: no mail twice", subjects)


def arrivals(pf, sink, conf, kap):
    """8. Who is sending right now: a SASL user whose mail leaves at once
    (the discard transport), so the queue never grows. The arrivals
    script, installed as its header says, mails once per key when the
    rate is crossed and once when it stops; its commands are plain."""
    problems = []
    for args in (("define", "postfix_arrivals", "-tick", "tick/postfix_arrivals.tick",
                  "-dbrp", "telegraf.autogen"), ("enable", "postfix_arrivals")):
        res = kap.run(*args)
        if res.returncode != 0:
            problems.append("%s: %s" % (args[0], (res.stderr or res.stdout).decode()[-300:]))
    tap(not problems, "alerts: postfix_arrivals.tick installs as its header says and "
        "runs", problems)
    time.sleep(3)                   # a scan or two of nothing new first
    t0 = time.monotonic()
    inj = harness.Injector(pf.smtp_port)
    try:
        inj.xclient(addr=SPRAY_IP, login=SPRAY_LOGIN)
        for i in range(SPRAY):
            inj.send(SPRAY_SENDER, ["r%d@discard.test" % i])
    finally:
        inj.close()
    want = ['SASL user "%s"' % SPRAY_LOGIN, 'client "%s"' % SPRAY_IP,
            'sender "%s"' % SPRAY_SENDER]
    crit = wait_mails(sink, t0, lambda m: m["subject"].startswith("CRITICAL: arrivals on "),
                      count=3, timeout=60)
    ok = wait_mails(sink, t0, lambda m: m["subject"].startswith("OK: arrivals on "),
                    count=3, timeout=60)
    wrong = []
    for m in crit:
        s = re.match(r'CRITICAL: arrivals on mx1: (.*) sends (\d+) messages a minute$',
                     m["subject"])
        if not s or s.group(1) not in want or int(s.group(2)) <= 60:
            wrong.append(m["subject"])
    queued = len(pf.postqueue_j())
    tap(len(crit) == 3 and not wrong and sorted(
        re.match(r"CRITICAL: arrivals on mx1: (.*) sends", m["subject"]).group(1)
        for m in crit) == sorted(want) and queued < 200,
        "alerts: %d messages from one SASL user, delivered at once (the queue stays at "
        "%d): one arrivals mail each for the account, its address and its sender, over "
        "60 a minute" % (SPRAY, queued), wrong + [m["subject"] for m in sink.since(t0)])
    tap(len(ok) == 3 and all("down to 0 messages a minute" in m["subject"]
                             and "password" not in m["body"] for m in ok),
        "alerts: when it stops sending, each arrivals alert recovers with a text of "
        "its own", [m["subject"] for m in sink.since(t0)])
    lines = [line for m in crit for line in commands(m)]
    bad = [line for line in lines if not harness.PLAIN_COMMAND.fullmatch(line)]
    tap(len(lines) == 15 and not bad,
        "alerts: the arrivals mails' commands are plain pfqmon and postsuper lines",
        bad or [len(lines)])


if __name__ == "__main__":
    sys.exit(main())
