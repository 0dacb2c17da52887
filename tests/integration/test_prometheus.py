#!/usr/bin/env python3
"""test_prometheus - the Prometheus path, end to end, with Debian's real
Prometheus 2.42 and Alertmanager 0.25.

A throw-away Postfix receives an abuse scene (harness.py, the same as
the Kapacitor test's); pfqmon serve, started as root, drops to the
queue's owner and serves /metrics on a loopback port; a private
Prometheus scrapes it every second and evaluates the shipped rules
(tick/prometheus/pfqmon.rules.yml, in a copy whose "for" durations are
seconds instead of minutes: the only change); it sends to a private
Alertmanager, which mails an SMTP server of this test's own. Then:

  - the served page passes promtool check metrics, and the server
    answers 404, 405, HEAD as it should, and keeps answering while
    scans come and go;
  - 30 messages: no alert and no mail;
  - 275 messages (a compromised account, a relay, an attacker's own
    names): the 150 and 200 queue alerts and one culprit mail per SASL
    user, client and sender over 50, each with pfqmon top's number,
    none for (other), MAILER-DAEMON or the account's five addresses;
  - every command of the attacker's culprit mails, pasted into bash
    with postsuper stubbed, runs only pfqmon and postsuper on exactly
    that key's mail (no canary file appears);
  - holding a culprit's mail with its mail's own command (postsuper -h)
    resolves its alerts, with a RESOLVED mail; deleting the held mail
    with the mail's delete command resolves the queue alerts;
  - pfqmon stopped: the exporter-down alert mails.

Needs root, Postfix, prometheus, prometheus-alertmanager and
python3-aiosmtpd; without one of them every check says SKIP and why.
"""

import calendar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import REPO, PFQMON  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import harness  # noqa: E402
from harness import (EVIL_LOGIN, EVIL_SENDER, EVIL_SENDER_TAG, VICTIM,  # noqa: E402
                     VICTIM_LOGIN, VICTIM_IPS, RELAY_IP, EVIL_IP, Sink,
                     wait_mails, envelopes, ids_of, paste, paste_all, xtext)

RULES = os.path.join(REPO, "tick", "prometheus", "pfqmon.rules.yml")
INSTANCE_LABEL = "mx1"
TIMEOUT = int(os.environ.get("PFQMON_TEST_TIMEOUT", "90"))                    # seconds for any one awaited event


def http(url, method="GET", timeout=5):
    """(status, headers, body) of one request; status 0: no answer."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except OSError:
        return 0, {}, b""


class Daemon:
    """A server of this test's own, on a loopback port chosen free,
    started again on another when it finds the port taken."""

    def __init__(self, root, name, argv_for, ready_path, user=None):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        if user:
            shutil.chown(self.dir, user)
        for attempt in range(5):
            self.port = harness.free_port()
            self.log = os.path.join(self.dir, "log.%d" % attempt)
            with open(self.log, "wb") as out:
                self.proc = subprocess.Popen(argv_for(self), stdout=out,
                                             stderr=subprocess.STDOUT)
            end = time.monotonic() + 60
            while time.monotonic() < end and self.proc.poll() is None:
                if http(self.url(ready_path))[0] == 200 and \
                        harness.listening(self.proc.pid, self.port):
                    return
                time.sleep(0.1)
            text = self.log_tail()
            self.close()
            if attempt == 4 or not harness.port_taken(text):
                raise RuntimeError("%s did not start: %s" % (name, text[-800:]))

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def log_tail(self):
        try:
            return open(self.log, errors="replace").read()[-1500:]
        except OSError:
            return ""

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def alertmanager(root, binary, smtp_port):
    """Alertmanager mailing the sink: one mail per alert (group_by all
    labels), the annotations as plain text, resolved alerts too."""
    conf = os.path.join(root, "alertmanager.yml")
    with open(conf, "w") as f:
        f.write("""global:
  smtp_smarthost: '127.0.0.1:%d'
  smtp_from: 'alertmanager@alerts.test'
  smtp_require_tls: false
route:
  receiver: ops
  group_by: ['...']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 4h
receivers:
  - name: ops
    email_configs:
      - to: 'ops@alerts.test'
        send_resolved: true
        headers:
          Subject: '{{ .Status | toUpper }} {{ .CommonLabels.alertname }}: {{ (index .Alerts 0).Annotations.summary }}'
        html: ''
        text: '{{ range .Alerts }}{{ .Annotations.description }}{{ end }}'
