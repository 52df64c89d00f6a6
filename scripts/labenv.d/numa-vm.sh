# SPDX-License-Identifier: BSD-3-Clause
#
# labenv.sh numa-vm [OPTIONS] -- CMD...: run CMD inside an emulated machine
# with several NUMA nodes (qemu-system-x86_64), so that a laptop or a CI runner
# with one node can see what DPDK does on a two-socket server.
#
# The guest runs Debian's own kernel (package linux-image-amd64, the newest
# installed under /boot) with a tiny initramfs (static busybox plus the virtio
# and 9p modules), built once and cached in the build folder. Its init mounts
# the host's root directory read-write over 9p, mounts its OWN proc, sysfs,
# devtmpfs, a fresh tmpfs on /run (so /var/run/dpdk is empty and private) and
# its own hugetlbfs on /dev/hugepages (so hugepage files never reach the host),
# reserves 2 MiB hugepages on every node, chroots into the host's root and runs
# CMD in the caller's working directory with the caller's environment. Files
# CMD writes elsewhere are the host's. CMD's stdout, stderr and exit status
# come back through files in a host folder and are printed when the guest has
# powered off (not live).
#
# Options:
#   --nodes N            NUMA nodes, one socket each (default 2, up to 8)
#   --cpus-per-node C    CPUs per node (default 2): lcores 0..C-1 are node 0, ...
#   --mem-per-node M     memory per node in MiB, or with a G suffix (default 640)
#   --hugepages P        2 MiB hugepages reserved on each node (default 128)
#   --distance D         distance between two different nodes (default 21)
#   --timeout S          seconds, boot included, before the guest is killed (default 300)
#   --accel auto|kvm|tcg auto: KVM if /dev/kvm boots the guest (tried once, cached), else TCG
#   --check              only check the prerequisites, say what is missing
#   --keep               keep the run folder (console log, job script)
#   -q, --quiet          no progress lines on stderr
#   --nic virtio         add a PCI NIC for DPDK (virtio-net-pci, RSS, bound to uio_pci_generic)
#                        and a kernel NIC on the same private wire to send to it from
#   --nic-node N         the DPDK NIC's NUMA node: it sits behind a PCI expander bridge
#                        (pxb) of that node (default 1, or 0 on a one-node machine)
#   --nic-queues Q       its queue pairs, hashed by RSS (default 4, up to 8)
#
# With --nic, labenv makes three host links named nv<PID>b/d/k (a bridge with no
# address, the NIC's multi-queue tap, the kernel NIC's tap; IPv6 off, nothing
# leaves the machine) and removes them on exit. Inside, before CMD, the DPDK NIC
# is bound with dpdk-devbind.py (vfio-pci needs an IOMMU or no-IOMMU mode,
# which Debian's kernel lacks) and CMD's environment gains:
#   LAB_NIC_PCI          its PCI address, for -a (0000:81:00.0)
#   LAB_NIC_SOCKET       its NUMA node as sysfs reads it (numa_node)
#   LAB_NIC_QUEUES       its queue pairs (Q)
#   LAB_NIC_MAC          its MAC address (gen_traffic.py's default --dst-mac)
#   LAB_TRAFFIC_IFACE    the kernel's interface on the same wire: up, IPv6 off, no
#                        address, so only what CMD sends on it reaches the NIC
#
# Environment: NUMA_VM_CACHE (cache folder, default $BUILD_DIR/numa-vm or
# build/numa-vm), NUMA_VM_KERNEL (a /boot/vmlinuz-VERSION instead of the newest),
# NUMA_VM_APPEND (kernel words instead of "quiet", e.g. "" for the boot log in
# the kept console.log), NUMA_VM_9P_CACHE (9p cache mode, default loose),
# NUMA_VM_KVM_CPU (qemu -cpu under KVM, default host).
#
# Exit status: CMD's, 124 when it timed out, 125 when the machine could not run
# CMD at all (the reason is printed), 2 for bad options.

NUMA_VM_MODULES="virtio_pci 9pnet_virtio 9p"

numa_vm_die() { echo "numa-vm: $*" >&2; exit 125; }
numa_vm_usage() { awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "${BASH_SOURCE[0]}"; }
numa_vm_bad() { echo "numa-vm: $*" >&2; exit 2; }
numa_vm_say() { [ "$NUMA_VM_QUIET" = 1 ] || echo "numa-vm: $*" >&2; }

