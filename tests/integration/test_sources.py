#!/usr/bin/python3
"""test_sources.py - the queue files, showq and postqueue -j tell the
same story.

A real Postfix plays the abuse scene (scaled down), holds some mail, and
keeps running: showq and postqueue -j need its showq service. The same
queue is then read five ways:
- the spool source, as root;
- --source showq and --source postqueue, as root (pfqmon drops to the
  postfix user first);
- auto, as nobody in the postdrop group only: the files are unreadable,
  the showq socket is not, so pfqmon reads showq;
- auto, as nobody with no groups: pfqmon falls back to postqueue -j.
Both fallbacks say why in one line on stderr. Per queue, in total and per
sender all reports must be equal (and per domain and age, too); the
showq and postqueue reports must carry their source tag and no SASL or
client breakdown. The scans are repeated if postqueue -j shows the queue moved
in between.

postqueue accepts -c from a user other than root only for a directory
named in the default main.cf's alternate_config_directories: each run
happens in a private mount namespace where a throw-away /etc/postfix
says so. The machine's own /etc/postfix is never touched.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON, LPCHECK  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import harness  # noqa: E402
import scene  # noqa: E402
import pfqmetrics as pm  # noqa: E402

COMPARED = ("postfix_queue", "postfix_queue_total", "postfix_queue_sender")


def snapshot(p):
    return sorted((m["queue_name"], m["queue_id"]) for m in p.postqueue_j())


def main():
    if os.geteuid() != 0:
        tap(False, "source tests need root")
        return 1
    if not cases("sources"):
        return exit_status()
    p = harness.Postfix()
    etc = harness.default_config_for(p.conf)
    try:
        p.setup()
        p.start()
        sent = scene.play(p, harness.Injector, scale=0.3)
        deferred = sorted(m["queue_id"] for m in p.postqueue_j()
                          if m["queue_name"] == "deferred")
        p.postsuper("-h", deferred[:5])
        p.wait_settled()
        common = ["-c", p.conf, "--top", "0"]
        nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        postdrop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--groups=postdrop"]
        for attempt in range(3):
            now = str(int(time.time()))
            before = snapshot(p)
            spool = harness.in_namespace(etc, [PFQMON] + common + ["--now", now, "--source", "spool"])
            pq = harness.in_namespace(etc, [PFQMON] + common + ["--now", now, "--source", "postqueue"])
            sq = harness.in_namespace(etc, [PFQMON] + common + ["--now", now, "--source", "showq"])
            auto = harness.in_namespace(etc, nobody + [PFQMON] + common + ["--now", now])
            drop = harness.in_namespace(etc, postdrop + [PFQMON] + common + ["--now", now])
            if snapshot(p) == before:
                break
        tap(len(before) == sent, "the running queue holds all %d messages (%d listed)"
            % (sent, len(before)))
        runs = {"spool (root)": spool, "postqueue (root)": pq, "showq (root)": sq,
                "auto (nobody)": auto, "auto (nobody, postdrop group)": drop}
        source_of = {"postqueue (root)": "postqueue", "showq (root)": "showq",
                     "auto (nobody)": "postqueue", "auto (nobody, postdrop group)": "showq"}
        got = {}
        for name, res in runs.items():
            try:
                got[name] = pm.decode(res.stdout, LPCHECK)
            except Exception as e:
                got[name] = {}
                tap(False, "%s: valid line protocol: %s" % (name, e))
            tap(res.returncode == 0, "%s: exits 0" % name,
                [res.stderr.decode(errors="replace")[-400:]])
        for name, source in source_of.items():
            g = got[name]
            scans = [k for k in g if k[0] == "postfix_queue_scan"]
            tap(scans == [("postfix_queue_scan", (("source", source),))],
                "%s: the scan says source=%s" % (name, source), [scans])
            tap(not any(k[0] in ("postfix_queue_sasl", "postfix_queue_client") for k in g),
                "%s: no SASL or client breakdown (%s cannot see them)" % (name, source))
            d = pm.diff(got["spool (root)"], g, only=COMPARED)
            tap(not d, "%s: per queue, total and per sender equal to the spool source"
                % name, d)
            d = pm.diff(got["spool (root)"], g, only=("postfix_queue_sender_domain",
                                                      "postfix_queue_recipient_domain",
                                                      "postfix_queue_age"))
            tap(not d, "%s: domains and ages equal to the spool source too" % name, d)
        for name, res, source in (("auto (nobody)", auto, "postqueue"),
                                  ("auto (nobody, postdrop group)", drop, "showq")):
            err = [l for l in res.stderr.decode(errors="replace").splitlines() if l]
            tap(len(err) == 1 and ("source " + source) in err[0] and "never change" in err[0],
                "%s: one line on stderr says why %s" % (name, source), err)
        tap(any(k[0] == "postfix_queue_sasl" for k in got["spool (root)"]),
            "spool source: SASL users are reported (the scene has them)")
    except Exception as e:
        tap(False, "harness error: %s: %s" % (type(e).__name__, e), [p.log_tail()])
    finally:
        p.close()
        subprocess.run(["rm", "-rf", etc])
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