""" % smtp_port)
    return Daemon(root, "alertmanager", lambda d: [
        binary, "--config.file=" + conf, "--storage.path=" + d.dir,
        "--web.listen-address=127.0.0.1:%d" % d.port, "--cluster.listen-address=",
        "--log.level=warn"], "/-/ready")


def test_rules(root):
    """The shipped rules with seconds for minutes in "for", and nothing
    else changed."""
    text = open(RULES).read()
    fast = re.sub(r"^(\s+for: )1m$", r"\g<1>2s", text, flags=re.M)
    fast = re.sub(r"^(\s+for: )5m$", r"\g<1>10s", fast, flags=re.M)
    path = os.path.join(root, "pfqmon.rules.yml")
    with open(path, "w") as f:
        f.write(fast)
    return path, text.count("for:"), fast.count("for: 2s") + fast.count("for: 10s")


def prometheus(root, binary, rules, target_port, am_port):
    conf = os.path.join(root, "prometheus.yml")
    with open(conf, "w") as f:
        f.write("""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: ['%s']
alerting:
  alertmanagers:
    - static_configs: [{targets: ['127.0.0.1:%d']}]
scrape_configs:
  - job_name: pfqmon
    static_configs:
      - targets: ['127.0.0.1:%d']
        labels: {host: '%s'}
""" % (rules, am_port, target_port, INSTANCE_LABEL))
    return Daemon(root, "prometheus", lambda d: [
        binary, "--config.file=" + conf, "--storage.tsdb.path=" + d.dir,
        "--web.listen-address=127.0.0.1:%d" % d.port, "--rules.alert.resend-delay=1s",
        "--log.level=warn"], "/-/ready")


class Serve:
    """pfqmon serve as root, as the service runs it, on a port of its own."""

    def __init__(self, root, conf):
        self.err = os.path.join(root, "pfqmon.%d.err" % time.time_ns())
        for attempt in range(5):
            self.port = harness.free_port()
            with open(self.err, "wb") as err:
                self.proc = subprocess.Popen(
                    [PFQMON, "serve", "-c", conf, "--listen", "127.0.0.1:%d" % self.port,
                     "--interval", "1s", "-v"], stdout=subprocess.DEVNULL, stderr=err)
            end = time.monotonic() + 30
            while time.monotonic() < end and self.proc.poll() is None:
                if http(self.url("/metrics"))[0] == 200:
                    return
                time.sleep(0.1)
            text = open(self.err, errors="replace").read()
            self.stop()
            if attempt == 4 or "in use" not in text:
                raise RuntimeError("pfqmon serve did not answer: " + text[-800:])

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)


def query(prom, q):
    """An instant query's vector, as {labels-tuple: value}."""
    st, _, body = http(prom.url("/api/v1/query?" + urllib.parse.urlencode({"query": q})))
    if st != 200:
        return None
    res = json.loads(body)["data"]["result"]
    return {tuple(sorted((k, v) for k, v in r["metric"].items() if k != "__name__")):
            float(r["value"][1]) for r in res}


def wait_for(what, pred, timeout=TIMEOUT):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.25)
    tap(False, "prometheus: %s within %d s" % (what, timeout))
    return None


def evaluated_after(prom, t):
    """Prometheus has evaluated every rule at least once after wall time t."""
    st, _, body = http(prom.url("/api/v1/rules"))
    if st != 200:
        return False
    for g in json.loads(body)["data"]["groups"]:
        last = g.get("lastEvaluation", "")
        m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?", last)
        if not m:
            return False
        secs = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
        if secs + float(m.group(2) or 0) < t:
            return False
    return True


def queue_seen(prom, n):
    got = query(prom, 'sum(postfix_queue_messages{queue!="corrupt"})')
    return got is not None and list(got.values()) == [n]


def inject(pf, serve, steps):
    """(client, login, sender, count, utf8) steps, with pfqmon paused so
    that its next scan sees them whole (Prometheus meanwhile sees the
    target down for a few seconds, too short for the down alert)."""
    inj = harness.Injector(pf.smtp_port)
    serve.proc.send_signal(signal.SIGSTOP)
    try:
        for addr, login, sender, n, utf8 in steps:
            inj.xclient(addr=addr, login=xtext(login) if login else None)
            for i in range(n):
                inj.send(sender(i) if callable(sender) else sender,
                         ["r%d@dest%d.example" % (i, i % 9)], utf8=utf8)
        pf.wait_settled()
    finally:
        inj.close()
        serve.proc.send_signal(signal.SIGCONT)