# The newest kernel under /boot that has its modules installed.
numa_vm_kernel() {
	local k v best=""
	if [ -n "${NUMA_VM_KERNEL:-}" ]; then
		echo "$NUMA_VM_KERNEL"
		return
	fi
	for k in /boot/vmlinuz-*; do
		[ -f "$k" ] || continue
		v=${k#/boot/vmlinuz-}
		[ -d "/lib/modules/$v/kernel" ] || continue
		best="$best$v"$'\n'
	done
	best=$(printf '%s' "$best" | sort -V | tail -n 1)
	[ -n "$best" ] && echo "/boot/vmlinuz-$best"
}

# Prints what is missing (one line each, with the package to install); empty if ready.
numa_vm_missing() {
	local kernel bb
	command -v qemu-system-x86_64 >/dev/null ||
		echo "qemu-system-x86_64 not found: install package qemu-system-x86 (./scripts/labenv.sh deps)"
	kernel=$(numa_vm_kernel)
	if [ -z "$kernel" ]; then
		echo "no kernel with modules (/boot/vmlinuz-V and /lib/modules/V): install package linux-image-amd64 (./scripts/labenv.sh deps)"
	elif [ ! -f "$kernel" ] || [ ! -d "/lib/modules/${kernel#/boot/vmlinuz-}/kernel" ]; then
		echo "$kernel: not a /boot/vmlinuz-VERSION with /lib/modules/VERSION (NUMA_VM_KERNEL?)"
	elif [ ! -r "$kernel" ]; then
		echo "cannot read $kernel: run as root"
	fi
	bb=$(command -v busybox || true)
	if [ -z "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
		echo "no static busybox: install package busybox-static (./scripts/labenv.sh deps)"
	fi
	command -v modinfo >/dev/null || echo "modinfo not found: install package kmod"
	[ "$(id -u)" -eq 0 ] || echo "needs root (9p passthrough of the host's root, hugepages inside): run with sudo"
}

# Module NAME and its dependencies, dependencies first, as lines "name path".
numa_vm_module_deps() {
	local kver=$1 name=$2 deps d path
	path=$(modinfo -k "$kver" -F filename "$name" 2>/dev/null) ||
		numa_vm_die "kernel $kver has no module $name (modinfo -k $kver $name)"
	[ "$path" = "(builtin)" ] && return 0
	deps=$(modinfo -k "$kver" -F depends "$name")
	for d in ${deps//,/ }; do
		numa_vm_module_deps "$kver" "$d"
	done
	echo "$name $path"
}

# PID 1 of the guest. It reads numavm.run= (the host folder of this run) and
# numavm.hugepages= from the kernel command line.
numa_vm_init_script() {
	cat <<'EOF'
#!/bin/busybox sh
# SPDX-License-Identifier: BSD-3-Clause
# Generated by labenv.sh numa-vm: PID 1 of the emulated NUMA machine.
/bin/busybox mkdir -p /proc /sys /dev /newroot
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
say() { echo "numa-vm-init: [$(cut -d' ' -f1 /proc/uptime)] $*"; }
halt_now() {
	sync
	poweroff -f
	sleep 5
}
fail() {
	say "FAILED: $*"
	halt_now
}
run="" hugepages=0 cache9p=loose
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	numavm.probe=1) say "probe ok"; halt_now ;;
	numavm.run=*) run=${arg#*=} ;;
	numavm.hugepages=*) hugepages=${arg#*=} ;;
	numavm.cache=*) cache9p=${arg#*=} ;;
	esac
done
[ -n "$run" ] || fail "no numavm.run= on the kernel command line"
while read -r mod; do
	insmod "/lib/modules/$mod.ko" || fail "insmod $mod"
done </lib/modules/load.order
say "modules loaded"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=$cache9p hostroot /newroot ||
	fail "cannot mount the host's root over 9p"
[ -d "/newroot$run" ] || fail "run folder $run not visible over 9p"
# The guest's own kernel file systems hide the host's /proc, /sys, /dev and /run.
mount -t proc proc /newroot/proc &&
mount -t sysfs sysfs /newroot/sys &&
mount -t devtmpfs devtmpfs /newroot/dev &&
mkdir -p /newroot/dev/pts /newroot/dev/shm /newroot/dev/hugepages &&
mount -t devpts devpts /newroot/dev/pts &&
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm &&
mount -t hugetlbfs -o pagesize=2M hugetlbfs /newroot/dev/hugepages &&
mount -t tmpfs -o mode=755 tmpfs /newroot/run &&
mkdir -p /newroot/run/lock || fail "cannot mount the guest's file systems"
say "file systems mounted"
# The kernel's module autoloading runs in init's root, which has no modprobe:
# hand it to the host's modprobe (same kernel version) inside the host root.
printf '#!/bin/sh\nexec /bin/chroot /newroot /sbin/modprobe "$@"\n' >/bin/modprobe-host
chmod 755 /bin/modprobe-host
echo /bin/modprobe-host >/proc/sys/kernel/modprobe
# /dev/net/tun for DPDK's net_tap.
/bin/modprobe-host -q tun
info=/newroot$run/vm-info
: >"$info"
for node in /sys/devices/system/node/node[0-9]*; do
	n=${node##*node}
	hp=$node/hugepages/hugepages-2048kB/nr_hugepages
	[ "$(cat "$hp")" = "$hugepages" ] || echo "$hugepages" >"$hp" 2>/dev/null
	echo "node$n cpus=$(cat "$node/cpulist") distance=$(cat "$node/distance" | tr ' ' ,) hugepages=$(cat "$hp")" >>"$info"
done
echo "kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)" >>"$info"
say "running the job"
: >"/newroot$run/started"
chroot /newroot /bin/bash "$run/job.sh" >"/newroot$run/stdout" 2>"/newroot$run/stderr"
rc=$?
say "job exited $rc"
echo "job_end_uptime=$(cut -d' ' -f1 /proc/uptime)" >>"$info"
# Whatever CMD left running dies before the file systems go.
kill -KILL -1 2>/dev/null
sleep 0.1
echo "$rc" >"/newroot$run/rc"
sync
for m in run dev/hugepages dev/shm dev/pts dev sys proc; do
	umount "/newroot/$m" 2>/dev/null || umount -l "/newroot/$m" 2>/dev/null
done
umount /newroot 2>/dev/null
halt_now
EOF
}

# Builds (once per kernel and init version) the initramfs; prints its path.
numa_vm_initramfs() {
	local cache=$1 kver=$2 hash out tmp line name path
	hash=$( { numa_vm_init_script; echo "$NUMA_VM_MODULES"; } | sha256sum | cut -c1-12)
	out=$cache/initramfs-$kver-$hash.cpio
	[ -s "$out" ] && { echo "$out"; return; }
	tmp=$(mktemp -d "$cache/initramfs.XXXXXX")
	mkdir -p "$tmp/bin" "$tmp/lib/modules" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/newroot"
	cp "$(command -v busybox)" "$tmp/bin/busybox"
	numa_vm_init_script >"$tmp/init"
	chmod 755 "$tmp/init"
	for name in $NUMA_VM_MODULES; do
		numa_vm_module_deps "$kver" "$name"
	done | awk '!seen[$1]++' | while read -r name path; do
		case "$path" in
		*.ko.xz) xz -dc "$path" ;;
		*.ko.zst) zstd -dcq "$path" ;;
		*.ko.gz) gzip -dc "$path" ;;
		*) cat "$path" ;;
		esac >"$tmp/lib/modules/$name.ko" || numa_vm_die "cannot unpack $path"
		echo "$name" >>"$tmp/lib/modules/load.order"
	done || exit 125
	[ -s "$tmp/lib/modules/load.order" ] || numa_vm_die "no module found for $NUMA_VM_MODULES"
	(cd "$tmp" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null) >"$out.tmp" ||
		numa_vm_die "cannot write the initramfs $out"
	rm -rf "$tmp"
	# Older initramfs files (other kernels, other init) are stale now.
	for line in "$cache"/initramfs-*.cpio; do
		[ "$line" = "$out" ] || rm -f "$line"
	done
	mv "$out.tmp" "$out"
	echo "$out"
}

