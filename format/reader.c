/* The binary config reader: validates a whole buffer once in cfg_open(), then reads it in place. */
#include "config.h"

#include <bearssl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* Everything cfg_open needs while it walks the buffer; errors carry the file name and an offset. */
struct rd {
	struct cfg *c;
	const char *name;
	struct err *e;
};

static int bad(struct rd *r, const void *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(struct rd *r, const void *at, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t off = at ? (size_t)((const uint8_t *)at - r->c->buf) : 0;
	return err_set(r->e, 0, "%s: offset 0x%zx: %s", r->name, off, msg);
}

/* ---- section table ------------------------------------------------------------------------- */

struct known_section {
	uint16_t type;
	uint32_t min_entry;     /* smallest entry_size this reader accepts */
	int exact;              /* entry_size must equal min_entry */
	const char *name;
};

static const struct known_section known[] = {
	{CFG_SEC_STRINGS, 1, 1, "strings"},
	{CFG_SEC_SYSTEM, sizeof(struct cfg_system), 0, "system"},
	{CFG_SEC_NETWORKS, sizeof(struct cfg_network), 0, "networks"},
	{CFG_SEC_SERVICES, sizeof(struct cfg_service), 0, "services"},
	{CFG_SEC_STRLIST, 4, 1, "strlist"},
	{CFG_SEC_U32LIST, 4, 1, "u32list"},
	{CFG_SEC_DIGESTS, 32, 1, "digests"},
	{CFG_SEC_MOUNTS, sizeof(struct cfg_mount), 0, "mounts"},
	{CFG_SEC_IDMAPS, sizeof(struct cfg_idmap), 0, "idmaps"},
	{CFG_SEC_RLIMITS, sizeof(struct cfg_rlimit), 0, "rlimits"},
	{CFG_SEC_SYSCALLS, sizeof(struct cfg_syscall_rule), 0, "syscalls"},
	{CFG_SEC_IOLIMITS, sizeof(struct cfg_io_limit), 0, "iolimits"},
	{CFG_SEC_PORTS, sizeof(struct cfg_port), 0, "ports"},
	{CFG_SEC_DEVICES, sizeof(struct cfg_device), 0, "devices"},
};

static struct cfg_list *list_for(struct cfg *c, uint16_t type)
{
	switch (type) {
	case CFG_SEC_NETWORKS: return &c->networks;
	case CFG_SEC_SERVICES: return &c->services;
	case CFG_SEC_STRLIST: return &c->strlist;
	case CFG_SEC_U32LIST: return &c->u32list;
	case CFG_SEC_DIGESTS: return &c->digests;
	case CFG_SEC_MOUNTS: return &c->mounts;
	case CFG_SEC_IDMAPS: return &c->idmaps;
	case CFG_SEC_RLIMITS: return &c->rlimits;
	case CFG_SEC_SYSCALLS: return &c->syscalls;
	case CFG_SEC_IOLIMITS: return &c->iolimits;
	case CFG_SEC_PORTS: return &c->ports;
	case CFG_SEC_DEVICES: return &c->devices;
	default: return NULL;
	}
}

static int read_header(struct rd *r)
{
	struct cfg *c = r->c;
	const struct cfg_header *h = (const void *)c->buf;
	if (c->len < sizeof *h)
		return bad(r, c->buf + c->len, "header: file is %zu bytes, shorter than the 64-byte header", c->len);
	if (memcmp(h->magic, CFG_MAGIC, CFG_MAGIC_LEN))
		return bad(r, h->magic, "header.magic: not a keel binary config");
	if (h->major != CFG_VERSION_MAJOR)
		return bad(r, &h->major, "header.major: version %u.%u is not readable by this keel (reads %u.x)",
			   h->major, h->minor, CFG_VERSION_MAJOR);
	if (h->header_size < sizeof *h || h->header_size % 8)
		return bad(r, &h->header_size, "header.header_size: %u, expected a multiple of 8 >= 64", h->header_size);
	if (h->total_size > CFG_MAX_SIZE)
		return bad(r, &h->total_size, "header.total_size: %u bytes is over the %u-byte limit", h->total_size,
			   CFG_MAX_SIZE);
	if (h->total_size % 8 || h->total_size < h->header_size)
		return bad(r, &h->total_size, "header.total_size: %u, expected a multiple of 8 >= header_size",
			   h->total_size);
	if (h->total_size > c->len)
		return bad(r, &h->total_size, "header.total_size: %u, but the file is truncated at %zu bytes",
			   h->total_size, c->len);
	if (h->flags & ~CFG_F_SIGNED)
		return bad(r, &h->flags, "header.flags: unknown flags 0x%x", h->flags & ~CFG_F_SIGNED);
	c->hdr = h;
	return 0;
}

/* The trailer must account for every byte after total_size: no slack where data could hide. */
static int read_trailer(struct rd *r)
{
	struct cfg *c = r->c;
	const struct cfg_header *h = c->hdr;
	size_t rest = c->len - h->total_size;
	const uint8_t *at = c->buf + h->total_size;
	c->sig = NULL;
	c->sig_bytes = NULL;
	if (!(h->flags & CFG_F_SIGNED)) {
		if (rest)
			return bad(r, at, "trailer: %zu unexpected bytes after total_size (config is not signed)", rest);
		return 0;
	}
	const struct cfg_sig_trailer *t = (const void *)at;
	if (rest < sizeof *t)
		return bad(r, at, "signature trailer: truncated (%zu of 16 bytes)", rest);
	if (memcmp(t->magic, "KSIG", 4))
		return bad(r, t->magic, "signature trailer.magic: expected 'KSIG'");
	if (t->algorithm != CFG_SIG_ECDSA_P256)
		return bad(r, &t->algorithm, "signature trailer.algorithm: %u is unknown (1 = ECDSA P-256)", t->algorithm);
	if (t->sig_len != 64)
		return bad(r, &t->sig_len, "signature trailer.sig_len: %u, expected 64", t->sig_len);
	if (rest != sizeof *t + t->sig_len)
		return bad(r, at, "signature trailer: %zu bytes, expected %zu", rest, sizeof *t + (size_t)t->sig_len);
	c->sig = t;
	c->sig_bytes = at + sizeof *t;
	return 0;
}

static int check_digest(struct rd *r)
{
	const struct cfg_header *h = r->c->hdr;
	uint8_t d[32];
	br_sha256_context sha;
	br_sha256_init(&sha);
	br_sha256_update(&sha, r->c->buf, offsetof(struct cfg_header, digest));
	br_sha256_update(&sha, r->c->buf + sizeof *h, h->total_size - sizeof *h);
	br_sha256_out(&sha, d);
	if (memcmp(d, h->digest, sizeof d))
		return bad(r, h->digest, "header.digest: SHA-256 mismatch (the file is corrupt)");
	return 0;
}

static int read_sections(struct rd *r)
{
	struct cfg *c = r->c;
	const struct cfg_header *h = c->hdr;
	uint64_t table_end = (uint64_t)h->section_offset + (uint64_t)h->section_count * sizeof(struct cfg_section);
	if (h->section_offset < h->header_size || h->section_offset % 8 || table_end > h->total_size)
		return bad(r, &h->section_offset, "header.section_offset: table at %u with %u entries does not fit",
			   h->section_offset, h->section_count);
	const struct cfg_section *tab = (const void *)(c->buf + h->section_offset);
	uint32_t seen = 0; /* bit per known type */
	for (uint32_t i = 0; i < h->section_count; i++) {
		const struct cfg_section *s = &tab[i];
		const struct known_section *k = NULL;
		for (size_t j = 0; j < sizeof known / sizeof known[0]; j++)
			if (known[j].type == s->type)
				k = &known[j];
		if (!k) {
			if (s->flags & CFG_SECF_REQUIRED)
				return bad(r, &s->type, "section[%u]: type %u is required but unknown to this keel", i,
					   s->type);
			continue; /* an optional section from a newer minor: skip it */
		}
		if (seen & (1u << s->type))
			return bad(r, &s->type, "section[%u] (%s): appears twice", i, k->name);
		seen |= 1u << s->type;
		if (s->offset % 8)
			return bad(r, &s->offset, "section[%u] (%s): offset 0x%x is not 8-byte aligned", i, k->name,
				   s->offset);
		if (s->offset < table_end || (uint64_t)s->offset + s->size > h->total_size)
			return bad(r, &s->offset, "section[%u] (%s): bytes 0x%x..+%u out of range", i, k->name, s->offset,
				   s->size);
		if (s->type == CFG_SEC_STRINGS) {
			const char *str = (const char *)c->buf + s->offset;
			if (s->size < 1 || str[0] || str[s->size - 1])
				return bad(r, &s->size, "section[%u] (strings): must start and end with a NUL byte", i);
			c->strings = str;
			c->strings_size = s->size;
			continue;
		}
		if (k->exact ? s->entry_size != k->min_entry : (s->entry_size < k->min_entry || s->entry_size % 8))
			return bad(r, &s->entry_size, "section[%u] (%s): entry_size %u, expected %s%u", i, k->name,
				   s->entry_size, k->exact ? "" : "a multiple of 8 >= ", k->min_entry);
		if ((uint64_t)s->count * s->entry_size != s->size)
			return bad(r, &s->count, "section[%u] (%s): count %u x entry_size %u != size %u", i, k->name,
				   s->count, s->entry_size, s->size);
		if (s->type == CFG_SEC_SYSTEM) {
			if (s->count != 1)
				return bad(r, &s->count, "section[%u] (system): count %u, expected 1", i, s->count);
			c->system = (const void *)(c->buf + s->offset);
			continue;
		}
		struct cfg_list *l = list_for(c, s->type);
		l->base = c->buf + s->offset;
		l->count = s->count;
		l->entry_size = s->entry_size;
	}
	if (!c->strings)
		return bad(r, &h->section_count, "sections: no strings section");
	if (!c->system)
		return bad(r, &h->section_count, "sections: no system section");
	if (c->services.count > CFG_MAX_SERVICES)
		return bad(r, c->services.base, "services: %u records, more than the %u this keel reads", c->services.count,
			   CFG_MAX_SERVICES);
	if (c->networks.count > CFG_MAX_NETWORKS)
		return bad(r, c->networks.base, "networks: %u records, more than the %u this keel reads", c->networks.count,
			   CFG_MAX_NETWORKS);
	return 0;
}

/* ---- records --------------------------------------------------------------------------------- */

static const void *entry(const struct cfg_list *l, uint32_t i)
{
	return l->base + (size_t)i * l->entry_size;
}

#define NO_INDEX UINT32_MAX

/* A string reference must point at the first byte of a string inside the table. The field is named
 * as what[idx].field[sub] (either index may be NO_INDEX) only when something is wrong. */
static int check_str(struct rd *r, const uint32_t *ref, const char *what, uint32_t idx, const char *field,
		     uint32_t sub)
{
	const struct cfg *c = r->c;
	int out = *ref >= c->strings_size;
	if (!out && !(*ref == 0 || c->strings[*ref - 1] == '\0'))
		out = 2;
	if (!out)
		return 0;
	char i1[16] = "", i2[16] = "";
	if (idx != NO_INDEX)
		snprintf(i1, sizeof i1, "[%u]", idx);
	if (sub != NO_INDEX)
		snprintf(i2, sizeof i2, "[%u]", sub);
	if (out == 1)
		return bad(r, ref, "%s%s.%s%s: string offset 0x%x out of range (table is %u bytes)", what, i1, field, i2,
			   *ref, c->strings_size);
	return bad(r, ref, "%s%s.%s%s: string offset 0x%x is not the start of a string", what, i1, field, i2, *ref);
}

/* Paths are joined to a container's root by the runtime: absolute, and no ".." component that
 * could climb out of it. */
static int abs_path(const char *p)
{
	if (p[0] != '/')
		return 0;
	for (const char *c = p; *c; c++)
		if (c[0] == '.' && c[1] == '.' && c[-1] == '/' && (c[2] == '/' || !c[2]))
			return 0;
	return 1;
}

/* Service and network names become cgroup directory and interface-related names on the device, so
 * the reader holds them to keelc's rule, [a-z0-9_-]{1,32}, whatever wrote the file. */
static int check_name(struct rd *r, const uint32_t *ref, const char *what, uint32_t idx)
{
	const char *s = cfg_str(r->c, *ref);
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '-'))
			break;
	if (n < 1 || n > 32 || s[n])
		return bad(r, ref, "%s[%u].name: '%s' is not 1..32 of a-z 0-9 _ -", what, idx, s);
	return 0;
}

