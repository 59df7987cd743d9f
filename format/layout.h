/* The binary config's on-disk layout (version 1.2): header, section table and fixed-size records.
 *
 * Little-endian only. Every multi-byte field is naturally aligned: sections start on 8-byte
 * boundaries and every entry_size is a multiple of 8, so a validated buffer that is itself 8-byte
 * aligned can be read through these structs in place (zero-copy). docs/config-binary.md is the
 * prose version of this file; change both together.
 *
 * File:  [header 64 B][section table: section_count x 24 B][sections ...]   = total_size bytes
 *        [optional signature trailer: struct cfg_sig_trailer + sig bytes]   (flags & CFG_F_SIGNED)
 *
 * Integrity: header.digest = SHA-256(file[0..32) || file[64..total_size)), i.e. everything but the
 * digest itself. The signature (ECDSA P-256, raw r||s) is over that digest.
 *
 * References: a string is a u32 offset into the STRINGS section (offset 0 is the empty string,
 * meaning "unset"); a list is a struct cfg_range {first, count} of entries in one list section.
 *
 * Compatibility (docs/config-binary.md, "Compatibility"): a minor version only adds section types,
 * records never grow; a section with security meaning is REQUIRED; unknown flag bits, non-zero
 * reserved fields and unknown sections are refused in a file whose minor is not newer than the
 * reader's, ignored only in a newer one. Every reserved field below is 0 and every flag word has
 * only the bits defined here, in files of minor <= CFG_VERSION_MINOR. */
#ifndef KEEL_FORMAT_LAYOUT_H
#define KEEL_FORMAT_LAYOUT_H

#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "keel's binary config is read in place: little-endian targets only"
#endif

#define CFG_MAGIC "KEELCFG\x1a"   /* 8 bytes, no terminator stored */
#define CFG_MAGIC_LEN 8
#define CFG_VERSION_MAJOR 1
#define CFG_VERSION_MINOR 2       /* 1.1: caps_add/caps_drop as podman's (keel.conf(5)), SYSTEM_EXT;
                                     1.2: RELEASE, UPDATE, UPDATE_HOSTS (registry updates), OPS,
                                     SERVICE_OPS, SECRETS (operations); the firewall, closed by default (FIREWALL), IPv6, DHCP, VLANs,
                                     talks_to, egress, shared namespaces; VERITY (dm-verity) */
#define CFG_MAX_SIZE (16u << 20)  /* readers refuse larger files */
/* A whole config file: the config proper plus a P-256 signature trailer. */
#define CFG_MAX_FILE_SIZE (CFG_MAX_SIZE + 16u + 64u)
/* Readers refuse more: these bound the reader's name checks (unique names, depends/after and
 * network references are compared by name) to well under a second on a small device. */
#define CFG_MAX_SERVICES 256u
#define CFG_MAX_NETWORKS 64u

/* "unset" and "max" for 64-bit limits (memory.max = max is not the same as not writing it). */
#define CFG_U64_UNSET UINT64_MAX
#define CFG_U64_MAX (UINT64_MAX - 1)
#define CFG_U32_UNSET UINT32_MAX

struct cfg_header {                 /* 64 bytes at offset 0 */
	uint8_t magic[CFG_MAGIC_LEN];
	uint16_t major;                 /* a reader refuses a newer major */
	uint16_t minor;                 /* newer minors only add section types */
	uint32_t header_size;           /* 64 (a newer minor may grow it; the reader ignores the rest) */
	uint32_t total_size;            /* header + table + sections; trailer follows */
	uint32_t section_offset;        /* offset of the section table (64) */
	uint32_t section_count;
	uint32_t flags;                 /* CFG_F_* */
	uint8_t digest[32];             /* see above */
};

#define CFG_F_SIGNED 0x1u

