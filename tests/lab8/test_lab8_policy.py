#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8, SASE-DP policy and 5G traffic: --policy FILE becomes the rte_hash
FLOW_TABLE in the primary; the enterprise secondary finds it by name and looks
up every IPv4 source. The verdict counts (printed lines, exit counters,
/lab8/stats) equal the policy applied to what gen_traffic.py sent. The
secondary is another executable than the primary and runs with ASLR: a lookup
through the table's own hash function pointer (rte_hash_lookup) would land in
the secondary's memory at the primary's address; this test would see that as
a crash or as wrong verdicts. GTP-U packets are printed with their TEID and
counted in gtpu_packets. Bad policy lines are refused with their number."""

import os
import signal

import labtest
import lab8common as l8

t = labtest.Test("lab8_policy")
t.require_root()
t.require_hugepages()
with open("/proc/sys/kernel/randomize_va_space") as f:
    aslr = f.read().strip()
t.check(aslr != "0", f"ASLR is on (randomize_va_space={aslr}): executables and libraries "
        "are mapped at different addresses in each process")

pcap, sent, total = l8.gen_traffic(t, "https=60,http=60,dns=60,gtpu=30", seed=41)
queues = l8.per_queue(sent)
files = l8.split_pcap(t, pcap)
ent_sent = [src for _, src in queues[0] + queues[1]]
# A third of the enterprise sources allowed, a third denied, the rest not listed.
allow, deny = set(ent_sent[0::3]), set(ent_sent[1::3]) - set(ent_sent[0::3])
expect = {"allow": sum(s in allow for s in ent_sent), "deny": sum(s in deny for s in ent_sent)}
expect["miss"] = len(ent_sent) - expect["allow"] - expect["deny"]
policy = os.path.join(t.workdir, "policy.txt")
with open(policy, "w") as f:
    f.write("# SASE-DP policy for the test\n\n")
    f.writelines(f"{a} allow\n" for a in sorted(allow))
    f.writelines(f"{a} deny  # a comment after the verdict\n" for a in sorted(deny))

p = t.prefix()
prim = l8.primary(t, p, l8.pcap_vdev(files), app=["--no-status", "--policy", policy])
if not l8.started(t, prim, "primary with --policy"):
    t.done()
t.check(f"FLOW_TABLE: {len(allow) + len(deny)} address(es) from {policy}" in prim.output(),
        "the primary says how many addresses FLOW_TABLE holds", prim.output()[-600:])
ent = l8.secondary(t, p, "1", "enterprise")
mob = l8.secondary(t, p, "2@1", "mobility")
l8.started(t, ent, "enterprise")
l8.started(t, mob, "mobility")
t.check("FLOW_TABLE found by name" in ent.output(), "the enterprise secondary finds FLOW_TABLE",
        ent.output()[-600:])
s = l8.wait_stats(p, lambda s: s["enterprise_packets"] + s["mobility_packets"] >= total)
t.check(s is not None and s.get("policy_allow") == expect["allow"] and
        s.get("policy_deny") == expect["deny"] and s.get("policy_miss") == expect["miss"],
        f"/lab8/stats: policy_allow/deny/miss = {expect['allow']}/{expect['deny']}/"
        f"{expect['miss']}", str(s))
rc = ent.stop(signal.SIGINT)
t.check(rc == 0 and not l8.crashed(rc), f"the enterprise secondary exits 0 (rc={rc})",
        ent.output()[-800:])
out = ent.output()
lines = [line for line in out.splitlines() if line.startswith("enterprise: src=")]
want = {src: "allow" if src in allow else "deny" if src in deny else "miss" for src in ent_sent}
seen = {}
for line in lines:
    fields = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
    seen.setdefault(fields["src"], set()).add(fields.get("verdict"))
t.check(len(lines) == len(ent_sent) and all(seen.get(src) == {v} for src, v in want.items()),
        "every printed enterprise line carries the policy's verdict for its source",
        "\n".join(lines[:8]))
t.check(f"FLOW_TABLE verdicts: {expect['allow']} allow, {expect['deny']} deny, "
        f"{expect['miss']} miss" in out, "the secondary's exit counters agree", out[-500:])
t.check(s is not None and s.get("gtpu_packets") == sum(c == "gtpu" for c, _ in sent),
        "/lab8/stats: gtpu_packets = the GTP-U packets sent", str(s))
t.check(mob.stop(signal.SIGINT) == 0 and "verdict=" not in mob.output(),
        "the mobility secondary does not use the policy")
gtp_lines = [line for line in (out + mob.output()).splitlines()
             if line.startswith(("enterprise: src=", "mobility: src=")) and "class=gtpu" in line]
t.check(len(gtp_lines) == sum(c == "gtpu" for c, _ in sent) and
        all(" teid=1234" in line for line in gtp_lines),
        "every GTP-U line carries its TEID (teid=1234, gen_traffic.py's default)",
        "\n".join(gtp_lines[:4]))
t.check(prim.stop(signal.SIGINT) == 0, "primary exits 0")

# Bad lines: refused with the line number and what is wrong, nothing left running.
bad_cases = [("10.0.0.300 allow\n", "is not an IPv4 address"),
             ("10.0.0.1 permit\n", "is not 'allow' or 'deny'"),
             ("10.0.0.1\n", "got one word"),
             ("10.0.0.1 allow now\n", "got more after the verdict"),
             ("10.0.0.1 allow\n10.0.0.1 deny\n", "listed twice")]
for n, (text, why) in enumerate(bad_cases):
    bad = os.path.join(t.workdir, f"bad{n}.txt")
    with open(bad, "w") as f:
        f.write("# ok\n" + text)
    line = text.count("\n") + 1
    bp = l8.primary(t, t.prefix(f"bad{n}"), l8.pcap_vdev(files), app=["--policy", bad])
    rc = bp.wait(20)
    t.check(rc not in (None, 0) and f"--policy {bad}:{line}: " in bp.output() and
            why in bp.output(), f"bad policy line ({why}): refused at line {line}, exit {rc}",
            bp.output()[-500:])
t.done()
