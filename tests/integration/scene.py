"""scene.py - the abuse scene the integration tests and the demo play.

A compromised account ("victim") sends hundreds of messages through
SMTP from several client addresses, some with forged senders; a
compromised relay host sends without authenticating, and so does one on
IPv6 (Postfix stores it as IPv6:2001:db8::25; where the kernel has no
IPv6, Postfix cannot take it and the IPv6 clients are left out);
ordinary users send a few messages each, one of them from the same
IPv6 /32, its address not in canonical form; bounces arrive with the
null sender; a handful of hostile but valid senders (quoted local parts
with a space, comma, equals sign and a backslash quoted-pair, an
SMTPUTF8 address, a very long local part) complete it. The queues are
steered with the instance's settings (harness.py): deferred (the relay
host refuses), active (a tarpit that never answers holds 100 messages,
the active limit), incoming (what arrives after that), hold (a HOLD
access rule and postsuper -h) and maildrop (sendmail while Postfix is
stopped). One recipient of some messages is delivered at once
(discard), leaving a done recipient.
"""

import random

VICTIM = "victim@customer.example"
VICTIM_LOGIN = "victim"
VICTIM_IPS = ["198.51.100.%d" % i for i in range(10, 15)]
RELAY_IP = "203.0.113.66"
RELAY6_IP = "2001:db8::25"                  # the client_address tag
RELAY6_XCLIENT = "IPV6:2001:db8::25"        # as an SMTP proxy may send it
V6_USER = ("v6user", "IPv6:2001:DB8:1:0:0:0:0:9", "2001:db8:1::9")


def relay6_count(scale):
    """Messages the IPv6 relay sends at this scale (none without IPv6)."""
    return max(1, int(30 * scale))

HOSTILE_SENDERS = [
    '"odd \\"user\\" x\\\\y"@weird.test',     # backslash quoted-pair
    '"a,b=c d"@weird.test',                   # comma, equals sign, space
    '"space here"@weird.test',
    "j\u00fcrgen@m\u00fcller.test",            # SMTPUTF8
    "\u65e5\u672c\u8a9e@example.jp",
    "x" * 250 + "@long.example",              # a very long local part
    "MixedCase@Example.COM",                  # domain is reported lower-cased
]


def rcpts(rng, n, dest="example"):
    return ["r%d@dest%d.%s" % (rng.randrange(10**6), rng.randrange(30), dest)
            for _ in range(n)]


def play(postfix, inj_cls, scale=1.0, seed=1):
    """Inject the scene into a running instance; leaves it running.
    Returns the number of messages accepted over SMTP."""
    rng = random.Random(seed)
    n = lambda k: max(1, int(k * scale))   # noqa: E731
    sent = 0
    inj = inj_cls(postfix.smtp_port)
    try:
        # Deferred-bound mail first, while the active queue has room.
        for i in range(n(180)):
            inj.xclient(addr=VICTIM_IPS[i % len(VICTIM_IPS)], login=VICTIM_LOGIN)
            sender = VICTIM if i % 4 else "promo%d@spam%d.example" % (i, i % 7)
            to = rcpts(rng, 1 + i % 3)
            if i % 10 == 0:
                to.append("gone%d@discard.test" % i)   # delivered: a D record
            inj.send(sender, to)
            sent += 1
        inj.xclient(addr=RELAY_IP)
        for i in range(n(80)):
            inj.send("news%d@relay%d.example" % (i, i % 5), rcpts(rng, 1))
            sent += 1
        if postfix.ipv6:
            inj.xclient(addr=RELAY6_XCLIENT)
            for i in range(relay6_count(scale)):
                inj.send("bulk%d@relay6.example" % (i % 3), rcpts(rng, 1))
                sent += 1
        for u in range(n(15)):
            inj.xclient(addr="198.51.100.%d" % (100 + u), login="user%d" % u)
            for _ in range(3):
                inj.send("user%d@corp.example" % u, rcpts(rng, 1, "org"))
                sent += 1
        if postfix.ipv6:
            inj.xclient(addr=V6_USER[1], login=V6_USER[0])
            for _ in range(3):
                inj.send("%s@corp.example" % V6_USER[0], rcpts(rng, 1, "org"))
                sent += 1
        inj.xclient(addr="127.0.0.1")
        for i in range(n(10)):
            inj.send("", ["bounce%d@dest.example" % i])
            sent += 1
        for s in HOSTILE_SENDERS:
            inj.send(s, rcpts(rng, 1), utf8=any(ord(c) > 127 for c in s))
            sent += 1
        inj.xclient(addr=VICTIM_IPS[0], login=VICTIM_LOGIN)
        for i in range(n(20)):
            inj.send(VICTIM, ["held%d@hold.test" % i])   # HOLD access rule
            sent += 1
        postfix.wait_settled()

        # Fill the active queue with mail that never leaves it...
        for i in range(100):
            inj.xclient(addr=VICTIM_IPS[i % len(VICTIM_IPS)], login=VICTIM_LOGIN)
            inj.send(VICTIM, ["t%d@tarpit.test" % i])
            sent += 1
        postfix.wait_settled()

        # ...so that the rest stays in incoming.
        for i in range(n(60)):
            inj.xclient(addr=VICTIM_IPS[i % len(VICTIM_IPS)], login=VICTIM_LOGIN)
            inj.send(VICTIM, rcpts(rng, 1))
            sent += 1
        postfix.wait_settled()
    finally:
        inj.close()
    return sent


def freeze(postfix, scale=1.0):
    """Put some deferred mail on hold, stop Postfix, and submit local mail
    that stays in maildrop. Returns the number of maildrop messages."""
    deferred = sorted(m["queue_id"] for m in postfix.postqueue_j()
                      if m["queue_name"] == "deferred")
    postfix.postsuper("-h", deferred[:max(1, int(15 * scale))])
    postfix.stop()
    k = max(1, int(10 * scale))
    for i in range(k):
        postfix.sendmail("www-data@trial.invalid", "r%d@dest.example" % i)
    return k
