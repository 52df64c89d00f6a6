# SPDX-License-Identifier: BSD-3-Clause
#
# labenv.sh dpdk24 SUBCOMMAND: a Debian 13 (trixie) root with Debian 13's own
# DPDK 24.11 LTS, made with debootstrap, so the labs build and run on the
# newer LTS beside the host's 22.11 without touching the host's packages.
#
#   labenv.sh dpdk24 setup         make the root (once; later calls only check it)
#   labenv.sh dpdk24 run CMD...    run CMD inside it, in the same working directory
#   labenv.sh dpdk24 check         exit 0 if the root is ready, else say what is missing
#   labenv.sh dpdk24 path          print where the root is
#
# CMD runs in a mount namespace of its own (unshare), so what is bound in for
# it disappears with it, even if it is killed: /proc, /sys, /dev (with
# /dev/net/tun and /dev/shm), every hugetlbfs mount of the host at the same
# path, /run/dpdk (DPDK's runtime folder: a 24.11 process can meet a 22.11
# one on the same --file-prefix) and the project folder at the same path.
# The host's network namespace is shared (net_tap interfaces are the host's).
#
# Environment:
#   DPDK24_ROOT     where the root lives (default /var/lib/dpdk-labs/trixie):
#                   outside the clone, so a fresh clone on the same machine reuses it
#   DPDK24_MIRROR   the Debian mirror (default: the host's, else deb.debian.org)
#
# Exit status of run: CMD's; 125 if the root is not ready (setup says why).
# setup exits 77 when Debian's mirror cannot be reached (meson's "skipped"),
# 1 when debootstrap fails with it reachable.

DPDK24_ROOT=${DPDK24_ROOT:-/var/lib/dpdk-labs/trixie}
DPDK24_SUITE=trixie
DPDK24_PACKAGES=(dpdk dpdk-dev libdpdk-dev librte-net-null25 librte-net-tap25 librte-net-pcap25
	meson ninja-build pkg-config gcc libc6-dev libnuma-dev libjansson-dev libpcap-dev
	python3 python3-scapy python3-pyelftools iproute2 kmod procps)

dpdk24_die() { echo "dpdk24: $*" >&2; exit 125; }

dpdk24_mirror() {
	local m
	if [ -n "${DPDK24_MIRROR:-}" ]; then
		echo "$DPDK24_MIRROR"
		return
	fi
	# The host's Debian mirror, from a deb822 or a one-line sources list.
	m=$(grep -hoE 'https?://[^ ]*/debian/?( |$)' /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list 2>/dev/null | head -n 1 | tr -d ' ')
	echo "${m:-http://deb.debian.org/debian}"
}

# Prints what is missing, one line each; empty when the root is ready.
dpdk24_missing() {
	[ -f "$DPDK24_ROOT/.labenv-ready" ] ||
		echo "no Debian 13 root at $DPDK24_ROOT: run ./scripts/labenv.sh dpdk24 setup"
	command -v unshare >/dev/null || echo "unshare not found (package util-linux)"
}

