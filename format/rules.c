/* The rules of a config's values, shared by keelc and the device's reader (rules.h). */
#include "rules.h"

#include <string.h>

#include "text.h"

/* ---- the field tables --------------------------------------------------------------------------- */

#define ID_MAX 0xfffffffeu       /* uid/gid -1 is setresuid's "leave unchanged": never an id */
#define LOG_MAX (64u << 20)
#define PERM_MAX 07777u

/* 64-bit upper bounds (CFG_F_BIG: the field's hi is an index here) */
enum { B_QUOTA, B_CAPS, B_SIZE, B_ANY, B_BLOCKS };
static const uint64_t big[] = {1000000000000ull, (2ull << CFG_CAP_LAST) - 1, CFG_U64_MAX - 1, CFG_U64_MAX, 1ull << 40};

/* Each table is an X-macro list X(how, struct, field, arg, lo, hi), expanded once into the
 * entries and once into the names. */
#define ENTRY(how, rec, f, arg, lo, hi) {offsetof(struct rec, f), sizeof(((struct rec *)0)->f), how, arg, 0, lo, hi},
#define NAME(how, rec, f, arg, lo, hi) #f "\0"
#define NUM(rec, f, also, lo, hi) X(CFG_F_NUM | (also), rec, f, 0, lo, hi)
#define BIG(rec, f, also, lo, b) X(CFG_F_NUM | CFG_F_BIG | (also), rec, f, b, lo, 0)
#define FLAGS(rec, f, known) X(CFG_F_FLAGS, rec, f, 0, 0, known)
#define RESERVED(rec, f) X(CFG_F_RESERVED, rec, f, 0, 0, 0)
#define STR(rec, f, rule, need) X(CFG_F_STR, rec, f, rule, need, 0)
#define STRS(rec, f, rule) X(CFG_F_STRS, rec, f, rule, 0, 0)
#define LIST(rec, f, sec) X(CFG_F_LIST, rec, f, 0, 0, sec)
#define RECS(rec, f, sec, kind) X(CFG_F_RECS, rec, f, kind, 0, sec)

#define SYSTEM_FIELDS                                                                                       \
	STR(cfg_system, hostname, CFG_R_HOSTNAME, 0)                                                        \
	NUM(cfg_system, console_log_level, CFG_F_UNSET, 0, 8)                                               \
	STRS(cfg_system, modules, CFG_R_MODULE)                                                             \
	STRS(cfg_system, sysctls, CFG_R_SYSCTL)                                                             \
	STR(cfg_system, watchdog_device, CFG_R_ABSPATH, 0)                                                  \
	NUM(cfg_system, watchdog_timeout_s, CFG_F_ZERO, 1, 3600)                                            \
	STR(cfg_system, data_device, CFG_R_ABSPATH, 0)                                                      \
	STR(cfg_system, data_fstype, CFG_R_NONE, 0)                                                         \
	STR(cfg_system, data_options, CFG_R_NONE, 0)                                                        \
	NUM(cfg_system, ctrl_alt_del, 0, 0, CFG_ACT_IGNORE)                                                 \
	NUM(cfg_system, log_buffer, 0, 4096, LOG_MAX)                                                       \
	FLAGS(cfg_system, flags, CFG_SYS_IP_FORWARD | CFG_SYS_CONSOLE_SHELL)                                \
	NUM(cfg_system, update_health_s, CFG_F_ZERO, 1, 86400)                                              \
	RESERVED(cfg_system, reserved)

#define SYSTEM_EXT_FIELDS                                                                                   \
	STRS(cfg_system_ext, volume_roots, CFG_R_ROOT)                                                      \
	FLAGS(cfg_system_ext, flags, 0)                                                                     \
	RESERVED(cfg_system_ext, reserved)

#define RELEASE_FIELDS                                                                                      \
	BIG(cfg_release, serial, 0, 0, B_ANY)                                                               \
	NUM(cfg_release, min_keel, 0, 0, 0xffffffu)                                                         \
	RESERVED(cfg_release, reserved)

#define UPDATE_FIELDS                                                                                       \
	STR(cfg_update, source, CFG_R_SOURCE, 0)                                                            \
	STR(cfg_update, ca, CFG_R_ABSPATH, 0)                                                               \
	STR(cfg_update, credentials, CFG_R_ABSPATH, 0)                                                      \
	NUM(cfg_update, poll_s, CFG_F_ZERO, CFG_POLL_MIN_S, CFG_POLL_MAX_S)                                 \
	NUM(cfg_update, jitter_s, 0, 0, CFG_POLL_MAX_S)                                                     \
	FLAGS(cfg_update, flags, CFG_UPD_PLAIN_HTTP | CFG_UPD_APPLY_LIVE)                                   \
	RECS(cfg_update, hosts, CFG_SEC_UPDATE_HOSTS, CFG_REC_UPDATE_HOST)                                  \
	RESERVED(cfg_update, reserved)

#define UPDATE_HOST_FIELDS                                                                                  \
	STR(cfg_update_host, name, CFG_R_HOSTNAME, 1)                                                       \
	NUM(cfg_update_host, address, 0, 1, 0xffffffffu)                                                    \
	RESERVED(cfg_update_host, reserved)

#define NETWORK_FIELDS                                                                                      \
	STR(cfg_network, name, CFG_R_NAME, 1)                                                               \
	STR(cfg_network, bridge, CFG_R_IFNAME, 1)                                                           \
	NUM(cfg_network, prefix, 0, 0, 32)                                                                  \
	NUM(cfg_network, mtu, CFG_F_ZERO, 68, 65535)                                                        \
	STR(cfg_network, uplink, CFG_R_IFNAME, 0)                                                           \
	NUM(cfg_network, uplink_prefix, 0, 0, 32)                                                           \
	FLAGS(cfg_network, flags, CFG_NET_MASQUERADE)                                                       \
	RESERVED(cfg_network, reserved)

