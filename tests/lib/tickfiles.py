"""tickfiles - static checks of the shipped TICKscripts and dashboard.

Kapacitor and Chronograf are not in Debian, so their files are checked
here against two sources of truth:

  - pfqmon's own list of what it emits (pfqmon --schema), for every
    measurement, tag and field a script or a query names;
  - the subset of Kapacitor 1.5 the scripts may use (NODES below: nodes
    and properties that exist since 1.5 at the latest, as the reference
    notes; anything else, e.g. trickle() or toTemplates() from 1.6, is an
    error), and Chronograf's dashboard validation rules.

tick_problems(path, schema) parses a TICKscript (a tokenizer and a parser
for the language's statements: dbrp, var, node chains, lambdas, string
templates) and returns a list of problems. dashboard_problems() does the
same for a Chronograf export. dashboard_queries() gives every query with
the template variables replaced, for running against InfluxDB.
"""

import json
import re
import subprocess

# -- pfqmon's schema ------------------------------------------------------

TELEGRAF_TAGS = {"host"}        # Telegraf adds it to every point


def load_schema(pfqmon):
    """{measurement: {"tags": set, "fields": set}}, plus tag values."""
    out = subprocess.run([pfqmon, "--schema"], capture_output=True, check=True)
    schema, values = {}, {}
    for line in out.stdout.decode().splitlines():
        w = line.split()
        if w[0] == "measurement":
            schema[w[1]] = {"tags": set() if w[3] == "-" else set(w[3].split(",")),
                            "fields": set(w[5].split(","))}
        elif w[0] == "tagvalues":
            values[w[1]] = set(w[2].split(","))
    return schema, values


# -- TICKscript -------------------------------------------------------------

# Kapacitor 1.5 nodes the scripts may chain with '|', and the properties
# each takes; an alert's handler properties (email, to) are listed with it.
ALERT_PROPS = {"id", "message", "details", "info", "warn", "crit", "infoReset",
               "warnReset", "critReset", "stateChangesOnly", "noRecoveries",
               "flapping", "history", "levelTag", "levelField", "idTag",
               "idField", "messageField", "durationField", "all", "topic",
               "email", "to", "log", "post"}
AGG_PROPS = {"as", "usePointTimes"}
NODES = {
    "from": {"measurement", "database", "retentionPolicy", "where", "groupBy",
             "groupByMeasurement", "truncate", "round"},
    "window": {"period", "every", "align", "fillPeriod"},
    "max": AGG_PROPS, "min": AGG_PROPS, "last": AGG_PROPS, "first": AGG_PROPS,
    "mean": AGG_PROPS, "sum": AGG_PROPS, "count": AGG_PROPS,
    "alert": ALERT_PROPS, "deadman": ALERT_PROPS,
    "eval": {"as", "keep", "tags", "quiet"},
    "where": set(), "log": {"level", "prefix"},
    "stats": {"align"}, "derivative": {"unit", "nonNegative", "as"},
}
ROOTS = {"stream", "batch"}
LAMBDA_FUNCS = {"abs", "bool", "int", "float", "string", "duration", "isPresent",
                "hour", "minute", "weekday", "day", "month", "year", "now",
                "strContains", "strHasPrefix", "strHasSuffix", "strLength",
                "strToLower", "strToUpper", "sigma", "count", "spread"}
TEMPLATE_NAMES = {".ID", ".Name", ".TaskName", ".Group", ".Tags", ".Level",
                  ".Fields", ".Time", ".Duration", ".Message"}

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*)
  | (?P<tstring>'''.*?''')
  | (?P<string>'(?:\\.|[^'\\\n])*')
  | (?P<ref>"(?:\\.|[^"\\\n])*")
  | (?P<duration>\d+(?:\.\d+)?(?:ms|us|u|\xb5|s|m|h|d|w)\b)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|=~|!~|[|.(),=<>!+\-*/\[\]:@])
