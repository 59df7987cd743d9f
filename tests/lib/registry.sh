# shellcheck shell=bash
# A real OCI registry for tests: Debian's docker-registry (distribution 2.8, unpacked by
# scripts/install-deps.sh into build/deps/docker-registry) started on this host's loopback, stopped
# after. Source it, then:
#   registry_start DIR [--port N] [--tls CERT KEY] [--htpasswd FILE]
#                      [--token REALM SERVICE ISSUER ROOTCERT]
#       storage, config and log under DIR; plain HTTP unless --tls; auth by htpasswd (-B hashes) or
#       by tokens a test's issuer signs (tests/lib/token-issuer.py). Sets REGISTRY_PORT,
#       REGISTRY_ADDR (127.0.0.1:PORT), REGISTRY_LOG. Waits (bounded) until it answers /v2/.
#   registry_stop        stops it (also at exit: registry_start adds it to the EXIT trap's work)
#   registry_bytes_since LINE   response bytes the registry logged for GETs after log line LINE
#   registry_log_lines   the log's current line count (for registry_bytes_since)
# Tests that run QEMU reach it at 10.0.2.2:PORT (QEMU user networking's host address).
_reg_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REGISTRY_BIN=$_reg_top/build/deps/docker-registry/usr/bin/docker-registry
REGISTRY_PID=

registry_start() {
  local dir=$1 port=5000 tls= cert= key= htpasswd= token=() scheme=http
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --port) port=$2; shift 2 ;;
      --tls) cert=$2 key=$3 tls=1 scheme=https; shift 3 ;;
      --htpasswd) htpasswd=$2; shift 2 ;;
      --token) token=("$2" "$3" "$4" "$5"); shift 5 ;;
      *) echo "registry_start: unknown option $1" >&2; return 1 ;;
    esac
  done
  [ -x "$REGISTRY_BIN" ] || "$_reg_top/scripts/install-deps.sh" >&2 || return 1
  mkdir -p "$dir/data"
  {
    printf 'version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n'
    printf 'storage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\n' "$dir"
    printf 'http:\n  addr: 127.0.0.1:%s\n  secret: keel-test\n' "$port"
    [ -n "$tls" ] && printf '  tls:\n    certificate: %s\n    key: %s\n' "$cert" "$key"
    if [ -n "$htpasswd" ]; then
      printf 'auth:\n  htpasswd:\n    realm: keel-test\n    path: %s\n' "$htpasswd"
    elif [ ${#token[@]} -gt 0 ]; then
      printf 'auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n' "${token[@]}"
    fi
  } > "$dir/config.yml"
  REGISTRY_LOG=$dir/registry.log
  : > "$REGISTRY_LOG"
  "$REGISTRY_BIN" serve "$dir/config.yml" >> "$REGISTRY_LOG" 2>&1 &
  REGISTRY_PID=$!
  REGISTRY_PORT=$port
  REGISTRY_ADDR=127.0.0.1:$port
  local i curlopt=(-s -o /dev/null -w '%{http_code}')
  [ -n "$tls" ] && curlopt+=(-k)
  for ((i = 0; i < 100; i++)); do
    case $(curl "${curlopt[@]}" "$scheme://$REGISTRY_ADDR/v2/" 2>/dev/null) in
      200|401) return 0 ;;
    esac
    kill -0 "$REGISTRY_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "registry_start: the registry did not answer on $REGISTRY_ADDR:" >&2
  tail -5 "$REGISTRY_LOG" >&2
  registry_stop
  return 1
}

registry_stop() {
  [ -n "$REGISTRY_PID" ] || return 0
  kill "$REGISTRY_PID" 2>/dev/null
  wait "$REGISTRY_PID" 2>/dev/null
  REGISTRY_PID=
}

registry_log_lines() { wc -l < "$REGISTRY_LOG"; }

# The access log's lines are Apache's combined format: "GET /v2/... HTTP/1.1" STATUS BYTES.
registry_bytes_since() {
  tail -n +"$(( ${1:-0} + 1 ))" "$REGISTRY_LOG" |
    sed -n 's/.*"GET [^"]* HTTP\/1\.[01]" [0-9]* \([0-9]*\) .*/\1/p' | awk '{s += $1} END {print s + 0}'
}
