#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""One mempool-handler table in every process. MBUF_POOL keeps its handler as
an index into each process's own table. The primary logs which handler that
is; DPDK's own dpdk-proc-info, which loads every driver as a plugin as the lab
programs do, resolves the index to the same name. lab8_secondary_mislinked
(tests/lab8/meson.build: lab8_secondary linked with librte_mempool_stack)
resolves it to another one: it warns about its linked handlers and refuses to
attach, naming both handlers. Never a crash. The primary carries on, and a
normal secondary attaches after it."""

import os
import re

import labtest
import lab8common as l8

t = labtest.Test("lab8_handlers")
t.require_root()
t.require_hugepages()
mislinked = os.path.join(labtest.build_dir(), "tests", "lab8", "lab8_secondary_mislinked")
if not os.path.exists(mislinked):
    t.skip(f"{mislinked} not built: librte_mempool_stack.so was not found at configure time")

p = t.prefix()
prim = l8.primary(t, p, "net_null0", app=["--no-status"])
if not l8.started(t, prim, "primary"):
    t.done()
m = re.search(r"mbuf pool MBUF_POOL: .* handler (\S+) \(entry (\d+) of", prim.output())
t.check(m is not None, "the primary logs MBUF_POOL's handler and its table entry",
        prim.output()[-800:])
ops, index = (m.group(1), int(m.group(2))) if m else ("?", -1)

# DPDK's own secondary tool: the same name at the same index.
res = t.run(["dpdk-proc-info", "--no-pci", f"--file-prefix={p}", "--",
             "--show-mempool=MBUF_POOL"], timeout=60)
t.check(res.returncode == 0 and f"ops_index {index} ops_name {ops}" in res.stdout,
        f"dpdk-proc-info resolves MBUF_POOL's ops_index {index} to {ops} too",
        res.stdout[-600:] + res.stderr[-600:])

bad = labtest.DpdkProcess(t, [mislinked] + t.eal("1", p, proc_type="secondary") +
                          ["--", "--role", "enterprise"])
rc = bad.wait(30)
out = bad.output()
t.check(rc == 1, "the mis-linked secondary exits 1 (refused, not crashed)", f"rc={rc}\n{out}")
linked = re.search(r"registered before the EAL loaded its driver plugins \(([^)]*)\)", out)
t.check(linked and sorted(linked.group(1).split(", ")) == ["lf_stack", "stack"],
        "it warns that stack and lf_stack were registered before the plugins", out[-1200:])
w = re.search(rf"the primary runs it with handler '{re.escape(ops)}' \(entry {index} of its "
              rf"handler table\), but entry {index} of this process's table is '(\S+)' "
              rf"\('{re.escape(ops)}' is entry (\d+) here", out)
t.check(w is not None and w.group(1) != ops and int(w.group(2)) != index,
        "the refusal names the primary's handler, what the same index is here, and where "
        f"{ops} is here", out[-1200:])
t.check("Refusing to attach" in out and "docs/lab8.md" in out,
        "the refusal says what to do", out[-600:])
t.check("secondary attached" not in prim.output(), "the primary saw no attach")

good = l8.secondary(t, p, "1", "enterprise", ["--quiet"])
l8.started(t, good, "a normal secondary on the same lcore id afterwards")
t.check(good.stop() == 0, "it exits 0")
t.check(prim.stop() == 0, "the primary exits 0")
t.done()
