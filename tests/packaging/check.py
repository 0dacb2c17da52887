#!/usr/bin/python3
"""packaging/check.py - the shipped configuration, unit and snippets.

  - docs/configuration.md documents every option pfqmon has;
  - the example configuration passes pfqmon --check-config;
  - the systemd unit passes systemd-analyze verify and keeps the
    hardening the documentation promises;
  - the Telegraf execd snippet is valid TOML in the form execd needs, and
    its sudoers file allows exactly its command.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testenv import PFQMON  # noqa: E402
from taplib import tap, exit_status, cases  # noqa: E402
import telegraffiles as tg  # noqa: E402



def option_keys():
    """The configuration keys, read off pfqmon --help (same table)."""
    out = subprocess.run([PFQMON, "--help"], capture_output=True, text=True).stdout
    keys = set()
    for m in re.finditer(r"^\s+(?:-\w, )?--([a-z-]+)", out, re.M):
        name = m.group(1)
        if name not in ("config", "schema", "help", "version", "check-config"):
            keys.add(name.replace("-", "_"))
    return keys


def main():
    if not cases("packaging"):
        return exit_status()
    doc = open("docs/configuration.md").read()
    keys = option_keys()
    missing = sorted(k for k in keys | {"push_password", "push_token"}
                     if "`%s`" % k not in doc)
    tap(len(keys) > 20 and not missing,
        "packaging: docs/configuration.md documents all %d option keys" % len(keys), missing)

    tmp = tempfile.mkdtemp(prefix="pfqmon-pkg.")
    try:
        pw = os.path.join(tmp, "password")
        with open(pw, "w") as f:
            f.write("secret\n")
        cfg = os.path.join(tmp, "pfqmon.json")
        with open(os.open(cfg, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(open("docs/packaging/pfqmon.json").read()
                    .replace("/etc/pfqmon/influxdb-password", pw))
        res = subprocess.run([PFQMON, "--config", cfg, "--queue-dir", tmp,
                              "--check-config"], capture_output=True, text=True)
        tap(res.returncode == 0 and "configuration OK" in res.stdout
            and "secret" not in res.stdout + res.stderr,
            "packaging: the example configuration passes --check-config, no secret printed",
            [res.stdout, res.stderr])

        unit = open("docs/packaging/pfqmon.service").read()
        need = ["User=postfix", "NoNewPrivileges=yes", "ProtectSystem=strict",
                "ReadOnlyPaths=/var/spool/postfix", "ExecReload=/bin/kill -HUP $MAINPID",
                "--config /etc/pfqmon/pfqmon.json"]
        tap(all(n in unit for n in need),
            "packaging: the unit runs as postfix with the promised hardening",
            [n for n in need if n not in unit])
        if shutil.which("systemd-analyze") is None:
            tap(True, "packaging: systemd-analyze verify # SKIP systemd is not installed")
        else:
            path = os.path.join(tmp, "pfqmon.service")
            with open(path, "w") as f:
                f.write(unit.replace("/usr/bin/pfqmon", PFQMON))
            # Documentation= names man:pfqmon(8): verify runs man, so the
            # project's pages go first on its MANPATH (the installed ones
            # are checked by tests/packaging/test_deb.py).
            man8 = os.path.join(tmp, "man", "man8")
            os.makedirs(man8)
            for page in os.listdir("man"):
                shutil.copy(os.path.join("man", page), man8)
            system = subprocess.run(["manpath", "-q"], capture_output=True,
                                    text=True).stdout.strip()
            env = dict(os.environ, MANPATH=os.path.join(tmp, "man") + ":" + system)
            res = subprocess.run(["systemd-analyze", "verify", path], capture_output=True,
                                 text=True, env=env)
            noise = [l for l in res.stderr.splitlines() if l.strip()
                     and "Failed to" not in l and "bus" not in l.lower()]
            tap(res.returncode == 0 and not noise,
                "packaging: the unit passes systemd-analyze verify", noise)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    conf = tomllib.load(open("docs/telegraf/pfqmon-execd.conf", "rb"))
    ex = conf.get("inputs", {}).get("execd", [{}])[0]
    tap(ex.get("command", [])[-1:] == ["--execd"] and ex.get("signal") == "STDIN"
        and ex.get("data_format") == "influx" and ex.get("command", [""])[0] == "/usr/bin/sudo",
        "packaging: the Telegraf execd snippet runs pfqmon --execd with signal STDIN",
        [ex])
    allowed = [tg.rule_command(r) for r in
               tg.sudoers_rules(open("docs/telegraf/sudoers.pfqmon-execd").read()) if r.active]
    tap(allowed == [tg.unsudo(ex.get("command"), "postfix")],
        "packaging: sudoers.pfqmon-execd allows exactly the execd snippet's command",
        ["sudoers: %s" % allowed, "snippet: %s" % ex.get("command")])
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
