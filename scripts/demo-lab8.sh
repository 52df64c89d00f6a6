#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Lab 8 end to end, non-interactively, on net_pcap (one rx_pcap file per rx
# queue, each replayed once): the course's steps 5 and 6 with checks.
#   1. primary + enterprise + mobility secondaries; every source address sent
#      is printed once, by the right role; /lab8/stats agrees
#   2. SIGKILL the enterprise secondary: the primary carries on and reports
#      what it stranded; the same command attaches again
#   3. SIGKILL the primary: the mobility secondary exits with code 3;
#      a secondary started afterwards is refused
#   4. SASE-DP anywhere: --rxq 8 --rules sase.rules --fallback software
#      --policy, ring-mode secondaries; the per-class table (sase_table.py)
#   5. SASE-DP production pattern, where the emulated server runs
#      (labenv.sh numa-vm, DPDK 24.11): net_tap, rules in the kernel,
#      secondaries on queues 0-3 and 4-7 (the lab8_sase_vm test,
#      tests/lab8/test_lab8_sase_vm.py, running tests/lab8/sase_hw_job.py)
#      SASE_VM=0 leaves step 5 out (it boots a VM: minutes under TCG).
#   ./scripts/demo-lab8.sh        (BUILD_DIR=build by default; needs hugepages)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
bin=$build/lab8_multiprocess
prefix=lab8demo_$$
work=$(mktemp -d /tmp/lab8demo.XXXXXX)
pids=()
failed=0

die() { echo "demo-lab8: $*" >&2; exit 1; }
[ -x "$bin/lab8_primary" ] || die "$bin/lab8_primary not built: run ninja -C $build"
grep -q hugetlbfs /proc/mounts || die "no hugetlbfs: run ./scripts/labenv.sh setup"

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	./scripts/labenv.sh clean "$prefix" >/dev/null 2>&1 || true
	./scripts/labenv.sh clean "${prefix}_sase" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

result() { # OK-CONDITION-EXIT-CODE TEXT
	if [ "$1" -eq 0 ]; then echo "  PASS  $2"; else echo "  FAIL  $2"; failed=1; fi
}
wait_text() { # FILE TEXT SECONDS
	local i
	for i in $(seq $(($3 * 10))); do grep -q -- "$2" "$1" && return 0; sleep 0.1; done
	return 1
}
stats() {
	echo /lab8/stats | /usr/bin/python3 /usr/bin/dpdk-telemetry.py -f "${prefix}" 2>/dev/null |
		grep lab8
}
eal=(--file-prefix="$prefix" --no-pci --log-level=lib.eal:warning)

echo "traffic: gen_traffic.py, split round-robin into one pcap per rx queue"
/usr/bin/python3 scripts/gen_traffic.py --pcap "$work/t.pcap" \
	--mix https=40,http=40,dns=40,spoofed=20,arp=4 --seed 42 --src-list "$work/t.src" | tail -1
/usr/bin/python3 - "$work/t.pcap" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
outs, pos, i = [bytearray(data[:24]) for _ in range(4)], 24, 0
while pos + 16 <= len(data):
    n = struct.unpack(e + "I", data[pos + 8:pos + 12])[0]
    outs[i % 4] += data[pos:pos + 16 + n]
    pos, i = pos + 16 + n, i + 1
for q, out in enumerate(outs):
    open(sys.argv[1][:-5] + f".q{q}.pcap", "wb").write(out)
PY
vdev="net_pcap0,rx_pcap=$work/t.q0.pcap,rx_pcap=$work/t.q1.pcap"
vdev+=",rx_pcap=$work/t.q2.pcap,rx_pcap=$work/t.q3.pcap"
total=$(wc -l < "$work/t.src")

echo
echo "step 1: primary (lcore 0), enterprise (lcore 1), mobility (--lcores=2@1)"
"$bin/lab8_primary" -l 0 --proc-type=primary "${eal[@]}" --vdev="$vdev" -- --no-status \
	> "$work/primary.log" 2>&1 &
pids+=($!); primary=$!
wait_text "$work/primary.log" "Ctrl-C to stop" 20 || { cat "$work/primary.log"; exit 1; }
"$bin/lab8_secondary" -l 1 --proc-type=secondary "${eal[@]}" -- --role enterprise \
	> "$work/ent.log" 2>&1 &
