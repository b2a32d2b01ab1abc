#!/usr/bin/env bash
# Checks the tree's structural rules (docs/architecture.md, "Rules") and prints a report:
#
#   part-cycle        parts (the directories under src/) that include each other in a circle
#   module-cycle      modules (x.c with x.h) of one part that include each other in a circle
#   api-includes-web  a file of src/api/ includes a header of src/web/
#   api-calls-web     a file of src/api/ names a function defined in src/web/
#   c-file-declaration a .c file under src/ declares a function that is not static (headers do that)
#   header-guard      a header under src/ with code after its include guard's #endif (or no guard)
#   jansson-namespace a function under src/ named json_* (jansson's prefix)
#   table-writers     a table written (INSERT, UPDATE, DELETE) from more than one file under src/
#   file-length       a C source file (src/, tests/, bench/) over 800 lines
#   function-length   a function of a .c file under src/ over 100 lines (signature to closing brace)
#   no-header-comment a file under src/ whose first non-blank line is not a comment
#
# A violation listed in scripts/structure-allow.txt is reported as allowed; any other fails the run
# (exit 1). Allowed lengths are ceilings: a listed file or function may shrink, never grow. Entries
# no longer needed are reported as stale, so the list only shrinks.
#
#   scripts/check-structure.sh [--graph] [ROOT]
#
# ROOT defaults to the repository this script is in. --graph prints only the include graph between
# parts as a Markdown table, each arrow with the number of files that include the other part
# (docs/architecture.md carries a copy).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
graph=0
if [ "${1:-}" = "--graph" ]; then
    graph=1
    shift
fi
root=$(cd "${1:-$here/..}" && pwd)
allow="$root/scripts/structure-allow.txt"

exec python3 - "$root" "$allow" "$graph" <<'PY'
import os
import re
import sys

ROOT, ALLOW, GRAPH = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
MAX_FILE, MAX_FUNC = 800, 100
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def rel(path):
    return os.path.relpath(path, ROOT)


def sources(top, exts=(".c", ".h")):
    out = []
    for d, dirs, files in os.walk(os.path.join(ROOT, top)):
        dirs[:] = sorted(x for x in dirs if x not in ("corpus", "node_modules"))
        out += [os.path.join(d, f) for f in sorted(files) if f.endswith(exts)]
    return out


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def part_of(path):
    """src/api/x.c -> api; src/main.c -> main."""
    p = rel(path).split(os.sep)
    return p[1] if len(p) > 2 else os.path.splitext(p[1])[0]


