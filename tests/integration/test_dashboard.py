#!/usr/bin/python3
"""test_dashboard.py - dashboards/pfqmon.json in a real Chronograf, in a browser.

What a mail admin sees: a private InfluxDB 1.x, a throw-away Postfix
playing the abuse scene (scene.py: a compromised SASL account, relay
hosts, ordinary users), frozen, and pfqmon --interval --push writing it
into the database "telegraf" scan after scan. Chronograf 1.7 (the real
server and web UI) gets a source pointing to that InfluxDB; Debian's
chromium, driven by tests/browser/dashboard.js (puppeteer-core), imports
the dashboard exactly as the README says (Dashboards page, Import
Dashboard, the file, the Reconcile Sources step, Done), opens it and
reads what every cell rendered. Then:

  - each "who" table (SASL users, client addresses, senders) lists first
    the largest key of pfqmon top --format json on the same queue, name
    first, with its count, on the first screen (1440x900);
  - every table header is plain words, not measurement.field;
  - the age table's buckets are in qshape's order, with the queue names;
  - ages are in minutes, not seconds (the graph and the tables);
  - the 200-message alert line is inside the graph at the default range,
    not on its edge;
  - no cell shows an error, "No Results" or its no-data note;
  - after the victim's mail is deleted (pfqmon select | postsuper -d),
    the agent reports its SASL row once more with 0; with that, and with
    a stale row of a key not reported for 4 minutes (what a single-scan
    Telegraf exec leaves), the SASL table lists neither.

Screenshots stay in build/dashboard/ for people to look at. Without
Chronograf (env CHRONOGRAF, PATH, ../shared/tools/tick/bin), chromium,
node or tests/browser/node_modules, each check is reported as skipped.
DASHBOARD=path runs the same checks on another file. Needs root.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import REPO as ROOT, PFQMON  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import harness  # noqa: E402
import scene  # noqa: E402
import tickfiles as tf  # noqa: E402

DASHBOARD = os.path.abspath(os.environ.get("DASHBOARD", "dashboards/pfqmon.json"))
SHOTS = os.path.abspath(os.environ.get("DASHBOARD_SHOTS", "build/dashboard"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BROWSER_DIR = os.path.join(ROOT, "tests", "browser")
HOST = "mx1.dashboard.test"
ALERT_AT = 200
FIRST_SCREEN = 900
GHOST = "ghost-of-an-old-scan"

CHECKS = ["dashboard: " + c for c in [
    "import: Dashboards page, Import Dashboard, Reconcile Sources, Done",
    "SASL users: the compromised account is the first row, name first",
    "client addresses: the top client of pfqmon top is the first row, name first",
    "senders: the top sender of pfqmon top is the first row, name first",
    "the three culprits' names are on the first screen (1440x900), no scrolling",
    "every table header is plain words, not measurement.field or a tag key",
    "age table: qshape's buckets in qshape's order, queue names first",
    "ages are in minutes, not raw seconds (graph axis and tables)",
    "the 200-message alert line is inside the whole-queue graph at the default range",
    "no cell shows an error, No Results or its no-data note",
    "SASL users after the purge: the deleted account and a stale key are gone",
    "arriving now: the compromised account, which sent the most while the scene "
    "played, is the first row, in messages a minute",
]]


def find_chronograf():
    env = os.environ.get("CHRONOGRAF")
    if env:
        return env if os.access(env, os.X_OK) else None
    found = shutil.which("chronograf")
    if found:
        return found
    shared = os.path.join(ROOT, "..", "shared", "tools", "tick", "bin", "chronograf")
    return shared if os.access(shared, os.X_OK) else None


def why_not():
    """None when the browser tests can run, else the reason."""
    if find_chronograf() is None:
        return "no Chronograf (CHRONOGRAF, PATH, ../shared/tools/tick/bin/chronograf)"
    if not os.access(CHROMIUM, os.X_OK):
        return "no chromium at %s (tests/install-deps.sh all installs it)" % CHROMIUM
    if shutil.which("node") is None:
        return "no node (tests/install-deps.sh all installs nodejs)"
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "puppeteer-core")):
        return "no tests/browser/node_modules (tests/install-deps.sh all runs npm ci)"
    return None


class Chronograf:
    """The real Chronograf server, private directory and loopback port."""

    def __init__(self, binary):
        self.base = tempfile.mkdtemp(prefix="pfqmon-chronograf.")
        for d in ("canned", "protoboards", "resources"):
            os.makedirs(os.path.join(self.base, d))
        self.log = open(os.path.join(self.base, "chronograf.log"), "wb")
        for attempt in range(5):
            if self.start(binary):
                return
            if attempt == 4 or not harness.port_taken(self.log_tail()):
                break
        raise RuntimeError("chronograf did not start: " + self.log_tail())

    def start(self, binary):
        """Chronograf on a port of its own: whether it answers there."""
        self.port = harness.free_port()
        self.proc = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", str(self.port),
             "--bolt-path", os.path.join(self.base, "chronograf.db"),
             "--canned-path", os.path.join(self.base, "canned"),
             "--protoboards-path", os.path.join(self.base, "protoboards"),
             "--resources-path", os.path.join(self.base, "resources"), "-r"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = "http://127.0.0.1:%d" % self.port
        end = time.monotonic() + 30
        while time.monotonic() < end and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(self.url + "/chronograf/v1/", timeout=1) as r:
                    if r.status == 200 and harness.listening(self.proc.pid, self.port):
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        return False

    def log_tail(self):
        try:
            return open(os.path.join(self.base, "chronograf.log"), errors="replace").read()[-800:]
        except OSError:
            return ""

    def api(self, path, body=None):
        req = urllib.request.Request(self.url + path, method="POST" if body else "GET",
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read().decode())

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.base, ignore_errors=True)


def browse(chrono, source, out, do_import=True):
    """Run the browser driver; its JSON report."""
    os.makedirs(out, exist_ok=True)
    alert = alert_colour()
    cmd = ["node", os.path.join(BROWSER_DIR, "dashboard.js"), "--url", chrono.url,
           "--source", str(source), "--file", DASHBOARD, "--out", out,
           "--chromium", CHROMIUM, "--lines", alert]
    if not do_import:
        cmd.append("--no-import")
    res = subprocess.run(cmd, capture_output=True, timeout=300, cwd=BROWSER_DIR)
    if res.returncode != 0:
        raise RuntimeError("browser driver failed: " + res.stderr.decode(errors="replace")[-1500:])
    return json.loads(res.stdout.decode())


def alert_colour():
    """The colour of the whole-queue graph's first series (its alert line)."""
    d = json.load(open(DASHBOARD))
    for c in d["dashboard"]["cells"]:
        if c["type"].startswith("line") and any("+ %d" % ALERT_AT in q["query"]
                                                for q in c["queries"]):
            cols = [x["hex"] for x in c.get("colors", []) if x.get("type") == "scale"]
            return (cols or ["#31C0F6"])[0].upper()
    return "#31C0F6"


