#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs every libFuzzer target (fuzz/fuzz_*.c) for a while, with ASan and UBSan,
# starting from its committed seed corpus in fuzz/corpus/<target>/.
#   ./scripts/fuzz.sh              60 s per target
#   ./scripts/fuzz.sh 600 lab_pkt  10 minutes, one target
# New inputs that reach new code land in build-fuzz/fuzz/new-corpus/<target>/;
# a crash leaves crash-* in the current folder: add it to the seed corpus once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: '$seconds' is not a number of seconds" >&2; exit 2; }
shift || true

[ -f build-fuzz/build.ninja ] ||
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-fuzz

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c | sed 's/^fuzz_//')"); done
fi
for t in "${targets[@]}"; do
	echo "=== fuzz_$t for ${seconds}s"
	mkdir -p "build-fuzz/fuzz/new-corpus/$t"
	"build-fuzz/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 \
		"build-fuzz/fuzz/new-corpus/$t" "fuzz/corpus/$t"
done
