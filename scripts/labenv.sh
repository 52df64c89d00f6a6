#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# labenv.sh: the one place for environment chores, in the spirit of
# xdp-tutorial's testenv.sh. Every subcommand is idempotent.
#
#   labenv.sh setup            install missing packages, reserve hugepages, mount hugetlbfs
#   labenv.sh deps             install missing Debian packages only
#   labenv.sh hugepages [N]    reserve N 2 MiB hugepages (default: computed from the LLC
#                              and the NUMA nodes, and said why) and mount hugetlbfs
#   labenv.sh clean [PREFIX]   remove runtime dirs and hugepage files no live process holds
#   labenv.sh tap-up IFACE     wait for a net_tap interface, silence IPv6 on it, bring it up
#   labenv.sh status           what is reserved, mounted and left behind
#   labenv.sh uml-run CMD...   run CMD inside a user-mode Linux kernel with TAP flow support
#   labenv.sh numa-vm CMD...   run CMD inside an emulated two-node NUMA machine (qemu)
#                              --nic virtio [--nic-node N] [--nic-queues Q]: with a PCI NIC
#                              for DPDK on node N, bound inside; CMD gets LAB_NIC_PCI (for -a),
#                              LAB_NIC_SOCKET (sysfs numa_node), LAB_NIC_QUEUES, LAB_NIC_MAC and
#                              LAB_TRAFFIC_IFACE (a kernel NIC on the same wire, up, IPv6 off);
#                              labenv.sh numa-vm --help says more
#   labenv.sh dpdk24 SUB...    a Debian 13 root with DPDK 24.11: setup, run CMD..., check, path
set -euo pipefail

# What the labs' pools and rings take, two labs at a time; the rest is computed.
HUGEPAGES_LABS_MIB=2048
RUNTIME_DIR=/var/run/dpdk
PACKAGES=(dpdk dpdk-dev libdpdk-dev dpdk-doc librte-net-null23 librte-net-tap23 librte-net-pcap23
	libnuma-dev libjansson-dev meson ninja-build pkg-config gcc
	libpcap-dev python3-scapy python3-pyelftools python3-matplotlib tmux iproute2 kmod
	numactl user-mode-linux clang qemu-system-x86 linux-image-amd64 busybox-static debootstrap)

die() { echo "labenv: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root (hugepages, hugetlbfs and apt). Run: sudo $0 $*"; }

cmd_deps() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	need_root "installing ${missing[*]}"
	echo "labenv: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

hugetlbfs_mounts() { awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts; }

# The largest last-level cache of any CPU, in KiB (0 when sysfs says nothing).
llc_kib() {
	local d best=0 level=0 size lv
	for d in /sys/devices/system/cpu/cpu[0-9]*/cache/index[0-9]*; do
		[ -r "$d/size" ] && [ -r "$d/level" ] || continue
		[ "$(cat "$d/type" 2>/dev/null)" = Instruction ] && continue
		lv=$(cat "$d/level")
		size=$(sed -E 's/K$//; s/^([0-9]+)M$/\1*1024/' "$d/size")
		size=$((size))
		if [ "$lv" -gt "$level" ] ||
		   { [ "$lv" -eq "$level" ] && [ "$size" -gt "$best" ]; }; then
			level=$lv
			best=$size
		fi
	done
	echo "$best"
}

# Pages of 2 MiB the labs need on each NUMA node, one number per node, with
# the reason on stderr: on node 0 the pools and rings of two labs at a time
# (meson runs two tests at once), and on every node numa_check's pointer
# chase of 8 x the LLC. The chase gets at most a quarter of the memory, so
# the rest of the machine keeps room (numa_check then says its buffer is short).
hugepages_needed() {
	local llc llc_mib nodes labs_mib chase_mib cap_mib total_mib n
	llc=$(llc_kib)
	nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
	[ "$nodes" -ge 1 ] || nodes=1
	labs_mib=$HUGEPAGES_LABS_MIB
	# 32 MiB when the LLC is unknown: numa_check assumes the same.
	llc_mib=$(( llc > 0 ? (llc + 1023) / 1024 : 32 ))
	chase_mib=$(( 8 * llc_mib + 16 ))
	total_mib=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
	cap_mib=$(( total_mib / 4 / nodes ))
	echo "labenv: hugepages: $labs_mib MiB on node 0 for the labs' pools and rings +" \
		"$chase_mib MiB on each of $nodes node(s) for the latency chase (8 x the" \
		"$llc_mib MiB LLC$( [ "$llc" -gt 0 ] || echo ", assumed" ) + 16)$(
		[ "$chase_mib" -le "$cap_mib" ] || echo ", the chase capped at $cap_mib MiB a" \
		"node (a quarter of the $total_mib MiB of memory)" )" >&2
	[ "$chase_mib" -le "$cap_mib" ] || chase_mib=$cap_mib
	for n in $(seq 0 $((nodes - 1))); do
		echo $(( ((n == 0 ? labs_mib : 0) + chase_mib + 1) / 2 ))
	done
}

