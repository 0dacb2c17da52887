#!/usr/bin/python3
"""tick/check.py - the shipped TICK files against pfqmon's own schema.

  - every TICKscript parses, uses only Kapacitor 1.5 nodes and
    properties, names only measurements, tags and fields pfqmon emits
    (pfqmon --schema), documents every var, uses a documented var as each
    threshold, and has well-formed alert templates;
  - every vars file parses with jansson (tests/tools/jsoncheck) and
    declares exactly the script's vars, with the same types and defaults;
  - the dashboard parses with jansson, passes Chronograf's validation
    rules, names only what pfqmon emits, reads :db:.:rp: (variables
    defaulting to telegraf and autogen), carries a Chronograf 1.7 export's
    column metadata for every table (fieldOptions for every column the
    query makes, sortBy naming one of them, plain headers, the name
    first), starts every graph's y axis at 0, has the cells the admin
    needs, and is what dashboards/make_pfqmon.py writes;
  - the Telegraf snippets are valid TOML in the form pfqmon needs; each
    sudoers file passes visudo (its example lines too), names exact
    arguments on every line, and allows exactly the commands of its
    snippet; the READMEs show only those lines and commands.
The dashboard's queries are run against a real InfluxDB by
tests/integration/test_frozen.py. One TAP line per check.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tomllib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, JSONCHECK  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import telegraffiles as tg  # noqa: E402
import tickfiles as tf  # noqa: E402

DASHBOARD = "dashboards/pfqmon.json"


def check_ticks(schema):
    scripts = sorted(glob.glob("tick/*.tick"))
    tap(len(scripts) == 4, "tick: four TICKscripts (queue, culprit, arrivals, deadman)",
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
                              "'postfix_queue_client'", "pfqmon top", "mynetworks",
                              "| postsuper -h -", "| postsuper -d -", "| postsuper -H -",
                              'lambda: "length" - "hold"', ".keep()")) \
        and "does not yet have" not in c and v.get("threshold") == ("int", 50)
    tap(ok, "tick: postfix_culprit.tick names the sender, SASL user or client with more "
        "than 50 messages waiting and gives the commands: top, hold, look, delete or release")
    r = open("tick/postfix_arrivals.tick").read()
    v = tf.tick_vars("tick/postfix_arrivals.tick")
    ok = all(m in r for m in ("'postfix_arrivals_sender'", "'postfix_arrivals_sasl'",
                              "'postfix_arrivals_client'", "pfqmon top", "mynetworks",
                              "| postsuper -h -", "| postsuper -d -", "| postsuper -H -",
                              '"period_ms"', ".keep()", "'MAILER-DAEMON'",
                              '.crit(lambda: "per_minute" > rate)')) \
        and v.get("rate") == ("int", 60)
    tap(ok, "tick: postfix_arrivals.tick names the sender, SASL user or client sending "
        "more than 60 messages a minute and gives the commands: top, hold, look, delete "
        "or release")
    # Every command in a mail is a <pre> or <code> block; a tag inside one
    # must go through urlquery, the only form select --encoded takes.
    for path, text in (("postfix_culprit.tick", c), ("postfix_arrivals.tick", r)):
        raw = []
        for block in re.findall(r"<(pre|code)>(.*?)</\1>", text, re.S):
            for action in re.findall(r"{{(.*?)}}", block[1], re.S):
                if "index .Tags" in action and '"host"' not in action \
                        and not action.rstrip().endswith("| urlquery"):
                    raw.append(action.strip())
        tap(not raw and text.count("--encoded") >= 15,
            "tick: every name in the commands of %s's mails is percent-encoded for "
            "select --encoded" % path, raw[:5])
    d = open("tick/postfix_deadman.tick").read()
    tap("|stats(check_every)" in d and ".measurement('postfix_queue_scan')" in d
        and ".groupBy('host')" in d and ".period(interval)" in d,
        "tick: postfix_deadman.tick fires when no scan arrived from a host for a whole "
        "interval, looked at every check_every")


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
    res = subprocess.run([sys.executable, "dashboards/make_pfqmon.py", "--print"],
                         capture_output=True)
    same = res.returncode == 0 and res.stdout == open(DASHBOARD, "rb").read()
    tap(same, "dashboard: %s is what dashboards/make_pfqmon.py writes "
        "(edit the script, run it, commit both)" % DASHBOARD, [res.stderr.decode()[-300:]])


def check_dashboard_checker(schema, values):
    """The dashboard rules must catch what Chronograf silently renders
    wrong: a sort column that is not a column, columns without metadata,
    a fixed database, a graph whose 200 line can sit on the bottom edge."""
    import json
    import tempfile
    good = json.load(open(DASHBOARD))

    def mutate(f):
        d = json.loads(json.dumps(good))
        f(d["dashboard"]["cells"], d)
        return d

    def table(cells):
        return next(c for c in cells if c["type"] == "table")

    def graph(cells):
        return next(c for c in cells if c["type"] == "line")

    def db(cells, d):
        for c in cells:
            for q in c["queries"]:
                q["query"] = q["queryConfig"]["rawText"] = q["query"].replace(
                    ":db:.:rp:", '"telegraf"."autogen"')
    cases = {
        "a sortBy that names no column (messages)":
            lambda cells, d: table(cells)["tableOptions"]["sortBy"].update(internalName="messages"),
        "fieldOptions that list only time":
            lambda cells, d: table(cells).update(fieldOptions=[{"internalName": "time",
                                                               "displayName": "",
                                                               "visible": False}]),
        "a measurement.field header":
            lambda cells, d: table(cells)["fieldOptions"][1].update(displayName=""),
        "the name column last":
            lambda cells, d: table(cells)["fieldOptions"].append(
                table(cells)["fieldOptions"].pop(0)),
        "queries tied to telegraf.autogen": db,
        "a graph autoscaled from its lowest value":
            lambda cells, d: graph(cells)["axes"]["y"].update(bounds=["", ""]),
        "a claimed Chronograf version it was not tested with":
            lambda cells, d: d["meta"].update(chronografVersion="1.10.2"),
    }
    for what, f in cases.items():
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(mutate(f), fh)
        try:
            tap(bool(tf.dashboard_problems(fh.name, schema, values)),
                "dashboard: the checker rejects %s" % what)
        finally:
            os.unlink(fh.name)


PAIRS = [("docs/telegraf/pfqmon-exec.conf", "docs/telegraf/sudoers.pfqmon-exec"),
         ("docs/telegraf/pfqmon-execd.conf", "docs/telegraf/sudoers.pfqmon-execd")]


def visudo_ok(path, text):
    """visudo -c -f on text (the file, or the file with its examples
    uncommented): (ok, output)."""
    import tempfile
    visudo = shutil.which("visudo") or "/usr/sbin/visudo"
    with tempfile.NamedTemporaryFile("w", prefix="pfqmon-sudoers.", delete=False) as f:
        f.write(text)
    try:
        res = subprocess.run([visudo, "-c", "-q", "-f", f.name], capture_output=True)
        out = (res.stdout + res.stderr).decode(errors="replace").replace(f.name, path)
        return res.returncode == 0, out
    finally:
        os.unlink(f.name)


def check_sudoers_pair(conf_path, sudoers_path, have_visudo):
    """A snippet and its sudoers file name the same exact commands."""
    text = open(sudoers_path).read()
    rules = tg.sudoers_rules(text)
    active = [r for r in rules if r.active]
    tap(len(active) == 1 and all(r.user == "telegraf" and r.runas == "postfix" for r in rules),
        "telegraf: %s has one active line, for telegraf as postfix" % sudoers_path,
        [r.line for r in rules])
    tap(rules and all(r.argv is not None for r in rules),
        "telegraf: every line of %s names exact arguments (a bare path allows any)"
        % sudoers_path, [r.line for r in rules if r.argv is None])
    if not have_visudo:
        tap(True, "telegraf: %s passes visudo -c # SKIP sudo is not installed" % sudoers_path)
    else:
        ok, out = visudo_ok(sudoers_path, text)
        tap(ok, "telegraf: %s passes visudo -c" % sudoers_path, out)
        ok, out = visudo_ok(sudoers_path, re.sub(r"^#(telegraf )", r"\1", text, flags=re.M))
        tap(ok, "telegraf: %s passes visudo -c with its example lines uncommented"
            % sudoers_path, out)
    cmds = tg.snippet_commands(conf_path)
    for state in (True, False):
        snip = sorted(tg.unsudo(c, "postfix") or ["not run through sudo -n -u postfix"] + c
                      for a, c in cmds if a == state)
        sud = sorted(tg.rule_command(r) or [] for r in rules if r.active == state)
        tap(snip and snip == sud,
            "telegraf: the %s commands of %s are exactly those of %s"
            % ("active" if state else "commented example", conf_path, sudoers_path),
            ["snippet: %s" % snip, "sudoers: %s" % sud])
    return rules, cmds


def check_readme_commands(path, rules, cmds):
    """The sudoers lines and Telegraf commands a README shows are shipped ones."""
    lines = tg.code_blocks(open(path).read())
    shown = tg.sudoers_rules("\n".join(lines))
    shipped = {(r.user, r.runas, tuple(tg.rule_command(r) or ())) for r in rules}
    bad = [r.line for r in shown
           if (r.user, r.runas, tuple(tg.rule_command(r) or ())) not in shipped
           or r.argv is None]
    tap(shown and not bad, "telegraf: every sudoers line in %s's examples is a shipped one"
        % path, bad)
    argvs = [c for _, c in cmds]
    found = []
    for m in re.finditer(r"commands?\s*=\s*(\[.*\])", "\n".join(lines)):
        v = tomllib.loads("v = " + m.group(1))["v"]
        found += v if v and isinstance(v[0], list) else [v]
    bad = [c for c in found if c not in argvs]
    tap(not bad, "telegraf: every Telegraf command in %s's examples is a shipped one" % path,
        bad)


def check_telegraf():
    conf = tomllib.load(open("docs/telegraf/pfqmon-exec.conf", "rb"))
    ex = conf.get("inputs", {}).get("exec", [{}])[0]
    cmd = ex.get("commands", [[]])[0]
    ok = (isinstance(cmd, list) and cmd[:4] == ["/usr/bin/sudo", "-n", "-u", "postfix"]
          and cmd[-1].endswith("/pfqmon") and ex.get("data_format") == "influx"
          and ex.get("timeout"))
    tap(ok, "telegraf: inputs.exec runs pfqmon as postfix through sudo, argv form, "
        "data_format influx, with a timeout", [ex])
    have_visudo = shutil.which("visudo") or os.path.exists("/usr/sbin/visudo")
    rules, cmds = [], []
    for conf_path, sudoers_path in PAIRS:
        r, c = check_sudoers_pair(conf_path, sudoers_path, have_visudo)
        rules += r
        cmds += c
    for path in ("README.md", "docs/telegraf/README.md"):
        check_readme_commands(path, rules, cmds)
    readme = open("README.md").read()
    exec_line = [r.line for r in rules if r.active and r.argv == []]
    tap(exec_line and exec_line[0] in readme
        and '["/usr/bin/sudo", "-n", "-u", "postfix", "/usr/bin/pfqmon"]' in readme,
        "telegraf: README shows the inputs.exec command and its exact sudoers line",
        exec_line)


def check_telegraf_checker():
    """The sudoers checks must catch a bare path, a snippet whose command
    is not in sudoers, and a README line that is not shipped."""
    import tempfile
    tmp = tempfile.mkdtemp(prefix="pfqmon-tgcheck.")
    try:
        def copy(src, name, old=None, new=None):
            text = open(src).read()
            if old is not None:
                assert old in text, (src, old)
                text = text.replace(old, new)
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            return path
        exe = "/usr/bin/pfqmon"
        bare = tg.sudoers_rules(open(copy(PAIRS[0][1], "s1", exe + ' ""', exe)).read())
        tap(any(r.argv is None for r in bare),
            "telegraf: the checker sees that a bare path allows any arguments")
        conf = copy(PAIRS[0][0], "c1", '"/usr/bin/pfqmon"]]',
                    '"/usr/bin/pfqmon", "--top", "50"]]')
        got = sorted(tg.unsudo(c, "postfix") for a, c in tg.snippet_commands(conf) if a)
        want = sorted(tg.rule_command(r) for r in tg.sudoers_rules(open(PAIRS[0][1]).read())
                      if r.active)
        tap(got != want, "telegraf: the checker sees a snippet command sudoers does not allow")
        readme = copy("README.md", "r1", exe + ' ""\n', exe + " --top 50\n")
        shown = tg.sudoers_rules("\n".join(tg.code_blocks(open(readme).read())))
        tap(any(r.argv == ["--top", "50"] for r in shown),
            "telegraf: the checker reads the sudoers lines of a README's examples")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
        "a dbrp statement": 'dbrp "telegraf"."autogen"\n' + bad,
    }
    for what, src in cases.items():
        with tempfile.NamedTemporaryFile("w", suffix=".tick", delete=False) as f:
            f.write(src)
        try:
            tap(bool(tf.tick_problems(f.name, schema)), "tick: the checker rejects %s" % what)
        finally:
            os.unlink(f.name)


def main():
    picked = cases("schema", check_ticks, check_specific, check_checker, check_dashboard,
                   check_dashboard_checker, check_telegraf, check_telegraf_checker)
    schema, values = tf.load_schema(PFQMON)
    for case in picked:
        if case == "schema":
            tap(len(schema) == 13 and "postfix_queue_total" in schema
                and "postfix_arrivals_sasl" in schema,
                "schema: pfqmon --schema lists its thirteen measurements", [sorted(schema)])
        elif case in (check_dashboard, check_dashboard_checker):
            case(schema, values)
        elif case in (check_telegraf, check_telegraf_checker):
            case()
        else:
            case(schema)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
