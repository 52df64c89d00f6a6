#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Every claim of the course, checked on this machine (claims/check_claims.py):
# one bounded experiment per claim, a table of what the course says, what
# this machine shows, and a verdict (holds, wrong, partly, not-here).
#   ./scripts/check-claims.sh [--json FILE] [ID...]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/labenv.sh setup >/dev/null
# mp-version-mismatch runs a 24.11 secondary from the Debian 13 root: made once
# (a few minutes the first time); without it that claim says not-here, and why.
./scripts/labenv.sh dpdk24 setup >/dev/null || true
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
export LAB_BUILD_DIR=$PWD/build
exec /usr/bin/python3 claims/check_claims.py "$@"