enum cfg_section_type {
	CFG_SEC_STRINGS = 1,   /* NUL-terminated strings; byte 0 is '\0'; last byte is '\0' */
	CFG_SEC_SYSTEM = 2,    /* exactly one struct cfg_system */
	CFG_SEC_NETWORKS = 3,  /* struct cfg_network[] */
	CFG_SEC_SERVICES = 4,  /* struct cfg_service[] */
	CFG_SEC_STRLIST = 5,   /* uint32_t string refs (argv, env, modules, depends, ...); 0 = "" */
	CFG_SEC_U32LIST = 6,   /* uint32_t values (supplementary groups) */
	CFG_SEC_DIGESTS = 7,   /* uint8_t[32] SHA-256 layer digests */
	CFG_SEC_MOUNTS = 8,    /* struct cfg_mount[] (tmpfs paths and volumes) */
	CFG_SEC_IDMAPS = 9,    /* struct cfg_idmap[] */
	CFG_SEC_RLIMITS = 10,  /* struct cfg_rlimit[] */
	CFG_SEC_SYSCALLS = 11, /* struct cfg_syscall_rule[] */
	CFG_SEC_IOLIMITS = 12, /* struct cfg_io_limit[] */
	CFG_SEC_PORTS = 13,    /* struct cfg_port[] */
	CFG_SEC_DEVICES = 14,  /* struct cfg_device[] */
	CFG_SEC_SYSTEM_EXT = 15, /* 1.1: exactly one struct cfg_system_ext ("system, continued") */
	/* 16-17: OCI images (#16); 18-20: registry updates (#17) */
	CFG_SEC_RELEASE = 18,  /* 1.2: exactly one struct cfg_release: serial, oldest keel */
	CFG_SEC_UPDATE = 19,   /* 1.2: exactly one struct cfg_update: where updates come from */
	CFG_SEC_UPDATE_HOSTS = 20, /* 1.2: struct cfg_update_host[] ([update] host) */
	/* 21..25: operations (#19) */
	CFG_SEC_OPS = 21,        /* 1.2: at most one struct cfg_ops: persistent logs, syslog, metrics */
	CFG_SEC_SERVICE_OPS = 22, /* 1.2: struct cfg_service_ops[], one per service, in service order */
	CFG_SEC_SECRETS = 23,    /* 1.2: struct cfg_secret[] */
	/* 26-30: networking (#20) */
	CFG_SEC_NETWORKS_EXT = 26, /* 1.2: struct cfg_network_ext[], one per network, in NETWORKS' order */
	CFG_SEC_SERVICES_EXT = 27, /* 1.2: struct cfg_service_ext[], one per service, in SERVICES' order */
	CFG_SEC_TALKS = 28,     /* 1.2: struct cfg_talk[] (talks_to) */
	CFG_SEC_CIDRS = 29,     /* 1.2: struct cfg_cidr[] (egress) */
	CFG_SEC_FIREWALL = 30,  /* 1.2: exactly one struct cfg_firewall */
	CFG_SEC_VERITY = 32,   /* 1.2: struct cfg_verity[], sorted by digest (types 32-35: issue 21) */
};

/* Section flags. A reader that does not know a section's type refuses the file when the section is
 * REQUIRED or the file's minor is not newer than its own, else skips it. keelc marks every section
 * REQUIRED; a section with security meaning must be. */
#define CFG_SECF_REQUIRED 0x1u

struct cfg_section {                /* 24 bytes; the table is sorted by nothing, types are unique */
	uint16_t type;
	uint16_t flags;
	uint32_t offset;                /* from file start, multiple of 8 */
	uint32_t size;                  /* bytes; == count * entry_size for record sections */
	uint32_t count;                 /* records (STRINGS: 0) */
	uint32_t entry_size;            /* the struct size (lists of u32: 4; STRINGS: 1); a newer
	                                   minor's file may say more, a multiple of 8: the tail is skipped */
	uint32_t reserved;              /* 0 */
};

struct cfg_range {
	uint32_t first;
	uint32_t count;
};

/* ---- system ------------------------------------------------------------------------------- */

enum cfg_action { CFG_ACT_REBOOT = 0, CFG_ACT_POWEROFF = 1, CFG_ACT_HALT = 2, CFG_ACT_IGNORE = 3 };

#define CFG_SYS_IP_FORWARD 0x1u
#define CFG_SYS_CONSOLE_SHELL 0x2u     /* keep a /bin/sh on the console (debug images) */

