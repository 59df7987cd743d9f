#!/bin/sh
# Guest half of bench/start-latency (/bench/run): times BENCH_N sequential `true` containers per
# tool after BENCH_WARMUP warm-ups, each tool on the same busybox rootfs, and prints one
# "BENCH tool ..." line per tool (bench-timer's format) or a "BENCH-FAIL tool: why" line.
T=/bench/bench-timer
N=${BENCH_N:-100}
W=${BENCH_WARMUP:-5}
rc=0

# Floor: the namespaces alone, a chroot, no mounts, no cgroup, no privileges dropped.
$T floor "$N" "$W" /bin/busybox unshare -f -p -m -u -i -n chroot /bench/rootfs /bin/true || rc=1

if [ -x /bench/keel/keel ]; then
	mkdir -p /sys/fs/cgroup/keel
	$T keel "$N" "$W" /bench/keel/keel run --layers /bench/keel/layers --run-dir /run/keel \
		--cgroup-root /sys/fs/cgroup/keel /bench/keel/config.bin t || rc=1
else
	echo "BENCH-FAIL keel: not in this image (${BENCH_KEEL_WHY:-no reason given})"
	rc=1
fi

# The peers: one bundle (/bench/bundle/config.json), each tool's own state directory on /run.
$T crun "$N" "$W" /usr/bin/crun --root /run/crun run --bundle /bench/bundle bench || rc=1
$T runc "$N" "$W" /usr/sbin/runc --root /run/runc run --bundle /bench/bundle bench || rc=1

# After the timing (so each tool's first start above is its cold one): what isolation each tool
# gave, read from inside by /bin/bench-probe ("host" is the guest itself, for the namespace ids).
probe() {
	name=$1
	shift
	echo "BENCH-PROBE $name $("$@" 2>&1 | tail -1)"
}
probe host /bench/rootfs/bin/bench-probe
# (the floor gets a /proc here only, for the probe to read)
probe floor /bin/busybox unshare -f -p -m -u -i -n /bin/sh -c \
	'mount -t proc proc /bench/rootfs/proc && exec chroot /bench/rootfs /bin/bench-probe'
[ -x /bench/keel/keel ] && probe keel /bench/keel/keel run --layers /bench/keel/layers \
	--run-dir /run/keel --cgroup-root /sys/fs/cgroup/keel /bench/keel/config.bin probe
probe crun /usr/bin/crun --root /run/crun run --bundle /bench/probe probe
probe runc /usr/sbin/runc --root /run/runc run --bundle /bench/probe probe
exit $rc