""", re.S | re.X)


class Token:
    def __init__(self, kind, text, line):
        self.kind, self.text, self.line = kind, text, line

    def value(self):
        if self.kind == "tstring":
            return self.text[3:-3]
        if self.kind in ("string", "ref"):
            return re.sub(r"\\(.)", r"\1", self.text[1:-1])
        return self.text


def tokenize(src):
    pos, line, toks, comments = 0, 1, [], {}
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise SyntaxError("line %d: unexpected %r" % (line, src[pos:pos + 20]))
        kind, text = m.lastgroup, m.group()
        if kind == "comment":
            comments[line] = text[2:].strip()
        elif kind != "ws":
            toks.append(Token(kind, text, line))
        line += text.count("\n")
        pos = m.end()
    return toks, comments


class Parser:
    """Statements: dbrp "db"."rp" | var NAME = EXPR | var NAME TYPE |
    CHAIN, where CHAIN is stream/batch/var followed by |node(args) and
    .property(args)."""

    def __init__(self, toks):
        self.toks, self.i = toks, 0

    def peek(self, k=0):
        return self.toks[self.i + k] if self.i + k < len(self.toks) else None

    def next(self):
        t = self.peek()
        if t is None:
            raise SyntaxError("unexpected end of script")
        self.i += 1
        return t

    def expect(self, text):
        t = self.next()
        if t.text != text:
            raise SyntaxError("line %d: expected %r, got %r" % (t.line, text, t.text))
        return t

    def program(self):
        stmts = []
        while self.peek():
            t = self.peek()
            if t.text == "dbrp":
                self.next()
                db = self.next()
                self.expect(".")
                rp = self.next()
                if db.kind != "ref" or rp.kind != "ref":
                    raise SyntaxError("line %d: dbrp wants \"db\".\"rp\"" % t.line)
                stmts.append(("dbrp", t.line, db.value(), rp.value()))
            elif t.text == "var":
                self.next()
                name = self.next()
                if self.peek() and self.peek().text == "=":
                    self.next()
                    stmts.append(("var", name.line, name.text, self.expr()))
                else:
                    stmts.append(("vardecl", name.line, name.text, self.next().text))
            elif t.kind == "ident":
                stmts.append(("chain", t.line, self.chain()))
            else:
                raise SyntaxError("line %d: unexpected %r" % (t.line, t.text))
        return stmts

    def chain(self):
        root = self.next()
        steps = []
        while self.peek() and self.peek().text in ("|", "."):
            sep = self.next().text
            name = self.next()
            self.expect("(")
            args = []
            if self.peek().text != ")":
                args.append(self.expr())
                while self.peek().text == ",":
                    self.next()
                    args.append(self.expr())
            self.expect(")")
            steps.append((sep, name.text, name.line, args))
        return (root.text, steps)

    def expr(self):
        t = self.next()
        if t.text == "lambda":
            self.expect(":")
            return ("lambda", self.lambda_tokens())
        if t.text == "[":
            items = []
            while self.peek().text != "]":
                items.append(self.expr())
                if self.peek().text == ",":
                    self.next()
            self.next()
            return ("list", items)
        kinds = {"string": "string", "tstring": "string", "number": "number",
                 "duration": "duration", "ident": "ident", "ref": "ref"}
        if t.kind in kinds:
            if t.kind == "number":
                return ("float" if "." in t.text else "int", t.text)
            if t.text in ("TRUE", "FALSE"):
                return ("bool", t.text)
            return (kinds[t.kind], t.value())
        raise SyntaxError("line %d: unexpected %r in an expression" % (t.line, t.text))

    def lambda_tokens(self):
        depth, out = 0, []
        while True:
            t = self.peek()
            if t is None or (depth == 0 and t.text in (",", ")")):
                return out
            if t.text == "(":
                depth += 1
            elif t.text == ")":
                depth -= 1
            out.append(self.next())


def _template_problems(text, tags, fields, where):
    probs = []
    blocks = re.findall(r"{{(.*?)}}", text, re.S)
    if text.count("{{") != len(blocks) or text.count("}}") != len(blocks):
        probs.append("%s: unbalanced {{ }}" % where)
    opens = sum(1 for b in blocks if re.match(r"\s*(if|range|with)\b", b))
    ends = sum(1 for b in blocks if re.match(r"\s*end\s*$", b))
    if opens != ends:
        probs.append("%s: %d if/range/with but %d end" % (where, opens, ends))
    for b in blocks:
        for kind, name in re.findall(r'index \.(Tags|Fields) "([^"]*)"', b):
            scope = tags if kind == "Tags" else fields
            if name not in scope:
                probs.append("%s: .%s %r is not there (have %s)"
                             % (where, kind, name, sorted(scope)))
        for dotted in re.findall(r"(?<![\w\"])\.[A-Z]\w*", b):
            if dotted not in TEMPLATE_NAMES:
                probs.append("%s: unknown template name %s" % (where, dotted))
    return probs


def _arg_problems(args, name, where, decl, used, tags, fields):
    """Vars, lambdas and templates in the arguments of a node or property."""
    probs = []
    for a in args:
        if a[0] == "ident":
            used.add(a[1])
            if a[1] not in decl:
                probs.append("%s: %s is not a declared var" % (where, a[1]))
        elif a[0] == "lambda":
            for t in a[1]:
                if t.kind == "ref" and t.value() not in (tags | fields):
                    probs.append("%s: lambda names %r, not a tag or field here"
                                 % (where, t.value()))
                elif t.kind == "ident" and t.text not in ("AND", "OR", "TRUE", "FALSE"):
                    if t.text in decl:
                        used.add(t.text)
                    elif t.text not in LAMBDA_FUNCS:
                        probs.append("%s: lambda names unknown %r" % (where, t.text))
            if name in ("warn", "crit", "info"):
                zero = [t.text for t in a[1]][-2:] == ["==", "0.0"]
                if not zero and not any(t.kind == "ident" and t.text in decl
                                        for t in a[1]):
                    probs.append("%s: threshold is not a documented var" % where)
        elif a[0] == "string" and name in ("id", "message", "details"):
            probs += _template_problems(a[1], tags, fields, where)
    return probs


def tick_problems(path, schema):
    """Everything wrong with one TICKscript, as readable lines."""
    src = open(path, encoding="utf-8").read()
    try:
        toks, comments = tokenize(src)
        stmts = Parser(toks).program()
    except SyntaxError as e:
        return ["%s: %s" % (path, e)]
    probs, decl, used = [], {}, set()
    header = "\n".join(comments[k] for k in sorted(comments) if k < 40)
    for need in ("Watches:", "kapacitor define", "Kapacitor 1.5", "-dbrp"):
        if need not in header:
            probs.append("header comment does not say %r" % need)
    # Kapacitor 1.5 refuses define -dbrp for a script that names one.
    if any(s[0] == "dbrp" for s in stmts):
        probs.append("a dbrp statement ties the script to one database")
    for s in stmts:
        if s[0] == "var":
            _, line, name, ex = s
            if name in decl:
                probs.append("line %d: var %s declared twice" % (line, name))
            decl[name] = ex
            if not comments.get(line - 1):
                probs.append("line %d: var %s has no description comment above it"
                             % (line, name))
        elif s[0] == "vardecl":
            probs.append("line %d: var %s has no default" % (s[1], s[2]))
    for s in stmts:
        if s[0] != "chain":
            continue
        root, steps = s[2]
        if root not in ROOTS:
            probs.append("line %d: a chain must start from stream or batch" % s[1])
        node, meas, group, tags, fields = root, None, set(), set(), set()
        for sep, name, line, args in steps:
            where = "line %d: %s" % (line, name)
            if sep == "|":
                if name not in NODES:
                    probs.append("%s: not a Kapacitor 1.5 node this project allows" % where)
                    continue
                node = name
                probs += _arg_problems(args, name, where, decl, used, tags, fields)
                if name in AGG_PROPS_NODES:
                    fld = args[0][1] if args and args[0][0] == "string" else None
                    if fld not in fields:
                        probs.append("%s: field %r is not in %s" % (where, fld, meas))
                    fields = {fld}
                    tags = set(group)
                elif name in ("deadman", "stats"):
                    fields, tags = {"emitted"}, set(group)
                elif name == "derivative":
                    fld = args[0][1] if args and args[0][0] == "string" else None
                    if fld not in fields:
                        probs.append("%s: field %r is not there" % (where, fld))
                elif name == "eval":
                    before = set(fields)
                continue
            if node not in NODES or name not in NODES[node]:
                probs.append("%s: %s has no property %s in Kapacitor 1.5" % (where, node, name))
                continue
            if name == "measurement":
                meas = args[0][1]
                if meas not in schema:
                    probs.append("%s: pfqmon does not emit %r" % (where, meas))
                    continue
                tags = schema[meas]["tags"] | TELEGRAF_TAGS
                fields = set(schema[meas]["fields"])
            elif name == "groupBy":
                group = {a[1] for a in args}
                for g in group - tags:
                    probs.append("%s: tag %r is not in %s" % (where, g, meas))
            elif name == "as":
                fields = {args[0][1]}
            elif name == "keep" and node == "eval":
                fields |= before
            probs += _arg_problems(args, name, where, decl, used, tags, fields)
    for name in set(decl) - used:
        probs.append("var %s is declared but never used" % name)
    return probs


AGG_PROPS_NODES = {"max", "min", "last", "first", "mean", "sum", "count"}


def tick_vars(path):
    """{name: (kapacitor type, default value)} of a script's var defaults."""
    toks, _ = tokenize(open(path, encoding="utf-8").read())
    out = {}
    for s in Parser(toks).program():
        if s[0] == "var":
            kind, val = s[3][0], s[3][1]
            if kind == "int":
                val = int(val)
            elif kind == "float":
                val = float(val)
            out[s[2]] = (kind, val)
    return out


