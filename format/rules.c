/* The rules of a config's values, shared by keelc and the device's reader (rules.h). */
#include "rules.h"

#include <string.h>

#include "text.h"

/* ---- numeric fields ---------------------------------------------------------------------------- */

#define N(rec, f, how, lo, hi) {offsetof(struct rec, f), sizeof(((struct rec *)0)->f), how, lo, hi, #f}
#define FLAGS(rec, f, known) N(rec, f, CFG_NUM_FLAGS, 0, known)
#define RESERVED(rec, f) N(rec, f, CFG_NUM_RESERVED, 0, 0)

static const struct cfg_num_rule system_rules[] = {
	N(cfg_system, console_log_level, CFG_NUM_UNSET, 0, 8),
	N(cfg_system, ctrl_alt_del, 0, 0, CFG_ACT_IGNORE),
	FLAGS(cfg_system, flags, CFG_SYS_IP_FORWARD | CFG_SYS_CONSOLE_SHELL),
	RESERVED(cfg_system, reserved),
};

static const struct cfg_num_rule system_ext_rules[] = {
	FLAGS(cfg_system_ext, flags, 0),
	RESERVED(cfg_system_ext, reserved),
};

static const struct cfg_num_rule network_rules[] = {
	N(cfg_network, prefix, 0, 0, 32),
	N(cfg_network, uplink_prefix, 0, 0, 32),
	FLAGS(cfg_network, flags, CFG_NET_MASQUERADE),
	RESERVED(cfg_network, reserved),
};

static const struct cfg_num_rule service_rules[] = {
	FLAGS(cfg_service, flags, CFG_SVC_NO_NEW_PRIVS | CFG_SVC_REAPER | CFG_SVC_LOG_CONSOLE | CFG_SVC_USERNS_ALLOW),
	N(cfg_service, restart, 0, 0, CFG_RESTART_ALWAYS),
	N(cfg_service, readiness, 0, 0, CFG_READY_NOTIFY),
	N(cfg_service, stop_signal, 0, 1, 64),
	N(cfg_service, seccomp, 0, 0, CFG_SECCOMP_UNCONFINED),
	N(cfg_service, namespaces, CFG_NUM_BITS, 0, CFG_NS_DEFAULT | CFG_NS_USER),
	N(cfg_service, cpu_weight, CFG_NUM_ZERO, 1, 10000),
	N(cfg_service, io_weight, CFG_NUM_ZERO, 1, 10000),
	RESERVED(cfg_service, reserved),
};

static const struct cfg_num_rule mount_rules[] = {
	N(cfg_mount, kind, 0, CFG_MOUNT_TMPFS, CFG_MOUNT_BIND),
	FLAGS(cfg_mount, flags, CFG_MOUNT_RO | CFG_MOUNT_DEV | CFG_MOUNT_EXEC | CFG_MOUNT_SUID),
};

static const struct cfg_num_rule idmap_rules[] = {
	N(cfg_idmap, kind, 0, CFG_IDMAP_UID, CFG_IDMAP_GID),
};

static const struct cfg_num_rule rlimit_rules[] = {
	N(cfg_rlimit, resource, 0, 0, 15),
	RESERVED(cfg_rlimit, reserved),
};

static const struct cfg_num_rule syscall_rules[] = {
	N(cfg_syscall_rule, action, 0, CFG_SC_ALLOW, CFG_SC_KILL),
	N(cfg_syscall_rule, errno_value, 0, 0, 4095),
	RESERVED(cfg_syscall_rule, reserved),
};

static const struct cfg_num_rule iolimit_rules[] = {
	RESERVED(cfg_io_limit, reserved),
};

static const struct cfg_num_rule port_rules[] = {
	N(cfg_port, host_port, 0, 1, 65535),
	N(cfg_port, container_port, 0, 1, 65535),
	RESERVED(cfg_port, reserved),
};

static const struct cfg_num_rule device_rules[] = {
	FLAGS(cfg_device, access, CFG_DEV_READ | CFG_DEV_WRITE | CFG_DEV_MKNOD),
};

