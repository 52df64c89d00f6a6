#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 9, software fallback on net_pcap (no flow support): the same rules
applied on the CPU, queues virtual. Every bullet of the issue's test list."""
import json
import os
import time

import labtest
import lab9util as u


def pcap_vdev(path, infinite=False):
    v = f"net_pcap0,rx_pcap={path},tx_pcap=/dev/null"
    return v + (",infinite_rx=1" if infinite else "")


def start(t, pcap, tag, app=(), infinite=False):
    eal = t.eal("0-1", t.prefix(tag), vdevs=[pcap_vdev(pcap, infinite)])
    cl = u.Classifier(t, eal, ["--fallback", "software"] + list(app))
    t.check(cl.ready(), f"sw {tag}: classifier ready")
    return cl


def main():
    t = labtest.Test("lab9_sw")
    t.require_hugepages()
    pcap = os.path.join(t.workdir, "mix.pcap")
    sent = u.gen_traffic(t, ["--pcap", pcap], seed=21)

    # No rules: the software RSS spreads every class; nothing lost.
    cl = start(t, pcap, "none")
    t.check("has no rte_flow support" in cl.output() and "ENOSYS" in cl.output(),
            "sw: net_pcap's missing flow support is named (ENOSYS)")
    rows, total = cl.wait_total(sent["total"])
    u.check_no_rules(t, "sw no rules", rows, total, sent)
    t.check(cl.quit() == 0, "sw none: quit exits 0")

    # HTTPS rule then drop rule, from --rule; the report as the issue shows it.
    report = os.path.join(t.workdir, "sw.json")
    cl = start(t, pcap, "rules", ["--rule", u.HTTPS_RULE, "--rule", u.DROP_RULE,
                                  "--report", report])
    exp_total = sent["total"] - sent["spoofed"]
    rows, total = cl.wait_total(exp_total)
    u.check_rules(t, "sw https+drop", rows, sent)
    t.check(total == exp_total, f"sw https+drop: received {total} == {exp_total}")
    out = cl.output()
    t.check("cycles/packet" in out, "sw: classification cost in cycles/packet shown")
    cl.proc.signal(2)  # SIGINT: the report must be written on the way out
    t.check(cl.proc.wait(15) == 0, "sw: SIGINT ends the program with status 0")
    try:
        with open(report) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        rep = {}
        t.check(False, "sw: report is valid JSON", str(e))
    t.check(list(rep.keys()) == ["flow_mode", "rules", "queues", "rx_total", "checks",
                                 "port_rx_queues", "reta_queues", "reserve"],
            f"sw: report keys as in the issue, then the port's own ({list(rep.keys())})")
    t.check(rep.get("reta_queues") is None and
            rep.get("port_rx_queues", [0])[0] == sent["total"],
            "sw: net_pcap has no RETA; its one rx queue got every packet",
            f"{rep.get('port_rx_queues')} {rep.get('reta_queues')}")
    t.check(rep.get("flow_mode") == "software", "sw: report says flow_mode software")
    t.check(rep.get("rules") == [{"id": 0, "rule": u.HTTPS_RULE, "count": None},
                                 {"id": 1, "rule": u.DROP_RULE, "count": None}],
            "sw: report lists the rules, with no count (they have no COUNT action)",
            str(rep.get("rules")))
    t.check(rep.get("rx_total") == exp_total, "sw: report rx_total matches")
    q = rep.get("queues", [{}])
    t.check(len(q) == 4 and q[0].get("https") == sent["https"] and
            set(q[0].keys()) == {"queue"} | set(u.CLASSES),
            "sw: report queue 0 holds every HTTPS packet, keys per class")
    t.check(all(c.get("pass") for c in rep.get("checks", [])) and len(rep.get("checks", [])) == 3,
            "sw: the three checks PASS in the report")

    # Priority: drop created first this time; spoofed TCP/443 still dropped.
    report2 = os.path.join(t.workdir, "sw2.json")
    cl = start(t, pcap, "prio", ["--rule", u.DROP_RULE, "--rule", u.HTTPS_RULE,
                                 "--report", report2])
    rows, total = cl.wait_total(exp_total)
    t.check(u.class_total(rows, "spoofed") == 0 and rows[0]["https"] == sent["https"],
            "sw priority: spoofed to 443 dropped whichever order the rules were created",
            f"rows={rows}")
    cl.proc.signal(15)
    t.check(cl.proc.wait(15) == 0 and os.path.exists(report2),
            "sw: SIGTERM ends the program and writes the report")

    # Tunnel and VLAN items: VXLAN VNI and GTP-U TEID pick their packets only.
    tun = os.path.join(t.workdir, "tun.pcap")
    tsent = u.gen_traffic(t, ["--pcap", tun, "--vni", "42", "--teid", "99"], seed=22,
                          mix="vxlan=20,gtpu=30,https=10", edge=False)
    cl = start(t, tun, "tun", [
        "--rule", "ingress pattern eth / ipv4 / udp / vxlan vni is 43 / end "
                  "actions queue index 1 / end",
        "--rule", "ingress pattern eth / ipv4 / udp / vxlan vni is 42 / end "
                  "actions queue index 3 / end",
        "--rule", "ingress pattern eth / ipv4 / udp dst is 2152 / gtpu teid is 99 / end "
                  "actions queue index 2 / end",
        "--rule", u.HTTPS_RULE])
    rows, total = cl.wait_total(tsent["total"])
    t.check(rows and rows[3]["vxlan"] == tsent["vxlan"] and rows[2]["gtpu"] == tsent["gtpu"]
            and rows[1]["vxlan"] == 0 and rows[0]["https"] == tsent["https"],
            "sw items: VNI 42 -> queue 3 (not the VNI 43 rule), TEID 99 -> queue 2",
            f"rows={rows}")
    cl.quit()
    vl = os.path.join(t.workdir, "vlan.pcap")
    vsent = u.gen_traffic(t, ["--pcap", vl, "--vlan", "10"], seed=23, mix="https=20,dns=20",
                          edge=False)
    cl = start(t, vl, "vlan", [
        "--rule", "ingress pattern eth / vlan vid is 11 / end actions queue index 1 / end",
        "--rule", "ingress pattern eth / vlan vid is 10 / ipv4 / udp dst is 53 / end "
                  "actions queue index 2 / end",
        "--rule", "ingress priority 1 pattern eth / vlan / ipv4 / tcp dst is 443 / end "
                  "actions queue index 0 / end"])
    rows, total = cl.wait_total(vsent["total"])
    t.check(rows and rows[2]["dns"] == vsent["dns"] and rows[0]["https"] == vsent["https"]
            and sum(rows[1].values()) == 0,
            "sw items: VLAN 10 DNS -> queue 2, tagged HTTPS -> queue 0, VLAN 11 rule unused",
            f"rows={rows}")
    cl.quit()

    # Groups and JUMP: group 0 jumps IPv4 to group 1, where TCP/443 goes to queue 0.
    cl = start(t, pcap, "jump", [
        "--rule", "ingress group 0 pattern eth / ipv4 / end actions jump group 1 / end",
        "--rule", "ingress group 1 pattern eth / ipv4 / tcp dst is 443 / end "
                  "actions mark id 7 / queue index 0 / end"])
    rows, total = cl.wait_total(sent["total"])
    out = cl.cmd("show matrix", wait="rx_total=")
    t.check(rows and rows[0]["https"] == sent["https"] and "(mark 7)" in out,
            "sw jump: group 1 reached through JUMP steers and marks HTTPS", out)
    cl.quit()

    # Destroy / recreate / flush, with the pcap replayed forever.
    cl = start(t, pcap, "destroy", infinite=True)
    out = cl.cmd("flow create 0 " + u.HTTPS_RULE, wait="lab9>")
    t.check("create: OK" in out and "reserved" in out, "sw: rule created, queue 0 reserved", out)
    cl.cmd("reset", wait="zeroed")
    time.sleep(0.5)
    rows, _ = cl.matrix()
    t.check(rows and rows[0]["https"] > 0 and rows[0]["http"] + rows[0]["dns"] == 0 and
            len(u.queues_with(rows, "https")) == 1, "sw: with the rule HTTPS only on queue 0",
            f"rows={rows}")
    out = cl.cmd("flow destroy 0", wait="lab9>")
    t.check("destroyed" in out and "back in the plain RSS spread" in out,
            "sw: destroy brings back the plain spread", out)
    cl.cmd("reset", wait="zeroed")
    time.sleep(0.5)
    rows, _ = cl.matrix()
    t.check(len(u.queues_with(rows, "https")) > 1 and rows[0]["http"] + rows[0]["dns"] > 0,
            "sw destroy: HTTPS spread again, queue 0 carries other traffic", f"rows={rows}")
    out = cl.cmd("flow create 0 " + u.HTTPS_RULE, wait="lab9>")
    t.check("create: OK" in out, "sw: recreating the same rule works", out)
    cl.cmd("flow create 0 " + u.DROP_RULE, wait="lab9>")
    out = cl.cmd("flow flush", wait="lab9>")
    t.check("flush: 2 rule(s) destroyed" in out, "sw: flush removes all", out)
    lst = cl.cmd("flow list", wait="rule(s);")
    t.check("0 rule(s)" in lst and "reservation: off" in lst, "sw: nothing left after flush", lst)

    # Errors: the software table refuses what TAP refuses; a CPU matches any mask.
    u.check_errors(t, "sw", cl, u.ERROR_CASES)
    out = cl.cmd("flow create 0 " + u.PORT_MASK_CASE[1], wait="lab9>")
    t.check("create: OK" in out, "sw: a partial port mask is fine on the CPU", out)
    t.check(cl.quit() == 0, "sw destroy: quit exits 0")
    t.done()


if __name__ == "__main__":
    main()
