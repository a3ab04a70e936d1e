#!/usr/bin/env bash
# End-to-end against the real 3-member etcd cluster of scripts/etcd-up: the
# real binary in a real terminal (tmux) watches it directly (--etcd-cluster,
# one member: the others are found from the member list); a second one, a
# wall display, watches it through `clusterdash gateway`. The Nodes pane
# shows the leader etcdctl names, the lag in raft entries; p, the first
# candidate, y moves the leadership there; both screens and etcdctl then
# agree; q restores the terminal. Needs CLUSTERDASH_ETCD_CLUSTER (.ci/run sets it).
set -euo pipefail
BIN=${1:-.build/debug/clusterdash}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
URLS=${CLUSTERDASH_ETCD_CLUSTER:?set by .ci/run: the members of scripts/etcd-up}
FIRST=${URLS%%,*}
ENDPOINTS=$(echo "$URLS" | sed 's#http://##g')
WORK=$(mktemp -d)
SOCKET="clusterdash-etcd-e2e-$$"
GATEWAY=""
# shellcheck source=tmux-lib.sh
. "$(dirname "$0")/tmux-lib.sh"
trap cleanup_with_gateway EXIT

# etcdctl's word: the name of the member that leads.
leader() {
  local id
  id=$(ETCDCTL_API=3 etcdctl --endpoints="$ENDPOINTS" endpoint status -w simple 2>/dev/null | awk -F', ' '$5 == "true" { print $2 }' | head -n 1)
  [ -n "$id" ] || return 0
  ETCDCTL_API=3 etcdctl --endpoints="$ENDPOINTS" member list -w simple | awk -F', ' -v id="$id" '$1 == id { print $3 }'
}
deadline=$(( $(date +%s) + 30 ))
until old=$(leader) && [ -n "$old" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "etcd has no leader"; sleep 0.3
done
echo "e2e: etcdctl says the leader is $old"

start_gateway --etcd-cluster "$FIRST"

T new-session -d -s e2e -x 150 -y 40 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 PATH=$PATH bash --norc --noprofile"
T new-session -d -s wall -x 100 -y 30 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 $BIN --wall --endpoint $URL --log-file $WORK/wall.log"
sleep 0.3
T send-keys -t e2e "clear; stty -g > $WORK/before; $BIN --etcd-cluster $FIRST --log-file $WORK/log; rc=\$?; stty -g > $WORK/after; echo EXIT=\$rc > $WORK/exit" Enter

wait_for "primary $old" 20
wait_for "★ $old" 10
wait_for "etcd (polling)" 10
wait_for "entries" 10
wait_for "no partition assignments" 10
TARGET=wall wait_for "primary $old" 20

echo "e2e: p, the first candidate, y"
T send-keys -t e2e "p"
wait_for "Promote a replica"
wait_for "the leadership moves there"
wait_for "y sends the promotion"
candidate=$(screen | grep -o "▸ e[0-9]*" | head -n 1 | cut -d' ' -f2)
[ -n "$candidate" ] || fail "no candidate chosen in the dialog"
[ "$candidate" != "$old" ] || fail "the leader was offered as a candidate"
T send-keys -t e2e "y"
wait_for "result: completed" 15
deadline=$(( $(date +%s) + 10 ))
until [ "$(leader)" = "$candidate" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "etcdctl does not name $candidate the leader"; sleep 0.2
done
echo "e2e: etcdctl names $candidate the leader now"
T send-keys -t e2e Escape
wait_gone "Promote a replica"
wait_for "primary $candidate" 5
wait_for "★ $candidate" 5
TARGET=wall wait_for "primary $candidate" 10

quit_and_stop_gateway
echo "e2e: against a real etcd cluster: leader $old shown as etcdctl says, the leadership moved to $candidate with p and y; the dashboard, the wall behind the gateway and etcdctl agree"
