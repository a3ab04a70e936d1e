#!/usr/bin/env bash
# End-to-end: one console for several clusters of several engines, from a
# config file. A simulator (`clusterdash sim`), the real etcd cluster and
# the real NATS JetStream cluster (watched as engines), and a Patroni
# cluster that does not exist are configured; `--fleet` lists them all at
# once, each through its own engine: the simulator's primary, the etcd and
# JetStream members healthy, the missing one with why. Enter opens the
# simulator's dashboard already live, Esc comes back; the simulator killed
# leaves the two others live and its line says its retries; q restores the
# terminal. Needs CLUSTERDASH_ETCD_CLUSTER and CLUSTERDASH_JETSTREAM_CLUSTER
# (.ci/run sets them; the JetStream cluster's system account is sys/sys).
set -euo pipefail
BIN=${1:-.build/debug/clusterdash}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
ETCD=${CLUSTERDASH_ETCD_CLUSTER:?set by .ci/run: the members of scripts/etcd-up}
JETSTREAM=${CLUSTERDASH_JETSTREAM_CLUSTER:?set by .ci/run: the servers of scripts/nats-up with accounts}
WORK=$(mktemp -d)
SOCKET="clusterdash-fleet-e2e-$$"
SIM=""
# shellcheck source=tmux-lib.sh
. "$(dirname "$0")/tmux-lib.sh"
cleanup() {
  local rc=$?
  [ -n "$SIM" ] && kill "$SIM" 2>/dev/null || true
  T kill-server 2>/dev/null || true
  rm -rf "$WORK" 2>/dev/null || true
  exit "$rc"
}
trap cleanup EXIT

"$BIN" sim --listen 127.0.0.1:0 > "$WORK/sim.out" 2>&1 &
SIM=$!
for _ in $(seq 1 100); do grep -q "serving" "$WORK/sim.out" && break; sleep 0.1; done
SIM_URL=$(grep -o "ws://[0-9.:]*/v1/stream" "$WORK/sim.out" | head -n 1)
[ -n "$SIM_URL" ] || fail "the simulator did not start"
cat > "$WORK/config.toml" <<TOML
[clusters.sim]
endpoints = ["$SIM_URL"]

[clusters.etcd]
engine = "etcd"
etcd = ["${ETCD%%,*}"]

[clusters.jetstream]
engine = "nats"
nats = ["${JETSTREAM%%,*}"]
auth_env = "FLEET_JS_AUTH"

[clusters.pg-missing]
engine = "patroni"
patroni = ["http://127.0.0.1:1"]
TOML
echo "e2e: a config of four clusters: the simulator at $SIM_URL, etcd, NATS JetStream, and a Patroni that is not there"

T new-session -d -s e2e -x 160 -y 30 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 PATH=$PATH FLEET_JS_AUTH=sys:sys bash --norc --noprofile"
sleep 0.3
T send-keys -t e2e "clear; stty -g > $WORK/before; $BIN --fleet --config $WORK/config.toml --log-file $WORK/log; rc=\$?; stty -g > $WORK/after; echo EXIT=\$rc > $WORK/exit" Enter

line() { screen | grep -E "^ $1 " || true; }
wait_line() { # cluster text [seconds]
  local deadline=$(( $(date +%s) + ${3:-20} ))
  until line "$1" | grep -qF -- "$2"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "the $1 line has no \"$2\""
    sleep 0.1
  done
}
wait_for "clusterdash fleet  4 clusters" 15
wait_line sim "node-1"
wait_line sim "5/5 healthy"
wait_line etcd "3/3 healthy"
wait_line jetstream "nats"
wait_line jetstream "3/3 healthy"
wait_line pg-missing "refused"
if screen | grep -q "sys:sys"; then fail "a credential is on the screen"; fi

echo "e2e: Enter opens the simulator's dashboard, live; Esc comes back"
T send-keys -t e2e G
T send-keys -t e2e Enter
wait_for "clusterdash sim" 5
wait_for "primary node-1" 5
wait_for "★ node-1" 5
T send-keys -t e2e Escape
wait_for "clusterdash fleet  4 clusters" 5

echo "e2e: tail --fleet: every cluster's log lines, each prefixed with its name"
FLEET_JS_AUTH=sys:sys "$BIN" tail --fleet --config "$WORK/config.toml" --seconds 4 > "$WORK/tail.out" 2> "$WORK/tail.err" || fail "tail --fleet: $(cat "$WORK/tail.err")"
grep -q "^sim        | .*snapshot of sim" "$WORK/tail.out" || fail "tail --fleet: no snapshot line of sim: $(cat "$WORK/tail.out")"
grep -q "^etcd       | .*snapshot of " "$WORK/tail.out" || fail "tail --fleet: no snapshot line of etcd: $(cat "$WORK/tail.out")"
grep -q "^jetstream  | .*snapshot of " "$WORK/tail.out" || fail "tail --fleet: no snapshot line of jetstream: $(cat "$WORK/tail.out")"
grep -q "^pg-missing | -- endpoint patroni http://127.0.0.1:1 backing off: refused" "$WORK/tail.out" || fail "tail --fleet: pg-missing's failure not said: $(cat "$WORK/tail.out")"
if grep -q "sys:sys" "$WORK/tail.out" "$WORK/tail.err"; then fail "tail --fleet printed a credential"; fi

echo "e2e: a gateway whose engine answers nowhere says so on /health (503 and why), one whose engine is live says ok"
"$BIN" gateway --patroni http://127.0.0.1:1 --listen 127.0.0.1:0 > "$WORK/gw.out" 2> "$WORK/gw.err" &
GW=$!
"$BIN" gateway --etcd-cluster "${ETCD%%,*}" --listen 127.0.0.1:0 > "$WORK/gw2.out" 2> "$WORK/gw2.err" &
GW2=$!
for _ in $(seq 1 100); do grep -q "serving" "$WORK/gw.out" && grep -q "serving" "$WORK/gw2.out" && break; sleep 0.1; done
health() { curl -s -m 2 -w " %{http_code}" "$(grep -o "ws://[0-9.:]*" "$1" | head -n 1 | sed 's#ws://#http://#')/health"; }
sleep 2
bad=$(health "$WORK/gw.out")
good=$(health "$WORK/gw2.out")
kill "$GW" "$GW2" 2>/dev/null || true
wait "$GW" "$GW2" 2>/dev/null || true
case "$bad" in *"unhealthy: patroni http://127.0.0.1:1 backing off: refused"*" 503") ;; *) fail "/health of a gateway whose Patroni is not there: $bad" ;; esac
case "$good" in "ok"*" 200") ;; *) fail "/health of a gateway on a live etcd: $good" ;; esac

echo "e2e: the simulator killed: its line says so, the others stay live"
kill "$SIM"
wait "$SIM" 2>/dev/null || true
SIM=""
wait_line sim "connection refused" 20
wait_line etcd "3/3 healthy" 5
wait_line etcd "live" 5
wait_line jetstream "live" 5

echo "e2e: quit"
T send-keys -t e2e "q"
wait_file "$WORK/exit" 15
[ "$(cat "$WORK/exit")" = "EXIT=0" ] || fail "exit status $(cat "$WORK/exit")"
cmp -s "$WORK/before" "$WORK/after" || fail "the terminal's settings were not restored"
if grep -q "sys:sys" "$WORK/log"; then fail "a credential is in the log"; fi
echo "e2e: one fleet of four clusters of four engines from a config file: each listed from its own source, Enter and Esc, tail --fleet, one killed and the others live"
