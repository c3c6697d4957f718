#!/usr/bin/env python3
"""Which source file calls which, read from the object files of a build
(nm: the symbols each object defines and those it needs), so that function
pointers in tables count and comments or includes do not.

Usage: scripts/deps.py [--edges] [BUILD_DIR [PREFIX...]]

Prints every circle of files (strongly connected components) with the
symbols behind each edge, and every call between src/ folders that goes
against the layering of docs/internals/request-path.md. With PREFIXes
(e.g. src/server src/audit), only circles that touch a file under one count.
Exit status 1 when there is either; --edges also lists the calls between
folders (and between the folders of src/server)."""
import json
import os
import subprocess
import sys

# What each folder may call besides itself (docs/internals/request-path.md).
ALLOWED = {
    "util": set(),
    "crypto": {"util"},
    "store": {"util", "crypto"},
    "audit": {"util", "crypto", "store"},
    "policy": {"util"},
    "server": {"util", "crypto", "store", "audit", "policy"},
    "client": {"util", "crypto", "audit"},  # audit: the checkpoint format it verifies
    "cli": {"util", "crypto", "client"},
}


def objects(build):
    """(source file relative to the checkout, its object file) for src/."""
    root = os.path.dirname(os.path.abspath(build))  # the checkout the build is in
    with open(os.path.join(build, "compile_commands.json")) as f:
        for c in json.load(f):
            src = os.path.normpath(os.path.join(c["directory"], c["file"]))
            rel = os.path.relpath(src, root)
            if rel.startswith("src/") and rel.endswith(".c"):
                yield rel, os.path.join(c["directory"], c["output"])


def symbols(obj, which):
    out = subprocess.run(["nm", "-P", which, obj], capture_output=True, text=True,
                         check=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def folder(path):
    return path.split("/")[1]


def server_part(path):
    """src/server/auth/x.c -> "server/auth"; src/server/x.c -> "server"."""
    parts = path.split("/")
    if parts[1] != "server":
        return None
    return "server/" + parts[2] if len(parts) > 3 else "server"


def sccs(graph):
    """Tarjan: the strongly connected components with more than one file."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
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
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    build = args[0] if args else "build"
    prefixes = tuple(p if p.endswith(".c") else p.rstrip("/") + "/" for p in args[1:]) or ("src/",)
    defs, needs = {}, {}
    for src, obj in objects(build):
        if not os.path.exists(obj):
            sys.exit(f"deps: {obj} is missing: build first (ninja -C {build})")
        defs.setdefault(src, set()).update(symbols(obj, "--defined-only"))
        needs.setdefault(src, set()).update(symbols(obj, "--undefined-only"))
    owner = {s: f for f, ds in defs.items() for s in ds}
    graph = {f: {} for f in defs}
    for f, ns in needs.items():
        for s in ns:
            g = owner.get(s)
            if g and g != f:
                graph[f].setdefault(g, set()).add(s)
    bad = 0
    for comp in sccs(graph):
        if not any(f.startswith(prefixes) for f in comp):
            continue
        bad += 1
        print(f"circle of {len(comp)} files:")
        for f in comp:
            for g in sorted(graph[f]):
                if g in comp:
                    print(f"  {f} -> {g} ({', '.join(sorted(graph[f][g]))})")
    calls = {}
    for f, gs in graph.items():
        for g, syms in gs.items():
            a, b = folder(f), folder(g)
            if a != b:
                calls.setdefault((a, b), set()).add(f"{f} -> {g}")
    for (a, b), why in sorted(calls.items()):
        up = b not in ALLOWED.get(a, set())
        if up:
            bad += 1
            print(f"upward: {a} -> {b}: {'; '.join(sorted(why))}")
        elif "--edges" in sys.argv:
            print(f"{a} -> {b} ({len(why)} file pairs)")
    if "--edges" in sys.argv:
        inner = {}
        for f, gs in graph.items():
            for g in gs:
                a, b = server_part(f), server_part(g)
                if a and b and a != b:
                    inner.setdefault((a, b), []).append(f"{f[11:]} -> {g[11:]}")
        for (a, b), why in sorted(inner.items()):
            print(f"  {a} -> {b}: {', '.join(sorted(why))}")
    if not bad:
        print(f"deps: {len(graph)} files, no circles under {' '.join(prefixes)}, "
              "src/ reads downward only")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