struct cfg_system {                 /* 64 bytes */
	uint32_t hostname;              /* str */
	uint32_t console_log_level;     /* 0..8 (printk level); CFG_U32_UNSET = leave as is */
	struct cfg_range modules;       /* STRLIST: module names, loaded in this order */
	struct cfg_range sysctls;       /* STRLIST: "key=value" (key with dots) */
	uint32_t watchdog_device;       /* str, e.g. /dev/watchdog; 0 = none */
	uint32_t watchdog_timeout_s;
	uint32_t data_device;           /* str, e.g. /dev/vda; 0 = none (tmpfs /data) */
	uint32_t data_fstype;           /* str, e.g. ext4 */
	uint32_t data_options;          /* str, mount data, e.g. "noatime" */
	uint32_t ctrl_alt_del;          /* enum cfg_action */
	uint32_t log_buffer;            /* default per-service log ring size, bytes */
	uint32_t flags;                 /* CFG_SYS_* */
	uint32_t update_health_s;       /* health window after an update boots; 0 = 60 s */
	uint32_t reserved[1];
};

/* 1.1: what cfg_system could not grow to hold. Absent (a 1.0 file): volume_roots is "/data". */
struct cfg_system_ext {             /* 32 bytes */
	struct cfg_range volume_roots;  /* STRLIST: absolute paths a volume's source must lie under */
	uint32_t flags;                 /* none defined yet */
	uint32_t reserved[5];
};

/* 1.2: which release a config is. keelc always writes it (REQUIRED): a keel that does not know it
 * refuses the config, and one that does refuses a min_keel above its own version and, for an
 * update, a serial below the highest it has confirmed (docs/update.md). Absent: serial 0. */
struct cfg_release {                /* 16 bytes */
	uint64_t serial;                /* grows with each release; 0 = none */
	uint32_t min_keel;              /* the oldest keel that understands the config (KEEL_VERSION_CODE_OF) */
	uint32_t reserved;
};

/* 1.2: fleet updates from an OCI registry ([update]; docs/update.md). Absent: no registry. */
#define CFG_UPD_PLAIN_HTTP 0x1u         /* http:// instead of https:// (a test or a closed network) */
#define CFG_UPD_APPLY_LIVE 0x2u         /* a polled update is applied live (keel update --apply) */

struct cfg_update {                 /* 40 bytes */
	uint32_t source;                /* str: REGISTRY[:PORT]/REPO[:TAG|@sha256:HEX] */
	uint32_t ca;                    /* str: PEM file of the CAs a registry's chain must end at */
	uint32_t credentials;           /* str: file holding "user:password" for the registry; 0 = none */
	uint32_t poll_s;                /* PID 1 runs keel update --from source this often; 0 = never */
	uint32_t jitter_s;              /* plus a random 0..jitter_s each time */
	uint32_t flags;                 /* CFG_UPD_* */
	struct cfg_range hosts;         /* UPDATE_HOSTS: names resolved without DNS */
	uint32_t reserved[2];
};

struct cfg_update_host {            /* 16 bytes */
	uint32_t name;                  /* str: a host name */
	uint32_t address;               /* IPv4 */
	uint32_t reserved[2];
};

/* 1.2: operations. Absent: logs stay in RAM, no syslog, no metrics file. */
#define CFG_OPS_LOG_PERSIST 0x1u     /* keep logs under /data/keel/log (keel-logd writes them) */
#define CFG_OPS_LOG_STATUS 0x2u      /* each service's newest lines in /run/keel/status/logs/ */

enum cfg_syslog { CFG_SYSLOG_OFF = 0, CFG_SYSLOG_UDP = 1, CFG_SYSLOG_TCP = 2, CFG_SYSLOG_TLS = 3 };

struct cfg_ops {                    /* 64 bytes */
	uint32_t flags;                 /* CFG_OPS_* */
	uint32_t log_service_max;       /* bytes one service's files keep per boot; 0 = 1 MiB */
	uint32_t log_total_max;         /* bytes all boots' files keep; 0 = 16 MiB */
	uint32_t log_flush_ms;          /* written and synced at least this often; 0 = 5000 */
	uint32_t syslog_proto;          /* enum cfg_syslog */
	uint32_t syslog_address;        /* the collector, IPv4 host order (no name resolution) */
	uint32_t syslog_port;           /* 0 = 514 (udp, tcp) or 6514 (tls) */
	uint32_t syslog_ca;             /* str: CA certificates (PEM) for tls */
	uint32_t syslog_server_name;    /* str: the name the collector's certificate must carry (tls) */
	uint32_t metrics_interval_s;    /* metrics_file rewritten this often; 0 = no file */
	uint32_t metrics_file;          /* str: the node_exporter textfile collector file */
	uint32_t reserved[5];
};