# -- Chronograf dashboard --------------------------------------------------

CELL_TYPES = {"line", "line-stacked", "line-stepplot", "bar", "line-plus-single-stat",
              "single-stat", "gauge", "table", "note"}
COLOR_TYPES = {"max", "min", "threshold", "text", "background", "scale"}
TEMPLATE_TYPES = {"constant", "csv", "fieldKeys", "tagKeys", "tagValues",
                  "measurements", "databases", "map", "influxql", "text", "flux"}
SUBSTITUTE = {":dashboardTime:": "now() - 1h", ":upperDashboardTime:": "now()",
              ":interval:": "10s"}
# Every query reads :db:.:rp:."measurement": the dashboard's variables
# (a "databases" one, Telegraf's telegraf by default, and a "text" one,
# autogen by default), so that another database is one choice, not an
# edit of every query.
SOURCE = re.compile(r':db:\.:rp:\."([^"]+)"')
DEFAULT_DB, DEFAULT_RP = "telegraf", "autogen"
CHRONOGRAF_VERSION = "1.7.0"     # what the file was exported from and tested with
PLAIN = re.compile(r"[A-Za-z0-9 ()<>+\-]+")


def _depth0_split(text, sep=","):
    """text split at sep outside parentheses and quotes."""
    out, depth, cur, quote = [], 0, "", None
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            out.append(cur)
            cur = ""
            continue
        cur += ch
    out.append(cur)
    return out


