# A few NATS requests from bash for the end-to-end scripts (sourced, not
# run): the client protocol spoken over bash's /dev/tcp, so that a script
# can create a stream or put a KV value with no NATS client installed.

# nats_request PORT USER PASSWORD SUBJECT BODY: sends BODY (ASCII) to
# SUBJECT with a reply inbox and prints the one reply (a JetStream API
# answer or a publish's acknowledgement); fails when none comes in 5 s.
nats_request() {
  local port=$1 user=$2 password=$3 subject=$4 body=$5 line payload
  exec 7<>"/dev/tcp/127.0.0.1/$port" || return 1
  read -r -t 5 -u 7 line || { exec 7>&-; return 1; }
  printf 'CONNECT {"user":"%s","pass":"%s","verbose":false,"pedantic":false,"headers":true}\r\nSUB _E2E.reply 1\r\nPUB %s _E2E.reply %d\r\n%s\r\n' \
    "$user" "$password" "$subject" "${#body}" "$body" >&7
  while read -r -t 5 -u 7 line; do
    line=${line%$'\r'}
    case $line in
      MSG*) read -r -t 5 -u 7 payload; exec 7>&-; printf '%s\n' "${payload%$'\r'}"; return 0 ;;
      PING) printf 'PONG\r\n' >&7 ;;
      -ERR*) exec 7>&-; echo "nats: $line" >&2; return 1 ;;
    esac
  done
  exec 7>&-
  echo "nats: no reply to $subject" >&2
  return 1
}