/* Interface names go to the kernel as they are: 1..15 bytes, no '/', ':' or white space. */
static int check_ifname(struct rd *r, const uint32_t *ref, uint32_t idx, const char *field)
{
	const char *s = cfg_str(r->c, *ref);
	size_t n = 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] <= ' ' || s[n] == '/' || s[n] == ':' || (unsigned char)s[n] >= 0x7f)
			break;
	if ((*ref && (n < 1 || n > 15)) || s[n])
		return bad(r, ref, "network[%u].%s: '%s' is not an interface name", idx, field, s);
	return 0;
}

static int check_range(struct rd *r, const struct cfg_range *rg, const struct cfg_list *l, const char *what,
		       uint32_t idx, const char *field)
{
	if ((uint64_t)rg->first + rg->count <= l->count)
		return 0;
	char i1[16] = "";
	if (idx != NO_INDEX)
		snprintf(i1, sizeof i1, "[%u]", idx);
	return bad(r, rg, "%s%s.%s: entries %u..+%u out of range (the list has %u)", what, i1, field, rg->first,
		   rg->count, l->count);
}

/* A range of string refs in STRLIST: the range and every string it names. */
static int check_strs(struct rd *r, const struct cfg_range *rg, const char *what, uint32_t idx, const char *field)
{
	const struct cfg *c = r->c;
	if (check_range(r, rg, &c->strlist, what, idx, field))
		return -1;
	for (uint32_t i = 0; i < rg->count; i++)
		if (check_str(r, entry(&c->strlist, rg->first + i), what, idx, field, i))
			return -1;
	return 0;
}

