#!/usr/bin/env bash
# End-to-end against the real Patroni cluster of scripts/patroni-up: the real
# binary in a real terminal (tmux) watches it directly (--patroni, --etcd);
# a second one, a wall display, watches it through `clusterdash gateway`.
# The nodes pane shows /cluster's leader; p, the first candidate, y switches
# over; both screens and /cluster then agree; q restores the terminal.
# Needs CLUSTERDASH_PATRONI_URL and CLUSTERDASH_ETCD_URL (.ci/run sets them).
set -euo pipefail
BIN=${1:-.build/debug/clusterdash}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
REST=${CLUSTERDASH_PATRONI_URL:?set by .ci/run: a member of the scripts/patroni-up cluster}
ETCD=${CLUSTERDASH_ETCD_URL:?set by .ci/run: etcd of the scripts/patroni-up cluster}
WORK=$(mktemp -d)
SOCKET="clusterdash-patroni-e2e-$$"
GATEWAY=""
# shellcheck source=tmux-lib.sh
. "$(dirname "$0")/tmux-lib.sh"
trap cleanup_with_gateway EXIT

# The leader as Patroni's REST API says (never the human patronictl table).
leader() { curl -fsS --max-time 2 "$REST/cluster" | python3 -c 'import json,sys; print(next((m["name"] for m in json.load(sys.stdin)["members"] if m["role"] in ("leader","master","standby_leader")), ""))'; }
healthy() { curl -fsS --max-time 2 "$REST/cluster" | python3 -c '
import json,sys
ms = json.load(sys.stdin)["members"]
ok = len(ms) == 3 and any(m["role"] == "leader" for m in ms) and all(m["state"] in ("running", "streaming") for m in ms)
sys.exit(0 if ok else 1)'; }
deadline=$(( $(date +%s) + 60 ))
until healthy; do [ "$(date +%s)" -lt "$deadline" ] || fail "the cluster is not healthy"; sleep 0.5; done

start_gateway --patroni "$REST" --etcd "$ETCD"

T new-session -d -s e2e -x 140 -y 40 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 PATH=$PATH bash --norc --noprofile"
T new-session -d -s wall -x 100 -y 30 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 $BIN --wall --endpoint $URL --log-file $WORK/wall.log"
sleep 0.3
T send-keys -t e2e "stty -g > $WORK/before; $BIN --patroni $REST --etcd $ETCD --log-file $WORK/log; rc=\$?; stty -g > $WORK/after; echo EXIT=\$rc > $WORK/exit" Enter

old=$(leader)
echo "e2e: /cluster says the leader is $old"
wait_for "primary $old" 20
wait_for "patroni (etcd watch)" 20
wait_for "★ $old" 10
wait_for "no partition assignments" 10
TARGET=wall wait_for "primary $old" 20

echo "e2e: p, the first candidate, y"
T send-keys -t e2e "p"
wait_for "Promote a replica"
wait_for "y sends the promotion"
candidate=$(screen | grep -o "▸ pg[0-9]*" | head -n 1 | cut -d' ' -f2)
[ -n "$candidate" ] || fail "no candidate chosen in the dialog"
[ "$candidate" != "$old" ] || fail "the leader was offered as a candidate"
T send-keys -t e2e "y"
wait_for "result: completed" 40
wait_for "Successfully switched over" 5
deadline=$(( $(date +%s) + 30 ))
until [ "$(leader)" = "$candidate" ]; do [ "$(date +%s)" -lt "$deadline" ] || fail "/cluster's leader is not $candidate"; sleep 0.3; done
echo "e2e: /cluster says $candidate leads now"
T send-keys -t e2e Escape
wait_gone "Promote a replica"
wait_for "primary $candidate" 15
wait_for "★ $candidate" 15
TARGET=wall wait_for "primary $candidate" 15

quit_and_stop_gateway
echo "e2e: against the real Patroni cluster: leader $old shown, switched over to $candidate with y; the dashboard, the wall behind the gateway and /cluster agree"
