"""taplib - TAP lines for the Python test groups, and their failure count.

tap(ok, name, detail) prints "ok - name" or "not ok - name" followed by
up to 15 "#" lines of detail (a string, bytes, an exception, any object,
or a list of them: a detail never crashes the group); failures() says
how many were not ok, for the script's exit status.
"""

import sys

_failures = 0


def detail_lines(detail):
    """Any detail as text lines: a string or bytes, an exception or any
    other object, or an iterable of them (None gives no line)."""
    if detail is None:
        return []
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    if isinstance(detail, str):
        return detail.splitlines()
    if isinstance(detail, BaseException):
        return ("%s: %s" % (type(detail).__name__, detail)).splitlines()
    if isinstance(detail, dict):
        return str(detail).splitlines()
    try:
        items = list(detail)
    except TypeError:
        return str(detail).splitlines()
    lines = []
    for d in items:
        if isinstance(d, bytes):
            d = d.decode("utf-8", "replace")
        lines += str(d).splitlines() or [""]
    return lines


def tap(ok, name, detail=()):
    global _failures
    print(("ok - " if ok else "not ok - ") + name)
    if not ok:
        _failures += 1
        for d in detail_lines(detail)[:15]:
            print("#   " + d)
    sys.stdout.flush()


def failures():
    return _failures


def exit_status():
    return 1 if _failures else 0
