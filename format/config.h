/* The binary config reader (device and host): validates a whole buffer once, then reads it in place.
 *
 * cfg_open() checks everything up front — magic, version, sizes, section table, digest, every
 * string reference and every list range in every record — so the accessors below cannot fail and
 * never read outside the buffer. Nothing is allocated; `struct cfg` only points into the caller's
 * buffer, which must stay alive, unchanged and 8-byte aligned while the cfg is used (records are
 * read in place through these structs; cfg_open refuses a misaligned buffer rather than copy it:
 * a malloc'd buffer filled by read() is always aligned). */
#ifndef KEEL_FORMAT_CONFIG_H
#define KEEL_FORMAT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/err.h"
#include "layout.h"

struct cfg_list {                   /* one list section, validated */
	const uint8_t *base;
	uint32_t count;
	uint32_t entry_size;
};

struct cfg {
	const uint8_t *buf;
	size_t len;                     /* whole file including any signature trailer */
	const struct cfg_header *hdr;
	const char *strings;
	uint32_t strings_size;
	const struct cfg_system *system; /* never NULL after cfg_open */
	const struct cfg_system_ext *system_ext; /* NULL in a 1.0 file: use the accessors below */
	const struct cfg_ops *ops;      /* NULL when absent: use cfg_ops() */
	struct cfg_list networks, services, strlist, u32list, digests, mounts, idmaps, rlimits,
		syscalls, iolimits, ports, devices, update_hosts, service_ops, secrets, verity;
	const struct cfg_release *release; /* NULL before 1.2: use cfg_serial, cfg_min_keel */
	const struct cfg_update *update;   /* NULL: no [update] (no registry) */
	/* 1.2 networking: NULL/empty in older files (the accessors below give the defaults) */
	struct cfg_list networks_ext, services_ext, talks, cidrs;
	const struct cfg_firewall *firewall;
	const struct cfg_sig_trailer *sig; /* NULL when unsigned */
	const uint8_t *sig_bytes;
};

/* Validate `buf` and fill `c`. `name` (e.g. "config.bin") starts every error message:
 * "config.bin: offset 0x1a4: service[2].argv: string offset out of range". */
int cfg_open(struct cfg *c, const uint8_t *buf, size_t len, const char *name, struct err *e);

/* Read the config file at `path` whole (at most CFG_MAX_FILE_SIZE bytes) into a malloc'd, aligned
 * buffer, validate it (messages start with `name`: the path, or the name a user gave) and, when
 * keys_dir is not NULL, check its signature (cfg_verify_signature). On success `c` points into
 * *buf, which the caller frees after the last use of c; on failure nothing is kept (format/load.c). */
int cfg_load(const char *path, const char *name, const char *keys_dir, uint8_t **buf, struct cfg *c, struct err *e);

/* Check the signature against every public key file in `keys_dir` (raw 65-byte uncompressed P-256
 * points, *.pub). No keys in the dir (or no dir): returns 0 whatever the config. Keys present: an
 * unsigned config or one no key verifies is refused with a message. */
int cfg_verify_signature(const struct cfg *c, const char *keys_dir, const char *name, struct err *e);

/* The file's format minor (header.minor). A file of an older minor keeps that minor's meaning:
 * minor 0 gives caps_add/caps_drop their 1.0 meaning (Docker's default set, ambient for a non-root
 * user); minors 0 and 1 have no firewall (every service reaches every other and the outside). cfg_compat_note() is the one line PID 1, keel check and keel run print about it at load:
 * NULL for a file of this keel's minor. */
unsigned cfg_minor(const struct cfg *c);
const char *cfg_compat_note(const struct cfg *c);

/* 1.2: the continuation of network n and of service s (all zero, the defaults, when the file has
 * none); talks_to and egress entries; whether keel's firewall filters (a 1.2 file without
 * `firewall = off`; older files keep their open networks, cfg_compat_note says so). */
const struct cfg_network_ext *cfg_network_ext(const struct cfg *c, const struct cfg_network *n);
const struct cfg_service_ext *cfg_service_ext(const struct cfg *c, const struct cfg_service *s);
const struct cfg_talk *cfg_talk(const struct cfg *c, struct cfg_range r, uint32_t i);
const struct cfg_cidr *cfg_cidr(const struct cfg *c, struct cfg_range r, uint32_t i);
int cfg_firewall_on(const struct cfg *c);
/* The index of service s (or of network n) in its section. */
uint32_t cfg_service_index(const struct cfg *c, const struct cfg_service *s);
uint32_t cfg_network_index(const struct cfg *c, const struct cfg_network *n);