#define SERVICE_FIELDS                                                                                      \
	STR(cfg_service, name, CFG_R_NAME, 1)                                                               \
	FLAGS(cfg_service, flags, CFG_SVC_NO_NEW_PRIVS | CFG_SVC_REAPER | CFG_SVC_LOG_CONSOLE | CFG_SVC_USERNS_ALLOW) \
	LIST(cfg_service, layers, CFG_SEC_DIGESTS)                                                          \
	STRS(cfg_service, argv, CFG_R_NONE)                                                                 \
	STRS(cfg_service, env, CFG_R_ENV)                                                                   \
	STR(cfg_service, workdir, CFG_R_ABSPATH, 0)                                                         \
	STR(cfg_service, hostname, CFG_R_HOSTNAME, 0)                                                       \
	NUM(cfg_service, uid, 0, 0, ID_MAX)                                                                 \
	NUM(cfg_service, gid, 0, 0, ID_MAX)                                                                 \
	LIST(cfg_service, groups, CFG_SEC_U32LIST)                                                          \
	NUM(cfg_service, restart, 0, 0, CFG_RESTART_ALWAYS)                                                 \
	NUM(cfg_service, backoff_initial_ms, 0, 1, 3600000)                                                 \
	NUM(cfg_service, backoff_max_ms, 0, 1, 86400000)                                                    \
	NUM(cfg_service, backoff_reset_s, 0, 1, 86400)                                                      \
	NUM(cfg_service, start_limit_burst, CFG_F_ZERO, 1, 10000)                                           \
	NUM(cfg_service, start_limit_interval_s, CFG_F_ZERO, 1, 86400)                                      \
	STRS(cfg_service, depends, CFG_R_NAME)                                                              \
	STRS(cfg_service, after, CFG_R_NAME)                                                                \
	NUM(cfg_service, readiness, 0, 0, CFG_READY_NOTIFY)                                                 \
	NUM(cfg_service, stop_signal, 0, 1, 64)                                                             \
	NUM(cfg_service, stop_timeout_ms, 0, 0, 3600000)                                                    \
	NUM(cfg_service, seccomp, 0, 0, CFG_SECCOMP_UNCONFINED)                                             \
	X(CFG_F_BITS | CFG_F_BIG, cfg_service, caps_add, B_CAPS, 0, 0)                                      \
	X(CFG_F_BITS | CFG_F_BIG, cfg_service, caps_drop, B_CAPS, 0, 0)                                     \
	RECS(cfg_service, syscalls, CFG_SEC_SYSCALLS, CFG_REC_SYSCALL)                                      \
	X(CFG_F_BITS, cfg_service, namespaces, 0, 0, CFG_NS_DEFAULT | CFG_NS_USER)                          \
	NUM(cfg_service, log_buffer, CFG_F_ZERO, 4096, LOG_MAX)                                             \
	RECS(cfg_service, idmaps, CFG_SEC_IDMAPS, CFG_REC_IDMAP)                                            \
	RECS(cfg_service, rlimits, CFG_SEC_RLIMITS, CFG_REC_RLIMIT)                                         \
	RECS(cfg_service, mounts, CFG_SEC_MOUNTS, CFG_REC_MOUNT)                                            \
	RECS(cfg_service, devices, CFG_SEC_DEVICES, CFG_REC_DEVICE)                                         \
	STR(cfg_service, network, CFG_R_NAME, 0)                                                            \
	RECS(cfg_service, ports, CFG_SEC_PORTS, CFG_REC_PORT)                                               \
	BIG(cfg_service, cpu_max_quota_us, CFG_F_UNSET | CFG_F_MAX, 1000, B_QUOTA)                          \
	BIG(cfg_service, memory_max, CFG_F_UNSET | CFG_F_MAX, 4096, B_SIZE)                                 \
	BIG(cfg_service, memory_high, CFG_F_UNSET | CFG_F_MAX, 4096, B_SIZE)                                \
	BIG(cfg_service, memory_swap_max, CFG_F_UNSET | CFG_F_MAX, 0, B_SIZE)                               \
	NUM(cfg_service, cpu_max_period_us, CFG_F_ZERO, 1000, 1000000)                                      \
	NUM(cfg_service, cpu_weight, CFG_F_ZERO, 1, 10000)                                                  \
	NUM(cfg_service, io_weight, CFG_F_ZERO, 1, 10000)                                                   \
	STR(cfg_service, cpuset_cpus, CFG_R_CPUS, 0)                                                        \
	RECS(cfg_service, io_max, CFG_SEC_IOLIMITS, CFG_REC_IOLIMIT)                                        \
	RESERVED(cfg_service, reserved)

/* 1.2: operations. 0 is "the default" in most of them (keel.conf(5) says which). */
#define OPS_FIELDS                                                                                          \
	FLAGS(cfg_ops, flags, CFG_OPS_LOG_PERSIST | CFG_OPS_LOG_STATUS)                                                          \
	NUM(cfg_ops, log_service_max, CFG_F_ZERO, 4096, 1u << 30)                                           \
	NUM(cfg_ops, log_total_max, CFG_F_ZERO, 4096, 0xffffffffu)                                          \
	NUM(cfg_ops, log_flush_ms, CFG_F_ZERO, 100, 3600000)                                                \
	NUM(cfg_ops, syslog_proto, 0, 0, CFG_SYSLOG_TLS)                                                    \
	NUM(cfg_ops, syslog_address, 0, 0, 0xffffffffu)                                                     \
	NUM(cfg_ops, syslog_port, CFG_F_ZERO, 1, 65535)                                                     \
	STR(cfg_ops, syslog_ca, CFG_R_ABSPATH, 0)                                                           \
	STR(cfg_ops, syslog_server_name, CFG_R_HOSTNAME, 0)                                                 \
	NUM(cfg_ops, metrics_interval_s, CFG_F_ZERO, 1, 86400)                                              \
	STR(cfg_ops, metrics_file, CFG_R_OUTFILE, 0)                                                        \
	RESERVED(cfg_ops, reserved)

#define SERVICE_OPS_FIELDS                                                                                  \
	STRS(cfg_service_ops, health, CFG_R_NONE)                                                           \
	NUM(cfg_service_ops, health_interval_ms, CFG_F_ZERO, 100, 86400000)                                 \
	NUM(cfg_service_ops, health_timeout_ms, CFG_F_ZERO, 100, 3600000)                                   \
	NUM(cfg_service_ops, health_start_ms, 0, 0, 86400000)                                               \
	NUM(cfg_service_ops, health_retries, CFG_F_ZERO, 1, 1000)                                           \
	NUM(cfg_service_ops, watchdog_ms, CFG_F_ZERO, 100, 86400000)                                        \
	STR(cfg_service_ops, env_file, CFG_R_NONE, 0)                                                       \
	LIST(cfg_service_ops, success_exit, CFG_SEC_U32LIST)                                                \
	LIST(cfg_service_ops, prevent_exit, CFG_SEC_U32LIST)                                                \
	RECS(cfg_service_ops, secrets, CFG_SEC_SECRETS, CFG_REC_SECRET)                                     \
	FLAGS(cfg_service_ops, flags, 0)                                                                    \
	RESERVED(cfg_service_ops, reserved)