def _outer(q):
    """(select list, text after the outer FROM) of a query, at depth 0."""
    depth, quote = 0, None
    for i, ch in enumerate(q):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and q.startswith(" FROM ", i):
            return q[len("SELECT "):i], q[i + len(" FROM "):]
    return q, ""


def query_names(q):
    """(measurement, fields, tags) an InfluxQL SELECT names, subqueries
    included: the one measurement its sources name, the schema fields its
    functions read, and the tags it compares to a string or a variable or
    groups by."""
    meas = set(SOURCE.findall(q)) or set(re.findall(r'\bFROM\s+(?:"[^"]+"\.)*"([^"]+)"', q))
    fields = set(re.findall(r'\w+\("([^"]+)"\)', q))
    tags = set(re.findall(r'"([^"]+)"\s*(?:=|!=|=~|!~)\s*[\':/]', q))
    for seg in re.split(r"\bGROUP BY\b", q)[1:]:
        seg = re.sub(r"time\([^)]*\)", "", seg)
        seg = re.split(r"\)|\bFILL\b", seg)[0]
        tags |= set(re.findall(r'"([^"]+)"', seg))
    return (meas.pop() if len(meas) == 1 else None), fields, tags


def query_columns(q):
    """The columns Chronograf 1.7 makes of a query's result in a table:
    time, the outer GROUP BY tags by key, and measurement.name for each
    outer select item (its alias, or the name it selects)."""
    meas, _, _ = query_names(q)
    sel, rest = _outer(q)
    cols = ["time"]
    m = re.search(r"\bGROUP BY\b([^()]*?)(?:\bFILL\b|$)", rest.rsplit(")", 1)[-1])
    if m:
        cols += re.findall(r'"([^"]+)"', re.sub(r"time\([^)]*\)", "", m.group(1)))
    for item in _depth0_split(sel):
        alias = re.search(r'\bAS\s+"([^"]+)"\s*$', item.strip())
        name = alias.group(1) if alias else re.fullmatch(r'\s*"([^"]+)"\s*', item)
        name = name if isinstance(name, str) else (name.group(1) if name else item.strip())
        cols.append("%s.%s" % (meas, name))
    return cols


