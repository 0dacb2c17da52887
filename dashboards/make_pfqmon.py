#!/usr/bin/python3
"""make_pfqmon.py - write dashboards/pfqmon.json, the Chronograf dashboard.

The dashboard is a Chronograf 1.7 export: {"meta": ..., "dashboard": ...}
with every cell carrying the keys Chronograf 1.7 stores (axes, colors,
legend, tableOptions, fieldOptions for every column, timeFormat,
decimalPlaces, note). Its thirty-odd queries repeat a few shapes, so they
are written here once; edit this file, run it, and commit both:

    python3 dashboards/make_pfqmon.py          (--print: to stdout instead)

make check (tests/tick/check.py) fails when pfqmon.json is not what this
script writes.

What Chronograf 1.7 does with a table cell (see the README and
tests/integration/test_dashboard.py, which checks it in the real UI):
columns are named by tag key and "measurement.alias"; fieldOptions gives
their order, header text and visibility; tableOptions.sortBy names the
column rows are sorted by, always ascending. So each breakdown table
sorts on a hidden "rank" column: minus the message count, and +1 for the
(other) row, which therefore comes last.
"""

import json
import os
import sys

VERSION = "1.7.0"           # the Chronograf this file was exported from and tested with
RECENT = "3m"               # a breakdown row shows a key reported this recently
ALERT_AT = 200              # tick/postfix_queue.vars.json's threshold
WARN_AT = 150               # and its warn_threshold

SRC = ':db:.:rp:."%s"'
HOST = '"host" = :host:'
RANGE = "time > :dashboardTime: AND time < :upperDashboardTime:"
LATEST = "time > :upperDashboardTime: - %s AND time < :upperDashboardTime:" % RECENT

_ids = iter(range(1, 1000))


def uid():
    return "70f9a%03x-0000-4000-8000-%012x" % (next(_ids), 0x16)


def axis(label="", bounds=("", ""), base="10", suffix=""):
    return {"bounds": list(bounds), "label": label, "prefix": "", "suffix": suffix,
            "base": base, "scale": "linear"}


def query(text):
    return {
        "query": text,
        "queryConfig": {
            "id": uid(), "database": "", "measurement": "", "retentionPolicy": "",
            "fields": [], "tags": {}, "groupBy": {"time": "", "tags": []},
            "areTagsAccepted": False, "rawText": text, "range": None, "shifts": None,
        },
        "source": "",
        "type": "influxql",
    }


def field(internal, display="", visible=True):
    return {"internalName": internal, "displayName": display, "visible": visible}


SCALE = [
    {"id": "a", "type": "scale", "hex": "#31C0F6", "name": "Nineteen Eighty Four", "value": "0"},
    {"id": "b", "type": "scale", "hex": "#A500A5", "name": "Nineteen Eighty Four", "value": "0"},
    {"id": "c", "type": "scale", "hex": "#FF7E27", "name": "Nineteen Eighty Four", "value": "0"},
]
# The whole-queue graph: its first series (by name, "alert at 200") is the
# alert line, in the single-stat's alert colour; the second the queue.
ALERT_LINE = [
    {"id": "a", "type": "scale", "hex": "#DC4E58", "name": "pfqmon alert line", "value": "0"},
    {"id": "b", "type": "scale", "hex": "#31C0F6", "name": "pfqmon alert line", "value": "0"},
    {"id": "c", "type": "scale", "hex": "#FF7E27", "name": "pfqmon alert line", "value": "0"},
]
TABLE_TEXT = [{"id": "base", "type": "text", "hex": "#ffffff", "name": "white",
               "value": "-1000000000000000000"}]

NO_DATA = ("No pfqmon data for this host in the time range. If every cell says so, "
           "open **Variables** (top right) and pick the database pfqmon writes to in "
           "**:db:** (and its retention policy in **:rp:**; empty: the database's default).")


