#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every claim of the course, checked on this machine: one small, bounded
experiment per claim, run with the labs' own programs or the probes built
beside them (claims/). Usage (./scripts/check-claims.sh runs it):

    check_claims.py [--json FILE] [--markdown FILE] [ID...]

Prints a table: id | what the course says | what this machine shows | verdict.
A verdict is holds, wrong, partly (true under a condition the line names) or
not-here (cannot be observed on this machine: the line says why and where).
An experiment that cannot run says not-here with its reason, never a guess.
"""
import argparse
import json
import os
import sys
import textwrap
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
sys.path.insert(0, HERE)

import labtest  # noqa: E402  (the labs' process harness: prefixes, timeouts, clean-up)
import exp_mp  # noqa: E402
import exp_other  # noqa: E402

VERDICTS = ("holds", "wrong", "partly", "not-here")

# id, the course's words, the module that holds claim_<id with _>.
CLAIMS = [
    ("mp-secondary-segfaults", "Primary exit ... all secondaries lose access to pools and "
     "rings immediately -> segfault", exp_mp),
    ("mp-shm-files", "DPDK uses the file prefix to name shared memory files in /dev/shm/ "
     "(e.g., /dev/shm/sase_config)", exp_mp),
    ("mp-prefix-mismatch", "If prefixes differ, secondary maps a different (empty) shared "
     "memory file - it finds no mempools or rings and fails to start", exp_mp),
    ("mp-raw-pointers", "raw pointers in shared memory are only valid in the process that "
     "set them", exp_mp),
    ("mp-heap-per-process", "Per-process heap (rte_malloc): NO - per-process", exp_mp),
    ("mp-socket-mem-match", "All processes must use the same --socket-mem - mismatch causes "
     "attach failure", exp_mp),
    ("mp-version-mismatch", "Cannot mix DPDK versions between primary and secondary", exp_mp),
    ("mp-secondary-no-configure", "Secondary cannot call rte_eth_dev_configure() or "
     "rte_eth_dev_start()", exp_mp),
    ("mp-pool-create-eexist", "Secondary calls rte_pktmbuf_pool_create() instead of "
     "rte_mempool_lookup(). This fails with EEXIST", exp_mp),
    ("mp-secondary-no-allow-list", "Secondary does NOT need -a", exp_mp),
    ("mp-lcores-no-overlap", "must NOT overlap with primary's lcores", exp_mp),
    ("flow-validate-catches", "Validation catches unsupported combos before touching "
     "hardware", exp_other),
    ("flow-priority-lower-wins", "lower number = higher priority", exp_other),
    ("flow-bypass-rss", "Matched packets bypass RSS entirely", exp_other),
    ("flow-zero-cpu", "zero CPU involvement for matched flows", exp_other),
    ("numa-local-60ns", "Accessing memory on the same socket (local) takes ~60 ns", exp_other),
    ("numa-remote-2x", "accessing the other socket (remote) takes ~120 ns - 2x slower",
     exp_other),
    ("numa-148mpps", "At 100G/64B (148 Mpps)", exp_other),
    ("fs-10-100x", "This can reduce throughput by 10-100x", exp_other),
    ("fs-cache-aligned", "__rte_cache_aligned ... expands to "
     "__attribute__((aligned(RTE_CACHE_LINE_SIZE)))", exp_other),
]


class Context(labtest.Test):
    """What an experiment gets: labtest's process harness (own --file-prefix per
    process, timeouts, runtime files removed at exit) and where things are."""

    def __init__(self):
        super().__init__("claims")
        self.source = labtest.source_dir()
        self.build = labtest.build_dir()
        self.dpdk_version = labtest.dpdk_version()

    def program(self, name):
        return labtest.program(name)


def run_claim(ctx, cid, course, module):
    fn = getattr(module, "claim_" + cid.replace("-", "_"), None)
    start = time.monotonic()
    try:
        if fn is None:
            raise NotImplementedError(f"no experiment {module.__name__}.claim_"
                                      f"{cid.replace('-', '_')}")
        res = fn(ctx)
    except Exception as e:  # an experiment that cannot run is not-here, with why
        res = {"measured": f"experiment could not run: {type(e).__name__}: {e}",
               "verdict": "not-here",
               "evidence": f"./scripts/check-claims.sh {cid}"}
        if os.environ.get("CLAIMS_DEBUG"):
            traceback.print_exc()
    if res.get("verdict") not in VERDICTS or not res.get("measured"):
        res = {"measured": f"experiment returned {res!r}", "verdict": "not-here",
               "evidence": f"./scripts/check-claims.sh {cid}"}
    return {"id": cid, "course": course, "measured": res["measured"],
            "verdict": res["verdict"], "evidence": res["evidence"],
            "seconds": round(time.monotonic() - start, 1)}


def print_table(rows, out=sys.stdout):
    wrap = textwrap.TextWrapper(width=46)
    print(f"{'id':27} {'what the course says':46} {'what this machine shows':46} verdict",
          file=out)
    for r in rows:
        left, mid = wrap.wrap(r["course"]) or [""], wrap.wrap(r["measured"]) or [""]
        for i in range(max(len(left), len(mid))):
            print(f"{r['id'] if i == 0 else '':27} {left[i] if i < len(left) else '':46} "
                  f"{mid[i] if i < len(mid) else '':46} {r['verdict'] if i == 0 else ''}",
                  file=out)
    counts = {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}
    print("claims: " + ", ".join(f"{n} {v}" for v, n in counts.items()), file=out)


def write_markdown(path, rows, where):
    def cell(text):
        return text.replace("|", "\\|").replace("\n", " ")
    with open(path, "w") as f:
        f.write(f"Made by `./scripts/check-claims.sh --markdown FILE` on {where}.\n\n")
        f.write("| id | what the course says | what this machine shows | verdict | "
                "see it again |\n")
        f.write("| --- | --- | --- | --- | --- |\n")
        for r in rows:
            f.write(f"| `{r['id']}` | {cell(r['course'])} | {cell(r['measured'])} | "
                    f"**{r['verdict']}** | `{cell(r['evidence'])}` |\n")


def platform():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    nodes = len([d for d in os.listdir("/sys/devices/system/node") if d.startswith("node")
                 and d[4:].isdigit()])
    return cpu, nodes


def main():
    ap = argparse.ArgumentParser(description="Check the course's claims on this machine.")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--markdown", metavar="FILE",
                    help="also write the table as Markdown (docs/claims.md's table)")
    ap.add_argument("ids", nargs="*", metavar="ID", help="only these claims (default: all)")
    args = ap.parse_args()
    known = [c[0] for c in CLAIMS]
    unknown = [i for i in args.ids if i not in known]
    if unknown:
        print(f"check-claims: unknown claim id(s) {', '.join(unknown)}; known: "
              f"{', '.join(known)}", file=sys.stderr)
        return 2
    for opt, path in (("--json", args.json), ("--markdown", args.markdown)):
        try:
            if path:
                open(path, "a").close()
        except OSError as e:
            print(f"check-claims: {opt} {path}: {e.strerror}", file=sys.stderr)
            return 2
    ctx = Context()
    cpu, nodes = platform()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"# DPDK version : DPDK {ctx.dpdk_version}\n# CPU model    : {cpu}\n"
          f"# NUMA nodes   : {nodes}\n# date         : {when}")
    rows = [run_claim(ctx, cid, course, mod) for cid, course, mod in CLAIMS
            if not args.ids or cid in args.ids]
    print_table(rows)
    if args.markdown:
        write_markdown(args.markdown, rows, f"{when}, DPDK {ctx.dpdk_version}, {cpu}, "
                       f"{nodes} NUMA node(s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"dpdk": ctx.dpdk_version, "cpu": cpu, "numa_nodes": nodes,
                       "claims": [{k: r[k] for k in ("id", "course", "measured", "verdict",
                                                     "evidence")} for r in rows]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
