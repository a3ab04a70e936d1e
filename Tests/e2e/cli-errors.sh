#!/usr/bin/env bash
# End-to-end: what a new user meets at the command line, with the real binary.
# - A broken config.toml is an error naming the file, line and field; it never
#   opens the demo cluster instead of the one asked for.
# - A recording with torn and invalid lines replays every valid line and
#   reports the bad ones by line number.
set -euo pipefail
BIN=${1:-.build/debug/clusterdash}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "cli e2e FAILED: $*"; exit 1; }
checks=0
ok() { checks=$((checks + 1)); }

# Runs the dashboard with a config; it must exit at once with an error.
expect_config_error() { # toml expected-text [args...]
  local toml=$1 expected=$2; shift 2
  printf '%s' "$toml" > "$WORK/config.toml"
  set +e
  out=$(timeout 20 "$BIN" --config "$WORK/config.toml" --log-file "$WORK/log" "$@" </dev/null 2>&1)
  rc=$?
  set -e
  [ "$rc" -ne 0 ] || fail "exit 0 for a broken config ($expected); output: $out"
  [ "$rc" -ne 124 ] || fail "still running after 20 s (a dashboard opened?) for: $expected"
  echo "$out" | grep -qF -- "$expected" || fail "wanted \"$expected\", got: $out"
  if grep -q "demo cluster on" "$WORK/log" 2>/dev/null; then fail "the demo started for a broken config: $expected"; fi
  ok
}

prod=$'# production\ndefault_cluster = "prod"\n\n[clusters.prod]\n'
expect_config_error "${prod}endpoints = 1"$'\n' \
  "$WORK/config.toml:5: clusters.prod.endpoints: expected an array of strings, found an integer" --cluster prod
expect_config_error "${prod}endpoints = 1"$'\n' \
  "$WORK/config.toml:5: clusters.prod.endpoints: expected an array of strings, found an integer"
expect_config_error "${prod}endpoints = [\"ws://127.0.0.1:9/v1/stream\"]"$'\nread_only = "yes"\n' \
  "$WORK/config.toml:6: clusters.prod.read_only: expected true or false, found a string" --cluster prod
expect_config_error "${prod}endpoints = [\"ws://127.0.0.1:9/v1/stream\"]"$'\ntheme = "no-such-theme"\n' \
  "$WORK/config.toml:6: clusters.prod.theme: no theme no-such-theme" --cluster prod
expect_config_error "${prod}endpoints = [\"ws://127.0.0.1:9/v1/stream\"]"$'\n' \
  "no cluster staging in $WORK/config.toml (have: prod)" --cluster staging
expect_config_error $'[clusters.cache]\nengine = "redis-cluster"\nredis = ["127.0.0.1"]\n' \
  "$WORK/config.toml:3: clusters.cache.redis[0]: not host:port: 127.0.0.1" --cluster cache
expect_config_error $'[clusters.db]\nengine = "mysql"\nmysql = ["db1"]\n' \
  "$WORK/config.toml:3: clusters.db.mysql[0]: not host:port: db1" --cluster db
expect_config_error $'[clusters.s]\nengine = "redis-sentinel"\nsentinels = ["127.0.0.1:26380"]\n' \
  "clusters.s.master: missing: the master's name the sentinels monitor" --cluster s
# Engine flags that do not go together, or are not host:port, stop at once.
for args in "--sentinel 127.0.0.1:26380|--sentinel needs --master NAME" \
  "--redis-cluster 127.0.0.1|--redis-cluster takes HOST:PORT, got 127.0.0.1" \
  "--redis-cluster 127.0.0.1:1 --patroni http://127.0.0.1:8008|give --patroni or --redis-cluster, not both" \
  "--mysql u:secret@db:3306|--mysql takes HOST:PORT, got an address with credentials" \
  "--mysql 127.0.0.1:13306 --mysql-auth-env CLUSTERDASH_NO_SUCH_VARIABLE|the environment variable CLUSTERDASH_NO_SUCH_VARIABLE is not set"; do
  set +e
  # shellcheck disable=SC2086
  out=$(timeout 20 "$BIN" ${args%%|*} --log-file "$WORK/log" </dev/null 2>&1); rc=$?
  set -e
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && echo "$out" | grep -qF -- "${args#*|}" || fail "${args%%|*}: $out"
  ok
done
rm -f "$WORK/config.toml"
set +e
out=$(timeout 20 "$BIN" --config "$WORK/missing.toml" --cluster prod </dev/null 2>&1); rc=$?
set -e
[ "$rc" -ne 0 ] && echo "$out" | grep -qF "no config file at $WORK/missing.toml" || fail "a missing --config: $out"
ok

# A recording cut by a crash: line 3 is not UTF-8, line 5 is half a JSON
# object, the last line is torn in the middle of a character.
ts() { printf '2026-11-23T13:00:0%d.000Z' "$1"; }
frame() { # seq
  printf '{"at":"%s","endpoint":0,"frame":{"v":1,"id":"e%d","source":"node-1","seq":%d,"ts":"%s","type":"node.health_changed","data":{"node":"node-1","from":"healthy","to":"suspect","consecutive_failures":%d,"detail":null}}}\n' \
    "$(ts "$1")" "$1" "$1" "$(ts "$1")" "$1"
}
{
  frame 1; frame 2
  printf '{"at":"\x80\xe2\x82"}\n'
  frame 3
  printf '{"v":1,"id":"half"\n'
  frame 4
  printf '{"at":"2026-11-23T13:00:09.000Z","frame":{"v":1,"source":"n\xc3'
} > "$WORK/torn.jsonl"
out=$("$BIN" replay "$WORK/torn.jsonl" --text --speed 0 2>&1) || fail "replay refused a torn recording: $out"
echo "$out" | grep -qF "events applied 4," || fail "not every valid line played: $out"
echo "$out" | grep -qF "3 bad lines skipped: 3, 5, 7" || fail "bad lines not reported by number: $out"
echo "$out" | grep -qF "torn.jsonl:3: not UTF-8 text" || fail "line 3's reason missing: $out"
ok

# TLS for the servers: a missing file or a key without its certificate is an
# error naming the flag (and the file), never a server on plain ws://. A
# flood length without a flood, or past a year (it would overflow), likewise.
for args in "--tls-cert $WORK/no-cert.pem --tls-key $WORK/no-key.pem|--tls-cert $WORK/no-cert.pem: not a readable PEM certificate" \
  "--tls-key $WORK/no-key.pem|--tls-key needs --tls-cert" \
  "--flood-seconds 5|--flood-seconds needs --flood" "--flood --flood-seconds 1e300|--flood-seconds must be above 0"; do
  set +e
  # shellcheck disable=SC2086
  out=$(timeout 20 "$BIN" sim --listen 127.0.0.1:0 ${args%%|*} 2>&1)
  rc=$?
  set -e
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "sim ${args%%|*}: exit $rc, $out"
  echo "$out" | grep -qF -- "${args#*|}" || fail "wanted \"${args#*|}\", got: $out"
  ok
done

echo "cli e2e: $checks checks passed"