def cell(name, kind, x, y, w, h, queries, **kw):
    c = {
        "i": uid(), "x": x, "y": y, "w": w, "h": h, "name": name,
        "queries": [query(q) for q in queries],
        "axes": {"x": axis(), "y": kw.get("yaxis", axis()), "y2": axis()},
        "type": kind,
        "colors": kw.get("colors", SCALE),
        "legend": {},
        "tableOptions": {
            "verticalTimeAxis": True,
            "sortBy": kw.get("sort", field("time")),
            "wrapping": "truncate",
            "fixFirstColumn": True,
        },
        "fieldOptions": kw.get("fields", [field("time")]),
        "timeFormat": "YYYY-MM-DD HH:mm:ss",
        "decimalPlaces": kw.get("decimals", {"isEnforced": False, "digits": 2}),
        "note": kw.get("note", NO_DATA),
        "noteVisibility": "showWhenNoData",
    }
    return c


# -- the breakdown tables: the latest scan, largest first -------------------

# (alias, field expression, header); the columns after the name, in order.
ROW_COLUMNS = [
    ("messages", 'last("length")', "messages"),
    # Float literals: InfluxDB 1.6 types integer / integer in a subquery
    # as an integer, and the outer query would read 0.8 minutes as 0.
    ("oldest_min", 'round(last("age") / 6.0) / 10.0', "oldest (min)"),
    ("recipients", 'last("recipients")', "recipients"),
    ("deferred", 'last("deferred")', "deferred"),
    ("active", 'last("active")', "active"),
    ("hold", 'last("hold")', "hold"),
    ("incoming", 'last("incoming")', "incoming"),
    ("maildrop", 'last("maildrop")', "maildrop"),
]


def latest_rows(meas, tag, columns):
    """Each key's latest point in the last RECENT, keys whose latest count
    is 0 (gone from the queue) left out; a hidden rank puts the largest
    first and (other) last."""
    sel = ", ".join('%s AS "%s"' % (expr, alias) for alias, expr, _ in columns)

    def part(cmp, rank):
        return ('SELECT %s, %s AS "rank" FROM %s WHERE %s AND "%s" %s \'(other)\' AND %s '
                'GROUP BY "%s"' % (sel, rank, SRC % meas, HOST, tag, cmp, LATEST, tag))
    outer = ", ".join('"%s"' % alias for alias, _, _ in columns)
    return ('SELECT %s, "rank" FROM (%s), (%s) WHERE "messages" > 0 GROUP BY "%s"'
            % (outer, part("!=", '0 - last("length")'),
               part("=", 'last("length") * 0 + 1'), tag))


def who_table(name, meas, tag, header, x, y, w, h, columns, what):
    fields = ([field(tag, header)]
              + [field("%s.%s" % (meas, alias), head) for alias, _, head in columns]
              + [field("time", "", False), field("%s.rank" % meas, "rank", False)])
    note = ("Each %s's messages at the latest scan (reported in the last %s), "
            "largest first, (other) last. Nothing is listed when no %s has mail "
            "queued. If every cell is empty, open **Variables** (top right) and pick "
            "the database pfqmon writes to in **:db:**." % (what, RECENT, what))
    return cell(name, "table", x, y, w, h, [latest_rows(meas, tag, columns)],
                colors=TABLE_TEXT, fields=fields,
                sort=field("%s.rank" % meas, "rank", False), note=note)


def arriving_rows(meas, tag):
    """Each key's arrivals in the last RECENT, in messages a minute, the
    largest first and (other) last (the hidden rank, as latest_rows)."""
    minutes = int(RECENT.rstrip("m"))

    def part(cmp, rank):
        return ('SELECT sum("messages") / %d AS "per_minute", %s AS "rank" FROM %s '
                'WHERE %s AND "%s" %s \'(other)\' AND %s GROUP BY "%s"'
                % (minutes, rank, SRC % meas, HOST, tag, cmp, LATEST, tag))
    return ('SELECT "per_minute", "rank" FROM (%s), (%s) WHERE "per_minute" > 0 '
            'GROUP BY "%s"' % (part("!=", '0 - sum("messages")'),
                               part("=", 'sum("messages") * 0 + 1'), tag))


# -- the cells --------------------------------------------------------------

