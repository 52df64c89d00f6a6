# SPDX-License-Identifier: BSD-3-Clause
"""Runs INSIDE the emulated server with its PCI NIC (labenv.sh numa-vm --nic
virtio), started by test_lab8_nic_vm.py; a test of its own (ok/FAIL lines,
exit status). Lab 8 with the primary on -a $LAB_NIC_PCI, 4 queues:

1. ring mode, the secondaries with --no-pci (the course's command): every
   source sent from LAB_TRAFFIC_IFACE printed once, per role as many as the
   role's queues received;
2. direct-queue mode with --no-pci: refused, naming the fix (-a PCI);
3. the enterprise secondary SIGKILLed, restarted with -a PCI --queues 0-1;
4. the primary SIGKILLed: the secondaries stop; a new primary on the same
   NIC, a new secondary, traffic again;
5. SASE-DP on the NIC: --rules sase4.rules --fallback software (virtio has
   no rte_flow) --policy, ring-mode secondaries: the NIC's RETA keeps queue
   0 for the rules, the VPN subnet reaches the enterprise secondary only,
   GTP-U the mobility one with its TEID, the verdicts are the policy's.

    lab8_nic_job.py PCAP1 SRC1 PCAP2 SRC2 PCAP3 SRC3 SASE_PCAP SASE_SRC TEID
"""

import collections
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import labtest  # noqa: E402
import lab8common as l8  # noqa: E402
import nic_vm  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "numa"))
import numa_vm_job  # noqa: E402
sys.path.insert(0, os.path.join(labtest.source_dir(), "scripts"))
import sase_table  # noqa: E402

PCI = os.environ.get("LAB_NIC_PCI", "")
START = 300.0   # at most, for a DPDK start under TCG on a busy host (usually 5-30 s)
SASE_RULES = os.path.join(labtest.source_dir(), "lab8_multiprocess", "sase4.rules")


def primary(t, p, app=()):
    """The primary on the NIC, from lcore 2 (socket 1, the NIC's)."""
    args = ["-a", PCI, f"--file-prefix={p}", "-l", "2", "--proc-type=primary",
            labtest.BASE_VIRTADDR]
    return t.dpdk("lab8_primary", args, app=["--rxq", "4", "--no-status"] + list(app))


def secondary(t, p, lcores, role, app=(), pci=False):
    """The course's secondary (--no-pci), or with the primary's -a list."""
    args = t.eal(lcores, p, proc_type="secondary")
    if pci:
        args = ["-a", PCI] + [a for a in args if a != "--no-pci"]
    return t.dpdk("lab8_secondary", args, app=["--role", role] + list(app))


def stats(p):
    """/lab8/stats through the telemetry socket itself: dpdk-telemetry.py, a
    process of its own, takes seconds to start under TCG."""
    try:
        return numa_vm_job.telemetry(p, ["/lab8/stats"])["/lab8/stats"]["/lab8/stats"]
    except (OSError, ValueError, KeyError):
        return None


def wait_stats(p, cond, timeout=60.0):
    deadline = time.monotonic() + timeout
    last = stats(p)
    while (last is None or not cond(last)) and time.monotonic() < deadline:
        time.sleep(0.3)
        last = stats(p)
    return last


def sources(path):
    with open(path) as f:
        return [line.split()[1] for line in f if line.strip()]


def send_and_count(t, p, what, pcap, srcs, procs, offsets):
    """Sends a pcap; checks every source printed once (output after offsets)."""
    sent = sources(srcs)
    before = stats(p) or {}
    base = before.get("enterprise_packets", 0) + before.get("mobility_packets", 0)
    n = nic_vm.send_pcap(pcap)
    s = wait_stats(p, lambda s: s["enterprise_packets"] + s["mobility_packets"] >= base + n)
    t.check(s is not None and s["enterprise_packets"] + s["mobility_packets"] == base + n,
            f"{what}: the {n} frames sent were all processed", str(s))
    printed = []
    for proc, off in zip(procs, offsets):
        printed += l8.printed_sources(proc.output()[off:])
    counts = collections.Counter(src for _, src in printed if src in set(sent))
    t.check(len(counts) == len(set(sent)) and all(c == 1 for c in counts.values()),
            f"{what}: each of the {len(set(sent))} sources printed exactly once",
            f"{len(counts)} seen, dupes {[k for k, c in counts.items() if c > 1][:5]}")
    roles = collections.Counter(role for role, src in printed if src in set(sent))
    t.check(roles["enterprise"] > 0 and roles["mobility"] > 0,
            f"{what}: RSS fed both roles' queues ({dict(roles)})")
    return roles