def _query_problems(w, text, schema, values):
    probs = []
    if ":host:" not in text:
        probs.append("%s: query ignores the host variable" % w)
    bare = re.findall(r'(?<![:.])"[^"]+"\."[^"]+"(?:\."[^"]+")?|FROM\s+"', text)
    if bare or not SOURCE.search(text):
        probs.append("%s: a source other than :db:.:rp:.\"measurement\": %s" % (w, bare[:2]))
    meas, fields, tags = query_names(text)
    if meas not in schema:
        return probs + ["%s: pfqmon does not emit %r" % (w, meas)]
    for f in fields - schema[meas]["fields"]:
        probs.append("%s: %s has no field %r" % (w, meas, f))
    for t in tags - schema[meas]["tags"] - TELEGRAF_TAGS:
        probs.append("%s: %s has no tag %r" % (w, meas, t))
    for tag, val in re.findall(r'"(\w+)"\s*!?=\s*\'([^\']*)\'', text):
        if tag in values and val not in values[tag]:
            probs.append("%s: %s is never %r" % (w, tag, val))
    # Every other name is an alias the query defines (a subquery's).
    aliases = set(re.findall(r'\bAS\s+"([^"]+)"', text))
    known = aliases | fields | tags | {meas} | schema[meas]["fields"]
    for name in set(re.findall(r'"([^"]+)"', text)) - known:
        probs.append("%s: %r is neither a field, a tag nor an alias" % (w, name))
    return probs


def _table_problems(w, c):
    """A table's column metadata, as a Chronograf 1.7 export carries it."""
    probs = []
    cols = query_columns(c["queries"][0]["query"])
    fo = c.get("fieldOptions", [])
    names = [f["internalName"] for f in fo]
    if sorted(names) != sorted(cols):
        probs.append("%s: fieldOptions %s, but the columns are %s" % (w, names, cols))
    sort = c.get("tableOptions", {}).get("sortBy", {}).get("internalName")
    if sort not in cols:
        probs.append("%s: sortBy %r names no column (%s)" % (w, sort, cols))
    visible = [f for f in fo if f.get("visible")]
    for f in visible:
        if not f.get("displayName") or not PLAIN.fullmatch(f["displayName"]):
            probs.append("%s: column %s has no plain header (%r)"
                         % (w, f["internalName"], f.get("displayName")))
    if any(f["internalName"] == "time" and f.get("visible") for f in fo):
        probs.append("%s: the time column is shown" % w)
    if visible and "." in visible[0]["internalName"]:
        probs.append("%s: the first column is %s, not the name" % (w, visible[0]["internalName"]))
    return probs


