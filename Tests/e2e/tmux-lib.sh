# Shared by the tmux end-to-end scripts (sourced, not run). Needs SOCKET and
# WORK set; TARGET is the tmux session read (default e2e).
T() { tmux -L "$SOCKET" "$@"; }
screen() { T capture-pane -p -t "${TARGET:-e2e}"; }
fail() {
  echo "e2e FAILED: $*"
  echo "---- screen ----"; screen || true
  echo "---- log ----"; tail -n 20 "$WORK/log" 2>/dev/null || true
  exit 1
}
wait_for() { # text [seconds]
  local deadline=$(( $(date +%s) + ${2:-15} ))
  until screen | grep -qF -- "$1"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "no \"$1\" on screen after ${2:-15}s"
    sleep 0.1
  done
}
wait_file() { # path [seconds]: the command line on screen is no proof it ran
  local deadline=$(( $(date +%s) + ${2:-15} ))
  until [ -s "$1" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "no $1 after ${2:-15}s"
    sleep 0.1
  done
}
wait_gone() {
  local deadline=$(( $(date +%s) + ${2:-10} ))
  while screen | grep -qF -- "$1"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "\"$1\" still on screen"
    sleep 0.1
  done
}

# On exit: the tmux server, the gateway if one runs (GATEWAY), the work
# folder; the script's exit status is kept.
cleanup_with_gateway() {
  local rc=$?
  T kill-server 2>/dev/null || true
  if [ -n "${GATEWAY:-}" ]; then kill "$GATEWAY" 2>/dev/null || true; wait "$GATEWAY" 2>/dev/null || true; fi
  rm -rf "$WORK" 2>/dev/null || true
  exit "$rc"
}

# Starts `clusterdash gateway` with the engine's flags ($@) on a free port;
# sets GATEWAY (its pid) and URL (its stream). Needs BIN.
start_gateway() {
  "$BIN" gateway "$@" --listen 127.0.0.1:0 > "$WORK/gateway.out" 2> "$WORK/gateway.err" &
  GATEWAY=$!
  for _ in $(seq 1 100); do grep -q "serving" "$WORK/gateway.out" && break; sleep 0.1; done
  URL=$(grep -o "ws://[0-9.:]*/v1/stream" "$WORK/gateway.out" | head -n 1)
  [ -n "$URL" ] || { cat "$WORK/gateway.err"; fail "the gateway did not start"; }
  echo "e2e: gateway at $URL"
}

# q in the dashboard: exit status 0 and the terminal as it was; then the
# gateway stops cleanly on SIGTERM and says so.
quit_and_stop_gateway() {
  echo "e2e: quit"
  T send-keys -t e2e "q"
  wait_file "$WORK/exit" 15
  [ "$(cat "$WORK/exit")" = "EXIT=0" ] || fail "exit status $(cat "$WORK/exit")"
  cmp -s "$WORK/before" "$WORK/after" || fail "terminal settings changed"
  kill -TERM "$GATEWAY"
  wait "$GATEWAY" || fail "the gateway did not stop cleanly on SIGTERM"
  GATEWAY=""
  grep -q "stopped" "$WORK/gateway.out" || fail "the gateway did not say it stopped"
}