def commands(mail):
    """The command lines of a mail's text: the lines indented by two."""
    return [l.strip() for l in mail["body"].splitlines() if l.startswith("  pfqmon ")]


def culprit_key(mail):
    m = re.match(r'(FIRING|RESOLVED) PostfixCulprit\w+: Postfix on \S+: (SASL user|client|sender) (".*") has '
                 r'(\d+) messages waiting$', mail["subject"])
    if not m:
        return None
    kind = {"SASL user": "sasl_users", "client": "client_addresses",
            "sender": "senders"}[m.group(2)]
    return m.group(1), kind, json.loads(m.group(3)), int(m.group(4))


def top_counts(conf):
    """{(kind, key): messages waiting} from pfqmon top --format json."""
    res = subprocess.run([PFQMON, "top", "-c", conf, "--format", "json", "--rows", "0"],
                         capture_output=True, check=True)
    doc = json.loads(res.stdout)
    out = {}
    for kind, section in (("senders", "senders"), ("sasl_users", "sasl_usernames"),
                          ("client_addresses", "client_addresses")):
        for row in (doc.get(section) or {}).get("rows", []):
            out[(kind, row["key"])] = row["length"] - row["hold"]
    return out


def check_server(serve):
    """What the server answers besides the page."""
    st, hdr, body = http(serve.url("/metrics"))
    res = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    tap(st == 200 and hdr.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
        and body.endswith(b"# EOF\n") and res.returncode == 0,
        "prometheus: pfqmon serve answers /metrics with the exposition format, "
        "which promtool check metrics accepts", [st, hdr, res.stdout, res.stderr])
    head = http(serve.url("/metrics"), method="HEAD")
    other = http(serve.url("/"))
    post = http(serve.url("/metrics"), method="POST")
    tap(head[0] == 200 and head[2] == b"" and other[0] == 404 and post[0] == 405
        and post[1].get("Allow") == "GET, HEAD",
        "prometheus: HEAD 200 without a body, 404 elsewhere, 405 with Allow for POST",
        [head[:2], other[:2], post[:2]])
    status = open("/proc/%d/status" % serve.proc.pid).read()
    uid = re.search(r"^Uid:\s+(\d+)", status, re.M).group(1)
    seccomp = re.search(r"^Seccomp:\s+(\d+)", status, re.M).group(1)
    tap(uid != "0" and seccomp == "2",
        "prometheus: pfqmon serve runs as the queue's owner under its seccomp filter",
        status)


def main():
    picked = cases("prometheus")
    if not picked:
        return exit_status()
    prom_bin, am_bin = shutil.which("prometheus"), shutil.which("prometheus-alertmanager")
    why = None
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        why = "python3-aiosmtpd is not installed"
    if os.geteuid() != 0:
        why = "needs root (Postfix's tools take -c only from root)"
    elif not shutil.which("postfix") and not os.path.exists("/usr/sbin/postfix"):
        why = "postfix is not installed"
    elif not prom_bin or not shutil.which("promtool"):
        why = "prometheus (and its promtool) is not installed: apt install prometheus"
    elif not am_bin:
        why = "prometheus-alertmanager is not installed"
    if why:
        tap(True, "prometheus: a real Prometheus and Alertmanager # SKIP " + why)
        return exit_status()
    root = tempfile.mkdtemp(prefix="pfqmon-prom.")
    os.chmod(root, 0o755)           # Postfix and pfqmon run as postfix below it
    pf = sink = am = prom = serve = None
    try:
        pf = harness.Postfix(root, name="pfqprom")
        pf.setup()
        pf.start()
        sink = Sink()
        am = alertmanager(root, am_bin, sink.port)
        rules, nfor, nfast = test_rules(root)
        tap(nfor == nfast == 8, "prometheus: the test's rules are the shipped ones with "
            "seconds for minutes in their 8 for: durations", [nfor, nfast])
        serve = Serve(root, pf.conf)
        check_server(serve)
        prom = prometheus(root, prom_bin, rules, serve.port, am.port)
        scene(pf, sink, prom, serve)
    except Exception as e:
        tap(False, "prometheus: harness error: %s: %s" % (type(e).__name__, e),
            [prom.log_tail() if prom else "", am.log_tail() if am else "",
             pf.log_tail() if pf else ""])
    finally:
        for x in (serve, prom, am, sink):
            if x is not None:
                x.stop() if isinstance(x, Serve) else x.close()
        if pf:
            pf.close()
        shutil.rmtree(root, ignore_errors=True)
    return exit_status()


