"""scripts/check-structure.sh on small trees made here: each rule catches what it names and nothing
else, the allow-list allows exactly its entries (lengths as ceilings) and reports stale ones, and
the exit status says whether a rule is broken. Ends with "N passed, M failed"."""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                      "check-structure.sh")


def tree(files):
    """A temporary ROOT holding files {path: text}."""
    root = tempfile.mkdtemp(prefix="pd-structure-")
    atexit.register(shutil.rmtree, root, True)
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    return root


def run(root):
    p = subprocess.run(["bash", SCRIPT, root], capture_output=True, text=True, timeout=60)
    if p.stderr:
        raise AssertionError("stderr: %s" % p.stderr)
    return p.returncode, p.stdout


def header(name):
    guard = "PD_" + name.upper().replace("/", "_").replace(".", "_")
    return "/* %s */\n#ifndef %s\n#define %s\nvoid %s_f(void);\n#endif\n" % (
        name, guard, guard, name.replace("/", "_").replace(".h", ""))


def source(comment, includes=(), body=""):
    return "/* %s */\n%s\n%s" % (comment, "".join('#include "%s"\n' % i for i in includes), body)


def function(name, lines):
    return "static int %s(void)\n{\n%s    return 0;\n}\n" % (name, "    (void)0;\n" * (lines - 4))


CLEAN = {
    "src/util/err.h": header("util/err.h"),
    "src/util/err.c": source("errors", ["util/err.h"]),
    "src/api/api.h": header("api/api.h"),
    "src/api/api.c": source("the API", ["api/api.h", "util/err.h"], function("ok", 100)),
    "src/web/web.h": header("web/web.h"),
    "src/web/web.c": source("pages", ["web/web.h", "api/api.h"],
                            "void web_page(void)\n{\n}\n"),
    "src/app/a.h": header("app/a.h"),
    "src/app/a.c": source("a", ["app/a.h", "app/b.h"],
                          'int a(void)\n{\n    return db("INSERT INTO t VALUES (1)");\n}\n'),
    "src/app/b.h": header("app/b.h"),
    "src/app/b.c": source("b", ["app/b.h"]),
}


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def test_a_clean_tree_passes():
    rc, out = run(tree(CLEAN))
    check(rc == 0, "exit %d:\n%s" % (rc, out))
    check("structure: 0 broken, 0 allowed, 0 stale" in out, out)


def broken_tree():
    files = dict(CLEAN)
    files["src/api/api.c"] = source("the API", ["api/api.h", "web/web.h"],
                                    "void api_x(void)\n{\n    web_page();\n}\n"
                                    "bool api_valid(const char *s);\n" + function("long_one", 101))
    files["src/app/b.c"] = source("b", ["app/b.h", "app/a.h"],
                                  'int b(void)\n{\n    return db("UPDATE t SET x = 1");\n}\n')
    files["src/util/json.c"] = source("json", [], "static int json_thing(void)\n{\n    return 0;\n}\n")
    files["src/util/late.h"] = header("util/late.h") + "void after_the_guard(void);\n"
    files["src/util/bare.c"] = '#include "util/err.h"\n'
    files["src/util/big.c"] = "/* big */\n" + "int x;\n" * 800
    return files


def test_each_rule_catches_its_violation():
    rc, out = run(tree(broken_tree()))
    check(rc == 1, "exit %d:\n%s" % (rc, out))
    for want in ("BROKEN  parts in one circle: api -> web; web -> api",
                 "BROKEN  modules of src/app/ in one circle: a, b",
                 "BROKEN  src/api/api.c includes a header of src/web/",
                 "BROKEN  src/api/api.c names web_page (defined in src/web/)",
                 "BROKEN  src/api/api.c:", "declares api_valid()",
                 "BROKEN  src/util/late.h: code after the include guard's #endif",
                 "BROKEN  src/util/json.c:3 json_thing() is in jansson's json_ namespace",
                 "BROKEN  t is written from 2 files: src/app/a.c, src/app/b.c",
                 "BROKEN  src/util/big.c: 801 lines",
                 "long_one(): 101 lines",
                 "BROKEN  src/util/bare.c opens with"):
        check(want in out, "missing %r in:\n%s" % (want, out))
    check("ok():" not in out, "a 100-line function is allowed:\n%s" % out)


def test_the_allow_list_allows_its_entries_and_no_more():
    files = broken_tree()
    files["scripts/structure-allow.txt"] = "\n".join([
        "# known debts",
        "part-cycle api web",
        "module-cycle app a b",
        "api-includes-web src/api/api.c",
        "api-calls-web src/api/api.c web_page",
        "c-file-declaration src/api/api.c api_valid",
        "header-guard src/util/late.h",
        "jansson-namespace src/util/json.c json_thing",
        "table-writers t 2",
        "file-length src/util/big.c 801",
        "function-length src/api/api.c long_one 101",
        "no-header-comment src/util/bare.c",
        "no-header-comment src/util/gone.c",
    ]) + "\n"
    root = tree(files)
    rc, out = run(root)
    check(rc == 0, "exit %d:\n%s" % (rc, out))
    check("structure: 0 broken, 11 allowed, 1 stale allow-list entry" in out, out)
    check("stale allow-list entry (line 13, no longer needed: remove it): no-header-comment "
          "src/util/gone.c" in out, out)
    # A listed length is a ceiling: one line more is broken again, and the entry is not stale.
    with open(os.path.join(root, "src/util/big.c"), "a") as f:
        f.write("int y;\n")
    rc, out = run(root)
    check(rc == 1, "exit %d:\n%s" % (rc, out))
    check("BROKEN  src/util/big.c: 802 lines (allowed up to 801)" in out, out)
    check("1 stale" in out, out)


def test_a_circle_grown_past_its_entry_is_broken():
    files = broken_tree()
    files["scripts/structure-allow.txt"] = "part-cycle api web\n"
    files["src/core/c.h"] = header("core/c.h").replace("#endif", '#include "api/api.h"\n#endif')
    files["src/api/api.h"] = header("api/api.h").replace("#endif", '#include "core/c.h"\n#endif')
    rc, out = run(tree(files))
    check(rc == 1, "exit %d" % rc)
    check("(grown past the allowed api web)" in out, out)
    check("stale" not in out.split("structure:")[0], "the entry is still in use:\n%s" % out)


def test_function_scan_ignores_braces_in_literals_comments_and_initializers():
    body = ("static const int table[] = {\n" + "    1,\n" * 150 + "};\n"
            "/* { not code */\n"
            "static int f(void)\n{\n    const char *s = \"}}}{\";\n    char c = '{';\n"
            + "    (void)0;\n" * 120 + "    return s[0] + c;\n}\n")
    files = dict(CLEAN)
    files["src/util/scan.c"] = source("scan", [], body)
    rc, out = run(tree(files))
    check(rc == 1, "exit %d:\n%s" % (rc, out))
    check("src/util/scan.c:" in out and "f(): 126 lines" in out, out)
    check("table():" not in out, "an initializer is not a function:\n%s" % out)


def main():
    tests = [(n, f) for n, f in sorted(globals().items(), key=lambda kv: getattr(
        kv[1], "__code__", None) and kv[1].__code__.co_firstlineno or 0)
             if n.startswith("test_") and callable(f)]
    passed = failed = 0
    for name, fn in tests:
        try:
            fn()
            passed += 1
            print("ok   %s" % name)
        except Exception:
            failed += 1
            print("FAIL %s\n  %s" % (name, traceback.format_exc().replace("\n", "\n  ")))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
