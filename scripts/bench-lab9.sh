#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Lab 9 cost of classifying in software: what a NIC applying rte_flow rules
# saves the CPU. One rx lcore on net_pcap with infinite_rx=1 replaying a
# realistic mix (HTTPS, HTTP, DNS, spoofed, VoIP, ARP, VXLAN, GTP-U, a few
# malformed), first receive-and-free only, then with the lab's verification
# classifier and the software rules (--fallback software --bench).
#   ./scripts/bench-lab9.sh          (BUILD_DIR=build, DURATION=5 s per phase)
# The 2 CPUs are shared with other work: run it twice, compare ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
duration=${DURATION:-5}
prefix=lab9bench_$$
work=$(mktemp -d /tmp/bench-lab9.XXXXXX)
prog=$(find "$build" -name lab9_flow_classifier -type f -perm -u+x 2>/dev/null | head -n 1)

die() { echo "bench-lab9: $*" >&2; exit 1; }
[ -n "$prog" ] || die "lab9_flow_classifier not built under $build: run ninja -C $build"
[[ "$duration" =~ ^[1-9][0-9]*$ ]] || die "DURATION='$duration' is not a number of seconds"
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
cat > "$work/rules" <<'EOF'
# The lab's two rules plus the course's VoIP and VXLAN examples.
ingress priority 0 pattern eth / ipv4 src spec 10.0.0.0 src prefix 8 / end actions drop / end
ingress priority 1 pattern eth / ipv4 / tcp dst is 443 / end actions queue index 0 / end
ingress priority 1 pattern eth / ipv4 / udp dst is 5060 / end actions queue index 2 / end
ingress priority 1 pattern eth / ipv4 / udp / vxlan vni is 100 / end actions queue index 3 / end
EOF

timeout $((2 * duration + 60)) "$prog" -l 0-1 --no-pci --file-prefix="$prefix" \
	--vdev="net_pcap0,rx_pcap=$work/mix.pcap,infinite_rx=1,tx_pcap=/dev/null" -- \
	--fallback software --rules "$work/rules" --bench "$duration" 2>/dev/null |
	sed -n '/^benchmark:/,/^rule matching/p'
