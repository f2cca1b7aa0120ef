#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Checks the architecture of user/ from its #include lines.

Every folder under user/ is one subsystem. A file names a header of
another subsystem as "folder/name.h" and one of its own folder as
"name.h", so the include lines alone give the graph between folders.
The check fails on:

  * an include of a folder that the layer table below does not allow
    (which also rules out every cycle: layers only point down);
  * a cycle between folders (reported on its own, with the path, should
    the table ever allow one);
  * an include of another subsystem's internal header (*_int.h);
  * an include of a header that does not exist;
  * a folder without a README.md saying what it owns and may call.

The table is the one HACKING.md's source map shows:

  cli -> daemon -> proxy, syslog, watchdog -> tls, xdp -> core
"""
import os
import re
import sys

# folder -> the folders it may include from (besides itself)
ALLOWED = {
    "core": set(),
    "tls": {"core"},
    "xdp": {"core"},
    "proxy": {"tls", "core"},
    "syslog": {"tls", "core"},
    "watchdog": {"xdp", "core"},
    "daemon": {"proxy", "syslog", "watchdog", "tls", "xdp", "core"},
    "cli": {"daemon", "proxy", "syslog", "watchdog", "tls", "xdp", "core"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main(top):
    user = os.path.join(top, "user")
    errors = []
    edges = {}
    folders = sorted(d for d in os.listdir(user) if os.path.isdir(os.path.join(user, d)))
    for d in folders:
        if d not in ALLOWED:
            errors.append(f"user/{d}/: a folder the layer table in scripts/check-layout.py does not know; "
                          "add it there and to HACKING.md's map")
            continue
        if not os.path.exists(os.path.join(user, d, "README.md")):
            errors.append(f"user/{d}/: no README.md (what the folder owns and what it may call)")
        for f in sorted(os.listdir(os.path.join(user, d))):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(user, d, f)
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            for m in INCLUDE.finditer(text):
                inc = m.group(1)
                line = text.count("\n", 0, m.start()) + 1
                where = f"user/{d}/{f}:{line}"
                if "/" not in inc:
                    # same folder, or a generated/ABI header found by -I
                    if not os.path.exists(os.path.join(user, d, inc)) and inc not in ("edgesteer_abi.h",) \
                            and not inc.endswith(".skel.h"):
                        errors.append(f'{where}: "{inc}" is not in user/{d}/; '
                                      'name another folder\'s header as "folder/name.h"')
                    continue
                tgt, name = inc.split("/", 1)
                if not os.path.exists(os.path.join(user, inc)):
                    errors.append(f'{where}: "{inc}" does not exist under user/')
                    continue
                if tgt == d:
                    errors.append(f'{where}: "{inc}" is in the same folder: write "{name}"')
                    continue
                edges.setdefault(d, set()).add(tgt)
                if name.endswith("_int.h"):
                    errors.append(f'{where}: "{inc}" is internal to user/{tgt}/; use its public header')
                if tgt not in ALLOWED.get(d, set()):
                    errors.append(f"{where}: user/{d}/ may not include from user/{tgt}/ "
                                  f"(allowed: {', '.join(sorted(ALLOWED.get(d, ()))) or 'nothing'})")

    # cycles, by depth-first search over the folder graph
    state = {}

    def visit(n, stack):
        state[n] = 1
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                cyc = stack[stack.index(m):] + [m] if m in stack else [n, m]
                errors.append("cycle between folders: " + " -> ".join(cyc))
            elif not state.get(m):
                visit(m, stack + [m])
        state[n] = 2

    for n in sorted(edges):
        if not state.get(n):
            visit(n, [n])

    for e in errors:
        print(f"check-layout: {e}", file=sys.stderr)
    if errors:
        print(f"check-layout: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    n_edges = sum(len(v) for v in edges.values())
    print(f"check-layout: {len(folders)} subsystems, {n_edges} dependencies, no cycle, "
          "no internal header crossed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")))
