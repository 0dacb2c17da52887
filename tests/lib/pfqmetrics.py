"""pfqmetrics - what pfqmon must print, computed from per-message facts.

An independent re-implementation, in Python, of the rules docs/metrics.md
states (sender keys, qshape domains, tag value cleaning, age buckets,
breakdowns), used by the tests to turn an oracle's view of a queue
(postcat dumps, postqueue -j, a real Postfix) into expected metrics, and to
compare them with pfqmon's output as decoded by tests/tools/lpcheck --json.

A message is a dict: queue (str), sender (bytes), arrival (int), size
(int), recipients (list of bytes, pending only), sasl (bytes or None),
client (bytes or None, as stored: log_client_address or client_address).
"""

import ipaddress
import json
import re
import subprocess
import time
import calendar

QUEUES = ["maildrop", "incoming", "active", "deferred", "hold", "corrupt"]
MAIL_QUEUES = QUEUES[:5]
AGE_FIELDS = ["lt_5m", "lt_10m", "lt_20m", "lt_40m", "lt_80m", "lt_160m",
              "lt_320m", "lt_640m", "lt_1280m", "ge_1280m"]
TAGVAL_MAX = 512
OTHER = "(other)"


def clean(raw):
    """Tag value cleaning: controls and invalid UTF-8 become '?', 512-byte
    cap at a character boundary, no trailing backslash."""
    out = bytearray()
    i = 0
    while i < len(raw):
        n = _utf8_len(raw, i)
        if n == 0 or _is_control(raw[i:i + n]):
            if len(out) + 1 > TAGVAL_MAX:
                break
            out += b"?"
            i += n or 1
            continue
        if len(out) + n > TAGVAL_MAX:
            break
        out += raw[i:i + n]
        i += n
    if out.endswith(b"\\"):
        out[-1:] = b"?"
    return out.decode("utf-8")


def _utf8_len(b, i):
    c = b[i]
    if c < 0x80:
        return 1
    if c < 0xC2:
        return 0
    lo, hi = 0x80, 0xBF
    if c < 0xE0:
        n = 2
    elif c < 0xF0:
        n = 3
        lo, hi = {0xE0: (0xA0, 0xBF), 0xED: (0x80, 0x9F)}.get(c, (lo, hi))
    elif c < 0xF5:
        n = 4
        lo, hi = {0xF0: (0x90, 0xBF), 0xF4: (0x80, 0x8F)}.get(c, (lo, hi))
    else:
        return 0
    if len(b) - i < n or not lo <= b[i + 1] <= hi:
        return 0
    if any(not 0x80 <= x <= 0xBF for x in b[i + 2:i + n]):
        return 0
    return n


def _is_control(seq):
    if len(seq) == 1:
        return seq[0] < 0x20 or seq[0] == 0x7F
    return len(seq) == 2 and seq[0] == 0xC2 and seq[1] < 0xA0


def sender_key(sender):
    """MAILER-DAEMON for <>; domain (after the last '@') ASCII lower-cased."""
    if sender == b"":
        return clean(b"MAILER-DAEMON")
    at = sender.rfind(b"@")
    if at < 0:
        return clean(sender)
    return clean(sender[:at + 1] + sender[at + 1:].lower())


def client_key(raw):
    """The client_address tag: the bare address as inet_ntop(3) prints it
    (RFC 5952), an IPv4-mapped one as IPv4; Postfix's "IPv6:" tag, in any
    case, goes. A value that is not an address is kept (and cleaned)."""
    text, tagged = raw, raw[:5].lower() == b"ipv6:"
    if tagged:
        text = raw[5:]
    try:
        s = text.decode("ascii")
        if not re.fullmatch(r"[0-9A-Fa-f:.]+", s):
            raise ValueError(s)     # ipaddress takes zone indexes; Postfix does not
        a = (ipaddress.IPv6Address(s) if tagged or ":" in s
             else ipaddress.IPv4Address(s))
    except ValueError:
        return clean(raw)
    if a.version == 6 and a.ipv4_mapped:
        return str(a.ipv4_mapped)
    if a.version == 6 and a.packed[:12] == bytes(12) and a.packed[12:14] != b"\0\0":
        return "::%d.%d.%d.%d" % tuple(a.packed[12:])   # glibc's ::a.b.c.d
    return str(a)


