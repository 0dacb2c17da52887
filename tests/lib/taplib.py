"""taplib - TAP lines for the Python test groups, and their failure count.

tap(ok, name, detail) prints "ok - name" or "not ok - name" followed by
up to 15 "#" lines of detail; failures() says how many were not ok, for
the script's exit status.
"""

import sys

_failures = 0


def tap(ok, name, detail=()):
    global _failures
    print(("ok - " if ok else "not ok - ") + name)
    if not ok:
        _failures += 1
        if isinstance(detail, (str, bytes)):
            detail = str(detail).splitlines()
        for d in list(detail or ())[:15]:
            print("#   " + str(d))
    sys.stdout.flush()


def failures():
    return _failures


def exit_status():
    return 1 if _failures else 0
