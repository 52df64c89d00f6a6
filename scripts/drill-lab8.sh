#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Lab 8 fault drill (issue 7): under net_null traffic that never ends, kills a
# random secondary (enterprise or mobility) with SIGKILL or SIGINT at a random
# moment and restarts it, ROUNDS times; then kills and restarts the primary.
# Prints a summary table; exits 1 when any check failed, 77 when the machine
# lacks root or hugepages. The logic is tests/lab8/drill_lab8.py (also run by
# meson as the 'lab8_drill' test, suite 'slow').
#   ./scripts/drill-lab8.sh [--rounds N] [--primary-restarts M] [--seed S] [--sase]
#   (defaults: 50 rounds, 3 primary restarts, a random seed that is printed;
#    BUILD_DIR=build by default; needs ./scripts/labenv.sh setup)
set -euo pipefail
cd "$(dirname "$0")/.."

# meson sets LAB_BUILD_DIR; from a shell, BUILD_DIR or ./build.
build=${LAB_BUILD_DIR:-${BUILD_DIR:-build}}
[ -x "$build/lab8_multiprocess/lab8_primary" ] || {
	echo "drill-lab8: $build/lab8_multiprocess/lab8_primary not built: run ninja -C $build" >&2
	exit 1
}
export LAB_BUILD_DIR
LAB_BUILD_DIR=$(realpath "$build")
export PYTHONPATH="$PWD/tests:$PWD/tests/lab8${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/bin/python3 tests/lab8/drill_lab8.py "$@"
