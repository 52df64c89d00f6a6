#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs the course end to end on virtual devices: sets up what is missing,
# builds, then runs each lab's demo script and prints its short report, and
# ends with the table of the course's claims checked on this machine
# (./scripts/check-claims.sh).
#   ./scripts/run-labs.sh             every lab
#   ./scripts/run-labs.sh lab8 numa   only those
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/labenv.sh setup
./scripts/labenv.sh clean
BUILD_DIR=build
[ -f "$BUILD_DIR/build.ninja" ] || meson setup "$BUILD_DIR"
ninja -C "$BUILD_DIR"

labs=("$@")
[ ${#labs[@]} -gt 0 ] || labs=(lab8 lab9 numa false-sharing)
declare -A result
for lab in "${labs[@]}"; do
	demo=scripts/demo-$lab.sh
	echo
	echo "================ $lab ================"
	if [ ! -x "$demo" ]; then
		result[$lab]="not built yet"
		echo "($demo does not exist yet)"
		continue
	fi
	if "$demo"; then result[$lab]=ok; else result[$lab]="FAILED (exit $?)"; fi
done

echo
echo "================ summary ================"
# What the figures above were measured on.
echo "DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?') (build $BUILD_DIR)," \
	"CPU $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
	"$(nproc) CPU(s), $(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)" \
	"NUMA node(s), $(awk '/^HugePages_Total/ {print $2}' /proc/meminfo) hugepages of 2 MiB"
passed=0 failed=0
for lab in "${labs[@]}"; do
	printf '%-14s %s\n' "$lab" "${result[$lab]}"
	case "${result[$lab]}" in
	ok) passed=$((passed + 1)) ;;
	*) failed=$((failed + 1)) ;;
	esac
done
echo "labs: $passed passed, $failed failed"

# Last, what the course claims against what this machine shows (the whole run only).
if [ $# -eq 0 ]; then
	echo
	echo "================ the course's claims, checked here ================"
	./scripts/check-claims.sh --json "$BUILD_DIR/claims.json" || failed=$((failed + 1))
fi
[ "$failed" -eq 0 ]
