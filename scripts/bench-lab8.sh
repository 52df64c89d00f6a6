#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Lab 8 throughput: how close does primary -> ring -> secondary come to a
# single process receiving on the same device?
#   pipeline: lab8_primary on lcore 0 (net_null0, one rx queue, everything to
#             RX_TO_ENTERPRISE) -> one --quiet lab8_secondary on lcore 1 that
#             still parses every packet's source address, then frees it
#   ceiling:  dpdk-testpmd rxonly, its forwarding lcore 0 on the same vdev
# Both measured over the same window (DURATION, default 10 s).
#   ./scripts/bench-lab8.sh            (BUILD_DIR=build, DURATION=10)
# Numbers on a shared 2-vCPU VM are noisy: run it twice, compare ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
duration=${DURATION:-10}
bin=$build/lab8_multiprocess
prefix=lab8bench_$$
tp_prefix=lab8bench_tp_$$
pids=()

die() { echo "bench-lab8: $*" >&2; exit 1; }
[ -x "$bin/lab8_primary" ] || die "$bin/lab8_primary not built: run ninja -C $build"
[[ "$duration" =~ ^[1-9][0-9]*$ ]] || die "DURATION='$duration' is not a number of seconds"
grep -q hugetlbfs /proc/mounts || die "no hugetlbfs: run ./scripts/labenv.sh setup"

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	./scripts/labenv.sh clean "$prefix" >/dev/null 2>&1 || true
	./scripts/labenv.sh clean "$tp_prefix" >/dev/null 2>&1 || true
	rm -f "/tmp/$prefix".*
}
trap cleanup EXIT