/* ---- networks ----------------------------------------------------------------------------- */

#define CFG_NET_MASQUERADE 0x1u     /* masquerade outbound traffic from the subnet to the uplink */

struct cfg_network {                /* 48 bytes; IPv4 addresses are host-order u32 (a<<24|b<<16|c<<8|d) */
	uint32_t name;                  /* str: what services attach to */
	uint32_t bridge;                /* str: bridge interface name */
	uint32_t address;               /* bridge address */
	uint32_t prefix;                /* 0..32 */
	uint32_t mtu;                   /* 0 = kernel default */
	uint32_t uplink;                /* str: uplink interface, 0 = none */
	uint32_t uplink_address;        /* 0 = leave the uplink's address alone */
	uint32_t uplink_prefix;
	uint32_t gateway;               /* default route via, 0 = none */
	uint32_t flags;                 /* CFG_NET_* */
	uint32_t reserved[2];
};

/* 1.2: "network, continued", record i belongs to network i. Absent (a config of no network, or an
 * older file): all zero. IPv6 addresses are 16 bytes in network order; all zero = none. */
#define CFG_NETX_DHCP 0x1u          /* uplink_address = dhcp: DHCPv4 on the uplink (keel-dhcp) */
#define CFG_NETX_SLAAC 0x2u         /* uplink_address6 = auto: router advertisements on the uplink */
#define CFG_NETX_NO_NAT66 0x4u      /* nat66 = no: subnet6 is routed to the device, not masqueraded */

struct cfg_network_ext {            /* 72 bytes */
	uint8_t address6[16];           /* the bridge's IPv6 address (subnet6) */
	uint8_t uplink_address6[16];    /* a static IPv6 address on the uplink */
	uint8_t gateway6[16];           /* IPv6 default route via */
	uint32_t prefix6;               /* of address6: 0 (none) or 1..128 */
	uint32_t uplink_prefix6;        /* of uplink_address6 */
	uint32_t vlan;                  /* the uplink is its 802.1Q sub-interface UPLINK.VLAN; 0 = none */
	uint32_t flags;                 /* CFG_NETX_* */
	uint32_t reserved[2];
};


enum cfg_restart { CFG_RESTART_NEVER = 0, CFG_RESTART_ON_FAILURE = 1, CFG_RESTART_ALWAYS = 2 };
enum cfg_ready { CFG_READY_STARTED = 0, CFG_READY_NOTIFY = 1 };
enum cfg_seccomp { CFG_SECCOMP_DEFAULT = 0, CFG_SECCOMP_UNCONFINED = 1 };

/* Namespaces (cfg_service.namespaces). Default: all but USER. */
#define CFG_NS_PID 0x01u
#define CFG_NS_MOUNT 0x02u
#define CFG_NS_UTS 0x04u
#define CFG_NS_IPC 0x08u
#define CFG_NS_NET 0x10u
#define CFG_NS_CGROUP 0x20u
#define CFG_NS_USER 0x40u
#define CFG_NS_DEFAULT 0x3fu

/* cfg_service.flags */
#define CFG_SVC_NO_NEW_PRIVS 0x01u  /* default on */
#define CFG_SVC_REAPER 0x02u        /* keel's small reaper is PID 1 inside (default on) */
#define CFG_SVC_LOG_CONSOLE 0x04u   /* also copy the service's output to the console */
#define CFG_SVC_USERNS_ALLOW 0x08u  /* let the service create user namespaces */

