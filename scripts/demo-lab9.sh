#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Lab 9 end to end, non-interactively: the classifier on a TAP port, mixed
# traffic (HTTPS, HTTP, DNS, spoofed) from gen_traffic.py, the matrix with
# no rules, with the HTTPS->queue 0 and 10/8 drop rules, and after destroying
# them. Where it runs:
#   1. natively, if this kernel lets TAP create flow rules;
#   2. else in the hardware path inside user-mode Linux (labenv.sh uml-run);
#   3. else natively with --fallback software (the rules run on the CPU).
# Then step 8: every row of the course's "common flow rule patterns" table
# (lab9_rte_flow/course_patterns.rules) with traffic, on the software path
# (8 virtual queues, a pcap), row by row against the table.
# Exit 0 when the checks PASS with the rules in force, the spread returns
# after destroy, and every step-8 row lands where the table says.
# BUILD_DIR overrides ./build; LAB9_DEMO_MODE=native|uml|software
# forces a path.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
PROG=$(find "$BUILD_DIR" -name lab9_flow_classifier -type f -perm -u+x 2>/dev/null | head -n 1)
GEN="/usr/bin/python3 $ROOT/scripts/gen_traffic.py"
MIX=https=100,http=100,dns=100,spoofed=50
STEP8_MIX=https=40,http=20,dns=20,voip=30,arp=20,vxlan=25,gtpu=35,blocked=15
# RTE_MP_MAX_FD_NUM is 8 up to 24.07 and 253 from 24.11: TAP's queue pairs at most.
TAP_QUEUES=$(pkg-config --modversion libdpdk 2>/dev/null |
	awk -F. '{ print ($1 > 24 || ($1 == 24 && $2 >= 11)) ? 8 : 4 }')

die() { echo "demo-lab9: $*" >&2; exit 1; }
[ -n "$PROG" ] ||
	die "lab9_flow_classifier not built under $BUILD_DIR: run meson setup build && ninja -C build"

