#!/usr/bin/python3
"""golden.py - compare pfqmon with Postfix's own view of the sample files.

  golden.py records QFDUMP
      diff pfqmon's decoded record stream (tests/tools/qfdump) with
      'postcat -v -o' for every sample file: one TAP line per file.

  golden.py metrics LPCHECK OUTPUT NOW NAME [--exclude SECTION]...
                    [--scan k=v,...] [--top N]
      compare pfqmon's OUTPUT (a file) with the metrics computed from the
      postcat dumps (tests/lib/pfqmetrics.py): one TAP line per
      measurement, named NAME.

  golden.py postqueue LPCHECK OUTPUT NOW NAME
      compare per-queue and per-sender counts with postqueue -j, for a
      spool without the two files the listing does not know about.

  golden.py select PFQMON SPOOL NOW NAME
      run pfqmon select with a set of filters on the restored sample
      spool and compare the queue IDs with those the postcat dumps give
      by the same rules (tests/lib/selectoracle.py).

metrics, postqueue and select take --set NAME for another sample set
than the first (SETS); records reads them all.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from taplib import tap  # noqa: E402
from fixtures import AS_ROOT  # noqa: E402
import pfqmetrics as pm  # noqa: E402
import selectoracle  # noqa: E402

FIX = "tests/fixtures/postfix-3.7"
# Each sample set: its directory and its postcat dumps. "main" is the
# first (queue and maildrop files); "sasl-ties" has SASL logins and ties
# at every top-N cut (made by tests/tools/capture-sasl-ties.py).
SETS = {"main": (FIX, ["postcat-all.txt", "postcat-maildrop.txt"]),
        "sasl-ties": (FIX + "/sasl-ties", ["postcat-all.txt"])}


def take_set(args):
    """args without "--set NAME", and the set's (directory, dump paths)."""
    name = "main"
    if "--set" in args:
        i = args.index("--set")
        name = args[i + 1]
        args = args[:i] + args[i + 2:]
    base, dumps = SETS[name]
    return args, base, [base + "/" + d for d in dumps]


def sections(path):
    out, cur = {}, None
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"### "):
                cur = line[4:].strip().decode()
                out[cur] = []
            elif cur is not None:
                out[cur].append(line)
    return out


def records(qfdump):
    for set_name, (base, dumps) in SETS.items():
        for dump in dumps:
            records_of(qfdump, base, base + "/" + dump,
                       "" if set_name == "main" else set_name + "/")


def records_of(qfdump, base, dump, label):
    for name, lines in sections(dump).items():
        if not lines:
            continue            # defer logfiles: text, not queue files
        if name.startswith("maildrop-"):
            cmd = [qfdump, "--maildrop", name, base + "/" + name]
        else:
            cmd = [qfdump, "QUEUE_DIR/" + name, base + "/spool/" + name]
        got = subprocess.run(cmd, capture_output=True).stdout
        exp = b"".join(lines)
        detail = []
        if got != exp:
            g, e = got.splitlines(), exp.splitlines()
            for i in range(max(len(g), len(e))):
                a = e[i] if i < len(e) else b"<missing>"
                b = g[i] if i < len(g) else b"<missing>"
                if a != b:
                    detail = ["line %d: postcat %r" % (i + 1, a[:120]),
                              "line %d: pfqmon  %r" % (i + 1, b[:120])]
                    break
        tap(got == exp, "golden: record stream of %s%s equals postcat -v -o"
            % (label, name), detail)


def sample_messages(exclude=(), base=FIX, dumps=None):
    msgs = []
    for dump in dumps or [base + "/" + d for d in SETS["main"][1]]:
        for m in pm.postcat_messages(dump):
            if m["name"] in exclude:
                continue
            if m["name"].startswith("maildrop-"):
                m["queue"] = "maildrop"
                # postdrop files have no size record: the file size counts
                m["size"] = os.path.getsize(base + "/" + m["name"])
            msgs.append(m)
    return msgs


def load_output(lpcheck, path):
    with open(path, "rb") as f:
        return pm.decode(f.read(), lpcheck)


def metrics(args):
    args, base, dumps = take_set(args)
    lpcheck, output, now, name = args[:4]
    now = int(now)
    exclude, scan, top = [], None, 0
    rest = args[4:]
    while rest:
        opt, val = rest[0], rest[1]
        rest = rest[2:]
        if opt == "--exclude":
            exclude.append(val)
        elif opt == "--scan":
            scan = {k: int(v) for k, v in (kv.split("=") for kv in val.split(","))}
        elif opt == "--top":
            top = int(val)
    msgs = sample_messages(exclude, base, dumps)
    try:
        got = load_output(lpcheck, output)
    except Exception as e:      # invalid line protocol is a failure
        tap(False, "%s: output is valid line protocol" % name, [str(e)])
        return
    tap(True, "%s: output is valid line protocol" % name)
    exp = pm.expected(msgs, now, top=top)
    if scan is not None:
        # Not pushing, one scan: the push counters and cached are all 0.
        push = {k: 0 for k in ("push_sent", "push_retried", "push_rejected",
                               "push_dropped", "push_buffer_bytes", "cached")}
        exp[("postfix_queue_scan", (("source", "spool"),))] = dict(
            push, duration_us=0, **scan)
    for meas in sorted({k[0] for k in exp} | {k[0] for k in got}):
        d = pm.diff(exp, got, only={meas})
        tap(not d, "%s: %s matches the postcat oracle" % (name, meas), d)


