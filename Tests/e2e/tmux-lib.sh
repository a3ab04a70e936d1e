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
