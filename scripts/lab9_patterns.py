#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 9, step 8: each row of the course's "common flow rule patterns" table
against what lab9_flow_classifier saw (lab9_rte_flow/course_patterns.rules).

    lab9_patterns.py REPORT.json CLASSIFIER.log MIX [ROWS]

REPORT.json is --report, CLASSIFIER.log its output (the matrix's marks), MIX
what gen_traffic.py sent (class=count,...), ROWS the rows installed (1-6,
comma-separated; default all: the software path). Prints one line per row,
PASS or FAIL against the table, or that the row is not on this path; exits 1
if any installed row FAILs. Used by demo-lab9.sh."""

import json
import re
import sys

CLASSES = ["https", "http", "dns", "spoofed", "voip", "arp", "vxlan", "gtpu", "other",
           "malformed"]


def marks(log):
    """{queue: (marked packets, last mark)} from the last matrix in the log."""
    text = log[log.rfind("queue     https"):]
    out = {}
    for line in text.splitlines()[1:]:
        parts = line.split()
        if not parts or not parts[0].isdigit():
            if line.startswith("total"):
                break
            continue
        m = re.search(r"\(mark (\d+)\)", line)
        out[int(parts[0])] = (int(parts[len(CLASSES) + 2]), int(m.group(1)) if m else None)
    return out


def landed(queues, cls):
    """{queue: packets of cls} for the queues that got any."""
    return {q["queue"]: q[cls] for q in queues if q[cls]}


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        rep = json.load(f)
    with open(sys.argv[2]) as f:
        log = f.read()
    sent = {k: int(v) for k, v in (item.split("=") for item in sys.argv[3].split(","))}
    queues = rep["queues"]
    got = {c: sum(q[c] for q in queues) for c in CLASSES}
    arp_rule = [r for r in rep["rules"] if "0x0806" in r["rule"]]
    mk = marks(log)
    https_queues = landed(queues, "https")
    expected_total = sum(sent.values()) - sent.get("blocked", 0)
    rows = [
        ("Drop all traffic from IP", "ETH / IPV4(src=1.2.3.4/32) -> DROP",
         f"{sent['blocked']} from 1.2.3.4 dropped; {got['http']} of {sent['http']} other "
         f"HTTP and {rep['rx_total']} of {expected_total} packets received",
         got["http"] == sent["http"] and rep["rx_total"] == expected_total),
        ("Steer VoIP to a dedicated queue", "UDP(dport=5060) -> QUEUE(index=2)",
         f"voip on {landed(queues, 'voip')}", landed(queues, "voip") == {2: sent["voip"]}),
        ("Count ARP packets", "ETH(type=0x0806) -> COUNT + QUEUE(index=0)",
         f"arp on {landed(queues, 'arp')}, COUNT {arp_rule[0]['count'] if arp_rule else '?'}",
         landed(queues, "arp") == {0: sent["arp"]} and bool(arp_rule) and
         arp_rule[0]["count"] == sent["arp"]),
        ("VXLAN tunnel traffic to a specific queue", "UDP(4789) / VXLAN(vni=100) -> QUEUE(3)",
         f"vxlan on {landed(queues, 'vxlan')}", landed(queues, "vxlan") == {3: sent["vxlan"]}),
        ("GTP-U (5G traffic) to the mobility queue", "UDP(2152) / GTP(teid=1234) -> QUEUE(4)",
         f"gtpu on {landed(queues, 'gtpu')}", landed(queues, "gtpu") == {4: sent["gtpu"]}),
        ("Mark HTTPS (DPI only on marked)", "TCP(dport=443) -> MARK(id=1) + RSS",
         f"https on {https_queues}, marked {sum(n for n, _ in mk.values())} "
         f"(mark {sorted({m for n, m in mk.values() if n})})",
         got["https"] == sent["https"] and len(https_queues) > 1 and
         sum(n for n, _ in mk.values()) == sent["https"] and
         all(mk.get(q, (0, None)) == (n, 1) for q, n in https_queues.items())),
    ]
    installed = ([int(r) for r in sys.argv[4].split(",")] if len(sys.argv) == 5
                 else range(1, len(rows) + 1))
    print(f"{'row':42} {'the course table says':42} result  what was seen")
    failed = 0
    for n, (name, table, seen, ok) in enumerate(rows, 1):
        if n not in installed:
            print(f"{name:42} {table:42} {'-':7} not installed on this path")
            continue
        print(f"{name:42} {table:42} {'PASS' if ok else 'FAIL':7} {seen}")
        failed += not ok
    print(f"step 8: {len(installed) - failed} of {len(installed)} installed rows as the "
          "table says")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
