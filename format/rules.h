/* The rules a config's values follow, written once: keelc checks them with FILE:LINE:COL, the
 * device's reader (cfg_open) with offsets, so the device enforces every rule keelc does.
 *
 * A string rule returns NULL when the value follows it, else what was expected ("expected an
 * absolute path (no '..')"); a record rule also names the field. Callers add where and what was
 * written. */
#ifndef KEEL_FORMAT_RULES_H
#define KEEL_FORMAT_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/paths.h"
#include "layout.h"

/* ---- every field of every record: one table per record kind ---------------------------------- */

enum cfg_rec {
	CFG_REC_SYSTEM, CFG_REC_SYSTEM_EXT, CFG_REC_NETWORK, CFG_REC_SERVICE, CFG_REC_MOUNT, CFG_REC_IDMAP,
	CFG_REC_RLIMIT, CFG_REC_SYSCALL, CFG_REC_IOLIMIT, CFG_REC_PORT, CFG_REC_DEVICE, CFG_REC_RELEASE,
	CFG_REC_UPDATE, CFG_REC_UPDATE_HOST, CFG_REC_OPS, CFG_REC_SERVICE_OPS, CFG_REC_SECRET,
	CFG_REC_NETWORK_EXT, CFG_REC_SERVICE_EXT, CFG_REC_TALK, CFG_REC_CIDR, CFG_REC_FIREWALL, CFG_REC_VERITY,
	CFG_REC_KINDS
};

/* struct cfg_field.how: the kind in the low 3 bits, then what a number may also be. */
#define CFG_F_NUM 0u            /* lo..hi */
#define CFG_F_FLAGS 1u          /* a flag word; hi = the known bits (unknown ones: see strict) */
#define CFG_F_BITS 2u           /* a set of bits; hi = the bits allowed, in every minor */
#define CFG_F_RESERVED 3u       /* `size` bytes that are 0 (see strict) */
#define CFG_F_STR 4u            /* a string; arg = its rule (CFG_R_*), lo = 1: must be set */
#define CFG_F_STRS 5u           /* a range of STRLIST strings; arg = their rule (each is set) */
#define CFG_F_LIST 6u           /* a range of section hi's entries (DIGESTS, U32LIST) */
#define CFG_F_RECS 7u           /* a range of section hi's records, of record kind arg */
#define CFG_F_KIND 7u
#define CFG_F_ZERO 0x08u        /* 0 is also allowed (unset) */
#define CFG_F_UNSET 0x10u       /* all ones is also allowed (CFG_U32_UNSET, CFG_U64_UNSET) */
#define CFG_F_MAX 0x20u         /* CFG_U64_MAX ("max") is also allowed */
#define CFG_F_BIG 0x40u         /* hi is a 64-bit value: cfg_field_hi() */

struct cfg_field {              /* 12 bytes */
	uint16_t off;           /* in the record */
	uint8_t size;           /* bytes */
	uint8_t how;
	uint8_t arg;
	uint8_t unused;
	uint16_t lo;
	uint32_t hi;
};

struct cfg_rec_rules {
	const struct cfg_field *f;
	uint32_t n;
	const char *names;      /* the fields' names, NUL-separated, in table order */
	/* between the record's fields (NULL: none); returns what is wrong and sets *field */
	const char *(*rule)(const void *rec, const char **field);
};
extern const struct cfg_rec_rules cfg_rec_rules[CFG_REC_KINDS];

uint64_t cfg_field_hi(const struct cfg_field *f);
uint64_t cfg_field_get(const struct cfg_field *f, const void *rec); /* RESERVED: non-zero if any byte is */
/* A number field's value is allowed. strict: the file's minor is not newer than this reader's, so
 * an unknown flag bit or a non-zero reserved byte is refused; a newer minor's file has them
 * ignored (a newer minor gives them only meanings that are safe to ignore). */
