#!/usr/bin/python3
"""test_select.py - pfqmon select picks exactly the culprit's mail, and
postsuper acts on exactly that; pfqmon top names the culprit.

A real Postfix plays the abuse scene (scaled down) and keeps running,
plus mail that a careless selection would catch: messages *to* the
victim, a login whose name starts like the victim's, the victim's
address forged by the relay host without a login. Postfix is the
oracle throughout: postqueue -j says which messages are in which queue,
postcat -e what each one's envelope holds, and tests/lib/selectoracle.py
applies the documented rules to those facts independently of the C code.

- Without acting: senders (quoted, mixed-case, UTF-8, null), domains and
  recipient domains select exactly the oracle's messages, from the queue
  files, from showq and from postqueue -j.
- The IPv6 relay (stored as IPv6:2001:db8::25) by address, tagged form
  and /32, and the families apart: exactly the messages Postfix
  recorded with that client_address.
- pfqmon top names the victim first, with Postfix's counts, and shows
  the IPv6 relay by its bare address.
- Then, one after the other, each piped into postsuper as an admin
  would: --sasl-user victim | postsuper -d - ; a CIDR --client |
  postsuper -h - ; --client 2001:db8::/32 | postsuper -h - ;
  --older-than | postsuper -d - ; --queue hold |
  postsuper -d -. After each, postqueue -j must show exactly the
  selected messages gone (or held) and every other message where it was.
- A second instance with long queue IDs: the same for a SASL user.
"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import harness  # noqa: E402
import pfqmetrics as pm  # noqa: E402
import scene  # noqa: E402
import selectoracle  # noqa: E402

POSTSUPER = harness.SBIN + "/postsuper"
SCALE = 0.3                                 # of the abuse scene


def facts(p):
    """The queue as Postfix describes it: one dict per message."""
    listing = p.postqueue_j()
    env = p.postcat_envelopes([m["queue_id"] for m in listing])
    msgs = []
    for m in listing:
        e = env.get(m["queue_id"])
        if e is None:
            raise RuntimeError("postcat does not know %s" % m["queue_id"])
        msgs.append({"id": m["queue_id"], "queue": m["queue_name"],
                     "sender": e["sender"], "sasl": e["sasl"], "client": e["client"],
                     "peer": e["peer"], "recipients": e["recipients"],
                     "arrival": m["arrival_time"]})
    return msgs


def where(p):
    """{queue_id: queue} from postqueue -j."""
    return {m["queue_id"]: m["queue_name"] for m in p.postqueue_j()}


def select(p, args, source=None):
    """pfqmon select ARGS; postqueue -c as the postfix user (pfqmon drops
    to it) needs the default main.cf to name the instance: a private
    one in a private mount namespace (harness.in_namespace)."""
    cmd = [PFQMON, "select", "-c", p.conf] + args
    if source:
        cmd += ["--source", source]
    if source == "postqueue":
        return harness.in_namespace(p.etc, cmd)
    return subprocess.run(cmd, capture_output=True, timeout=300)


def check_select(p, msgs, args, name, source=None, now=None):
    """pfqmon select ARGS against the oracle; returns the oracle's set."""
    want = selectoracle.select(msgs, args, now or int(time.time()))
    res = select(p, args + (["--now", str(now)] if now else []), source)
    got = res.stdout.decode(errors="replace").split()
    tap(res.returncode == 0 and not res.stderr and sorted(got) == sorted(want),
        "%s: select %s%s gives exactly the %d messages Postfix's facts say"
        % (name, " ".join(args), " (source %s)" % source if source else "", len(want)),
        ["want %d, got %d (exit %d)" % (len(want), len(got), res.returncode),
         "missing %s" % sorted(want - set(got))[:5],
         "extra %s" % sorted(set(got) - want)[:5],
         res.stderr.decode(errors="replace")[-300:]])
    return want


def pipe(p, args, flag, now=None):
    """pfqmon select ARGS | postsuper FLAG -, as an admin types it.
    Returns (the IDs pfqmon printed, postsuper's stderr)."""
    cmd = [PFQMON, "select", "-c", p.conf] + args + (["--now", str(now)] if now else [])
    sel = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tee = sel.stdout.read()
    sel.stdout.close()
    sup = subprocess.run([POSTSUPER, "-c", p.conf, flag, "-"], input=tee,
                         capture_output=True, timeout=300)
    sel.wait(timeout=60)
    return set(tee.decode().split()), sup.stderr.decode(errors="replace"), sel.returncode


def acted(count, err, verb):
    m = re.search(r"%s: (\d+) messages?" % verb, err)
    return int(m.group(1)) if m else (0 if count == 0 else -1)


