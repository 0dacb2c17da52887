#!/usr/bin/env python3
"""prometheus/check.py - Prometheus's text and the shipped alert rules,
with Debian's promtool (the prometheus package); no service needed.

  - promtool check rules, and promtool test rules on the unit tests of
    the rules (tests/prometheus/pfqmon.rules.test.yml): thresholds,
    held mail, (other) and MAILER-DAEMON, the percent-encoded names in
    every command, exporter down, absent or stale;
  - the rules name only metrics pfqmon writes (pfqmon --schema --format
    openmetrics) and put a label into a command only through urlquery;
  - pfqmon --format openmetrics on the Postfix 3.7 sample spool and on
    the hostile spool (tests/hostile: senders, SASL logins and clients
    with quotes, backslashes, newlines, NUL, invalid UTF-8, 3,000 bytes),
    plain and under ASan+UBSan: promtool check metrics accepts it, the
    strict reader (tests/lib/promtext.py) too, and every sample equals
    the line protocol's number for the same row, label value for tag
    value, --top and (other) alike;
  - docs/metrics.md lists exactly the metrics --schema lists;
  - the textfile script of docs/configuration.md, run as written (pfqmon
    on the sample spool, its directory a temporary one): the .prom file
    is complete and valid, no temporary file is left, and when the queue
    cannot be read the previous file stays as it was;
  - pfqmon serve on a loopback port, under ASan+UBSan, on the sample
    spool: /metrics as --format openmetrics writes it, 404, 405, HEAD,
    503 never once a scan is done, a request larger than its bound
    refused, more connections than allowed refused while it keeps
    serving, and on SIGTERM an exit 0 with no sanitizer report or leak.

Without promtool the promtool checks say SKIP; the others still run.
"""

import http.client
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, PFQMON_SAN, LPCHECK, REPO  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
from fixtures import AS_ROOT, restore_spool  # noqa: E402
import pfqmetrics as pm  # noqa: E402
import promtext  # noqa: E402

RULES = "tick/prometheus/pfqmon.rules.yml"
RULE_TESTS = "tests/prometheus/pfqmon.rules.test.yml"
PROMTOOL = shutil.which("promtool")
NOW = 1800000000
QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")
BREAKDOWNS = {"postfix_queue_sender": "sender", "postfix_queue_sasl": "sasl_username",
              "postfix_queue_client": "client_address",
              "postfix_queue_sender_domain": "domain",
              "postfix_queue_recipient_domain": "domain"}
FACTS = (("size", "_bytes"), ("recipients", "_recipients"),
         ("age", "_oldest_message_age_seconds"))
SCAN = ("files", "parsed", "skipped", "vanished", "unparseable", "ignored",
        "duplicates", "errors", "cached", "full", "events", "overflows")


def promtool(*args, data=None):
    return subprocess.run([PROMTOOL, *args], input=data, capture_output=True, timeout=120)


def skip_without_promtool(name):
    if PROMTOOL:
        return False
    tap(True, name + " # SKIP promtool is not installed (Debian's prometheus package)")
    return True


def schema():
    """{metric: labels} from pfqmon --schema --format openmetrics."""
    res = subprocess.run([PFQMON, "--schema", "--format", "openmetrics"],
                         capture_output=True, check=True)
    out = {}
    for line in res.stdout.decode().splitlines():
        _, name, labels, _ = line.split(" ", 3)
        out[name] = [] if labels == "-" else labels.split(",")
    return out


def expected_from_lp(got):
    """The samples prom_write() must write, from the line protocol of the
    same scan (pm.decode): one for every field it carries over."""
    exp = {}
    for (meas, tags), f in got.items():
        tags = dict(tags)
        if meas == "postfix_queue":
            q = (("queue", tags["queue"]),)
            exp[("postfix_queue_messages", q)] = f["length"]
            for field, suffix in FACTS:
                exp[("postfix_queue" + suffix, q)] = f[field]
        elif meas == "postfix_queue_age":
            for field, v in f.items():
                if field != "length":
                    exp[("postfix_queue_age_messages",
                         (("bucket", field), ("queue", tags["queue"])))] = v
        elif meas in BREAKDOWNS:
            label = BREAKDOWNS[meas]
            key = tags[label]
            for q in QUEUES:
                exp[(meas + "_messages", tuple(sorted(((label, key), ("queue", q)))))] = f[q]
            for field, suffix in FACTS:
                exp[(meas + suffix, ((label, key),))] = f[field]
        elif meas == "postfix_queue_scan":
            for field in SCAN:
                exp[("postfix_queue_scan_" + field, (("source", tags["source"]),))] = f[field]
    return exp