#define TAB(t) {t, sizeof t / sizeof t[0]}
static const struct {
	const struct cfg_num_rule *r;
	size_t n;
} tables[CFG_REC_KINDS] = {
	[CFG_REC_SYSTEM] = TAB(system_rules),   [CFG_REC_SYSTEM_EXT] = TAB(system_ext_rules),
	[CFG_REC_NETWORK] = TAB(network_rules), [CFG_REC_SERVICE] = TAB(service_rules),
	[CFG_REC_MOUNT] = TAB(mount_rules),     [CFG_REC_IDMAP] = TAB(idmap_rules),
	[CFG_REC_RLIMIT] = TAB(rlimit_rules),   [CFG_REC_SYSCALL] = TAB(syscall_rules),
	[CFG_REC_IOLIMIT] = TAB(iolimit_rules), [CFG_REC_PORT] = TAB(port_rules),
	[CFG_REC_DEVICE] = TAB(device_rules),
};

uint64_t cfg_num_get(const struct cfg_num_rule *r, const void *rec)
{
	const uint8_t *p = (const uint8_t *)rec + r->off;
	uint64_t v = 0;
	if (r->how & CFG_NUM_RESERVED) {
		for (unsigned i = 0; i < r->size; i++)
			v |= p[i];
		return v;
	}
	memcpy(&v, p, r->size); /* little-endian (layout.h) */
	return v;
}

static int num_ok(const struct cfg_num_rule *r, uint64_t v, int strict)
{
	if (r->how & (CFG_NUM_FLAGS | CFG_NUM_RESERVED))
		return !strict || !(v & ~r->hi);
	if (r->how & CFG_NUM_BITS)
		return !(v & ~r->hi);
	uint64_t ones = r->size == 8 ? CFG_U64_UNSET : (1ull << (8 * r->size)) - 1;
	return (v >= r->lo && v <= r->hi) || (!v && (r->how & CFG_NUM_ZERO)) ||
	       (v == ones && (r->how & CFG_NUM_UNSET)) || (v == CFG_U64_MAX && (r->how & CFG_NUM_MAX));
}

const struct cfg_num_rule *cfg_rule_nums(enum cfg_rec k, const void *rec, int strict)
{
	for (size_t i = 0; i < tables[k].n; i++)
		if (!num_ok(&tables[k].r[i], cfg_num_get(&tables[k].r[i], rec), strict))
			return &tables[k].r[i];
	return NULL;
}

const struct cfg_num_rule *cfg_num_rule_at(enum cfg_rec k, size_t off)
{
	for (size_t i = 0; i < tables[k].n; i++)
		if (tables[k].r[i].off == off)
			return &tables[k].r[i];
	return NULL;
}

/* ---- paths --------------------------------------------------------------------------------------- */

/* Absolute, with no "", "." or ".." component and no trailing '/': the one spelling of a path, so a
 * prefix test on component boundaries means "under". */
static int clean_path(const char *s)
{
	if (s[0] != '/' || strlen(s) > 4095)
		return 0;
	if (!s[1])
		return 1;
	for (const char *c = s; *c; c++) {
		if ((unsigned char)*c < ' ')
			return 0;
		if (*c != '/')
			continue;
		size_t n = strcspn(c + 1, "/");
		if (n == 0 || (n == 1 && c[1] == '.') || (n == 2 && c[1] == '.' && c[2] == '.'))
			return 0;
	}
	return 1;
}

/* p is root or lies under it (both clean). */
static int under(const char *p, const char *root)
{
	size_t n = strlen(root);
	return !strncmp(p, root, n) && (p[n] == '/' || !p[n]);
}

const char *cfg_rule_volume_root(const char *s)
{
	if (!clean_path(s) || !s[1] || under(s, CFG_KEEL_DIR))
		return "expected an absolute path without '.', '..' or '//', not / and not under " CFG_KEEL_DIR;
	return NULL;
}
