#!/usr/bin/python3
"""tick/check.py - the shipped TICK files against pfqmon's own schema.

  - every TICKscript parses, uses only Kapacitor 1.5 nodes and
    properties, names only measurements, tags and fields pfqmon emits
    (pfqmon --schema), documents every var, uses a documented var as each
    threshold, and has well-formed alert templates;
  - every vars file parses with jansson (tests/tools/jsoncheck) and
    declares exactly the script's vars, with the same types and defaults;
  - the dashboard parses with jansson, passes Chronograf's validation
    rules, names only what pfqmon emits, and has the cells the admin needs;
  - the Telegraf snippet is valid TOML in the form pfqmon needs, and the
    sudoers line passes visudo.
The dashboard's queries are run against a real InfluxDB by
tests/integration/test_frozen.py. One TAP line per check.
"""

import glob
import os
import shutil
import subprocess
import sys
import tomllib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from taplib import tap, exit_status  # noqa: E402
import tickfiles as tf  # noqa: E402

PFQMON = os.environ.get("PFQMON", "agent/pfqmon")
JSONCHECK = os.environ.get("JSONCHECK", "build/tests/jsoncheck")
DASHBOARD = "dashboards/pfqmon.json"


def check_ticks(schema):
    scripts = sorted(glob.glob("tick/*.tick"))
    tap(len(scripts) == 3, "tick: three TICKscripts (queue, culprit, deadman)",
        [scripts])
    for path in scripts:
        tap(not (p := tf.tick_problems(path, schema)),
            "tick: %s is valid for Kapacitor 1.5 and names only what pfqmon emits" % path, p)
        vpath = path[:-len(".tick")] + ".vars.json"
        res = subprocess.run([JSONCHECK, "--vars", vpath], capture_output=True)
        if res.returncode != 0:
            tap(False, "tick: %s parses with jansson" % vpath, [res.stderr.decode()])
            continue
        got = {}
        for line in res.stdout.decode().splitlines():
            name, typ, val = line.split("\t")
            got[name] = (typ, val)
        want = tf.tick_vars(path)
        problems = []
        for name in set(got) | set(want):
            if name not in want or name not in got:
                problems.append("var %s only in %s" % (name, "the vars file" if name in got else "the script"))
                continue
            typ, val = want[name]
            expect = str(val) if typ in ("int", "float") else '"%s"' % val
            if got[name] != (typ, expect):
                problems.append("var %s: script %s, vars file %s" % (name, (typ, expect), got[name]))
        tap(not problems, "tick: %s parses with jansson and matches the script's vars" % vpath,
            problems)


def check_specific(schema):
    """The alerts the issue asks for, by what they watch and do."""
    q = open("tick/postfix_queue.tick").read()
    v = tf.tick_vars("tick/postfix_queue.tick")
    ok = (".measurement('postfix_queue_total')" in q and ".groupBy('host')" in q
          and '.crit(lambda: "length" >= threshold)' in q and ".stateChangesOnly()" in q
          and ".email(to)" in q and v.get("threshold") == ("int", 200)
          and v.get("to") == ("string", "admin@domain.net")
          and set(v) >= {"threshold", "warn_threshold", "to", "window"}
          and ".noRecoveries()" not in q)
    tap(ok, "tick: postfix_queue.tick alerts per host at 200 messages by email, "
        "with a recovery mail")
    c = open("tick/postfix_culprit.tick").read()
    v = tf.tick_vars("tick/postfix_culprit.tick")
    ok = all(m in c for m in ("'postfix_queue_sender'", "'postfix_queue_sasl'",
                              "'postfix_queue_client'", "bm-cli user logout --email=",
                              "mynetworks", "does not yet have")) and v.get("threshold") == ("int", 50)
    tap(ok, "tick: postfix_culprit.tick names the sender, SASL user or client over 50 "
        "and says what to do, including that the purge command is not there yet")
    d = open("tick/postfix_deadman.tick").read()
    tap("|deadman(" in d and ".measurement('postfix_queue_scan')" in d and ".groupBy('host')" in d,
        "tick: postfix_deadman.tick fires when pfqmon's scans stop arriving from a host")