# The steps, run where the classifier's TAP port lives (natively or in UML).
#   inner MODE STEPS EAL-ARGS...   MODE: hardware or software
#   STEPS: course (steps 1-7, 4 queues) or patterns (step 8 on TAP, 8 queues)
inner() {
	local mode=$1 steps=$2 work iface=dtap9 pid i out mix=$MIX edge=--edge-addresses
	shift 2
	work=$(mktemp -d /tmp/demo-lab9.XXXXXX)
	mkfifo "$work/in"
	exec 7<>"$work/in"
	local app=(--interactive --report "$work/report.json")
	[ "$mode" = software ] && app+=(--fallback software)
	# TAP shares its queue fds with secondaries in one message of RTE_MP_MAX_FD_NUM
	# fds (8 in DPDK 22.11): 4 queue pairs there, so the GTP-U row's queue 4
	# exists on the software path only.
	[ "$steps" = patterns ] && app+=(--rxq "$TAP_QUEUES") && mix=$STEP8_MIX && edge=
	"$PROG" "$@" --no-pci --file-prefix="demo_lab9_$$" --vdev="net_tap0,iface=$iface" -- \
		"${app[@]}" <&7 >"$work/out.log" 2>&1 &
	pid=$!
	trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"
		"$ROOT/scripts/labenv.sh" clean "demo_lab9_$$" >/dev/null 2>&1' EXIT
	for i in $(seq 200); do
		grep -q "ready:" "$work/out.log" && break
		if ! kill -0 $pid 2>/dev/null; then
			cat "$work/out.log"
			trap - EXIT
			rm -rf "$work"
			return 1
		fi
		sleep 0.1
	done
	grep -E "^(flow mode|keeping)" "$work/out.log"
	"$ROOT/scripts/labenv.sh" tap-up "$iface"
	# What the kernel itself sends when the link comes up is not part of the lab.
	sleep 1
	echo "reset" >&7

	# Sends traffic, waits until the counts stop moving, prints the matrix.
	step() {
		local title=$1 seed=$2 before last n i
		echo
		echo "--- $title"
		$GEN --iface "$iface" --mix "$mix" $edge --seed "$seed" | tr '\n' ' '
		echo
		last=-1
		for i in $(seq 30); do
			before=$(wc -c < "$work/out.log")
			echo "show matrix" >&7
			sleep 0.3
			out=$(tail -c +"$((before + 1))" "$work/out.log")
			n=$(echo "$out" | sed -n 's/^rx_total=//p' | tail -n 1)
			[ -n "$n" ] && [ "$n" = "$last" ] && break
			last=${n:--1}
		done
		echo "$out" | sed -n '/^queue /,/^rx_total=/p'
	}
	cmd() {
		local before
		before=$(wc -c < "$work/out.log")
		echo "$1" >&7
		sleep 0.5
		tail -c +"$((before + 1))" "$work/out.log" | grep -v '^lab9>' | sed 's/^lab9> //' |
			grep -v '^$' || true
	}

	if [ "$steps" = patterns ]; then
		patterns_on_tap
		return
	fi
	step "step 1-4: no rules yet: RSS spreads every class over the 4 queues" 1
	before_rules=$out
	cmd "reset" >/dev/null
	echo
	# The course's rules as C (lab9_rte_flow/flow_blocks.c): rte_flow_validate(),
	# then rte_flow_create(). "flow create 0 RULE" takes the same rules as text.
	echo "--- step 2-3, 6: validate and create the HTTPS rule and the 10/8 drop rule" \
		"(course create)"
	cmd "course create"
	step "step 5-6: HTTPS on queue 0 only, spoofed 10/8 dropped" 2
	with_rules=$out
	cmd "reset" >/dev/null
	echo
	echo "--- step 7: destroy the rules (course destroy: rte_flow_destroy)"
	cmd "course destroy"
	step "step 7: plain RSS spread again" 3
	after=$out
	echo "quit" >&7
	wait $pid || true
	trap - EXIT
	"$ROOT/scripts/labenv.sh" clean "demo_lab9_$$" >/dev/null 2>&1 || true
	echo
	echo "--- report ($work/report.json)"
	cat "$work/report.json" 2>/dev/null | head -c 400; echo ...
	rm -rf "$work"
	echo
	# Each state has its own checks: a successful run prints no FAIL.
	if ! echo "$before_rules" | grep -q "^PASS the plain RSS spread reaches every queue"; then
		echo "demo-lab9: with no rule the RSS spread should reach every queue"
		return 1
	fi
	if echo "$with_rules" | grep -q "^FAIL" || ! echo "$with_rules" | grep -q "^PASS"; then
		echo "demo-lab9: with the rules in force a check did not pass"
		return 1
	fi
	if ! echo "$after" | grep -q "^PASS traffic back on every queue"; then
		echo "demo-lab9: after destroy every queue should carry traffic again"
		return 1
	fi
	echo "demo-lab9: OK ($mode path): every state PASSes its checks; destroy brought" \
		"the spread back"
}