/* The roots a volume's source lies under ([system] volume_roots; "/data" in a 1.0 file). */
uint32_t cfg_volume_root_count(const struct cfg *c);
const char *cfg_volume_root(const struct cfg *c, uint32_t i);

/* 1.2's operations: the system's (all zero when the file has none) and service s's (all zero when
 * the file has none for it): cfg_ops_* say what a zero means. */
const struct cfg_ops *cfg_ops(const struct cfg *c);
const struct cfg_service_ops *cfg_service_ops(const struct cfg *c, const struct cfg_service *s);
const struct cfg_secret *cfg_secret(const struct cfg *c, struct cfg_range r, uint32_t i);
/* The defaults a zero stands for (keel.conf(5)). */
#define CFG_LOG_SERVICE_MAX_DEFAULT (1u << 20)
#define CFG_LOG_TOTAL_MAX_DEFAULT (16u << 20)
#define CFG_LOG_FLUSH_MS_DEFAULT 5000u
#define CFG_HEALTH_INTERVAL_MS_DEFAULT 30000u
#define CFG_HEALTH_TIMEOUT_MS_DEFAULT 30000u
#define CFG_HEALTH_RETRIES_DEFAULT 3u
/* The exit status (0..255) is listed in r (success_exit, prevent_exit). */
int cfg_exit_listed(const struct cfg *c, struct cfg_range r, int code);
/* The release ([update] serial, min_keel): 0 when the file has none. */
uint64_t cfg_serial(const struct cfg *c);
uint32_t cfg_min_keel(const struct cfg *c);
/* This keel understands the config: its min_keel is not above KEEL_VERSION_CODE. Otherwise one
 * line: "NAME: release.min_keel: needs keel 9.0.0 or newer (this is 0.2.0)". cfg_load checks it;
 * keelc and keel-pack (host tools for any device) do not. */
int cfg_check_keel_version(const struct cfg *c, const char *name, struct err *e);
const struct cfg_update_host *cfg_update_host(const struct cfg *c, struct cfg_range r, uint32_t i);

/* Accessors (infallible after cfg_open). */
const char *cfg_str(const struct cfg *c, uint32_t ref);       /* "" for 0 */
uint32_t cfg_service_count(const struct cfg *c);
const struct cfg_service *cfg_service(const struct cfg *c, uint32_t i);
const struct cfg_service *cfg_service_by_name(const struct cfg *c, const char *name); /* or NULL */
uint32_t cfg_network_count(const struct cfg *c);
const struct cfg_network *cfg_network(const struct cfg *c, uint32_t i);
const struct cfg_network *cfg_network_by_name(const struct cfg *c, const char *name);
const char *cfg_strlist(const struct cfg *c, struct cfg_range r, uint32_t i);  /* i < r.count */
uint32_t cfg_u32list(const struct cfg *c, struct cfg_range r, uint32_t i);
const uint8_t *cfg_digest(const struct cfg *c, struct cfg_range r, uint32_t i); /* 32 bytes */
const struct cfg_mount *cfg_mount(const struct cfg *c, struct cfg_range r, uint32_t i);
const struct cfg_idmap *cfg_idmap(const struct cfg *c, struct cfg_range r, uint32_t i);
const struct cfg_rlimit *cfg_rlimit(const struct cfg *c, struct cfg_range r, uint32_t i);
const struct cfg_syscall_rule *cfg_syscall(const struct cfg *c, struct cfg_range r, uint32_t i);
const struct cfg_io_limit *cfg_iolimit(const struct cfg *c, struct cfg_range r, uint32_t i);
const struct cfg_port *cfg_port(const struct cfg *c, struct cfg_range r, uint32_t i);
const struct cfg_device *cfg_device(const struct cfg *c, struct cfg_range r, uint32_t i);
/* The layer's dm-verity parameters, or NULL (hashed whole); records i < cfg_verity_count. */
const struct cfg_verity *cfg_verity_of(const struct cfg *c, const uint8_t digest[32]);
uint32_t cfg_verity_count(const struct cfg *c);
const struct cfg_verity *cfg_verity_at(const struct cfg *c, uint32_t i);

/* Print the config as text that keelc compiles back to the same bytes (format/print.c); keys at
 * their default are left out. Returns -1 on a write error. */
int cfg_print(const struct cfg *c, FILE *out);
/* One part of that text: a service's section followed by its network's (what a live reload
 * compares to tell a changed service), one network's section, the system section. */
int cfg_print_service(const struct cfg *c, const struct cfg_service *s, FILE *out);
int cfg_print_network(const struct cfg *c, const struct cfg_network *n, FILE *out);
int cfg_print_system(const struct cfg *c, FILE *out);

#endif
