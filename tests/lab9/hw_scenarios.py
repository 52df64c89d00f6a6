#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 9 in the hardware path: net_tap whose rules become kernel tc flower
filters. Runs where TAP can create rules: natively on a kernel with
sch_multiq/cls_flower/act_skbedit, or inside ./scripts/labenv.sh uml-run.
Traffic: gen_traffic.py --iface on the TAP interface. One classifier process
walks every scenario of the issue's test list, so one boot covers them all.

    hw_scenarios.py [--uml]     (--uml: no hugepages, lcores on one CPU)
    hw_scenarios.py --vm [--sent PCAP]   (inside ./scripts/labenv.sh numa-vm:
                                 hugepages; step 5 only, checked a second way)

--vm: while the HTTPS and drop rules are in the kernel, dpdk-pdump copies
what rte_eth_rx_burst() returns on rx queue 0 alone. The capture must hold
every TCP/443 frame sent from outside 10.0.0.0/8, byte for byte, and nothing
else, and as many frames as the classifier counted on queue 0. Under qemu TCG
Scapy is slow (gen_traffic.py takes ~50 s for 352 frames on a loaded host):
one boot runs this scenario and no other, and --sent takes the frames
write_step5_pcap() wrote outside, where Scapy is fast (else they are made inside).
"""
import argparse
import os
import signal

import labtest
import lab9util as u


STEP5_SEED = 12      # scenario 2, with or without the capture
STEP8_MIX = "https=40,http=20,dns=20,voip=30,arp=20,vxlan=25,gtpu=35,blocked=15"


def patterns_on_tap(t, cl, send):
    """6. Step 8: the course's table of patterns, row by row. The rows TAP takes
    are checked with traffic; the others must be refused with a reason."""
    rules = os.path.join(labtest.source_dir(), "lab9_rte_flow", "course_patterns.rules")
    with open(rules) as f:
        rows = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    t.check(len(rows) == 6, "step 8: the rules file holds the six rows of the course's table")
    cl.cmd("reset", wait="zeroed")
    taken = set()
    for n, row in enumerate(rows, 1):
        out = cl.cmd("flow create 0 " + row, wait="lab9>")
        if "create: OK" in out:
            taken.add(n)
            continue
        hint = ("count" not in row and "mark" not in row) or "TAP's rte_flow has no" in out
        t.check("FAILED" in out and "rte_flow_error" in out and hint,
                f"step 8 row {n}: TAP refuses it and says why", out)
    t.check({1, 2} <= taken, "step 8: TAP takes rows 1 (drop 1.2.3.4) and 2 (VoIP -> 2)",
            f"taken {sorted(taken)}")
    sent = u.gen_traffic(t, send, seed=18, edge=False, mix=STEP8_MIX)
    expect = sent["total"] - (sent["blocked"] if 1 in taken else 0)
    m, total = cl.wait_total(expect)
    if 1 in taken:
        t.check(total == expect and u.class_total(m, "http") == sent["http"],
                "step 8 row 1 on TAP: 1.2.3.4 dropped, nothing else", f"total={total} rows={m}")
    if 2 in taken:
        t.check(u.queues_with(m, "voip") == [2] and m[2]["voip"] == sent["voip"],
                "step 8 row 2 on TAP: every VoIP packet on queue 2 only", f"rows={m}")
    print(f"step 8 on TAP: rows {sorted(taken)} taken, the others run in software "
          "(test lab9_patterns)")
    cl.cmd("flow flush", wait="flush:")


def no_rules(t, cl, send):
    """1. No rules: the kernel's queue selection spreads every class."""
    sent = u.gen_traffic(t, send, seed=11)
    rows, total = cl.wait_total(sent["total"])
    u.check_no_rules(t, "hw no rules", rows, total, sent)


def create_https_and_drop(t, cl):
    cl.cmd("reset", wait="zeroed")
    out = cl.cmd("flow create 0 " + u.HTTPS_RULE, wait="lab9>")
    t.check("validate: OK" in out and "create: OK" in out, "hw: HTTPS rule validated and created",
            out)
    out = cl.cmd("flow create 0 " + u.DROP_RULE, wait="lab9>")
    t.check("create: OK" in out, "hw: drop rule created", out)


