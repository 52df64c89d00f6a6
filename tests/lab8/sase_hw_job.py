#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8, SASE-DP, the production pattern. Runs INSIDE the emulated server
(./scripts/labenv.sh numa-vm, whose kernel has sch_multiq, cls_flower and
act_skbedit) with DPDK 24.11 (labenv.sh dpdk24 run: 22.11's TAP cannot hand
8 queue pairs to a secondary, see docs/sase-dp.md). Started by
test_lab8_sase_vm.py and demo-lab8.sh; asserts itself, exits 1 on a failure.

The primary owns net_tap with --rxq 8 and creates sase.rules on it: TAP turns
them into tc flower filters, so the kernel puts the VPN subnet on queue 0 and
GTP-U on queue 4. The enterprise secondary polls queues 0-3 itself
(--queues 0-3), the mobility secondary 4-7 (--queues 4-7). gen_traffic.py
makes the traffic (before the pollers take every CPU; scapy is slow to start
under TCG) and it is sent live into the TAP interface. Then the mobility secondary is SIGKILLed
(the primary polls 4-7 again) and the primary (the enterprise one exits 3).

    LAB_BUILD_DIR=$PWD/build-dpdk24 PYTHONPATH=tests:tests/lab8 \\
        /usr/bin/python3 tests/lab8/sase_hw_job.py
"""

import os
import signal
import subprocess
import sys

import labtest
import lab8common as l8

sys.path.insert(0, os.path.join(labtest.source_dir(), "scripts"))
import sase_table  # noqa: E402

RULES = os.path.join(labtest.source_dir(), "lab8_multiprocess", "sase.rules")
MIX = "enterprise=40,gtpu=40,https=40,dns=20"
SEED = 8
TEID = 5555
IFACE = "sase0"


def main():
    t = labtest.Test("lab8_sase_hw")
    t.require_root()
    t.require_hugepages()
    # The same seed and mix give the same packets: the sources first, for the policy.
    pcap, sent, _ = l8.gen_traffic(t, MIX, seed=SEED, teid=TEID)
    policy = sase_table.write_policy(os.path.join(t.workdir, "policy.txt"), sent)

    p = t.prefix()
    prim = l8.primary(t, p, f"net_tap0,iface={IFACE}",
                      app=["--no-status", "--rxq", "8", "--rules", RULES, "--policy", policy])
    if not l8.started(t, prim, "primary on net_tap with --rxq 8 --rules (hardware mode)", 120):
        t.done()
    out = prim.output()
    print("\n".join(line for line in out.splitlines() if line.startswith(
        ("flow mode", "validate", "create", "queue 0", "lab8_primary: 2 rule"))))
    t.check("flow mode: hardware (rte_flow on net_tap)" in out and
            out.count("create: OK: flow rule #") == 2 and "on the port (rte_flow)" in out,
            "both rules created on the port: TAP's tc flower filters", out[-2000:])
    up = subprocess.run([os.path.join(labtest.source_dir(), "scripts", "labenv.sh"), "tap-up",
                         IFACE], capture_output=True, text=True, timeout=60)
    t.check(up.returncode == 0, f"{IFACE} up", up.stderr)
    ent = l8.secondary(t, p, "1", "enterprise", ["--queues", "0-3"])
    mob = l8.secondary(t, p, "2@1", "mobility", ["--queues", "4-7"])
    l8.started(t, ent, "enterprise secondary, --queues 0-3 (direct-queue mode)", 120)
    l8.started(t, mob, "mobility secondary, --queues 4-7 (direct-queue mode)", 120)
    t.check(prim.wait_for("queues 0-3 handed to enterprise", 30) and
            prim.wait_for("queues 4-7 handed to mobility", 30),
            "the primary hands queues 0-3 and 4-7 over", prim.output()[-1000:])

    # gen_traffic.py's frames, made before the pollers started, sent live into the TAP.
    t.check(l8.replay(pcap, IFACE) == len(sent), f"{len(sent)} frames sent into {IFACE}")
    # One telemetry connection kept open: a python start per query is slow under TCG.
    tel = l8.Telemetry(p)
    s, _ = tel.wait(lambda s: s["enterprise_packets"] + s["mobility_packets"] >= len(sent), 180)
    tel.close()
    print(f"/lab8/stats: {s}")

    # The mobility secondary killed: the primary notices and polls 4-7 again.
    mob.signal(signal.SIGKILL)
    mob.wait(30)
    t.check(prim.wait_for("died without detaching", 30) and
            prim.wait_for("polling queues 4-7 again", 30),
            "SIGKILL of the mobility secondary: the primary reports it and polls 4-7 again",
            prim.output()[-1000:])
    rows = sase_table.tally(sent, sase_table.read_policy(policy),
                            {"enterprise": ent.output(), "mobility": mob.output()})
    print("\nSASE-DP on net_tap, rules in the kernel (tc flower), DPDK "
          f"{labtest.dpdk_version()}:")
    sase_table.print_table(rows)
    for ok, text in sase_table.checks(rows, TEID):
        t.check(ok, text)
    ok, text = sase_table.stats_check(s, rows)
    t.check(ok, text, str(s))

    # The primary killed: the direct-queue enterprise secondary leaves with 3.
    prim.signal(signal.SIGKILL)
    rc = ent.wait(30)
    t.check(rc == 3 and "the primary is gone" in ent.output(),
            f"SIGKILL of the primary: the enterprise secondary exits 3 (rc={rc})",
            ent.output()[-500:])
    prim.wait(30)
    t.done()


if __name__ == "__main__":
    main()
