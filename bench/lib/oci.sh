# OCI bundle config for the peers (crun, runc): `runc spec`'s default, adjusted to the isolation a
# keel service gets by default, with a Docker-like seccomp allowlist. Source after common.sh.
# Uses jq (scripts/install-deps.sh).

# Docker's default capability set: the same 14 keel gives a service by default.
BENCH_OCI_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW",
"CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT",
"CAP_KILL","CAP_AUDIT_WRITE"]'

# Syscalls a default container may not make (EPERM): privileged or kernel-wide operations, the ones
# keel's default profile must refuse (issue 10) plus their relatives and obsolete calls. Everything
# else the x86_64 kernel headers name is allowed: an allowlist of ~300 names, as Docker's is.
BENCH_OCI_DENY="acct add_key afs_syscall bpf clock_adjtime clock_settime create_module
delete_module fanotify_init finit_module fsconfig fsmount fsopen fspick get_kernel_syms
get_mempolicy getpmsg init_module ioperm iopl kcmp kexec_file_load kexec_load keyctl lookup_dcookie
mbind migrate_pages modify_ldt mount mount_setattr move_mount move_pages name_to_handle_at
nfsservctl open_by_handle_at open_tree perf_event_open pivot_root process_vm_readv
process_vm_writev ptrace putpmsg query_module quotactl quotactl_fd reboot request_key security
set_mempolicy set_mempolicy_home_node setns settimeofday swapoff swapon _sysctl sysfs syslog
tuxcall umount2 unshare uselib userfaultfd ustat vhangup vserver"

# bench_oci_seccomp [UNISTD_H]: the seccomp section (JSON) from the kernel headers' syscall list:
# default EPERM; allow all but BENCH_OCI_DENY; clone only without namespace flags (as Docker's
# profile without CAP_SYS_ADMIN); clone3 ENOSYS so a libc falls back to clone, whose flags the
# filter can see.
bench_oci_seccomp() {
	local hdr=${1:-/usr/include/x86_64-linux-gnu/asm/unistd_64.h} deny
	[ -f "$hdr" ] || bench_die "$hdr: missing (linux-libc-dev)"
	deny=$(echo $BENCH_OCI_DENY clone clone3 | tr ' ' '\n')
	# CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
	local nsmask=$((0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000))
	sed -n 's/^#define __NR_\([a-z0-9_]*\)[ \t].*/\1/p' "$hdr" | LC_ALL=C sort -u |
		grep -vxF -f <(echo "$deny") |
		jq -R . | jq -s --argjson mask "$nsmask" '{
			defaultAction: "SCMP_ACT_ERRNO",
			defaultErrnoRet: 1,
			architectures: ["SCMP_ARCH_X86_64"],
			syscalls: [
				{ names: ., action: "SCMP_ACT_ALLOW" },
				{ names: ["clone"], action: "SCMP_ACT_ALLOW",
				  args: [{ index: 0, value: $mask, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }] },
				{ names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }
			]
		}'
}

# bench_oci_config RUNC ROOTFS ARG...: print config.json for a bundle whose root is ROOTFS (an
# absolute path inside the guest) running ARG...: `runc spec` with pid, mount, uts, ipc, network
# and cgroup namespaces; Docker's 14 capabilities (no ambient); read-only root; runc's default
# masked and read-only paths, mounts and device rules (deny all: a cgroup device program); no
# terminal; the seccomp allowlist above.
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
		| .linux.seccomp = $seccomp
		' "$@" <"$tmp/config.json" || bench_die "jq on runc spec output failed"
	rm -rf "$tmp"
}