def extras(p):
    """Mail a careless selection would catch."""
    inj = harness.Injector(p.smtp_port)
    n = 0
    try:
        inj.xclient(addr="198.51.100.100", login="user0")
        for i in range(3):
            inj.send("user0@corp.example", [scene.VICTIM])      # to the victim
            n += 1
        inj.xclient(addr="198.51.100.20", login=scene.VICTIM_LOGIN + "2")
        for i in range(2):
            inj.send("victim2@customer.example", ["a%d@dest1.example" % i])
            n += 1
        inj.xclient(addr=scene.RELAY_IP)                        # no login
        for i in range(2):
            inj.send(scene.VICTIM, ["b%d@dest2.example" % i])   # forged
            n += 1
    finally:
        inj.close()
    p.wait_settled()
    return n


def ipv6_selects(p, msgs, now):
    """The IPv6 relay, however an admin writes it, is exactly the mail
    Postfix recorded with client_address=2001:db8::25; its /32 adds the
    neighbour; neither family's widest filter reaches the other."""
    if not p.ipv6:
        tap(True, "scene: select --client by IPv6 address and prefix "
            "# SKIP no IPv6 sockets: Postfix cannot take IPv6 clients")
        return
    relay = {m["id"] for m in msgs if m["peer"] == scene.RELAY6_IP.encode()}
    net = relay | {m["id"] for m in msgs if m["peer"] == scene.V6_USER[2].encode()}
    v6 = {m["id"] for m in msgs if m["client"] and m["client"].startswith(b"IPv6:")}
    tap(len(relay) == scene.relay6_count(SCALE) and len(net) == len(relay) + 3
        and v6 == net, "scene: Postfix stored %d messages from %s and 3 from %s, "
        "all as IPv6:..." % (len(relay), scene.RELAY6_IP, scene.V6_USER[2]),
        [len(relay), len(net), len(v6)])
    for args, want in ((["--client", scene.RELAY6_IP], relay),
                       (["--client", scene.RELAY6_XCLIENT], relay),
                       (["--client", "2001:DB8:0:0::25"], relay),
                       (["--client", "[IPv6:2001:db8::25]"], relay),
                       (["--client", "2001:db8::/32"], net),
                       (["--client", "IPv6:2001:db8::/32"], net),
                       (["--client", scene.V6_USER[2]], net - relay),
                       (["--client", "::/0"], v6)):
        oracle = check_select(p, msgs, args, "scene", None, now)
        tap(oracle == want, "scene: the oracle's messages for select %s are the %d "
            "Postfix recorded from that client" % (" ".join(args), len(want)))
    others = {m["id"] for m in msgs if m["client"] and m["id"] not in v6}
    oracle = check_select(p, msgs, ["--client", "0.0.0.0/0"], "scene", None, now)
    tap(oracle == others, "scene: select --client 0.0.0.0/0 is the %d IPv4 "
        "clients' mail, no IPv6 client's" % len(others))


def top_checks(p, msgs):
    res = subprocess.run([PFQMON, "top", "-c", p.conf, "--format", "json", "--rows", "0"],
                         capture_output=True, timeout=300)
    import json
    try:
        doc = json.loads(res.stdout)
    except ValueError as e:
        tap(False, "top --format json: valid JSON: %s" % e)
        return
    sasl, clients = {}, {}
    for m in msgs:
        if m["sasl"]:
            k = m["sasl"].decode()
            sasl[k] = sasl.get(k, 0) + 1
        if m["client"]:
            k = pm.client_key(m["client"])      # the bare address
            clients[k] = clients.get(k, 0) + 1
    got_sasl = {r["key"]: r["length"] for r in doc["sasl_usernames"]["rows"]}
    got_clients = {r["key"]: r["length"] for r in doc["client_addresses"]["rows"]}
    tap(doc["total"]["length"] == len(msgs), "top: the total equals postqueue -j (%d)"
        % len(msgs), [doc["total"]])
    tap(got_sasl == sasl, "top: messages per SASL user equal postcat's (%d users)" % len(sasl),
        [sorted(got_sasl.items())[:5], sorted(sasl.items())[:5]])
    tap(got_clients == clients, "top: messages per client equal postcat's (%d clients)"
        % len(clients))
    first = doc["sasl_usernames"]["rows"][0]["key"] if doc["sasl_usernames"]["rows"] else None
    tap(first == scene.VICTIM_LOGIN, "top: the victim's login comes first", [first])
    table = subprocess.run([PFQMON, "top", "-c", p.conf], capture_output=True,
                           timeout=300).stdout.decode(errors="replace")
    sect = table.split("SASL users", 1)[-1].splitlines()
    row = sect[1].split() if len(sect) > 1 else []
    tap(row[:2] == [scene.VICTIM_LOGIN, str(sasl.get(scene.VICTIM_LOGIN))],
        "top: the table's first SASL row is the victim with %s messages"
        % sasl.get(scene.VICTIM_LOGIN), [sect[:3]])
    name = "top: the IPv6 relay is shown as %s, in JSON and in the table" % scene.RELAY6_IP
    if not p.ipv6:
        tap(True, name + " # SKIP no IPv6 sockets: Postfix cannot take IPv6 clients")
        return
    n = scene.relay6_count(SCALE)
    table = subprocess.run([PFQMON, "top", "-c", p.conf, "--rows", "0"], capture_output=True,
                           timeout=300).stdout.decode(errors="replace")
    sect = table.split("Client addresses", 1)[-1].split("\n\n", 1)[0].splitlines()
    rows = [r.split()[:2] for r in sect[1:]]
    tap(got_clients.get(scene.RELAY6_IP) == n and [scene.RELAY6_IP, str(n)] in rows
        and not any(k.lower().startswith("ipv6:") for k in got_clients),
        name + " with its %d messages" % n, [sorted(got_clients.items()), sect])


