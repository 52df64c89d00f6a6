#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Lab 9 cost of classifying in software: what a NIC applying rte_flow rules
# saves the CPU. One rx lcore on net_pcap with infinite_rx=1 replaying a
# realistic mix (HTTPS, HTTP, DNS, spoofed, VoIP, ARP, VXLAN, GTP-U, a few
# malformed), first receive-and-free only, then with the lab's verification
# classifier and the software rules (--fallback software --bench).
#   ./scripts/bench-lab9.sh [--rules N] [--matcher acl|linear] [--json FILE]
#   ./scripts/bench-lab9.sh --curve PNG [--json FILE]
# --rules N: the course's 4 rules plus N-4 generated 5-tuple rules the
# traffic never matches (default 4). --matcher: the rules compiled into
# rte_acl (default) or applied one by one. --curve: 4, 64, 256 and 1024
# rules with both matchers, each the best of REPEAT runs (default 3),
# drawn into PNG (python3-matplotlib). BUILD_DIR=build, DURATION=5 s per phase.
# The 2 CPUs are shared with other work: run it several times, take the best.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
duration=${DURATION:-5}
repeat=${REPEAT:-3}
prefix=lab9bench_$$
work=$(mktemp -d /tmp/bench-lab9.XXXXXX)
prog=$(find "$build" -name lab9_flow_classifier -type f -perm -u+x 2>/dev/null | head -n 1)
nb_rules=4
matcher=acl
json=
curve=

die() { echo "bench-lab9: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--rules) [ $# -ge 2 ] || die "--rules needs a number"; nb_rules=$2; shift 2 ;;
	--matcher) [ $# -ge 2 ] || die "--matcher needs acl or linear"; matcher=$2; shift 2 ;;
	--json) [ $# -ge 2 ] || die "--json needs a file"; json=$2; shift 2 ;;
	--curve) [ $# -ge 2 ] || die "--curve needs a PNG file"; curve=$2; shift 2 ;;
	-h|--help) sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[ -n "$prog" ] || die "lab9_flow_classifier not built under $build: run ninja -C $build"
[[ "$duration" =~ ^[1-9][0-9]*$ ]] || die "DURATION='$duration' is not a number of seconds"
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || die "REPEAT='$repeat' is not a number of runs"
[[ "$nb_rules" =~ ^[0-9]+$ ]] && [ "$nb_rules" -ge 4 ] && [ "$nb_rules" -le 1024 ] ||
	die "--rules '$nb_rules': 4 (the course's) to 1024 (the table's size)"
[ "$matcher" = acl ] || [ "$matcher" = linear ] || die "--matcher '$matcher': acl or linear"
grep -q hugetlbfs /proc/mounts || die "no hugetlbfs: run ./scripts/labenv.sh setup"

cleanup() {
	rm -rf "$work"
	./scripts/labenv.sh clean "$prefix" >/dev/null 2>&1 || true
}
trap cleanup EXIT

/usr/bin/python3 scripts/gen_traffic.py --pcap "$work/mix.pcap" --seed 9 \
	--mix https=400,http=300,dns=150,spoofed=50,voip=40,arp=20,vxlan=20,gtpu=10,malformed=10 \
	| tr '\n' ' '
echo

# The course's 4 rules, then N-4 5-tuple rules in 198.18.0.0/15 (RFC 2544's
# benchmark range), which the mix (100.64.0.0/10, 10.0.0.0/8) never uses.
write_rules() {
	cat > "$work/rules" <<'EOF'
# The lab's two rules plus the course's VoIP and VXLAN examples.
ingress priority 0 pattern eth / ipv4 src spec 10.0.0.0 src prefix 8 / end actions drop / end
ingress priority 1 pattern eth / ipv4 / tcp dst is 443 / end actions queue index 0 / end
ingress priority 1 pattern eth / ipv4 / udp dst is 5060 / end actions queue index 2 / end
ingress priority 1 pattern eth / ipv4 / udp / vxlan vni is 100 / end actions queue index 3 / end
EOF
	awk -v n="$1" 'BEGIN { for (i = 0; i < n - 4; i++)
		printf "ingress priority 1 pattern eth / ipv4 src is 198.18.%d.%d dst is " \
			"198.19.%d.%d / %s src is %d dst is %d / end actions queue index %d / end\n",
			i / 256, i % 256, (i * 7) % 256, i % 200, i % 2 ? "udp" : "tcp",
			1024 + i, 8000 + i % 1000, 1 + i % 3 }' >> "$work/rules"
}

# One run: N rules, one matcher; its text on stdout, its figures in $work/last.
run_one() {
	write_rules "$1"
	timeout $((2 * duration + 120)) "$prog" -l 0-1 --no-pci --file-prefix="$prefix" \
		--vdev="net_pcap0,rx_pcap=$work/mix.pcap,infinite_rx=1,tx_pcap=/dev/null" -- \
		--fallback software --matcher "$2" --rules "$work/rules" --bench "$duration" \
		2>/dev/null > "$work/out" || die "lab9_flow_classifier failed ($1 rules, $2)"
	sed -n '/^benchmark:/,/^rule matching/p' "$work/out"
	/usr/bin/python3 - "$work/out" "$1" "$2" "$duration" > "$work/last" <<'EOF'
import json, re, sys
text, rules, matcher = open(sys.argv[1]).read(), int(sys.argv[2]), sys.argv[3]
def num(label):
    m = re.search(re.escape(label) + r"\s+(?:[0-9.]+\s+)?([0-9.]+)\n", text)
    if not m:
        sys.exit(f"bench-lab9: no '{label}' line in the output")
    return float(m.group(1))
def info(label):
    m = re.search(r"# " + label + r"\s*: (.*)", text)
    return m.group(1).strip() if m else "?"
method = re.search(r"software matcher: (.*)", text)
print(json.dumps({"rules": rules, "matcher": matcher,
    "method": method.group(1) if method else "?",
    "match_cycles_per_packet": num("of which rule matching (rdtsc around it)"),
    "match_cycles_per_packet_median": num("rule matching, median burst (unpreempted)"),
    "total_cycles_per_packet": num("receive + classify + software rules + count"),
    "receive_only_cycles_per_packet": num("receive + free only"),
    "rss_spread_cycles_per_packet": num("then the RSS spread of the rest (rdtsc)"),
    "seconds_per_phase": int(sys.argv[4]),
    "dpdk": info("DPDK version"), "cpu": info("CPU model"),
    "lcores": info("lcores used"), "numa_nodes": info("NUMA nodes")}))
EOF
}

if [ -z "$curve" ]; then
	run_one "$nb_rules" "$matcher"
	[ -z "$json" ] || cp "$work/last" "$json"
	exit 0
fi

# --curve: each point the best (lowest matching cost) of REPEAT runs.
: > "$work/points"
for n in 4 64 256 1024; do
	for m in linear acl; do
		best=
		for r in $(seq "$repeat"); do
			echo "== $n rules, $m, run $r of $repeat"
			run_one "$n" "$m" | grep -E "rule matching|matcher" || true
			best=$(/usr/bin/python3 -c 'import json,sys
a = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(json.dumps(min(a, key=lambda p: p["match_cycles_per_packet_median"])))' \
				<(cat "$work/last"; [ -z "$best" ] || echo "$best"))
		done
		echo "$best" >> "$work/points"
	done
done
/usr/bin/python3 scripts/plot_lab9_bench.py "$work/points" -o "$curve" \
	--title "repeat $repeat, $duration s per phase" ${json:+--json "$json"}
