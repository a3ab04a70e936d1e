#!/usr/bin/env bash
# End-to-end against the real MariaDB replication of scripts/mariadb-up: the
# real binary in a real terminal (tmux) watches it directly (--mysql, one
# server: the others are found from replication); a second one, a wall
# display, watches it through `clusterdash gateway`. The Nodes pane shows the
# primary the servers say and its replicas under it; p, the first
# candidate, y switches over step by step; both screens and every server
# then agree; the password is on no screen and in no log; q restores the
# terminal. Needs CLUSTERDASH_MYSQL, CLUSTERDASH_MYSQL_AUTH and
# CLUSTERDASH_MYSQL_REPL_AUTH (.ci/run sets them).
set -euo pipefail
BIN=${1:-.build/debug/clusterdash}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
SERVERS=${CLUSTERDASH_MYSQL:?set by .ci/run: the servers of scripts/mariadb-up}
AUTH=${CLUSTERDASH_MYSQL_AUTH:?set by .ci/run: user:password of the console}
: "${CLUSTERDASH_MYSQL_REPL_AUTH:?set by .ci/run: user:password of the replication user}"
FIRST=${SERVERS%%,*}
WORK=$(mktemp -d)
SOCKET="clusterdash-mysql-e2e-$$"
GATEWAY=""
# shellcheck source=tmux-lib.sh
. "$(dirname "$0")/tmux-lib.sh"
trap cleanup_with_gateway EXIT

# The servers' own word, by SQL (the password through MYSQL_PWD, never argv).
sql() { MYSQL_PWD=${AUTH#*:} mariadb --no-defaults -h "${1%:*}" -P "${1##*:}" -u "${AUTH%%:*}" -N -B -e "$2"; }
# \G with the column names (-N would print the values alone).
status() { MYSQL_PWD=${AUTH#*:} mariadb --no-defaults -h "${1%:*}" -P "${1##*:}" -u "${AUTH%%:*}" -e 'SHOW SLAVE STATUS\G'; }
primary() {
  local s
  for s in ${SERVERS//,/ }; do
    if [ -z "$(sql "$s" 'SHOW SLAVE STATUS')" ] && [ "$(sql "$s" 'SELECT @@read_only')" = 0 ]; then echo "$s"; return; fi
  done
}
following() { # every server but $1 replicates from $1 with both threads running
  local s
  for s in ${SERVERS//,/ }; do
    [ "$s" = "$1" ] && continue
    status "$s" | grep -q "Master_Port: ${1##*:}" || return 1
    [ "$(status "$s" | grep -cE 'Slave_(IO|SQL)_Running: Yes')" = 2 ] || return 1
  done
}
deadline=$(( $(date +%s) + 60 ))
until old=$(primary) && [ -n "$old" ] && following "$old"; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "the replication is not healthy"; sleep 0.5
done
echo "e2e: the servers say the primary is $old"

start_gateway --mysql "$FIRST" --mysql-auth-env CLUSTERDASH_MYSQL_AUTH --mysql-repl-auth-env CLUSTERDASH_MYSQL_REPL_AUTH

T new-session -d -s e2e -x 150 -y 40 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 PATH=$PATH CLUSTERDASH_MYSQL_AUTH=$AUTH CLUSTERDASH_MYSQL_REPL_AUTH=$CLUSTERDASH_MYSQL_REPL_AUTH bash --norc --noprofile"
T new-session -d -s wall -x 100 -y 30 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 $BIN --wall --endpoint $URL --log-file $WORK/wall.log"
sleep 0.3
T send-keys -t e2e "clear; stty -g > $WORK/before; $BIN --mysql $FIRST --mysql-auth-env CLUSTERDASH_MYSQL_AUTH --mysql-repl-auth-env CLUSTERDASH_MYSQL_REPL_AUTH --log-file $WORK/log; rc=\$?; stty -g > $WORK/after; echo EXIT=\$rc > $WORK/exit" Enter

wait_for "primary $old" 20
wait_for "★ $old" 10
wait_for "mysql (polling)" 10
wait_for "└─" 10
wait_for "trx" 10
wait_for "no partition assignments" 10
TARGET=wall wait_for "primary $old" 20

echo "e2e: p, the first candidate, y"
T send-keys -t e2e "p"
wait_for "Promote a replica"
wait_for "y sends the promotion"
candidate=$(screen | grep -o "▸ [0-9.]*:[0-9]*" | head -n 1 | cut -d' ' -f2)
[ -n "$candidate" ] || fail "no candidate chosen in the dialog"
[ "$candidate" != "$old" ] || fail "the primary was offered as a candidate"
T send-keys -t e2e "y"
wait_for "result: completed" 40
wait_for "switchover to $candidate done" 5
deadline=$(( $(date +%s) + 30 ))
until [ "$(primary)" = "$candidate" ] && following "$candidate"; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "the servers do not all follow $candidate"; sleep 0.3
done
echo "e2e: every server follows $candidate now"
T send-keys -t e2e Escape
wait_gone "Promote a replica"
wait_for "primary $candidate" 15
wait_for "★ $candidate" 15
wait_for "read_only=1" 5
TARGET=wall wait_for "primary $candidate" 15

password=${AUTH#*:}
screen | grep -qF -- "$password" && fail "the password is on the dashboard's screen"
TARGET=wall screen | grep -qF -- "$password" && fail "the password is on the wall's screen"
for f in "$WORK/log" "$WORK/wall.log" "$WORK/gateway.out" "$WORK/gateway.err"; do
  [ -f "$f" ] && grep -qF -- "$password" "$f" && fail "the password is in $f"
done
repl=${CLUSTERDASH_MYSQL_REPL_AUTH#*:}
for f in "$WORK/log" "$WORK/gateway.out" "$WORK/gateway.err"; do
  [ -f "$f" ] && grep -qF -- "$repl" "$f" && fail "the replication password is in $f"
done

quit_and_stop_gateway
echo "e2e: against real MariaDB replication: primary $old shown with its replicas under it, switched over to $candidate with y; the dashboard, the wall behind the gateway and every server agree; no password on a screen or in a log"
