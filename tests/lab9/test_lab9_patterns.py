#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 9, step 8: the course's six flow rule patterns
(lab9_rte_flow/course_patterns.rules) on the software path, 8 virtual queues,
with traffic from gen_traffic.py: each row's class lands on its queue and only
there, 1.2.3.4 is dropped and nothing else is, the ARP COUNT read with
'flow query' equals the ARP packets sent, every HTTPS packet is marked 1 and
spread over more than one queue, and a query of an unknown rule or of a rule
without COUNT is a clear error."""
import json
import os
import re

import labtest
import lab9util as u

MIX = "https=40,http=20,dns=20,voip=30,arp=20,vxlan=25,gtpu=35,blocked=15"
# Rule ids in the order of the file: drop, voip, arp, vxlan, gtpu, https.
ROWS = {"voip": 2, "arp": 0, "vxlan": 3, "gtpu": 4}
ARP_RULE = 2


def marks(text):
    """{queue: (marked, mark id or None)} from a printed matrix."""
    out = {}
    for line in text[text.rfind("queue     https"):].splitlines()[1:]:
        parts = line.split()
        if parts and parts[0].isdigit() and len(parts) > len(u.CLASSES) + 2:
            m = re.search(r"\(mark (\d+)\)", line)
            out[int(parts[0])] = (int(parts[len(u.CLASSES) + 2]), m and int(m.group(1)))
    return out


def main():
    t = labtest.Test("lab9_patterns")
    t.require_hugepages()
    rules = os.path.join(labtest.source_dir(), "lab9_rte_flow", "course_patterns.rules")
    pcap = os.path.join(t.workdir, "p8.pcap")
    report = os.path.join(t.workdir, "p8.json")
    sent = u.gen_traffic(t, ["--pcap", pcap], seed=31, mix=MIX, edge=False)
    expect_rx = sent["total"] - sent["blocked"]

    eal = t.eal("0-1", t.prefix("p8"), vdevs=[f"net_pcap0,rx_pcap={pcap},tx_pcap=/dev/null"])
    cl = u.Classifier(t, eal, ["--fallback", "software", "--rxq", "8", "--rules", rules,
                               "--report", report])
    t.check(cl.ready(), "patterns: the six rules created, classifier ready", cl.output()[-1500:])
    rows, total = cl.wait_total(expect_rx)
    t.check(rows is not None and len(rows) == 8, "patterns: 8 (virtual) queues in the matrix",
            str(rows))
    rows = rows or {}

    for cls, queue in ROWS.items():
        where = {q: r[cls] for q, r in rows.items() if r[cls]}
        t.check(where == {queue: sent[cls]}, f"patterns: every {cls} packet on queue {queue}, "
                "and only there", f"{cls} on {where}, sent {sent[cls]}")
    t.check(total == expect_rx and u.class_total(rows, "http") == sent["http"],
            "patterns: the 1.2.3.4 packets are dropped, nothing else is",
            f"rx_total={total}, expected {expect_rx}; http {u.class_total(rows, 'http')}"
            f" of {sent['http']}")
    out = cl.cmd("show matrix", wait="rx_total=")
    mk = marks(out)
    https = {q: r["https"] for q, r in rows.items() if r["https"]}
    t.check(u.class_total(rows, "https") == sent["https"] and len(https) > 1,
            "patterns: HTTPS spread by RSS over more than one queue", str(https))
    t.check(all(mk.get(q) == (n, 1) for q, n in https.items()) and
            sum(n for n, _ in mk.values()) == sent["https"],
            "patterns: every HTTPS packet marked 1, nothing else marked", f"marks {mk}")

    out = cl.cmd(f"flow query {ARP_RULE} count", wait="lab9>")
    t.check(f"COUNT: flow rule #{ARP_RULE}: hits {sent['arp']}" in out,
            f"patterns: 'flow query {ARP_RULE} count' reads the {sent['arp']} ARP packets", out)
    out = cl.cmd(f"flow query 0 {ARP_RULE} count", wait="lab9>")
    t.check(f"hits {sent['arp']}" in out, "patterns: testpmd's 'flow query 0 ID count' too", out)
    out = cl.cmd("flow query 9 count", wait="lab9>")
    t.check("query: no flow rule #9" in out, "patterns: query of an unknown id is refused", out)
    out = cl.cmd("flow query 1 count", wait="lab9>")
    t.check("has no COUNT action" in out, "patterns: query of a rule without COUNT is refused",
            out)
    out = cl.cmd("flow query 1 bytes", wait="lab9>")
    t.check("expected 'flow query ID count'" in out, "patterns: only COUNT can be queried", out)
    t.check(cl.quit() == 0, "patterns: quit exits 0")

    try:
        with open(report) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        rep = {}
        t.check(False, "patterns: report is valid JSON", str(e))
    counts = [r.get("count") for r in rep.get("rules", [])]
    t.check(counts == [None, None, sent["arp"], None, None, None],
            "patterns: report rules carry the ARP count, null for rules without COUNT",
            str(rep.get("rules")))
    t.check(rep.get("checks") == [], "patterns: no built-in steps 5-6 checks for these rules",
            str(rep.get("checks")))
    t.done()


if __name__ == "__main__":
    main()