def scene(pf, sink, prom, serve):
    conf = pf.conf
    up = wait_for("Prometheus scrapes pfqmon serve (up == 1)",
                  lambda: query(prom, 'up{job="pfqmon"}') == {
                      (("host", INSTANCE_LABEL), ("instance", "127.0.0.1:%d" % serve.port),
                       ("job", "pfqmon")): 1.0})
    tap(bool(up), "prometheus: Prometheus scrapes pfqmon serve", [up])

    # 1. Ordinary users: 30 messages, nothing to say.
    inject(pf, serve, [("198.51.100.%d" % (100 + u), "user%d" % u, "user%d@corp.example" % u,
                        3, False) for u in range(10)])
    if wait_for("Prometheus sees 30 messages", lambda: queue_seen(prom, 30)):
        t = time.time() + 3         # longer than every test rule's 2 s for:
        wait_for("the rules evaluated since", lambda: evaluated_after(prom, t))
    tap(not sink.since(0), "prometheus: 30 messages from ten users: no mail",
        [m["subject"] for m in sink.since(0)])

    # 2. The victim's account from five addresses, a relay host, and the
    #    attacker's own names: 275 messages.
    t1 = time.monotonic()
    inject(pf, serve,
           [(VICTIM_IPS[k], VICTIM_LOGIN, VICTIM, 26, False) for k in range(5)]
           + [(RELAY_IP, None, lambda i: "news%d@relay%d.example" % (i, i % 7), 60, False),
              (EVIL_IP, EVIL_LOGIN, EVIL_SENDER, 55, True)])
    queue = wait_mails(sink, t1, lambda m: m["subject"].startswith("FIRING PostfixQueue"),
                       count=2, timeout=TIMEOUT)
    culprits = wait_mails(sink, t1, lambda m: (culprit_key(m) or ("",))[0] == "FIRING",
                          count=6, timeout=TIMEOUT)
    subjects = sorted(m["subject"] for m in queue)
    tap(subjects == ["FIRING %s: Postfix queue on 127.0.0.1:%d holds 275 messages"
                     % (a, serve.port) for a in ("PostfixQueueLarge", "PostfixQueueWarning")]
        and sum("pfqmon top" in m["body"] for m in queue) == 2
        and any("200 or more" in m["body"] for m in queue)
        and any("150 or more" in m["body"] for m in queue),
        "prometheus: 275 messages: the 150 and the 200 alert mail, with the number "
        "and pfqmon top", [m["subject"] for m in sink.since(t1)] + [
            http(prom.url("/api/v1/alerts"))[2][:600],
            query(prom, 'sum(postfix_queue_messages{queue!="corrupt"})')])
    counts = top_counts(conf)
    want = {("sasl_users", VICTIM_LOGIN), ("senders", VICTIM),
            ("client_addresses", RELAY_IP), ("client_addresses", EVIL_IP),
            ("sasl_users", EVIL_LOGIN), ("senders", EVIL_SENDER_TAG)}
    got, wrong = {}, []
    for m in culprits:
        _, kind, key, n = culprit_key(m)
        got[(kind, key)] = m
        if counts.get((kind, key)) != n:
            wrong.append("%s: mail %d, pfqmon top %s" % (key, n, counts.get((kind, key))))
    everything = [m["subject"] for m in sink.since(0)]
    tap(set(got) == want and len(culprits) == 6 and not wrong
        and not any("(other)" in s or "MAILER-DAEMON" in s for s in everything),
        "prometheus: one mail per culprit (the account and its sender, the relay, the "
        "attacker's address, SASL name and sender), with pfqmon top's numbers; never "
        "(other), MAILER-DAEMON or the account's five addresses", [wrong, sorted(got)]
        + everything)

    # 3. Paste every command of the attacker's mails, postsuper stubbed.
    env = envelopes(pf)
    oracle = {("client_addresses", EVIL_IP): ids_of(env, "client", EVIL_IP),
              ("sasl_users", EVIL_LOGIN): ids_of(env, "sasl", EVIL_LOGIN),
              ("senders", EVIL_SENDER_TAG): {i for i, f in env.items()
                                             if f["sender"].decode("utf-8", "replace")
                                             == EVIL_SENDER.replace('"', "", 2)}}
    for key, ids in sorted(oracle.items()):
        mail = got.get(key)
        work = tempfile.mkdtemp(dir=os.path.dirname(pf.base))
        lines = commands(mail) if mail else []
        problems, held, canaries = paste_all(lines, conf, work, REPO)
        tap(len(lines) == 5 and len(ids) == 55 and not problems and not canaries
            and sorted(held) == sorted(ids),
            "prometheus: the %d commands of the alert for %r, pasted into bash, hold "
            "exactly its %d messages and run nothing else" % (len(lines), key[1], len(ids)),
            problems + ["canaries %s" % canaries, "held %d" % len(held)])

    # 4. Hold the attacker's mail with its SASL mail's own command: the
    #    three alerts on the same messages resolve.
    t2 = time.monotonic()
    mail = got.get(("sasl_users", EVIL_LOGIN))
    hold = [l for l in commands(mail) if l.endswith("postsuper -h -")] if mail else []
    res = paste(hold[0], conf, None, os.path.dirname(pf.base)) if hold else None
    resolved = wait_mails(sink, t2, lambda m: (culprit_key(m) or ("",))[0] == "RESOLVED",
                          count=3, timeout=TIMEOUT)
    keys = sorted((k[1], k[2]) for k in map(culprit_key, resolved))
    tap(res is not None and res.returncode == 0 and keys == sorted(
        [("client_addresses", EVIL_IP), ("sasl_users", EVIL_LOGIN),
         ("senders", EVIL_SENDER_TAG)]),
        "prometheus: the attacker's mail held with the mail's command (postsuper -h): "
        "its three alerts resolve, with a RESOLVED mail each", keys)

    # 5. The account: held, then deleted with its mail's commands; its
    #    two alerts resolve, then the queue's two (275 - 130 = 145).
    t3 = time.monotonic()
    mail = got.get(("sasl_users", VICTIM_LOGIN))
    lines = commands(mail) if mail else []
    hold = [l for l in lines if l.endswith("postsuper -h -")]
    res = paste(hold[0], conf, None, os.path.dirname(pf.base)) if hold else None
    resolved = wait_mails(sink, t3, lambda m: (culprit_key(m) or ("",))[0] == "RESOLVED",
                          count=2, timeout=TIMEOUT)
    keys = sorted((k[1], k[2]) for k in map(culprit_key, resolved))
    tap(res is not None and res.returncode == 0
        and keys == [("sasl_users", VICTIM_LOGIN), ("senders", VICTIM)],
        "prometheus: the account's mail held with its mail's command: its two alerts "
        "resolve", keys)
    t4 = time.monotonic()
    delete = [l for l in lines if "--queue hold" in l and l.endswith("postsuper -d -")]
    res = paste(delete[0], conf, None, os.path.dirname(pf.base)) if delete else None
    qres = wait_mails(sink, t4, lambda m: m["subject"].startswith("RESOLVED PostfixQueue"),
                      count=2, timeout=TIMEOUT)
    tap(res is not None and res.returncode == 0 and len(qres) == 2
        and queue_seen(prom, 145),
        "prometheus: the held mail deleted with the mail's command: the queue is at 145 "
        "and the 150 and 200 alerts resolve", [m["subject"] for m in sink.since(t4)])

    # 6. pfqmon stops: the exporter-down alert.
    t5 = time.monotonic()
    serve.stop()
    down = wait_mails(sink, t5, lambda m: m["subject"].startswith("FIRING PfqmonDown: "),
                      timeout=TIMEOUT)
    tap(len(down) == 1 and "cannot be scraped" in down[0]["subject"],
        "prometheus: pfqmon stopped: the exporter-down alert mails",
        [m["subject"] for m in sink.since(t5)])
    subjects = [m["subject"] for m in sink.since(0)]
    tap(len(subjects) == len(set(subjects)), "prometheus: no mail twice", subjects)


if __name__ == "__main__":
    sys.exit(main())