def dashboard_problems(path, schema, values):
    d = json.load(open(path, encoding="utf-8"))
    probs = []
    if set(d) != {"meta", "dashboard"} or not d["dashboard"]:
        return ["not a Chronograf export: keys %s" % sorted(d)]
    if d["meta"].get("chronografVersion") != CHRONOGRAF_VERSION:
        probs.append("meta.chronografVersion is %r, not the version it was tested with (%s)"
                     % (d["meta"].get("chronografVersion"), CHRONOGRAF_VERSION))
    dash = d["dashboard"]
    temps = dash.get("templates", [])
    names = [t["tempVar"] for t in temps]
    if len(names) != len(set(names)):
        probs.append("template variables are not unique")
    for t in temps:
        if t["type"] not in TEMPLATE_TYPES:
            probs.append("template %s: bad type %s" % (t["tempVar"], t["type"]))
    by_var = {t["tempVar"]: t for t in temps}
    for var, typ, default in ((":db:", "databases", DEFAULT_DB), (":rp:", "text", DEFAULT_RP),
                              (":host:", "tagValues", None)):
        t = by_var.get(var)
        if t is None or t["type"] != typ:
            probs.append("no %s template variable of type %s" % (var, typ))
        elif default and [v["value"] for v in t["values"] if v.get("selected")] != [default]:
            probs.append("%s does not default to %s" % (var, default))
    if ":db:" not in by_var.get(":host:", {}).get("query", {}).get("influxql", ""):
        probs.append(":host: does not list the hosts of the :db: database")
    grid = set()
    for c in dash["cells"]:
        w = "cell %r" % c.get("name")
        if c["type"] not in CELL_TYPES:
            probs.append("%s: type %s" % (w, c["type"]))
        if c["w"] < 1 or c["h"] < 1 or c["x"] < 0 or c["y"] < 0 or c["x"] + c["w"] > 12:
            probs.append("%s: position %s" % (w, (c["x"], c["y"], c["w"], c["h"])))
        for x in range(c["x"], c["x"] + c["w"]):
            for y in range(c["y"], c["y"] + c["h"]):
                if (x, y) in grid:
                    probs.append("%s overlaps another cell at %s" % (w, (x, y)))
                grid.add((x, y))
        if set(c.get("axes", {})) - {"x", "y", "y2"}:
            probs.append("%s: unexpected axis" % w)
        for ax in c.get("axes", {}).values():
            if ax.get("scale") not in ("linear", "log", "") or ax.get("base") not in ("10", "2", "", "raw"):
                probs.append("%s: bad axis scale/base" % w)
        for col in c.get("colors", []):
            if col["type"] not in COLOR_TYPES or len(col["hex"]) != 7:
                probs.append("%s: bad colour %s" % (w, col))
        lg = c.get("legend", {})
        if bool(lg.get("type")) != bool(lg.get("orientation")):
            probs.append("%s: legend needs both type and orientation" % w)
        if c.get("noteVisibility", "default") not in ("default", "showWhenNoData"):
            probs.append("%s: bad noteVisibility" % w)
        for key in ("axes", "colors", "legend", "tableOptions", "fieldOptions", "timeFormat",
                    "decimalPlaces", "note", "noteVisibility"):
            if key not in c:
                probs.append("%s: no %s (a Chronograf 1.7 export has it)" % (w, key))
        if not c["queries"]:
            probs.append("%s: no query" % w)
        for q in c["queries"]:
            text = q["query"]
            if q.get("type", "influxql") != "influxql" or q["queryConfig"].get("rawText") != text:
                probs.append("%s: query type or rawText" % w)
            probs += _query_problems(w, text, schema, values)
        if c["type"] == "table" and c["queries"]:
            probs += _table_problems(w, c)
        if c["type"].startswith("line"):
            y = c.get("axes", {}).get("y", {})
            if not y.get("label"):
                probs.append("%s: the y axis has no label" % w)
            if y.get("bounds", ["", ""])[0] != "0":
                probs.append("%s: the y axis does not start at 0" % w)
    return probs


def dashboard_queries(path, host, db=DEFAULT_DB, rp=DEFAULT_RP):
    """[(cell name, query)] with the template variables replaced as
    Chronograf 1.7 replaces them: a tagValues variable becomes a quoted
    string, a databases one a quoted name, a text one its text."""
    d = json.load(open(path, encoding="utf-8"))
    subst = dict(SUBSTITUTE, **{":host:": "'%s'" % host, ":db:": '"%s"' % db, ":rp:": rp})
    out = []
    for c in d["dashboard"]["cells"]:
        for q in c["queries"]:
            text = q["query"]
            for k, v in subst.items():
                text = text.replace(k, v)
            out.append((c["name"], text))
    return out


def add_tag(lp, key, value):
    """What Telegraf does to each line: add a tag, in sorted key order.
    Tokens are split the way Telegraf's parser splits them."""
    out = []
    for line in lp.decode("utf-8").split("\n"):
        if not line:
            continue
        i, parts, cur, series_end = 0, [], "", None
        while i < len(line):
            ch = line[i]
            if ch == "\\":
                step = 1 if line[i + 1:i + 2] == "\\" else 2
                cur += line[i:i + step]
                i += step
                continue
            if ch in ", ":
                parts.append(cur)
                cur = ""
                if ch == " ":
                    series_end = i
                    break
                i += 1
                continue
            cur += ch
            i += 1
        meas, tags = parts[0], parts[1:]
        tags.append("%s=%s" % (key, value))
        tags.sort(key=lambda t: t.split("=", 1)[0])
        out.append(",".join([meas] + tags) + line[series_end:])
    return ("\n".join(out) + "\n").encode("utf-8")