# -- reading the report --------------------------------------------------------

def cell_named(report, *words):
    """The first cell whose name contains every word (case-insensitive)."""
    for c in report["cells"]:
        if all(w.lower() in c["name"].lower() for w in words):
            return c
    return None


def grid(cell):
    """{row: [texts by column]} of the rendered table cells."""
    rows = {}
    for x in (cell or {}).get("table", {}).get("cells", []):
        rows.setdefault(x["row"], {})[x["col"]] = x
    return {r: [rows[r][k] for k in sorted(rows[r])] for r in sorted(rows)}


def number(text):
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def who_check(report, words, key_name, top_rows, label):
    c = cell_named(report, *words)
    g = grid(c)
    detail = []
    if c is None or not g:
        tap(False, label, ["no table cell named %s: %s" % (words, [x["name"] for x in report["cells"]])])
        return None
    header = [x["text"] for x in g.get(0, [])]
    first = [x["text"] for x in g.get(1, [])]
    want = top_rows[0]
    if not first or first[0] != want["key"]:
        detail.append("first row %s, pfqmon top's first %s (%d messages)"
                      % (first, want["key"], want["length"]))
    if not header or header[0].lower() != key_name.lower():
        detail.append("first column is %r, not the %s" % (header[:1], key_name))
    if "messages" not in header:
        detail.append("no messages column in %s" % header)
    elif len(first) > header.index("messages") and number(first[header.index("messages")]) != want["length"]:
        detail.append("messages %s, pfqmon top %d" % (first[header.index("messages")], want["length"]))
    tap(not detail, label + " (%s, %d messages)" % (want["key"], want["length"]), detail)
    return c


