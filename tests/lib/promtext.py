"""promtext - read Prometheus's text exposition format 0.0.4 as strictly
as Prometheus itself, for the Prometheus checks.

parse(text) takes the whole document (bytes) and returns {(name,
((label, value), ...)): value} with the labels sorted and the values
unescaped, or raises ValueError naming the line: every family has one
HELP and one TYPE line before its samples, its samples come together, a
name is never met twice, label values use only \\\\, \\" and \\n as escapes
and are valid UTF-8, values are decimal numbers, no sample is given
twice, and the document ends in "# EOF" (OpenMetrics' end, a comment
to 0.0.4) with nothing after it.
"""

import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
VALUE = re.compile(r"[0-9]+(\.[0-9]+)?")


def _labels(s, i, lineno):
    labels = []
    while s[i] != "}":
        m = LABEL.match(s, i)
        if not m or s[m.end():m.end() + 2] != '="':
            raise ValueError("line %d: bad label at %d" % (lineno, i))
        key, i = m.group(), m.end() + 2
        val = []
        while True:
            if i >= len(s):
                raise ValueError("line %d: unterminated label value" % lineno)
            c = s[i]
            if c == '"':
                break
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ValueError("line %d: invalid escape \\%s" % (lineno, nxt))
                val.append("\n" if nxt == "n" else nxt)
                i += 2
                continue
            val.append(c)
            i += 1
        labels.append((key, "".join(val)))
        i += 1
        if s[i] == ",":
            i += 1
        elif s[i] != "}":
            raise ValueError("line %d: want , or }" % lineno)
    keys = [k for k, _ in labels]
    if len(set(keys)) != len(keys):
        raise ValueError("line %d: a label twice" % lineno)
    return tuple(sorted(labels)), i + 1


def parse(data):
    try:
        text = data.decode("utf-8")     # label values: valid UTF-8
    except UnicodeDecodeError as e:
        raise ValueError("not UTF-8: %s" % e)
    if not text.endswith("\n# EOF\n"):
        raise ValueError("does not end in # EOF")
    out, done, cur, typed = {}, set(), None, False
    for lineno, line in enumerate(text[:-len("# EOF\n")].split("\n")[:-1], 1):
        if line.startswith("# HELP "):
            name = line[7:].split(" ", 1)[0]
            if not NAME.fullmatch(name) or name in done:
                raise ValueError("line %d: HELP of %r again or bad" % (lineno, name))
            if cur:
                done.add(cur)
            cur, typed = name, False
            continue
        if line.startswith("# TYPE "):
            if line != "# TYPE %s gauge" % cur or typed:
                raise ValueError("line %d: %r" % (lineno, line))
            typed = True
            continue
        if line.startswith("#"):
            raise ValueError("line %d: stray comment %r" % (lineno, line))
        m = NAME.match(line)
        if not m or m.group() != cur or not typed:
            raise ValueError("line %d: sample outside its family: %r" % (lineno, line[:200]))
        i = m.end()
        labels = ()
        if line[i:i + 1] == "{":
            labels, i = _labels(line, i + 1, lineno)
        if line[i:i + 1] != " " or not VALUE.fullmatch(line[i + 1:]):
            raise ValueError("line %d: bad value %r" % (lineno, line[i:i + 40]))
        key = (cur, labels)
        if key in out:
            raise ValueError("line %d: sample given twice" % lineno)
        v = line[i + 1:]
        out[key] = float(v) if "." in v else int(v)
    return out
