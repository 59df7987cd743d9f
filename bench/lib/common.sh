# shellcheck shell=bash
# Host-side helpers for bench/* scripts: fetch the guest kernel and peer packages, assemble a bench
# guest initramfs (busybox, the timer, ELF files with their libraries, kernel modules), boot it under
# QEMU and collect the "BENCH ..." lines the guest prints on its serial console.
# Source it from a bench script after setting BENCH_NAME; every function dies with one line on error.

BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_LIB=$BENCH_TOP/bench/lib
BENCH_GUEST=$BENCH_TOP/bench/guest
BENCH_OUT=$BENCH_TOP/build/bench
BENCH_BOARD=${BENCH_BOARD:-qemu-x86_64}
BUSYBOX=${BUSYBOX:-/bin/busybox}

bench_die() { echo "${BENCH_NAME:-bench}: $*" >&2; exit 1; }
bench_log() { echo "${BENCH_NAME:-bench}: $*" >&2; }

# bench_kernel: fetch (or reuse) the board's kernel through the board's own script; sets
# BENCH_VMLINUZ and BENCH_MODDIR (.../lib/modules/<version>).
bench_kernel() {
	local tree
	tree=$("$BENCH_TOP/board/$BENCH_BOARD/fetch-kernel") || bench_die "board/$BENCH_BOARD/fetch-kernel failed"
	BENCH_VMLINUZ=$(first_match "$tree"/boot/vmlinuz-*)
	BENCH_MODDIR=$(first_match "$tree"/lib/modules/*)
	[ -f "$BENCH_VMLINUZ" ] || bench_die "$tree: no boot/vmlinuz-*"
	[ -d "$BENCH_MODDIR" ] || bench_die "$tree: no lib/modules/<version>"
}

# first_match GLOB...: the first existing path a glob names, or nothing. (A `$(ls GLOB | head -1)`
# fails under pipefail when nothing matches, and set -e then ends a bench with no message.)
first_match() { local f; for f in "$@"; do [ -e "$f" ] && { echo "$f"; return 0; }; done; return 0; }

# bench_debs DIR PKG...: download Debian packages with apt-get (cached in DIR/debs) and unpack them
# all into DIR/root, without installing anything on the host. Prints DIR/root.
bench_debs() {
	local dir=$1 p deb
	shift
	mkdir -p "$dir/debs"
	for p in "$@"; do
		deb=$(first_match "$dir/debs/${p}"_*.deb)
		if [ -z "$deb" ]; then
			bench_log "apt-get download $p"
			# _apt cannot write into build/: let apt fall back to root quietly.
			(cd "$dir/debs" && apt-get download -q "$p" 2>&1 | grep -v 'unsandboxed' >&2) || true
			deb=$(first_match "$dir/debs/${p}"_*.deb)
			[ -n "$deb" ] || bench_die "apt-get download $p failed (apt-get update?)"
		fi
		if [ ! -e "$dir/root/.$p.unpacked" ] || [ "$deb" -nt "$dir/root/.$p.unpacked" ]; then
			mkdir -p "$dir/root"
			dpkg-deb -x "$deb" "$dir/root" || bench_die "dpkg-deb -x $deb failed"
			touch "$dir/root/.$p.unpacked"
		fi
	done
	echo "$dir/root"
}

# bench_tools: build the static timer the guest uses to time N starts (bench/lib/timer.c) into
# $BENCH_OUT/bench-timer, the static stamp printer (bench/lib/stamp.c, for bench/boot) into
# $BENCH_OUT/bench-stamp, and the host's TSC meter (bench/lib/tsc-khz.c, for bench_boot).
bench_tools() {
	local warn="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes"
	mkdir -p "$BENCH_OUT"
	if [ ! -x "$BENCH_OUT/bench-timer" ] || [ "$BENCH_LIB/timer.c" -nt "$BENCH_OUT/bench-timer" ]; then
		musl-gcc -std=gnu11 -O2 -static -s $warn -o "$BENCH_OUT/bench-timer" "$BENCH_LIB/timer.c" ||
			bench_die "cannot build $BENCH_OUT/bench-timer"
	fi
	if [ ! -x "$BENCH_OUT/bench-stamp" ] || [ "$BENCH_LIB/stamp.c" -nt "$BENCH_OUT/bench-stamp" ]; then
		musl-gcc -std=gnu11 -O2 -static -s $warn -o "$BENCH_OUT/bench-stamp" "$BENCH_LIB/stamp.c" ||
			bench_die "cannot build $BENCH_OUT/bench-stamp"
	fi
	if [ ! -x "$BENCH_OUT/tsc-khz" ] || [ "$BENCH_LIB/tsc-khz.c" -nt "$BENCH_OUT/tsc-khz" ]; then
		gcc -std=gnu11 -O2 $warn -o "$BENCH_OUT/tsc-khz" "$BENCH_LIB/tsc-khz.c" ||
			bench_die "cannot build $BENCH_OUT/tsc-khz"
	fi
}

# bench_busybox_rootfs DIR: a minimal busybox root (static busybox, one symlink per applet, the
# directories a container runtime mounts over). The same tree every tool in a bench starts.
bench_busybox_rootfs() {
	local dir=$1 a
	rm -rf "$dir"
	mkdir -p "$dir"/{bin,dev,proc,sys,tmp,run,etc,root}
	cp "$BUSYBOX" "$dir/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[ "$a" = busybox ] || ln -s busybox "$dir/bin/$a"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$dir/etc/passwd"
	echo "root:x:0:" >"$dir/etc/group"
	: >"$dir/etc/hosts"
	: >"$dir/etc/resolv.conf"
	chmod 1777 "$dir/tmp"
}

# bench_stage_base STAGE GUEST_SCRIPT: start a guest tree: busybox as /bin, the generic /init
# (bench/guest/init), GUEST_SCRIPT as /bench/run, the timer as /bench/bench-timer, /dev/console.
bench_stage_base() {
	local stage=$1 script=$2 a
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,dev,proc,sys,run,tmp,etc,bench}
	cp "$BUSYBOX" "$stage/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[ "$a" = busybox ] || ln -s busybox "$stage/bin/$a"
	done
	# The kernel opens /dev/console for /init before anything is mounted.
	mknod -m 600 "$stage/dev/console" c 5 1 || bench_die "mknod $stage/dev/console failed"
	install -m 755 "$BENCH_GUEST/init" "$stage/init"
	install -m 755 "$script" "$stage/bench/run"
	install -m 755 "$BENCH_OUT/bench-timer" "$stage/bench/bench-timer"
	: >"$stage/bench/modules"
	: >"$stage/bench/env"
}

# bench_stage_env STAGE NAME=VALUE...: variables the guest's /init exports before /bench/run.
bench_stage_env() {
	local stage=$1 kv
	shift
	for kv in "$@"; do
		printf 'export %s\n' "$kv" >>"$stage/bench/env"
	done
}

# bench_stage_elf STAGE SRC DEST [LIBDIR...]: copy the ELF program SRC to DEST inside the guest,
# with every shared library ldd resolves (searching LIBDIRs first, e.g. an unpacked .deb) and the
# dynamic loader, at the paths the loader searches by default.
bench_stage_elf() {
	local stage=$1 src=$2 dest=$3 libpath out name path
	shift 3
	libpath=$(IFS=:; echo "$*")
	mkdir -p "$stage/$(dirname "$dest")"
	cp -L "$src" "$stage/$dest" || bench_die "cp $src failed"
	out=$(LD_LIBRARY_PATH=$libpath ldd "$src" 2>&1) || {
		# A static program needs nothing else.
		case $out in *"not a dynamic executable"*) return 0 ;; esac
		bench_die "ldd $src: $out"
	}
	case $out in *"not found"*) bench_die "ldd $src: missing libraries: $(echo "$out" | grep 'not found' | tr '\n' ' ')" ;; esac
	while read -r name _ path _; do
		case $name in
		linux-vdso.so.*) ;;
		/*) mkdir -p "$stage/$(dirname "$name")"; cp -L "$name" "$stage/$name" ;;
		*) cp -L "$path" "$stage/lib/x86_64-linux-gnu/$name" 2>/dev/null ||
			{ mkdir -p "$stage/lib/x86_64-linux-gnu" && cp -L "$path" "$stage/lib/x86_64-linux-gnu/$name"; } ||
			bench_die "cp $path failed" ;;
		esac
	done <<<"$out"
}

# bench_stage_modules STAGE MODULE...: copy kernel modules and what they depend on (modinfo) into
# the guest; /init loads them in dependency order with insmod.
bench_stage_modules() {
	local stage=$1 m
	shift
	mkdir -p "$stage/lib/modules"
	for m in "$@"; do
		_bench_module "$stage" "$m"
	done
}
_bench_module() {
	local stage=$1 m=$2 f d
	grep -qx "$m" "$stage/bench/modules" && return 0
	f=$(find "$BENCH_MODDIR" -name "$m.ko" -o -name "$m.ko.xz" | head -1)
	[ -n "$f" ] || bench_die "$BENCH_MODDIR: no module $m"
	for d in $(modinfo -F depends "$f" | tr ',' ' '); do
		_bench_module "$stage" "$d"
	done
	case $f in
	*.xz) xz -dc "$f" >"$stage/lib/modules/$m.ko" ;;
	*) cp "$f" "$stage/lib/modules/$m.ko" ;;
	esac
	echo "$m" >>"$stage/bench/modules"
}

# bench_cpio STAGE OUT: an uncompressed newc initramfs (no decompression under TCG at boot).
bench_cpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >"$2" ||
		bench_die "cpio of $1 failed"
}

# bench_boot INITRD LOG: boot the bench guest (microvm, 1 vCPU, 512 MB, TCG); its console goes to
# LOG.raw as it comes (watch it with tail -f) and to LOG without \r at the end. Bounded by
# BENCH_TIMEOUT seconds. BENCH_CLOCK picks what the guest's clock counts:
#   wall    real time (default). tsc=reliable keeps the clock off 4 ms jiffies; tsc_early_khz (the
#           host's TSC, which is the TCG guest's) spares the guest calibrating against the PIT,
#           which fails on a busy host and then hangs the boot (bench/lib/tsc-khz.c).
#   icount  guest instructions, 1 ns each (-icount shift=0, sleep=off: an idle guest jumps to its
#           next timer): the host's load does not show; the TSC then runs at exactly 1 GHz.
bench_boot() {
	local initrd=$1 log=$2 st khz icount=
	case ${BENCH_CLOCK:-wall} in
	wall) khz=$("$BENCH_OUT/tsc-khz") || bench_die "cannot measure the host's TSC frequency" ;;
	icount) khz=1000000 icount="-icount shift=0,sleep=off" ;;
	*) bench_die "BENCH_CLOCK: expected wall or icount, got '$BENCH_CLOCK'" ;;
	esac
	st=0
	timeout "${BENCH_TIMEOUT:-900}" qemu-system-x86_64 -M microvm -m 512 -smp 1 -no-reboot $icount \
		-display none -monitor none -serial "file:$log.raw" \
		-kernel "$BENCH_VMLINUZ" -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1 tsc=reliable tsc_early_khz=$khz" </dev/null || st=$?
	tr -d '\r' <"$log.raw" >"$log"
	[ "$st" -eq 124 ] && bench_log "QEMU timed out after ${BENCH_TIMEOUT:-900}s (console: $log)"
	return "$st"
}

# bench_field LOG NAME KEY: the value of KEY=... on the guest's "BENCH NAME ..." line, or empty.
bench_field() {
	sed -n "s/^BENCH $2 .*[ ]$3=\([^ ]*\).*/\1/p" "$1" | tail -1
}

# bench_ratio A B: A/B with two decimals, or NA when either is missing.
bench_ratio() {
	if [ -n "$1" ] && [ -n "$2" ]; then
		awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "NA" }'
	else
		printf NA
	fi
}
