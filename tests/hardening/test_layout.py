# SPDX-License-Identifier: BSD-3-Clause
"""The code's layout rules, checked on the tree and on the built objects:
- an SPDX line in the first lines of every source, script, build and doc file;
- no C file over 600 lines, no line over 100 columns (a tab counts 8), in C
  and in Python;
- no C function over 80 lines, except an option parser (*parse_args*);
- no two files of one folder call each other (from the objects' symbols:
  A defines what B needs and B defines what A needs);
- a README.md in every lab folder and in common/.
Each finding is printed; the test fails on any."""

import glob
import os
import re
import subprocess

import labtest

FOLDERS = ["common", "lab8_multiprocess", "lab9_rte_flow", "numa_demo", "false_sharing_bench"]
MAX_FILE_LINES = 600
MAX_COLUMNS = 100
MAX_FUNCTION_LINES = 80
NO_SPDX = re.compile(r"\.(pcap|png|json)$|^fuzz/corpus/")


def tree_files(src):
    """Every file of the tree, build folders, .git and caches left out."""
    out = []
    for root, dirs, names in os.walk(src):
        dirs[:] = [d for d in dirs if not (d.startswith("build") or d.startswith(".git") or
                                           d == "__pycache__")]
        # In a git worktree, .git is a file naming the repository.
        out += [os.path.relpath(os.path.join(root, n), src) for n in names if n != ".git"]
    return sorted(out)


def c_files(src):
    pats = [f"{d}/*.[ch]" for d in FOLDERS] + ["claims/*.[ch]", "tests/*/*.[ch]", "fuzz/*.c",
                                              "scripts/labenv.d/*.c"]
    return sorted(os.path.relpath(p, src) for pat in pats
                  for p in glob.glob(os.path.join(src, pat)))


def long_lines(src, names):
    """FILE:LINE of every line over MAX_COLUMNS columns in these files."""
    return [f"{f}:{i + 1}" for f in names
            for i, line in enumerate(open(os.path.join(src, f)).read().split("\n"))
            if len(line.expandtabs(8)) > MAX_COLUMNS]


def functions(lines):
    """(name line, length) of each function: '{' and '}' alone at column 0."""
    start = None
    for i, line in enumerate(lines):
        if line == "{":
            start = i
        elif line == "}" and start is not None:
            yield lines[start - 1].strip(), i - start + 1
            start = None


def symbols(obj):
    """(defined, undefined) global symbols of an object file."""
    res = subprocess.run(["nm", obj], capture_output=True, text=True)
    defined, undefined = set(), set()
    for line in res.stdout.split("\n"):
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBR":
            defined.add(parts[2])
    return defined, undefined


def main():
    t = labtest.Test("layout")
    src = labtest.source_dir()
    files = tree_files(src)
    missing = [f for f in files if not NO_SPDX.search(f) and
               "SPDX-License-Identifier" not in "".join(open(os.path.join(src, f),
                                                             errors="replace").readlines()[:3])]
    t.check(not missing, "every source, script, build file and doc has an SPDX line",
            " ".join(missing))

    long_files, long_funcs = [], []
    for f in c_files(src):
        lines = open(os.path.join(src, f)).read().split("\n")
        if len(lines) - 1 > MAX_FILE_LINES:
            long_files.append(f"{f} ({len(lines) - 1})")
        long_funcs += [f"{f}: {name} ({n})" for name, n in functions(lines)
                       if n > MAX_FUNCTION_LINES and "parse_args" not in name]
    t.check(not long_files, f"no C file over {MAX_FILE_LINES} lines", ", ".join(long_files))
    long_c = long_lines(src, c_files(src))
    t.check(not long_c, f"no line over {MAX_COLUMNS} columns", ", ".join(long_c))
    long_py = long_lines(src, [f for f in files if f.endswith(".py")])
    t.check(not long_py, f"no Python line over {MAX_COLUMNS} columns", ", ".join(long_py))
    t.check(not long_funcs, f"no function over {MAX_FUNCTION_LINES} lines (option parsers "
            "aside)", "; ".join(long_funcs))

    readmes = [d for d in FOLDERS if not os.path.exists(os.path.join(src, d, "README.md"))]
    t.check(not readmes, "every lab folder and common/ has a README.md", " ".join(readmes))

    build = labtest.build_dir()
    for folder in FOLDERS:
        objs = {}
        for c in glob.glob(os.path.join(src, folder, "*.c")):
            name = os.path.basename(c)
            found = glob.glob(os.path.join(build, folder, "*.p", name + ".o"))
            if found:
                objs[name] = symbols(found[0])
        if len(objs) < len(glob.glob(os.path.join(src, folder, "*.c"))):
            t.check(False, f"{folder}: every C file has an object in {build}",
                    f"found {sorted(objs)}")
            continue
        circles = [f"{a} <-> {b}" for a in sorted(objs) for b in sorted(objs) if a < b and
                   objs[a][1] & objs[b][0] and objs[b][1] & objs[a][0]]
        t.check(not circles, f"{folder}: no two files call each other", ", ".join(circles))
    t.done()


if __name__ == "__main__":
    main()
