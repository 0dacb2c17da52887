"""taplib - TAP lines for the Python test groups, and their failure count.

tap(ok, name, detail) prints "ok - name" or "not ok - name" followed by
up to 15 "#" lines of detail (a string, bytes, an exception, any object,
or a list of them: a detail never crashes the group); failures() says
how many were not ok, for the script's exit status. cases(...) picks the
cases a command line names (-k NAME, --list).
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


def case_name(case):
    """A case's name: a function's without test_, case_, check_ or main_."""
    name = case if isinstance(case, str) else case.__name__
    for prefix in ("test_", "case_", "check_", "main_"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def cases(*all_cases, argv=None):
    """The cases of this group that the command line asks for, in order.

    A case is a function or, for a group that is one scenario, a name.

        GROUP.py              every case
        GROUP.py -k NAME      the case called NAME, or else every case whose
                              name contains NAME (-k again: either one)
        GROUP.py --list       the names of the cases; nothing runs

    A NAME that picks no case is a failed test, so that a misspelt name
    never passes. tests/run.sh GROUP CASE passes CASE as -k.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    names = [case_name(c) for c in all_cases]
    if "--list" in args:
        print("\n".join(names))
        sys.exit(0)
    wanted = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-k"]
    if not wanted:
        return list(all_cases)
    picked = set()
    for w in wanted:
        exact = [c for c, n in zip(all_cases, names) if n == w]
        some = exact or [c for c, n in zip(all_cases, names) if w in n]
        if not some:
            tap(False, "no case of %s is called %r (cases: %s)"
                % (sys.argv[0], w, " ".join(names)))
        picked.update(id(c) for c in some)
    return [c for c in all_cases if id(c) in picked]
