#!/usr/bin/python3
"""test_frozen.py - pfqmon against a real Postfix and a real InfluxDB.

For short and for long queue IDs: a throw-away Postfix instance plays the
abuse scene (scene.py), is stopped (the queue is frozen), and pfqmon's
report (--top 0) must equal Postfix's own view exactly:

  - per queue and per sender: postqueue -j (message counts, recipients,
    sizes, oldest arrival);
  - everything else, per SASL user and client address included: the
    facts 'postcat -e' prints for each message, turned into metrics by
    tests/lib/pfqmetrics.py;
  - the IPv6 clients, stored as IPv6:2001:db8::25, are tagged with the
    bare address, the one Postfix wrote in client_address;
  - the report is written to a private InfluxDB 1.x with POST /write
    (204 required) and every series is read back with /query: fields
    equal, and every sender, SASL name and client address Postfix stored
    comes back byte for byte (or as docs/metrics.md says it is changed).

One TAP line per check. Needs root.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, PFQMON_SAN, LPCHECK  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import harness  # noqa: E402
import pfqmetrics as pm  # noqa: E402
import scene  # noqa: E402
import tickfiles as tf  # noqa: E402


def pfqmon(binary, spool, now):
    return subprocess.run([binary, "--queue-dir", spool, "--top", "0",
                           "--now", str(now)], capture_output=True, timeout=60)


def against_postqueue(tag, pq, facts, got, now):
    """Per queue and per sender, as postqueue -j groups them."""
    detail = []
    queues = {}
    for m in pq:
        q = queues.setdefault(m["queue_name"], [])
        q.append(m)
    for name in pm.MAIL_QUEUES:
        ms = queues.get(name, [])
        want = {"length": len(ms), "recipients": sum(len(m["recipients"]) for m in ms),
                "size": sum(m["message_size"] for m in ms),
                "age": now - min(m["arrival_time"] for m in ms) if ms else 0}
        g = got.get(("postfix_queue", (("queue", name),)))
        if g is None or any(g[k] != v for k, v in want.items()):
            detail.append("queue %s: postqueue %s, pfqmon %s" % (name, want, g))
    tap(not detail, tag + ": per-queue counts equal postqueue -j", detail)

    # postqueue shows senders quoted (RFC 822); pfqmon reports what the
    # queue file stores. Join the two through the queue ID.
    detail = []
    by_display = {}
    for m in pq:
        by_display.setdefault(m["sender"], []).append(m)
    seen_keys = set()
    for display, ms in by_display.items():
        keys = {pm.sender_key(facts[m["queue_id"]]["sender"]) for m in ms}
        if len(keys) != 1:
            detail.append("postqueue sender %r is %d pfqmon senders" % (display, len(keys)))
            continue
        key = keys.pop()
        if key in seen_keys:
            detail.append("two postqueue senders map to %r" % key)
        seen_keys.add(key)
        want = {"length": len(ms), "recipients": sum(len(m["recipients"]) for m in ms),
                "size": sum(m["message_size"] for m in ms)}
        for q in pm.MAIL_QUEUES:
            want[q] = sum(1 for m in ms if m["queue_name"] == q)
        g = got.get(("postfix_queue_sender", (("sender", key),)))
        if g is None or any(g[k] != v for k, v in want.items()):
            detail.append("sender %r: postqueue %s, pfqmon %s" % (display, want, g))
    rows = {k[1][0][1] for k in got if k[0] == "postfix_queue_sender"}
    if rows != seen_keys:
        detail.append("senders only in pfqmon: %s; only in postqueue: %s"
                      % (sorted(rows - seen_keys)[:5], sorted(seen_keys - rows)[:5]))
    tap(not detail, tag + ": per-sender counts equal postqueue -j (%d senders)"
        % len(by_display), detail)


def against_postcat(tag, pq, facts, got, now):
    """Every measurement, from the facts postcat -e prints per message."""
    msgs = []
    detail = []
    for m in pq:
        f = facts.get(m["queue_id"])
        if f is None:
            detail.append("postcat does not know %s" % m["queue_id"])
            continue
        if f["queue"] != m["queue_name"] or len(f["recipients"]) != len(m["recipients"]):
            detail.append("postcat and postqueue disagree on %s" % m["queue_id"])
        msgs.append({"queue": m["queue_name"], "sender": f["sender"],
                     "arrival": m["arrival_time"], "size": m["message_size"],
                     "recipients": f["recipients"], "sasl": f["sasl"],
                     "client": f["client"]})
    tap(not detail, tag + ": postcat -e and postqueue -j agree (%d messages)" % len(pq),
        detail)
    exp = pm.expected(msgs, now)
    for meas in sorted({k[0] for k in exp} | {k[0] for k in got}):
        if meas == "postfix_queue_scan":
            continue
        d = pm.diff(exp, got, only={meas})
        n = sum(1 for k in exp if k[0] == meas)
        tap(not d, "%s: %s equals postcat -e (%d rows)" % (tag, meas, n), d)
    s = got[("postfix_queue_scan", (("source", "spool"),))]
    tap(s["files"] == s["parsed"] == len(pq) and s["errors"] == 0,
        tag + ": every file parsed, nothing else counted", [s])
    return msgs


def scene_is_real(tag, pq, got):
    """The scene must really have reached every queue and every identity."""
    queues = {m["queue_name"] for m in pq}
    victim = got.get(("postfix_queue_sasl", (("sasl_username", scene.VICTIM_LOGIN),)))
    relay = got.get(("postfix_queue_client", (("client_address", scene.RELAY_IP),)))
    detail = []
    if queues != set(pm.MAIL_QUEUES):
        detail.append("queues reached: %s" % sorted(queues))
    if victim is None or victim["length"] < 300:
        detail.append("victim row: %s" % victim)
    if relay is None or relay["length"] < 80:
        detail.append("relay row: %s" % relay)
    tap(not detail, tag + ": the scene fills all five queues; the victim and "
        "the relay lead their breakdowns", detail)


def ipv6_clients(tag, facts, got, ipv6):
    """The IPv6 clients: Postfix stored them as IPv6:..., pfqmon tags the
    bare address, which is what Postfix wrote in client_address."""
    name = tag + ": IPv6 clients are tagged with the bare address"
    if not ipv6:
        tap(True, name + " # SKIP no IPv6 sockets: Postfix cannot take IPv6 clients")
        return
    detail = []
    tagged = [f for f in facts.values() if f["client"] and f["client"].startswith(b"IPv6:")]
    if len(tagged) != scene.relay6_count(1.0) + 3:
        detail.append("%d messages with an IPv6: client, want %d"
                      % (len(tagged), scene.relay6_count(1.0) + 3))
    for f in facts.values():
        if f["client"] and pm.client_key(f["client"]) != (f["peer"] or b"").decode():
            detail.append("client %r: key %r, Postfix's client_address %r"
                          % (f["client"], pm.client_key(f["client"]), f["peer"]))
    rows = {k[1][0][1]: g["length"] for k, g in got.items()
            if k[0] == "postfix_queue_client"}
    for key, n in ((scene.RELAY6_IP, scene.relay6_count(1.0)), (scene.V6_USER[2], 3)):
        if rows.get(key) != n:
            detail.append("client_address=%s: %s messages, want %d" % (key, rows.get(key), n))
    detail += ["tag %r kept Postfix's IPv6: form" % k for k in rows
               if k.lower().startswith("ipv6:")]
    tap(not detail, name + " (%s: %d messages, %s: 3)"
        % (scene.RELAY6_IP, scene.relay6_count(1.0), scene.V6_USER[2]), detail)


def against_influx(tag, influx, out, got, facts):
    db = "pfq_" + tag.replace("-", "_")
    influx.query("CREATE DATABASE " + db)
    status, body = influx.write(db, out)
    tap(status == 204, tag + ": InfluxDB accepts the whole report (204)",
        ["HTTP %d %s" % (status, body[:500])])
    if status != 204:
        return
    back = {}
    for meas in sorted({k[0] for k in got}):
        res = influx.query('SELECT * FROM "%s" GROUP BY *' % meas, db)
        for series in res["results"][0].get("series", []):
            cols = series["columns"]
            for row in series["values"]:
                fields = {c: v for c, v in zip(cols, row) if c != "time" and v is not None}
                back[(meas, tuple(sorted(series.get("tags", {}).items())))] = fields
    d = pm.diff(got, back, ignore_fields=())
    tap(not d, tag + ": every series reads back from InfluxDB unchanged (%d series)"
        % len(got), d)

    def tagvals(meas, key):
        return {k[1][0][1] for k in back if k[0] == meas and k[1] and k[1][0][0] == key}
    senders = tagvals("postfix_queue_sender", "sender")
    sasl = tagvals("postfix_queue_sasl", "sasl_username")
    clients = tagvals("postfix_queue_client", "client_address")
    detail = []
    exact = 0
    for f in facts.values():
        s = f["sender"]
        if pm.sender_key(s) not in senders:
            detail.append("sender %r: %r not in InfluxDB" % (s, pm.sender_key(s)))
        # Unless docs/metrics.md says it changes (null sender, upper-case
        # domain), the tag is the stored sender, byte for byte.
        if s and s[s.rfind(b"@") + 1:] == s[s.rfind(b"@") + 1:].lower():
            exact += 1
            if s.decode("utf-8") not in senders:
                detail.append("sender %r does not read back byte for byte" % s)
        if f["sasl"] and f["sasl"].decode("utf-8") not in sasl:
            detail.append("%r does not read back byte for byte" % f["sasl"])
        # The client as the bare address (docs/metrics.md), as Postfix
        # itself wrote it in client_address.
        if f["client"] and pm.client_key(f["client"]) not in clients:
            detail.append("client %r: %r not in InfluxDB" % (f["client"],
                                                             pm.client_key(f["client"])))
    hostile = [s for s in (f["sender"] for f in facts.values())
               if b'"' in s or b"," in s or b" " in s or b"\\" in s or max(s or b"\0") > 127]
    if len(hostile) < 5:
        detail.append("only %d hostile senders reached the queue" % len(hostile))
    tap(not detail, tag + ": every stored sender, SASL name and client address reads "
        "back from InfluxDB (%d byte for byte, %d hostile)" % (exact, len(hostile)), detail)


def dashboard_queries(tag, influx, out):
    """Every query of the Chronograf dashboard, run on the scene's data as
    Telegraf would have stored it (database telegraf, a host tag), and
    again with the dashboard's :db: variable set to another database."""
    host = "mx-" + tag
    for db in ("telegraf", "pfq_mail"):
        influx.query("CREATE DATABASE " + db)
        status, body = influx.write(db, tf.add_tag(out, "host", host))
        if status != 204:
            tap(False, tag + ": the report with a host tag is accepted", [body[:300]])
            return
        detail, n, m = [], 0, 0
        for name, q in tf.dashboard_queries("dashboards/pfqmon.json", host, db=db):
            res = influx.query(q, db)["results"][0]
            rows = sum(len(s["values"]) for s in res.get("series", []))
            # A single scan has no arrivals (only the watched agent sees
            # them; test_dashboard.py shows those cells with data): their
            # queries must run, and find nothing.
            if "postfix_arrivals" in q:
                m += 1
                if "error" in res or rows != 0:
                    detail.append("%s: %s -> %s" % (name, q, res.get("error", "%d rows" % rows)))
                continue
            n += 1
            if "error" in res or rows == 0:
                detail.append("%s: %s -> %s" % (name, q, res.get("error", "no rows")))
        tap(not detail and n > 0 and m > 0,
            "%s: all %d queue queries of the dashboard return rows from InfluxDB, its "
            "%d arrivals queries run and find none in a single scan (:db: = %s)"
            % (tag, n, m, db), detail)