# Reserves pages on node N (sysfs), or overall when the machine has no node folders.
hugepages_reserve_node() {
	local node=$1 want=$2 f
	f=/sys/devices/system/node/node$node/hugepages/hugepages-2048kB/nr_hugepages
	[ -w "$f" ] || f=/proc/sys/vm/nr_hugepages
	[ "$(cat "$f")" -ge "$want" ] && return 0
	need_root "reserving $want hugepages on node $node"
	echo "$want" > "$f"
	[ "$(cat "$f")" -ge "$want" ] ||
		echo "labenv: only $(cat "$f") of $want hugepages could be reserved on node $node" \
			"(memory fragmented?)" >&2
}

cmd_hugepages() {
	local want=${1:-} n=0 pages
	if [ -n "$want" ]; then
		[[ "$want" =~ ^[0-9]+$ ]] || die "hugepages: '$want' is not a page count"
		if [ "$(cat /proc/sys/vm/nr_hugepages)" -lt "$want" ]; then
			need_root "reserving $want hugepages"
			echo "$want" > /proc/sys/vm/nr_hugepages
		fi
	else
		for pages in $(hugepages_needed); do
			hugepages_reserve_node "$n" "$pages"
			n=$((n + 1))
		done
	fi
	if [ -z "$(hugetlbfs_mounts)" ]; then
		need_root "mounting hugetlbfs"
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages
	fi
	echo "labenv: $(cat /proc/sys/vm/nr_hugepages) hugepages of 2 MiB reserved," \
		"$(awk '/HugePages_Free/ {print $2}' /proc/meminfo) free, hugetlbfs on" \
		"$(hugetlbfs_mounts | tr '\n' ' ')"
}

# A primary holds a POSIX write lock on PREFIX/config for as long as it lives.
prefix_in_use() {
	/usr/bin/python3 - "$RUNTIME_DIR/$1/config" <<'PY'
import fcntl, sys
try:
    f = open(sys.argv[1], "r+")
except OSError:
    sys.exit(1)
try:
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError:
    sys.exit(0)
sys.exit(1)
PY
}

remove_prefix() {
	local prefix=$1 mnt
	rm -rf "${RUNTIME_DIR:?}/$prefix"
	for mnt in $(hugetlbfs_mounts); do
		rm -f "$mnt/${prefix}map_"*
	done
}

cmd_clean() {
	local prefixes=("$@") p removed=0
	if [ ${#prefixes[@]} -eq 0 ]; then
		[ -d "$RUNTIME_DIR" ] && for p in "$RUNTIME_DIR"/*/; do
			[ -d "$p" ] && prefixes+=("$(basename "$p")")
		done
	fi
	for p in "${prefixes[@]}"; do
		if prefix_in_use "$p"; then
			echo "labenv: prefix $p is held by a running primary; left alone"
			continue
		fi
		remove_prefix "$p"
		removed=$((removed + 1))
	done
	echo "labenv: removed the runtime files of $removed stale prefix(es)"
}

cmd_tap_up() {
	local iface=${1:?usage: labenv.sh tap-up IFACE} i
	for i in $(seq 50); do
		ip link show "$iface" >/dev/null 2>&1 && break
		sleep 0.1
	done
	ip link show "$iface" >/dev/null 2>&1 || die "tap-up: no interface $iface (is the DPDK program with --vdev=net_tap0,iface=$iface running?)"
	# Router solicitations and MLD reports would show up as stray packets in the counts.
	sysctl -qw "net.ipv6.conf.$iface.disable_ipv6=1" || true
	ip link set "$iface" up
}

cmd_status() {
	grep -E 'HugePages_(Total|Free)' /proc/meminfo
	echo "hugetlbfs: $(hugetlbfs_mounts | tr '\n' ' ')"
	echo "runtime prefixes: $(ls "$RUNTIME_DIR" 2>/dev/null | tr '\n' ' ')"
	echo "NUMA nodes: $(ls -d /sys/devices/system/node/node* 2>/dev/null | wc -l)"
}

cmd_setup() {
	cmd_deps
	cmd_hugepages "$@"
}

usage() { sed -n '4,21p' "$0" | sed 's/^# \{0,1\}//'; }

sub=${1:-}
[ $# -gt 0 ] && shift
case "$sub" in
setup) cmd_setup "$@" ;;
deps) cmd_deps ;;
hugepages) cmd_hugepages "$@" ;;
clean) cmd_clean "$@" ;;
tap-up) cmd_tap_up "$@" ;;
status) cmd_status ;;
# The two virtual machines are larger chores, each in its own module.
uml-run) source "$(dirname "$0")/labenv.d/uml.sh"; cmd_uml_run "$@" ;;
numa-vm) source "$(dirname "$0")/labenv.d/numa-vm.sh"; cmd_numa_vm "$@" ;;
dpdk24) source "$(dirname "$0")/labenv.d/dpdk24.sh"; cmd_dpdk24 "$@" ;;
-h|--help|help) usage ;;
*) usage >&2; exit 2 ;;
esac
