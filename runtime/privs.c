/* Identity and privilege of the service: rlimits, groups, gid, uid and the capability sets.
 *
 * Capabilities end as one set C = Docker's default + caps_add - caps_drop, in every set that
 * survives execve:
 * - bounding = C (the rest dropped with PR_CAPBSET_DROP; nothing outside C can ever come back);
 * - permitted = effective = inheritable = C (capset after the uid change; PR_SET_KEEPCAPS keeps
 *   permitted across setuid, the kernel clears effective, capset sets it again);
 * - ambient = C for a non-root uid: execve of an ordinary file gives a non-root process
 *   P' = ambient (file caps aside), so without ambient a `user = 1000` service would exec with
 *   no capabilities at all, whatever the config says. uid 0 needs no ambient: execve gives root
 *   P' = inheritable | bounding = C. Ambient caps survive no_new_privs (they are not a gain).
 * The reaper (PID 1 inside) runs with the same identity and sets as the service. A cap keel itself
 * does not hold (not in this kernel, or dropped from our bounding set before we ran) is left out
 * of every set: capset could not grant it. */
#include "container.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CAPBIT(c) (1ULL << (c))

/* Docker's default capability set. */
static const uint64_t caps_default =
	CAPBIT(CAP_CHOWN) | CAPBIT(CAP_DAC_OVERRIDE) | CAPBIT(CAP_FSETID) | CAPBIT(CAP_FOWNER) |
	CAPBIT(CAP_MKNOD) | CAPBIT(CAP_NET_RAW) | CAPBIT(CAP_SETGID) | CAPBIT(CAP_SETUID) |
	CAPBIT(CAP_SETFCAP) | CAPBIT(CAP_SETPCAP) | CAPBIT(CAP_NET_BIND_SERVICE) |
	CAPBIT(CAP_SYS_CHROOT) | CAPBIT(CAP_KILL) | CAPBIT(CAP_AUDIT_WRITE);

uint64_t privs_caps(const struct cfg_service *svc)
{
	return (caps_default | svc->caps_add) & ~svc->caps_drop;
}

int privs_rlimits(const struct cfg *c, const struct cfg_service *svc, struct err *e)
{
	for (uint32_t i = 0; i < svc->rlimits.count; i++) {
		const struct cfg_rlimit *r = cfg_rlimit(c, svc->rlimits, i);
		struct rlimit rl = {
			.rlim_cur = r->soft == CFG_U64_MAX ? RLIM_INFINITY : r->soft,
			.rlim_max = r->hard == CFG_U64_MAX ? RLIM_INFINITY : r->hard,
		};
		if (setrlimit((int)r->resource, &rl) < 0)
			return err_sys(e, errno, "setrlimit %u", r->resource);
	}
	return 0;
}

int privs_drop(const struct cfg *c, const struct cfg_service *svc, struct err *e)
{
	uint64_t caps = privs_caps(svc);
	/* We can only keep what we have: caps this kernel lacks, or that our own bounding set lost
	 * before keel ran, are left out rather than failing capset. */
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return err_sys(e, errno, "capget");
	caps &= (uint64_t)d[1].permitted << 32 | d[0].permitted;
	/* Bounding first, while we hold CAP_SETPCAP; EINVAL past the kernel's last cap ends it. */
	for (int cap = 0; cap < 64; cap++) {
		if ((caps & CAPBIT(cap)) || prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			break;
		return err_sys(e, errno, "prctl PR_CAPBSET_DROP %d", cap);
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_sys(e, errno, "prctl PR_SET_KEEPCAPS");
	gid_t groups[64];
	if (svc->groups.count > 64)
		return err_set(e, E2BIG, "groups: more than 64 supplementary groups");
	for (uint32_t i = 0; i < svc->groups.count; i++)
		groups[i] = cfg_u32list(c, svc->groups, i);
	/* Raw syscalls: libc wrappers broadcast id changes to every thread, and we have one. */
	if (syscall(SYS_setgroups, (size_t)svc->groups.count, groups) < 0)
		return err_sys(e, errno, "setgroups");
	if (syscall(SYS_setresgid, svc->gid, svc->gid, svc->gid) < 0)
		return err_sys(e, errno, "setgid %u", svc->gid);
	if (syscall(SYS_setresuid, svc->uid, svc->uid, svc->uid) < 0)
		return err_sys(e, errno, "setuid %u", svc->uid);
	for (int i = 0; i < 2; i++)
		d[i].effective = d[i].permitted = d[i].inheritable = (uint32_t)(caps >> (32 * i));
	if (syscall(SYS_capset, &h, d) < 0)
		return err_sys(e, errno, "capset");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return err_sys(e, errno, "prctl PR_SET_KEEPCAPS");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return err_sys(e, errno, "prctl PR_CAP_AMBIENT_CLEAR_ALL");
	if (svc->uid != 0)
		for (int cap = 0; cap < 64; cap++)
			if ((caps & CAPBIT(cap)) &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
				return err_sys(e, errno, "prctl PR_CAP_AMBIENT_RAISE %d", cap);
	return 0;
}
