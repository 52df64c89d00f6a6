#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""./scripts/check-claims.sh: every claim of the issue's list is there with a
verdict among the four words and a measured text, --json parses to the
documented shape, an unknown id is a clear error, and an experiment that
cannot run says not-here with its reason instead of a guessed verdict."""
import json
import os
import subprocess
import sys
import types

import labtest

IDS = ["mp-secondary-segfaults", "mp-shm-files", "mp-prefix-mismatch", "mp-raw-pointers",
       "mp-heap-per-process", "mp-socket-mem-match", "mp-version-mismatch",
       "mp-secondary-no-configure", "mp-pool-create-eexist", "mp-secondary-no-allow-list",
       "mp-lcores-no-overlap", "flow-validate-catches", "flow-priority-lower-wins",
       "flow-bypass-rss", "flow-zero-cpu", "numa-local-60ns", "numa-remote-2x",
       "numa-148mpps", "fs-10-100x", "fs-cache-aligned"]
VERDICTS = {"holds", "wrong", "partly", "not-here"}


def main():
    t = labtest.Test("claims")
    t.require_root()
    t.require_unsanitized("the experiments run secondaries, which AddressSanitizer's "
                          "shadow mappings keep from attaching")
    t.require_hugepages(256)
    src = labtest.source_dir()
    script = os.path.join(src, "claims", "check_claims.py")
    out = os.path.join(t.workdir, "claims.json")

    res = t.run(["/usr/bin/python3", script, "bogus-claim"], timeout=60)
    t.check(res.returncode == 2 and "unknown claim id(s) bogus-claim" in res.stderr and
            "mp-shm-files" in res.stderr, "an unknown id: exit 2, named, the known ids listed",
            res.stderr[-500:])

    res = t.run(["/usr/bin/python3", script, "--json", out], timeout=600)
    t.check(res.returncode == 0, "check-claims exits 0", res.stdout[-2000:] + res.stderr[-2000:])
    try:
        with open(out) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        data = {}
        t.check(False, "--json output parses", str(e))
    t.check(list(data) == ["dpdk", "cpu", "numa_nodes", "claims"] and data["dpdk"] and
            data["cpu"] and isinstance(data["numa_nodes"], int),
            "--json: dpdk, cpu, numa_nodes, claims", str({k: data[k] for k in data
                                                          if k != "claims"}))
    claims = data.get("claims", [])
    t.check([c.get("id") for c in claims] == IDS, "every claim of the list, in order",
            str([c.get("id") for c in claims]))
    for c in claims:
        t.check(list(c) == ["id", "course", "measured", "verdict", "evidence"] and
                c["verdict"] in VERDICTS and c["measured"].strip() and c["course"].strip() and
                c["evidence"].strip(), f"{c['id']}: {c['verdict']}: {c['measured'][:90]}",
                str(c))
    for c in claims:
        print(f"     {c['id']:28} {c['verdict']:9} {c['measured'][:150]}")
    t.check(all(c["id"] in res.stdout for c in claims) and "claims: " in res.stdout and
            "# DPDK version" in res.stdout and "# CPU model" in res.stdout,
            "the table names every claim, with the platform banner", res.stdout[-1500:])

    # An experiment that cannot run: not-here, with the reason, not a verdict.
    sys.path.insert(0, os.path.join(src, "claims"))
    import check_claims  # noqa: E402

    def broken(ctx):
        raise OSError("probe missing")
    fake = types.SimpleNamespace(__name__="fake", claim_fs_10_100x=broken,
                                 claim_numa_148mpps=lambda ctx: {"verdict": "holds"})
    row = check_claims.run_claim(None, "fs-10-100x", "course words", fake)
    t.check(row["verdict"] == "not-here" and "probe missing" in row["measured"],
            "an experiment that raises: not-here with its reason", str(row))
    row = check_claims.run_claim(None, "numa-148mpps", "course words", fake)
    t.check(row["verdict"] == "not-here" and row["measured"],
            "an experiment with no measured text: not-here, never its verdict", str(row))
    t.done()


if __name__ == "__main__":
    main()
