#!/usr/bin/python3
"""bench/churn.py - change a generated spool the way Postfix does, a fixed
number of files at a time, for the steady-state benchmark (bench/run.py).

Each step makes `changes` file changes (1,000 by default), in five equal
parts, in the order a queue manager would meet them:

  deferred -> active   a retry: qmgr moves a deferred file back in
  active -> deferred   a delivery failed again (deferred/<hash>/, the hash
                       being the queue ID's first character, as bench/gen
                       and Postfix's default hash_queue_depth 1 have it)
  active, deleted      delivered: qmgr unlinks the file
  incoming -> active   qmgr takes a new message in
  incoming, created    cleanup: a temporary name, renamed to a queue ID
                       made from the file's inode (mail_queue_enter), the
                       content written with mode 0600, then chmod 0700,
                       which is when Postfix's readers trust it

so the queue keeps its size. New files are copies of messages already in
the spool (the generator's format, so pfqmon parses them as the others).
A file is moved at most once per step, so every change is one the agent
must see. Standalone: churn.py SPOOL [CHANGES [STEPS [SECONDS]]] makes a
step every SECONDS (for trying an agent by hand).
"""

import os
import random
import sys
import time


class Churn:
    """Keeps the spool's file names by queue, and changes them a step at a time."""

    def __init__(self, spool, seed=1):
        self.spool = spool
        self.rnd = random.Random(seed)
        self.incoming = self._names("incoming")
        self.active = self._names("active")
        self.deferred = []
        top = os.path.join(spool, "deferred")
        for sub in sorted(os.listdir(top)):
            self.deferred.extend(os.listdir(os.path.join(top, sub)))
        self.templates = []
        for name in self.incoming[:50]:
            with open(os.path.join(spool, "incoming", name), "rb") as f:
                self.templates.append(f.read())
        if not self.templates or len(self.active) < 1000 or len(self.deferred) < 1000:
            raise RuntimeError("%s is too small to churn" % spool)
        self.rnd.shuffle(self.active)
        self.rnd.shuffle(self.deferred)
        self.serial = 0
        self.st = os.stat(spool)

    def _names(self, q):
        return [n for n in os.listdir(os.path.join(self.spool, q)) if not n.startswith(".")]

    def _path(self, q, name):
        if q == "deferred":
            return os.path.join(self.spool, "deferred", name[0], name)
        return os.path.join(self.spool, q, name)

    def _take(self, names, k):
        """k names from the front of a queue's list (oldest first)."""
        out = names[:k]
        del names[:k]
        return out

    def _create(self):
        """One new message in incoming, as cleanup writes it."""
        self.serial += 1
        tmp = os.path.join(self.spool, "incoming", "%d.%d" % (os.getpid(), self.serial))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            ino = os.fstat(fd).st_ino
            usec = self.rnd.randrange(1 << 20)
            name = "%05X%X" % (usec, ino)
            os.rename(tmp, os.path.join(self.spool, "incoming", name))
            os.write(fd, self.rnd.choice(self.templates))
            os.fchmod(fd, 0o700)
        finally:
            os.close(fd)
        return name

    def step(self, changes=1000):
        """Make `changes` file changes (a multiple of 5); returns how many."""
        k = changes // 5
        retry = self._take(self.deferred, k)
        again = self._take(self.active, k)
        for name in again:
            os.rename(self._path("active", name), self._path("deferred", name))
        for name in retry:
            os.rename(self._path("deferred", name), self._path("active", name))
        gone = self._take(self.active, k)
        for name in gone:
            os.unlink(self._path("active", name))
        taken = self._take(self.incoming, k)
        for name in taken:
            os.rename(self._path("incoming", name), self._path("active", name))
        made = [self._create() for _ in range(k)]
        # Files met this step go to the back: the next steps take others.
        self.deferred.extend(again)
        self.active.extend(retry + taken)
        self.incoming.extend(made)
        return 5 * k


def main(argv):
    if len(argv) < 2:
        print("usage: churn.py SPOOL [CHANGES [STEPS [SECONDS]]]", file=sys.stderr)
        return 2
    changes = int(argv[2]) if len(argv) > 2 else 1000
    steps = int(argv[3]) if len(argv) > 3 else 1
    pause = float(argv[4]) if len(argv) > 4 else 10.0
    c = Churn(argv[1])
    for i in range(steps):
        if i:
            time.sleep(pause)
        t0 = time.monotonic()
        n = c.step(changes)
        print("step %d: %d changes in %.3f s" % (i + 1, n, time.monotonic() - t0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