#define STR(rec, field, what, idx) check_str(r, &(rec)->field, what, idx, #field, NO_INDEX)

static int check_system(struct rd *r)
{
	const struct cfg_system *s = r->c->system;
	if (STR(s, hostname, "system", NO_INDEX) || STR(s, watchdog_device, "system", NO_INDEX) ||
	    STR(s, data_device, "system", NO_INDEX) || STR(s, data_fstype, "system", NO_INDEX) ||
	    STR(s, data_options, "system", NO_INDEX) || check_strs(r, &s->modules, "system", NO_INDEX, "modules") ||
	    check_strs(r, &s->sysctls, "system", NO_INDEX, "sysctls"))
		return -1;
	if (s->console_log_level > 8 && s->console_log_level != CFG_U32_UNSET)
		return bad(r, &s->console_log_level, "system.console_log_level: %u, expected 0..8", s->console_log_level);
	if (s->ctrl_alt_del > CFG_ACT_IGNORE)
		return bad(r, &s->ctrl_alt_del, "system.ctrl_alt_del: unknown action %u", s->ctrl_alt_del);
	return 0;
}

static int check_networks(struct rd *r)
{
	const struct cfg *c = r->c;
	for (uint32_t i = 0; i < c->networks.count; i++) {
		const struct cfg_network *n = entry(&c->networks, i);
		if (STR(n, name, "network", i) || STR(n, bridge, "network", i) || STR(n, uplink, "network", i))
			return -1;
		if (check_name(r, &n->name, "network", i) || check_ifname(r, &n->bridge, i, "bridge") ||
		    check_ifname(r, &n->uplink, i, "uplink"))
			return -1;
		if (n->prefix > 32 || n->uplink_prefix > 32)
			return bad(r, &n->prefix, "network[%u].prefix: expected 0..32", i);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(cfg_str(c, n->name), cfg_str(c, ((const struct cfg_network *)entry(&c->networks, j))->name)))
				return bad(r, &n->name, "network[%u].name: '%s' is used twice", i, cfg_str(c, n->name));
	}
	return 0;
}

