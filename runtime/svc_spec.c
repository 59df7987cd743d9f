/* A keel service's container spec (svc_spec.h) from its record in the binary config.
 *
 * Capabilities (config minor >= 1, as runc, crun and Docker give them): C = podman's default
 * eleven + caps_add - caps_drop is the bounding set (the rest dropped: nothing outside C can ever
 * come back through a file capability or a setuid binary).
 * - uid 0: permitted = effective = inheritable = C; ambient empty (execve gives root
 *   P' = inheritable | bounding = C).
 * - any other uid: permitted = effective = inheritable = ambient = caps_add - caps_drop only;
 *   the rest of C stays in bounding. Ambient is what a non-root process keeps across execve
 *   (P' = ambient, file caps aside), so a `user = 1000` service holds exactly what caps_add
 *   names (NET_BIND_SERVICE for port 80) and setuid(0), DAC_OVERRIDE and the like fail.
 * A minor-0 config keeps keel 1.0's meaning: Docker's fourteen, and ambient = C for a non-root
 * uid (it held SETUID, DAC_OVERRIDE, ...: format 1.1 changed that). The reaper (PID 1 inside)
 * runs with the same identity and sets as the service. */
#include "svc_spec.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#define CAPBIT(c) (1ULL << (c))

/* podman's default set (containers.conf): no NET_RAW, MKNOD or AUDIT_WRITE. */
static const uint64_t caps_default =
	CAPBIT(CAP_CHOWN) | CAPBIT(CAP_DAC_OVERRIDE) | CAPBIT(CAP_FOWNER) | CAPBIT(CAP_FSETID) |
	CAPBIT(CAP_KILL) | CAPBIT(CAP_NET_BIND_SERVICE) | CAPBIT(CAP_SETFCAP) | CAPBIT(CAP_SETGID) |
	CAPBIT(CAP_SETPCAP) | CAPBIT(CAP_SETUID) | CAPBIT(CAP_SYS_CHROOT);
/* Docker's, the default of format 1.0. */
static const uint64_t caps_default_1_0 =
	caps_default | CAPBIT(CAP_MKNOD) | CAPBIT(CAP_NET_RAW) | CAPBIT(CAP_AUDIT_WRITE);