def final_counters(text):
    final = dict(re.findall(r"^  (rx queue \d+|enqueued \S+|\S+ +packets) +(\d+)", text, re.M))
    return {" ".join(k.split()): int(v) for k, v in final.items()}


def sase(t, pcap, srcs, teid):
    """5. SASE-DP on the NIC, the rules on the CPU: the NIC's RSS spreads over
    queues 1-3 only (its RETA, reprogrammed by lab 9's reservation), the rules
    put the VPN subnet on queue 0 and GTP-U on queue 2."""
    sent = sase_table.read_sent(srcs)
    policy = sase_table.write_policy(os.path.join(t.workdir, "sase_policy.txt"), sent)
    p = t.prefix("sase")
    prim = primary(t, p, ["--rules", SASE_RULES, "--fallback", "software", "--policy", policy])
    if not l8.started(t, prim, "SASE-DP primary on the NIC (--rules, --fallback software)",
                      START):
        return
    out = prim.output()
    print("$ " + " ".join(prim.argv))
    print("\n".join(line for line in out.splitlines() if line.startswith(
        ("port 0", "flow mode", "validate", "create", "queue 0", "lab8_primary:"))))
    t.check("flow mode: software" in out and out.count("create: OK: flow rule #") == 2 and
            "queue 0 reserved for classified traffic (the NIC's RSS redirection table (RETA) "
            "lists queues 1-3 only" in out,
            "both rules in force on the CPU, the NIC's RETA keeps queue 0 for them", out[-1500:])
    ent = secondary(t, p, "3", "enterprise")
    mob = secondary(t, p, "1", "mobility")
    if not (l8.started(t, ent, "SASE-DP enterprise secondary (ring mode)", START) and
            l8.started(t, mob, "SASE-DP mobility secondary (ring mode)", START)):
        return
    print("$ " + " ".join(ent.argv) + "\n$ " + " ".join(mob.argv))
    n = nic_vm.send_pcap(pcap)
    s = wait_stats(p, lambda s: s["enterprise_packets"] + s["mobility_packets"] >= n, 120)
    print(f"/lab8/stats: {s}")
    for proc, name in ((ent, "enterprise"), (mob, "mobility")):
        t.check(proc.stop(signal.SIGINT, 30) == 0, f"SASE-DP {name} secondary exits 0")
    rows = sase_table.tally(sent, sase_table.read_policy(policy),
                            {"enterprise": ent.output(), "mobility": mob.output()})
    print("\n".join(next((line for line in proc.output().splitlines() if word in line), "")
                    for proc, word in ((mob, "class=gtpu"), (ent, "verdict=allow"))))
    print(f"SASE-DP on the PCI NIC ({n} frames sent), the rules on the CPU:")
    sase_table.print_table(rows)
    for ok, text in sase_table.checks(rows, teid):
        t.check(ok, text)
    ok, text = sase_table.stats_check(s, rows)
    t.check(ok, text, str(s))
    t.check(prim.stop(signal.SIGINT, 30) == 0, "SASE-DP primary exits 0", prim.output()[-600:])
    out = prim.output()
    rules = l8.rule_queue_counters(out)
    rx = final_counters(out)
    print("\n".join(line for line in out.splitlines() if line.startswith(
        ("  rx queue", "  rules' queue", "  dropped by", "queue 0 back"))))
    vpn = rows["enterprise"]["sent"]
    t.check(rx.get("rx queue 0") == 0 and rules.get(0) == ("enterprise", vpn) and
            all(rules[q][0] == ("enterprise" if q < 2 else "mobility") for q in rules) and
            sum(c for _, c in rules.values()) == n,
            f"the NIC put nothing on queue 0, the rules put the {vpn} VPN-subnet packets there "
            f"and nothing else; queues 0-1 enterprise, 2-3 mobility", f"{rules} {rx}")
    t.check("queue 0 back in the plain RSS spread" in out,
            "at exit the NIC's RETA spreads over queues 0-3 again", out[-800:])