def cells():
    out = []
    total = SRC % "postfix_queue_total"
    out.append(cell(
        "Messages queued", "single-stat", 0, 0, 2, 3,
        ['SELECT last("length") AS "messages" FROM %s WHERE %s AND %s' % (total, HOST, RANGE)],
        colors=[
            {"id": "base", "type": "text", "hex": "#7CE490", "name": "honeydew",
             "value": "-1000000000000000000"},
            {"id": "w", "type": "text", "hex": "#FFB94A", "name": "pineapple",
             "value": str(WARN_AT)},
            {"id": "c", "type": "text", "hex": "#DC4E58", "name": "fire",
             "value": str(ALERT_AT)},
        ],
        decimals={"isEnforced": True, "digits": 0}))
    out.append(cell(
        "Whole queue (alert at %d)" % ALERT_AT, "line", 2, 0, 5, 3,
        ['SELECT max("length") AS "messages" FROM %s WHERE %s AND %s '
         'GROUP BY time(:interval:) FILL(null)' % (total, HOST, RANGE),
         'SELECT max("length") * 0 + %d AS "alert at %d" FROM %s WHERE %s AND %s '
         'GROUP BY time(:interval:) FILL(null)' % (ALERT_AT, ALERT_AT, total, HOST, RANGE)],
        colors=ALERT_LINE, yaxis=axis("messages", ("0", ""))))
    out.append(cell(
        "Messages per queue", "line-stacked", 7, 0, 5, 3,
        ['SELECT max("length") AS "messages" FROM %s WHERE %s AND "queue" != \'corrupt\' '
         'AND %s GROUP BY time(:interval:), "queue" FILL(null)'
         % (SRC % "postfix_queue", HOST, RANGE)],
        yaxis=axis("messages", ("0", ""))))

    out.append(who_table("SASL users (compromised accounts)", "postfix_queue_sasl",
                         "sasl_username", "SASL user", 0, 3, 4, 4, ROW_COLUMNS, "SASL user"))
    out.append(who_table("Client addresses (relays)", "postfix_queue_client",
                         "client_address", "client address", 4, 3, 4, 4, ROW_COLUMNS,
                         "client address"))
    out.append(who_table("Senders", "postfix_queue_sender", "sender", "sender",
                         8, 3, 4, 4, ROW_COLUMNS, "sender"))

    out.append(cell(
        "Oldest message per queue", "line", 0, 7, 4, 3,
        ['SELECT max("age") / 60 AS "oldest (min)" FROM %s WHERE %s AND "queue" != \'corrupt\' '
         'AND %s GROUP BY time(:interval:), "queue" FILL(null)'
         % (SRC % "postfix_queue", HOST, RANGE)],
        yaxis=axis("minutes since arrival", ("0", ""), base="")))
    out.append(who_table("Sender domains", "postfix_queue_sender_domain", "domain",
                         "sender domain", 4, 7, 4, 3, ROW_COLUMNS, "sender domain"))
    out.append(who_table("Recipient domains", "postfix_queue_recipient_domain", "domain",
                         "recipient domain", 8, 7, 4, 3, ROW_COLUMNS, "recipient domain"))

    buckets = [("lt_5m", "< 5 min"), ("lt_10m", "5-10"), ("lt_20m", "10-20"),
               ("lt_40m", "20-40"), ("lt_80m", "40-80"), ("lt_160m", "80-160"),
               ("lt_320m", "160-320"), ("lt_640m", "320-640"), ("lt_1280m", "640-1280"),
               ("ge_1280m", "1280+ min")]
    age = SRC % "postfix_queue_age"
    sel = ", ".join('last("%s") AS "%s"' % (f, f) for f, _ in buckets)
    out.append(cell(
        "Message age per queue, as qshape shows it (minutes)", "table", 0, 10, 12, 3,
        ['SELECT last("length") AS "messages", %s, 0 - last("length") AS "rank" FROM %s '
         'WHERE %s AND "queue" != \'corrupt\' AND %s GROUP BY "queue"' % (sel, age, HOST, LATEST)],
        colors=TABLE_TEXT,
        fields=([field("queue", "queue"), field("postfix_queue_age.messages", "messages")]
                + [field("postfix_queue_age.%s" % f, h) for f, h in buckets]
                + [field("time", "", False), field("postfix_queue_age.rank", "rank", False)]),
        sort=field("postfix_queue_age.rank", "rank", False),
        note=("Messages per queue by age at the latest scan, in qshape's buckets "
              "(minutes since arrival), the largest queue first. " + NO_DATA)))

    scan = SRC % "postfix_queue_scan"
    out.append(cell(
        "pfqmon: scan time", "line", 0, 13, 6, 3,
        ['SELECT max("duration_us") / 1000 AS "scan" FROM %s WHERE %s AND %s '
         'GROUP BY time(:interval:) FILL(null)' % (scan, HOST, RANGE)],
        yaxis=axis("milliseconds", ("0", ""), base="")))
    out.append(cell(
        "pfqmon: files per scan", "line", 6, 13, 6, 3,
        ['SELECT max("parsed") AS "parsed", max("unparseable") AS "unparseable", '
         'max("errors") AS "errors", max("skipped") AS "skipped", max("vanished") AS "vanished" '
         'FROM %s WHERE %s AND %s GROUP BY time(:interval:) FILL(null)' % (scan, HOST, RANGE)],
        yaxis=axis("files per scan", ("0", ""), base="")))
    # Who is sending right now: arrivals (the watched agent only).
    out.append(cell(
        "Arriving now: SASL users (messages a minute)", "table", 0, 16, 6, 4,
        [arriving_rows("postfix_arrivals_sasl", "sasl_username")],
        colors=TABLE_TEXT,
        fields=[field("sasl_username", "SASL user"),
                field("postfix_arrivals_sasl.per_minute", "a minute"),
                field("time", "", False), field("postfix_arrivals_sasl.rank", "rank", False)],
        sort=field("postfix_arrivals_sasl.rank", "rank", False),
        decimals={"isEnforced": True, "digits": 0},
        note=("Messages each SASL user sent in the last %s, a minute, the largest first, "
              "(other) last: who is sending now, even when the mail leaves at once and "
              "the queue stays short. Only pfqmon --interval or --execd (Telegraf's "
              "inputs.execd) reports arrivals; nothing is listed when no SASL user sent "
              "mail. " % RECENT) + NO_DATA))
    out.append(cell(
        "Arrivals (messages a minute)", "line", 6, 16, 6, 4,
        ['SELECT sum("messages") AS "arrived" FROM %s WHERE %s AND %s '
         'GROUP BY time(1m) FILL(0)' % (SRC % "postfix_arrivals", HOST, RANGE),
         'SELECT sum("vanished") AS "gone before read" FROM %s WHERE %s AND %s '
         'GROUP BY time(1m) FILL(0)' % (SRC % "postfix_arrivals", HOST, RANGE)],
        yaxis=axis("messages a minute", ("0", ""), base="")))
    return out