#define SECRET_FIELDS                                                                                       \
	STR(cfg_secret, source, CFG_R_NONE, 1)                                                              \
	STR(cfg_secret, target, CFG_R_SECRET, 1)

#define MOUNT_FIELDS                                                                                        \
	NUM(cfg_mount, kind, 0, CFG_MOUNT_TMPFS, CFG_MOUNT_BIND)                                            \
	FLAGS(cfg_mount, flags, CFG_MOUNT_RO | CFG_MOUNT_DEV | CFG_MOUNT_EXEC | CFG_MOUNT_SUID)              \
	STR(cfg_mount, source, CFG_R_NONE, 0)                                                               \
	STR(cfg_mount, target, CFG_R_TARGET, 1)                                                             \
	NUM(cfg_mount, mode, 0, 0, PERM_MAX)

#define IDMAP_FIELDS                                                                                        \
	NUM(cfg_idmap, kind, 0, CFG_IDMAP_UID, CFG_IDMAP_GID)                                               \
	NUM(cfg_idmap, inside, 0, 0, ID_MAX)                                                                \
	NUM(cfg_idmap, outside, 0, 0, ID_MAX)                                                               \
	NUM(cfg_idmap, count, 0, 1, 0xffffffffu)

#define RLIMIT_FIELDS                                                                                       \
	NUM(cfg_rlimit, resource, 0, 0, 15)                                                                 \
	RESERVED(cfg_rlimit, reserved)                                                                      \
	BIG(cfg_rlimit, soft, 0, 0, B_ANY)                                                                  \
	BIG(cfg_rlimit, hard, 0, 0, B_ANY)

#define SYSCALL_FIELDS                                                                                      \
	STR(cfg_syscall_rule, name, CFG_R_SYSCALL, 1)                                                       \
	NUM(cfg_syscall_rule, action, 0, CFG_SC_ALLOW, CFG_SC_KILL)                                         \
	NUM(cfg_syscall_rule, errno_value, 0, 0, 4095)                                                      \
	RESERVED(cfg_syscall_rule, reserved)

/* A rate or count of 0 would stop the device's I/O: "max" lifts a limit. */
#define IOLIMIT_FIELDS                                                                                      \
	STR(cfg_io_limit, device, CFG_R_ABSPATH, 1)                                                         \
	RESERVED(cfg_io_limit, reserved)                                                                    \
	BIG(cfg_io_limit, rbps, CFG_F_UNSET, 1, B_ANY)                                                      \
	BIG(cfg_io_limit, wbps, CFG_F_UNSET, 1, B_ANY)                                                      \
	BIG(cfg_io_limit, riops, CFG_F_UNSET, 1, B_ANY)                                                     \
	BIG(cfg_io_limit, wiops, CFG_F_UNSET, 1, B_ANY)

#define PORT_FIELDS                                                                                         \
	NUM(cfg_port, host_port, 0, 1, 65535)                                                               \
	NUM(cfg_port, container_port, 0, 1, 65535)                                                          \
	RESERVED(cfg_port, reserved)

#define DEVICE_FIELDS                                                                                       \
	STR(cfg_device, path, CFG_R_DEVPATH, 1)                                                             \
	NUM(cfg_device, type, 0, 'b', 'c')                                                                  \
	NUM(cfg_device, major, 0, 0, 4095)                                                                  \
	NUM(cfg_device, minor, 0, 0, 1048575)                                                               \
	FLAGS(cfg_device, access, CFG_DEV_READ | CFG_DEV_WRITE | CFG_DEV_MKNOD)                             \
	NUM(cfg_device, mode, 0, 0, PERM_MAX)

/* The digest, root and salt bytes take any value; the salt's tail is rule_verity's. */
#define VERITY_FIELDS                                                                                       \
	NUM(cfg_verity, salt_len, 0, 0, 32)                                                                 \
	NUM(cfg_verity, data_block_size, 0, 512, 4096)                                                      \
	NUM(cfg_verity, hash_block_size, 0, 512, 4096)                                                      \
	NUM(cfg_verity, hash, 0, CFG_VERITY_SHA256, CFG_VERITY_SHA256)                                      \
	BIG(cfg_verity, data_blocks, 0, 2, B_BLOCKS)                                                        \
	FLAGS(cfg_verity, flags, 0)                                                                         \
	RESERVED(cfg_verity, reserved)

/* 1.2. IPv6 addresses (16 bytes) are not table fields: cfg_rule_network_ext and
 * cfg_rule_service_ext check them. */
#define NETWORK_EXT_FIELDS                                                                                  \
	NUM(cfg_network_ext, prefix6, 0, 0, 128)                                                            \
	NUM(cfg_network_ext, uplink_prefix6, 0, 0, 128)                                                     \
	NUM(cfg_network_ext, vlan, CFG_F_ZERO, 1, CFG_VLAN_MAX)                                              \
	FLAGS(cfg_network_ext, flags, CFG_NETX_DHCP | CFG_NETX_SLAAC | CFG_NETX_NO_NAT66)                   \
	RESERVED(cfg_network_ext, reserved)

#define SERVICE_EXT_FIELDS                                                                                  \
	RECS(cfg_service_ext, talks_to, CFG_SEC_TALKS, CFG_REC_TALK)                                        \
	RECS(cfg_service_ext, egress, CFG_SEC_CIDRS, CFG_REC_CIDR)                                          \
	NUM(cfg_service_ext, egress_mode, 0, 0, CFG_EGRESS_LIST)                                            \
	STR(cfg_service_ext, join, CFG_R_NAME, 0)                                                           \
	X(CFG_F_BITS, cfg_service_ext, join_ns, 0, 0, CFG_NS_NET | CFG_NS_IPC | CFG_NS_UTS)                 \
	RESERVED(cfg_service_ext, reserved)