dpdk24_setup() {
	local mirror log
	if [ -f "$DPDK24_ROOT/.labenv-ready" ]; then
		echo "dpdk24: the Debian 13 root is ready at $DPDK24_ROOT ($(dpdk24_version))"
		return 0
	fi
	need_root "making the Debian 13 root"
	command -v debootstrap >/dev/null || cmd_deps
	mirror=$(dpdk24_mirror)
	# An unreachable mirror is the host's lack (77: skipped); anything after is a failure.
	if ! wget -q -T 20 -O /dev/null "$mirror/dists/$DPDK24_SUITE/Release"; then
		echo "dpdk24: Debian's packages cannot be reached ($mirror/dists/$DPDK24_SUITE):" \
			"no Debian 13 root (DPDK24_MIRROR names another mirror)" >&2
		exit 77
	fi
	# Only a folder this tool made (its marker inside) or an empty one is removed.
	if [ -d "$DPDK24_ROOT" ] && [ ! -f "$DPDK24_ROOT/.labenv-root" ] &&
	   [ ! -f "$DPDK24_ROOT/.labenv-ready" ] && [ -n "$(ls -A "$DPDK24_ROOT")" ]; then
		dpdk24_die "$DPDK24_ROOT exists and is not a root made by labenv: move it away" \
			"or set DPDK24_ROOT"
	fi
	rm -rf "$DPDK24_ROOT"
	mkdir -p "$DPDK24_ROOT"
	touch "$DPDK24_ROOT/.labenv-root"
	log=$(mktemp)
	echo "dpdk24: making a Debian 13 ($DPDK24_SUITE) root at $DPDK24_ROOT from $mirror" \
		"(a few minutes, once)"
	if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${DPDK24_PACKAGES[*]}")" \
		"$DPDK24_SUITE" "$DPDK24_ROOT" "$mirror" >"$log" 2>&1; then
		tail -n 5 "$log" >&2
		rm -f "$log"
		echo "dpdk24: debootstrap of $DPDK24_SUITE from $mirror failed (above); the" \
			"half-made root stays at $DPDK24_ROOT for a look, and setup starts over" >&2
		exit 1
	fi
	rm -f "$log"
	# The chroot's apt caches are not needed once the packages are in.
	rm -rf "$DPDK24_ROOT"/var/cache/apt/archives/*.deb
	touch "$DPDK24_ROOT/.labenv-ready"
	echo "dpdk24: ready: $(dpdk24_version) at $DPDK24_ROOT ($(du -sh "$DPDK24_ROOT" | cut -f1))"
}

dpdk24_version() {
	chroot "$DPDK24_ROOT" pkg-config --modversion libdpdk 2>/dev/null |
		sed 's/^/DPDK /' || echo "DPDK version unknown"
}

dpdk24_run() {
	local missing here top
	[ $# -gt 0 ] || { echo "usage: labenv.sh dpdk24 run CMD..." >&2; exit 2; }
	[ "${1:-}" = "--" ] && shift
	missing=$(dpdk24_missing)
	[ -z "$missing" ] || dpdk24_die "$missing"
	need_root "running in the Debian 13 root"
	# The project folder is bound in whole; CMD starts where the caller is, inside it.
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
	here=$(pwd -P)
	case "$here/" in
	"$top"/*) ;;
	*) dpdk24_die "run it from inside the project folder $top (here: $here)" ;;
	esac
	mkdir -p /run/dpdk
	# The mounts are made inside the new namespace: nothing outlives CMD.
	exec unshare --mount --propagation private -- /bin/bash -c '
		set -e
		root=$1 top=$2 here=$3
		shift 3
		mount --rbind /proc "$root/proc"
		mount --rbind /sys "$root/sys"
		mount --rbind /dev "$root/dev"
		for m in $(awk '\''$3 == "hugetlbfs" { print $2 }'\'' /proc/mounts); do
			mkdir -p "$root$m"
			mountpoint -q "$root$m" || mount --bind "$m" "$root$m"
		done
		mkdir -p "$root/run/dpdk" "$root$top"
		mount --bind /run/dpdk "$root/run/dpdk"
		mount --rbind "$top" "$root$top"
		cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
		exec chroot "$root" /usr/bin/env -C "$here" "$@"' dpdk24 "$DPDK24_ROOT" "$top" \
		"$here" "$@"
}

cmd_dpdk24() {
	local sub=${1:-}
	[ $# -gt 0 ] && shift
	case "$sub" in
	setup) dpdk24_setup ;;
	run) dpdk24_run "$@" ;;
	check)
		local missing
		missing=$(dpdk24_missing)
		[ -z "$missing" ] || { echo "$missing"; return 1; }
		echo "dpdk24: ready at $DPDK24_ROOT ($(dpdk24_version))"
		;;
	path) echo "$DPDK24_ROOT" ;;
	*) awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' \
		"${BASH_SOURCE[0]}" >&2; exit 2 ;;
	esac
}
