#!/bin/sh
# Guest half of bench/start-latency (/bench/run): times BENCH_N starts of a `true` container per
# tool after BENCH_WARMUP warm-ups, every tool on the same busybox rootfs, and prints one
# "BENCH tool ..." line per tool (bench-timer's format) or a "BENCH-FAIL tool: why" line.
# The tools take turns run by run (BENCH_ORDER=interleaved, the default) or go one after the other
# (BENCH_ORDER=sequential).
T=/bench/bench-timer
N=${BENCH_N:-100}
W=${BENCH_WARMUP:-5}
KEEL="/bench/keel/keel run --layers /bench/keel/layers --run-dir /run/keel --cgroup-root /sys/fs/cgroup/keel /bench/keel/config.bin"

# Floor: the namespaces alone and a chroot: no mounts, no cgroup, no privileges dropped.
set -- floor /bin/busybox unshare -f -p -m -u -i -n chroot /bench/rootfs /bin/true
if [ -x /bench/keel/keel ]; then
	set -- "$@" :: keel $KEEL t
else
	echo "BENCH-FAIL keel: not in this image (${BENCH_KEEL_WHY:-no reason given})"
fi
# The peers: one bundle (/bench/bundle/config.json), each tool's own state directory on /run.
set -- "$@" :: crun /usr/bin/crun --root /run/crun run --bundle /bench/bundle bench
set -- "$@" :: runc /usr/sbin/runc --root /run/runc run --bundle /bench/bundle bench

rc=0
if [ "${BENCH_ORDER:-interleaved}" = sequential ]; then
	# One bench-timer per tool: split the list at each "::".
	tool=
	for a in "$@" ::; do
		if [ "$a" = :: ]; then
			eval "$T $N $W $tool" || rc=1
			tool=
		else
			tool="$tool $a"
		fi
	done
else
	$T "$N" "$W" "$@" || rc=1
fi
[ -x /bench/keel/keel ] || rc=1

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
[ -x /bench/keel/keel ] && probe keel $KEEL probe
probe crun /usr/bin/crun --root /run/crun run --bundle /bench/probe probe
probe runc /usr/sbin/runc --root /run/runc run --bundle /bench/probe probe
exit $rc