#define TALK_FIELDS                                                                                         \
	STR(cfg_talk, service, CFG_R_NAME, 1)                                                               \
	NUM(cfg_talk, port, 0, 0, 65535)                                                                    \
	NUM(cfg_talk, proto, 0, 0, CFG_PROTO_UDP)                                                           \
	RESERVED(cfg_talk, reserved)

#define CIDR_FIELDS                                                                                         \
	NUM(cfg_cidr, family, 0, 4, 6)                                                                      \
	NUM(cfg_cidr, prefix, 0, 0, 128)                                                                    \
	RESERVED(cfg_cidr, reserved)

#define FIREWALL_FIELDS                                                                                     \
	FLAGS(cfg_firewall, flags, CFG_FW_OFF)                                                              \
	RESERVED(cfg_firewall, reserved)

#define X ENTRY
static const struct cfg_field system_f[] = {SYSTEM_FIELDS}, system_ext_f[] = {SYSTEM_EXT_FIELDS},
			      network_f[] = {NETWORK_FIELDS}, service_f[] = {SERVICE_FIELDS}, mount_f[] = {MOUNT_FIELDS},
			      idmap_f[] = {IDMAP_FIELDS}, rlimit_f[] = {RLIMIT_FIELDS}, syscall_f[] = {SYSCALL_FIELDS},
			      iolimit_f[] = {IOLIMIT_FIELDS}, port_f[] = {PORT_FIELDS}, device_f[] = {DEVICE_FIELDS},
			      release_f[] = {RELEASE_FIELDS}, update_f[] = {UPDATE_FIELDS},
			      update_host_f[] = {UPDATE_HOST_FIELDS}, ops_f[] = {OPS_FIELDS},
			      service_ops_f[] = {SERVICE_OPS_FIELDS}, secret_f[] = {SECRET_FIELDS},
			      network_ext_f[] = {NETWORK_EXT_FIELDS}, service_ext_f[] = {SERVICE_EXT_FIELDS},
			      talk_f[] = {TALK_FIELDS}, cidr_f[] = {CIDR_FIELDS}, firewall_f[] = {FIREWALL_FIELDS},
			      verity_f[] = {VERITY_FIELDS};
#undef X
#define X NAME

static const char *rule_system(const void *rec, const char **field);
static const char *rule_service(const void *rec, const char **field);
static const char *rule_rlimit(const void *rec, const char **field);
static const char *rule_syscall(const void *rec, const char **field);
static const char *rule_iolimit(const void *rec, const char **field);
static const char *rule_port(const void *rec, const char **field);
static const char *rule_verity(const void *rec, const char **field);
static const char *rule_ops(const void *rec, const char **field);
static const char *rule_service_ops(const void *rec, const char **field);
static const char *rule_update(const void *rec, const char **field);
static const char *rule_talk(const void *rec, const char **field);
static const char *rule_cidr(const void *rec, const char **field);

#define KIND(t, fields, rule) {t, sizeof t / sizeof t[0], fields, rule}
const struct cfg_rec_rules cfg_rec_rules[CFG_REC_KINDS] = {
	[CFG_REC_SYSTEM] = KIND(system_f, SYSTEM_FIELDS, rule_system),
	[CFG_REC_SYSTEM_EXT] = KIND(system_ext_f, SYSTEM_EXT_FIELDS, NULL),
	[CFG_REC_NETWORK] = KIND(network_f, NETWORK_FIELDS, NULL),
	[CFG_REC_SERVICE] = KIND(service_f, SERVICE_FIELDS, rule_service),
	[CFG_REC_MOUNT] = KIND(mount_f, MOUNT_FIELDS, NULL),
	[CFG_REC_IDMAP] = KIND(idmap_f, IDMAP_FIELDS, NULL),
	[CFG_REC_RLIMIT] = KIND(rlimit_f, RLIMIT_FIELDS, rule_rlimit),
	[CFG_REC_SYSCALL] = KIND(syscall_f, SYSCALL_FIELDS, rule_syscall),
	[CFG_REC_IOLIMIT] = KIND(iolimit_f, IOLIMIT_FIELDS, rule_iolimit),
	[CFG_REC_PORT] = KIND(port_f, PORT_FIELDS, rule_port),
	[CFG_REC_RELEASE] = KIND(release_f, RELEASE_FIELDS, NULL),
	[CFG_REC_UPDATE] = KIND(update_f, UPDATE_FIELDS, rule_update),
	[CFG_REC_UPDATE_HOST] = KIND(update_host_f, UPDATE_HOST_FIELDS, NULL),
	[CFG_REC_DEVICE] = KIND(device_f, DEVICE_FIELDS, NULL),
	[CFG_REC_OPS] = KIND(ops_f, OPS_FIELDS, rule_ops),
	[CFG_REC_SERVICE_OPS] = KIND(service_ops_f, SERVICE_OPS_FIELDS, rule_service_ops),
	[CFG_REC_SECRET] = KIND(secret_f, SECRET_FIELDS, NULL),
	[CFG_REC_VERITY] = KIND(verity_f, VERITY_FIELDS, rule_verity),
	[CFG_REC_NETWORK_EXT] = KIND(network_ext_f, NETWORK_EXT_FIELDS, NULL),
	[CFG_REC_SERVICE_EXT] = KIND(service_ext_f, SERVICE_EXT_FIELDS, NULL),
	[CFG_REC_TALK] = KIND(talk_f, TALK_FIELDS, rule_talk),
	[CFG_REC_CIDR] = KIND(cidr_f, CIDR_FIELDS, rule_cidr),
	[CFG_REC_FIREWALL] = KIND(firewall_f, FIREWALL_FIELDS, NULL),
};
#undef X

uint64_t cfg_field_hi(const struct cfg_field *f)
{
	return f->how & CFG_F_BIG ? big[f->arg] : f->hi;
}

uint64_t cfg_field_get(const struct cfg_field *f, const void *rec)
{
	const uint8_t *p = (const uint8_t *)rec + f->off;
	uint64_t v = 0;
	if ((f->how & CFG_F_KIND) == CFG_F_RESERVED) {
		for (unsigned i = 0; i < f->size; i++)
			v |= p[i];
		return v;
	}
	memcpy(&v, p, f->size); /* little-endian (layout.h) */
	return v;
}

