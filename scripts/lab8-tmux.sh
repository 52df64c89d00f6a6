#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Lab 8 in one tmux window, for the primary-kill demo on a projector:
#   +-----------------+-----------------+
#   | primary         | enterprise sec. |
#   +-----------------+-----------------+
#   | mobility sec.   | traffic         |
#   +-----------------+-----------------+
#   | shell (kill commands are typed here, not run)     |
#   +---------------------------------------------------+
# Every pane is a shell: when a program exits, its last lines stay visible
# and the command can be run again with Up, Enter (the hot restart).
#
#   ./scripts/lab8-tmux.sh            start session "lab8" and attach
#   ./scripts/lab8-tmux.sh -d         start detached (tmux attach -t lab8 later)
#   ./scripts/lab8-tmux.sh stop       Ctrl-C every pane, then kill the session
# Environment: BUILD_DIR (build), PREFIX (sase), IFACE (dtap0), SESSION (lab8).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
prefix=${PREFIX:-sase}
iface=${IFACE:-dtap0}
session=${SESSION:-lab8}
bin=$(realpath -m "$build/lab8_multiprocess")
here=$(pwd)

die() { echo "lab8-tmux: $*" >&2; exit 1; }
command -v tmux >/dev/null || die "tmux missing: ./scripts/labenv.sh deps"

if [ "${1:-}" = stop ]; then
	tmux has-session -t "$session" 2>/dev/null ||
		{ echo "lab8-tmux: no session $session"; exit 0; }
	for pane in $(tmux list-panes -s -t "$session" -F '#{pane_id}'); do
		tmux send-keys -t "$pane" C-c
	done
	sleep 2
	tmux kill-session -t "$session"
	./scripts/labenv.sh clean "$prefix" >/dev/null 2>&1 || true
	exit 0
fi
detach=false
[ "${1:-}" = -d ] && detach=true
[ $# -eq 0 ] || [ "$1" = -d ] || { echo "usage: $0 [-d | stop]" >&2; exit 1; }

[ -x "$bin/lab8_primary" ] || die "$bin/lab8_primary not built: run ninja -C $build"
tmux has-session -t "$session" 2>/dev/null &&
	die "session $session exists: tmux attach -t $session, or $0 stop"
./scripts/labenv.sh clean "$prefix" >/dev/null

eal="--file-prefix=$prefix --no-pci"
primary="$bin/lab8_primary -l 0 --proc-type=primary $eal --vdev=net_tap0,iface=$iface --"
ent="$bin/lab8_secondary -l 1 --proc-type=secondary $eal -- --role enterprise --sample 20"
mob="$bin/lab8_secondary --lcores=2@1 --proc-type=secondary $eal -- --role mobility --sample 20"
wait_primary="until [ -S /var/run/dpdk/$prefix/mp_socket ] && ip link show $iface >/dev/null 2>&1;"
wait_primary+=" do sleep 0.5; done; sleep 1"
traffic="./scripts/labenv.sh tap-up $iface && /usr/bin/python3 scripts/gen_traffic.py"
traffic+=" --iface $iface --rate 200 --count-loops 100000"

tmux new-session -d -s "$session" -c "$here" -x 200 -y 50
tmux set-option -t "$session" remain-on-exit on >/dev/null
tmux set-option -t "$session" pane-border-status top >/dev/null 2>&1 || true
p_primary=$(tmux display-message -p -t "$session" '#{pane_id}')
p_shell=$(tmux split-window -v -P -F '#{pane_id}' -t "$p_primary" -c "$here" -l 8)
p_ent=$(tmux split-window -h -P -F '#{pane_id}' -t "$p_primary" -c "$here")
p_mob=$(tmux split-window -v -P -F '#{pane_id}' -t "$p_primary" -c "$here")
p_traffic=$(tmux split-window -v -P -F '#{pane_id}' -t "$p_ent" -c "$here")
for pair in "$p_primary:primary" "$p_ent:enterprise secondary" "$p_mob:mobility secondary" \
		"$p_traffic:traffic into $iface" "$p_shell:shell"; do
	tmux select-pane -t "${pair%%:*}" -T "${pair#*:}"
done

tmux send-keys -t "$p_primary" "$primary" Enter
tmux send-keys -t "$p_ent" "$wait_primary; $ent" Enter
tmux send-keys -t "$p_mob" "$wait_primary; $mob" Enter
tmux send-keys -t "$p_traffic" "$wait_primary; $traffic" Enter
hints=("# Demo: kill -9 \$(pidof lab8_secondary | cut -d' ' -f1)   (Up+Enter: restart)"
	"#       kill -9 \$(pidof lab8_primary)   (both secondaries exit with code 3)"
	"#       echo /lab8/stats | dpdk-telemetry.py -f $prefix ;  $0 stop  (end)")
for hint in "${hints[@]}"; do tmux send-keys -t "$p_shell" "$hint" Enter; done
tmux select-pane -t "$p_shell"

if $detach; then
	echo "lab8-tmux: session $session started: tmux attach -t $session"
elif [ -n "${TMUX:-}" ]; then
	tmux switch-client -t "$session"
else
	tmux attach -t "$session"
fi
