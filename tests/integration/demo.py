#!/usr/bin/python3
"""demo.py - what pfqmon shows when an account is compromised (make demo).

Starts a throw-away Postfix (its own directories and loopback port, never
the machine's own mail system), plays a short burst from a compromised
SASL account and a compromised relay host among ordinary users, runs
pfqmon, prints its line protocol and a short summary for a person, shows
pfqmon top, puts exactly the compromised account's mail on hold with
pfqmon select | postsuper -h -, and removes everything it started. Needs
root.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, LPCHECK  # noqa: E402
import harness  # noqa: E402
import pfqmetrics as pm  # noqa: E402


def burst(p):
    inj = harness.Injector(p.smtp_port)
    try:
        # The compromised account: 150 messages from 3 addresses, most with
        # its own sender, some forged.
        for i in range(150):
            inj.xclient(addr="198.51.100.%d" % (10 + i % 3), login="victim")
            sender = "victim@customer.example" if i % 5 else "offer%d@cheap-pills.example" % i
            inj.send(sender, ["r%d@dest%d.example" % (i, i % 12), "s%d@mail%d.example" % (i, i % 4)])
        # A host on the relay list, sending without a login.
        inj.xclient(addr="203.0.113.66")
        for i in range(40):
            inj.send("news%d@bulk.example" % (i % 8), ["n%d@dest%d.example" % (i, i % 12)])
        # Ordinary users, a few messages each, and two bounces.
        for u in range(6):
            inj.xclient(addr="198.51.100.%d" % (100 + u), login="user%d" % u)
            for k in range(2):
                inj.send("user%d@customer.example" % u, ["friend%d@partner.example" % k])
        inj.xclient(addr="127.0.0.1")
        for i in range(2):
            inj.send("", ["bounce%d@dest.example" % i])
    finally:
        inj.close()


def top(got, meas, n=4):
    rows = [(f["length"], k[1][0][1]) for k, f in got.items()
            if k[0] == meas and k[1][0][1] != pm.OTHER]
    return sorted(rows, key=lambda r: (-r[0], r[1]))[:n]


def summary(got):
    total = got[("postfix_queue_total", ())]
    per_q = ", ".join("%s %d" % (q, got[("postfix_queue", (("queue", q),))]["length"])
                      for q in pm.MAIL_QUEUES)
    print("\n== What pfqmon tells the admin ==")
    print("The queue holds %d messages (%s); the oldest is %d s old."
          % (total["length"], per_q, total["age"]))
    for title, meas in (("Top senders", "postfix_queue_sender"),
                        ("Top SASL users", "postfix_queue_sasl"),
                        ("Top client IPs", "postfix_queue_client")):
        print("%-16s %s" % (title + ":", ", ".join("%s (%d)" % (k, n) for n, k in top(got, meas))))
    n, user = top(got, "postfix_queue_sasl", 1)[0]
    share = 100 * n // max(1, total["length"])
    print("\nVerdict: the SASL account %r holds %d of %d queued messages (%d%%): "
          "its password\nis known to someone else. A client address with many "
          "messages and no SASL user\nbehind them is a host allowed to relay that "
          "is sending spam." % (user, n, total["length"], share))
    print("Act on exactly that mail: change the account's password and close its "
          "sessions,\nremove the host from mynetworks, then hold or delete only "
          "their messages.")


def show(argv, stdin=None):
    """Run a command as the admin would type it, and show its output."""
    print("\n$ " + " ".join(argv).replace(PFQMON, "pfqmon"))
    res = subprocess.run(argv, input=stdin, capture_output=True, check=True)
    sys.stdout.write(res.stdout.decode("utf-8") + res.stderr.decode("utf-8"))
    return res.stdout


def act(p):
    """The same, for a person at a terminal, and the action itself."""
    q = ["--queue-dir", p.spool]
    show([PFQMON, "top"] + q + ["--rows", "3"])
    show([PFQMON, "select"] + q + ["--sasl-user", "victim", "--count"])
    ids = subprocess.run([PFQMON, "select"] + q + ["--sasl-user", "victim"],
                         capture_output=True, check=True).stdout
    print("\n$ pfqmon select --sasl-user victim | postsuper -h -")
    res = subprocess.run([harness.SBIN + "/postsuper", "-c", p.conf, "-h", "-"],
                         input=ids, capture_output=True, check=True)
    # postsuper logs each message to stderr too; show its summary line.
    print(res.stderr.decode("utf-8").strip().splitlines()[-1])
    print("\nOnly the account's mail is on hold; nothing to or from anyone else "
          "moved.\nRelease it (postsuper -H -) or delete it (postsuper -d -) "
          "the same way.")
    show([PFQMON, "top"] + q + ["--rows", "2"])


def main():
    if os.geteuid() != 0:
        print("make demo needs root: it starts a private Postfix instance", file=sys.stderr)
        return 1
    print("Starting a throw-away Postfix instance (own directories, loopback port)...")
    p = harness.Postfix(name="pfqdemo")
    try:
        p.setup()
        p.start()
        print("Playing a compromised-account burst (210 messages)...")
        burst(p)
        p.wait_settled()
        print("\n$ pfqmon --queue-dir %s --top 5\n" % p.spool)
        res = subprocess.run([PFQMON, "--queue-dir", p.spool, "--top", "5"],
                             capture_output=True, check=True)
        sys.stdout.write(res.stdout.decode("utf-8"))
        summary(pm.decode(res.stdout, LPCHECK))
        act(p)
    finally:
        p.close()
        print("\nThe demo instance is stopped and its directories are removed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