int cfg_field_ok(const struct cfg_field *f, uint64_t v, int strict)
{
	uint64_t hi = cfg_field_hi(f);
	switch (f->how & CFG_F_KIND) {
	case CFG_F_FLAGS:
	case CFG_F_RESERVED:
		return !strict || !(v & ~hi);
	case CFG_F_BITS:
		return !(v & ~hi);
	}
	uint64_t ones = f->size == 8 ? CFG_U64_UNSET : (1ull << (8 * f->size)) - 1;
	return (v >= f->lo && v <= hi) || (!v && (f->how & CFG_F_ZERO)) || (v == ones && (f->how & CFG_F_UNSET)) ||
	       (v == CFG_U64_MAX && (f->how & CFG_F_MAX));
}

const struct cfg_field *cfg_field_at(enum cfg_rec k, size_t off)
{
	for (uint32_t i = 0; i < cfg_rec_rules[k].n; i++)
		if (cfg_rec_rules[k].f[i].off == off)
			return &cfg_rec_rules[k].f[i];
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

/* Every byte of s is in one of the classes: a-z, A-Z, 0-9, or one of `extra`; 0 for none. */
static size_t span(const char *s, int upper, const char *extra)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (upper && c >= 'A' && c <= 'Z') ||
		      (c && strchr(extra, c))))
			break;
	}
	return n;
}

/* s is wholly made of span's classes and 1..max bytes long. */
static int word(const char *s, int upper, const char *extra, size_t max)
{
	size_t n = span(s, upper, extra);
	return n && n <= max && !s[n];
}

const char *cfg_rule_name(const char *s)
{
	return word(s, 0, "_-", 32) ? NULL : "expected 1..32 of a-z 0-9 _ -";
}

const char *cfg_rule_ifname(const char *s)
{
	size_t n = 0;
	while (s[n] > ' ' && s[n] < 0x7f && s[n] != '/' && s[n] != ':')
		n++;
	return n && n <= 15 && !s[n] ? NULL : "expected an interface name (1..15 characters)";
}

const char *cfg_rule_hostname(const char *s)
{
	return word(s, 1, "-.", 64) ? NULL : "expected a host name (letters, digits, '-', '.'; 1..64)";
}

const char *cfg_rule_abspath(const char *s)
{
	if (s[0] != '/' || strlen(s) > 4095)
		return "expected an absolute path (no '..')";
	for (const char *c = s; *c; c++) {
		if ((unsigned char)*c < ' ')
			return "expected an absolute path (no '..')";
		if (c[0] == '.' && c[1] == '.' && c[-1] == '/' && (c[2] == '/' || !c[2]))
			return "expected an absolute path (no '..')"; /* the runtime joins it to a container root */
	}
	return NULL;
}

/* The image keeps modules as /lib/modules/RELEASE/NAME.ko: a name is one file name, as the
 * kernel spells them (MODULE_NAME_LEN 56). */
const char *cfg_rule_module(const char *s)
{
	return word(s, 1, "_-", 55) ? NULL : "expected a module name (1..55 of letters, digits, '_', '-')";
}

/* The key becomes a path under /proc/sys (dots are separators): no '/', no empty component. */
const char *cfg_rule_sysctl(const char *s)
{
	const char *eq = strchr(s, '=');
	int ok = eq && eq != s && s[0] != '.' && eq[-1] != '.' && !strchr(s, '/');
	for (const char *c = s; ok && c < eq; c++)
		ok = (unsigned char)*c > ' ' && !(c[0] == '.' && c[1] == '.');
	return ok ? NULL : "expected key=value like net.ipv4.ip_forward=1 (no '/')";
}

const char *cfg_rule_env(const char *s)
{
	size_t n = span(s, 1, "_");
	return n && !(s[0] >= '0' && s[0] <= '9') && s[n] == '=' ? NULL : "expected NAME=value";
}

const char *cfg_rule_syscall(const char *s)
{
	return word(s, 0, "_", 64) ? NULL : "expected a syscall name like personality";
}

/* "N" or "N-M" items joined by commas, N <= M < 4096 (the kernel checks its own CPU count). */
const char *cfg_rule_cpus(const char *s)
{
	for (;;) {
		unsigned a = 0, b, digits = 0;
		for (; *s >= '0' && *s <= '9' && a < 4096; s++, digits++)
			a = a * 10 + (unsigned)(*s - '0');
		b = a;
		if (digits && *s == '-') {
			s++;
			b = 0;
			digits = 0;
			for (; *s >= '0' && *s <= '9' && b < 4096; s++, digits++)
				b = b * 10 + (unsigned)(*s - '0');
		}
		if (!digits || a > b || b >= 4096 || (*s && *s != ','))
			return "expected a CPU list like 0-1,3 (CPUs 0..4095, ranges low-high)";
		if (!*s++)
			return NULL;
	}
}

static const char *const clean_why = "expected an absolute path without '.', '..', '//' or a trailing '/'";

/* Where a mount may not go: over the root, or where the runtime (and the kernel's view of the
 * container) relies on what is there: /proc and /sys and anything in them, /dev itself (a tmpfs
 * at /dev/shm is fine). A runtime writing to /proc/self after a mount must reach the real one. */
const char *cfg_rule_mount_target(const char *s)
{
	if (!clean_path(s))
		return clean_why;
	if (!s[1] || under(s, "/proc") || under(s, "/sys") || !strcmp(s, "/dev"))
		return "expected a path other than /, /dev, /proc, /sys or under /proc or /sys";
	return NULL;
}

const char *cfg_rule_device_path(const char *s)
{
	return clean_path(s) && !strncmp(s, "/dev/", 5) ? NULL : "expected a clean path under /dev/";
}

const char *cfg_rule_secret_target(const char *s)
{
	size_t n = sizeof CFG_SECRETS_DIR; /* with its '/' */
	if (strncmp(s, CFG_SECRETS_DIR "/", n) || !word(s + n, 1, "._-", 64) || s[n] == '.')
		return "expected " CFG_SECRETS_DIR "/NAME (1..64 of letters, digits, '.', '_', '-'; not starting with '.')";
	return NULL;
}

const char *cfg_rule_out_file(const char *s)
{
	if (!clean_path(s) || !s[1])
		return clean_why;
	if (under(s, KEEL_DATA_DIR) || under(s, "/proc") || under(s, "/sys") || under(s, "/dev"))
		return "expected a file outside " KEEL_DATA_DIR ", /proc, /sys and /dev";
	return NULL;
}

