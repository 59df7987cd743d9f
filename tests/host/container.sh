# Shared set-up for the container host tests (tests/host/3x-*.test, 4x-*.test); source it after
# tests/lib/check.sh. It re-runs the test in a private mount namespace, builds a busybox rootfs
# with the syscall probe, packs it into a real layer with keel-pack, and gives:
#   $T           scratch dir (removed on exit)       $KEEL, $KEELC, $PACK   the programs
#   $CG          cgroup root for this test (removed)  $RUN  keel's run dir
#   $CG_V2       the cgroup v2 mount it is made in
#   layer_digest NAME       sha256:<hex> of a packed layer
#   pack NAME DIR           pack another layer into the test's store
#   compile NAME            text config on stdin -> $T/NAME.bin
#   krun CONFIG SERVICE     keel run with the test's dirs; stdout in $T/out, stderr in $T/err, status in $rc
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KEEL=${KEEL_BIN:-$top/build/x86_64/keel}   # KEEL_BIN=build/host/keel-asan runs them under ASan
KEELC=$top/build/host/keelc
. "$top/tests/lib/escape.sh"
PACK=$top/build/host/keel-pack

[ "$(id -u)" = 0 ] || { echo "FAIL $(basename "$0"): needs root"; exit 1; }
# Everything this test mounts (layers, roots) lives and dies with its own mount namespace.
if [ -z "${KEEL_TEST_NS:-}" ]; then
	KEEL_TEST_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

T=$(mktemp -d /tmp/keel-ct.XXXXXX)
RUN=$T/run
# cgroup v2 is at /sys/fs/cgroup/unified on a hybrid host (the build host), at /sys/fs/cgroup on a pure one.
CG_V2=$(cgroup2_mount)
[ -n "$CG_V2" ] || { echo "FAIL $(basename "$0"): no cgroup2 mount in /proc/self/mountinfo"; exit 1; }
CG=$CG_V2/keel-test-$(basename "$0" .test)-$$
ct_cleanup() {
	for d in "$CG"/*/; do [ -d "$d" ] && { echo 1 > "$d/cgroup.kill"; rmdir "$d"; }; done 2>/dev/null
	rmdir "$CG" 2>/dev/null
	mounts_under "$T" | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf --one-file-system "$T"
}
trap ct_cleanup EXIT
# Mount points at or below $1 in this namespace.
mounts_under() { awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo; }

# A busybox rootfs with the directories the container mounts on and the probe programs.
make_rootfs() {
	local r=$1
	mkdir -p "$r"/bin "$r"/proc "$r"/sys "$r"/dev "$r"/tmp "$r"/etc "$r"/vol "$r"/data "$r"/run
	cp /bin/busybox "$r"/bin/busybox
	for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
	musl-gcc -static -Os -o "$r"/bin/syscall-probe "$top"/tests/host/syscall-probe.c
	escape_build_probe x86_64 "$r"/bin/escape-probe || return 1
	# A root-only file: what a non-root service must not read (tests/lib/escape-probe.c).
	echo secret > "$r"/etc/keel-probe-secret && chmod 0600 "$r"/etc/keel-probe-secret
	echo "root:x:0:0:root:/:/bin/sh" > "$r"/etc/passwd
	echo "root:x:0:" > "$r"/etc/group
}

pack() { "$PACK" -o "$T/store" "$1=$2" > "$T/pack.out" 2>&1 || { cat "$T/pack.out"; return 1; }; }
layer_digest() { awk -v n="$1" '$1 == n { print $2 }' "$T/store/layers/index"; }
compile() { "$KEELC" /dev/stdin -o "$T/$1.bin" 2> "$T/keelc.err" || { cat "$T/keelc.err"; return 1; }; }
krun() {
	rc=0
	"$KEEL" run --layers "$T/store/layers" --run-dir "$RUN" --cgroup-root "$CG" "$@" \
		> "$T/out" 2> "$T/err" < /dev/null || rc=$?
}
# The value of a /proc/self/status field in the service's output ("CapEff:\t0000..." lines).
field() { awk -v k="$1:" '$1 == k { print $2 }' "$T/out"; }

make_rootfs "$T/rootfs" || { echo "FAIL $(basename "$0"): building the rootfs"; exit 1; }
pack base "$T/rootfs" || { echo "FAIL $(basename "$0"): keel-pack"; exit 1; }
BASE=$(layer_digest base)