# Booting a compressed bzImage under TCG spends ~4 s decompressing it inside
# the guest. The kernel's own ELF image (CONFIG_PVH) boots directly, so it is
# unpacked once on the host; prints its path, or nothing if that is not possible.
numa_vm_vmlinux() {
	local cache=$1 kernel=$2 kver=$3 out
	out=$cache/vmlinux-$kver
	[ -s "$out" ] && { echo "$out"; return; }
	/usr/bin/python3 - "$kernel" "$out.tmp" <<'PY' || { rm -f "$out.tmp"; return 0; }
import lzma, struct, sys, zlib

data = open(sys.argv[1], "rb").read()
elf = None
for magic, make in ((b"\xfd7zXZ\x00", lambda: lzma.LZMADecompressor()),
                    (b"\x1f\x8b\x08", lambda: zlib.decompressobj(16 + zlib.MAX_WBITS))):
    at = data.find(magic)
    while at >= 0 and elf is None:
        try:
            out = make().decompress(data[at:])
            if out[:4] == b"\x7fELF":
                elf = out
        except (lzma.LZMAError, zlib.error):
            pass
        at = data.find(magic, at + 1)
if elf is None or elf[4] != 2:
    sys.exit(1)
# The image must be whole and carry the PVH entry note (Xen note type 18).
phoff, = struct.unpack_from("<Q", elf, 0x20)
phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
pvh = False
for i in range(phnum):
    p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
    if p_offset + p_filesz > len(elf):
        sys.exit(1)
    if p_type == 4:
        note, end = p_offset, p_offset + p_filesz
        while note + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, note)
            name = elf[note + 12:note + 12 + namesz].rstrip(b"\0")
            pvh |= name == b"Xen" and ntype == 18
            note += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
