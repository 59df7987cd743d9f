#!/bin/sh
# Guest half of bench/start-latency (/bench/run): times BENCH_N starts of a `true` container per
# tool after BENCH_WARMUP warm-ups, every tool on the same busybox rootfs, and prints one
# "BENCH tool ..." line per tool (bench-timer's format) or a "BENCH-FAIL tool: why" line.
# The tools take turns run by run (BENCH_ORDER=interleaved, the default) or go one after the other
# (BENCH_ORDER=sequential). BENCH_TOOLS picks some of "floor keel oci crun runc" (default: all);
# oci is keel as an OCI runtime on crun's and runc's bundle.
T=/bench/bench-timer
N=${BENCH_N:-100}
W=${BENCH_WARMUP:-5}
KEEL="/bench/keel/keel run --layers /bench/keel/layers --run-dir /run/keel --cgroup-root /sys/fs/cgroup/keel /bench/keel/config.bin"
OCI="/bench/keel/keel --root /run/keel-oci run"

TOOLS=${BENCH_TOOLS:-floor keel oci crun runc}
want() { case " $TOOLS " in *" $1 "*) return 0 ;; esac; return 1; }

# The list for bench-timer: NAME PROGRAM ARGS... joined by "::".
set --
sep=
# Floor: the namespaces alone and a chroot: no mounts, no cgroup, no privileges dropped.
if want floor; then
	set -- "$@" $sep floor /bin/busybox unshare -f -p -m -u -i -n chroot /bench/rootfs /bin/true
	sep=::
fi
if want keel && [ -x /bench/keel/keel ]; then
	set -- "$@" $sep keel $KEEL t
	sep=::
elif want keel; then
	echo "BENCH-FAIL keel: not in this image (${BENCH_KEEL_WHY:-no reason given})"
fi
# The peers: one bundle (/bench/bundle/config.json), each tool's own state directory on /run.
if want oci && [ -x /bench/keel/keel ]; then
	set -- "$@" $sep oci $OCI --bundle /bench/bundle bench
	sep=::
elif want oci; then
	echo "BENCH-FAIL oci: not in this image (${BENCH_KEEL_WHY:-no reason given})"
fi
if want crun; then
	set -- "$@" $sep crun /usr/bin/crun --root /run/crun run --bundle /bench/bundle bench
	sep=::
fi
if want runc; then
	set -- "$@" $sep runc /usr/sbin/runc --root /run/runc run --bundle /bench/bundle bench
	sep=::
fi
[ $# -gt 0 ] || { echo "BENCH-FAIL start-latency: no tool to run (BENCH_TOOLS='$TOOLS')"; exit 1; }

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
{ want keel || want oci; } && ! [ -x /bench/keel/keel ] && rc=1

# After the timing (so each tool's first start above is its cold one): what isolation each tool
# gave, read from inside by /bin/bench-probe ("host" is the guest itself, for the namespace ids).
probe() {
	name=$1
	shift
	echo "BENCH-PROBE $name $("$@" 2>&1 | tail -1)"
}
probe host /bench/rootfs/bin/bench-probe
# (the floor gets a /proc here only, for the probe to read)
want floor && probe floor /bin/busybox unshare -f -p -m -u -i -n /bin/sh -c \
	'mount -t proc proc /bench/rootfs/proc && exec chroot /bench/rootfs /bin/bench-probe'
want keel && [ -x /bench/keel/keel ] && probe keel $KEEL probe
want oci && [ -x /bench/keel/keel ] && probe oci $OCI --bundle /bench/probe probe
want crun && probe crun /usr/bin/crun --root /run/crun run --bundle /bench/probe probe
want runc && probe runc /usr/sbin/runc --root /run/runc run --bundle /bench/probe probe
exit $rc