struct cfg_service {                /* 288 bytes */
	uint32_t name;                  /* str, unique, [a-z0-9_-]{1,32} */
	uint32_t flags;                 /* CFG_SVC_* */
	struct cfg_range layers;        /* DIGESTS, lowest layer first */
	struct cfg_range argv;          /* STRLIST, count >= 1 */
	struct cfg_range env;           /* STRLIST, "KEY=value" */
	uint32_t workdir;               /* str, 0 = "/" */
	uint32_t hostname;              /* str, 0 = service name */
	uint32_t uid, gid;
	struct cfg_range groups;        /* U32LIST: supplementary gids */
	uint32_t restart;               /* enum cfg_restart */
	uint32_t backoff_initial_ms;
	uint32_t backoff_max_ms;
	uint32_t backoff_reset_s;       /* running this long resets the backoff */
	uint32_t start_limit_burst;     /* this many starts ... */
	uint32_t start_limit_interval_s;/* ... within this window -> failed (start-limit); 0 = no limit */
	struct cfg_range depends;       /* STRLIST of service names: start after they are ready */
	struct cfg_range after;         /* STRLIST of service names: ordering only */
	uint32_t readiness;             /* enum cfg_ready */
	uint32_t stop_signal;
	uint32_t stop_timeout_ms;
	uint32_t seccomp;               /* enum cfg_seccomp */
	uint64_t caps_add;              /* bit n = CAP n (n <= CFG_CAP_LAST): 1.1 on top of podman's
	                                   default set, and all a non-root service gets (ambient);
	                                   1.0 on top of Docker's, ambient for a non-root user */
	uint64_t caps_drop;             /* bit n = CAP n, removed after adding */
	struct cfg_range syscalls;      /* SYSCALLS: extra rules applied over the profile */
	uint32_t namespaces;            /* CFG_NS_* */
	uint32_t log_buffer;            /* bytes; 0 = system default */
	struct cfg_range idmaps;        /* IDMAPS (with CFG_NS_USER) */
	struct cfg_range rlimits;       /* RLIMITS */
	struct cfg_range mounts;        /* MOUNTS */
	struct cfg_range devices;       /* DEVICES: extra device nodes granted */
	uint32_t network;               /* str: network name, 0 = none (only lo) */
	uint32_t address;               /* IPv4 on that network, 0 = next free */
	struct cfg_range ports;         /* PORTS: published on the network's uplink */
	/* cgroup v2; CFG_U64_UNSET / 0 = do not write the file */
	uint64_t cpu_max_quota_us;      /* CFG_U64_MAX = "max" */
	uint64_t memory_max;            /* bytes, CFG_U64_MAX = "max" */
	uint64_t memory_high;
	uint64_t memory_swap_max;
	uint64_t pids_max;
	uint32_t cpu_max_period_us;     /* 0 = kernel default (100000) */
	uint32_t cpu_weight;            /* 1..10000, 0 = unset */
	uint32_t io_weight;             /* 1..10000, 0 = unset */
	uint32_t cpuset_cpus;           /* str, e.g. "0-1", 0 = unset */
	struct cfg_range io_max;        /* IOLIMITS */
	uint32_t reserved[8];
};

/* 1.2: "service, continued", record i belongs to service i; absent: all zero (the defaults). */
enum cfg_egress { CFG_EGRESS_NONE = 0, CFG_EGRESS_ANY = 1, CFG_EGRESS_LIST = 2 };

struct cfg_service_ext {            /* 48 bytes */
	uint8_t address6[16];           /* fixed IPv6 on its network; all zero = derived (net_plan.c) */
	struct cfg_range talks_to;      /* TALKS: the services it may open connections to */
	struct cfg_range egress;        /* CIDRS: with egress_mode LIST, where else it may go */
	uint32_t egress_mode;           /* enum cfg_egress: beyond keel's networks */
	uint32_t join;                  /* str: the service whose namespaces (join_ns) it enters */
	uint32_t join_ns;               /* CFG_NS_NET | CFG_NS_IPC | CFG_NS_UTS, with join */
	uint32_t reserved;
};

struct cfg_talk {                   /* 8 bytes: talks_to = NAME [PORT/PROTO ...], one per port */
	uint32_t service;               /* str: a service on a network */
	uint16_t port;                  /* 0 = every port (then proto is 0 too) */
	uint8_t proto;                  /* 0 (every protocol), CFG_PROTO_TCP or CFG_PROTO_UDP */
	uint8_t reserved;
};

struct cfg_cidr {                   /* 24 bytes: egress = CIDR ... */
	uint8_t addr[16];               /* network order; IPv4 in the first 4 bytes, the rest 0 */
	uint8_t family;                 /* 4 or 6 */
	uint8_t prefix;                 /* 0..32 or 0..128; no host bits set */
	uint8_t reserved[6];
};

