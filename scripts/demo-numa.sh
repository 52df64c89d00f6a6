#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NUMA lab demo (run by ./scripts/run-labs.sh): numa_check on this machine
# (net_null + net_tap), the same audit on a described two-socket server
# where placement is wrong, then on a real two-node kernel (emulated), and a
# short latency measurement.
#   BUILD_DIR=build ./scripts/demo-numa.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
NUMA_CHECK=$BUILD_DIR/numa_demo/numa_check
PREFIX=numademo$$
WORK=$(mktemp -d)

cleanup() {
	./scripts/labenv.sh clean "$PREFIX" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$NUMA_CHECK" ] || { echo "demo-numa: $NUMA_CHECK not built: meson setup $BUILD_DIR && ninja -C $BUILD_DIR" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "demo-numa: needs root (hugepages, net_tap)" >&2; exit 1; }

# Two lcores this process may run on: the main one and one poller.
mapfile -t cpus < <(/usr/bin/python3 -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2], sep="\n")')
LCORES=$(IFS=,; echo "${cpus[*]}")
EAL=(-l "$LCORES" --no-pci --file-prefix="$PREFIX" --log-level=lib.eal:warning
	--log-level=user.lab.numa:warning)
fail=0

echo "--- 1. this machine: net_null0 and net_tap0 ---"
"$NUMA_CHECK" "${EAL[@]}" --vdev=net_null0 --vdev="net_tap0,iface=ntdemo$$" -- \
	--strict --json "$WORK/host.json" 2>"$WORK/host.err" || {
	echo "demo-numa: numa_check failed on this machine:" >&2; cat "$WORK/host.err" >&2; fail=1; }
./scripts/labenv.sh clean "$PREFIX" >/dev/null 2>&1 || true

echo
echo "--- 2. a described two-socket server, placed wrong (--topology, --strict) ---"
rc=0
"$NUMA_CHECK" "${EAL[@]}" --no-huge -m 64 -- --strict \
	--topology tests/numa/topologies/two_socket_wrong.json >"$WORK/two.out" 2>"$WORK/two.err" || rc=$?
grep -E '^(WARNING|INFO):|^suggested|^result' "$WORK/two.out" || true
if [ "$rc" -ne 2 ] || ! grep -q "WARNING: lcore 3 on socket 1, NIC on socket 0 — cross-NUMA!" "$WORK/two.out"; then
	echo "demo-numa: expected the cross-NUMA warning and --strict exit 2, got exit $rc" >&2
	cat "$WORK/two.err" >&2
	fail=1
fi
./scripts/labenv.sh clean "$PREFIX" >/dev/null 2>&1 || true

echo
echo "--- 3. a real two-socket kernel: the emulated two-node machine (labenv.sh numa-vm) ---"
if ./scripts/labenv.sh numa-vm --check >/dev/null 2>&1; then
	rc=0
	./scripts/labenv.sh numa-vm -q --timeout 180 -- "$NUMA_CHECK" -l 0-3 --no-pci \
		--vdev=net_null0 --file-prefix=numa_vm_demo --log-level=lib.eal:warning -- \
		--pollers 0:2-3 >"$WORK/vm.out" 2>"$WORK/vm.err" || rc=$?
	grep -E '^(sockets|lcore|WARNING)|NUMA' "$WORK/vm.out" | head -12 || true
	if ! grep -q "WARNING: lcore 2 on socket 1, NIC on socket 0" "$WORK/vm.out"; then
		echo "demo-numa: the two-node machine did not report lcore 2 as cross-NUMA (exit $rc)" >&2
		tail -5 "$WORK/vm.err" >&2
		fail=1
	fi
else
	echo "(skipped: $(./scripts/labenv.sh numa-vm --check 2>&1 | tail -1))"
fi

echo
echo "--- 4. latency: pointer chasing over 8 x LLC of hugepages (or what this machine gives) ---"
# numa_check sizes the buffer itself from the LLC and the hugepages it can get,
# and marks a cell whose buffer came out short.
lat_args=(--latency --loads 1000000 --reps 5)
"$NUMA_CHECK" "${EAL[@]}" --vdev=net_null0 -- "${lat_args[@]}" --json "$WORK/lat.json" \
	>"$WORK/lat.out" 2>"$WORK/lat.err" || {
	echo "demo-numa: latency measurement failed:" >&2; cat "$WORK/lat.err" >&2; fail=1; }
sed -n '/== latency matrix/,/^result/p' "$WORK/lat.out" | grep -v '^result' || true

echo
echo "--- summary ---"
/usr/bin/python3 - "$WORK/host.json" "$WORK/lat.json" <<'PY' || fail=1
import json, sys
try:
    host = json.load(open(sys.argv[1]))
    lat = json.load(open(sys.argv[2]))
except (OSError, ValueError) as e:
    sys.exit(f"demo-numa: no report to summarise: {e}")
warnings = sum(f["severity"] == "warning" for f in host["findings"])
print(f"this machine: {host['sockets']} socket(s), {len(host['ports'])} port(s), "
      f"{warnings} cross-NUMA finding(s), suggested -l {host['plan']['lcores']}")
cells = [v for row in lat["latency_ns"] for v in row if v is not None]
if not cells:
    sys.exit("demo-numa: the latency matrix has no measured cell")
local = lat["latency_ns"][0][0]
buf = lat["latency_buffers"][0]
print(f"latency matrix {len(lat['latency_ns'])}x{len(lat['latency_ns'][0])}: local "
      + (f"{local:.0f} ns" if local is not None else "not measured")
      + f" per dependent load over {buf['buffer_mib']} MiB (LLC {buf['llc_mib']} MiB)"
      + (f" [{buf['note']}]" if buf["note"] else "")
      + " (course: ~60 ns local, ~120 ns remote)")
PY
exit $fail