def main_scene():
    p = harness.Postfix()
    p.etc = harness.default_config_for(p.conf)
    try:
        p.setup()
        p.start()
        sent = scene.play(p, harness.Injector, scale=SCALE)
        sent += extras(p)
        msgs = facts(p)
        tap(len(msgs) == sent, "the running queue holds all %d messages" % sent,
            [len(msgs)])
        now = int(time.time())

        # Exactness, without acting, from every source that can answer.
        for args in (["--sender", scene.VICTIM],
                     ["--sender", scene.HOSTILE_SENDERS[0]],
                     ["--sender", scene.HOSTILE_SENDERS[1]],
                     ["--sender", scene.HOSTILE_SENDERS[3]],
                     ["--sender", "MixedCase@example.com"],
                     ["--sender", "mixedcase@example.com"],
                     ["--sender", "<>"],
                     ["--sender-domain", "customer.example"],
                     ["--sender-domain", ".example", "--queue", "incoming"],
                     ["--recipient-domain", "customer.example"],
                     ["--recipient-domain", "HOLD.test", "--queue", "hold"]):
            for source in (None, "showq", "postqueue"):
                check_select(p, msgs, args, "scene", source, now)
        for args in (["--sasl-user", scene.VICTIM_LOGIN, "--sender", scene.VICTIM],
                     ["--client", scene.RELAY_IP],
                     ["--client", "198.51.100.0/24", "--recipient-domain", "tarpit.test"]):
            check_select(p, msgs, args, "scene", None, now)
        ipv6_selects(p, msgs, now)
        top_checks(p, msgs)

        # 1. The compromised login: delete exactly its mail.
        before = where(p)
        to_victim = {m["id"] for m in msgs if scene.VICTIM.encode() in m["recipients"]}
        want = selectoracle.select(msgs, ["--sasl-user", scene.VICTIM_LOGIN], now)
        got, err, rc = pipe(p, ["--sasl-user", scene.VICTIM_LOGIN], "-d")
        after = where(p)
        tap(got == want and rc == 0, "victim: select --sasl-user %s lists its %d messages"
            % (scene.VICTIM_LOGIN, len(want)), [len(got), len(want)])
        tap(acted(len(want), err, "Deleted") == len(want),
            "victim: postsuper -d - deleted exactly %d" % len(want), [err[-200:]])
        tap(set(after) == set(before) - want and
            all(after[i] == before[i] for i in after),
            "victim: postqueue -j shows exactly those gone, the other %d untouched"
            % (len(before) - len(want)),
            [len(after), len(before) - len(want)])
        tap(to_victim and to_victim <= set(after),
            "victim: all %d messages *to* the victim are still queued" % len(to_victim))
        msgs = facts(p)
        kept = [m for m in msgs if m["sasl"] == b"victim2" or
                (m["sender"] == scene.VICTIM.encode() and m["sasl"] is None)]
        tap(len(kept) == 4, "victim: the look-alike login and the forged sender's mail "
            "are still queued", [len(kept)])

        # 2. Two client addresses, as a CIDR prefix: put their mail on hold.
        cidr = "198.51.100.100/31"
        before = where(p)
        want = selectoracle.select(msgs, ["--client", cidr], now)
        got, err, rc = pipe(p, ["--client", cidr], "-h")
        after = where(p)
        tap(got == want and len(want) > 0 and rc == 0,
            "client: select --client %s lists its %d messages" % (cidr, len(want)))
        tap(acted(len(want), err, "Placed on hold") == len(want),
            "client: postsuper -h - held exactly %d" % len(want), [err[-200:]])
        tap(set(after) == set(before) and all(after[i] == "hold" for i in want)
            and all(after[i] == before[i] for i in after if i not in want),
            "client: exactly those are now on hold, nothing else moved")
        msgs = facts(p)

        # 2b. The IPv6 relay and its neighbour, by their /32: hold.
        if p.ipv6:
            cidr = "2001:db8::/32"
            before = where(p)
            want = {m["id"] for m in msgs if m["peer"] in
                    (scene.RELAY6_IP.encode(), scene.V6_USER[2].encode())}
            got, err, rc = pipe(p, ["--client", cidr], "-h")
            after = where(p)
            tap(got == want and len(want) == scene.relay6_count(SCALE) + 3 and rc == 0,
                "IPv6 client: select --client %s lists its %d messages" % (cidr, len(want)),
                [len(got), len(want)])
            tap(acted(len(want), err, "Placed on hold") == len(want),
                "IPv6 client: postsuper -h - held exactly %d" % len(want), [err[-200:]])
            tap(set(after) == set(before) and all(after[i] == "hold" for i in want)
                and all(after[i] == before[i] for i in after if i not in want),
                "IPv6 client: exactly those are now on hold, nothing else moved")
            msgs = facts(p)
        else:
            tap(True, "IPv6 client: select --client 2001:db8::/32 | postsuper -h - "
                "# SKIP no IPv6 sockets: Postfix cannot take IPv6 clients")

        # 3. Older than a moment in the middle of the scene: delete. The
        # moment is the arrival second that splits the queue most evenly.
        arrivals = [m["arrival"] for m in msgs]
        mid = min(set(arrivals) - {min(arrivals)},
                  key=lambda t: abs(2 * sum(a < t for a in arrivals) - len(arrivals)))
        at = mid + 600      # "older than 10m" as of then: arrived before mid
        args = ["--older-than", "10m"]
        before = where(p)
        want = selectoracle.select(msgs, args, at)
        got, err, rc = pipe(p, args, "-d", now=at)
        after = where(p)
        tap(got == want and 0 < len(want) < len(msgs) and rc == 0,
            "age: select --older-than 10m (--now %d) lists the %d older messages"
            % (at, len(want)), [len(got), len(want), len(msgs)])
        tap(set(after) == set(before) - want and
            all(after[i] == before[i] for i in after),
            "age: postqueue -j shows exactly those gone, the other %d untouched"
            % (len(before) - len(want)))
        msgs = facts(p)

        # 4. The hold queue: delete all of it, and only it.
        before = where(p)
        want = selectoracle.select(msgs, ["--queue", "hold"], now)
        got, err, rc = pipe(p, ["--queue", "hold"], "-d")
        after = where(p)
        tap(got == want and len(want) > 0 and rc == 0,
            "hold: select --queue hold lists the %d held messages" % len(want))
        tap(set(after) == set(before) - want and "hold" not in after.values()
            and all(after[i] == before[i] for i in after),
            "hold: the hold queue is empty, the other %d untouched" % len(after))
    except Exception as e:
        tap(False, "harness error: %s: %s" % (type(e).__name__, e), [p.log_tail()])
    finally:
        p.close()
        subprocess.run(["rm", "-rf", p.etc])