pids+=($!); ent=$!
"$bin/lab8_secondary" --lcores=2@1 --proc-type=secondary "${eal[@]}" -- --role mobility \
	> "$work/mob.log" 2>&1 &
pids+=($!); mob=$!
wait_text "$work/ent.log" "Ctrl-C to stop" 20 && wait_text "$work/mob.log" "Ctrl-C to stop" 20
for _ in $(seq 50); do
	s=$(stats || true)
	[[ "$s" =~ \"enterprise_packets\":\ ([0-9]+).*\"mobility_packets\":\ ([0-9]+) ]] &&
		[ $((BASH_REMATCH[1] + BASH_REMATCH[2])) -ge "$total" ] && break
	sleep 0.2
done
echo "  /lab8/stats: $s"
grep -m3 "src=" "$work/ent.log" | sed "s/^/  /" || true
/usr/bin/python3 - "$work/t.src" "$work/ent.log" "$work/mob.log" <<'PY' && r=0 || r=1
import collections, re, sys
sent = [l.split() for l in open(sys.argv[1]) if l.strip()]
want = {"enterprise": [], "mobility": []}
for i, (_, src) in enumerate(sent):
    want["enterprise" if i % 4 < 2 else "mobility"].append(src)
ok = True
for role, path in (("enterprise", sys.argv[2]), ("mobility", sys.argv[3])):
    got = re.findall(r"^%s: src=(\S+)" % role, open(path).read(), re.M)
    same = collections.Counter(got) == collections.Counter(want[role])
    print(f"  {role:10s}: {len(got)} packets printed, {len(want[role])} sent to queues "
          f"{'0-1' if role == 'enterprise' else '2-3'}: {'same sources' if same else 'DIFFERENT'}")
    ok &= same
sys.exit(0 if ok else 1)
PY
result $r "every source sent printed exactly once, by the secondary of its queues' role"

echo
echo "step 2: SIGKILL the enterprise secondary, then run the same command again"
kill -KILL "$ent"; wait "$ent" 2>/dev/null || true
wait_text "$work/primary.log" "died without detaching" 5 && r=0 || r=1
grep -o "secondary enterprise pid.*" "$work/primary.log" | head -1 | sed 's/^/  primary: /' || true
kill -0 "$primary" 2>/dev/null && result $r "primary stays up and reports the stranded mbufs" ||
	result 1 "primary stays up"
"$bin/lab8_secondary" -l 1 --proc-type=secondary "${eal[@]}" -- --role enterprise --quiet \
	> "$work/ent2.log" 2>&1 &
pids+=($!); ent2=$!
wait_text "$work/ent2.log" "Ctrl-C to stop" 20 && r=0 || r=1
result $r "restarted enterprise secondary attaches (same lcore id, same arguments)"

echo
echo "step 3: SIGKILL the primary (the course: 'secondaries segfault')"
kill -KILL "$primary"; wait "$primary" 2>/dev/null || true
start=$(date +%s%N)
rc=0; wait "$mob" || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep "the primary is gone" "$work/mob.log" | sed 's/^/  /' || true
[ "$rc" -eq 3 ] && [ "$ms" -le 1000 ] && r=0 || r=1
result $r "mobility secondary exits with code 3 in ${ms} ms (no segfault, no hang)"
rc=0; wait "$ent2" || rc=$?
result $([ "$rc" -eq 3 ]; echo $?) "restarted enterprise secondary exits with code 3 too"
rc=0
timeout 30 "$bin/lab8_secondary" --lcores=3@1 --proc-type=secondary "${eal[@]}" -- \
	--role enterprise \
	> "$work/late.log" 2>&1 || rc=$?
grep -o "the primary of .* is not running[^:]*" "$work/late.log" | sed 's/^/  /' || true
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && grep -q "is not running" "$work/late.log" && r=0 || r=1
result $r "a secondary started after the SIGKILL is refused (the stale files are still there)"

echo
echo "step 4: SASE-DP anywhere: the rules on the CPU (--fallback software), ring-mode secondaries"
sprefix=${prefix}_sase
seal=(--file-prefix="$sprefix" --no-pci --log-level=lib.eal:warning)
/usr/bin/python3 scripts/gen_traffic.py --pcap "$work/s.pcap" --teid 1234 \
	--mix enterprise=40,gtpu=40,https=30,dns=20,arp=2 --seed 7 --src-list "$work/s.src" | tail -1
# Half the VPN subnet's sources allowed, a quarter denied, the rest not listed.
/usr/bin/python3 scripts/sase_table.py --make-policy "$work/s.src" > "$work/policy.txt"
"$bin/lab8_primary" -l 0 --proc-type=primary "${seal[@]}" --vdev="net_pcap0,rx_pcap=$work/s.pcap" \
	-- --no-status --rxq 8 --rules lab8_multiprocess/sase.rules --fallback software \
	--policy "$work/policy.txt" > "$work/sprimary.log" 2>&1 &
pids+=($!); sprimary=$!
wait_text "$work/sprimary.log" "Ctrl-C to stop" 20 || { cat "$work/sprimary.log"; exit 1; }
grep -E "^(flow mode|create:)|rule\(s\) from|virtual rx queues" "$work/sprimary.log" |
	sed 's/^/  /' || true
"$bin/lab8_secondary" -l 1 --proc-type=secondary "${seal[@]}" -- --role enterprise \
	> "$work/sent.log" 2>&1 &
pids+=($!); sent_pid=$!
"$bin/lab8_secondary" --lcores=2@1 --proc-type=secondary "${seal[@]}" -- --role mobility \
	> "$work/smob.log" 2>&1 &
pids+=($!); smob_pid=$!
wait_text "$work/sent.log" "Ctrl-C to stop" 20 && wait_text "$work/smob.log" "Ctrl-C to stop" 20
stotal=$(wc -l < "$work/s.src")
for _ in $(seq 50); do
	s=$(prefix=$sprefix stats || true)
	[[ "$s" =~ \"enterprise_packets\":\ ([0-9]+).*\"mobility_packets\":\ ([0-9]+) ]] &&
		[ $((BASH_REMATCH[1] + BASH_REMATCH[2])) -ge "$stotal" ] && break
	sleep 0.2
done
kill -INT "$sent_pid" "$smob_pid"; wait "$sent_pid" "$smob_pid" 2>/dev/null || true
grep -m2 "class=gtpu" "$work/smob.log" | sed 's/^/  /' || true
grep -m2 "verdict=allow" "$work/sent.log" | sed 's/^/  /' || true
/usr/bin/python3 scripts/sase_table.py "$work/s.src" "$work/policy.txt" "$work/sent.log" \
	"$work/smob.log" | sed 's/^/  /' && r=0 || r=1
result "$r" "SASE-DP anywhere: each class on its secondary, the verdicts as the policy says"
kill -INT "$sprimary"; wait "$sprimary" 2>/dev/null || true
grep -E "rules' queue|dropped by a rule" "$work/sprimary.log" | sed 's/^/  /' || true
./scripts/labenv.sh clean "$sprefix" >/dev/null 2>&1 || true

echo
echo "step 5: SASE-DP production pattern in the emulated server (net_tap, rules in the kernel)"
if [ "${SASE_VM:-1}" = 0 ]; then
	echo "  (skipped: SASE_VM=0)"
else
	# The lab8_sase_vm test itself: it builds build-dpdk24 if needed, boots the
	# machine, runs tests/lab8/sase_hw_job.py inside, or says why it cannot (77).
	r=0
	LAB_BUILD_DIR="$(realpath "$build")" PYTHONPATH="$PWD/tests:$PWD/tests/lab8" \
		/usr/bin/python3 tests/lab8/test_lab8_sase_vm.py > "$work/vm.log" 2>&1 || r=$?
	if [ "$r" -eq 77 ]; then
		echo "  (skipped: $(sed -n '/^SKIP: /,$p' "$work/vm.log" | sed 's/^SKIP: //' | tr '\n' ' '))"
	else
		grep -vE "^(EAL|TELEMETRY|TAP):" "$work/vm.log" | sed 's/^/  /' || true
		result "$r" "SASE-DP on net_tap in the emulated server: the kernel steers each class"
	fi
fi

echo
if [ "$failed" -eq 0 ]; then echo "lab8 demo: all steps passed"; else echo "lab8 demo: FAILED"; fi
exit $failed