if not pvh:
    sys.exit(1)
open(sys.argv[2], "wb").write(elf)
PY
	for f in "$cache"/vmlinux-*; do
		[ "$f" = "$out.tmp" ] || rm -f "$f"
	done
	mv "$out.tmp" "$out"
	echo "$out"
}

# The caller's exported environment, minus what belongs to this terminal only.
numa_vm_env() {
	local v
	for v in $(compgen -e); do
		case "$v" in
		PWD|OLDPWD|SHLVL|_|SSH_*|DISPLAY|TMUX|TMUX_PANE|XDG_RUNTIME_DIR|DBUS_*) continue ;;
		esac
		printf 'export %s=%q\n' "$v" "${!v}"
	done
}

# EXIT trap: no qemu outlives this shell; the exit status stays CMD's.
numa_vm_cleanup() {
	local rc=$? r
	set +e
	if [ -n "$NUMA_VM_QPID" ]; then
		kill -KILL "$NUMA_VM_QPID" 2>/dev/null
		wait "$NUMA_VM_QPID" 2>/dev/null
	fi
	for r in "${NUMA_VM_LINKS[@]}"; do
		ip link del "$r" 2>/dev/null
	done
	if [ "$NUMA_VM_KEEP" != 1 ]; then
		for r in "${NUMA_VM_RUNS[@]}"; do
			rm -rf "$r"
		done
	fi
	exit "$rc"
}

# Sets NUMA_VM_QEMU to the command line of a machine with NODES nodes, one
# socket each, CPUS CPUs and MEM MiB per node.
numa_vm_qemu_args() {
	local accel=$1 nodes=$2 cpus=$3 mem=$4 distance=$5 image=$6 initrd=$7 extra=$8
	local i j first last hp_boot="" hugepages
	hugepages=$(sed -n 's/.*numavm.hugepages=\([0-9]*\).*/\1/p' <<<"$extra")
	# Reserved at boot it is instant; through sysfs later it takes seconds under TCG.
	if [ -n "$hugepages" ]; then
		hp_boot="hugepagesz=2M hugepages=0:$hugepages"
		for ((i = 1; i < nodes; i++)); do
			hp_boot+=",$i:$hugepages"
		done
	fi
	# The pc machine boots faster than q35 under TCG; NUMA is the same (ACPI SRAT/SLIT).
	NUMA_VM_QEMU=(qemu-system-x86_64 -nodefaults -no-user-config -machine pc
		-smp "$((nodes * cpus)),sockets=$nodes,cores=$cpus,threads=1"
		-m "$((nodes * mem))M")
	if [ "$accel" = kvm ]; then
		NUMA_VM_QEMU+=(-accel kvm -cpu "${NUMA_VM_KVM_CPU:-host}")
	else
		NUMA_VM_QEMU+=(-accel tcg -cpu max)
	fi
	for ((i = 0; i < nodes; i++)); do
		first=$((i * cpus))
		last=$((first + cpus - 1))
		NUMA_VM_QEMU+=(-object "memory-backend-ram,id=mem$i,size=${mem}M"
			-numa "node,nodeid=$i,cpus=$first-$last,memdev=mem$i")
	done
	for ((i = 0; i < nodes; i++)); do
		for ((j = i + 1; j < nodes; j++)); do
			NUMA_VM_QEMU+=(-numa "dist,src=$i,dst=$j,val=$distance")
		done
	done
	# init_on_alloc=0: Debian zeroes every allocated page by default, which
	# costs seconds for the hugepage pool under TCG.
	NUMA_VM_QEMU+=(-kernel "$image" -initrd "$initrd"
		-append "console=ttyS0 ${NUMA_VM_APPEND-quiet} panic=1 rdinit=/init tsc=reliable no_timer_check init_on_alloc=0 $hp_boot $extra"
		-virtfs "local,path=/,mount_tag=hostroot,security_model=passthrough,multidevs=remap"
		-display none -monitor none -no-reboot)
}