def main_long_ids():
    p = harness.Postfix(long_ids=True, name="pfqlong")
    try:
        p.setup()
        p.start()
        inj = harness.Injector(p.smtp_port)
        try:
            for login, k in (("alice", 12), ("bob", 7)):
                inj.xclient(addr="198.51.100.%d" % (40 + k), login=login)
                for i in range(k):
                    inj.send("%s@corp.example" % login, ["x%d@dest.example" % i])
        finally:
            inj.close()
        p.wait_settled()
        msgs = facts(p)
        now = int(time.time())
        tap(len(msgs) == 19 and all(len(m["id"]) > 11 for m in msgs),
            "long IDs: 19 messages with long queue IDs", [m["id"] for m in msgs[:2]])
        before = where(p)
        want = selectoracle.select(msgs, ["--sasl-user", "alice"], now)
        got, err, rc = pipe(p, ["--sasl-user", "alice"], "-d")
        after = where(p)
        tap(got == want and len(want) == 12 and rc == 0,
            "long IDs: select --sasl-user alice lists its 12 messages", [sorted(got)[:3]])
        tap(set(after) == set(before) - want and len(after) == 7,
            "long IDs: postsuper -d - deleted exactly those; bob's 7 remain",
            [err[-200:]])
    except Exception as e:
        tap(False, "harness error: %s: %s" % (type(e).__name__, e), [p.log_tail()])
    finally:
        p.close()


def main():
    if os.geteuid() != 0:
        tap(False, "select tests need root (postsuper, a private Postfix)")
        return 1
    for t in cases(main_scene, main_long_ids):
        t()
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