int cfg_field_ok(const struct cfg_field *f, uint64_t v, int strict);
/* The field at byte `off` of a record of kind k (keelc: its lo..hi), or NULL. */
const struct cfg_field *cfg_field_at(enum cfg_rec k, size_t off);

/* ---- strings ---------------------------------------------------------------------------------- */

#define CFG_DATA_ROOT "/data"           /* the volume root when [system] names none (and in 1.0) */
#define CFG_MAX_VOLUME_ROOTS 16u

enum { CFG_R_NONE, CFG_R_NAME, CFG_R_IFNAME, CFG_R_HOSTNAME, CFG_R_ABSPATH, CFG_R_MODULE, CFG_R_SYSCTL,
       CFG_R_ENV, CFG_R_SYSCALL, CFG_R_CPUS, CFG_R_ROOT, CFG_R_TARGET, CFG_R_DEVPATH, CFG_R_SOURCE,
       CFG_R_SECRET, CFG_R_OUTFILE };
#define CFG_SECRETS_DIR "/run/secrets"  /* a service's secrets: a tmpfs of its own there */
#define CFG_MAX_SECRETS 32u             /* per service */
#define CFG_MAX_EXIT_LIST 256u          /* success_exit, restart_prevent_exit entries */
const char *cfg_rule_str(unsigned rule, const char *s);   /* CFG_R_*: NULL or what was expected */

const char *cfg_rule_name(const char *s);          /* service and network names: [a-z0-9_-]{1,32} */
const char *cfg_rule_ifname(const char *s);        /* a Linux interface name */
const char *cfg_rule_hostname(const char *s);
const char *cfg_rule_abspath(const char *s);       /* absolute, no '..' component */
const char *cfg_rule_module(const char *s);
const char *cfg_rule_sysctl(const char *s);        /* key=value, no '/' */
const char *cfg_rule_env(const char *s);           /* NAME=value */
const char *cfg_rule_syscall(const char *s);       /* the name's spelling; keelc, and the device at
                                                      a start, also look it up in the syscall table */
const char *cfg_rule_cpus(const char *s);          /* a CPU list like 0-1,3 */
const char *cfg_rule_volume_root(const char *s);
const char *cfg_rule_mount_target(const char *s);  /* where a tmpfs or volume goes in the container */
const char *cfg_rule_device_path(const char *s);   /* a device node, under /dev/ */
const char *cfg_rule_secret_target(const char *s); /* /run/secrets/NAME, one file name */
const char *cfg_rule_out_file(const char *s);      /* a file keel writes (metrics_file): clean, not in
                                                      /data/keel, /proc, /sys or /dev */
const char *cfg_rule_source(const char *s);        /* an image reference (format/ref.c) */
#define CFG_UPDATE_HOSTS_MAX 16u                   /* [update] host entries */
#define CFG_POLL_MIN_S 60u                         /* [update] poll: at most once a minute */
#define CFG_POLL_MAX_S (30u * 86400u)
/* A volume's source: a clean path under one of the n roots root(ctx, i), never under /data/keel. */
const char *cfg_rule_volume_source(const char *s, uint32_t n, const char *(*root)(const void *ctx, uint32_t i),
				   const void *ctx);

/* ---- records: rules between fields -------------------------------------------------------------- */

/* What one text key sets together (keelc checks it after each key). */
const char *cfg_rule_service_values(const struct cfg_service *s, const char **field);
/* What needs the whole [service] (keelc checks it at the section's end): argv, layers, network,
 * ports, idmaps are read as counts and references (non-zero = given). */
const char *cfg_rule_service_whole(const struct cfg_service *s, const char **field);
/* A mount with its strings; a volume's source is checked with cfg_rule_volume_source. */
const char *cfg_rule_mount(const struct cfg_mount *m, const char *source, const char *target, const char **field);
/* The operations (format 1.2) a service's record holds together: a health option needs a health
 * command, whose argv[0] the caller checks. */