def domain_key(addr):
    """qshape: after the last '@', lower-cased, dot runs collapsed, one
    leading and trailing dot removed; MAILER-DAEMON for <>, (none) if empty."""
    if addr == b"":
        return clean(b"MAILER-DAEMON")
    d = addr[addr.rfind(b"@") + 1:].lower()
    d = re.sub(rb"\.+", b".", d).strip(b".")
    return clean(d) if d else "(none)"


def age_bucket(age):
    limit, b = 300, 0
    while b < 9 and age >= limit:
        b += 1
        limit *= 2
    return b


class Stats:
    def __init__(self):
        self.length = self.size = self.recipients = 0
        self.oldest = None
        self.per_queue = {q: 0 for q in MAIL_QUEUES}

    def count(self, m, rcpts):
        self.length += 1
        self.size += m["size"]
        self.recipients += rcpts
        if self.oldest is None or m["arrival"] < self.oldest:
            self.oldest = m["arrival"]
        if m["queue"] in self.per_queue:
            self.per_queue[m["queue"]] += 1

    def fields(self, now, per_queue=False):
        age = 0 if self.oldest is None else max(0, now - self.oldest)
        f = {"length": self.length, "size": self.size, "age": age,
             "recipients": self.recipients}
        if per_queue:
            f.update(self.per_queue)
        return f


def expected(messages, now, scan=None, top=0):
    """The metrics pfqmon must print for these messages, as a dict
    {(measurement, ((tag, value),)): {field: int}}."""
    out = {}
    queues = {q: Stats() for q in QUEUES}
    ages = {q: [0] * 10 for q in QUEUES}
    total = Stats()
    dims = {"postfix_queue_sender": ("sender", {}),
            "postfix_queue_sasl": ("sasl_username", {}),
            "postfix_queue_client": ("client_address", {}),
            "postfix_queue_sender_domain": ("domain", {}),
            "postfix_queue_recipient_domain": ("domain", {})}

    def row(meas, key):
        return dims[meas][1].setdefault(key, Stats())

    for m in messages:
        rc = len(m["recipients"])
        queues[m["queue"]].count(m, rc)
        ages[m["queue"]][age_bucket(max(0, now - m["arrival"]))] += 1
        if m["queue"] == "corrupt":
            continue
        total.count(m, rc)
        row("postfix_queue_sender", sender_key(m["sender"])).count(m, rc)
        row("postfix_queue_sender_domain", domain_key(m["sender"])).count(m, rc)
        if m.get("sasl"):
            row("postfix_queue_sasl", clean(m["sasl"])).count(m, rc)
        if m.get("client"):
            row("postfix_queue_client", client_key(m["client"])).count(m, rc)
        per_domain = {}
        for r in m["recipients"]:
            k = domain_key(r)
            per_domain[k] = per_domain.get(k, 0) + 1
        for k, n in per_domain.items():
            row("postfix_queue_recipient_domain", k).count(m, n)

    for q in QUEUES:
        out[("postfix_queue", (("queue", q),))] = queues[q].fields(now)
        f = {"length": queues[q].length}
        f.update(zip(AGE_FIELDS, ages[q]))
        out[("postfix_queue_age", (("queue", q),))] = f
    out[("postfix_queue_total", ())] = total.fields(now)
    for meas, (tag, rows) in dims.items():
        ranked = sorted(rows.items(),
                        key=lambda kv: (-kv[1].length, kv[0].encode()))
        keep = ranked if top == 0 else ranked[:top]
        for key, st in keep:
            out[(meas, ((tag, key),))] = st.fields(now, per_queue=True)
        rest = ranked[len(keep):]
        if rest:
            o = Stats()
            for _, st in rest:
                o.length += st.length
                o.size += st.size
                o.recipients += st.recipients
                if st.oldest is not None and (o.oldest is None or st.oldest < o.oldest):
                    o.oldest = st.oldest
                for q in MAIL_QUEUES:
                    o.per_queue[q] += st.per_queue[q]
            out[(meas, ((tag, OTHER),))] = o.fields(now, per_queue=True)
    if scan is not None:
        out[("postfix_queue_scan", (("source", "spool"),))] = dict(scan)
    return out


