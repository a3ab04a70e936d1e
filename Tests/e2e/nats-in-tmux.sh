#!/usr/bin/env bash
# End-to-end through the real NATS JetStream cluster of scripts/nats-up: the
# real binary's simulator publishes its stream (`sim --publish`); a dashboard
# in a real terminal (tmux) reads it over nats:// and a wall display over
# NATS's WebSocket listener (nats+ws://). p promotes by NATS request/reply;
# the NATS server the dashboard reads from is SIGKILLed and it carries on
# from another, and a second promotion shows on both screens; --fleet lists
# the cluster, Enter opens it and Esc comes back; q restores the terminal. Needs CLUSTERDASH_NATS and CLUSTERDASH_NATS_DIR (.ci/run sets them).
set -euo pipefail
BIN=${1:-.build/debug/clusterdash}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
IFS=, read -r N1 N2 N3 <<< "${CLUSTERDASH_NATS:?set by .ci/run: the servers of scripts/nats-up}"
NATS_DIR=${CLUSTERDASH_NATS_DIR:?set by .ci/run}
WS=${CLUSTERDASH_NATS_WS:?set by .ci/run}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
SOCKET="clusterdash-nats-e2e-$$"
CLUSTER="e2e-$$"
GATEWAY=""
# shellcheck source=tmux-lib.sh
. "$(dirname "$0")/tmux-lib.sh"
trap cleanup_with_gateway EXIT

"$BIN" sim --listen 127.0.0.1:0 --cold-start-window 2s --inhibit 1s --publish "nats://$N1" --publish "nats://$N2" --publish-max-mb 8 \
  --publish-cluster "$CLUSTER" > "$WORK/gateway.out" 2> "$WORK/gateway.err" &
GATEWAY=$!
for _ in $(seq 1 100); do grep -q "active for $CLUSTER" "$WORK/gateway.err" && break; sleep 0.1; done
grep -q "active for $CLUSTER" "$WORK/gateway.err" || { cat "$WORK/gateway.err"; fail "the simulator is not publishing"; }
echo "e2e: the simulator publishes $CLUSTER to nats://$N1"

primary() { screen | head -n 1 | grep -o "primary node-[0-9]*" | head -n 1 | cut -d' ' -f2 || true; }
promote() { # from the primary $1: p, y, and the header shows another
  T send-keys -t e2e "p"
  wait_for "Promote a replica"
  wait_for "y send"
  T send-keys -t e2e "y"
  wait_for "result: accepted" 10
  local deadline=$(( $(date +%s) + 15 ))
  while :; do
    new=$(primary)
    [ -n "$new" ] && [ "$new" != "$1" ] && break
    [ "$(date +%s)" -lt "$deadline" ] || fail "the primary did not change from $1"
    sleep 0.1
  done
  T send-keys -t e2e Escape
  wait_gone "Promote a replica"
}

T new-session -d -s e2e -x 150 -y 45 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 PATH=$PATH bash --norc --noprofile"
T new-session -d -s wall -x 100 -y 30 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 $BIN --wall --endpoint nats+ws://$WS/$CLUSTER --log-file $WORK/wall.log"
sleep 0.3
T send-keys -t e2e "stty -g > $WORK/before; $BIN --endpoint nats://$N3/$CLUSTER --endpoint nats://$N2/$CLUSTER --log-file $WORK/log; rc=\$?; stty -g > $WORK/after; echo EXIT=\$rc > $WORK/exit" Enter

echo "e2e: the five panes, read from NATS"
for title in "Nodes" "Replication" "Assignments" "Migrations" "Failover log"; do wait_for "$title" 20; done
wait_for "primary node-" 20
wait_for "endpoints 1/1" 10
wait_for "v1" 20
TARGET=wall wait_for "primary node-" 20

old=$(primary)
[ -n "$old" ] || fail "no primary in the header"
echo "e2e: primary is $old; promoting by NATS request/reply"
promote "$old"
echo "e2e: new primary $new"
TARGET=wall wait_for "primary $new" 10
wait_for "promoted: primary $old -> $new" 5

echo "e2e: SIGKILL of the NATS server the dashboard reads ($N3)"
kill -KILL "$(cat "$NATS_DIR/n3.pid")"
sleep 2
# Live again, from another server (when the dead one led JetStream's meta
# group, a new leader takes some seconds), with fresh data.
wait_for "endpoints 1/1" 30
wait_for "data 0." 30
old=$new
promote "$old"
echo "e2e: after the kill, primary $old -> $new on the dashboard"
wait_for "endpoints 1/1" 15
TARGET=wall wait_for "primary $new" 15
CLUSTERDASH_NATS_DIR=$NATS_DIR bash "$HERE/scripts/nats-up" 3 > /dev/null

echo "e2e: --fleet lists $CLUSTER with its primary; Enter opens it, Esc comes back"
T new-session -d -s fleet -x 150 -y 60 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 $BIN --fleet --endpoint nats://$N2 --log-file $WORK/fleet.log"
TARGET=fleet wait_for "clusterdash fleet" 10
TARGET=fleet wait_for " $CLUSTER " 15
deadline=$(( $(date +%s) + 15 ))
until TARGET=fleet screen | grep -F " $CLUSTER " | grep -qF "$new "; do
  [ "$(date +%s)" -lt "$deadline" ] || TARGET=fleet fail "the fleet does not show $new as $CLUSTER's primary"
  sleep 0.2
done
header=$(TARGET=fleet screen | grep -n "CLUSTER  " | head -n 1 | cut -d: -f1)
row=$(TARGET=fleet screen | grep -nF " $CLUSTER " | head -n 1 | cut -d: -f1)
for _ in $(seq 1 $(( row - header - 1 ))); do T send-keys -t fleet "j"; done
T send-keys -t fleet Enter
TARGET=fleet wait_for "clusterdash $CLUSTER" 10
TARGET=fleet wait_for "Failover log" 5
T send-keys -t fleet Escape
TARGET=fleet wait_for "clusterdash fleet" 5
T send-keys -t fleet "q"

quit_and_stop_gateway
echo "e2e: through NATS JetStream: a dashboard (nats://) and a wall (nats+ws://) showed the simulator's stream, two promotions went by request/reply, one across a SIGKILLed NATS server; the fleet listed it and opened it"
