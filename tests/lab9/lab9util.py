# SPDX-License-Identifier: BSD-3-Clause
"""Drives lab9_flow_classifier's prompt through a pipe and reads its matrix."""

import re
import subprocess
import time

import labtest

PROG = "lab9_flow_classifier"
# The matrix's columns: common/lab_pkt's classes, in their order.
CLASSES = ["https", "http", "dns", "spoofed", "voip", "arp", "vxlan", "gtpu", "other",
           "malformed"]
MIX = "https=100,http=100,dns=100,spoofed=50"
HTTPS_RULE = ("ingress priority 1 pattern eth / ipv4 / tcp dst is 443 / end "
              "actions queue index 0 / end")
DROP_RULE = ("ingress priority 0 pattern eth / ipv4 src spec 10.0.0.0 src mask 255.0.0.0 / "
             "end actions drop / end")


def gen_traffic(t, dest_args, seed=1, mix=MIX, edge=True, timeout=120):
    args = ["--mix", mix, "--seed", str(seed)] + dest_args
    return labtest.gen_traffic(t, args + (["--edge-addresses"] if edge else []), timeout)


def expected_classes(sent):
    """Classifier classes of a gen_traffic mix: 'edge' packets are TCP/80, i.e. http."""
    exp = {c: 0 for c in CLASSES}
    for k, v in sent.items():
        if k in exp:
            exp[k] += v
        elif k == "edge":
            exp["http"] += v
    return exp


def parse_matrix(text):
    """The last matrix printed in text: ({queue: {class: n}}, rx_total) or (None, None)."""
    start = text.rfind("queue     https")
    if start < 0:
        return None, None
    rows = {}
    total = None
    for line in text[start:].splitlines()[1:]:
        parts = line.split()
        if parts and parts[0].isdigit() and len(parts) > len(CLASSES):
            rows[int(parts[0])] = dict(zip(CLASSES, map(int, parts[1:len(CLASSES) + 1])))
        m = re.match(r"rx_total=(\d+)", line)
        if m:
            total = int(m.group(1))
            break
    return rows, total


class Classifier:
    """lab9_flow_classifier --interactive, fed through a pipe."""

    def __init__(self, t, eal_args, app_args=()):
        self.t = t
        self.proc = t.dpdk(PROG, eal_args, app=["--interactive"] + list(app_args),
                           stdin=subprocess.PIPE)

    def output(self):
        return self.proc.output()

    def ready(self, timeout=20):
        return self.proc.wait_for("ready:", timeout)

    def cmd(self, line, wait=None, timeout=10):
        """Send a prompt line; wait for text appearing after it, if given."""
        return self.proc.send(line, wait, timeout)

    def matrix(self):
        out = self.cmd("show matrix", wait="rx_total=")
        return parse_matrix(out)

    def wait_total(self, n, timeout=10):
        """Poll the matrix until rx_total reaches n (or stays short at timeout)."""
        deadline = time.monotonic() + timeout
        rows, total = self.matrix()
        while (total or 0) < n and time.monotonic() < deadline:
            time.sleep(0.2)
            rows, total = self.matrix()
        # Let stragglers show up: a count above n is a failure worth seeing.
        time.sleep(0.3)
        return self.matrix()

    def quit(self, timeout=15):
        self.proc.send("quit")
        return self.proc.wait(timeout)


def class_total(rows, cls):
    return sum(r[cls] for r in rows.values()) if rows else 0


def queues_with(rows, cls):
    return [q for q, r in (rows or {}).items() if r[cls] > 0]


def check_no_rules(t, tag, rows, total, sent):
    exp = expected_classes(sent)
    t.check(rows is not None, f"{tag}: matrix printed")
    for cls in ("https", "http", "dns"):
        t.check(len(queues_with(rows, cls)) > 1, f"{tag}: {cls} spread over more than one queue",
                f"rows={rows}")
        t.check(class_total(rows, cls) == exp[cls],
                f"{tag}: {cls} received {class_total(rows, cls)} == sent {exp[cls]}")
    t.check(total == sent["total"], f"{tag}: total {total} == sent {sent['total']}")


def check_rules(t, tag, rows, sent):
    """HTTPS rule + drop rule in force: the checks of the lab."""
    exp = expected_classes(sent)
    rows = rows or {}
    q0 = rows.get(0, {c: 0 for c in CLASSES})
    t.check(class_total(rows, "https") == exp["https"] and q0["https"] == exp["https"],
            f"{tag}: every HTTPS packet on queue 0 ({q0['https']} of {exp['https']})",
            f"rows={rows}")
    t.check(sum(v for c, v in q0.items() if c != "https") == 0,
            f"{tag}: queue 0 carries only HTTPS", f"queue 0: {q0}")
    t.check(class_total(rows, "spoofed") == 0,
            f"{tag}: no packet from 10.0.0.0/8 received ({class_total(rows, 'spoofed')})")
    # The two edge sources (9.255.255.255, 11.0.0.0) are TCP/80: http = 100 + 2.
    t.check(class_total(rows, "http") == exp["http"],
            f"{tag}: edge sources just outside 10/8 received (http {class_total(rows, 'http')}"
            f" == {exp['http']})")
    t.check(class_total(rows, "dns") == exp["dns"], f"{tag}: all DNS received")


ERROR_CASES = [
    ("queue index 4 of 4", "ingress pattern eth / ipv4 / tcp dst is 443 / end "
     "actions queue index 4 / end", "ACTION"),
    ("priority too large", "ingress priority 5000 pattern eth / ipv4 / tcp dst is 443 / end "
     "actions queue index 1 / end", "ATTR_PRIORITY"),
    ("group too large", "ingress group 16 pattern eth / ipv4 / tcp dst is 443 / end "
     "actions queue index 1 / end", "ATTR_GROUP"),
    ("two fate actions", "ingress pattern eth / ipv4 / tcp dst is 443 / end "
     "actions queue index 1 / drop / end", "ACTION"),
]
PORT_MASK_CASE = ("port mask TAP cannot offload", "ingress pattern eth / ipv4 / tcp dst spec 443 "
                  "dst mask 0xff00 / end actions queue index 1 / end", "ITEM")


def check_errors(t, tag, cl, cases):
    for name, rule, etype in cases:
        out = cl.cmd("flow create 0 " + rule, wait="lab9>")
        t.check("FAILED" in out and f"rte_flow_error {etype}" in out and "concerns" in out,
                f"{tag}: {name} refused with type {etype}, message and the part",
                out.strip())
        lst = cl.cmd("flow list", wait="rule(s);")
        t.check("0 rule(s)" in lst, f"{tag}: nothing left installed after '{name}'",
                lst.strip())