static int check_service_lists(struct rd *r, const struct cfg_service *s, uint32_t i)
{
	const struct cfg *c = r->c;
	if (check_strs(r, &s->argv, "service", i, "argv") || check_strs(r, &s->env, "service", i, "env") ||
	    check_strs(r, &s->depends, "service", i, "depends") || check_strs(r, &s->after, "service", i, "after") ||
	    check_range(r, &s->layers, &c->digests, "service", i, "layers") ||
	    check_range(r, &s->groups, &c->u32list, "service", i, "groups") ||
	    check_range(r, &s->syscalls, &c->syscalls, "service", i, "syscalls") ||
	    check_range(r, &s->idmaps, &c->idmaps, "service", i, "idmaps") ||
	    check_range(r, &s->rlimits, &c->rlimits, "service", i, "rlimits") ||
	    check_range(r, &s->mounts, &c->mounts, "service", i, "mounts") ||
	    check_range(r, &s->devices, &c->devices, "service", i, "devices") ||
	    check_range(r, &s->ports, &c->ports, "service", i, "ports") ||
	    check_range(r, &s->io_max, &c->iolimits, "service", i, "io_max"))
		return -1;
	if (!s->argv.count)
		return bad(r, &s->argv, "service[%u].argv: empty (nothing to execute)", i);
	if (!s->layers.count)
		return bad(r, &s->layers, "service[%u].layers: empty (no root file system)", i);
	if (s->depends.count > CFG_MAX_SERVICES || s->after.count > CFG_MAX_SERVICES)
		return bad(r, &s->depends, "service[%u].depends/after: more than %u names", i, CFG_MAX_SERVICES);
	for (uint32_t j = 0; j < s->syscalls.count; j++) {
		const struct cfg_syscall_rule *x = cfg_syscall(c, s->syscalls, j);
		if (check_str(r, &x->name, "service", i, "syscalls", j))
			return -1;
		if (!x->name || x->action < CFG_SC_ALLOW || x->action > CFG_SC_KILL || x->errno_value > 4095)
			return bad(r, x, "service[%u].syscalls[%u]: bad rule", i, j);
	}
	for (uint32_t j = 0; j < s->idmaps.count; j++) {
		const struct cfg_idmap *x = cfg_idmap(c, s->idmaps, j);
		if (x->kind != CFG_IDMAP_UID && x->kind != CFG_IDMAP_GID)
			return bad(r, x, "service[%u].idmaps[%u].kind: %u, expected 1 (uid) or 2 (gid)", i, j, x->kind);
	}
	for (uint32_t j = 0; j < s->rlimits.count; j++) {
		const struct cfg_rlimit *x = cfg_rlimit(c, s->rlimits, j);
		if (x->resource > 15)
			return bad(r, x, "service[%u].rlimits[%u].resource: %u is not an RLIMIT_*", i, j, x->resource);
	}
	for (uint32_t j = 0; j < s->mounts.count; j++) {
		const struct cfg_mount *x = cfg_mount(c, s->mounts, j);
		if (check_str(r, &x->source, "service", i, "mounts.source", j) ||
		    check_str(r, &x->target, "service", i, "mounts.target", j))
			return -1;
		if (x->kind != CFG_MOUNT_TMPFS && x->kind != CFG_MOUNT_BIND)
			return bad(r, x, "service[%u].mounts[%u].kind: %u is unknown", i, j, x->kind);
		if (!abs_path(cfg_str(c, x->target)) || (x->kind == CFG_MOUNT_BIND && !abs_path(cfg_str(c, x->source))))
			return bad(r, &x->target, "service[%u].mounts[%u]: paths must be absolute, without '..'", i, j);
	}
	for (uint32_t j = 0; j < s->devices.count; j++) {
		const struct cfg_device *x = cfg_device(c, s->devices, j);
		if (check_str(r, &x->path, "service", i, "devices.path", j))
			return -1;
		if ((x->type != 'c' && x->type != 'b') || !abs_path(cfg_str(c, x->path)))
			return bad(r, x, "service[%u].devices[%u]: expected type 'c' or 'b' and an absolute path without '..'",
				   i, j);
	}
	for (uint32_t j = 0; j < s->ports.count; j++) {
		const struct cfg_port *x = cfg_port(c, s->ports, j);
		if ((x->proto != CFG_PROTO_TCP && x->proto != CFG_PROTO_UDP) || !x->host_port || !x->container_port)
			return bad(r, x, "service[%u].ports[%u]: expected tcp/udp and ports 1..65535", i, j);
	}
	for (uint32_t j = 0; j < s->io_max.count; j++) {
		const struct cfg_io_limit *x = cfg_iolimit(c, s->io_max, j);
		if (check_str(r, &x->device, "service", i, "io_max.device", j))
			return -1;
		if (!abs_path(cfg_str(c, x->device)))
			return bad(r, &x->device, "service[%u].io_max[%u].device: expected an absolute path", i, j);
	}
	return 0;
}