def check_dashboard(schema, values):
    res = subprocess.run([JSONCHECK, DASHBOARD], capture_output=True)
    tap(res.returncode == 0, "dashboard: %s parses with jansson" % DASHBOARD,
        [res.stderr.decode()])
    p = tf.dashboard_problems(DASHBOARD, schema, values)
    tap(not p, "dashboard: passes Chronograf's rules and names only what pfqmon emits", p)
    import json
    cells = json.load(open(DASHBOARD))["dashboard"]["cells"]
    by_meas = {}
    for c in cells:
        for qq in c["queries"]:
            by_meas.setdefault(tf.query_names(qq["query"])[0], set()).add(c["type"])
    texts = " ".join(qq["query"] for c in cells for qq in c["queries"])
    want = {
        "total queue with the 200 line": "postfix_queue_total" in by_meas and "+ 200" in texts,
        "per-queue stacked": "line-stacked" in by_meas.get("postfix_queue", set()),
        "oldest-message age": 'max("age")' in texts,
        "top senders, SASL users and client addresses as tables": all(
            "table" in by_meas.get(m, set()) for m in
            ("postfix_queue_sender", "postfix_queue_sasl", "postfix_queue_client")),
        "sender and recipient domains": all(m in by_meas for m in (
            "postfix_queue_sender_domain", "postfix_queue_recipient_domain")),
        "the age buckets": "postfix_queue_age" in by_meas,
        "pfqmon's scan health": "postfix_queue_scan" in by_meas,
    }
    missing = [k for k, ok in want.items() if not ok]
    tap(not missing, "dashboard: has every cell the admin needs", missing)


def check_telegraf():
    conf = tomllib.load(open("docs/telegraf/pfqmon-exec.conf", "rb"))
    ex = conf.get("inputs", {}).get("exec", [{}])[0]
    cmd = ex.get("commands", [[]])[0]
    ok = (isinstance(cmd, list) and cmd[:4] == ["/usr/bin/sudo", "-n", "-u", "postfix"]
          and cmd[-1].endswith("/pfqmon") and ex.get("data_format") == "influx"
          and ex.get("timeout"))
    tap(ok, "telegraf: inputs.exec runs pfqmon as postfix through sudo, argv form, "
        "data_format influx, with a timeout", [ex])
    visudo = shutil.which("visudo") or ("/usr/sbin/visudo" if os.path.exists("/usr/sbin/visudo") else None)
    if visudo is None:
        tap(True, "telegraf: sudoers.pfqmon passes visudo # SKIP sudo is not installed")
        return
    res = subprocess.run([visudo, "-c", "-q", "-f", "docs/telegraf/sudoers.pfqmon"],
                         capture_output=True)
    tap(res.returncode == 0, "telegraf: sudoers.pfqmon passes visudo -c",
        [res.stdout.decode() + res.stderr.decode()])


def check_checker(schema):
    """The checker itself must catch a wrong name and a post-1.5 node."""
    import tempfile
    bad = open("tick/postfix_queue.tick").read()
    cases = {
        "a field pfqmon does not emit": bad.replace("|max('length')", "|max('lenght')"),
        "a measurement pfqmon does not emit": bad.replace("'postfix_queue_total'", "'postfix_total'"),
        "a node added after Kapacitor 1.5": bad.replace("|window()", "|trickle()\n    |window()"),
        "a threshold that is not a documented var": bad.replace('>= threshold)', '>= 200)'),
        "a template naming a missing tag": bad.replace('index .Tags "host"', 'index .Tags "queue"', 1),
    }
    for what, src in cases.items():
        with tempfile.NamedTemporaryFile("w", suffix=".tick", delete=False) as f:
            f.write(src)
        try:
            tap(bool(tf.tick_problems(f.name, schema)), "tick: the checker rejects %s" % what)
        finally:
            os.unlink(f.name)


def main():
    schema, values = tf.load_schema(PFQMON)
    tap(len(schema) == 9 and "postfix_queue_total" in schema,
        "schema: pfqmon --schema lists its nine measurements", [sorted(schema)])
    check_ticks(schema)
    check_specific(schema)
    check_checker(schema)
    check_dashboard(schema, values)
    check_telegraf()
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
