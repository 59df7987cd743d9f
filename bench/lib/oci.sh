# shellcheck shell=bash
# OCI bundle config for the peers (crun, runc): `runc spec`'s default, adjusted to the isolation a
# keel service gets by default, with keel's own seccomp allowlist. Source after common.sh.
# Uses jq (scripts/install-deps.sh) and gcc's preprocessor.

# podman's default capability set: the same 11 keel gives a service by default (format 1.1).
BENCH_OCI_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL",
"CAP_NET_BIND_SERVICE","CAP_SETFCAP","CAP_SETGID","CAP_SETPCAP","CAP_SETUID","CAP_SYS_CHROOT"]'

# bench_oci_seccomp [PROFILE.def [UNISTD_H]]: the seccomp section (JSON) with keel's own default
# profile (runtime/seccomp_profile.def, read through the C preprocessor as keel's generator reads
# it), so the peers filter exactly what keel filters: default EPERM; allow every ALLOW() name the
# x86_64 kernel headers know; personality only with the PERSONALITY() values; clone and unshare only
# without CLONE_NEWUSER; clone3 ENOSYS (a libc falls back to clone, whose flags a filter can see).
# Not expressible in OCI: keel's ENOSYS for numbers above the profile's newest (none on 6.1 x86_64).
bench_oci_seccomp() {
	local def=${1:-$BENCH_TOP/runtime/seccomp_profile.def} hdr=${2:-/usr/include/x86_64-linux-gnu/asm/unistd_64.h}
	local list
	[ -f "$def" ] || bench_die "$def: missing (keel's default seccomp profile)"
	[ -f "$hdr" ] || bench_die "$hdr: missing (linux-libc-dev)"
	list=$(printf '#define ALLOW(n) @allow n\n#define PERSONALITY(v) @personality v\n#define PROFILE_MAX_NR(n)\n#include "%s"\n' "$def" |
		gcc -E -P -x c - | tr -s ' \t' '\n\n' | grep -v '^$' | paste -d' ' - -) ||
		bench_die "$def: cannot read it with the C preprocessor"
	local names personalities
	names=$(echo "$list" | sed -n 's/^@allow //p' | LC_ALL=C sort -u |
		LC_ALL=C comm -12 - <(sed -n 's/^#define __NR_\([a-z0-9_]*\)[ \t].*/\1/p' "$hdr" | LC_ALL=C sort -u))
	personalities=$(echo "$list" | sed -n 's/^@personality //p')
	[ "$(echo "$names" | wc -l)" -ge 200 ] || bench_die "$def: fewer than 200 ALLOW() names known on x86_64: format changed?"
	local newuser=$((0x10000000)) p pjson=
	for p in $personalities; do
		pjson="$pjson${pjson:+,}$((p))"
	done
	echo "$names" | jq -R . | jq -s --argjson newuser "$newuser" --argjson pers "[$pjson]" '{
		defaultAction: "SCMP_ACT_ERRNO",
		defaultErrnoRet: 1,
		architectures: ["SCMP_ARCH_X86_64"],
		syscalls: ([
			{ names: ., action: "SCMP_ACT_ALLOW" },
			{ names: ["clone", "unshare"], action: "SCMP_ACT_ALLOW",
			  args: [{ index: 0, value: $newuser, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }] },
			{ names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }
		] + [ $pers[] | { names: ["personality"], action: "SCMP_ACT_ALLOW",
			  args: [{ index: 0, value: ., op: "SCMP_CMP_EQ" }] } ])
	}'
}

# bench_oci_config RUNC ROOTFS ARG...: print config.json for a bundle whose root is ROOTFS (an
# absolute path inside the guest) running ARG...: `runc spec` with pid, mount, uts, ipc, network
# and cgroup namespaces; Docker's 14 capabilities (no ambient); read-only root; runc's default
# masked and read-only paths and device rules (deny all: a cgroup device program); runc's default
# mounts but /dev/mqueue and /sys/fs/cgroup, which a keel service does not get (so both mount the
# same 16); no terminal; keel's seccomp profile (above).
bench_oci_config() {
	local runc=$1 rootfs=$2 tmp seccomp
	shift 2
	tmp=$(mktemp -d)
	(cd "$tmp" && "$runc" spec) || bench_die "$runc spec failed"
	seccomp=$(bench_oci_seccomp) || exit 1
	jq --arg root "$rootfs" --argjson caps "$BENCH_OCI_CAPS" --argjson seccomp "$seccomp" \
		--args '
		.process.terminal = false
		| .process.args = $ARGS.positional
		| .process.env = ["PATH=/bin"]
		| .process.capabilities = { bounding: $caps, effective: $caps, permitted: $caps }
		| .root = { path: $root, readonly: true }
		| .hostname = "t"
		| .linux.namespaces |= (. + [{ type: "cgroup" }] | unique_by(.type))
		| .mounts |= map(select(.destination != "/dev/mqueue" and .destination != "/sys/fs/cgroup"))
		| .linux.seccomp = $seccomp
		' "$@" <"$tmp/config.json" || bench_die "jq on runc spec output failed"
	rm -rf "$tmp"
}