/* 1.2: exactly one; always written, REQUIRED: a 1.1 keel refuses a 1.2 file rather than run its
 * services without the firewall the file means. */
#define CFG_FW_OFF 0x1u             /* [system] firewall = off: no filter (1.1's open networks) */

struct cfg_firewall {               /* 16 bytes */
	uint32_t flags;                 /* CFG_FW_* */
	uint32_t reserved[3];
};

/* 1.2: what cfg_service could not grow to hold; record i belongs to service i. Absent (or all
 * zero): no health check, no watchdog, exit status 0 is success, no env_file, no secrets. */
struct cfg_service_ops {            /* 64 bytes */
	struct cfg_range health;        /* STRLIST: the check's argv, run in the container; 0 = none */
	uint32_t health_interval_ms;    /* 0 = 30 s */
	uint32_t health_timeout_ms;     /* 0 = 30 s */
	uint32_t health_start_ms;       /* start period: failures do not count; 0 = none */
	uint32_t health_retries;        /* consecutive failures that make it unhealthy; 0 = 3 */
	uint32_t watchdog_ms;           /* WATCHDOG=1 due this often; 0 = no watchdog */
	uint32_t env_file;              /* str: KEY=value file read at each start; 0 = none */
	struct cfg_range success_exit;  /* U32LIST: exit statuses (0..255) that are not failures */
	struct cfg_range prevent_exit;  /* U32LIST: exit statuses after which it is not restarted */
	struct cfg_range secrets;       /* SECRETS */
	uint32_t flags;                 /* none defined yet */
	uint32_t reserved[1];
};

struct cfg_secret {                 /* 8 bytes: a file copied into the service's /run/secrets */
	uint32_t source;                /* str: host path under a volume root, not under /data/keel */
	uint32_t target;                /* str: /run/secrets/NAME */
};

enum cfg_mount_kind { CFG_MOUNT_TMPFS = 1, CFG_MOUNT_BIND = 2 };

#define CFG_MOUNT_RO 0x1u       /* read-only (bind) */
#define CFG_MOUNT_DEV 0x2u      /* allow device nodes (default nodev) */
#define CFG_MOUNT_EXEC 0x4u     /* allow exec (keelc sets it unless the text says noexec) */
#define CFG_MOUNT_SUID 0x8u     /* allow setuid (default nosuid) */

struct cfg_mount {                  /* 24 bytes */
	uint32_t kind;                  /* enum cfg_mount_kind */
	uint32_t flags;                 /* CFG_MOUNT_* */
	uint32_t source;                /* str: host path (bind: under one of the volume roots) */
	uint32_t target;                /* str: absolute path inside the container */
	uint32_t size;                  /* tmpfs size in KiB, 0 = kernel default */
	uint32_t mode;                  /* tmpfs root mode, e.g. 01777 */
};

enum cfg_idmap_kind { CFG_IDMAP_UID = 1, CFG_IDMAP_GID = 2 };

struct cfg_idmap {                  /* 16 bytes */
	uint32_t kind;
	uint32_t inside;
	uint32_t outside;
	uint32_t count;
};

struct cfg_rlimit {                 /* 24 bytes; CFG_U64_MAX = unlimited */
	uint32_t resource;              /* RLIMIT_* number */
	uint32_t reserved;
	uint64_t soft;
	uint64_t hard;
};

enum cfg_syscall_action { CFG_SC_ALLOW = 1, CFG_SC_ERRNO = 2, CFG_SC_KILL = 3 };

struct cfg_syscall_rule {           /* 16 bytes */
	uint32_t name;                  /* str: syscall name as libseccomp knows it */
	uint32_t action;                /* enum cfg_syscall_action */
	uint32_t errno_value;           /* with CFG_SC_ERRNO */
	uint32_t reserved;
};

struct cfg_io_limit {               /* 40 bytes; CFG_U64_UNSET = leave, CFG_U64_MAX = "max" */
	uint32_t device;                /* str: block device path; keel resolves major:minor */
	uint32_t reserved;
	uint64_t rbps, wbps, riops, wiops;
};

enum cfg_proto { CFG_PROTO_TCP = 6, CFG_PROTO_UDP = 17 };