def strip_code(text):
    """Comments, string and character literals blanked (newlines kept), so braces and names in
    them are not counted."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def scan(path):
    """What a .c file holds at depth 0: (name, first line, line count) of each function definition
    (a '{' whose header, the text since the previous ';', '}' or directive, has a '(' and no '='),
    and (name, line) of each prototype that is not static (a ';' ending such a header)."""
    code = strip_code(read(path))
    code = "\n".join("" if l.lstrip().startswith("#") else l for l in code.split("\n"))
    defs, decls, depth, head_start, start = [], [], 0, 0, None
    for i, c in enumerate(code):
        if c in "{;" and depth == 0:
            head = code[head_start:i]
            m = re.search(r"([A-Za-z_]\w*)\s*\(", head)
            fn = m and "=" not in head
            line = fn and code.count("\n", 0, head_start + m.start()) + 1
            if c == "{" and fn:
                start = (m.group(1), line)
            elif c == ";":
                head_start = i + 1
                if fn and not re.match(r"\s*(static|typedef)\b", head):
                    decls.append((m.group(1), line))
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                if start:
                    defs.append((start[0], start[1], code.count("\n", 0, i) + 1 - start[1] + 1))
                start = None
                head_start = i + 1
    return defs, decls


def functions(path):
    return scan(path)[0]


# ------------------------------------------------------------------------------------------
# the include graph

src_files = sources("src")
edges = {}          # part -> {part: [files]}
module_edges = {}   # (part, module) -> {module of the same part}
for path in src_files:
    part = part_of(path)
    mod = os.path.splitext(os.path.basename(path))[0]
    for inc in INCLUDE.findall(read(path)):
        target = inc.split("/")
        if len(target) < 2 or not os.path.exists(os.path.join(ROOT, "src", inc)):
            continue
        if target[0] != part:
            edges.setdefault(part, {}).setdefault(target[0], []).append(rel(path))
        else:
            other = os.path.splitext(target[-1])[0]
            if other != mod:
                module_edges.setdefault((part, mod), set()).add(other)

parts = sorted({part_of(p) for p in src_files})

if GRAPH:
    print("| part | includes |")
    print("|---|---|")
    for p in parts:
        out = sorted(edges.get(p, {}))
        print("| %s | %s |" % (p, ", ".join("%s (%d)" % (q, len(set(edges[p][q]))) for q in out) or "·"))
    sys.exit(0)


def sccs(nodes, succ):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(succ(v)):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


# ------------------------------------------------------------------------------------------
# the rules: each violation is (rule, key words, measure or None, text)

violations = []

for comp in sccs(parts, lambda p: edges.get(p, {}).keys()):
    arrows = ["%s -> %s" % (a, b) for a in comp for b in comp if b in edges.get(a, {})]
    violations.append(("part-cycle", comp, None, "parts in one circle: %s" % "; ".join(arrows)))

for part in parts:
    mods = {m for (p, m) in module_edges if p == part} | \
        {m for (p, _), ms in module_edges.items() if p == part for m in ms}
    for comp in sccs(mods, lambda m: module_edges.get((part, m), set())):
        violations.append(("module-cycle", [part] + comp, None,
                           "modules of src/%s/ in one circle: %s" % (part, ", ".join(comp))))

for f in edges.get("api", {}).get("web", []):
    violations.append(("api-includes-web", [f], None, "%s includes a header of src/web/" % f))

web_funcs = {name for p in src_files if part_of(p) == "web" and p.endswith(".c")
             for name, _, _ in functions(p)}
web_static = set()
for p in src_files:
    if part_of(p) == "web" and p.endswith(".c"):
        web_static |= set(re.findall(r"\bstatic\b[^;{(]*?\b([A-Za-z_]\w*)\s*\(", strip_code(read(p))))
web_funcs -= web_static
for p in src_files:
    if part_of(p) != "api":
        continue
    code = strip_code(read(p))
    for name in sorted(n for n in web_funcs if re.search(r"\b%s\b" % re.escape(n), code)):
        violations.append(("api-calls-web", [rel(p), name], None,
                           "%s names %s (defined in src/web/)" % (rel(p), name)))

for p in src_files:
    if p.endswith(".c"):
        for name, line in scan(p)[1]:
            violations.append(("c-file-declaration", [rel(p), name], None,
                               "%s:%d declares %s() (a header's job)" % (rel(p), line, name)))
    else:
        code = [l.strip() for l in strip_code(read(p)).split("\n") if l.strip()]
        if code and not code[-1].startswith("#endif"):
            violations.append(("header-guard", [rel(p)], None,
                               "%s: code after the include guard's #endif or no guard" % rel(p)))

for p in src_files:
    if p.endswith(".c"):
        for name, line, _ in functions(p):
            if name.startswith("json_"):
                violations.append(("jansson-namespace", [rel(p), name], None,
                                   "%s:%d %s() is in jansson's json_ namespace" % (rel(p), line, name)))

writers = {}
for p in src_files:
    if p.endswith(".c"):
        for m in re.finditer(r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+([a-z_]\w*)",
                             read(p)):
            writers.setdefault(m.group(1), set()).add(rel(p))
for table, files in sorted(writers.items()):
    if len(files) > 1:
        violations.append(("table-writers", [table], len(files),
                           "%s is written from %d files: %s" % (table, len(files), ", ".join(sorted(files)))))

for top in ("src", "tests", "bench"):
    for p in sources(top):
        n = read(p).count("\n")
        if n > MAX_FILE:
            violations.append(("file-length", [rel(p)], n, "%s: %d lines" % (rel(p), n)))

for p in src_files:
    if p.endswith(".c"):
        for name, line, n in functions(p):
            if n > MAX_FUNC:
                violations.append(("function-length", [rel(p), name], n,
                                   "%s:%d %s(): %d lines" % (rel(p), line, name, n)))

for p in src_files:
    first = next((l.strip() for l in read(p).split("\n") if l.strip()), "")
    if not first.startswith(("/*", "//")):
        violations.append(("no-header-comment", [rel(p)], None,
                           "%s opens with %r" % (rel(p), first[:40])))

# ------------------------------------------------------------------------------------------
# the allow-list: "rule key… [ceiling]" a line, '#' comments

allowed = []
if os.path.exists(ALLOW):
    for num, line in enumerate(read(ALLOW).split("\n"), 1):
        words = line.split("#", 1)[0].split()
        if words:
            ceiling = int(words.pop()) if words[-1].isdigit() else None
            allowed.append({"rule": words[0], "key": words[1:], "ceiling": ceiling, "line": num,
                            "used": False})

SETS = ("part-cycle", "module-cycle")  # a circle is allowed within a listed one (it may shrink)


def permitted(rule, key, measure):
    """Whether an entry allows the violation, and why not when one names it. An entry stays in
    use while the violation it names persists, even when grown past it (then it is broken)."""
    why = ""
    for a in allowed:
        if a["rule"] != rule:
            continue
        if rule in SETS:
            if rule == "module-cycle" and key[0] != a["key"][0]:
                continue
            mine, listed = set(key[1:] if rule == "module-cycle" else key), \
                set(a["key"][1:] if rule == "module-cycle" else a["key"])
            if len(mine & listed) >= 2:
                a["used"] = True
                if mine <= listed:
                    return True, ""
                why = " (grown past the allowed %s)" % " ".join(sorted(listed))
        elif key == a["key"]:
            a["used"] = True
            if measure is None or a["ceiling"] is None or measure <= a["ceiling"]:
                return True, ""
            why = " (allowed up to %d)" % a["ceiling"]
    return False, why


RULES = ["part-cycle", "module-cycle", "api-includes-web", "api-calls-web", "c-file-declaration",
         "header-guard", "jansson-namespace", "table-writers", "file-length", "function-length", "no-header-comment"]
broken = 0
for rule in RULES:
    found = [v for v in violations if v[0] == rule]
    print("%s: %s" % (rule, "ok" if not found else "%d" % len(found)))
    for _, key, measure, text in found:
        ok, why = permitted(rule, key, measure)
        broken += not ok
        print("  %s %s%s" % ("allowed" if ok else "BROKEN ", text, why))

stale = [a for a in allowed if not a["used"]]
for a in stale:
    print("stale allow-list entry (line %d, no longer needed: remove it): %s %s" % (
        a["line"], a["rule"], " ".join(a["key"])))
print("structure: %d broken, %d allowed, %d stale allow-list entr%s" % (
    broken, len(violations) - broken, len(stale), "y" if len(stale) == 1 else "ies"))
sys.exit(1 if broken else 0)
PY
