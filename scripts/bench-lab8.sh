#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Lab 8 throughput: how close does primary -> ring -> secondary come to a
# single process receiving on the same device?
#   pipeline: lab8_primary on lcore 0 (net_null0, one rx queue, everything to
#             RX_TO_ENTERPRISE) -> one --quiet lab8_secondary on lcore 1 that
#             still parses every packet's source address, then frees it
#   ceiling:  dpdk-testpmd rxonly, its forwarding lcore 0 on the same vdev
#   client_server_mp: DPDK's own example of the same shape (mp_server on lcore
#             0, one mp_client on CPU 1, net_null), built at bench time from
#             /usr/share/dpdk/examples (package dpdk-doc) into a temporary
#             directory; its rounds alternate with the pipeline's
# Each measured over the same window (DURATION, default 10 s), all three ROUNDS
# times each (default 3), in turn; medians are compared.
#   ./scripts/bench-lab8.sh            (BUILD_DIR=build, DURATION=10, ROUNDS=3)
# RING_SIZE=N passes --ring-size N to the primary (its start-up line's figure
# is printed; docs/lab8.md shows what the ring size does here).
# Numbers on a shared 2-vCPU VM are noisy: look at every round, not just the medians.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
duration=${DURATION:-10}
ring_size=${RING_SIZE:-}
rounds=${ROUNDS:-3}
csmp_src=/usr/share/dpdk/examples/multi_process/client_server_mp
bin=$build/lab8_multiprocess
prefix=lab8bench_$$
tp_prefix=lab8bench_tp_$$
cs_prefix=lab8bench_cs_$$
csmp_dir=
pids=()

die() { echo "bench-lab8: $*" >&2; exit 1; }
[ -x "$bin/lab8_primary" ] || die "$bin/lab8_primary not built: run ninja -C $build"
[[ "$duration" =~ ^[1-9][0-9]*$ ]] || die "DURATION='$duration' is not a number of seconds"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS='$rounds' is not a number of rounds"
[[ "$ring_size" =~ ^[0-9]*$ ]] || die "RING_SIZE='$ring_size' is not a number of entries"
grep -q hugetlbfs /proc/mounts || die "no hugetlbfs: run ./scripts/labenv.sh setup"

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	./scripts/labenv.sh clean "$prefix" >/dev/null 2>&1 || true
	./scripts/labenv.sh clean "$tp_prefix" >/dev/null 2>&1 || true
	./scripts/labenv.sh clean "$cs_prefix" >/dev/null 2>&1 || true
	rm -f "/tmp/$prefix".*
	[ -z "$csmp_dir" ] || rm -rf "$csmp_dir"
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
	"client_server_mp: server 0@cpu0, client 2@cpu1; testpmd: rx lcore 0@cpu0, main 1@cpu1)"
echo "# NUMA nodes   : $(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)"
echo "# window       : ${duration} s each, ${rounds} round(s) of pipeline and client_server_mp"

# --- pipeline --------------------------------------------------------------
# One round: delivered, rx, drops (packets per second), CPU shares, into pipe_runs.
pipe_runs=()
run_pipeline() {
	local e0 e1 r0 r1 d0 d1 t0 t1 pc0 pc1 sc0 sc1
	"$bin/lab8_primary" -l 0 --proc-type=primary --file-prefix="$prefix" --no-pci \
		--vdev=net_null0 --log-level=lib.eal:warning -- --rxq 1 --no-status \
		${ring_size:+--ring-size "$ring_size"} > "/tmp/$prefix.primary" 2>&1 &
	pids=($!)
	for _ in $(seq 100); do
		grep -qs "Ctrl-C to stop" "/tmp/$prefix.primary" && break; sleep 0.1
	done
	"$bin/lab8_secondary" -l 1 --proc-type=secondary --file-prefix="$prefix" --no-pci \
		--log-level=lib.eal:warning -- --role enterprise --quiet \
		> "/tmp/$prefix.secondary" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		grep -qs "Ctrl-C to stop" "/tmp/$prefix.secondary" && break; sleep 0.1
	done
	grep -qs "Ctrl-C to stop" "/tmp/$prefix.secondary" || {
		cat "/tmp/$prefix.primary" "/tmp/$prefix.secondary"; echo; die "the pipeline did not start"; }
	ring_seen=$(grep -o "rings of [0-9]*" "/tmp/$prefix.primary" | head -n 1 || true)
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
	pipe_runs+=("$(awk -v e="$((e1 - e0))" -v r="$((r1 - r0))" -v d="$((d1 - d0))" \
		-v t0="$t0" -v t1="$t1" -v p="$((pc1 - pc0))" -v s="$((sc1 - sc0))" \
		-v hz="$(getconf CLK_TCK)" 'BEGIN { dt = t1 - t0
		printf "%.0f %.0f %.0f %.3f %.3f %.1f", e / dt, r / dt, d / dt,
			p / hz / dt, s / hz / dt, dt }')")
}