const char *cfg_rule_volume_source(const char *s, uint32_t n, const char *(*root)(const void *ctx, uint32_t i),
				   const void *ctx)
{
	if (!clean_path(s) || strchr(s, ':'))
		return "expected an absolute path without '.', '..', '//', ':' or a trailing '/'";
	/* Neither inside keel's state nor above it: a volume of /data would reach /data/keel too. */
	if (under(s, KEEL_DATA_DIR) || under(KEEL_DATA_DIR, s))
		return "is or holds " KEEL_DATA_DIR ", keel's own state";
	for (uint32_t i = 0; i < n; i++)
		if (under(s, root(ctx, i)))
			return NULL;
	return "is not under a volume root ([system] volume_roots)";
}

const char *cfg_rule_str(unsigned rule, const char *s)
{
	static const char *(*const rules[])(const char *) = {
		[CFG_R_NAME] = cfg_rule_name,       [CFG_R_IFNAME] = cfg_rule_ifname, [CFG_R_HOSTNAME] = cfg_rule_hostname,
		[CFG_R_ABSPATH] = cfg_rule_abspath, [CFG_R_MODULE] = cfg_rule_module, [CFG_R_SYSCTL] = cfg_rule_sysctl,
		[CFG_R_ENV] = cfg_rule_env,         [CFG_R_SYSCALL] = cfg_rule_syscall, [CFG_R_CPUS] = cfg_rule_cpus,
		[CFG_R_ROOT] = cfg_rule_volume_root, [CFG_R_TARGET] = cfg_rule_mount_target,
		[CFG_R_DEVPATH] = cfg_rule_device_path, [CFG_R_SOURCE] = cfg_rule_source,
		[CFG_R_SECRET] = cfg_rule_secret_target, [CFG_R_OUTFILE] = cfg_rule_out_file,
	};
	return rule && rule < sizeof rules / sizeof rules[0] ? rules[rule](s) : NULL;
}

const char *cfg_rule_volume_root(const char *s)
{
	if (!clean_path(s) || !s[1] || under(s, KEEL_DATA_DIR))
		return "expected an absolute path without '.', '..' or '//', not / and not under " KEEL_DATA_DIR;
	return NULL;
}

/* ---- records ------------------------------------------------------------------------------------- */

#define WHY(f, msg) (*field = (f), (msg))

const char *cfg_rule_service_values(const struct cfg_service *s, const char **field)
{
	if (s->backoff_max_ms < s->backoff_initial_ms)
		return WHY("backoff_max_ms", "the maximum delay is below the initial one");
	if (!s->start_limit_burst != !s->start_limit_interval_s)
		return WHY("start_limit_burst", "expected both a burst and an interval, or neither");
	if (s->cpu_max_period_us && s->cpu_max_quota_us == CFG_U64_UNSET)
		return WHY("cpu_max_period_us", "a period needs a quota");
	if (!(s->namespaces & CFG_NS_MOUNT))
		return WHY("namespaces", "mount is required (the container's root is its own mount namespace)");
	return NULL;
}

const char *cfg_rule_service_whole(const struct cfg_service *s, const char **field)
{
	if (!s->argv.count)
		return WHY("argv", "missing exec");
	if (!s->layers.count)
		return WHY("layers", "missing layers");
	if (s->network && !(s->namespaces & CFG_NS_NET))
		return WHY("network", "network needs the net namespace");
	if ((s->ports.count || s->address) && !s->network)
		return WHY("network", "publish and address need a network");
	if (s->idmaps.count && !(s->namespaces & CFG_NS_USER))
		return WHY("idmaps", "uid_map/gid_map need the user namespace");
	return NULL;
}

static const char *rule_service(const void *rec, const char **field)
{
	const char *why = cfg_rule_service_values(rec, field);
	return why ? why : cfg_rule_service_whole(rec, field);
}

/* Only a binary can break these; the text's grammar cannot. */
static const char *rule_system(const void *rec, const char **field)
{
	const struct cfg_system *s = rec;
	if (!s->watchdog_device != !s->watchdog_timeout_s)
		return WHY("watchdog_timeout_s", "expected a device and a timeout, or neither");
	if (!s->data_device != !s->data_fstype || (s->data_options && !s->data_device))
		return WHY("data_fstype", "expected a device and a file system type (and options), or none");
	return NULL;
}

const char *cfg_rule_mount(const struct cfg_mount *m, const char *source, const char *target, const char **field)
{
	const char *why = cfg_rule_mount_target(target);
	if (why)
		return WHY("target", why);
	if (m->kind == CFG_MOUNT_TMPFS)
		return *source ? WHY("source", "a tmpfs has no source") : NULL;
	if (strchr(target, ':'))
		return WHY("target", "expected no ':' in a volume's target");
	return m->size || m->mode ? WHY("size", "a volume has no size or mode") : NULL;
}

static const char *rule_rlimit(const void *rec, const char **field)
{
	const struct cfg_rlimit *x = rec;
	return x->soft > x->hard ? WHY("soft", "the soft limit is above the hard limit") : NULL;
}

static const char *rule_syscall(const void *rec, const char **field)
{
	const struct cfg_syscall_rule *x = rec;
	if ((x->action == CFG_SC_ERRNO) != (x->errno_value != 0))
		return WHY("errno_value", "expected an errno 1..4095 with errno and only with it");
	return NULL;
}

static const char *rule_iolimit(const void *rec, const char **field)
{
	const struct cfg_io_limit *x = rec;
	if (x->rbps == CFG_U64_UNSET && x->wbps == CFG_U64_UNSET && x->riops == CFG_U64_UNSET &&
	    x->wiops == CFG_U64_UNSET)
		return WHY("rbps", "expected at least one of rbps, wbps, riops, wiops");
	return NULL;
}

static const char *rule_verity(const void *rec, const char **field)
{
	const struct cfg_verity *x = rec;
	if (x->data_block_size & (x->data_block_size - 1))
		return WHY("data_block_size", "expected a power of two");
	if (x->hash_block_size & (x->hash_block_size - 1))
		return WHY("hash_block_size", "expected a power of two");
	for (uint32_t i = x->salt_len; i < sizeof x->salt; i++)
		if (x->salt[i])
			return WHY("salt", "bytes after salt_len must be 0");
	return NULL;
}