def check_arriving(report):
    """The arrivals table: the victim first, a count a minute."""
    c = cell_named(report, "Arriving", "SASL")
    g = grid(c)
    header = [x["text"] for x in g.get(0, [])]
    first = [x["text"] for x in g.get(1, [])]
    detail = []
    if not first or first[0] != scene.VICTIM_LOGIN:
        detail.append("first row %s, want %s" % (first, scene.VICTIM_LOGIN))
    if header[:2] != ["SASL user", "a minute"]:
        detail.append("header %s" % header)
    elif len(first) < 2 or not (number(first[1]) or 0) > 0:
        detail.append("no count a minute: %s" % first)
    tap(not detail, CHECKS[11], detail)


def plain(text):
    return re.fullmatch(r"[A-Za-z0-9 ()<>+\-]+", text) is not None


# -- the scene -------------------------------------------------------------------

def wait_scans(influx, n, since_ns=None, timeout=60):
    """Wait until InfluxDB holds n scans of HOST newer than since_ns;
    the time of the latest (ns)."""
    end = time.monotonic() + timeout
    if since_ns is None:
        since_ns = int(time.time() * 1e9)
    while time.monotonic() < end:
        rows = influx.points("telegraf", 'SELECT "length" FROM "postfix_queue_total" '
                             "WHERE \"host\" = '%s' AND time > %d" % (HOST, since_ns))
        if len(rows) >= n:
            return rows[-1][0]
        time.sleep(0.5)
    raise RuntimeError("pfqmon's scans do not arrive in InfluxDB")


def backfill(influx, spool, minutes=15, step=30):
    """The dashboard's default range is 15 minutes: fill it as a server
    that has run pfqmon all along would have. pfqmon reports the frozen
    queue as of each earlier time (--now), and each report is stamped with
    that time, with the host tag the agent adds."""
    now = int(time.time())
    for t in range(now - minutes * 60 + step, now - step + 1, step):
        out = subprocess.run([PFQMON, "--queue-dir", spool, "--now", str(t)],
                             capture_output=True, check=True, timeout=60).stdout
        lines = tf.add_tag(out, "host", HOST).decode("utf-8").splitlines()
        body = "".join("%s %d\n" % (l, t * 10**9) for l in lines if l)
        status, err = influx.write("telegraf", body.encode("utf-8"))
        if status != 204:
            raise RuntimeError("backfill refused: %d %s" % (status, err[:300]))


def latest_count(influx, key):
    """The SASL user's count in its latest row in InfluxDB."""
    rows = influx.points("telegraf", 'SELECT last("length") FROM "postfix_queue_sasl" '
                         "WHERE \"host\" = '%s' AND \"sasl_username\" = '%s'" % (HOST, key))
    return rows[-1][1] if rows else None


