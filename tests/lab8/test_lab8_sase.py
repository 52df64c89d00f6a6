#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8, SASE-DP anywhere: lab8_primary --rxq 8 --rules sase.rules --fallback
software --policy FILE on net_pcap, ring-mode secondaries. The rules (lab 9's
code, run on the CPU in the primary) put the enterprise VPN subnet on queue 0
and GTP-U on queue 4: every enterprise-subnet packet must reach the
enterprise secondary only, every GTP-U packet the mobility secondary only,
with its TEID; the verdicts equal the policy applied to what the enterprise
secondary got (scripts/sase_table.py's checks). The primary's per-queue
counters agree. A bad --rules line, a rule the classifier refuses, --fallback
without --rules and a port without rte_flow stop the start with lab 9's
message and a non-zero exit, and leave the prefix usable by the next primary;
a direct-queue secondary is refused (it would bypass the rules)."""

import os
import signal
import sys

import labtest
import lab8common as l8

sys.path.insert(0, os.path.join(labtest.source_dir(), "scripts"))
import sase_table  # noqa: E402

RULES = os.path.join(labtest.source_dir(), "lab8_multiprocess", "sase.rules")
TEID = 4321

t = labtest.Test("lab8_sase")
t.require_root()
t.require_hugepages()

pcap = os.path.join(t.workdir, "sase.pcap")
srcs = os.path.join(t.workdir, "sase.src")
labtest.gen_traffic(t, ["--pcap", pcap, "--mix", "enterprise=40,gtpu=30,https=30,dns=20,arp=3",
                        "--seed", "14", "--teid", str(TEID), "--src-list", srcs])
sent = sase_table.read_sent(srcs)
ent_srcs = [src for cls, src in sent if cls == "enterprise"]
policy = sase_table.write_policy(os.path.join(t.workdir, "policy.txt"), sent)
# Two rx_pcap files: the port has 2 rx queues, the rules choose among 8 virtual ones.
files = l8.split_pcap(t, pcap, 2)
app = ["--no-status", "--rxq", "8", "--rules", RULES, "--fallback", "software",
       "--policy", policy]

p = t.prefix()
prim = l8.primary(t, p, l8.pcap_vdev(files), app=app)
if not l8.started(t, prim, "primary with --rules --fallback software"):
    t.done()
out = prim.output()
t.check(out.count("create: OK: flow rule #") == 2 and
        "2 rule(s) from" in out and "queues 0-3 -> enterprise, 4-7 -> mobility" in out and
        "8 virtual rx queues (0-3 -> RX_TO_ENTERPRISE, 4-7 -> RX_TO_MOBILITY)" in out,
        "the primary creates both rules (lab 9's messages) and splits 8 virtual queues 0-3/4-7",
        out[-1500:])
ent = l8.secondary(t, p, "1", "enterprise")
mob = l8.secondary(t, p, "2@1", "mobility")
l8.started(t, ent, "enterprise secondary (ring mode)")
l8.started(t, mob, "mobility secondary (ring mode)")
s = l8.wait_stats(p, lambda s: s["enterprise_packets"] + s["mobility_packets"] >= len(sent))
t.check(ent.stop(signal.SIGINT) == 0 and mob.stop(signal.SIGINT) == 0, "secondaries exit 0")
rows = sase_table.tally(sent, sase_table.read_policy(policy),
                        {"enterprise": ent.output(), "mobility": mob.output()})
for ok, text in sase_table.checks(rows, TEID):
    t.check(ok, text, "\n".join(f"{c}: {dict(r['seen'])} {dict(r['verdicts'])}"
                                for c, r in rows.items()))
ok, text = sase_table.stats_check(s, rows)
t.check(ok, text, str(s))
t.check(prim.stop(signal.SIGINT) == 0, "primary exits 0")
final = l8.rule_queue_counters(prim.output())
t.check(len(final) == 8 and final[0][1] >= len(ent_srcs) and final[4][1] >= rows["gtpu"]["sent"]
        and all(final[q][0] == ("enterprise" if q < 4 else "mobility") for q in final) and
        sum(n for _, n in final.values()) == len(sent),
        "final counters: 8 rules' queues, 0-3 enterprise, 4-7 mobility, queue 0 holds the VPN "
        "subnet and queue 4 the GTP-U packets, every packet counted once", final)

# Refused starts: lab 9's message, a non-zero exit, nothing left running.
bad_rules = os.path.join(t.workdir, "bad.rules")
with open(bad_rules, "w") as f:
    f.write("# ok\ningress pattern eth / ipv4 / udp dst is 2152 / end actions queue index 4 "
            "/ end\ningress pattern eth / ipv4 src is 172.16.0.1 / end actions qeue index 0 "
            "/ end\n")
far_rules = os.path.join(t.workdir, "far.rules")
with open(far_rules, "w") as f:
    f.write("ingress pattern eth / ipv4 / end actions queue index 9 / end\n")
bad_cases = [
    ("syntax error", ["--rxq", "8", "--rules", bad_rules, "--fallback", "software"],
     [f"{bad_rules}:3", "qeue", f"{bad_rules}:3: rule refused; stopping", "not starting"]),
    ("a queue past --rxq", ["--rxq", "8", "--rules", far_rules, "--fallback", "software"],
     ["validate: FAILED", f"{far_rules}:1: rule refused; stopping"]),
    ("no rte_flow, no fallback", ["--rxq", "2", "--rules", RULES],
     ["has no rte_flow support", "run with --fallback software"]),
    ("--fallback without --rules", ["--fallback", "software"], ["give --rules too"]),
    ("bad --fallback word", ["--rules", RULES, "--fallback", "cpu"],
     ["--fallback: 'cpu' is not 'software' or 'none'"]),
]
bp_prefix = t.prefix("bad")
for what, args, words in bad_cases:
    bp = l8.primary(t, bp_prefix, l8.pcap_vdev(files), app=["--no-status"] + args)
    rc = bp.wait(20)
    t.check(rc not in (None, 0) and not l8.crashed(rc) and all(w in bp.output() for w in words),
            f"--rules, {what}: refused ({', '.join(words)}), exit {rc}", bp.output()[-900:])
# The same prefix at once: no process and no rule left behind by the refused starts.
# On net_null, whose port a secondary can probe too (a secondary's net_pcap gets the
# primary's devargs cut short when the paths are long).
ok = l8.primary(t, bp_prefix, "net_null0", app=app)
t.check(ok.wait_for("Ctrl-C to stop", 15), "after the refused starts, a primary starts on the "
        "same prefix", ok.output()[-600:])
direct = l8.secondary(t, bp_prefix, "3@1", "enterprise", ["--queues", "0-0", "--quiet"])
rc = direct.wait(15)
t.check(rc not in (None, 0) and not l8.crashed(rc) and
        ok.wait_for("the rules run in the primary", 5),
        "a direct-queue secondary is refused: its rx_burst would bypass the rules",
        f"rc={rc}\n{direct.output()[-400:]}\n{ok.output()[-400:]}")
t.check(ok.stop(signal.SIGINT) == 0, "that primary exits 0", ok.output()[-300:])
t.done()
