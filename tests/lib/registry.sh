# A real registry for the tests: Debian's docker-registry (distribution 2.8), unpacked from its .deb
# into build/registry (never installed: the package would start a system service on :5000 where
# systemd runs), started on 127.0.0.1 with a temporary config and stopped after. Source it after
# tests/lib/check.sh.
#   addr=$(registry_start DIR [OPTIONS])   start one, storage, config and registry.log under DIR;
#                                prints HOST:PORT. Plain HTTP and no auth unless:
#       --port N                 this port (default: a free one)
#       --tls CERT KEY           https with this certificate
#       --htpasswd FILE          basic auth against FILE (htpasswd -B hashes)
#       --token REALM SERVICE ISSUER ROOTCERT   Bearer tokens a test's issuer signs
#                                (tests/lib/token-issuer.py), trusted through ROOTCERT
#     Called outside $(...), it also sets REGISTRY_ADDR and REGISTRY_LOG.
#   registry_stop                stop it and wait until it is gone (safe to call twice: put it in
#                                the test's EXIT trap)
#   registry_log_lines           lines in $REGISTRY_LOG now (a mark for registry_bytes_since)
#   registry_bytes_since MARK    response body bytes of the GETs logged after line MARK (the access
#                                log is Apache's combined format)
_reg_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$_reg_top/bench/lib/common.sh" # bench_debs: apt-get download + dpkg-deb -x, cached
_reg_pidfile=/tmp/keel-registry-$$.pid  # $$ is the test's pid also inside $(registry_start ...)

registry_start() {
	local dir=$1 root bin port= i tls= cert= key= htpasswd= scheme=http code
	local -a token=()
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
	root=$(BENCH_NAME=registry bench_debs "$_reg_top/build/registry" docker-registry) || return 1
	bin=$root/usr/bin/docker-registry
	[ -x "$bin" ] || { echo "registry: no $bin in the docker-registry package" >&2; return 1; }
	mkdir -p "$dir/storage"
	# A free port: the registry cannot be asked for port 0 and tell which it got.
	i=0
	while [ -z "$port" ] && [ $i -lt 10 ]; do
		port=$((20000 + RANDOM % 20000))
		[ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] || port=
		i=$((i + 1))
	done
	{
		printf 'version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: false\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s/storage\n  delete:\n    enabled: true\n' "$dir"
		printf 'http:\n  addr: 127.0.0.1:%s\n  secret: keel-test\n' "$port"
		[ -n "$tls" ] && printf '  tls:\n    certificate: %s\n    key: %s\n' "$cert" "$key"
		if [ -n "$htpasswd" ]; then
			printf 'auth:\n  htpasswd:\n    realm: keel-test\n    path: %s\n' "$htpasswd"
		elif [ ${#token[@]} -gt 0 ]; then
			printf 'auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n' "${token[@]}"
		fi
	} > "$dir/config.yml"
	REGISTRY_LOG=$dir/registry.log
	REGISTRY_ADDR=127.0.0.1:$port
	# (no fd of the caller's but stdio: a test's lock on fd 9 must not outlive the test in it)
	"$bin" serve "$dir/config.yml" > "$REGISTRY_LOG" 2>&1 3>&- 9>&- < /dev/null &
	echo $! > "$_reg_pidfile"
	for ((i = 0; i < 100; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' ${tls:+-k} "$scheme://$REGISTRY_ADDR/v2/" 2>/dev/null)
		case $code in 200 | 401) echo "$REGISTRY_ADDR"; return 0 ;; esac
		sleep 0.1
	done
	echo "registry: not answering on $REGISTRY_ADDR: $(tail -1 "$REGISTRY_LOG")" >&2
	registry_stop
	return 1
}

registry_stop() {
	local pid
	[ -f "$_reg_pidfile" ] || return 0
	pid=$(cat "$_reg_pidfile")
	rm -f "$_reg_pidfile"
	kill "$pid" 2>/dev/null || return 0
	wait_for 50 0.1 eval "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null
}

registry_log_lines() { wc -l < "$REGISTRY_LOG"; }

registry_bytes_since() {
	tail -n +"$((${1:-0} + 1))" "$REGISTRY_LOG" |
		sed -n 's/.*"GET [^"]* HTTP\/1\.[01]" [0-9]* \([0-9]*\) .*/\1/p' | awk '{s += $1} END {print s + 0}'
}