# Runs NUMA_VM_QEMU for at most LIMIT seconds, console in RUN/console.log.
# Returns 1 if it had to be killed.
numa_vm_boot() {
	local limit=$1 run=$2 start=$SECONDS timed_out=0
	# qemu dies with this shell even on SIGKILL (pdeathsig), and on any exit path (trap).
	setpriv --pdeathsig KILL -- "${NUMA_VM_QEMU[@]}" -serial "file:$run/console.log" \
		</dev/null >"$run/qemu.log" 2>&1 &
	NUMA_VM_QPID=$!
	# bash's own "Aborted"/"Killed" job notice for qemu is noise: qemu.log says why.
	exec {NUMA_VM_STDERR}>&2 2>/dev/null
	NUMA_VM_READY=""
	while kill -0 "$NUMA_VM_QPID" && [ $((SECONDS - start)) -lt "$limit" ]; do
		# Wall-clock boot time: the guest's own clock lags when the host is busy.
		if [ -z "$NUMA_VM_READY" ] && [ -e "$run/started" ]; then
			NUMA_VM_READY=$EPOCHREALTIME
		fi
		sleep 0.2
	done
	kill -0 "$NUMA_VM_QPID" && timed_out=1
	kill -KILL "$NUMA_VM_QPID" || true
	wait "$NUMA_VM_QPID" || true
	exec 2>&"$NUMA_VM_STDERR" {NUMA_VM_STDERR}>&-
	NUMA_VM_QPID=""
	return "$timed_out"
}

# Sets NUMA_VM_ACCEL: kvm if /dev/kvm can really boot this kernel, else tcg. A nested /dev/kvm may
# exist and still fail (qemu aborts on an MSR) or crawl, so a one-node machine
# is booted once per host kernel and qemu version and the answer is cached.
numa_vm_probe_accel() {
	local cache=$1 image=$2 initrd=$3 key answer=tcg probe
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		NUMA_VM_ACCEL=tcg
		return
	fi
	key=$( { uname -r; qemu-system-x86_64 --version | head -n 1; echo "${NUMA_VM_KVM_CPU:-host}"; } |
		sha256sum | cut -c1-12)
	if [ -f "$cache/accel-$key" ]; then
		NUMA_VM_ACCEL=$(cat "$cache/accel-$key")
		return
	fi
	probe=$(mktemp -d "$cache/runs/probe.XXXXXX")
	NUMA_VM_RUNS+=("$probe")
	numa_vm_qemu_args kvm 1 1 256 21 "$image" "$initrd" "numavm.probe=1"
	if numa_vm_boot 15 "$probe" && grep -q "numa-vm-init: .* probe ok" "$probe/console.log"; then
		answer=kvm
	else
		echo "numa-vm: /dev/kvm is there but cannot boot the guest; using TCG (slower)" >&2
	fi
	echo "$answer" >"$cache/accel-$key"
	NUMA_VM_ACCEL=$answer
}

# "booted in A s, CMD and power-off B s, C s in all" from three $EPOCHREALTIME stamps.
numa_vm_timing() {
	awk -v t0="${1/,/.}" -v ready="${2/,/.}" -v t1="${3/,/.}" 'BEGIN {
		if (ready != "")
			printf "booted in %.1f s, CMD and power-off %.1f s, ", ready - t0, t1 - ready
		printf "%.1f s in all\n", t1 - t0
	}'
}

numa_vm_positive() {
	local opt=$1 value=$2 min=$3 max=$4
	[[ "$value" =~ ^(0|[1-9][0-9]*)$ ]] || numa_vm_bad "$opt: '$value' is not a number"
	[ "$value" -ge "$min" ] && [ "$value" -le "$max" ] ||
		numa_vm_bad "$opt: $value is out of range [$min, $max]"
}

# --nic: the DPDK NIC and the kernel NIC. The MACs are gen_traffic.py's
# defaults (--dst-mac, --src-mac): its frames reach DPDK as they are.
NUMA_VM_NIC_MAC=02:00:00:00:00:01
NUMA_VM_KNIC_MAC=02:00:00:00:00:02
# The expander bridge's bus; on pc its own PCI bridge puts the NIC on the
# next bus: 0000:81:00.0 in the guest.
NUMA_VM_NIC_BUS=128