def frozen(long_ids, influx):
    tag = "real-postfix-%s-ids" % ("long" if long_ids else "short")
    p = harness.Postfix(long_ids=long_ids)
    try:
        p.setup()
        p.start()
        sent = scene.play(p, harness.Injector)
        maildrop = scene.freeze(p)
        now = int(time.time())
        pq = p.postqueue_j()
        ids = [m["queue_id"] for m in pq]
        long_seen = any("z" in i for i in ids)
        tap(long_seen == long_ids and len(pq) == sent + maildrop,
            "%s: %d messages injected, %d queued, %s queue IDs" % (
                tag, sent + maildrop, len(pq), "long" if long_seen else "short"))
        facts = p.postcat_envelopes(ids)
        res = pfqmon(PFQMON, p.spool, now)
        tap(res.returncode == 0, tag + ": pfqmon exits 0", [res.stderr[:300]])
        out = res.stdout
        got = pm.decode(out, LPCHECK)
        tap(True, tag + ": the report is valid line protocol")
        san = pfqmon(PFQMON_SAN, p.spool, now)
        same = san.returncode == 0 and pm.diff(got, pm.decode(san.stdout, LPCHECK)) == []
        tap(same, tag + ": the ASan+UBSan build reports the same", [san.stderr[:500]])
        against_postqueue(tag, pq, facts, got, now)
        against_postcat(tag, pq, facts, got, now)
        scene_is_real(tag, pq, got)
        ipv6_clients(tag, facts, got, p.ipv6)
        against_influx(tag, influx, out, got, facts)
        dashboard_queries(tag, influx, out)
        after = p.postqueue_j()
        tap(sorted(m["queue_id"] for m in after) == sorted(ids),
            tag + ": the queue is unchanged after pfqmon read it")
    except Exception as e:      # a broken harness is a failure, not a crash
        tap(False, tag + ": harness error: %s: %s" % (type(e).__name__, e),
            [p.log_tail()])
    finally:
        p.close()


def main():
    if os.geteuid() != 0:
        tap(False, "real Postfix tests need root (Postfix's setgid tools take -c only from root)")
        return 1
    picked = cases("short_ids", "long_ids")
    if not picked:
        return exit_status()
    influx = harness.Influx()
    try:
        influx.start()
        for name in picked:
            frozen(name == "long_ids", influx)
    except Exception as e:
        tap(False, "influxd: %s" % e)
    finally:
        influx.close()
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