def decode(lp_text, lpcheck):
    """pfqmon output -> the same dict shape, via lpcheck --json (which
    also proves every line valid). Raises on invalid output."""
    res = subprocess.run([lpcheck, "--json"], input=lp_text,
                         capture_output=True)
    if res.returncode != 0:
        raise ValueError(res.stderr.decode("utf-8", "replace").strip())
    got = {}
    for line in res.stdout.decode("utf-8").splitlines():
        d = json.loads(line)
        key = (d["m"], tuple(sorted(d["tags"].items())))
        if key in got:
            raise ValueError("duplicate series %r" % (key,))
        got[key] = d["fields"]
    return got


def diff(exp, got, ignore_fields=("duration_us",), only=None):
    """Differences as readable lines; empty when equal."""
    lines = []
    keys = set(exp) | set(got)
    if only:
        keys = {k for k in keys if k[0] in only}
    for k in sorted(keys, key=repr):
        e, g = exp.get(k), got.get(k)
        if e is None or g is None:
            lines.append("%s: expected %s, got %s" % (k, e, g))
            continue
        for f in sorted(set(e) | set(g)):
            if f in ignore_fields:
                continue
            if e.get(f) != g.get(f):
                lines.append("%s %s: expected %s, got %s" % (k, f, e.get(f), g.get(f)))
    return lines


_REC = re.compile(r"^\s*(\d+) ([a-z_]+): (.*)$")


def postcat_messages(path, queue_of=None):
    """Per-message facts from a 'postcat -v -o' dump with '### name'
    section headers (as in the Postfix sample set). queue_of maps a
    section name to its queue; by default the path's first component."""
    msgs = {}
    cur = None
    seg = "env"
    with open(path, "rb") as f:
        for raw in f:
            line = raw.rstrip(b"\n")
            if line.startswith(b"### "):
                name = line[4:].decode()
                cur = {"name": name, "sender": None, "arrival": None,
                       "size": None, "recipients": [], "sasl": None,
                       "client": None, "log_client": None}
                msgs[name] = cur
                seg = "env"
                continue
            if cur is None:
                continue
            if b"*** MESSAGE CONTENTS" in line:
                seg = "content"
            elif b"*** HEADER EXTRACTED" in line:
                seg = "extract"
            m = _REC.match(line.decode("utf-8", "surrogateescape"))
            if not m or seg == "content":
                continue
            name, payload = m.group(2), m.group(3).encode("utf-8", "surrogateescape")
            if name == "sender" and cur["sender"] is None:
                cur["sender"] = payload
            elif name == "message_arrival_time" and cur["arrival"] is None:
                cur["arrival"] = calendar.timegm(time.strptime(
                    payload.decode(), "%a %b %d %H:%M:%S %Y"))
            elif name == "message_size" and cur["size"] is None:
                cur["size"] = int(payload.split()[0])
            elif name == "recipient":
                cur["recipients"].append(payload)
            elif name == "named_attribute" and seg == "env":
                k, _, v = payload.partition(b"=")
                for attr, slot in ((b"sasl_username", "sasl"),
                                   (b"client_address", "client"),
                                   (b"log_client_address", "log_client")):
                    if k == attr and v and cur[slot] is None:
                        cur[slot] = v
    out = []
    for name, c in msgs.items():
        if c["sender"] is None:
            continue            # empty section (defer logs)
        out.append({"name": name,
                    "queue": queue_of(name) if queue_of else name.split("/")[0],
                    "sender": c["sender"], "arrival": c["arrival"],
                    "size": c["size"], "recipients": c["recipients"],
                    "sasl": c["sasl"], "client": c["log_client"] or c["client"]})
    return out