# Step 8 on TAP (called inside inner, whose session it uses): each row of the
# table is tried; the rows TAP takes get traffic and are checked, the others
# are named with what the PMD and the kernel said, and run on the software path.
patterns_on_tap() {
	local row n=0 taken=() res rc=0
	echo
	echo "--- step 8 on the hardware path: each row of the course's table tried on TAP" \
		"(--rxq $TAP_QUEUES)"
	while IFS= read -r row; do
		case "$row" in ''|'#'*) continue ;; esac
		n=$((n + 1))
		res=$(cmd "flow create 0 $row")
		if echo "$res" | grep -q "^create: OK"; then
			taken+=("$n")
			echo "row $n: TAP takes it: $row"
		else
			echo "row $n: TAP refuses it ($(echo "$res" | grep -m1 -E 'FAILED' |
				sed 's/.*rte_flow_error //')); it runs on the software path below"
			echo "$res" | grep "^TAP's rte_flow has no" | sed 's/^/  /' || true
		fi
	done < "$ROOT/lab9_rte_flow/course_patterns.rules"
	step "step 8: the rows TAP took, with the step-8 traffic" 8
	echo "quit" >&7
	wait $pid || true
	trap - EXIT
	"$ROOT/scripts/labenv.sh" clean "demo_lab9_$$" >/dev/null 2>&1 || true
	if [ ${#taken[@]} -gt 0 ]; then
		/usr/bin/python3 "$ROOT/scripts/lab9_patterns.py" "$work/report.json" \
			"$work/out.log" \
			"$STEP8_MIX" "$(IFS=,; echo "${taken[*]}")" || rc=1
	else
		echo "step 8: TAP took none of the rows here"
	fi
	rm -rf "$work"
	return $rc
}

# Step 8 on the software path: the six rows, a pcap of their classes, 8 queues.
step8() {
	local work prefix=demo_lab9_p8_$$ rc=0
	work=$(mktemp -d /tmp/demo-lab9-p8.XXXXXX)
	echo
	echo "--- step 8: the course's flow rule patterns" \
		"(lab9_rte_flow/course_patterns.rules), software path, --rxq 8"
	$GEN --pcap "$work/p8.pcap" --mix "$STEP8_MIX" --seed 8 | tr '\n' ' '
	echo
	# The pcap is replayed once at start; then the ARP rule's COUNT is read at the prompt.
	(sleep 3; echo "flow query 0 2 count"; sleep 0.5; echo "quit") |
		"$PROG" -l 0-1 --no-pci --no-huge -m 256 --file-prefix="$prefix" \
		--vdev="net_pcap0,rx_pcap=$work/p8.pcap,tx_pcap=$work/p8.out" -- \
		--fallback software \
		--rxq 8 --rules "$ROOT/lab9_rte_flow/course_patterns.rules" --interactive \
		--report "$work/p8.json" >"$work/p8.log" 2>&1 || rc=$?
	"$ROOT/scripts/labenv.sh" clean "$prefix" >/dev/null 2>&1 || true
	if [ "$rc" -ne 0 ]; then
		cat "$work/p8.log"
		rm -rf "$work"
		echo "demo-lab9: step 8: the classifier failed (exit $rc)"
		return 1
	fi
	sed -n '/^queue  /,/^rx_total=/p' "$work/p8.log" | tail -n 14
	grep "^COUNT:" "$work/p8.log" || true
	/usr/bin/python3 "$ROOT/scripts/lab9_patterns.py" "$work/p8.json" "$work/p8.log" \
		"$STEP8_MIX" || rc=1
	rm -rf "$work"
	return $rc
}

if [ "${1:-}" = --inner ]; then
	shift
	rc=0
	inner "$1" course "${@:2}" || rc=$?
	inner "$1" patterns "${@:2}" || rc=1
	exit $rc
fi

[ -c /dev/net/tun ] || die "no /dev/net/tun: the demo needs the TAP PMD"
mode=${LAB9_DEMO_MODE:-}
if [ -z "$mode" ]; then
	probe=$("$PROG" -l 0-1 --no-pci --file-prefix="demo_lab9_probe_$$" \
		--vdev=net_tap0,iface=dtap9p -- --probe 2>&1 || true)
	"$ROOT/scripts/labenv.sh" clean "demo_lab9_probe_$$" >/dev/null 2>&1 || true
	if echo "$probe" | grep -q "flow mode: hardware"; then
		mode=native
	elif command -v linux.uml >/dev/null 2>&1; then
		mode=uml
		echo "This kernel cannot run TAP flow rules:"
		echo "$probe" | grep -E "lacks|cannot create" | sed 's/^/  /'
		echo "so the hardware path runs inside user-mode Linux (./scripts/labenv.sh uml-run)."
	else
		mode=software
	fi
fi
rc=0
case "$mode" in
native) inner hardware course -l 0-1 || rc=1
	inner hardware patterns -l 0-1 || rc=1 ;;
uml) UML_TIMEOUT=${UML_TIMEOUT:-120} "$ROOT/scripts/labenv.sh" uml-run \
	env BUILD_DIR="$BUILD_DIR" "$0" --inner hardware --no-huge -m 256 --lcores=0@0,1@0 || rc=$? ;;
software) inner software course -l 0-1 || rc=$? ;;
*) die "LAB9_DEMO_MODE='$mode': native, uml or software" ;;
esac
step8 || rc=1
exit $rc