cpu_ticks() { # PID: user+system clock ticks the process has used so far
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
stat_of() { # KEY: one /lab8/stats counter
	echo /lab8/stats | /usr/bin/python3 /usr/bin/dpdk-telemetry.py -f "$prefix" 2>/dev/null |
		/usr/bin/python3 -c \
		"import json, sys; print(json.loads(sys.stdin.read())['/lab8/stats']['$1'])"
}

# Platform banner, the same fields as lab_print_platform() in common/lab_eal.c.
echo "# DPDK version : DPDK $(pkg-config --modversion libdpdk)"
echo "# CPU model    : $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "# lcores used  : 2 (pipeline: primary 0@cpu0, secondary 1@cpu1;" \
	"testpmd: rx lcore 0@cpu0, main 1@cpu1)"
echo "# NUMA nodes   : $(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)"
echo "# window       : ${duration} s each"

# --- pipeline --------------------------------------------------------------
"$bin/lab8_primary" -l 0 --proc-type=primary --file-prefix="$prefix" --no-pci \
	--vdev=net_null0 --log-level=lib.eal:warning -- --rxq 1 --no-status \
	> "/tmp/$prefix.primary" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "Ctrl-C to stop" "/tmp/$prefix.primary" && break; sleep 0.1; done
"$bin/lab8_secondary" -l 1 --proc-type=secondary --file-prefix="$prefix" --no-pci \
	--log-level=lib.eal:warning -- --role enterprise --quiet > "/tmp/$prefix.secondary" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "Ctrl-C to stop" "/tmp/$prefix.secondary" && break; sleep 0.1; done
grep -q "Ctrl-C to stop" "/tmp/$prefix.secondary" || {
	cat "/tmp/$prefix.primary" "/tmp/$prefix.secondary"; die "the pipeline did not start"; }
sleep 1
e0=$(stat_of enterprise_packets); r0=$(stat_of rx_packets); d0=$(stat_of ring_full_drops)
t0=$(date +%s.%N); pc0=$(cpu_ticks "${pids[0]}"); sc0=$(cpu_ticks "${pids[1]}")
sleep "$duration"
e1=$(stat_of enterprise_packets); r1=$(stat_of rx_packets); d1=$(stat_of ring_full_drops)
t1=$(date +%s.%N); pc1=$(cpu_ticks "${pids[0]}"); sc1=$(cpu_ticks "${pids[1]}")
kill -INT "${pids[1]}"; wait "${pids[1]}" || true
sec_line=$(grep "stopped;" "/tmp/$prefix.secondary" || true)
kill -INT "${pids[0]}"; wait "${pids[0]}" || true
pids=()
./scripts/labenv.sh clean "$prefix" >/dev/null 2>&1 || true

# --- ceiling ---------------------------------------------------------------
# Interactive testpmd: 'stop' prints what the forwarding lcore received
# between 'start' and 'stop', excluding start-up.
mkfifo "/tmp/$prefix.fifo"
dpdk-testpmd --lcores=0@0,1@1 --main-lcore=1 --file-prefix="$tp_prefix" --no-pci \
	--vdev=net_null0 --log-level=lib.eal:warning -- -i --forward-mode=rxonly \
	--nb-cores=1 --rxq=1 --txq=1 < "/tmp/$prefix.fifo" > "/tmp/$prefix.testpmd" 2>&1 &
pids+=($!)
exec 3> "/tmp/$prefix.fifo"
for _ in $(seq 100); do grep -q "testpmd>" "/tmp/$prefix.testpmd" && break; sleep 0.1; done
echo start >&3
tc0=$(cpu_ticks "${pids[0]}")
sleep "$duration"
echo stop >&3
tc1=$(cpu_ticks "${pids[0]}")
sleep 1
echo quit >&3
exec 3>&-
wait "${pids[0]}" || true
pids=()
tp=$(awk '/Accumulated forward statistics/ { f=1 } f && /RX-packets:/ { print $2; exit }' \
	"/tmp/$prefix.testpmd")
[ -n "$tp" ] || { echo "bench-lab8: no testpmd figure:"; tail -20 "/tmp/$prefix.testpmd"; exit 1; }

/usr/bin/python3 - "$e0" "$e1" "$r0" "$r1" "$d0" "$d1" "$t0" "$t1" "$tp" "$duration" \
	"$((pc1 - pc0))" "$((sc1 - sc0))" "$((tc1 - tc0))" "$(getconf CLK_TCK)" "$sec_line" <<'PY'
import sys
e0, e1, r0, r1, d0, d1 = (int(v) for v in sys.argv[1:7])
t0, t1 = float(sys.argv[7]), float(sys.argv[8])
tp, duration = int(sys.argv[9]), float(sys.argv[10])
pcpu, scpu, tcpu, hz = (int(v) for v in sys.argv[11:15])
sec_line = sys.argv[15]
secs = t1 - t0
pcpu, scpu, tcpu = pcpu / hz / secs, scpu / hz / secs, tcpu / hz / duration
pipe = (e1 - e0) / secs
rx = (r1 - r0) / secs
drops = (d1 - d0) / secs
ceiling = tp / duration
print(f"pipeline  : {pipe / 1e6:8.2f} Mpps delivered to the secondary "
      f"(primary rx {rx / 1e6:.2f} Mpps, ring-full drops {drops / 1e6:.2f} Mpps) over {secs:.1f} s")
print(f"ceiling   : {ceiling / 1e6:8.2f} Mpps dpdk-testpmd rxonly, same vdev, rx on lcore 0")
print(f"ratio     : {pipe / ceiling * 100:8.1f} % of the single-process ceiling" if ceiling else
      "ratio     : n/a")
# A polling lcore should own its CPU; when other work shares it, the raw
# figures measure the machine. Per CPU-second of the process that limits
# each side (the secondary; testpmd's forwarding lcore), they measure the code.
print(f"CPU share : primary {pcpu * 100:.0f} %, secondary {scpu * 100:.0f} %, "
      f"testpmd {tcpu * 100:.0f} % of a CPU during the windows")
if "polls empty" in sec_line:
    print(f"secondary : {sec_line.split(';', 1)[1].strip()} (whole run)")
if scpu > 0 and tcpu > 0 and ceiling:
    print(f"per CPU-s : pipeline {pipe / scpu / 1e6:.2f} Mpps, "
          f"ceiling {ceiling / tcpu / 1e6:.2f} Mpps"
          f" -> {pipe / scpu / (ceiling / tcpu) * 100:.1f} %")
PY