/* Paths a container must not see (the OCI runtime spec's defaults) and read-only ones. */
static const char *const masked[] = {
	"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
	"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
};
static const char *const readonly[] = {
	"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

int svc_proc_build(const struct cfg *c, const struct cfg_service *svc, char *const *argv, bool notify,
		   struct svc_proc *out, struct err *e)
{
	struct ctr_process *p = &out->p;
	*p = (struct ctr_process){.uid = svc->uid, .gid = svc->gid};
	if (svc->argv.count > SVC_MAX_ARGS || svc->env.count > SVC_MAX_ARGS)
		return err_set(e, E2BIG, "exec: more than %d arguments or environment entries", SVC_MAX_ARGS);
	if (!argv) {
		for (uint32_t i = 0; i < svc->argv.count; i++)
			out->argv[i] = (char *)cfg_strlist(c, svc->argv, i);
		out->argv[svc->argv.count] = NULL;
		argv = out->argv;
	}
	p->argv = argv;
	for (uint32_t i = 0; i < svc->env.count; i++)
		out->envp[i] = (char *)cfg_strlist(c, svc->env, i);
	uint32_t n = svc->env.count;
	if (notify)
		out->envp[n++] = "NOTIFY_SOCKET=" CONTAINER_NOTIFY_DIR "/notify";
	/* systemd's, for the service itself: sd_watchdog_enabled() reads it (no WATCHDOG_PID: under
	 * the reaper the service is not the container's first process). */
	uint32_t wd = cfg_service_ops(c, svc)->watchdog_ms;
	if (wd && argv == out->argv) {
		snprintf(out->watchdog, sizeof out->watchdog, "WATCHDOG_USEC=%llu", (unsigned long long)wd * 1000);
		out->envp[n++] = out->watchdog;
	}
	out->envp[n] = NULL;
	p->envp = out->envp;
	p->cwd = *cfg_str(c, svc->workdir) ? cfg_str(c, svc->workdir) : "/";
	if (svc->groups.count > PROC_MAX_GROUPS)
		return err_set(e, E2BIG, "groups: more than %d supplementary groups", PROC_MAX_GROUPS);
	p->ngroups = svc->groups.count;
	for (uint32_t i = 0; i < svc->groups.count; i++)
		p->groups[i] = cfg_u32list(c, svc->groups, i);
	int v1_0 = cfg_minor(c) == 0;
	uint64_t bounding = ((v1_0 ? caps_default_1_0 : caps_default) | svc->caps_add) & ~svc->caps_drop;
	uint64_t caps = svc->uid == 0 || v1_0 ? bounding : svc->caps_add & ~svc->caps_drop;
	p->cap_bounding = bounding;
	p->cap_effective = p->cap_permitted = p->cap_inheritable = caps;
	p->cap_ambient = svc->uid != 0 ? caps : 0;
	if (svc->rlimits.count > PROC_MAX_RLIMITS)
		return err_set(e, E2BIG, "rlimits: more than %d", PROC_MAX_RLIMITS);
	p->nrlimits = svc->rlimits.count;
	for (uint32_t i = 0; i < svc->rlimits.count; i++) {
		const struct cfg_rlimit *r = cfg_rlimit(c, svc->rlimits, i);
		p->rlimits[i] = (struct ctr_rlimit){
			.resource = (int)r->resource,
			.soft = r->soft == CFG_U64_MAX ? RLIM_INFINITY : r->soft,
			.hard = r->hard == CFG_U64_MAX ? RLIM_INFINITY : r->hard,
		};
	}
	p->no_new_privs = !!(svc->flags & CFG_SVC_NO_NEW_PRIVS);
	return 0;
}

static uint64_t clone_flags(uint32_t ns)
{
	uint64_t f = 0;
	if (ns & CFG_NS_PID) f |= CLONE_NEWPID;
	if (ns & CFG_NS_MOUNT) f |= CLONE_NEWNS;
	if (ns & CFG_NS_UTS) f |= CLONE_NEWUTS;
	if (ns & CFG_NS_IPC) f |= CLONE_NEWIPC;
	if (ns & CFG_NS_NET) f |= CLONE_NEWNET;
	if (ns & CFG_NS_CGROUP) f |= CLONE_NEWCGROUP;
	if (ns & CFG_NS_USER) f |= CLONE_NEWUSER;
	return f;
}

/* In the service's own network namespace: net.ipv4.ping_group_range = every gid (in a user
 * namespace: its gid map's first extent), so ping works through ICMP datagram sockets without
 * CAP_NET_RAW. Nothing for a minor-0 config. */
static void ping_range(const struct cfg *c, const struct cfg_service *svc, struct svc_spec *o)
{
	if (cfg_minor(c) == 0 || !(svc->namespaces & CFG_NS_NET))
		return;
	uint32_t lo = 0, hi = 2147483647;
	if (o->spec.ngid_map) {
		lo = o->gid_map[0].inside;
		hi = o->gid_map[0].inside + o->gid_map[0].count - 1;
	}
	snprintf(o->ping_range, sizeof o->ping_range, "%u %u", lo, hi);
	o->sysctl = (struct ctr_sysctl){"net.ipv4.ping_group_range", o->ping_range};
	o->spec.sysctls = &o->sysctl;
	o->spec.nsysctls = 1;
}

/* The volume root a bind's source lies under, or NULL. */
static const char *volume_root(const struct cfg *c, const char *src)
{
	for (uint32_t i = 0; i < cfg_volume_root_count(c); i++) {
		const char *r = cfg_volume_root(c, i);
		size_t n = strlen(r);
		if (!strncmp(src, r, n) && (src[n] == '/' || !src[n]))
			return r;
	}
	return NULL;
}

#define SECRETS_TMPFS_OPTS "mode=0711,size=2112k,nr_inodes=40" /* 32 secrets of 64 KiB */

static int mounts(const struct cfg *c, const struct cfg_service *svc, const char *notify_dir, struct svc_spec *o,
		  struct err *e)
{
	struct ctr_mount *m = o->mounts;
	unsigned n = 0;
	int userns = !!(svc->namespaces & CFG_NS_USER);
	m[n++] = (struct ctr_mount){"proc", "/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC};
	/* sysfs can be mounted afresh only by the owner of the network namespace (or of one joined:
	 * a service with a join has no user namespace of its own). */
	if ((svc->namespaces | cfg_service_ext(c, svc)->join_ns) & CFG_NS_NET)
		m[n++] = (struct ctr_mount){"sysfs", "/sys", "sysfs", NULL, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC};
	else
		m[n++] = (struct ctr_mount){"/sys", "/sys", NULL, NULL,
					    MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC};
	m[n++] = (struct ctr_mount){"tmpfs", "/dev", "tmpfs", "mode=755,size=64k", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME};
	/* A private devpts instance; gid 5 (tty) exists only outside a user namespace for sure. */
	m[n++] = (struct ctr_mount){"devpts", "/dev/pts", "devpts",
				    userns ? "newinstance,ptmxmode=0666,mode=0620"
					   : "newinstance,ptmxmode=0666,mode=0620,gid=5",
				    MS_NOSUID | MS_NOEXEC};
	m[n++] = (struct ctr_mount){"shm", "/dev/shm", "tmpfs", "mode=1777,size=65536k", MS_NOSUID | MS_NODEV | MS_NOEXEC};
	if (svc->mounts.count > SVC_MAX_MOUNTS)
		return err_set(e, E2BIG, "more than %d tmpfs paths and volumes", SVC_MAX_MOUNTS);
	for (uint32_t i = 0; i < svc->mounts.count; i++) {
		const struct cfg_mount *cm = cfg_mount(c, svc->mounts, i);
		const char *target = cfg_str(c, cm->target), *src = cfg_str(c, cm->source);
		if (target[0] != '/' || strstr(target, ".."))
			return err_set(e, EINVAL, "mount %s: expected an absolute path without '..'", target);
		unsigned long fl = 0;
		if (!(cm->flags & CFG_MOUNT_DEV))
			fl |= MS_NODEV;
		if (!(cm->flags & CFG_MOUNT_SUID))
			fl |= MS_NOSUID;
		if (!(cm->flags & CFG_MOUNT_EXEC))
			fl |= MS_NOEXEC;
		if (cm->kind == CFG_MOUNT_TMPFS) {
			int k = snprintf(o->data[i], sizeof o->data[i], "mode=%o", cm->mode ? cm->mode : 01777);
			if (cm->size)
				snprintf(o->data[i] + k, sizeof o->data[i] - (size_t)k, ",size=%uk", cm->size);
			m[n++] = (struct ctr_mount){"tmpfs", target, "tmpfs", o->data[i], fl};
			continue;
		}
		const char *root = volume_root(c, src);
		if (!root)
			return err_set(e, EINVAL, "volume %s:%s: the source is under no volume_roots", src, target);
		if (cm->flags & CFG_MOUNT_RO)
			fl |= MS_RDONLY;
		m[n++] = (struct ctr_mount){src, target, NULL, NULL, MS_BIND | MS_REC | fl, 0, root};
	}
	/* The supervisor's readiness socket, bound by its directory onto our own tmpfs /dev: the
	 * image is read-only and need not have a mount point for it. */
	if (notify_dir)
		m[n++] = (struct ctr_mount){notify_dir, CONTAINER_NOTIFY_DIR, NULL, NULL, MS_BIND};
	/* Secrets (format 1.2): a small tmpfs of the service's own, filled after the pivot (secrets.c). */
	if (cfg_service_ops(c, svc)->secrets.count)
		m[n++] = (struct ctr_mount){"tmpfs", CFG_SECRETS_DIR, "tmpfs", SECRETS_TMPFS_OPTS,
					    MS_NOSUID | MS_NODEV | MS_NOEXEC};
	o->spec.mounts = m;
	o->spec.nmounts = n;
	return 0;
}

static int devices(const struct cfg *c, const struct cfg_service *svc, struct svc_spec *o, struct err *e)
{
	if (svc->devices.count > SVC_MAX_DEVICES)
		return err_set(e, E2BIG, "more than %d devices", SVC_MAX_DEVICES);
	memcpy(o->rules, devices_std_rules, devices_std_count * sizeof o->rules[0]);
	o->nrules = devices_std_count;
	for (uint32_t i = 0; i < svc->devices.count; i++) {
		const struct cfg_device *d = cfg_device(c, svc->devices, i);
		const char *path = cfg_str(c, d->path);
		if (strncmp(path, "/dev/", 5) || strstr(path, "/../") || strchr(path + 5, '/'))
			return err_set(e, EINVAL, "device %s: expected /dev/NAME", path);
		char type = d->type == 'b' ? 'b' : 'c';
		o->devices[i] = (struct ctr_device){path, type, d->major, d->minor, d->mode ? d->mode : 0660};
		o->rules[o->nrules++] = (struct dev_rule){
			.type = type,
			.allow = true,
			.major = d->major,
			.minor = d->minor,
			.access = ((d->access & CFG_DEV_READ) ? DEV_READ : 0) | ((d->access & CFG_DEV_WRITE) ? DEV_WRITE : 0) |
				  ((d->access & CFG_DEV_MKNOD) ? DEV_MKNOD : 0),
		};
	}
	o->spec.devices = o->devices;
	o->spec.ndevices = svc->devices.count;
	return 0;
}

static int idmaps(const struct cfg *c, const struct cfg_service *svc, struct svc_spec *o, struct err *e)
{
	for (uint32_t i = 0; (svc->namespaces & CFG_NS_USER) && i < svc->idmaps.count; i++) {
		const struct cfg_idmap *m = cfg_idmap(c, svc->idmaps, i);
		int uid = m->kind == CFG_IDMAP_UID;
		unsigned *n = uid ? &o->spec.nuid_map : &o->spec.ngid_map;
		if (*n == SVC_MAX_IDMAPS)
			return err_set(e, E2BIG, "user namespace: more than %d %s extents", SVC_MAX_IDMAPS, uid ? "uid" : "gid");
		(uid ? o->uid_map : o->gid_map)[(*n)++] = (struct ctr_idmap){m->inside, m->outside, m->count};
	}
	o->spec.uid_map = o->uid_map;
	o->spec.gid_map = o->gid_map;
	return 0;
}

int svc_spec_build(const struct cfg *c, const struct cfg_service *svc, const char *name, const char *notify_dir,
		   struct svc_spec *o, struct err *e)
{
	o->spec = (struct container_spec){
		.name = name,
		.clone_ns = clone_flags(svc->namespaces),
		.root_readonly = true,
		.root_propagation = MS_PRIVATE | MS_REC,
		.dev_defaults = true,
		.masked = masked,
		.nmasked = sizeof masked / sizeof masked[0],
		.readonly = readonly,
		.nreadonly = sizeof readonly / sizeof readonly[0],
		.proc = &o->proc.p,
		.cgroup_fd = -1,
		.log_fd = -1,
		.reaper = !!(svc->flags & CFG_SVC_REAPER),
	};
	if (svc->namespaces & CFG_NS_UTS)
		o->spec.hostname = *cfg_str(c, svc->hostname) ? cfg_str(c, svc->hostname) : name;
	if (svc_proc_build(c, svc, NULL, notify_dir != NULL, &o->proc, e) < 0 || idmaps(c, svc, o, e) < 0 ||
	    mounts(c, svc, notify_dir, o, e) < 0 || devices(c, svc, o, e) < 0)
		return -1;
	ping_range(c, svc, o);
	return 0;
}