def templates():
    return [
        {
            "tempVar": ":db:",
            "values": [{"value": "telegraf", "type": "database", "selected": True}],
            "id": uid(),
            "type": "databases",
            "label": "the InfluxDB database pfqmon writes to (Telegraf's: telegraf)",
            "query": {"influxql": "SHOW DATABASES", "db": "", "measurement": "",
                      "tagKey": "", "fieldKey": ""},
        },
        {
            "tempVar": ":rp:",
            "values": [{"value": "autogen", "type": "constant", "selected": True}],
            "id": uid(),
            "type": "text",
            "label": "its retention policy (empty: the database's default)",
        },
        {
            "tempVar": ":host:",
            "values": [],
            "id": uid(),
            "type": "tagValues",
            "label": "the mail server",
            "query": {"influxql": "SHOW TAG VALUES ON :db: FROM :measurement: WITH KEY=:tagKey:",
                      "db": "telegraf", "measurement": "postfix_queue_total",
                      "tagKey": "host", "fieldKey": ""},
        },
    ]


def dashboard():
    return {
        "meta": {"chronografVersion": VERSION, "sources": {}},
        "dashboard": {
            "id": 0,
            "cells": cells(),
            "templates": templates(),
            "name": "Postfix queue (pfqmon)",
            "organization": "default",
        },
    }


def text():
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--print"]:         # what tests/tick/check.py compares
        sys.stdout.write(text())
        sys.exit(0)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pfqmon.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text())
