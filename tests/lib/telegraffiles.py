"""telegraffiles - the Telegraf snippets and sudoers files in docs/telegraf/
and the commands the READMEs show, read for the static checks and for
tests/integration/test_sudo.py.

sudoers_rules(text) gives every "USER HOST=(RUNAS) [NOPASSWD:] CMD ARGS"
line, commented examples ("#telegraf ...") included, as Rule tuples;
argv is None for a bare path (sudo then allows any arguments) and [] for
'CMD ""' (no argument at all). snippet_commands(path) gives the argv of
every command in a Telegraf snippet, the commented alternatives ("#
commands = ...") included. code_blocks(text) gives the lines of the
fenced blocks of a Markdown file.
"""

import re
import tomllib
from collections import namedtuple

Rule = namedtuple("Rule", "active user runas path argv line")
SUDO = ["/usr/bin/sudo", "-n", "-u"]

_RULE = re.compile(r"^(#?)\s*([a-z_][a-z0-9_-]*)\s+ALL\s*=\s*\((\w+)\)\s*"
                   r"(?:NOPASSWD:\s*)?(\S+)(.*)$")


def _sudoers_args(rest):
    """A sudoers command's arguments: None for none given, [] for \"\"."""
    words = rest.split()
    if not words:
        return None
    if words == ['""']:
        return []
    return [re.sub(r"\\(.)", r"\1", w) for w in words]


def sudoers_rules(text):
    rules = []
    for line in text.splitlines():
        m = _RULE.match(line.strip())
        if m:
            rules.append(Rule(m.group(1) == "", m.group(2), m.group(3), m.group(4),
                              _sudoers_args(m.group(5)), line.strip().lstrip("#")))
    return rules


def rule_command(rule):
    """The command line a rule allows, as an argv (None: any arguments)."""
    return None if rule.argv is None else [rule.path] + rule.argv


def snippet_commands(path):
    """[(active, argv)] of a Telegraf exec or execd snippet."""
    text = open(path).read()
    conf = tomllib.loads(text)
    out = []
    for kind in ("exec", "execd"):
        for plugin in conf.get("inputs", {}).get(kind, []):
            if kind == "exec":
                out += [(True, c) for c in plugin.get("commands", [])]
            elif "command" in plugin:
                out.append((True, plugin["command"]))
    for m in re.finditer(r"^\s*#\s*(commands|command)\s*=\s*(\[.*\])\s*$", text, re.M):
        value = tomllib.loads("v = " + m.group(2))["v"]
        out += [(False, c) for c in (value if m.group(1) == "commands" else [value])]
    return out


def unsudo(argv, runas):
    """The command sudo runs for argv ("/usr/bin/sudo -n -u RUNAS CMD..."),
    or None when argv is not that form."""
    if not isinstance(argv, list) or argv[:3] != SUDO or argv[3:4] != [runas]:
        return None
    return argv[4:]


def code_blocks(text):
    """The lines of every fenced block of a Markdown text."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside:
            lines.append(line)
    return lines
