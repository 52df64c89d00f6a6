#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8, SASE-DP: per class of what gen_traffic.py sent, which secondary got
it, and the FLOW_TABLE verdicts the enterprise secondary printed against the
policy applied to what was sent.

    sase_table.py SENT.src POLICY ENTERPRISE.log MOBILITY.log [--teid N]
    sase_table.py --make-policy SENT.src > POLICY

SENT.src is gen_traffic.py's --src-list ('class src' per packet), POLICY the
primary's --policy file, the logs what the two secondaries printed (one
'ROLE: src=A ... class=C ... [teid=N] [verdict=V]' line per packet). Prints
the table and one PASS/FAIL line per check; exits 1 if any check fails.
--make-policy prints the course's policy for what was sent (write_policy()).
Used by demo-lab8.sh; the lab 8 SASE-DP tests import it."""

import argparse
import collections
import re
import sys

ROLES = ("enterprise", "mobility")
LINE_RE = re.compile(r"^(enterprise|mobility): src=(\S+)(.*)$", re.M)
VERDICTS = ("allow", "deny", "miss")


def read_sent(path):
    with open(path) as f:
        return [tuple(line.split()) for line in f if line.strip()]


def read_policy(path):
    """{source: verdict} from 'A.B.C.D allow|deny' lines (# comments)."""
    policy = {}
    with open(path) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if len(words) == 2:
                policy[words[0]] = words[1]
    return policy


def course_policy(sent):
    """The course's FLOW_TABLE for what was sent: of the VPN subnet's sources,
    half allowed, a quarter denied, the rest not listed (verdict miss)."""
    ent = [src for cls, src in sent if cls == "enterprise"]
    return ["# the VPN subnet: half allowed, a quarter denied, the rest not listed\n"] + \
        [f"{a} allow\n" for a in ent[0::2]] + [f"{a} deny\n" for a in ent[1::4]]


def write_policy(path, sent):
    """Writes course_policy(sent) to path, the primary's --policy file."""
    with open(path, "w") as f:
        f.writelines(course_policy(sent))
    return path


def seen_lines(role_logs):
    """[(role, src, {field: value})] for every packet line of the secondaries."""
    out = []
    for role, text in role_logs.items():
        for r, src, rest in LINE_RE.findall(text):
            if r == role:
                fields = dict(f.split("=", 1) for f in rest.split() if "=" in f)
                out.append((role, src, fields))
    return out


def tally(sent, policy, role_logs):
    """Per class: sent, got per role, verdicts seen and the policy's for them."""
    cls_of = {src: cls for cls, src in sent if src != "-"}
    rows = collections.OrderedDict()
    for cls, _ in sent:
        row = rows.setdefault(cls, {"sent": 0, "seen": collections.Counter(),
                                    "verdicts": collections.Counter(),
                                    "expected": collections.Counter(), "teids": set(),
                                    "times": collections.Counter()})
        row["sent"] += 1
    # The course's two classes first, then the others as they were sent.
    order = sorted(rows, key=lambda c: (c not in ("enterprise", "gtpu"), c != "enterprise"))
    rows = collections.OrderedDict((c, rows[c]) for c in order)
    for role, src, fields in seen_lines(role_logs):
        cls = cls_of.get(src, fields.get("class") if src == "-" else None)
        if cls not in rows:
            continue            # not sent by gen_traffic.py (the kernel's own, on TAP)
        row = rows[cls]
        row["seen"][role] += 1
        row["times"][src if src != "-" else f"-{row['seen'][role]}"] += 1
        if "teid" in fields:
            row["teids"].add(fields["teid"])
        if role == "enterprise" and "verdict" in fields:
            row["verdicts"][fields["verdict"]] += 1
            row["expected"][policy.get(src, "miss")] += 1
    return rows


def checks(rows, teid):
    """[(ok, text)]: the course's steering, the TEIDs, the verdicts, no loss."""
    out = []
    ent = rows.get("enterprise")
    if ent:
        out.append((ent["seen"]["enterprise"] == ent["sent"] and not ent["seen"]["mobility"],
                    f"every enterprise-subnet packet seen by the enterprise secondary only "
                    f"({ent['seen']['enterprise']} of {ent['sent']}, mobility "
                    f"{ent['seen']['mobility']})"))
    gtp = rows.get("gtpu")
    if gtp:
        out.append((gtp["seen"]["mobility"] == gtp["sent"] and not gtp["seen"]["enterprise"]
                    and gtp["teids"] == {str(teid)},
                    f"every GTP-U packet seen by the mobility secondary only, with teid={teid} "
                    f"({gtp['seen']['mobility']} of {gtp['sent']}, enterprise "
                    f"{gtp['seen']['enterprise']}, TEIDs printed {sorted(gtp['teids'])})"))
    got = sum((r["verdicts"] for r in rows.values()), collections.Counter())
    want = sum((r["expected"] for r in rows.values()), collections.Counter())
    out.append((got == want and sum(got.values()) > 0,
                "the enterprise secondary's verdicts = the policy applied to what it got "
                f"(allow/deny/miss {'/'.join(str(got[v]) for v in VERDICTS)}, policy says "
                f"{'/'.join(str(want[v]) for v in VERDICTS)})"))
    twice = [s for r in rows.values() for s, n in r["times"].items() if n > 1]
    lost = sum(r["sent"] - sum(r["seen"].values()) for r in rows.values())
    out.append((not twice and lost == 0,
                f"every packet sent seen exactly once ({lost} not seen, {len(twice)} twice)"))
    return out


def stats_check(stats, rows):
    """(ok, text): the primary's /lab8/stats (a dict, or None) against what was
    sent: policy_allow/deny/miss = the policy applied to what the enterprise
    secondary got, gtpu_packets = the GTP-U packets sent, rule_drops = 0."""
    want = sum((r["expected"] for r in rows.values()), collections.Counter())
    gtpu = rows["gtpu"]["sent"] if "gtpu" in rows else 0
    ok = stats is not None and all(stats.get(f"policy_{v}") == want[v] for v in VERDICTS) \
        and stats.get("gtpu_packets") == gtpu and stats.get("rule_drops") == 0
    return ok, (f"/lab8/stats: policy_allow/deny/miss = "
                f"{'/'.join(str(want[v]) for v in VERDICTS)}, gtpu_packets = {gtpu}, "
                "rule_drops = 0")


def print_table(rows, out=sys.stdout):
    print(f"{'class':<11} {'sent':>5} {'enterprise':>10} {'mobility':>8}   "
          f"{'verdicts allow/deny/miss':<26} {'policy says':<12}", file=out)
    for cls, r in rows.items():
        seen = "/".join(str(r["verdicts"][v]) for v in VERDICTS)
        want = "/".join(str(r["expected"][v]) for v in VERDICTS)
        print(f"{cls:<11} {r['sent']:>5} {r['seen']['enterprise']:>10} "
              f"{r['seen']['mobility']:>8}   {seen:<26} {want:<12}", file=out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", metavar="FILE",
                    help="SENT.src POLICY ENTERPRISE.log MOBILITY.log")
    ap.add_argument("--teid", type=int, default=1234)
    ap.add_argument("--make-policy", action="store_true",
                    help="print the course's policy for SENT.src (the only FILE) and exit")
    args = ap.parse_args()
    if args.make_policy:
        if len(args.files) != 1:
            ap.error("--make-policy takes one FILE, SENT.src")
        sys.stdout.writelines(course_policy(read_sent(args.files[0])))
        return 0
    if len(args.files) != 4:
        ap.error(f"give SENT.src POLICY ENTERPRISE.log MOBILITY.log ({len(args.files)} given)")
    args.sent, args.policy, args.enterprise_log, args.mobility_log = args.files
    logs = {}
    for role, path in zip(ROLES, (args.enterprise_log, args.mobility_log)):
        with open(path, errors="replace") as f:
            logs[role] = f.read()
    rows = tally(read_sent(args.sent), read_policy(args.policy), logs)
    print_table(rows)
    failed = 0
    for ok, text in checks(rows, args.teid):
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
