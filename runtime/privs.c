/* Identity and privilege of the service: rlimits, groups, gid, uid and the capability sets.
 *
 * Capabilities (config minor >= 1, as runc, crun and Docker give them): C = podman's default
 * eleven + caps_add - caps_drop is the bounding set (the rest dropped with PR_CAPBSET_DROP:
 * nothing outside C can ever come back through a file capability or a setuid binary).
 * - uid 0: permitted = effective = inheritable = C; ambient empty (execve gives root
 *   P' = inheritable | bounding = C).
 * - any other uid: permitted = effective = inheritable = ambient = caps_add - caps_drop only;
 *   the rest of C stays in bounding. Ambient is what a non-root process keeps across execve
 *   (P' = ambient, file caps aside), so a `user = 1000` service holds exactly what caps_add
 *   names (NET_BIND_SERVICE for port 80) and setuid(0), DAC_OVERRIDE and the like fail.
 * A minor-0 config keeps keel 1.0's meaning: Docker's fourteen, and ambient = C for a non-root
 * uid (it held SETUID, DAC_OVERRIDE, ...: format 1.1 changed that).
 * PR_SET_KEEPCAPS keeps permitted across setresuid, the kernel clears effective, capset sets it
 * again; ambient caps survive no_new_privs (they are not a gain). The reaper (PID 1 inside) runs
 * with the same identity and sets as the service. A cap keel itself does not hold (not in this
 * kernel, or dropped from our bounding set before we ran) is left out of every set: capset could
 * not grant it. */
#include "container.h"

#include "../lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CAPBIT(c) (1ULL << (c))

/* podman's default set (containers.conf): no NET_RAW, MKNOD or AUDIT_WRITE. */
static const uint64_t caps_default =
	CAPBIT(CAP_CHOWN) | CAPBIT(CAP_DAC_OVERRIDE) | CAPBIT(CAP_FOWNER) | CAPBIT(CAP_FSETID) |
	CAPBIT(CAP_KILL) | CAPBIT(CAP_NET_BIND_SERVICE) | CAPBIT(CAP_SETFCAP) | CAPBIT(CAP_SETGID) |
	CAPBIT(CAP_SETPCAP) | CAPBIT(CAP_SETUID) | CAPBIT(CAP_SYS_CHROOT);
/* Docker's, the default of format 1.0. */
static const uint64_t caps_default_1_0 =
	caps_default | CAPBIT(CAP_MKNOD) | CAPBIT(CAP_NET_RAW) | CAPBIT(CAP_AUDIT_WRITE);

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
	int v1_0 = cfg_minor(c) == 0;
	uint64_t bounding = ((v1_0 ? caps_default_1_0 : caps_default) | svc->caps_add) & ~svc->caps_drop;
	uint64_t caps = svc->uid == 0 || v1_0 ? bounding : svc->caps_add & ~svc->caps_drop;
	/* We can only keep what we have: caps this kernel lacks, or that our own bounding set lost
	 * before keel ran, are left out rather than failing capset. */
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return err_sys(e, errno, "capget");
	caps &= (uint64_t)d[1].permitted << 32 | d[0].permitted;
	/* Bounding first, while we hold CAP_SETPCAP; EINVAL past the kernel's last cap ends it. */
	for (int cap = 0; cap < 64; cap++) {
		if ((bounding & CAPBIT(cap)) || prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
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

int privs_ping_range(const struct cfg *c, const struct cfg_service *svc, struct err *e)
{
	if (cfg_minor(c) == 0)
		return 0;
	/* In a user namespace the kernel reads the range in its gids: the gid map's first extent. */
	uint32_t lo = 0, hi = 2147483647;
	for (uint32_t i = 0; (svc->namespaces & CFG_NS_USER) && i < svc->idmaps.count; i++) {
		const struct cfg_idmap *m = cfg_idmap(c, svc->idmaps, i);
		if (m->kind == CFG_IDMAP_GID) {
			lo = m->inside;
			hi = m->inside + m->count - 1;
			break;
		}
	}
	char v[24];
	int n = snprintf(v, sizeof v, "%u %u", lo, hi);
	if (file_write(AT_FDCWD, "/proc/sys/net/ipv4/ping_group_range", v, (size_t)n) < 0)
		return err_sys(e, errno, "net.ipv4.ping_group_range '%s'", v);
	return 0;
}