numa_vm_nic_missing() {
	local kver=$1 m
	command -v ip >/dev/null || echo "--nic: ip not found: install package iproute2"
	[ -c /dev/net/tun ] || echo "--nic: no /dev/net/tun on the host (tun module) for the taps"
	command -v dpdk-devbind.py >/dev/null ||
		echo "--nic: dpdk-devbind.py not found: install package dpdk"
	command -v lspci >/dev/null ||
		echo "--nic: lspci not found (dpdk-devbind.py needs it): install package pciutils"
	for m in virtio_net uio_pci_generic; do
		modinfo -k "$kver" "$m" >/dev/null 2>&1 || echo "--nic: kernel $kver has no module $m"
	done
}

# Links nv<PID>[bdk] whose labenv is gone (killed with SIGKILL) are removed.
numa_vm_nic_reap() {
	local l pid
	for l in $(ip -o link show 2>/dev/null | sed -n 's/^[0-9]*: \(nv[0-9]*[bdk]\)[:@].*/\1/p'); do
		pid=${l#nv}
		pid=${pid%[bdk]}
		[ "$pid" = "$$" ] || [ ! -e "/proc/$pid" ] || continue
		ip link del "$l" 2>/dev/null || true
	done
}

# Host side: a private bridge with the NIC's multi-queue tap and the kernel NIC's
# tap. Sets NUMA_VM_LINKS (removed by numa_vm_cleanup) and NUMA_VM_NIC_TAPS.
numa_vm_nic_links() {
	local base=nv$$ l
	numa_vm_nic_reap
	NUMA_VM_LINKS=("${base}b")
	ip link add name "${base}b" type bridge stp_state 0 mcast_snooping 0 ||
		numa_vm_die "--nic: cannot create the bridge ${base}b (ip link add type bridge)"
	NUMA_VM_LINKS+=("${base}d")
	ip tuntap add dev "${base}d" mode tap multi_queue ||
		numa_vm_die "--nic: cannot create the multi-queue tap ${base}d"
	NUMA_VM_LINKS+=("${base}k")
	ip tuntap add dev "${base}k" mode tap || numa_vm_die "--nic: cannot create the tap ${base}k"
	for l in "${base}b" "${base}d" "${base}k"; do
		# No router solicitation or MLD report from the host may reach the NIC.
		[ ! -d "/proc/sys/net/ipv6/conf/$l" ] ||
			sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1" ||
			numa_vm_die "--nic: cannot turn IPv6 off on $l"
		[ "$l" = "${base}b" ] || ip link set "$l" master "${base}b" ||
			numa_vm_die "--nic: cannot add $l to the bridge ${base}b"
		ip link set "$l" up || numa_vm_die "--nic: cannot bring $l up"
	done
	NUMA_VM_NIC_TAPS=("${base}d" "${base}k")
}

# qemu arguments of the two NICs: the DPDK one behind a PCI expander bridge of its node.
numa_vm_nic_qemu_args() {
	local node=$1 queues=$2
	NUMA_VM_QEMU+=(-device "pxb,id=nicpxb,bus_nr=$NUMA_VM_NIC_BUS,numa_node=$node,bus=pci.0"
		-netdev "tap,id=nicnet,ifname=${NUMA_VM_NIC_TAPS[0]},script=no,downscript=no,queues=$queues"
		-device "virtio-net-pci,bus=nicpxb,addr=0,netdev=nicnet,mac=$NUMA_VM_NIC_MAC,mq=on,vectors=$((2 * queues + 2)),rss=on"
		-netdev "tap,id=knicnet,ifname=${NUMA_VM_NIC_TAPS[1]},script=no,downscript=no"
		-device "virtio-net-pci,bus=pci.0,netdev=knicnet,mac=$NUMA_VM_KNIC_MAC")
}

# Guest side, in job.sh before CMD: binds the NIC, brings the kernel NIC up,
# exports the LAB_NIC_* variables.
numa_vm_nic_job() {
	local queues=$1
	cat <<EOF
nic_fail() { echo "numa-vm: --nic: \$*" >&2; exit 125; }
LAB_NIC_PCI=\$(printf '0000:%02x:00.0' $((NUMA_VM_NIC_BUS + 1)))
LAB_NIC_QUEUES=$queues LAB_NIC_MAC=$NUMA_VM_NIC_MAC
[ -d "/sys/bus/pci/devices/\$LAB_NIC_PCI" ] || nic_fail "no PCI device \$LAB_NIC_PCI in the guest"
modprobe uio_pci_generic || nic_fail "modprobe uio_pci_generic failed"
out=\$(dpdk-devbind.py -b uio_pci_generic "\$LAB_NIC_PCI" 2>&1) ||
	nic_fail "dpdk-devbind.py -b uio_pci_generic \$LAB_NIC_PCI failed: \$out"
LAB_NIC_SOCKET=\$(cat "/sys/bus/pci/devices/\$LAB_NIC_PCI/numa_node")
# Only now the kernel's virtio_net: it takes the kernel NIC alone.
modprobe virtio_net || nic_fail "modprobe virtio_net failed"
LAB_TRAFFIC_IFACE=""
for i in \$(seq 50); do
	for d in /sys/class/net/*; do
		[ "\$(cat "\$d/address" 2>/dev/null)" = $NUMA_VM_KNIC_MAC ] && LAB_TRAFFIC_IFACE=\${d##*/}
	done
	[ -n "\$LAB_TRAFFIC_IFACE" ] && break
	sleep 0.1
done
[ -n "\$LAB_TRAFFIC_IFACE" ] || nic_fail "the kernel NIC ($NUMA_VM_KNIC_MAC) has no interface"
sysctl -qw "net.ipv6.conf.\$LAB_TRAFFIC_IFACE.disable_ipv6=1" &&
	ip link set "\$LAB_TRAFFIC_IFACE" up || nic_fail "cannot bring \$LAB_TRAFFIC_IFACE up"
export LAB_NIC_PCI LAB_NIC_SOCKET LAB_NIC_QUEUES LAB_NIC_MAC LAB_TRAFFIC_IFACE
EOF
}

