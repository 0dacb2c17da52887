#!/usr/bin/python3
"""packaging/files.py - what make install and the Debian package put in
place, checked without installing anything on the machine.

  - the man pages pass mandoc -T lint and man --warnings, and each
    describes, in a list item, every option its command's --help lists;
  - one version everywhere: the Makefile, debian/changelog, NEWS and
    pfqmon --version;
  - every Build-Depends of debian/control is installed by
    tests/install-deps.sh, in its deb and all profiles;
  - make install DESTDIR=... (PREFIX=/usr/local, and the package's
    PREFIX=/usr) installs exactly the expected files: the binary, the man
    pages, the TICKscripts and dashboard, the docs, the examples and the
    unit; the examples and the unit are the source's with /usr/bin/pfqmon
    replaced by the installed binary and nothing else, the installed
    sudoers files pass visudo and allow exactly their snippets' commands;
    make uninstall removes all of it.
The package itself is built, installed and purged by test_deb.py.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import telegraffiles as tg  # noqa: E402

MAKE = os.environ.get("MAKE", "make")
PAGES = {"man/pfqmon.8": [], "man/pfqmon-select.8": ["select"],
         "man/pfqmon-top.8": ["top"], "man/pfqmon-serve.8": ["serve"]}
PACKAGE_BIN = "/usr/bin/pfqmon"
TELEGRAF = ["README.md", "pfqmon-exec.conf", "pfqmon-execd.conf",
            "sudoers.pfqmon-exec", "sudoers.pfqmon-execd"]


def help_options(args):
    """The options a --help lists: '-push-db' for --push-db, 'c' for -c."""
    out = subprocess.run([PFQMON] + args + ["--help"], capture_output=True,
                         text=True).stdout
    opts = set()
    for m in re.finditer(r"^\s+(?:-(\w), )?--([a-z][a-z-]*)", out, re.M):
        opts.add("-" + m.group(2))
        if m.group(1):
            opts.add(m.group(1))
    return opts


def described_options(page):
    """The flags named by .It lines (continuations joined): 'Fl \\-push\\-db'
    gives '-push-db', 'Fl c' gives 'c'."""
    text = open(page).read().replace("\\\n", " ")
    flags = set()
    for line in text.splitlines():
        if line.startswith(".It "):
            for m in re.finditer(r"\bFl\s+(\S+)", line):
                flags.add(m.group(1).replace("\\-", "-"))
    return flags


def check_man_pages():
    for page, args in PAGES.items():
        want = help_options(args)
        missing = sorted(want - described_options(page))
        tap(len(want) > 5 and not missing,
            "man: %s describes all %d options of pfqmon %s--help"
            % (page, len(want), " ".join(args) + " " if args else ""),
            ["not described: %s" % " ".join("-" + o if len(o) > 1 else "-" + o
                                            for o in missing)])
        if shutil.which("mandoc") is None:
            tap(True, "man: %s passes mandoc -T lint # SKIP mandoc is not installed" % page)
        else:
            res = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", page],
                                 capture_output=True, text=True)
            tap(res.returncode == 0 and not res.stdout.strip(),
                "man: %s passes mandoc -T lint (warnings and errors)" % page,
                (res.stdout + res.stderr).splitlines())
        if shutil.which("man") is None:
            tap(True, "man: %s renders without warnings # SKIP man-db is not installed"
                % page)
        else:
            res = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", page],
                                 capture_output=True, text=True,
                                 env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING=""))
            tap(res.returncode == 0 and not res.stderr.strip() and "pfqmon" in res.stdout,
                "man: %s renders under man --warnings with no warning" % page,
                res.stderr.splitlines())


def changelog_version(text):
    m = re.match(r"pfqmon \(([^)]+)\) ", text)
    return m.group(1) if m else None


def check_versions():
    make = re.search(r"^VERSION\s*=\s*(\S+)", open("Makefile").read(), re.M)
    make = make.group(1) if make else None
    deb = changelog_version(open("debian/changelog").read())
    news = re.search(r"^Version (\S+)", open("NEWS").read(), re.M)
    news = news.group(1) if news else None
    out = subprocess.run([PFQMON, "--version"], capture_output=True, text=True).stdout.strip()
    tap(make is not None and make == deb == news and out == "pfqmon " + make,
        "version: Makefile, debian/changelog, NEWS and pfqmon --version agree (%s)" % make,
        ["Makefile %s, debian/changelog %s, NEWS %s, --version %r" % (make, deb, news, out)])


def build_depends(control):
    """Package names of the Build-Depends field, debhelper-compat as debhelper."""
    m = re.search(r"^Build-Depends:(.*?)(?=^\S)", control, re.M | re.S)
    names = []
    for item in (m.group(1) if m else "").split(","):
        item = re.sub(r"\(.*?\)|\[.*?\]|<.*?>", "", item).strip()
        if item:
            name = item.split("|")[0].strip()
            names.append("debhelper" if name == "debhelper-compat" else name)
    return names


def check_build_depends():
    deps = build_depends(open("debian/control").read())
    for profile in ("deb", "all"):
        listed = subprocess.run(["tests/install-deps.sh", "--list", profile],
                                capture_output=True, text=True).stdout.split()
        missing = [d for d in deps if d not in listed]
        tap(len(deps) > 5 and not missing,
            "deps: tests/install-deps.sh %s installs every Build-Depends of debian/control"
            % profile, ["missing: %s" % missing])


def expected_files(prefix, unitdir):
    share = prefix + "/share"
    doc = share + "/doc/pfqmon"
    files = {prefix + "/bin/pfqmon", unitdir + "/pfqmon.service",
             share + "/pfqmon/dashboards/pfqmon.json", doc + "/examples/pfqmon.json"}
    files |= {share + "/man/man8/" + os.path.basename(p) for p in PAGES}
    files |= {share + "/pfqmon/tick/" + os.path.basename(p)
              for p in glob.glob("tick/*.tick") + glob.glob("tick/*.vars.json")}
    files |= {share + "/pfqmon/prometheus/pfqmon.rules.yml"}
    files |= {doc + "/" + n for n in ("README.md", "NEWS", "configuration.md",
                                      "metrics.md", "select.md")}
    files |= {doc + "/examples/telegraf/" + n for n in TELEGRAF}
    return files


def installed_files(root):
    out = set()
    for d, _, names in os.walk(root):
        out |= {os.path.join(d, n)[len(root):] for n in names}
    return out


def check_install(tmp, prefix, unitdir, make_args):
    tag = "make install PREFIX=%s" % prefix
    root = os.path.join(tmp, prefix.strip("/").replace("/", "-"))
    args = [MAKE, "-s", "DESTDIR=" + root] + make_args
    res = subprocess.run(args + ["install"], capture_output=True, text=True)
    if res.returncode != 0:
        tap(False, "%s: exit status 0" % tag, res.stderr.splitlines())
        return
    got, want = installed_files(root), expected_files(prefix, unitdir)
    tap(got == want, "%s: installs the binary, man pages, TICK files, dashboard, docs, "
        "examples and unit, and nothing else" % tag,
        ["missing: %s" % sorted(want - got), "extra: %s" % sorted(got - want)])
    binary = prefix + "/bin/pfqmon"
    modes = {p: os.stat(root + p).st_mode & 0o7777 for p in got}
    bad = [p for p, m in modes.items() if m != (0o755 if p == binary else 0o644)]
    tap(not bad, "%s: the binary is 0755, every other file 0644" % tag,
        ["%s %o" % (p, modes[p]) for p in bad])

    # The examples and the unit: the source's, with the binary's path.
    doc = root + prefix + "/share/doc/pfqmon/examples/telegraf/"
    pairs = [("docs/telegraf/" + n, doc + n) for n in TELEGRAF]
    pairs.append(("docs/packaging/pfqmon.service", root + unitdir + "/pfqmon.service"))
    pairs.append(("docs/packaging/pfqmon.json",
                  root + prefix + "/share/doc/pfqmon/examples/pfqmon.json"))
    differ = []
    for src, dst in pairs:
        text = open(src).read()
        if open(dst).read() != text.replace(PACKAGE_BIN, binary):
            differ.append(dst[len(root):])
    tap(not differ, "%s: examples and unit are the source's with %s for %s, nothing else"
        % (tag, binary, PACKAGE_BIN), differ)
    unit = open(root + unitdir + "/pfqmon.service").read()
    tap("\nExecStart=%s --config /etc/pfqmon/pfqmon.json\n" % binary in unit,
        "%s: the unit's ExecStart runs %s" % (tag, binary))
    visudo = shutil.which("visudo") or ("/usr/sbin/visudo" if os.path.exists("/usr/sbin/visudo")
                                        else None)
    for kind in ("exec", "execd"):
        sudoers = doc + "sudoers.pfqmon-" + kind
        rules = tg.sudoers_rules(open(sudoers).read())
        cmds = [tg.unsudo(c, "postfix") for a, c in
                tg.snippet_commands(doc + "pfqmon-%s.conf" % kind) if a]
        allowed = [tg.rule_command(r) for r in rules if r.active]
        tap(rules and all(r.path == binary for r in rules) and cmds and
            cmds[0][0] == binary and sorted(cmds) == sorted(allowed),
            "%s: the installed sudoers.pfqmon-%s names %s and allows exactly its "
            "snippet's command" % (tag, kind, binary),
            ["sudoers: %s" % allowed, "snippet: %s" % cmds])
        if visudo is None:
            tap(True, "%s: sudoers.pfqmon-%s passes visudo -c # SKIP sudo is not installed"
                % (tag, kind))
        else:
            r = subprocess.run([visudo, "-c", "-q", "-f", sudoers], capture_output=True,
                               text=True)
            tap(r.returncode == 0, "%s: the installed sudoers.pfqmon-%s passes visudo -c"
                % (tag, kind), (r.stdout + r.stderr).splitlines())

    res = subprocess.run(args + ["uninstall"], capture_output=True, text=True)
    left = installed_files(root)
    tap(res.returncode == 0 and not left, "%s: make uninstall removes every file" % tag,
        res.stderr.splitlines() + sorted(left))


def main():
    for case in cases(check_man_pages, check_versions, check_build_depends, "install"):
        if case != "install":
            case()
            continue
        tmp = tempfile.mkdtemp(prefix="pfqmon-install.")
        try:
            check_install(tmp, "/usr/local", "/usr/local/lib/systemd/system", [])
            check_install(tmp, "/usr", "/lib/systemd/system",
                          ["PREFIX=/usr", "SYSTEMDUNITDIR=/lib/systemd/system"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
