#!/usr/bin/env bash
# End-to-end (docs/RELIABILITY.md): a resize storm, 1,000 resizes in about
# 10 s between 20x5 and 200x60, then the dashboard must still be alive and
# draw its panes, and q must restore the terminal; then each of SIGINT,
# SIGTERM, SIGHUP and SIGQUIT stops a fresh dashboard with the terminal as it
# was (`stty -g` compared). Prints the figures it measured.
set -euo pipefail
BIN=${1:-.build/debug/clusterdash}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
WORK=$(mktemp -d)
SOCKET="clusterdash-storm-$$"
# shellcheck source=tmux-lib.sh
. "$(dirname "$0")/tmux-lib.sh"
trap cleanup_with_gateway EXIT

T new-session -d -s e2e -x 120 -y 40 "env -i HOME=$WORK TERM=xterm-256color LANG=C.UTF-8 PATH=$PATH bash --norc --noprofile"
sleep 0.3

# run N: the demo dashboard with its own log, stty before/after and exit status.
run() {
  T send-keys -t e2e "clear; stty -g > $WORK/before$1; $BIN --log-file $WORK/log$1; rc=\$?; stty -g > $WORK/after$1; echo EXIT=\$rc > $WORK/exit$1" Enter
  wait_for "Failover log" 30
}
pid_of() { pgrep -f -n "^$BIN --log-file $WORK/log$1" || fail "no dashboard process for run $1"; }
restored() { cmp -s "$WORK/before$1" "$WORK/after$1" || fail "run $1: terminal settings changed: $(cat "$WORK/before$1") -> $(cat "$WORK/after$1")"; }

echo "storm: 1,000 resizes between 20x5 and 200x60"
run 0
pid=$(pid_of 0)
rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
start=$(date +%s%N)
RANDOM=7
for i in $(seq 1 1000); do
  T resize-window -t e2e -x $((20 + RANDOM % 181)) -y $((5 + RANDOM % 56))
  # About 10 s in all: a resize every 10 ms or so.
  sleep 0.008
done
took=$(( ($(date +%s%N) - start) / 1000000 ))
kill -0 "$pid" 2>/dev/null || fail "the dashboard died during the resize storm"
T resize-window -t e2e -x 20 -y 5
sleep 0.5
kill -0 "$pid" 2>/dev/null || fail "the dashboard died at 20x5"
T resize-window -t e2e -x 120 -y 40
wait_for "Failover log" 10
rss_after=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
T send-keys -t e2e "q"
wait_file "$WORK/exit0" 15
[ "$(cat "$WORK/exit0")" = "EXIT=0" ] || fail "after the storm, q gave $(cat "$WORK/exit0")"
restored 0
echo "storm: 1000 resizes in ${took} ms; alive, drew its panes again, q exited 0 with the terminal restored; RSS ${rss_before} -> ${rss_after} KiB"

n=1
for sig in INT TERM HUP QUIT; do
  run "$n"
  pid=$(pid_of "$n")
  start=$(date +%s%N)
  kill "-$sig" "$pid"
  wait_file "$WORK/exit$n" 15
  took=$(( ($(date +%s%N) - start) / 1000000 ))
  restored "$n"
  grep -q "signal" "$WORK/log$n" || fail "SIG$sig: the log does not show the signal"
  echo "SIG$sig: stopped in ${took} ms with $(cat "$WORK/exit$n"), terminal restored"
  n=$((n + 1))
done
echo "storm and signals: passed"