static const char *rule_port(const void *rec, const char **field)
{
	const struct cfg_port *x = rec;
	return x->proto == CFG_PROTO_TCP || x->proto == CFG_PROTO_UDP ? NULL
								       : WHY("proto", "expected 6 (tcp) or 17 (udp)");
}

/* A collector is an address and a protocol together; TLS checks the collector's certificate, so
 * it needs the CA and the name; a metrics file needs its interval. */
static const char *rule_ops(const void *rec, const char **field)
{
	const struct cfg_ops *o = rec;
	if (!o->syslog_proto != !o->syslog_address)
		return WHY("syslog_address", "expected a protocol and an address, or neither");
	if (!o->syslog_proto && (o->syslog_port || o->syslog_ca || o->syslog_server_name))
		return WHY("syslog_port", "a port, CA or server name needs a syslog collector");
	int tls = o->syslog_proto == CFG_SYSLOG_TLS;
	if ((tls && !(o->syslog_ca && o->syslog_server_name)) || (!tls && (o->syslog_ca || o->syslog_server_name)))
		return WHY("syslog_ca", "expected a CA and a server name with tls and only with it");
	if (!o->metrics_interval_s != !o->metrics_file)
		return WHY("metrics_file", "expected a file and an interval, or neither");
	return NULL;
}

const char *cfg_rule_service_ops(const struct cfg_service_ops *o, const char **field)
{
	if (!o->health.count && (o->health_interval_ms || o->health_timeout_ms || o->health_start_ms || o->health_retries))
		return WHY("health", "health_interval, health_timeout, health_start_period and health_retries need health");
	return NULL;
}

static const char *rule_service_ops(const void *rec, const char **field)
{
	return cfg_rule_service_ops(rec, field);
}

/* A poll needs a source; an https registry needs the CAs to check its chain against. */
static const char *rule_update(const void *rec, const char **field)
{
	const struct cfg_update *u = rec;
	if (u->poll_s && !u->source)
		return WHY("poll", "needs a source");
	if (u->jitter_s > u->poll_s)
		return WHY("poll", "the jitter is longer than the interval");
	if (u->source && !u->ca && !(u->flags & CFG_UPD_PLAIN_HTTP))
		return WHY("ca", "expected the CA file an https registry's certificate chain is checked against (or plain_http = yes)");
	return NULL;
}

static const char *rule_talk(const void *rec, const char **field)
{
	const struct cfg_talk *x = rec;
	if (x->proto != 0 && x->proto != CFG_PROTO_TCP && x->proto != CFG_PROTO_UDP)
		return WHY("proto", "expected 0 (any), 6 (tcp) or 17 (udp)");
	return !x->port != !x->proto ? WHY("port", "expected a port with its protocol, or neither") : NULL;
}

/* Bits of a 16-byte address from bit `from` on are all 0. */
static int tail_zero(const uint8_t *a, uint32_t from)
{
	for (uint32_t b = from; b < 128; b++)
		if (a[b / 8] >> (7 - b % 8) & 1)
			return 0;
	return 1;
}

static const char *rule_cidr(const void *rec, const char **field)
{
	const struct cfg_cidr *x = rec;
	if (x->family != 4 && x->family != 6)
		return WHY("family", "expected 4 or 6");
	if (x->prefix > (x->family == 4 ? 32 : 128))
		return WHY("prefix", "longer than the address");
	if (x->family == 4 && !tail_zero(x->addr, 32))
		return WHY("addr", "an IPv4 address has 12 zero bytes after it");
	return tail_zero(x->addr, x->prefix) ? NULL : WHY("addr", "host bits set after the prefix");
}

/* ---- networks, 1.2 ----------------------------------------------------------------------------------- */

int cfg_ip6_zero(const uint8_t a[16])
{
	return tail_zero(a, 0);
}

void cfg_uplink_name(const char *uplink, uint32_t vlan, char out[16])
{
	size_t n = strlen(uplink);
	if (n > 15)
		n = 15;
	memcpy(out, uplink, n);
	out[n] = '\0';
	if (vlan && n < 11) {
		char d[6];
		int k = 0;
		for (uint32_t v = vlan; v && k < 5; v /= 10)
			d[k++] = (char)('0' + v % 10);
		if (n + 1 + (size_t)k <= 15) {
			out[n++] = '.';
			while (k)
				out[n++] = d[--k];
			out[n] = '\0';
		}
	}
}

/* Unusable as an interface's own address: unspecified, loopback, multicast. */
static int ip6_special(const uint8_t a[16])
{
	static const uint8_t loop[16] = {[15] = 1};
	return a[0] == 0xff || tail_zero(a, 0) || !memcmp(a, loop, 16);
}

