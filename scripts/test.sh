#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The README's test command: sets up what is missing (packages, hugepages),
# builds with warnings as errors, runs every meson test suite.
#   ./scripts/test.sh                 all suites
#   ./scripts/test.sh --suite lab8    extra arguments go to 'meson test'
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/labenv.sh setup
./scripts/labenv.sh clean
[ -f build/build.ninja ] || meson setup build
ninja -C build

rc=0
meson test -C build --print-errorlogs "$@" || rc=$?

# One closing line that any CI reads: N passed, N failed, N skipped.
/usr/bin/python3 - build/meson-logs/testlog.json <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
with open(sys.argv[1]) as f:
    for line in f:
        result = json.loads(line)["result"]
        key = {"OK": "passed", "SKIP": "skipped", "EXPECTEDFAIL": "passed"}.get(result, "failed")
        counts[key] += 1
print(f"tests: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
PY
exit $rc