struct cfg_port {                   /* 8 bytes */
	uint16_t proto;                 /* enum cfg_proto */
	uint16_t host_port;             /* on the network's uplink */
	uint16_t container_port;
	uint16_t reserved;
};

#define CFG_DEV_READ 0x1u
#define CFG_DEV_WRITE 0x2u
#define CFG_DEV_MKNOD 0x4u

struct cfg_device {                 /* 24 bytes: a node created in the service's /dev and allowed */
	uint32_t path;                  /* str: path inside, e.g. /dev/ttyS1 */
	uint32_t type;                  /* 'c' or 'b' */
	uint32_t major, minor;
	uint32_t access;                /* CFG_DEV_* */
	uint32_t mode;                  /* e.g. 0660 */
};

/* A layer's dm-verity parameters (1.2, REQUIRED): its data is read through the verity target with
 * this root, so a block that does not hash to it reads as an error. Keyed by the layer's digest
 * (unique, ascending); a layer without a record is hashed whole before its first mount. */
struct cfg_verity {                 /* 128 bytes */
	uint8_t digest[32];             /* the layer (a DIGESTS entry) */
	uint8_t root[32];               /* the tree's root hash */
	uint8_t salt[32];               /* salt_len bytes, the rest 0 */
	uint32_t salt_len;              /* 0..32 */
	uint32_t data_block_size;       /* power of two, 512..4096 */
	uint32_t hash_block_size;       /* power of two, 512..4096 */
	uint32_t hash;                  /* CFG_VERITY_SHA256 */
	uint64_t data_blocks;           /* 2..2^40: the image is at least this many data blocks */
	uint32_t flags;                 /* none defined: 0 */
	uint32_t reserved;              /* 0 */
};

#define CFG_VERITY_SHA256 1

struct cfg_sig_trailer {            /* follows total_size bytes when CFG_F_SIGNED */
	uint8_t magic[4];               /* "KSIG" */
	uint16_t algorithm;             /* 1 = ECDSA P-256 over header.digest, raw r||s */
	uint16_t sig_len;               /* 64 */
	uint8_t key_id[8];              /* first 8 bytes of SHA-256 of the public key point */
};                                  /* 16 bytes, then sig_len bytes; the file ends there */

#define CFG_SIG_ECDSA_P256 1

_Static_assert(sizeof(struct cfg_header) == 64, "header");
_Static_assert(sizeof(struct cfg_section) == 24, "section");
_Static_assert(sizeof(struct cfg_system) == 64, "system");
_Static_assert(sizeof(struct cfg_system_ext) == 32, "system_ext");
_Static_assert(sizeof(struct cfg_release) == 16, "release");
_Static_assert(sizeof(struct cfg_update) == 40, "update");
_Static_assert(sizeof(struct cfg_update_host) == 16, "update_host");
_Static_assert(sizeof(struct cfg_network) == 48, "network");
_Static_assert(sizeof(struct cfg_service) == 288, "service");
_Static_assert(sizeof(struct cfg_mount) == 24, "mount");
_Static_assert(sizeof(struct cfg_idmap) == 16, "idmap");
_Static_assert(sizeof(struct cfg_rlimit) == 24, "rlimit");
_Static_assert(sizeof(struct cfg_syscall_rule) == 16, "syscall");
_Static_assert(sizeof(struct cfg_io_limit) == 40, "io");
_Static_assert(sizeof(struct cfg_port) == 8, "port");
_Static_assert(sizeof(struct cfg_device) == 24, "device");
_Static_assert(sizeof(struct cfg_verity) == 128, "verity");
_Static_assert(sizeof(struct cfg_sig_trailer) == 16, "sig");
_Static_assert(sizeof(struct cfg_network_ext) == 72, "network_ext");
_Static_assert(sizeof(struct cfg_service_ext) == 48, "service_ext");
_Static_assert(sizeof(struct cfg_talk) == 8, "talk");
_Static_assert(sizeof(struct cfg_cidr) == 24, "cidr");
_Static_assert(sizeof(struct cfg_firewall) == 16, "firewall");
_Static_assert(sizeof(struct cfg_ops) == 64, "ops");
_Static_assert(sizeof(struct cfg_service_ops) == 64, "service_ops");
_Static_assert(sizeof(struct cfg_secret) == 8, "secret");

#endif