def send_with_rules(t, cl, send, seed, timeout=120):
    """Step 5: HTTPS on queue 0 only, 10/8 dropped. Returns the matrix's rows."""
    sent = u.gen_traffic(t, send, seed=seed, timeout=timeout)
    exp_total = sent["total"] - sent["spoofed"]
    rows, total = cl.wait_total(exp_total)
    u.check_rules(t, "hw https+drop", rows, sent)
    t.check(total == exp_total, f"hw https+drop: received {total} == sent minus spoofed "
            f"{exp_total}")
    return rows or {}


def https_and_drop(t, cl, send):
    """2. HTTPS rule, then the drop rule."""
    create_https_and_drop(t, cl)
    send_with_rules(t, cl, send, STEP5_SEED)


def write_step5_pcap(t, path):
    """The frames scenario 2 sends, written to PATH (gen_traffic.py is deterministic)."""
    u.gen_traffic(t, ["--pcap", path], seed=STEP5_SEED)


def https_frames(pcap):
    """The frames of PCAP the two rules put on queue 0: TCP/443 from outside 10.0.0.0/8."""
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether
    keep = []
    for f in labtest.read_frames(pcap):
        pkt = Ether(f)
        if TCP in pkt and pkt[TCP].dport == 443 and not pkt[IP].src.startswith("10."):
            keep.append(f)
    return keep


def https_and_drop_captured(t, cl, send, prefix, want):
    """2 again, with dpdk-pdump on rx queue 0 alone while the rules are in."""
    create_https_and_drop(t, cl)
    pcap = labtest.pdump_file("lab9q0")
    # Lcore 0 is the classifier's prompt, lcore 1 polls the queues.
    pd = labtest.pdump(t, t.eal("0", prefix), f"port=0,queue=0,rx-dev={pcap}")
    if not t.check(pd.wait_for("capture for", 60), "dpdk-pdump attaches to rx queue 0",
                   pd.output()[-800:]):
        return
    # dpdk-pdump polls without rest on CPU 0. Under qemu TCG every busy guest
    # CPU is a busy host thread: Scapy, slow there, shares CPU 0 with it at a
    # higher priority, so the guest keeps one host CPU busy, not two.
    os.setpriority(os.PRIO_PROCESS, pd.pid, 19)
    os.sched_setaffinity(0, {0})
    rows = send_with_rules(t, cl, send, STEP5_SEED, timeout=400)
    rc = pd.stop(signal.SIGINT, 30)
    t.check(rc == 0, "dpdk-pdump exits 0", f"rc={rc}\n" + pd.output()[-600:])
    got = labtest.read_frames(pcap)
    extra = labtest.check_capture(t, "dpdk-pdump, rx queue 0", want, got)
    t.check(extra == 0, "dpdk-pdump, rx queue 0: no other frame in the capture "
            f"({extra} other)")
    q0 = sum(rows.get(0, {}).values())
    t.check(q0 == len(got), f"queue 0's count in the matrix ({q0}) == frames captured "
            f"({len(got)})")
    print(f"dpdk-pdump on rx queue 0: {len(got)} frames, {len(want)} TCP/443 sent, "
          f"queue 0 counted {q0}")


def priority(t, cl, send):
    """3. Priority: the same two rules created the other way round."""
    cl.cmd("flow flush", wait="flush:")
    cl.cmd("reset", wait="zeroed")
    cl.cmd("flow create 0 " + u.DROP_RULE, wait="lab9>")
    out = cl.cmd("flow create 0 " + u.HTTPS_RULE, wait="lab9>")
    t.check("create: OK" in out, "hw: rules created in the other order", out)
    sent = u.gen_traffic(t, send, seed=13)
    rows, total = cl.wait_total(sent["total"] - sent["spoofed"])
    t.check(u.class_total(rows, "spoofed") == 0,
            "hw priority: spoofed packets to 443 dropped whichever order (drop first)")
    t.check(rows and rows[0]["https"] == sent["https"], "hw priority: HTTPS still on queue 0")