def same_scan(name, binary, spool, args):
    """pfqmon --format openmetrics and the line protocol on one spool:
    promtool and the strict reader accept the first, and it says what
    the second says."""
    base = [binary, *AS_ROOT, "--queue-dir", spool, "--now", str(NOW), *args]
    om = subprocess.run(base + ["--format", "openmetrics"], capture_output=True, timeout=60)
    lp = subprocess.run(base, capture_output=True, timeout=60)
    if om.returncode != 0 or lp.returncode != 0:
        tap(False, name + ": both runs exit 0", [om.stderr, lp.stderr])
        return
    if PROMTOOL:
        res = promtool("check", "metrics", data=om.stdout)
        tap(res.returncode == 0, name + ": promtool check metrics accepts it",
            [res.stdout, res.stderr])
    try:
        got = promtext.parse(om.stdout)
    except ValueError as e:
        tap(False, name + ": the strict reader accepts it", str(e))
        return
    exp = expected_from_lp(pm.decode(lp.stdout, LPCHECK))
    when = got.pop(("postfix_queue_scan_timestamp_seconds", (("source", "spool"),)), None)
    took = got.pop(("postfix_queue_scan_duration_seconds", (("source", "spool"),)), None)
    extra = sorted(set(got) - set(exp))[:5]
    missing = sorted(set(exp) - set(got))[:5]
    wrong = [(k, exp[k], got[k]) for k in exp if k in got and got[k] != exp[k]][:5]
    tap(when == NOW and took is not None and not extra and not missing and not wrong
        and len(got) > 50,
        "%s: %d samples, each the line protocol's number for the same row and "
        "label value" % (name, len(got)),
        ["timestamp %s, duration %s" % (when, took), "extra %s" % extra,
         "missing %s" % missing, "wrong %s" % wrong])


def case_rules_check():
    name = "prometheus: promtool check rules " + RULES
    if skip_without_promtool(name):
        return
    res = promtool("check", "rules", RULES)
    tap(res.returncode == 0 and b"SUCCESS: 8 rules found" in res.stdout, name,
        [res.stdout, res.stderr])


def case_rules_unit_tests():
    name = "prometheus: promtool test rules " + RULE_TESTS
    if skip_without_promtool(name):
        return
    res = subprocess.run([PROMTOOL, "test", "rules", os.path.basename(RULE_TESTS)],
                         cwd=os.path.dirname(RULE_TESTS), capture_output=True, timeout=120)
    tap(res.returncode == 0 and b"SUCCESS" in res.stdout, name,
        [res.stdout[-1500:], res.stderr[-1500:]])


def case_rules_names():
    """What the rules name exists, and commands get names only encoded."""
    text = open(RULES).read()
    known = set(schema()) | {"up"}
    named = set(re.findall(r"\b(postfix_queue_\w+|up)\{", text))
    unknown = sorted(named - known)
    tap(named and not unknown, "prometheus: the rules name only metrics pfqmon "
        "--schema --format openmetrics lists (%d)" % len(named), unknown)
    bad = []
    commands = [line.strip() for line in text.splitlines()
                if line.strip().startswith("pfqmon ")]
    for line in commands:
        for tmpl in re.findall(r"\{\{(.*?)\}\}", line):
            if not re.fullmatch(r" \$labels\.\w+ \| urlquery ", tmpl):
                bad.append(line)
        if not re.fullmatch(r"pfqmon (top|select --encoded [-a-z ]+=\{\{ \$labels\.\w+ "
                            r"\| urlquery \}\})( \| (head -3 \| xargs -n1 postcat -hq|"
                            r"postsuper -[hdH] -))?", line):
            bad.append(line)
    tap(len(commands) == 17 and not bad, "prometheus: every command in the rules' "
        "annotations (%d) is pfqmon top or pfqmon select --encoded with the label "
        "through urlquery, piped only to postsuper or postcat" % len(commands), bad)


def case_golden_spool():
    root = tempfile.mkdtemp(prefix="pfqmon-prom.")
    try:
        restore_spool(os.path.join(root, "spool"))
        for top in ("0", "2"):
            same_scan("prometheus: the sample spool, --top %s" % top, PFQMON,
                      os.path.join(root, "spool"), ["--top", top])
    finally:
        shutil.rmtree(root, ignore_errors=True)