/* Names another record refers to must exist, so consumers never meet a dangling name. */
static int check_refs(struct rd *r, const struct cfg_service *s, uint32_t i)
{
	const struct cfg *c = r->c;
	if (s->network && !cfg_network_by_name(c, cfg_str(c, s->network)))
		return bad(r, &s->network, "service[%u].network: '%s' is not a network in this config", i,
			   cfg_str(c, s->network));
	const struct cfg_range *lists[2] = {&s->depends, &s->after};
	for (int l = 0; l < 2; l++)
		for (uint32_t j = 0; j < lists[l]->count; j++) {
			const char *dep = cfg_strlist(c, *lists[l], j);
			if (!cfg_service_by_name(c, dep))
				return bad(r, entry(&c->strlist, lists[l]->first + j),
					   "service[%u].%s[%u]: '%s' is not a service in this config", i,
					   l ? "after" : "depends", j, dep);
		}
	return 0;
}

static int check_services(struct rd *r)
{
	const struct cfg *c = r->c;
	for (uint32_t i = 0; i < c->services.count; i++) {
		const struct cfg_service *s = entry(&c->services, i);
		if (STR(s, name, "service", i) || STR(s, workdir, "service", i) || STR(s, hostname, "service", i) ||
		    STR(s, network, "service", i) || STR(s, cpuset_cpus, "service", i))
			return -1;
		if (check_name(r, &s->name, "service", i))
			return -1;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(cfg_str(c, s->name), cfg_str(c, ((const struct cfg_service *)entry(&c->services, j))->name)))
				return bad(r, &s->name, "service[%u].name: '%s' is used twice", i, cfg_str(c, s->name));
		if (s->restart > CFG_RESTART_ALWAYS)
			return bad(r, &s->restart, "service[%u].restart: unknown policy %u", i, s->restart);
		if (s->readiness > CFG_READY_NOTIFY)
			return bad(r, &s->readiness, "service[%u].readiness: unknown mode %u", i, s->readiness);
		if (s->seccomp > CFG_SECCOMP_UNCONFINED)
			return bad(r, &s->seccomp, "service[%u].seccomp: unknown profile %u", i, s->seccomp);
		if (s->stop_signal < 1 || s->stop_signal > 64)
			return bad(r, &s->stop_signal, "service[%u].stop_signal: %u, expected 1..64", i, s->stop_signal);
		if (s->namespaces & ~(CFG_NS_DEFAULT | CFG_NS_USER))
			return bad(r, &s->namespaces, "service[%u].namespaces: unknown bits 0x%x", i, s->namespaces);
		if (s->cpu_weight > 10000 || s->io_weight > 10000)
			return bad(r, &s->cpu_weight, "service[%u].cpu_weight/io_weight: expected 1..10000", i);
		if (s->workdir && !abs_path(cfg_str(c, s->workdir)))
			return bad(r, &s->workdir, "service[%u].workdir: '%s' is not an absolute path without '..'", i,
				   cfg_str(c, s->workdir));
		if (check_service_lists(r, s, i))
			return -1;
	}
	for (uint32_t i = 0; i < c->services.count; i++)
		if (check_refs(r, entry(&c->services, i), i))
			return -1;
	return 0;
}

