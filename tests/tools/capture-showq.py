#!/usr/bin/python3
"""capture-showq.py OUTPUT - record what Postfix's showq service says.

Starts a throw-away Postfix (tests/integration/harness.py), sends a dozen
messages (a SASL login, hostile but valid senders from the abuse scene,
a bounce, several recipients, mail held by the HOLD rule), waits until
the queue settles, connects to public/showq as postqueue(1) does and
writes every byte showq sends to OUTPUT. The result seeds fuzz_showq
with a real stream (tests/fuzz/seeds.sh). Needs root.
"""

import os
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
import scene  # noqa: E402


def main():
    out = sys.argv[1]
    p = harness.Postfix(name="pfqshowq")
    try:
        p.setup()
        p.start()
        inj = harness.Injector(p.smtp_port)
        try:
            inj.xclient(addr=scene.VICTIM_IPS[0], login=scene.VICTIM_LOGIN)
            inj.send(scene.VICTIM, ["a@dest1.example", "b@dest2.example"])
            inj.send(scene.VICTIM, ["held@hold.test"])
            inj.xclient(addr="127.0.0.1")
            inj.send("", ["bounce@dest.example"])
            for s in scene.HOSTILE_SENDERS:
                inj.send(s, ["r@dest3.example"], utf8=any(ord(c) > 127 for c in s))
        finally:
            inj.close()
        p.wait_settled()
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(os.path.join(p.spool, "public", "showq"))
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        sock.close()
        with open(out, "wb") as f:
            f.write(data)
        print("%d bytes from showq" % len(data))
    finally:
        p.close()


if __name__ == "__main__":
    main()
