#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Cache-line lab, short version: two lcores increment counters laid out the
# course's WRONG way (packed), its CORRECT way (padded) and the variants,
# plus the stride sweep; prints the table and draws a PNG of it.
#   ./scripts/demo-false-sharing.sh          (BUILD_DIR=build by default)
# Writes BUILD_DIR/false_sharing/demo.{csv,json,png}. Needs no hugepages.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
bench=$build/false_sharing_bench/false_sharing_bench
out=$build/false_sharing
prefix=fs_demo_$$
[ -x "$bench" ] || { echo "demo-false-sharing: $bench not built: run ninja -C $build" >&2; exit 1; }
mkdir -p "$out"
trap 'rm -rf "/var/run/dpdk/$prefix"' EXIT

# Other programs preempting a writer make the ratios meaningless; as root,
# a real-time priority keeps them off for the few seconds this takes (the
# kernel's RT throttling still leaves them 5%). FS_DEMO_RT=0 turns it off.
rt=()
if [ "$(id -u)" -eq 0 ] && [ "${FS_DEMO_RT:-1}" != 0 ] && command -v chrt >/dev/null; then
	rt=(chrt -f 1)
	echo "(running under chrt -f 1 so that other programs cannot preempt the writers)"
fi

# Both CPUs: false sharing needs two writers. No state is shared between
# processes, so --no-huge is enough and no hugepages are needed.
timeout 60 "${rt[@]}" "$bench" -l 0-1 --no-pci --no-huge -m 64 --file-prefix "$prefix" \
	--log-level=lib.eal:warning -- \
	--stride-sweep --iterations 10000000 --repeat 5 \
	--csv "$out/demo.csv" --json "$out/demo.json"

if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
	/usr/bin/python3 scripts/plot_false_sharing.py "$out/demo.json" -o "$out/demo.png"
else
	echo "(python3-matplotlib missing: no PNG; ./scripts/labenv.sh deps installs it)"
fi
echo "results: $out/demo.csv $out/demo.json"
echo "read the 'line moves' and 'clean' columns before the ratios: see docs/false_sharing.md"
