#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs the course end to end on virtual devices: sets up what is missing,
# builds, then runs each lab's demo script and prints its short report.
#   ./scripts/run-labs.sh             every lab
#   ./scripts/run-labs.sh lab8 numa   only those
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/labenv.sh setup
./scripts/labenv.sh clean
[ -f build/build.ninja ] || meson setup build
ninja -C build

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
failed=0
for lab in "${labs[@]}"; do
	printf '%-14s %s\n' "$lab" "${result[$lab]}"
	[[ "${result[$lab]}" == FAILED* ]] && failed=1
done
exit $failed