def run(influx, chrono_bin):
    p = harness.Postfix(name="pfqdash")
    chrono = agent = None
    try:
        p.setup()
        p.start()
        influx.query("CREATE DATABASE telegraf")
        # The agent watches while the scene plays: it sees the arrivals.
        agent = subprocess.Popen([PFQMON, "--queue-dir", p.spool, "--interval", "2s",
                                  "--push", influx.url(""), "--push-db", "telegraf",
                                  "--tag", "host=" + HOST],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_scans(influx, 1, int(time.time() * 1e9))
        scene.play(p, harness.Injector)
        scene.freeze(p)
        backfill(influx, p.spool)
        wait_scans(influx, 3, int(time.time() * 1e9))
        top = json.loads(subprocess.run([PFQMON, "top", "--format", "json", "--queue-dir",
                                         p.spool], capture_output=True, check=True,
                                        timeout=60).stdout)
        chrono = Chronograf(chrono_bin)
        src = chrono.api("/chronograf/v1/sources", {
            "name": "pfqmon test InfluxDB", "url": influx.url(""), "default": True,
            "telegraf": "telegraf"})
        report = browse(chrono, src["id"], SHOTS)
        check_report(report, top, influx)
        check_arriving(report)
        purge(p, influx, chrono, src["id"])
    finally:
        if agent is not None:
            agent.terminate()
            try:
                agent.wait(10)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()
        if chrono is not None:
            chrono.close()
        p.close()


def check_report(report, top, influx):
    rec = report.get("reconcile", "")
    d = json.load(open(DASHBOARD))
    names = [c["name"] for c in d["dashboard"]["cells"]]
    missing = [n for n in names if n not in rec]
    tap("Reconcile Sources" in rec and "Dynamic Source" in rec and not missing,
        CHECKS[0], ["reconcile step: %r" % rec[:300], "cells not listed: %s" % missing])

    sasl = who_check(report, ("SASL",), "SASL user", top["sasl_usernames"]["rows"], CHECKS[1])
    client = who_check(report, ("client",), "client address",
                       top["client_addresses"]["rows"], CHECKS[2])
    sender = who_check(report, ("sender",), "sender", top["senders"]["rows"], CHECKS[3])
    if top["sasl_usernames"]["rows"][0]["key"] != scene.VICTIM_LOGIN:
        tap(False, "the scene's victim leads pfqmon top", [top["sasl_usernames"]["rows"][:2]])

    detail = []
    for c, rows in ((sasl, "sasl_usernames"), (client, "client_addresses"), (sender, "senders")):
        key = top[rows]["rows"][0]["key"]
        seen = [x for x in (c or {}).get("table", {}).get("cells", []) if x["text"] == key]
        if not any(x["visible"] and x["bottom"] <= FIRST_SCREEN for x in seen):
            detail.append("%s: %s is not on the first screen (%s)" % (
                (c or {}).get("name"), key,
                ["y=%d%s" % (x["bottom"], "" if x["visible"] else " scrolled away")
                 for x in seen] or "not rendered"))
    tap(not detail, CHECKS[4], detail)

    detail = []
    for c in report["cells"]:
        for x in grid(c).get(0, []):
            if not plain(x["text"]):
                detail.append("%s: header %r" % (c["name"], x["text"]))
    tables = [c for c in report["cells"] if c["kind"] == "table"]
    tap(len(tables) >= 5 and not detail, CHECKS[5] + " (%d tables)" % len(tables), detail)

    age = cell_named(report, "age", "qshape")
    g = grid(age)
    header = [x["text"] for x in g.get(0, [])]
    lows = []
    for h in header:
        m = re.fullmatch(r"\s*(?:<\s*(\d+)|(\d+)\s*-\s*(\d+)|(\d+)\s*\+)\s*(?:min)?\s*", h)
        if m:
            lows.append(0 if m.group(1) else int(m.group(2) or m.group(4)))
    queues = {row[0]["text"] for r, row in g.items() if r > 0 and row}
    want = [0, 5, 10, 20, 40, 80, 160, 320, 640, 1280]
    tap(lows == want and header[:1] == ["queue"]
        and queues == {"maildrop", "incoming", "active", "deferred", "hold"},
        CHECKS[6], ["header: %s" % header, "bucket lower bounds: %s" % lows,
                    "first column: %s" % sorted(queues)])

    detail = []
    oldest = cell_named(report, "oldest")
    max_age = influx.points("telegraf", "SELECT max(\"age\") FROM \"postfix_queue\" WHERE "
                            "\"host\" = '%s'" % HOST)[0][1]
    ticks = [number(t["text"]) for t in (oldest or {}).get("axis", {}).get("ticks", [])]
    ticks = [t for t in ticks if t is not None]
    label = (oldest or {}).get("axis", {}).get("label", "")
    if not re.search(r"\b(min|minutes|hours|h)\b", label) or "second" in label:
        detail.append("oldest-message axis label %r" % label)
    if not ticks or max(ticks) > max_age / 60 * 1.5 + 1:
        detail.append("oldest-message axis ticks %s for an oldest age of %d s" % (ticks, max_age))
    victim_age = influx.points("telegraf", "SELECT last(\"age\") FROM \"postfix_queue_sasl\" WHERE "
                               "\"host\" = '%s' AND \"sasl_username\" = '%s'"
                               % (HOST, scene.VICTIM_LOGIN))[0][1]
    g = grid(sasl)
    header = [x["text"] for x in g.get(0, [])]
    col = next((i for i, h in enumerate(header) if "oldest" in h), None)
    if col is None or "(min)" not in header[col]:
        detail.append("SASL table has no oldest (min) column: %s" % header)
    else:
        v = number(g[1][col]["text"]) if len(g.get(1, [])) > col else None
        if v is None or abs(v - victim_age / 60) > 0.2:
            detail.append("victim's oldest %s, InfluxDB says %d s" % (v, victim_age))
    tap(not detail, CHECKS[7], detail)

    detail = []
    whole = cell_named(report, "whole queue")
    ax = (whole or {}).get("axis", {})
    pts = sorted((number(t["text"]), t["y"]) for t in ax.get("ticks", [])
                 if number(t["text"]) is not None)
    if len(pts) < 2:
        detail.append("whole-queue graph: y ticks %s" % pts)
    else:
        (v0, y0), (v1, y1) = pts[0], pts[-1]
        y200 = y0 + (ALERT_AT - v0) * (y1 - y0) / (v1 - v0)
        if not v0 < ALERT_AT:
            detail.append("the y axis starts at %s: the 200 line sits on the bottom edge "
                          "(ticks %s)" % (v0, [v for v, _ in pts]))
        elif y0 - y200 < (y0 - y1) * 0.1:
            detail.append("200 is at y=%d, next to the axis' bottom at y=%d" % (y200, y0))
        rows = whole.get("lineAt", {}).get(alert_colour(), [])
        if not any(abs(r - y200) <= 3 for r in rows):
            detail.append("no line of colour %s at y=%d (rows with it: %s)"
                          % (alert_colour(), y200, rows[:10]))
    tap(not detail, CHECKS[8], detail)

    bad = ["%s: %s" % (c["name"], c["message"] or "nothing rendered") for c in report["cells"]
           if c["message"] is not None or c["kind"] in ("unknown", "message")]
    tap(len(report["cells"]) == len(names) and not bad,
        CHECKS[9] + " (%d cells)" % len(report["cells"]), bad)


def purge(p, influx, chrono, source):
    """Delete the victim's mail as the README's incident walk-through does;
    a stale row of a key not reported for 4 minutes is in InfluxDB too."""
    ids = subprocess.run([PFQMON, "select", "--sasl-user", scene.VICTIM_LOGIN, "--queue-dir",
                          p.spool], capture_output=True, check=True, timeout=60).stdout
    subprocess.run([harness.SBIN + "/postsuper", "-c", p.conf, "-d", "-"], input=ids,
                   capture_output=True, check=True, timeout=60)
    wait_scans(influx, 2)
    zero = latest_count(influx, scene.VICTIM_LOGIN)
    ghost = "postfix_queue_sasl,host=%s,sasl_username=%s length=999i,size=1i,age=1i," \
            "recipients=999i,maildrop=0i,incoming=0i,active=0i,deferred=999i,hold=0i %d\n" \
            % (HOST, GHOST, int((time.time() - 240) * 1e9))
    status, body = influx.write("telegraf", ghost.encode())
    if status != 204:
        raise RuntimeError("stale point refused: %d %s" % (status, body))
    top = json.loads(subprocess.run([PFQMON, "top", "--format", "json", "--queue-dir", p.spool],
                                    capture_output=True, check=True, timeout=60).stdout)
    report = browse(chrono, source, os.path.join(SHOTS, "after-purge"), do_import=False)
    g = grid(cell_named(report, "SASL"))
    names = [row[0]["text"] for r, row in g.items() if r > 0 and row]
    want = top["sasl_usernames"]["rows"][0]["key"]
    detail = ["rows: %s" % names[:8], "pfqmon top's first: %s" % want,
              "the victim's latest row in InfluxDB: %s messages (the agent's closing row "
              "should say 0)" % zero]
    tap(zero == 0 and names and scene.VICTIM_LOGIN not in names and GHOST not in names
        and names[0] == want, CHECKS[10] + " (first row now %s)" % want, detail)


def main():
    if not cases("dashboard"):
        return exit_status()
    reason = why_not()
    if reason:
        for name in CHECKS:
            tap(True, "%s # SKIP %s" % (name, reason))
        return 0
    if os.geteuid() != 0:
        tap(False, "the dashboard test needs root (a real Postfix instance)")
        return 1
    influx = harness.Influx()
    try:
        influx.start()
        run(influx, find_chronograf())
    except Exception as e:      # a broken harness is a failure, not a crash
        tap(False, "dashboard: harness error: %s: %s" % (type(e).__name__, e))
    finally:
        influx.close()
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
