# A real registry for the tests: Debian's docker-registry (distribution 2.8), unpacked from its .deb
# into build/registry (never installed: the package would start a system service on :5000 where
# systemd runs), started on 127.0.0.1 with a temporary config and stopped after. Source it after
# tests/lib/check.sh.
#   addr=$(registry_start DIR)   start one, storage and config under DIR; prints HOST:PORT (plain HTTP)
#   registry_stop                stop it and wait until it is gone (safe to call twice: put it in
#                                the test's EXIT trap)
_reg_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$_reg_top/bench/lib/common.sh" # bench_debs: apt-get download + dpkg-deb -x, cached
_reg_pidfile=/tmp/keel-registry-$$.pid  # $$ is the test's pid also inside $(registry_start ...)

registry_start() {
	local dir=$1 root bin port i
	root=$(BENCH_NAME=registry bench_debs "$_reg_top/build/registry" docker-registry) || return 1
	bin=$root/usr/bin/docker-registry
	[ -x "$bin" ] || { echo "registry: no $bin in the docker-registry package" >&2; return 1; }
	mkdir -p "$dir/storage"
	# A free port: the registry cannot be asked for port 0 and tell which it got.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 20000))
		[ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] && break
	done
	cat > "$dir/config.yml" <<CFG
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
http:
  addr: 127.0.0.1:$port
CFG
	"$bin" serve "$dir/config.yml" > "$dir/registry.log" 2>&1 < /dev/null &
	echo $! > "$_reg_pidfile"
	if ! wait_for 100 0.1 curl -sf -o /dev/null "http://127.0.0.1:$port/v2/"; then
		echo "registry: not answering on 127.0.0.1:$port: $(tail -1 "$dir/registry.log")" >&2
		registry_stop
		return 1
	fi
	echo "127.0.0.1:$port"
}

registry_stop() {
	local pid
	[ -f "$_reg_pidfile" ] || return 0
	pid=$(cat "$_reg_pidfile")
	rm -f "$_reg_pidfile"
	kill "$pid" 2>/dev/null || return 0
	wait_for 50 0.1 eval "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null
}
