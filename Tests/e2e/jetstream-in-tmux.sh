#!/usr/bin/env bash
# End-to-end against the real NATS JetStream cluster with a system account
# (scripts/nats-up with CLUSTERDASH_NATS_ACCOUNTS=1): the real binary in a
# real terminal (tmux) watches it directly (--nats-cluster, one server: the
# system account sees them all); a second one, a wall display, watches it
# through `clusterdash gateway`. The Nodes pane shows the meta leader the
# servers' own /jsz names, the lag in raft entries; Enter on Assignments
# lists the streams by name with their leaders, and p there steps a
# stream's leader down (through the app account's credentials) as
# STREAM.INFO then says; p, the first candidate, y steps the meta leader
# down; both screens and /jsz then agree on another;
# a server SIGKILLed is shown down and started again; q restores the
# terminal. Needs CLUSTERDASH_JETSTREAM_CLUSTER and CLUSTERDASH_JETSTREAM_DIR
# (.ci/run sets them).
set -euo pipefail
BIN=${1:-.build/debug/clusterdash}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
URLS=${CLUSTERDASH_JETSTREAM_CLUSTER:?set by .ci/run: the servers of scripts/nats-up with accounts}
DIR=${CLUSTERDASH_JETSTREAM_DIR:?set by .ci/run}
FIRST=${URLS%%,*}
PORT=${FIRST##*:}
OFFSET=$(( PORT - 14231 ))
MONITOR=$(( 18221 + OFFSET ))
WORK=$(mktemp -d)
SOCKET="clusterdash-jetstream-e2e-$$"
GATEWAY=""
# shellcheck source=tmux-lib.sh
. "$(dirname "$0")/tmux-lib.sh"
# shellcheck source=nats-lib.sh
. "$(dirname "$0")/nats-lib.sh"
trap cleanup_with_gateway EXIT
export CLUSTERDASH_NATS_USER=sys CLUSTERDASH_NATS_PASSWORD=sys

# The servers' own word: the meta leader in /jsz (of the first server that answers).
leader() {
  local m
  for m in $MONITOR $(( MONITOR + 1 )) $(( MONITOR + 2 )); do
    curl -fsS -m 2 "http://127.0.0.1:$m/jsz" 2>/dev/null | grep -o '"leader": *"[^"]*"' | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/' && return 0
  done
  return 0
}
deadline=$(( $(date +%s) + 30 ))
until old=$(leader) && [ -n "$old" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "JetStream has no meta leader"; sleep 0.3
done
echo "e2e: /jsz says the meta leader is $old"

# A stream of the app account's, R3, to step down from the partition table.
stream_leader() { nats_request "$PORT" app app '$JS.API.STREAM.INFO.E2E' '' | grep -o '"leader":"[^"]*"' | cut -d'"' -f4; }
nats_request "$PORT" app app '$JS.API.STREAM.DELETE.E2E' '' > /dev/null || true
nats_request "$PORT" app app '$JS.API.STREAM.CREATE.E2E' '{"name":"E2E","subjects":["e2e.>"],"num_replicas":3,"storage":"file"}' \
  | grep -q '"name":"E2E"' || fail "stream E2E not created"
deadline=$(( $(date +%s) + 10 ))
until stream_before=$(stream_leader) && [ -n "$stream_before" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "stream E2E has no leader"; sleep 0.2
done

start_gateway --nats-cluster "$FIRST"

T new-session -d -s e2e -x 150 -y 40 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 PATH=$PATH CLUSTERDASH_NATS_USER=sys CLUSTERDASH_NATS_PASSWORD=sys APP_AUTH=app:app bash --norc --noprofile"
T new-session -d -s wall -x 100 -y 30 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 $BIN --wall --endpoint $URL --log-file $WORK/wall.log"
sleep 0.3
T send-keys -t e2e "clear; stty -g > $WORK/before; $BIN --nats-cluster $FIRST --nats-stream-auth-env APP_AUTH --log-file $WORK/log; rc=\$?; stty -g > $WORK/after; echo EXIT=\$rc > $WORK/exit" Enter

wait_for "primary $old" 20
wait_for "★ $old" 10
wait_for "nats (polling + advisories)" 10
wait_for "entries" 10
wait_for "servers 3/3 answer, meta quorum 2" 10
TARGET=wall wait_for "primary $old" 20
if screen | grep -q "sys"; then fail "a credential is on the screen"; fi

echo "e2e: Enter on Assignments lists the streams by name"
T send-keys -t e2e Tab Tab
sleep 0.3
T send-keys -t e2e Enter
wait_for "Partitions v" 5
wait_for "p steps its leader down, m moves it" 5
echo "e2e: p on stream E2E (led by $stream_before), y"
T send-keys -t e2e "/"
T send-keys -t e2e -l "E2E"
T send-keys -t e2e Enter
wait_for "filter: E2E" 5
wait_for "E2E" 5
T send-keys -t e2e "p"
wait_for "Step down a leader" 5
wait_for "E2E: its leader $stream_before steps down" 5
wait_for "y steps it down" 5
T send-keys -t e2e "y"
wait_for "result: completed" 15
deadline=$(( $(date +%s) + 10 ))
until stream_after=$(stream_leader) && [ -n "$stream_after" ] && [ "$stream_after" != "$stream_before" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "STREAM.INFO still names $stream_before the leader of E2E"; sleep 0.2
done
echo "e2e: STREAM.INFO names $stream_after the leader of E2E now"
T send-keys -t e2e Escape
wait_gone "Step down a leader"
T send-keys -t e2e Escape
wait_gone "Partitions v"
wait_for "E2E elected $stream_after its leader" 10

echo "e2e: p, the first candidate, y"
T send-keys -t e2e Tab Tab Tab Tab
T send-keys -t e2e "p"
wait_for "Promote a replica"
wait_for "the meta leader steps down"
wait_for "y sends the promotion"
candidate=$(screen | grep -o "▸ n[0-9]*" | head -n 1 | cut -d' ' -f2)
[ -n "$candidate" ] || fail "no candidate chosen in the dialog"
[ "$candidate" != "$old" ] || fail "the meta leader was offered as a candidate"
T send-keys -t e2e "y"
wait_for "result: completed" 15
deadline=$(( $(date +%s) + 10 ))
until now=$(leader) && [ -n "$now" ] && [ "$now" != "$old" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "/jsz still names $old the meta leader"; sleep 0.2
done
echo "e2e: /jsz names $now the meta leader now"
T send-keys -t e2e Escape
wait_gone "Promote a replica"
wait_for "primary $now" 5
wait_for "★ $now" 5
TARGET=wall wait_for "primary $now" 10

# A follower SIGKILLed: down on screen, then started again.
victim=$(for n in n1 n2 n3; do if [ "$n" != "$now" ]; then echo "$n"; fi; done | head -n 1)
echo "e2e: SIGKILL $victim"
kill -KILL "$(cat "$DIR/$victim.pid")"
wait_for "the meta leader lost it too" 10
wait_for "servers 2/3 answer" 5
CLUSTERDASH_NATS_DIR=$DIR CLUSTERDASH_NATS_PORT_OFFSET=$OFFSET CLUSTERDASH_NATS_ACCOUNTS=1 bash "$(dirname "$0")/../../scripts/nats-up" "${victim#n}"
wait_for "servers 3/3 answer" 15

quit_and_stop_gateway
nats_request "$PORT" app app '$JS.API.STREAM.DELETE.E2E' '' > /dev/null || true
if grep -q "sys" "$WORK/log" 2>/dev/null && grep -q "password" "$WORK/log"; then fail "a credential is in the log"; fi
echo "e2e: against a real NATS JetStream cluster: meta leader $old shown as /jsz says, stepped down with p and y to $now; stream E2E's leader $stream_before stepped down to $stream_after; the dashboard, the wall behind the gateway and /jsz agree; $victim SIGKILLed shown down and back"