def postqueue(args):
    args, base, _ = take_set(args)
    lpcheck, output, now, name = args
    now = int(now)
    got = load_output(lpcheck, output)
    listed = [json.loads(l) for l in open(base + "/postqueue-j.txt")]
    queues, senders = {}, {}
    for m in listed:
        for table, key in ((queues, m["queue_name"]), (senders, m["sender"])):
            s = table.setdefault(key, {"length": 0, "recipients": 0, "size": 0,
                                       "oldest": None})
            s["length"] += 1
            s["recipients"] += len(m["recipients"])
            s["size"] += m["message_size"]
            if s["oldest"] is None or m["arrival_time"] < s["oldest"]:
                s["oldest"] = m["arrival_time"]
    detail = []
    for table, meas, tag in ((queues, "postfix_queue", "queue"),
                             (senders, "postfix_queue_sender", "sender")):
        for key, s in table.items():
            g = got.get((meas, ((tag, key),)))
            want = {"length": s["length"], "recipients": s["recipients"],
                    "size": s["size"], "age": now - s["oldest"]}
            if g is None or any(g[f] != v for f, v in want.items()):
                detail.append("%s %s: postqueue %s, pfqmon %s" % (meas, key, want, g))
        rows = [k for k in got if k[0] == meas and got[k]["length"] > 0]
        if len(rows) != len(table):
            detail.append("%s: postqueue has %d non-empty rows, pfqmon %d"
                          % (meas, len(table), len(rows)))
    tap(not detail, "%s: per-queue and per-sender counts equal postqueue -j" % name,
        detail)


# Each case: arguments for pfqmon select. The sample has 9 messages: 6
# deferred, 1 on hold, 2 in maildrop; SMTP ones from 127.0.0.1.
SELECT_CASES = [
    ["--sender", "root@test.example"],
    ["--sender", "root@TEST.Example"],           # the domain ignores case
    ["--sender", "ROOT@test.example"],           # the local part does not
    ["--sender", "<>"],
    ["--sender", "root@test.example", "--queue", "maildrop"],
    ["--sender", "root@test.example", "--sender", "ext@remote.example"],
    ["--sender-domain", "remote.example"],
    ["--sender-domain", ".example"],
    ["--sender-domain", "example"],
    ["--recipient-domain", "DEST.example"],
    ["--recipient-domain", "dest.example", "--queue", "maildrop", "--queue", "hold"],
    ["--client", "127.0.0.1"],
    ["--client", "127.0.0.0/8", "--queue", "hold"],
    ["--client", "10.0.0.0/8"],
    ["--client", "::ffff:127.0.0.1"],
    ["--queue", "maildrop"],
    ["--queue", "deferred", "--older-than", "3060s"],
    ["--older-than", "51m"],
    ["--sasl-user", "nobody"],
]


# The SASL logins and their clients (sasl-ties): the login is matched
# exactly, the client as an address or a prefix.
SELECT_CASES_SASL = [
    ["--sasl-user", "alice"],
    ["--sasl-user", "bob", "--sasl-user", "carol"],
    ["--sasl-user", "Alice"],
    ["--sasl-user", "ali"],
    ["--client", "198.51.100.10"],
    ["--client", "198.51.100.1"],
    ["--client", "203.0.113.0/24"],
    ["--client", "203.0.113.5"],
    ["--sasl-user", "bob", "--client", "198.51.100.10"],
    ["--sender-domain", "mid.example", "--sasl-user", "dave"],
]


def select(args):
    args, base, dumps = take_set(args)
    pfqmon, spool, now, name = args
    msgs = []
    for m in sample_messages((), base, dumps):
        m["id"] = os.path.basename(m["name"]).replace("maildrop-", "")
        msgs.append(m)
    for case in SELECT_CASES if base == FIX else SELECT_CASES_SASL:
        want = selectoracle.select(msgs, case, int(now))
        cmd = [pfqmon, "select", *AS_ROOT, "--queue-dir", spool, "--now", now] + case
        res = subprocess.run(cmd, capture_output=True)
        got = res.stdout.decode().split()
        count = subprocess.run(cmd + ["--count"], capture_output=True)
        tap(res.returncode == 0 and sorted(got) == sorted(want)
            and len(got) == len(set(got)) and not res.stderr
            and count.stdout.decode().strip() == str(len(want)),
            "%s: select %s picks exactly the oracle's %d messages"
            % (name, " ".join(case), len(want)),
            ["want %s" % sorted(want), "got  %s" % got,
             "--count %r" % count.stdout.decode().strip(),
             res.stderr.decode(errors="replace")[:300]])


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"records": lambda a: records(*a), "metrics": metrics,
     "postqueue": postqueue, "select": select}[cmd](args)