def destroy_and_flush(t, cl, send):
    """4. Destroy: the spread comes back; the same rule can be created again; flush."""
    lst = cl.cmd("flow list", wait="rule(s);")
    out = cl.cmd("flow destroy 0", wait="lab9>") + cl.cmd("flow destroy 1", wait="lab9>")
    t.check(out.count("destroyed") == 2, "hw: both rules destroyed", lst + out)
    t.check("back in the plain RSS spread" in out, "hw: catch-all rules removed with the last rule",
            out)
    cl.cmd("reset", wait="zeroed")
    sent = u.gen_traffic(t, send, seed=14)
    rows, total = cl.wait_total(sent["total"])
    t.check(len(u.queues_with(rows, "https")) > 1, "hw destroy: HTTPS spread again",
            f"rows={rows}")
    t.check(rows and rows[0]["http"] + rows[0]["dns"] > 0,
            "hw destroy: queue 0 carries other traffic again", f"rows={rows}")
    t.check(u.class_total(rows, "spoofed") == sent["spoofed"], "hw destroy: spoofed received again")
    out = cl.cmd("flow create 0 " + u.HTTPS_RULE, wait="lab9>")
    t.check("create: OK" in out, "hw: recreating the destroyed rule works", out)
    cl.cmd("reset", wait="zeroed")
    # Without spoofed packets: those are TCP/443 too, and this rule alone takes them.
    sent = u.gen_traffic(t, send, seed=15, edge=False, mix="https=100,http=100,dns=100")
    rows, total = cl.wait_total(sent["total"])
    t.check(rows and rows[0]["https"] == sent["https"] and
            sum(rows[0].values()) == sent["https"], "hw: recreated rule steers HTTPS again",
            f"rows={rows}")
    cl.cmd("flow create 0 " + u.DROP_RULE, wait="lab9>")
    out = cl.cmd("flow flush", wait="lab9>")
    t.check("flush: 2 rule(s) destroyed" in out, "hw: flush removes all", out)
    lst = cl.cmd("flow list", wait="rule(s);")
    t.check("0 rule(s)" in lst and "reservation: off" in lst, "hw: nothing left after flush", lst)


def errors(t, cl, send):
    """5. Errors: refused, named, and nothing left installed."""
    u.check_errors(t, "hw", cl, u.ERROR_CASES + [u.PORT_MASK_CASE])
    out = cl.cmd("flow validate 0 " + u.PORT_MASK_CASE[1], wait="lab9>")
    t.check("validate: OK" in out,
            "hw: TAP's validate accepts the port mask that create then refuses", out)


def parse_args():
    ap = argparse.ArgumentParser(description="lab 9's hardware scenarios on net_tap")
    ap.add_argument("--uml", action="store_true", help="in UML: no hugepages, one CPU")
    ap.add_argument("--vm", action="store_true",
                    help="in labenv.sh numa-vm: step 5 only, with dpdk-pdump on rx queue 0")
    ap.add_argument("--sent", metavar="PCAP", help="with --vm: scenario 2's frames, written "
                    "by write_step5_pcap() (default: written here, slowly under TCG)")
    return ap.parse_args()


def main():
    args = parse_args()
    uml, vm = args.uml, args.vm
    t = labtest.Test("lab9_hw")
    t.require_root()
    iface = "dtap9" if uml else f"l9t{os.getpid() % 100000}"
    extra = ["--no-huge", "-m", "256"] if uml else []
    if vm:
        extra.append(labtest.BASE_VIRTADDR)  # dpdk-pdump attaches: memory where it can map it
    if not uml:
        t.require_hugepages()
    want = None
    if vm:
        # Scapy runs before DPDK spins on the CPUs.
        pcap = args.sent or os.path.join(t.workdir, f"sent{STEP5_SEED}.pcap")
        if not args.sent:
            write_step5_pcap(t, pcap)
        want = https_frames(pcap)
    lcores = "0@0,1@0" if uml else "0-1"
    p = t.prefix()
    eal = t.eal(lcores, p, vdevs=[f"net_tap0,iface={iface}"], extra=extra)
    cl = u.Classifier(t, eal, ["--report", os.path.join(t.workdir, "hw.json")])
    if not t.check(cl.ready(60 if vm else 20), "classifier ready on net_tap"):
        t.done()
    out = cl.output()
    if "flow mode: hardware" not in out:
        t.skip("TAP cannot create flow rules on this kernel:\n" + out[-1500:])
    t.check("catch-all" in out, "TAP: says queue 0 is kept free by catch-all rules")
    up = t.run([os.path.join(labtest.source_dir(), "scripts", "labenv.sh"), "tap-up", iface])
    t.check(up.returncode == 0, f"tap-up {iface}", up.stderr)
    send = ["--iface", iface]

    if vm:
        https_and_drop_captured(t, cl, send, p, want)
    else:
        for scenario in (no_rules, https_and_drop, priority, destroy_and_flush, errors,
                         patterns_on_tap):
            scenario(t, cl, send)

    rc = cl.quit()
    t.check(rc == 0, f"classifier exits 0 at quit (rc={rc})")
    t.check(os.path.exists(os.path.join(t.workdir, "hw.json")), "report written at quit")
    t.done()


if __name__ == "__main__":
    main()