const char *cfg_rule_service_ops(const struct cfg_service_ops *o, const char **field);
/* The other kinds' rules are cfg_rec_rules[k].rule. */

/* ---- networks, 1.2 (docs/networking.md) ------------------------------------------------------------ */

#define CFG_VLAN_MAX 4094u
/* A network with its continuation and its uplink's name: a VLAN needs an uplink and UPLINK.VLAN must
 * be an interface name; DHCP and SLAAC need an uplink and exclude a static address of their family;
 * an IPv6 subnet needs the IPv4 one and room for each of its hosts (derived addresses: the IPv4 host
 * part in the low bits), no multicast, loopback or unspecified address. */
const char *cfg_rule_network_ext(const struct cfg_network *n, const struct cfg_network_ext *x, const char *uplink,
				 const char **field);
/* UPLINK.VLAN (the sub-interface keel makes) into out[16]; the uplink itself without a VLAN. */
void cfg_uplink_name(const char *uplink, uint32_t vlan, char out[16]);
/* An IPv6 address on a subnet: CFG_ADDR_* as cfg_rule_address (EDGE: the subnet's all-zero host). */
int cfg_rule_address6(const uint8_t a[16], const uint8_t net[16], uint32_t prefix);
int cfg_ip6_zero(const uint8_t a[16]);
/* A service's continuation against its record: a join replaces the namespaces it joins (and, for
 * the network, network, address, publish); talks_to and egress need a network or a joined one; the
 * egress list is given exactly with egress = CIDR; a service joining one cannot have a user
 * namespace (setns into a namespace its user namespace does not own fails). */
const char *cfg_rule_service_ext(const struct cfg_service *s, const struct cfg_service_ext *x, const char **field);
/* A talks_to target must be reachable: on a network, or joined into the namespace of one that is. */
const char *cfg_rule_talk_target(const struct cfg_service *t, const struct cfg_service_ext *tx);
/* The service whose network namespace has the address of service i: following net joins to the
 * service that owns the namespace. join(ctx, i) is the index i joins (net), -1 for none. Returns -1
 * for a cycle (the cycle rule refuses those first). */
int cfg_rule_net_owner(uint32_t n, int (*join)(const void *ctx, uint32_t i), const void *ctx, uint32_t i);

/* ---- between records ---------------------------------------------------------------------------- */

/* A fixed address on a network: 0 if fine, else CFG_ADDR_* (the caller says it with the names). */
enum { CFG_ADDR_OK, CFG_ADDR_OUTSIDE, CFG_ADDR_BRIDGE, CFG_ADDR_EDGE };
int cfg_rule_address(uint32_t addr, uint32_t net_address, uint32_t prefix);

/* A (protocol, host port) is published once in a config: `seen` is a CFG_PORTS_SEEN-byte bitmap,
 * zeroed by the caller; returns 1 when p was seen before (and marks it). */
#define CFG_PORTS_SEEN (2u * 65536u / 8u)
int cfg_rule_port_seen(uint8_t *seen, const struct cfg_port *p);

/* A list of names a service waits for (depends, after): none is the service itself or twice in
 * the list. name(ctx, k) is the k-th of n. 0 if fine, else 1 (itself) or 2 (twice), at *bad. */
int cfg_rule_names(const char *self, uint32_t n, const char *(*name)(const void *ctx, uint32_t k), const void *ctx,
		   uint32_t *bad);

/* depends + after form no cycle. edge(ctx, i, k) is the index of the k-th service that service i
 * waits for (depends first, then after), -1 past the last, -2 for a name that is not a service.
 * Returns 1 when an edge closes a cycle: service *at_i, its edge *at_k. n <= CFG_MAX_SERVICES. */
int cfg_rule_cycle(uint32_t n, int (*edge)(const void *ctx, uint32_t i, uint32_t k), const void *ctx,
		   uint32_t *at_i, uint32_t *at_k);

#endif