int cfg_rule_address6(const uint8_t a[16], const uint8_t net[16], uint32_t prefix)
{
	if (cfg_ip6_zero(a) || !prefix)
		return CFG_ADDR_OK;
	for (uint32_t b = 0; b < prefix && b < 128; b++)
		if ((a[b / 8] ^ net[b / 8]) >> (7 - b % 8) & 1)
			return CFG_ADDR_OUTSIDE;
	if (!memcmp(a, net, 16))
		return CFG_ADDR_BRIDGE;
	uint8_t host[16];
	memcpy(host, a, 16);
	for (uint32_t b = 0; b < prefix && b < 128; b++)
		host[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	return prefix < 127 && tail_zero(host, 0) ? CFG_ADDR_EDGE : CFG_ADDR_OK;
}

const char *cfg_rule_network_ext(const struct cfg_network *n, const struct cfg_network_ext *x, const char *uplink,
				 const char **field)
{
	if (x->vlan && !*uplink)
		return WHY("vlan", "a VLAN is a sub-interface of the uplink: expected an uplink");
	char name[16];
	cfg_uplink_name(uplink, x->vlan, name);
	if (x->vlan && strlen(uplink) + 1 + (x->vlan >= 1000 ? 4 : x->vlan >= 100 ? 3 : x->vlan >= 10 ? 2 : 1) > 15)
		return WHY("vlan", "UPLINK.VLAN is longer than an interface name (15 characters)");
	if ((x->flags & CFG_NETX_DHCP) && (!*uplink || n->uplink_address || n->uplink_prefix || n->gateway))
		return WHY("uplink_address", "dhcp needs an uplink and no static uplink_address or gateway");
	if ((x->flags & CFG_NETX_SLAAC) && (!*uplink || x->uplink_prefix6 || !cfg_ip6_zero(x->gateway6)))
		return WHY("uplink_address6", "auto needs an uplink and no static uplink_address6 or gateway6");
	if ((!cfg_ip6_zero(x->uplink_address6) || !cfg_ip6_zero(x->gateway6)) && !*uplink)
		return WHY("uplink_address6", "expected an uplink");
	if ((!x->prefix6) != cfg_ip6_zero(x->address6) || (!x->uplink_prefix6) != cfg_ip6_zero(x->uplink_address6))
		return WHY("prefix6", "expected an IPv6 address with its prefix length, or neither");
	if ((x->prefix6 && ip6_special(x->address6)) || (x->uplink_prefix6 && ip6_special(x->uplink_address6)) ||
	    (!cfg_ip6_zero(x->gateway6) && ip6_special(x->gateway6)))
		return WHY("address6", "expected a unicast address (not ::, ::1 or multicast)");
	if (x->prefix6 && (!n->address || n->prefix > 30))
		return WHY("address6", "an IPv6 subnet needs the network's IPv4 subnet (address = A.B.C.D/0..30)");
	if (x->prefix6 && x->prefix6 > 128 - (32 - n->prefix))
		return WHY("prefix6", "the IPv6 prefix does not fit: its host part is shorter than the IPv4 subnet's");
	if ((x->flags & CFG_NETX_NO_NAT66) && !x->prefix6)
		return WHY("flags", "nat66 = no needs an IPv6 subnet (address6)");
	return NULL;
}

const char *cfg_rule_service_ext(const struct cfg_service *s, const struct cfg_service_ext *x, const char **field)
{
	if (!x->join != !x->join_ns)
		return WHY("join_ns", "expected a service to join with the namespaces joined, or neither");
	if (x->join_ns & s->namespaces)
		return WHY("join_ns", "a namespace is either the service's own or joined, not both");
	if (x->join && (s->namespaces & CFG_NS_USER))
		return WHY("join", "joining another service's namespaces needs no user namespace of its own");
	if ((x->join_ns & CFG_NS_NET) && (s->network || s->address || s->ports.count || !cfg_ip6_zero(x->address6)))
		return WHY("join", "network = service:NAME takes NAME's network: no network, address or publish of its own");
	if (!cfg_ip6_zero(x->address6) && (!s->network || ip6_special(x->address6)))
		return WHY("address6", "expected a unicast IPv6 address, with a network");
	if ((x->egress_mode == CFG_EGRESS_LIST) != (x->egress.count != 0))
		return WHY("egress", "expected CIDRs exactly with egress = CIDR ...");
	if ((x->talks_to.count || x->egress_mode) && !s->network && !(x->join_ns & CFG_NS_NET))
		return WHY("talks_to", "talks_to and egress need a network (or network = service:NAME)");
	return NULL;
}

const char *cfg_rule_talk_target(const struct cfg_service *t, const struct cfg_service_ext *tx)
{
	return t->network || (tx->join_ns & CFG_NS_NET) ? NULL : "is on no network";
}

int cfg_rule_net_owner(uint32_t n, int (*join)(const void *ctx, uint32_t i), const void *ctx, uint32_t i)
{
	for (uint32_t hops = 0; hops <= n; hops++) {
		int j = join(ctx, i);
		if (j < 0)
			return (int)i;
		i = (uint32_t)j;
	}
	return -1;
}

/* ---- between records ------------------------------------------------------------------------------ */

int cfg_rule_address(uint32_t a, uint32_t net, uint32_t prefix)
{
	if (!a || !prefix)
		return CFG_ADDR_OK;
	uint32_t mask = prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
	if ((a & mask) != (net & mask))
		return CFG_ADDR_OUTSIDE;
	if (a == net)
		return CFG_ADDR_BRIDGE;
	if (prefix <= 30 && ((a & ~mask) == 0 || (a & ~mask) == ~mask))
		return CFG_ADDR_EDGE;
	return CFG_ADDR_OK;
}

int cfg_rule_port_seen(uint8_t *seen, const struct cfg_port *p)
{
	uint32_t bit = (uint32_t)(p->proto == CFG_PROTO_UDP) << 16 | p->host_port;
	int was = seen[bit / 8] >> (bit % 8) & 1;
	seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
	return was;
}

int cfg_rule_names(const char *self, uint32_t n, const char *(*name)(const void *ctx, uint32_t k), const void *ctx,
		   uint32_t *bad)
{
	for (uint32_t k = 0; k < n; k++) {
		const char *s = name(ctx, k);
		*bad = k;
		if (!strcmp(s, self))
			return 1;
		for (uint32_t q = 0; q < k; q++)
			if (!strcmp(name(ctx, q), s))
				return 2;
	}
	return 0;
}

/* Depth-first, iteratively (the device's stack is not for recursion 256 deep): a back edge to a
 * service still on the path closes a cycle no start order can satisfy. */
int cfg_rule_cycle(uint32_t n, int (*edge)(const void *ctx, uint32_t i, uint32_t k), const void *ctx,
		   uint32_t *at_i, uint32_t *at_k)
{
	uint8_t state[CFG_MAX_SERVICES] = {0}; /* 0 new, 1 on the path, 2 done */
	struct { uint16_t i; uint16_t k; } path[CFG_MAX_SERVICES];
	for (uint32_t start = 0; start < n && start < CFG_MAX_SERVICES; start++) {
		if (state[start])
			continue;
		uint32_t depth = 0;
		path[0].i = (uint16_t)start;
		path[0].k = 0;
		state[start] = 1;
		while (depth != UINT32_MAX) {
			uint32_t i = path[depth].i, k = path[depth].k++;
			int j = edge(ctx, i, k);
			if (j == -1) {
				state[i] = 2;
				depth--;
				continue;
			}
			if (j < 0 || (uint32_t)j >= n || state[j] == 2)
				continue;
			if (state[j] == 1) {
				*at_i = i;
				*at_k = k;
				return 1;
			}
			state[j] = 1;
			depth++;
			path[depth].i = (uint16_t)j;
			path[depth].k = 0;
		}
	}
	return 0;
}
