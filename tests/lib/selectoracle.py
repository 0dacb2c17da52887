"""selectoracle.py - which messages 'pfqmon select' must pick, computed
in Python from Postfix's own view of each message (postcat), by the
rules docs/select.md states; a second implementation to test the C one
against.

A message is a dict: id, queue, sender (bytes, b"" for the null sender),
sasl, client (bytes or None), recipients (pending, bytes), arrival (s).
A filter is the list of command-line arguments given to pfqmon select.
"""

import ipaddress

DEFAULT_QUEUES = ("incoming", "active", "deferred", "hold")


def _lower(b):
    return bytes(c + 32 if 65 <= c <= 90 else c for c in b)


def sender_key(addr):
    if not addr or addr == b"MAILER-DAEMON":
        return b"MAILER-DAEMON"
    at = addr.rfind(b"@")
    return addr if at < 0 else addr[:at + 1] + _lower(addr[at + 1:])


def domain_key(addr):
    if not addr:
        return b"MAILER-DAEMON"
    dom = _lower(addr[addr.rfind(b"@") + 1:])
    dom = b".".join(p for p in dom.split(b".") if p)
    return dom or b"(none)"


def unquote(addr):
    """The stored form of a typed address: "a b"@x -> a b@x."""
    if addr in ("", "<>", "MAILER-DAEMON"):
        return b""
    raw = addr.encode()
    at = raw.rfind(b"@")
    local, rest = (raw[:at], raw[at:]) if at >= 0 else (raw, b"")
    out, i = bytearray(), 0
    while i < len(local):
        c = local[i:i + 1]
        if c == b'"':
            i += 1
            continue
        if c == b"\\" and i + 1 < len(local):
            i += 1
        out += local[i:i + 1]
        i += 1
    return bytes(out) + rest


def _domain_match(value_key, pattern):
    p = pattern.encode()
    if p.startswith(b".") and p != b".":
        k = domain_key(b"@" + p[1:])
        return value_key.endswith(b"." + k)
    if pattern == "MAILER-DAEMON":
        return value_key == b"MAILER-DAEMON"
    return value_key == domain_key(b"@" + p)


def _untag(text):
    """Postfix's RFC 5321 form: "IPv6:" (any case) before IPv6 text only;
    ipaddress would take a zone index, Postfix never stores one."""
    if "%" in text:
        raise ValueError(text)
    if text[:5].lower() == "ipv6:":
        ipaddress.IPv6Address(text[5:])        # IPv6 text only
        return text[5:]
    return text


def _net_match(client, net):
    if client is None:
        return False
    try:
        a = ipaddress.ip_address(_untag(client.decode()))
    except (ValueError, UnicodeDecodeError):
        return False
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped:
        a = a.ipv4_mapped
    net = net.replace("[", "").replace("]", "")
    addr, slash, bits = net.partition("/")
    n = ipaddress.ip_network(_untag(addr) + slash + bits, strict=False)
    if n.version == 6 and n.prefixlen >= 96 and n.network_address.ipv4_mapped:
        n = ipaddress.ip_network("%s/%d" % (n.network_address.ipv4_mapped,
                                            n.prefixlen - 96))
    return a.version == n.version and a in n


def parse(args):
    """pfqmon select arguments -> {kind: [values]}"""
    f, i = {}, 0
    while i < len(args):
        opt = args[i]
        if opt == "--count":
            i += 1
            continue
        f.setdefault(opt.lstrip("-"), []).append(args[i + 1])
        i += 2
    return f


def duration_s(text):
    for unit, mult in (("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)):
        if text.endswith(unit) and text[:-len(unit)].isdigit():
            return int(text[:-len(unit)]) * mult
    raise ValueError(text)


def matches(m, f, now):
    queues = f.get("queue", DEFAULT_QUEUES)
    if m["queue"] not in queues:
        return False
    if "older-than" in f and not now - m["arrival"] > duration_s(f["older-than"][0]):
        return False
    if "client" in f and not any(_net_match(m["client"], n) for n in f["client"]):
        return False
    if "sender" in f and sender_key(m["sender"]) not in [sender_key(unquote(s))
                                                         for s in f["sender"]]:
        return False
    if "sender-domain" in f and not any(_domain_match(domain_key(m["sender"]), d)
                                        for d in f["sender-domain"]):
        return False
    if "sasl-user" in f and (not m["sasl"] or sender_key(m["sasl"]) not in
                             [sender_key(u.encode()) for u in f["sasl-user"]]):
        return False
    if "recipient-domain" in f and not any(
            _domain_match(domain_key(r), d) for r in m["recipients"] for d in f["recipient-domain"]):
        return False
    return True


def select(msgs, args, now):
    """The set of queue IDs pfqmon select ARGS must print."""
    f = parse(args)
    return {m["id"] for m in msgs if matches(m, f, now)}
