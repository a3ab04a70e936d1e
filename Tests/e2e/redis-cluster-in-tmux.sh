#!/usr/bin/env bash
# End-to-end against the real Redis Cluster of scripts/redis-cluster-up: the
# real binary in a real terminal (tmux) watches it directly (--redis-cluster);
# a second one, a wall display, watches it through `clusterdash gateway`.
# All five panes show real data; m, a tenant typed as its hash tag, Tab, y
# moves the tenant's slot with its keys for real; CLUSTER NODES and
# COUNTKEYSINSLOT then agree with the screen; q restores the terminal.
# Needs CLUSTERDASH_REDIS_CLUSTER (.ci/run sets it).
set -euo pipefail
BIN=${1:-.build/debug/clusterdash}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
SEED=${CLUSTERDASH_REDIS_CLUSTER:?set by .ci/run: a node of the scripts/redis-cluster-up cluster}
SEED_PORT=${SEED##*:}
WORK=$(mktemp -d)
SOCKET="clusterdash-redis-e2e-$$"
GATEWAY=""
TENANT="e2e-$$"
KEYS=2000
# shellcheck source=tmux-lib.sh
. "$(dirname "$0")/tmux-lib.sh"
trap cleanup_with_gateway EXIT

# The master that serves slot $1, as CLUSTER NODES (asked of $2) says.
owner() {
  redis-cli -p "$2" cluster nodes | awk -v s="$1" '$3 ~ /master/ && $3 !~ /fail/ {
    for (i = 9; i <= NF; i++) { if ($i ~ /^\[/) continue; n = split($i, r, "-"); if (n == 1) r[2] = r[1]; if (s >= r[1] + 0 && s <= r[2] + 0) { sub(/@.*/, "", $2); print $2 } } }'
}
steady() {
  redis-cli -p "$SEED_PORT" cluster info | grep -q "cluster_state:ok" && [ "$(redis-cli -p "$SEED_PORT" cluster nodes | grep -c "master -")" -ge 3 ] \
    && [ "$(redis-cli -p "$SEED_PORT" cluster nodes | grep -c "slave")" -eq 3 ] && ! redis-cli -p "$SEED_PORT" cluster nodes | grep -q "fail"
}
deadline=$(( $(date +%s) + 60 ))
until steady; do [ "$(date +%s)" -lt "$deadline" ] || fail "the cluster is not steady"; sleep 0.5; done

SLOT=$(redis-cli -p "$SEED_PORT" cluster keyslot "{$TENANT}")
FROM=$(owner "$SLOT" "$SEED_PORT")
[ -n "$FROM" ] || fail "no owner of slot $SLOT"
python3 -c "
import sys
for i in range($KEYS):
    k = '{$TENANT}:k%d' % i; v = 'v%d' % i
    sys.stdout.write('*3\r\n\$3\r\nSET\r\n\$%d\r\n%s\r\n\$%d\r\n%s\r\n' % (len(k), k, len(v), v))
" | redis-cli -p "${FROM##*:}" --pipe > "$WORK/pipe.out"
[ "$(redis-cli -p "${FROM##*:}" cluster countkeysinslot "$SLOT")" = "$KEYS" ] || fail "the $KEYS keys are not on $FROM"
echo "e2e: tenant {$TENANT}: slot $SLOT on $FROM with $KEYS keys"

start_gateway --redis-cluster "$SEED"

T new-session -d -s e2e -x 150 -y 45 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 PATH=$PATH bash --norc --noprofile"
T new-session -d -s wall -x 100 -y 30 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 $BIN --wall --endpoint $URL --log-file $WORK/wall.log"
sleep 0.3
T send-keys -t e2e "stty -g > $WORK/before; $BIN --redis-cluster $SEED --migrate-pause 2 --log-file $WORK/log; rc=\$?; stty -g > $WORK/after; echo EXIT=\$rc > $WORK/exit" Enter

echo "e2e: the five panes with the cluster's data"
wait_for "redis-cluster (polling)" 20
wait_for "3 primaries" 20
for p in 17001 17002 17003 17004 17005 17006; do wait_for "127.0.0.1:$p" 10; done
wait_for "every partition assigned once  16384 partitions" 10
wait_for "KEYS" 5
wait_for "ack " 10
wait_for "no migrations (m starts one)" 5
wait_for "snapshot of $SEED" 5
TARGET=wall wait_for "3 primaries" 20

echo "e2e: m, {$TENANT}, Enter, Tab, y"
T send-keys -t e2e "m"
wait_for "1. Tenant: a hash tag or slot N"
T send-keys -t e2e -l "{$TENANT}"
wait_for "slot $SLOT, now on $FROM"
T send-keys -t e2e Enter
wait_for "2. Target master for {$TENANT} (now on $FROM)"
T send-keys -t e2e Tab
wait_for "3. Confirm"
TO=$(screen | grep -o "to      127.0.0.1:[0-9]*" | head -n 1 | awk '{print $2}')
[ -n "$TO" ] || fail "no target on the confirm screen"
[ "$TO" != "$FROM" ] || fail "the owner was offered as the target"
T send-keys -t e2e "y"
wait_for "result: completed" 60
wait_for "migrate {$TENANT} $FROM -> $TO" 5
T send-keys -t e2e Escape
wait_gone "Migrate a tenant"
wait_for "done" 10
wait_for "is on $TO: $KEYS keys moved" 5
[ "$(owner "$SLOT" "${TO##*:}")" = "$TO" ] || fail "CLUSTER NODES does not give slot $SLOT to $TO"
[ "$(redis-cli -p "${TO##*:}" cluster countkeysinslot "$SLOT")" = "$KEYS" ] || fail "the keys are not on $TO"
[ "$(redis-cli -p "${FROM##*:}" cluster countkeysinslot "$SLOT")" = "0" ] || fail "keys are left on $FROM"
[ "$(redis-cli -p "${TO##*:}" get "{$TENANT}:k1999")" = "v1999" ] || fail "a key does not read back at $TO"
echo "e2e: CLUSTER NODES gives slot $SLOT to $TO, with its $KEYS keys"
TARGET=wall wait_for "3 primaries" 5

quit_and_stop_gateway
for i in $(seq 0 $((KEYS - 1))); do printf 'DEL {%s}:k%d\n' "$TENANT" "$i"; done | redis-cli -p "${TO##*:}" > /dev/null
echo "e2e: against the real Redis Cluster: five panes of real data, tenant {$TENANT} moved $FROM -> $TO with m; the screen and CLUSTER NODES agree"