cmd_numa_vm() {
	local nodes=2 cpus=2 mem=640 hugepages=128 distance=21 timeout_s=300 accel=auto
	local check=0 keep=0 missing kernel kver cache initrd boot_image run
	local nic="" nic_node="" nic_queues=4
	NUMA_VM_QUIET=0
	while [ $# -gt 0 ]; do
		case "$1" in
		--nodes) numa_vm_positive "$1" "${2-}" 1 8; nodes=$2; shift 2 ;;
		--cpus-per-node) numa_vm_positive "$1" "${2-}" 1 8; cpus=$2; shift 2 ;;
		--mem-per-node)
			case "${2-}" in
			*[gG]) numa_vm_positive "$1" "${2%[gG]}" 1 64; mem=$((${2%[gG]} * 1024)) ;;
			*) numa_vm_positive "$1" "${2%[mM]}" 128 65536; mem=${2%[mM]} ;;
			esac
			shift 2 ;;
		--hugepages) numa_vm_positive "$1" "${2-}" 0 16384; hugepages=$2; shift 2 ;;
		--distance) numa_vm_positive "$1" "${2-}" 11 254; distance=$2; shift 2 ;;
		--timeout) numa_vm_positive "$1" "${2-}" 1 86400; timeout_s=$2; shift 2 ;;
		--accel)
			case "${2-}" in auto|kvm|tcg) accel=$2 ;; *) numa_vm_bad "--accel: '${2-}' is not auto, kvm or tcg" ;; esac
			shift 2 ;;
		--nic)
			[ "${2-}" = virtio ] || numa_vm_bad "--nic: '${2-}' is not virtio (the one NIC model)"
			nic=$2; shift 2 ;;
		--nic-node) numa_vm_positive "$1" "${2-}" 0 7; nic_node=$2; shift 2 ;;
		--nic-queues) numa_vm_positive "$1" "${2-}" 1 8; nic_queues=$2; shift 2 ;;
		--check) check=1; shift ;;
		--keep) keep=1; shift ;;
		-q|--quiet) NUMA_VM_QUIET=1; shift ;;
		-h|--help) numa_vm_usage; return 0 ;;
		--) shift; break ;;
		-*) numa_vm_bad "unknown option $1 (see: labenv.sh numa-vm --help)" ;;
		*) break ;;
		esac
	done
	if [ -z "$nic_node" ]; then
		nic_node=$((nodes > 1 ? 1 : 0))
	elif [ "$nic_node" -ge "$nodes" ]; then
		numa_vm_bad "--nic-node $nic_node: the machine has nodes 0-$((nodes - 1)) (--nodes)"
	fi
	# The kernel needs room of its own beside the pool (node 0 most: kernel, initramfs).
	[ $((mem - hugepages * 2)) -ge 192 ] ||
		numa_vm_bad "--hugepages $hugepages ($((hugepages * 2)) MiB) leaves less than 192 MiB of --mem-per-node $mem MiB to the kernel"

	kernel=$(numa_vm_kernel)
	missing=$(numa_vm_missing
		[ -z "$nic" ] || [ -z "$kernel" ] || numa_vm_nic_missing "${kernel#/boot/vmlinuz-}")
	if [ -n "$missing" ]; then
		echo "$missing" | sed 's/^/numa-vm: missing: /' >&2
		[ "$check" = 1 ] && return 1
		exit 125
	fi
	kver=${kernel#/boot/vmlinuz-}
	if [ "$check" = 1 ]; then
		echo "numa-vm: ready: kernel $kver, $(qemu-system-x86_64 --version | head -n 1)"
		return 0
	fi
	[ $# -gt 0 ] || numa_vm_bad "no command given (usage: labenv.sh numa-vm [OPTIONS] -- CMD...)"

	cache=${NUMA_VM_CACHE:-${BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}/numa-vm}
	mkdir -p "$cache/runs" || numa_vm_die "cannot create the cache folder $cache"
	cache=$(cd "$cache" && pwd -P)
	case "$cache/" in
	/proc/*|/sys/*|/dev/*|/run/*) numa_vm_die "cache folder $cache is hidden inside the guest: set NUMA_VM_CACHE" ;;
	esac
	case "$PWD/" in
	/proc/*|/sys/*|/dev/*|/run/*) numa_vm_die "working directory $PWD is the guest's own inside: cd elsewhere" ;;
	esac
	initrd=$(
		exec 9>"$cache/.lock"
		flock 9
		numa_vm_initramfs "$cache" "$kver"
	) || exit 125
	boot_image=$(
		exec 9>"$cache/.lock"
		flock 9
		numa_vm_vmlinux "$cache" "$kernel" "$kver"
	)
	[ -n "$boot_image" ] || boot_image=$kernel
	# Only a numa-vm killed with SIGKILL leaves its run folder behind.
	find "$cache/runs" -mindepth 1 -maxdepth 1 -mtime +1 -exec rm -rf {} + 2>/dev/null || true
	run=$(mktemp -d "$cache/runs/run.XXXXXX")

	{
		echo '# Generated by labenv.sh numa-vm: runs inside the guest, in the host root.'
		numa_vm_env
		[ -z "$nic" ] || numa_vm_nic_job "$nic_queues"
		printf 'cd -- %q || { echo "numa-vm: no folder %q inside the guest" >&2; exit 125; }\n' \
			"$PWD" "$PWD"
		printf 'command -v -- %q >/dev/null || { echo "numa-vm: %q: command not found" >&2; exit 127; }\n' \
			"$1" "$1"
		printf 'exec'
		printf ' %q' "$@"
		printf '\n'
	} >"$run/job.sh"

	NUMA_VM_RUNS=("$run") NUMA_VM_KEEP=$keep NUMA_VM_QPID="" NUMA_VM_LINKS=()
	trap numa_vm_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if [ "$accel" = auto ]; then
		numa_vm_probe_accel "$cache" "$boot_image" "$initrd"
		accel=$NUMA_VM_ACCEL
	fi
	numa_vm_qemu_args "$accel" "$nodes" "$cpus" "$mem" "$distance" "$boot_image" "$initrd" \
		"numavm.run=$run numavm.hugepages=$hugepages numavm.cache=${NUMA_VM_9P_CACHE:-loose}"
	if [ -n "$nic" ]; then
		numa_vm_nic_links
		numa_vm_nic_qemu_args "$nic_node" "$nic_queues"
	fi
	numa_vm_say "booting $nodes nodes x $cpus CPUs, $mem MiB and $hugepages hugepages each, kernel $kver, $accel${nic:+, NIC $nic on node $nic_node with $nic_queues queues (taps ${NUMA_VM_NIC_TAPS[*]})}"
	local t0=$EPOCHREALTIME t1 timed_out=0 rc
	numa_vm_boot "$timeout_s" "$run" || timed_out=1
	t1=$EPOCHREALTIME

	[ -f "$run/stdout" ] && cat "$run/stdout"
	[ -f "$run/stderr" ] && cat "$run/stderr" >&2
	if [ "$timed_out" = 1 ]; then
		echo "numa-vm: timed out after $timeout_s s (--timeout): the machine was killed" >&2
		exit 124
	fi
	if [ ! -s "$run/rc" ]; then
		echo "numa-vm: the machine stopped before CMD finished; its console and qemu said:" >&2
		tail -n 30 "$run/console.log" "$run/qemu.log" >&2 2>/dev/null || true
		exit 125
	fi
	rc=$(cat "$run/rc")
	awk -v want="$hugepages" '/^node/ { split($NF, h, "="); if (h[2] != want)
		printf "numa-vm: warning: %s got %s of %s hugepages (raise --mem-per-node)\n",
			$1, h[2], want }' "$run/vm-info" >&2 2>/dev/null || true
	numa_vm_say "CMD exited $rc; $(numa_vm_timing "$t0" "${NUMA_VM_READY:-}" "$t1")"
	exit "$rc"
}