def case_hostile_spool():
    spec = importlib.util.spec_from_file_location(
        "hostile", os.path.join(REPO, "tests", "hostile", "run.py"))
    hostile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hostile)
    root = tempfile.mkdtemp(prefix="pfqmon-prom.")
    try:
        sp = hostile.hostile_identities_spool(root)
        for label, binary in (("plain", PFQMON), ("ASan+UBSan", PFQMON_SAN)):
            same_scan("prometheus: hostile senders, SASL logins and clients "
                      "(%d), %s" % (len(hostile.HOSTILE_VALUES), label), binary, sp.dir,
                      ["--top", "0"])
        same_scan("prometheus: hostile names folded by --top 3", PFQMON, sp.dir,
                  ["--top", "3"])
    finally:
        shutil.rmtree(root, ignore_errors=True)


def case_docs():
    """docs/metrics.md's Prometheus section lists exactly the metrics."""
    doc = open("docs/metrics.md").read()
    m = re.search(r"^## Prometheus\n(.*?)(?=^## )", doc, re.S | re.M)
    section = m.group(1) if m else ""
    rows = {}
    for line in section.splitlines():
        c = re.match(r"\| `(postfix_queue_\w+)` \| ([^|]*) \|", line)
        if c:
            rows[c.group(1)] = sorted(re.findall(r"`(\w+)`", c.group(2)))
    want = {k: sorted(v) for k, v in schema().items()}
    tap(rows == want, "prometheus: docs/metrics.md lists every metric pfqmon writes, "
        "with its labels, and no other (%d)" % len(want),
        ["only in the docs: %s" % sorted(set(rows) - set(want)),
         "undocumented: %s" % sorted(set(want) - set(rows)),
         "labels differ: %s" % [k for k in want if k in rows and rows[k] != want[k]]])


