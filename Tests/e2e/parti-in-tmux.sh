#!/usr/bin/env bash
# End-to-end against Parti's buckets in the real NATS JetStream cluster of
# scripts/nats-up (the stream transport's, no accounts): Parti's documented
# layout is written into real KV buckets by this script (Parti is a Go
# library that cannot be built here: docs/ENGINES.md), and the real binary
# in a real terminal (tmux) reads them (--parti): the three workers with the
# elected leader, Parti's table (v1, cold start) in Assignments and the
# partition table; a worker that stops beating is late, then gone when its
# key expires, with its partitions said; the emergency v2 replaces the
# table; p is refused in Parti's words (Parti decides alone); q restores
# the terminal. Needs CLUSTERDASH_NATS (.ci/run sets it); a cluster with
# accounts takes CLUSTERDASH_NATS_USER/_PASSWORD (used by both sides).
set -euo pipefail
BIN=${1:-.build/debug/clusterdash}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
SERVERS=${CLUSTERDASH_NATS:?set by .ci/run: the servers of scripts/nats-up}
FIRST=${SERVERS%%,*}
PORT=${FIRST##*:}
PREFIX="e2eparti$$"
USER_=${CLUSTERDASH_NATS_USER:-}
PASSWORD_=${CLUSTERDASH_NATS_PASSWORD:-}
WORK=$(mktemp -d)
SOCKET="clusterdash-parti-e2e-$$"
BEATER=""
# shellcheck source=tmux-lib.sh
. "$(dirname "$0")/tmux-lib.sh"
# shellcheck source=nats-lib.sh
. "$(dirname "$0")/nats-lib.sh"

buckets() { echo "$PREFIX-stableid:30 $PREFIX-election:10 $PREFIX-heartbeat:6 $PREFIX-assignment:0"; }
cleanup() {
  local rc=$?
  [ -n "$BEATER" ] && kill "$BEATER" 2>/dev/null || true
  local b
  for b in $(buckets); do nats_request "$PORT" "$USER_" "$PASSWORD_" "\$JS.API.STREAM.DELETE.KV_${b%%:*}" '' > /dev/null 2>&1 || true; done
  T kill-server 2>/dev/null || true
  rm -rf "$WORK" 2>/dev/null || true
  exit "$rc"
}
trap cleanup EXIT

# Parti's buckets (KV streams: one message per key, TTLs as max age) and its values.
for b in $(buckets); do
  name=${b%%:*}
  ttl=${b##*:}
  nats_request "$PORT" "$USER_" "$PASSWORD_" "\$JS.API.STREAM.CREATE.KV_$name" \
    "{\"name\":\"KV_$name\",\"subjects\":[\"\$KV.$name.>\"],\"max_msgs_per_subject\":1,\"discard\":\"new\",\"allow_rollup_hdrs\":true,\"deny_delete\":true,\"max_age\":$(( ttl * 1000000000 )),\"num_replicas\":1,\"storage\":\"file\"}" \
    | grep -q "\"name\":\"KV_$name\"" || fail "bucket $name not created"
done
put() { nats_request "$PORT" "$USER_" "$PASSWORD_" "\$KV.$PREFIX-$1.$2" "$3" | grep -q '"seq"' || fail "put $1 $2"; }
now() { date -u +%Y-%m-%dT%H:%M:%S.%NZ; }
assign() { # version lifecycle worker keys...
  local version=$1 lifecycle=$2 worker=$3 parts="" k
  shift 3
  for k in "$@"; do parts="$parts${parts:+,}{\"keys\":[\"$k\"],\"weight\":100}"; done
  put assignment "assignment.$worker" "{\"version\":$version,\"lifecycle\":\"$lifecycle\",\"partitions\":[$parts]}"
}
# Parti beats every 2 s; the workers in $WORK/beating beat every second,
# and the leader's election key is renewed with them.
echo "w1 w2 w3" > "$WORK/beating"
beat() {
  while true; do
    for w in $(cat "$WORK/beating"); do
      nats_request "$PORT" "$USER_" "$PASSWORD_" "\$KV.$PREFIX-heartbeat.heartbeat.$w" "$(now)" > /dev/null 2>&1 || true
      nats_request "$PORT" "$USER_" "$PASSWORD_" "\$KV.$PREFIX-stableid.$w" "$(now)" > /dev/null 2>&1 || true
    done
    nats_request "$PORT" "$USER_" "$PASSWORD_" "\$KV.$PREFIX-election.leader" "w1:$(date +%s)" > /dev/null 2>&1 || true
    sleep 1
  done
}
beat &
BEATER=$!
assign 1 cold_start w1 p0 p1
assign 1 cold_start w2 p2 p3
assign 1 cold_start w3 p4 p5

T new-session -d -s e2e -x 150 -y 40 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 PATH=$PATH CLUSTERDASH_NATS_USER=$USER_ CLUSTERDASH_NATS_PASSWORD=$PASSWORD_ bash --norc --noprofile"
sleep 0.3
T send-keys -t e2e "clear; stty -g > $WORK/before; $BIN --parti nats://$FIRST --parti-bucket-prefix $PREFIX --log-file $WORK/log; rc=\$?; stty -g > $WORK/after; echo EXIT=\$rc > $WORK/exit" Enter

echo "e2e: the workers, the leader and Parti's v1"
wait_for "primary w1" 20
wait_for "★ w1" 10
wait_for "● w3" 10
wait_for "cold start" 10
wait_for "6 partitions" 10
T send-keys -t e2e Tab Tab
sleep 0.3
T send-keys -t e2e Enter
wait_for "Partitions v1 (6, 0 moved)" 5
wait_for "p4" 5
T send-keys -t e2e Escape
wait_gone "Partitions v1"

echo "e2e: w3 stops beating: late, then gone with its partitions"
echo "w1 w2" > "$WORK/beating"
wait_for "w3 health healthy -> suspect: heartbeat late" 15
wait_for "gone: heartbeat expired" 15
T send-keys -t e2e "i"
wait_for "w3 gone with 2 partitions" 5
T send-keys -t e2e "i"
wait_gone "w3 gone with 2 partitions"
echo "e2e: the leader's emergency v2 without w3"
put assignment "assignment.w3" "" 2>/dev/null || true
assign 2 emergency w1 p0 p1 p4
assign 2 emergency w2 p2 p3 p5
wait_for "emergency" 10
T send-keys -t e2e Enter
wait_for "Partitions v2 (6, 2 moved)" 10
T send-keys -t e2e Escape
wait_gone "Partitions v2"

echo "e2e: p is refused: Parti decides alone"
T send-keys -t e2e "p"
wait_for "accepts no promotion: Parti decides alone" 5
T send-keys -t e2e "m"
wait_for "accepts no migration: Parti decides alone" 5

echo "e2e: quit"
T send-keys -t e2e "q"
wait_file "$WORK/exit" 15
[ "$(cat "$WORK/exit")" = "EXIT=0" ] || fail "exit status $(cat "$WORK/exit")"
cmp -s "$WORK/before" "$WORK/after" || fail "the terminal's settings were not restored"
echo "e2e: Parti's buckets in a real NATS KV: w1 leading, v1 cold start, w3 gone when its heartbeat expired, v2 emergency, p refused; the terminal restored"
