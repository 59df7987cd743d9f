/* Identity and privilege of a container's process (process.h): rlimits, groups, gid, uid and the
 * capability sets, as the builder gave them (svc_spec.c says what a keel service gets).
 *
 * PR_SET_KEEPCAPS keeps permitted across setresuid, the kernel clears effective, capset sets it
 * again; ambient caps survive no_new_privs (they are not a gain). A cap keel itself does not hold
 * (not in this kernel, or dropped from our bounding set before we ran) is left out of every set:
 * capset could not grant it. */
#include "container.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CAPBIT(c) (1ULL << (c))

int privs_rlimits(const struct ctr_process *p, struct err *e)
{
	for (unsigned i = 0; i < p->nrlimits; i++) {
		const struct ctr_rlimit *r = &p->rlimits[i];
		struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard};
		if (setrlimit(r->resource, &rl) < 0)
			return err_sys(e, errno, "setrlimit %d", r->resource);
	}
	return 0;
}

int privs_apply(const struct ctr_process *p, struct err *e)
{
	/* We can only keep what we have. */
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return err_sys(e, errno, "capget");
	uint64_t held = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	/* Bounding first, while we hold CAP_SETPCAP; EINVAL past the kernel's last cap ends it. */
	for (int cap = 0; cap < 64; cap++) {
		if ((p->cap_bounding & CAPBIT(cap)) || prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			break;
		return err_sys(e, errno, "prctl PR_CAPBSET_DROP %d", cap);
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_sys(e, errno, "prctl PR_SET_KEEPCAPS");
	/* Raw syscalls: libc wrappers broadcast id changes to every thread, and we have one. */
	if (syscall(SYS_setgroups, (size_t)p->ngroups, p->groups) < 0)
		return err_sys(e, errno, "setgroups");
	if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
		return err_sys(e, errno, "setgid %u", (unsigned)p->gid);
	if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
		return err_sys(e, errno, "setuid %u", (unsigned)p->uid);
	uint64_t eff = p->cap_effective & held, perm = p->cap_permitted & held, inh = p->cap_inheritable & held;
	for (int i = 0; i < 2; i++) {
		d[i].effective = (uint32_t)(eff >> (32 * i));
		d[i].permitted = (uint32_t)(perm >> (32 * i));
		d[i].inheritable = (uint32_t)(inh >> (32 * i));
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return err_sys(e, errno, "capset");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return err_sys(e, errno, "prctl PR_SET_KEEPCAPS");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return err_sys(e, errno, "prctl PR_CAP_AMBIENT_CLEAR_ALL");
	/* The kernel raises an ambient cap only when it is permitted and inheritable: others are left
	 * out, as runc leaves them (its default spec lists ambient caps with no inheritable set). */
	uint64_t amb = p->cap_ambient & perm & inh;
	for (int cap = 0; amb && cap < 64; cap++)
		if ((amb & CAPBIT(cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return err_sys(e, errno, "prctl PR_CAP_AMBIENT_RAISE %d", cap);
	return 0;
}