# --- client_server_mp --------------------------------------------------------
# DPDK's example, built from the installed source in a temporary directory
# (never in this tree). Why not, if it cannot be: csmp_skip.
csmp_skip=
build_csmp() {
	[ -d "$csmp_src" ] || {
		csmp_skip="$csmp_src is missing (package dpdk-doc: ./scripts/labenv.sh deps)"
		return; }
	command -v make >/dev/null || { csmp_skip="no make to build $csmp_src"; return; }
	csmp_dir=$(mktemp -d /tmp/lab8bench_csmp.XXXXXX)
	cp -r "$csmp_src" "$csmp_dir/"
	if ! make -C "$csmp_dir/client_server_mp" > "$csmp_dir/build.log" 2>&1; then
		csmp_skip="make in a copy of $csmp_src failed: $(tail -3 "$csmp_dir/build.log" |
			tr '\n' ' ')"
		return
	fi
	csmp_server=$csmp_dir/client_server_mp/mp_server/build/mp_server
	csmp_client=$csmp_dir/client_server_mp/mp_client/build/mp_client
	[ -x "$csmp_server" ] && [ -x "$csmp_client" ] ||
		csmp_skip="make in a copy of $csmp_src built no mp_server/mp_client"
}

# One round into csmp_runs: packets per second the client took off its ring
# and transmitted (its tx + tx_drop: net_null's tx frees each), from the
# server's once-a-second table (line-buffered by stdbuf), which the filter
# below stamps with the time.
# The server wants an even number of ports (it pairs them for the client's
# forwarding): net_null0 and net_null1, polled in turn by its lcore 0; its
# lcore 1 only sleeps and prints. The client is lcore 2 on CPU 1.
csmp_runs=()
run_csmp() {
	local stamps=$csmp_dir/stamps cpid spid t0 t1 pc0 pc1 cc0 cc1 rate
	rm -f "$stamps"
	stdbuf -oL "$csmp_server" --lcores=0@0,1@1 --file-prefix="$cs_prefix" --no-pci \
		--vdev=net_null0 --vdev=net_null1 --log-level=lib.eal:warning -- -p 3 -n 1 \
		> >(/usr/bin/python3 -u -c '
import re, sys, time
out = open(sys.argv[1], "w", buffering=1)
for line in sys.stdin:
    m = re.search(r"tx:\s*(\d+), tx_drop:\s*(\d+)", line)
    if m:
        print(f"{time.time():.3f} {int(m.group(1)) + int(m.group(2))}", file=out)
' "$stamps") 2> "$csmp_dir/server.err" &
	spid=$!
	pids=("$spid")
	# Its log (stderr) says when the port, the pool and the client's ring exist.
	for _ in $(seq 100); do
		grep -qs "Finished Process Init" "$csmp_dir/server.err" && break; sleep 0.1
	done
	grep -qs "Finished Process Init" "$csmp_dir/server.err" || {
		csmp_skip="mp_server did not start: $(tail -3 "$csmp_dir/server.err" | tr '\n' ' ')"
		cleanup_csmp; return; }
	"$csmp_client" --lcores=2@1 --proc-type=secondary --file-prefix="$cs_prefix" --no-pci \
		--log-level=lib.eal:warning -- -n 0 > "$csmp_dir/client.out" 2>&1 &
	cpid=$!
	pids+=("$cpid")
	# Its first table comes 3 s after start, then one a second.
	for _ in $(seq 100); do [ -s "$stamps" ] && break; sleep 0.1; done
	sleep 1
	t0=$(date +%s.%N); pc0=$(cpu_ticks "$spid"); cc0=$(cpu_ticks "$cpid")
	sleep "$duration"
	t1=$(date +%s.%N); pc1=$(cpu_ticks "$spid"); cc1=$(cpu_ticks "$cpid")
	sleep 1.2
	cleanup_csmp
	# The rate between the first table after t0 and the last one before t1.
	rate=$(awk -v t0="$t0" -v t1="$t1" '$1 >= t0 && $1 <= t1 {
		if (!n++) { ta = $1; a = $2 } tb = $1; b = $2 }
		END { if (n >= 2 && tb > ta) printf "%.0f", (b - a) / (tb - ta) }' "$stamps")
	if [ -z "$rate" ]; then
		csmp_skip="mp_server printed fewer than 2 client tables in the window: $(
			tail -3 "$csmp_dir/client.out" | tr '\n' ' ')"
		return
	fi
	csmp_runs+=("$(awk -v r="$rate" -v p="$((pc1 - pc0))" -v c="$((cc1 - cc0))" \
		-v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { dt = t1 - t0
		printf "%s %.3f %.3f", r, p / hz / dt, c / hz / dt }')")
}
cleanup_csmp() {
	local p
	# The client has no signal handler, and a script's background jobs ignore
	# SIGINT: SIGTERM ends it. The server's SIGINT handler stops its ports.
	[ ${#pids[@]} -lt 2 ] || kill -TERM "${pids[1]}" 2>/dev/null || true
	kill -INT "${pids[0]}" 2>/dev/null || true
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
	./scripts/labenv.sh clean "$cs_prefix" >/dev/null 2>&1 || true
}

# --- ceiling ---------------------------------------------------------------
# One round into tp_runs: packets and CPU ticks of testpmd rxonly. Interactive
# testpmd: 'stop' prints what the forwarding lcore received between 'start'
# and 'stop', excluding start-up. Measured every round, beside the pipeline:
# the host's other guests move the ceiling by half within minutes.
tp_runs=()
run_testpmd() {
	local tc0 tc1 tp
	mkfifo "/tmp/$prefix.fifo"
	dpdk-testpmd --lcores=0@0,1@1 --main-lcore=1 --file-prefix="$tp_prefix" --no-pci \
		--vdev=net_null0 --log-level=lib.eal:warning -- -i --forward-mode=rxonly \
		--nb-cores=1 --rxq=1 --txq=1 < "/tmp/$prefix.fifo" > "/tmp/$prefix.testpmd" 2>&1 &
	pids=($!)
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
	rm -f "/tmp/$prefix.fifo"
	./scripts/labenv.sh clean "$tp_prefix" >/dev/null 2>&1 || true
	tp=$(awk '/Accumulated forward statistics/ { f=1 } f && /RX-packets:/ { print $2; exit }' \
		"/tmp/$prefix.testpmd")
	[ -n "$tp" ] || { echo "bench-lab8: no testpmd figure:"; tail -20 "/tmp/$prefix.testpmd"
		exit 1; }
	tp_runs+=("$tp $((tc1 - tc0))")
}

build_csmp
for round in $(seq "$rounds"); do
	run_pipeline
	[ -n "$csmp_skip" ] || run_csmp
	run_testpmd
done
echo "# ring size    : ${ring_seen#rings of } entries per ring (lab8_primary's start-up line;" \
	"RING_SIZE=N to change)"

/usr/bin/python3 - "$duration" "$(getconf CLK_TCK)" "$sec_line" "$csmp_skip" \
	"${#pipe_runs[@]}" "${#tp_runs[@]}" \
	"${pipe_runs[@]}" "${tp_runs[@]}" "${csmp_runs[@]}" <<'PY'
import statistics, sys
duration, hz = float(sys.argv[1]), int(sys.argv[2])
sec_line, csmp_skip, npipe, ntp = sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
pipe = [[float(v) for v in r.split()] for r in sys.argv[7:7 + npipe]]
tp = [[float(v) for v in r.split()] for r in sys.argv[7 + npipe:7 + npipe + ntp]]
csmp = [[float(v) for v in r.split()] for r in sys.argv[7 + npipe + ntp:]]
ceilings = [p / duration for p, _ in tp]
ceiling = statistics.median(ceilings)
tcpu = statistics.median(t / hz / duration for _, t in tp)
for i, (e, rx, drops, pcpu, scpu, secs) in enumerate(pipe, 1):
    print(f"pipeline  #{i}: {e / 1e6:8.2f} Mpps delivered to the secondary (primary rx "
          f"{rx / 1e6:.2f} Mpps, ring-full drops {drops / 1e6:.2f} Mpps) over {secs:.1f} s; "
          f"CPU primary {pcpu * 100:.0f} %, secondary {scpu * 100:.0f} %")
    if i <= len(csmp):
        r, scpu_c, ccpu = csmp[i - 1]
        print(f"csmp      #{i}: {r / 1e6:8.2f} Mpps delivered to mp_client (its tx); "
              f"CPU mp_server {scpu_c * 100:.0f} %, mp_client {ccpu * 100:.0f} %")
    if i <= len(tp):
        print(f"testpmd   #{i}: {ceilings[i - 1] / 1e6:8.2f} Mpps rxonly, same vdev, "
              f"rx on lcore 0; CPU {tp[i - 1][1] / hz / duration * 100:.0f} %")
print(f"ceiling   : {ceiling / 1e6:8.2f} Mpps dpdk-testpmd rxonly, median of {len(tp)} "
      f"(rounds {min(ceilings) / 1e6:.2f}-{max(ceilings) / 1e6:.2f}); CPU {tcpu * 100:.0f} %")
delivered = [r[0] for r in pipe]
med, best = statistics.median(delivered), max(delivered)
print(f"pipeline  : {med / 1e6:8.2f} Mpps delivered, median of {len(pipe)} (best "
      f"{best / 1e6:.2f})")
if ceiling:
    rounds = [p[0] / c for p, c in zip(pipe, ceilings) if c > 0]
    print(f"ratio     : {med / ceiling * 100:8.1f} % of the single-process ceiling (medians; "
          f"round by round " + ", ".join(f"{r * 100:.1f}" for r in rounds) + " %)")
if csmp:
    cmed = statistics.median(r[0] for r in csmp)
    print(f"csmp      : {cmed / 1e6:8.2f} Mpps delivered by client_server_mp, median of "
          f"{len(csmp)} (best {max(r[0] for r in csmp) / 1e6:.2f})")
    rounds = [p[0] / c[0] for p, c in zip(pipe, csmp) if c[0] > 0]
    print(f"vs csmp   : {med / cmed:8.2f} x client_server_mp's delivered rate (medians; "
          f"round by round " + ", ".join(f"{r:.2f}" for r in rounds) + ")" if cmed else
          "vs csmp   : n/a (client_server_mp delivered nothing)")
    if csmp_skip:
        print(f"vs csmp   : rounds after #{len(csmp)} not measured: {csmp_skip}")
else:
    print(f"vs csmp   : not measured: {csmp_skip}")
# A polling lcore should own its CPU; when other work shares it, the raw
# figures measure the machine. Per CPU-second of the process that limits
# each side (the secondary; testpmd's forwarding lcore), they measure the code.
scpu = statistics.median(r[4] for r in pipe)
if "polls empty" in sec_line:
    print(f"secondary : {sec_line.split(';', 1)[1].strip()} (last round, whole run)")
if scpu > 0 and tcpu > 0 and ceiling:
    print(f"per CPU-s : pipeline {med / scpu / 1e6:.2f} Mpps, "
          f"ceiling {ceiling / tcpu / 1e6:.2f} Mpps"
          f" -> {med / scpu / (ceiling / tcpu) * 100:.1f} % (medians)")
PY