def main():
    t = labtest.Test("lab8_nic")
    t.require_hugepages()
    pcaps = sys.argv[1:7:2]
    srcs = sys.argv[2:7:2]
    p = t.prefix()
    prim = primary(t, p)
    if not l8.started(t, prim, f"primary on -a {PCI}", START):
        t.done()
    out = prim.output()
    print("--- the primary said:\n" + out.strip()[-1200:] + "\n---")
    t.check(re.search(r"MBUF_POOL of \d+ mbufs on socket 1", out),
            "MBUF_POOL on socket 1, the NIC's", out[-1500:])
    t.check(re.search(r"port 0 \(net_virtio\) started: 4 rx / 4 tx queues, .* RSS on .* "
                      r"socket 1", out), "port 0 (net_virtio): 4 queues, RSS on, socket 1",
            out[-1500:])

    # 1. Ring mode, the course's --no-pci secondaries.
    ent = secondary(t, p, "3", "enterprise")
    mob = secondary(t, p, "1", "mobility")
    ok = l8.started(t, ent, "enterprise secondary (--no-pci, ring mode)", START)
    ok = l8.started(t, mob, "mobility secondary (--no-pci, ring mode)", START) and ok
    if not ok:
        t.done()
    roles = send_and_count(t, p, "ring mode", pcaps[0], srcs[0], [ent, mob], [0, 0])

    # 2. Direct-queue mode with --no-pci: the port is not in this process.
    bad = secondary(t, p, "0", "enterprise", ["--queues", "0-1"])
    rc = bad.wait(START)
    text = bad.output()
    print(f"--- {' '.join(bad.argv)}\n--- exit {rc}, said:\n{text.strip()[-900:]}\n---")
    t.check(rc not in (None, 0) and not l8.crashed(rc) and f"-a {PCI}" in text and
            "was not probed by this process" in text,
            "direct-queue mode with --no-pci: refused, naming the primary's -a list",
            f"rc={rc}\n{text[-1000:]}")

    # 3. SIGKILL the enterprise secondary; restart it reading queues 0-1 itself.
    ent.kill()
    t.check(prim.wait_for("died without detaching", 10), "primary notices the SIGKILL",
            prim.output()[-800:])
    direct = secondary(t, p, "3", "enterprise", ["--queues", "0-1"], pci=True)
    l8.started(t, direct, "enterprise secondary restarted with -a PCI --queues 0-1", START)
    t.check(prim.wait_for("queues 0-1 handed to enterprise", 30),
            "primary hands queues 0-1 of the PCI port over", prim.output()[-800:])
    t.check("port 0 queues 0-1 directly" in direct.output(), "it reads queues 0-1 itself",
            direct.output()[-600:])
    off_mob = len(mob.output())
    before = stats(p) or {}
    droles = send_and_count(t, p, "direct-queue mode", pcaps[1], srcs[1], [direct, mob],
                            [0, off_mob])
    after = stats(p) or {}
    t.check(after.get("enqueued", -1) - before.get("enqueued", 0) == droles["mobility"],
            "direct-queue mode: only queues 2-3 went through the primary's rings",
            f"enqueued {before.get('enqueued')} -> {after.get('enqueued')}, {dict(droles)}")

    # 4. SIGKILL the primary: both secondaries stop and say why.
    prim.kill()
    for sec, name in ((direct, "enterprise"), (mob, "mobility")):
        rc = sec.wait(30)
        t.check(rc == 3 and "the primary is" in sec.output(),
                f"primary SIGKILLed: the {name} secondary exits 3 and says why",
                f"rc={rc}\n{sec.output()[-600:]}")
    labtest.remove_prefix(p)
    p2 = t.prefix("again")
    prim2 = primary(t, p2)
    if not l8.started(t, prim2, "a new primary on the same NIC", START):
        t.done()
    ent2 = secondary(t, p2, "3", "enterprise")
    mob2 = secondary(t, p2, "1", "mobility")
    if l8.started(t, ent2, "enterprise again", START) and \
            l8.started(t, mob2, "mobility again", START):
        send_and_count(t, p2, "after the primary's restart", pcaps[2], srcs[2], [ent2, mob2],
                       [0, 0])
    for proc, name in ((ent2, "enterprise"), (mob2, "mobility")):
        t.check(proc.stop(signal.SIGINT, 30) == 0, f"{name} secondary exits 0 on SIGINT")
    t.check(prim2.stop(signal.SIGINT, 30) == 0, "primary exits 0 on SIGINT")
    final = final_counters(prim2.output())
    print(f"primary's counters: {final}; first run's roles: {dict(roles)}")
    rx = [final.get(f"rx queue {q}", 0) for q in range(4)]
    t.check(final.get("enqueued RX_TO_ENTERPRISE") == rx[0] + rx[1] and
            final.get("enqueued RX_TO_MOBILITY") == rx[2] + rx[3],
            "each queue's packets went to its role's ring (0-1 enterprise, 2-3 mobility)",
            str(final))
    labtest.remove_prefix(p2)

    # 5. SASE-DP on the NIC.
    sase(t, sys.argv[7], sys.argv[8], int(sys.argv[9]))
    t.done()


if __name__ == "__main__":
    main()
