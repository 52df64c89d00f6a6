#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 9: bad input and missing flow support give plain messages, not crashes."""
import os

import labtest

PROG = "lab9_flow_classifier"


def run(t, tag, vdev, app, timeout=30):
    eal = t.eal("0-1", t.prefix(tag), vdevs=[vdev])
    p = t.dpdk(PROG, eal, app=app)
    rc = p.wait(timeout)
    if rc is None:
        p.kill()
    return rc, p.output()


def main():
    t = labtest.Test("lab9_cli")
    t.require_hugepages()
    null = "net_null0"

    rc, out = run(t, "syn", null, ["--fallback", "software", "--rule",
                                   "ingress pattern eth / ipv4 / tcp dst 443 / end "
                                   "actions queue index 0 / end"])
    t.check(rc not in (0, None) and "syntax error" in out and "expected 'is', 'spec'" in out,
            "syntax error: non-zero exit and what was expected", out[-800:])
    lines = out.splitlines()
    caret = [i for i, l in enumerate(lines) if l.strip().startswith("^")]
    ok = False
    if caret:
        i = caret[0]
        col = lines[i].index("^")
        ok = lines[i - 1][col:col + 3] == "443"
    t.check(ok, "syntax error: the caret points at the offending token '443'", out[-800:])

    rc, out = run(t, "act", null, ["--fallback", "software", "--rule",
                                   "ingress pattern eth / end actions forward 3 / end"])
    t.check(rc not in (0, None) and "unknown action 'forward'" in out,
            "unknown action named", out[-600:])

    rc, out = run(t, "opt", null, ["--bogus"])
    t.check(rc not in (0, None) and "unknown option '--bogus'" in out, "unknown option named")
    rc, out = run(t, "fb", null, ["--fallback", "gpu"])
    t.check(rc not in (0, None) and "--fallback" in out, "bad --fallback value named")
    rc, out = run(t, "file", null, ["--fallback", "software", "--rules", "/nonexistent.rules"])
    t.check(rc not in (0, None) and "/nonexistent.rules" in out, "missing --rules file named")
    rc, out = run(t, "port", null, ["--port", "3"])
    t.check(rc not in (0, None) and "port 3 does not exist" in out, "nonexistent port named")

    # No flow support and no fallback: say so, suggest --fallback software, exit non-zero.
    rc, out = run(t, "nofl", null, ["--rule", "ingress pattern eth / end actions drop / end"])
    t.check(rc not in (0, None) and "has no rte_flow support" in out and
            "--fallback software" in out, "net_null: no flow support said plainly", out[-800:])

    # --rules FILE: comments, a rule, a prompt command, then a bad line with its number.
    rules = os.path.join(t.workdir, "r.rules")
    with open(rules, "w") as f:
        f.write("# lab 9 rules\n\n"
                "ingress priority 0 pattern eth / ipv4 src spec 10.0.0.0 src prefix 8 / end "
                "actions drop / end\n"
                "flow create 0 ingress priority 1 pattern eth / ipv4 / tcp dst is 443 / end "
                "actions queue index 0 / end\n"
                "ingress pattern eth / ipv4 / udp dst is 53 / end actions queue index 9 / end\n")
    rc, out = run(t, "rf", null, ["--fallback", "software", "--rules", rules])
    t.check(out.count("create: OK") == 2 and f"{rules}:5: rule refused" in out and
            "rte_flow_error ACTION: queue index out of range" in out and rc not in (0, None),
            "--rules FILE: two rules created, line 5 refused with the error", out[-1200:])

    # --probe in software mode prints the table and exits 0.
    rc, out = run(t, "probe", null, ["--fallback", "software", "--probe"])
    t.check(rc == 0 and "GTP-U TEID 1234 -> queue 3" in out and "action JUMP" in out,
            "--probe table printed", out[-1500:])

    # TAP natively: on a kernel without the tc modules, the program names them.
    if os.path.exists("/dev/net/tun") and os.geteuid() == 0:
        rc, out = run(t, "tap", f"net_tap0,iface=l9c{os.getpid() % 100000}", ["--probe"])
        if "flow mode: hardware" in out:
            t.check(rc == 0, "native TAP has flow support: probe exits 0")
        else:
            t.check("Disabling rte flow support" in out and "lacks" in out and
                    "cls_flower" in out and "uml-run" in out and rc == 0,
                    "native TAP without tc modules: missing modules named, probe table shown",
                    out[-1500:])
            rc, out = run(t, "tap2", f"net_tap0,iface=l9d{os.getpid() % 100000}",
                          ["--rule", "ingress pattern eth / end actions queue index 1 / end"])
            t.check(rc not in (0, None) and "--fallback software" in out,
                    "native TAP without tc modules: rules refused, fallback suggested")
        # 8 queue pairs are 16 queue fds for TAP's one multi-process message:
        # more than RTE_MP_MAX_FD_NUM, 8 up to DPDK 24.07 (253 from 24.11).
        version = tuple(int(v) for v in labtest.dpdk_version().split(".")[:2])
        rc, out = run(t, "tap8", f"net_tap0,iface=l9e{os.getpid() % 100000}",
                      ["--rxq", "8", "--fallback", "software", "--duration", "1"])
        if version < (24, 11):
            t.check(rc not in (0, None) and "RTE_MP_MAX_FD_NUM" in out and
                    "use 4 queue pairs or fewer" in out and "stack smashing" not in out,
                    f"TAP with 8 queue pairs on DPDK {version}: refused with the reason, "
                    "no crash",
                    out[-1200:])
        else:
            t.check(rc == 0 and "8 rx / 8 tx queues" in out,
                    f"TAP with 8 queue pairs on DPDK {version}: starts", out[-1200:])
    t.done()


if __name__ == "__main__":
    main()
