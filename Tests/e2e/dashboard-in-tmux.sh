#!/usr/bin/env bash
# End-to-end: the real binary in a real terminal (tmux). Starts `clusterdash`
# with no arguments (the built-in demo cluster over a real WebSocket), waits
# for the five panes, opens help, promotes a replica with y and sees the new
# primary, quits with q, and checks the terminal settings were restored.
set -euo pipefail
BIN=${1:-.build/debug/clusterdash}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
WORK=$(mktemp -d)
SOCKET="clusterdash-e2e-$$"
SIM=""
# Keeps the script's own exit status; leftovers in $WORK never fail the run.
cleanup() {
  local rc=$?
  T kill-server 2>/dev/null || true
  if [ -n "$SIM" ]; then kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true; fi
  sleep 0.2
  rm -rf "$WORK" 2>/dev/null || true
  exit "$rc"
}
trap cleanup EXIT

# shellcheck source=tmux-lib.sh
. "$(dirname "$0")/tmux-lib.sh"

T new-session -d -s e2e -x 120 -y 40 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 PATH=$PATH bash --norc --noprofile"
sleep 0.3
T send-keys -t e2e "stty -g > $WORK/before; $BIN --log-file $WORK/log; rc=\$?; stty -g > $WORK/after; echo EXIT=\$rc > $WORK/exit" Enter

echo "e2e: waiting for the five panes"
for title in "Nodes" "Replication" "Assignments" "Migrations" "Failover log"; do wait_for "$title" 20; done
wait_for "primary node-" 20
wait_for "v1" 20

echo "e2e: help"
T send-keys -t e2e "?"
wait_for "Help"
wait_for "promote a replica"
T send-keys -t e2e Escape
wait_gone "promote a replica"

old=$(screen | head -n 1 | grep -o "primary node-[0-9]*" | head -n 1 | cut -d' ' -f2)
[ -n "$old" ] || fail "no primary in the header"
echo "e2e: primary is $old; promoting"
T send-keys -t e2e "p"
wait_for "Promote a replica"
wait_for "y send"
T send-keys -t e2e "y"
wait_for "result: accepted" 10
deadline=$(( $(date +%s) + 10 ))
while :; do
  new=$(screen | head -n 1 | grep -o "primary node-[0-9]*" | head -n 1 | cut -d' ' -f2 || true)
  [ -n "$new" ] && [ "$new" != "$old" ] && break
  [ "$(date +%s)" -lt "$deadline" ] || fail "the primary did not change from $old"
  sleep 0.1
done
echo "e2e: new primary $new"
wait_for "promoted: primary $old -> $new"
T send-keys -t e2e Escape
wait_gone "Promote a replica"

echo "e2e: quit"
T send-keys -t e2e "q"
wait_file "$WORK/exit" 15
[ "$(cat "$WORK/exit")" = "EXIT=0" ] || fail "exit status $(cat "$WORK/exit")"
cmp -s "$WORK/before" "$WORK/after" || fail "terminal settings changed: $(cat "$WORK/before") -> $(cat "$WORK/after")"
grep -q "dashboard ended" "$WORK/log" || fail "the log file has no end line"

echo "e2e: resize to a tiny terminal and back"
T send-keys -t e2e "clear; stty -g > $WORK/before2; $BIN --log-file $WORK/log2; rc=\$?; stty -g > $WORK/after2; echo EXIT=\$rc > $WORK/exit2" Enter
wait_for "Failover log" 20
T resize-window -t e2e -x 30 -y 10
wait_for "terminal too small"
T resize-window -t e2e -x 120 -y 40
wait_for "Failover log"

echo "e2e: SIGTERM restores the terminal too"
pid=$(pgrep -f -n "^$BIN --log-file $WORK/log2") || fail "no dashboard process"
kill -TERM "$pid"
wait_file "$WORK/exit2" 15
cmp -s "$WORK/before2" "$WORK/after2" || fail "terminal settings changed after SIGTERM"
grep -q "signal 15" "$WORK/log2" || fail "the log does not show the signal"

echo "e2e: read-only: no command frame reaches the cluster"
"$BIN" sim --listen 127.0.0.1:0 --cold-start-window 1s > "$WORK/sim.out" 2>&1 &
SIM=$!
for _ in $(seq 1 100); do grep -q "serving" "$WORK/sim.out" && break; sleep 0.1; done
URL=$(grep -o "ws://[0-9.:]*/v1/stream" "$WORK/sim.out" | head -n 1)
PORT=${URL#ws://127.0.0.1:}; PORT=${PORT%%/*}
[ -n "$URL" ] || fail "the simulator did not start"
stats() { exec 3<>/dev/tcp/127.0.0.1/"$PORT"; printf 'GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3; cat <&3 | tail -n 1; exec 3<&-; }
T send-keys -t e2e "clear; $BIN --read-only --endpoint $URL --log-file $WORK/log3; echo EXIT=\$? > $WORK/exit3" Enter
wait_for "READ-ONLY" 20
wait_for "primary node-1" 20
for k in Enter Escape y p m c; do T send-keys -t e2e "$k"; sleep 0.2; done
wait_for "read-only: commands are disabled"
screen | grep -qF "Promote a replica" && fail "a promotion dialog opened in read-only mode"
T send-keys -t e2e "q"
wait_file "$WORK/exit3" 15
s=$(stats)
echo "e2e: simulator stats $s"
echo "$s" | grep -q '"commands_received":0' || fail "command frames reached the simulator: $s"
echo "$s" | grep -q '"frames_received":[1-9]' || fail "the simulator heard nothing at all: $s"

echo "e2e: the dashboard ran, promoted $old -> $new, quit, survived a resize, stopped on SIGTERM, and restored the terminal each time"
