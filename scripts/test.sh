#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The README's test command: sets up what is missing (packages, hugepages),
# builds with warnings as errors, runs every meson test suite; then builds
# again with AddressSanitizer and UndefinedBehaviorSanitizer (./build-asan)
# and runs the suites that do not boot a virtual machine under it; then builds
# and runs those suites again on DPDK 24.11 in a Debian 13 root
# (./build-dpdk24, labenv.sh dpdk24); then runs the libFuzzer targets briefly
# (./build-fuzz, clang, which also compiles lab 8's stage-timing variant).
#   ./scripts/test.sh                 everything
#   ./scripts/test.sh --suite lab8    extra arguments go to every 'meson test' run
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/labenv.sh setup
./scripts/labenv.sh clean
# The Debian 13 root with DPDK 24.11, made first: the 24.11 pass below uses it,
# and so does the claims suite (a 22.11 primary meets a 24.11 secondary).
dpdk24=0
./scripts/labenv.sh dpdk24 setup || dpdk24=$?

rc=0
# The closing count reads these logs: none may be left from an earlier run.
rm -f build{,-asan,-fuzz,-dpdk24}/meson-logs/testlog.json
[ -f build/build.ninja ] || meson setup build
ninja -C build
meson test -C build --print-errorlogs "$@" || rc=$?

# A sanitizer report aborts the program, so the test that ran it fails.
export ASAN_OPTIONS=abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
[ -f build-asan/build.ninja ] ||
	meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-omit-frame-pointer
ninja -C build-asan
meson test -C build-asan --print-errorlogs --no-suite vm "$@" || rc=$?

# DPDK 24.11 LTS, in a Debian 13 root with Debian 13's own packages
# (labenv.sh dpdk24): its own build folder, every suite that boots no virtual
# machine (the claims are this machine's, checked once, on the host's DPDK,
# whose claim mp-version-mismatch meets this root's 24.11). Skipped, and said
# so, when Debian's packages cannot be reached.
if [ "$dpdk24" -eq 77 ]; then
	echo "SKIP: the DPDK 24.11 pass: no Debian 13 root could be made (see above)"
elif [ "$dpdk24" -ne 0 ]; then
	rc=1
else
	./scripts/labenv.sh dpdk24 run -- /bin/bash -c 'set -e
		[ -f build-dpdk24/build.ninja ] || meson setup build-dpdk24
		ninja -C build-dpdk24
		meson test -C build-dpdk24 --print-errorlogs --no-suite vm --no-suite claims "$@"' \
		dpdk24 "$@" || rc=$?
fi

# The fuzz targets, a fixed number of inputs each over their seed corpus
# (scripts/fuzz.sh runs them for longer). This build also compiles lab 8's
# stage-timing variant (-Dlab8_stage_cycles, docs/lab8.md), which no test
# runs, so that it keeps compiling, with clang and warnings as errors.
[ -f build-fuzz/build.ninja ] ||
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dlab8_stage_cycles=true
ninja -C build-fuzz
meson test -C build-fuzz --print-errorlogs --suite fuzz || rc=$?

# One closing line that any CI reads: N passed, N failed, N skipped. A log
# that is missing (the 24.11 build failed in its root) counts as one failed,
# the 24.11 pass skipped above as one skipped; a host build that fails stops
# the script before this, with its error.
logs=(build{,-asan,-fuzz}/meson-logs/testlog.json)
[ "$dpdk24" -eq 77 ] && logs+=(skipped:dpdk24) || logs+=(build-dpdk24/meson-logs/testlog.json)
/usr/bin/python3 - "${logs[@]}" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[1:]:
    if path.startswith("skipped:"):
        counts["skipped"] += 1
        continue
    try:
        f = open(path)
    except OSError:
        print(f"test.sh: {path}: no test log (that build or run failed)")
        counts["failed"] += 1
        continue
    with f:
        for line in f:
            result = json.loads(line)["result"]
            key = {"OK": "passed", "SKIP": "skipped",
                   "EXPECTEDFAIL": "passed"}.get(result, "failed")
            counts[key] += 1
print(f"tests: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
PY
exit $rc