def case_textfile_recipe():
    """docs/configuration.md's node_exporter script, run as written."""
    doc = open("docs/configuration.md").read()
    m = re.search(r"```sh\n( *#!/bin/sh\n *# /usr/local/sbin/pfqmon-textfile.*?) *```",
                  doc, re.S)
    if not m:
        tap(False, "prometheus: docs/configuration.md has the textfile script")
        return
    root = tempfile.mkdtemp(prefix="pfqmon-prom.")
    try:
        spool, out, bindir = (os.path.join(root, d) for d in ("spool", "out", "bin"))
        restore_spool(spool)
        os.makedirs(out)
        os.makedirs(bindir)
        script = re.sub(r"^dir=.*$", "dir=" + out, textwrap.dedent(m.group(1)), count=1,
                        flags=re.M)
        with open(os.path.join(root, "pfqmon-textfile"), "w") as f:
            f.write(script)
        wrapper = os.path.join(bindir, "pfqmon")

        def run(queue):
            with open(wrapper, "w") as f:    # pfqmon, on this test's queue
                f.write("#!/bin/sh\nexec %s %s --queue-dir %s \"$@\"\n"
                        % (PFQMON, " ".join(AS_ROOT), queue))
            os.chmod(wrapper, 0o755)
            return subprocess.run(["sh", os.path.join(root, "pfqmon-textfile")],
                                  env=dict(os.environ, PATH=bindir + ":/usr/bin:/bin"),
                                  capture_output=True, timeout=60)
        res = run(spool)
        prom = os.path.join(out, "pfqmon.prom")
        data = open(prom, "rb").read() if os.path.exists(prom) else b""
        try:
            n = len(promtext.parse(data))
        except ValueError as e:
            n = str(e)
        check = promtool("check", "metrics", data=data) if PROMTOOL else None
        tap(res.returncode == 0 and os.listdir(out) == ["pfqmon.prom"] and isinstance(n, int)
            and n > 100 and (check is None or check.returncode == 0),
            "prometheus: the textfile script of docs/configuration.md writes pfqmon.prom "
            "whole (%s samples) and leaves no temporary file" % n,
            [res.stderr, os.listdir(out), check.stdout if check else ""])
        res = run(os.path.join(root, "no-such-queue"))
        after = open(prom, "rb").read() if os.path.exists(prom) else b""
        tap(res.returncode != 0 and after == data and os.listdir(out) == ["pfqmon.prom"],
            "prometheus: when the queue cannot be read, the script fails and the previous "
            "pfqmon.prom stays as it was, with no temporary file",
            [res.returncode, res.stderr, os.listdir(out)])
    finally:
        shutil.rmtree(root, ignore_errors=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def request(port, method="GET", path="/metrics", headers=None):
    """(status, headers, body), or (0, {}, reason) when refused or cut."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    except (OSError, http.client.HTTPException) as e:
        return 0, {}, str(e)
    finally:
        c.close()


def wait_status(port, want, timeout=10):
    end = time.monotonic() + timeout
    while True:
        st = request(port)[0]
        if st == want or time.monotonic() > end:
            return st
        time.sleep(0.1)


def case_serve_sanitized():
    """pfqmon serve under ASan+UBSan, on loopback, the sample spool."""
    root = tempfile.mkdtemp(prefix="pfqmon-prom.")
    proc = None
    try:
        spool = os.path.join(root, "spool")
        restore_spool(spool)
        for attempt in range(5):
            port = free_port()
            err = open(os.path.join(root, "serve.err"), "wb")
            proc = subprocess.Popen(
                [PFQMON_SAN, "serve", *AS_ROOT, "--queue-dir", spool,
                 "--listen", "127.0.0.1:%d" % port, "--interval", "1s",
                 "--listen-connections", "2", "--listen-timeout", "2s"],
                stdout=subprocess.DEVNULL, stderr=err)
            end = time.monotonic() + 30
            first = None
            while time.monotonic() < end and proc.poll() is None:
                st = request(port)[0]
                if first is None and st:
                    first = st
                if st == 200:
                    break
                time.sleep(0.05)
            if proc.poll() is None:
                break
            text = open(os.path.join(root, "serve.err"), errors="replace").read()
            if attempt == 4 or "in use" not in text:
                tap(False, "prometheus: pfqmon serve (ASan+UBSan) starts", text[-1500:])
                return
        want = subprocess.run([PFQMON, *AS_ROOT, "--queue-dir", spool,
                               "--format", "openmetrics"], capture_output=True).stdout
        st, hdr, body = request(port)

        def strip(b):   # times differ from run to run; the scan lists every file
            b = re.sub(rb"\n\w+(_duration_seconds|_timestamp_seconds|_oldest_message_age_"
                       rb"seconds)\{[^\n]*", b"", b)
            return re.sub(rb"\n(postfix_queue_scan_(full|cached|events)\{[^\n]*) \d+",
                          rb"\n\1 N", b)
        tap(st == 200 and strip(body) == strip(want) and first in (200, 503)
            and hdr.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8",
            "prometheus: pfqmon serve (ASan+UBSan) answers /metrics with what --format "
            "openmetrics writes for the same queue (503 only before the first scan)",
            [st, first, hdr])
        twice = subprocess.run([PFQMON, "serve", *AS_ROOT, "--queue-dir", spool, "--listen",
                                "127.0.0.1:%d" % port], capture_output=True, timeout=30)
        tap(twice.returncode == 1 and twice.stderr.count(b"\n") == 1
            and b"cannot listen on 127.0.0.1:%d: Address already in use" % port in twice.stderr,
            "prometheus: a second pfqmon serve on the same port: one line, exit 1",
            [twice.returncode, twice.stderr])
        head, post, other = request(port, "HEAD"), request(port, "POST"), request(port, "GET", "/")
        tap(head[0] == 200 and head[2] == b"" and post[0] == 405
            and post[1].get("Allow") == "GET, HEAD" and other[0] == 404,
            "prometheus: pfqmon serve: HEAD without a body, 405 with Allow, 404 elsewhere",
            [head[:2], post[:2], other[:2]])
        big = request(port, headers={"X-Filler": "x" * (40 * 1024)})
        tap(big[0] in (400, 413, 414, 431) or big[0] == 0,
            "prometheus: pfqmon serve refuses a request larger than its 32 KiB bound "
            "(status %s)" % big[0], [big[:2]])
        held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(2)]
        time.sleep(0.2)         # accepted: --listen-connections 2 are taken
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            c.request("GET", "/metrics")
            third = c.getresponse().status
        except (OSError, http.client.HTTPException) as e:
            third = type(e).__name__
        finally:
            c.close()
        for s in held:
            s.close()
        after = wait_status(port, 200)
        tap(third != 200 and after == 200,
            "prometheus: pfqmon serve answers no third connection while --listen-"
            "connections 2 are held, and serves again once they close",
            ["third: %s, then %s" % (third, after)])
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(30)
        text = open(os.path.join(root, "serve.err"), errors="replace").read()
        tap(rc == 0 and "Sanitizer" not in text and "runtime error" not in text
            and "leak" not in text.lower(),
            "prometheus: pfqmon serve (ASan+UBSan) stops on SIGTERM, exit 0, no sanitizer "
            "report, no leak", [rc, text[-1500:]])
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


def main():
    for case in cases(case_rules_check, case_rules_unit_tests, case_rules_names,
                      case_golden_spool, case_hostile_spool, case_docs,
                      case_textfile_recipe, case_serve_sanitized):
        try:
            case()
        except Exception as e:  # a broken case is a failure, not a crash
            tap(False, "prometheus: %s: %s: %s" % (case.__name__, type(e).__name__, e))
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