int cfg_open(struct cfg *c, const uint8_t *buf, size_t len, const char *name, struct err *e)
{
	memset(c, 0, sizeof *c);
	c->buf = buf;
	c->len = len;
	struct rd r = {c, name, e};
	/* Records are read through struct pointers in place; see config.h. */
	if ((uintptr_t)buf % 8)
		return err_set(e, 0, "%s: buffer is not 8-byte aligned (a reader bug, not a file problem)", name);
	if (read_header(&r) || read_trailer(&r) || check_digest(&r) || read_sections(&r) || check_system(&r) ||
	    check_networks(&r) || check_services(&r)) {
		memset(c, 0, sizeof *c);
		/* Messages may quote names from the file: keep them one printable line. */
		for (char *p = e->msg; *p; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				*p = '?';
		return -1;
	}
	return 0;
}

/* ---- accessors: the records were validated, so these only index ------------------------------ */

const char *cfg_str(const struct cfg *c, uint32_t ref)
{
	return ref < c->strings_size ? c->strings + ref : "";
}

uint32_t cfg_service_count(const struct cfg *c)
{
	return c->services.count;
}

const struct cfg_service *cfg_service(const struct cfg *c, uint32_t i)
{
	return entry(&c->services, i);
}

const struct cfg_service *cfg_service_by_name(const struct cfg *c, const char *name)
{
	for (uint32_t i = 0; i < c->services.count; i++) {
		const struct cfg_service *s = entry(&c->services, i);
		if (!strcmp(cfg_str(c, s->name), name))
			return s;
	}
	return NULL;
}

uint32_t cfg_network_count(const struct cfg *c)
{
	return c->networks.count;
}

const struct cfg_network *cfg_network(const struct cfg *c, uint32_t i)
{
	return entry(&c->networks, i);
}

const struct cfg_network *cfg_network_by_name(const struct cfg *c, const char *name)
{
	for (uint32_t i = 0; i < c->networks.count; i++) {
		const struct cfg_network *n = entry(&c->networks, i);
		if (!strcmp(cfg_str(c, n->name), name))
			return n;
	}
	return NULL;
}

const char *cfg_strlist(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return cfg_str(c, *(const uint32_t *)entry(&c->strlist, r.first + i));
}

uint32_t cfg_u32list(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return *(const uint32_t *)entry(&c->u32list, r.first + i);
}

const uint8_t *cfg_digest(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return entry(&c->digests, r.first + i);
}

const struct cfg_mount *cfg_mount(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return entry(&c->mounts, r.first + i);
}

const struct cfg_idmap *cfg_idmap(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return entry(&c->idmaps, r.first + i);
}

const struct cfg_rlimit *cfg_rlimit(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return entry(&c->rlimits, r.first + i);
}

const struct cfg_syscall_rule *cfg_syscall(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return entry(&c->syscalls, r.first + i);
}

const struct cfg_io_limit *cfg_iolimit(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return entry(&c->iolimits, r.first + i);
}

const struct cfg_port *cfg_port(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return entry(&c->ports, r.first + i);
}

const struct cfg_device *cfg_device(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return entry(&c->devices, r.first + i);
}
