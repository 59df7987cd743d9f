/* The binary config reader: validates a whole buffer once in cfg_open(), then reads it in place. */
#include "config.h"

#include <bearssl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "rules.h"

#define NO_INDEX UINT32_MAX

/* Where a record sits, for messages: rec[idx].list[sub] ("service[2].mounts[1]"); an index may be
 * NO_INDEX and list NULL. */
struct at {
	const char *rec;
	uint32_t idx;
	const char *list;
	uint32_t sub;
};

/* Everything cfg_open needs while it walks the buffer; errors carry the file name and an offset. */
struct rd {
	struct cfg *c;
	const char *name;
	struct err *e;
	int strict;     /* the file's minor is not newer than ours: we know every field and bit of it */
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

/* bad() for a record's field: "service[2].mounts[1].FIELD: what". */
static int badf(struct rd *r, const void *p, const struct at *a, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int badf(struct rd *r, const void *p, const struct at *a, const char *field, const char *fmt, ...)
{
	char w[96], i1[16] = "", i2[16] = "", msg[ERR_MSG_MAX];
	if (a->idx != NO_INDEX)
		snprintf(i1, sizeof i1, "[%u]", a->idx);
	if (a->sub != NO_INDEX)
		snprintf(i2, sizeof i2, "[%u]", a->sub);
	snprintf(w, sizeof w, "%s%s%s%s%s%s%s", a->rec, i1, a->list ? "." : "", a->list ? a->list : "", i2,
		 field ? "." : "", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return bad(r, p, "%s: %s", w, msg);
}

/* ---- section table ------------------------------------------------------------------------- */

struct known_section {
	uint16_t type;
	uint8_t minor;          /* the format minor that added it */
	uint8_t list;           /* a list of u32 or digests: entry_size is exact in every minor */
	uint16_t entry;         /* entry_size in this reader's minor */
	uint16_t slot;          /* where struct cfg keeps it */
	const char *name;
};

#define SEC(type, minor, list, entry, slot, name) {type, minor, list, entry, offsetof(struct cfg, slot), name}
static const struct known_section known[] = {
	SEC(CFG_SEC_STRINGS, 0, 1, 1, strings, "strings"),
	SEC(CFG_SEC_SYSTEM, 0, 0, sizeof(struct cfg_system), system, "system"),
	SEC(CFG_SEC_NETWORKS, 0, 0, sizeof(struct cfg_network), networks, "networks"),
	SEC(CFG_SEC_SERVICES, 0, 0, sizeof(struct cfg_service), services, "services"),
	SEC(CFG_SEC_STRLIST, 0, 1, 4, strlist, "strlist"),
	SEC(CFG_SEC_U32LIST, 0, 1, 4, u32list, "u32list"),
	SEC(CFG_SEC_DIGESTS, 0, 1, 32, digests, "digests"),
	SEC(CFG_SEC_MOUNTS, 0, 0, sizeof(struct cfg_mount), mounts, "mounts"),
	SEC(CFG_SEC_IDMAPS, 0, 0, sizeof(struct cfg_idmap), idmaps, "idmaps"),
	SEC(CFG_SEC_RLIMITS, 0, 0, sizeof(struct cfg_rlimit), rlimits, "rlimits"),
	SEC(CFG_SEC_SYSCALLS, 0, 0, sizeof(struct cfg_syscall_rule), syscalls, "syscalls"),
	SEC(CFG_SEC_IOLIMITS, 0, 0, sizeof(struct cfg_io_limit), iolimits, "iolimits"),
	SEC(CFG_SEC_PORTS, 0, 0, sizeof(struct cfg_port), ports, "ports"),
	SEC(CFG_SEC_DEVICES, 0, 0, sizeof(struct cfg_device), devices, "devices"),
	SEC(CFG_SEC_SYSTEM_EXT, 1, 0, sizeof(struct cfg_system_ext), system_ext, "system_ext"),
};

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
	r->strict = h->minor <= CFG_VERSION_MINOR;
	if (h->header_size < sizeof *h || h->header_size % 8 || (r->strict && h->header_size != sizeof *h))
		return bad(r, &h->header_size, "header.header_size: %u, expected 64 (a newer minor: a multiple of 8 >= 64)",
			   h->header_size);
	if (h->total_size > CFG_MAX_SIZE)
		return bad(r, &h->total_size, "header.total_size: %u bytes is over the %u-byte limit", h->total_size,
			   CFG_MAX_SIZE);
	if (h->total_size % 8 || h->total_size < h->header_size)
		return bad(r, &h->total_size, "header.total_size: %u, expected a multiple of 8 >= header_size",
			   h->total_size);
	if (h->total_size > c->len)
		return bad(r, &h->total_size, "header.total_size: %u, but the file is truncated at %zu bytes",
			   h->total_size, c->len);
	if (r->strict && (h->flags & ~CFG_F_SIGNED))
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

/* One known section: where it lies, its entry size, and where struct cfg keeps it. */
static int read_section(struct rd *r, const struct cfg_section *s, uint32_t i, const struct known_section *k,
			uint64_t table_end)
{
	struct cfg *c = r->c;
	if (r->strict && ((s->flags & ~CFG_SECF_REQUIRED) || s->reserved))
		return bad(r, &s->flags, "section[%u] (%s): flags 0x%x, reserved 0x%x: unknown bits", i, k->name, s->flags,
			   s->reserved);
	if (s->offset % 8)
		return bad(r, &s->offset, "section[%u] (%s): offset 0x%x is not 8-byte aligned", i, k->name, s->offset);
	if (s->offset < table_end || (uint64_t)s->offset + s->size > c->hdr->total_size)
		return bad(r, &s->offset, "section[%u] (%s): bytes 0x%x..+%u out of range", i, k->name, s->offset,
			   s->size);
	const uint8_t *base = c->buf + s->offset;
	if (s->type == CFG_SEC_STRINGS) {
		const char *str = (const char *)base;
		if (s->size < 1 || str[0] || str[s->size - 1])
			return bad(r, &s->size, "section[%u] (strings): must start and end with a NUL byte", i);
		if (r->strict && (s->count || s->entry_size != 1))
			return bad(r, &s->count, "section[%u] (strings): count %u, entry_size %u, expected 0 and 1", i,
				   s->count, s->entry_size);
		c->strings = str;
		c->strings_size = s->size;
		return 0;
	}
	/* Records never grow (docs/config-binary.md); a newer minor's longer entries are stepped over. */
	int exact = k->list || r->strict;
	if (exact ? s->entry_size != k->entry : (s->entry_size < k->entry || s->entry_size % 8))
		return bad(r, &s->entry_size, "section[%u] (%s): entry_size %u, expected %s%u", i, k->name, s->entry_size,
			   exact ? "" : "a multiple of 8 >= ", k->entry);
	if ((uint64_t)s->count * s->entry_size != s->size)
		return bad(r, &s->count, "section[%u] (%s): count %u x entry_size %u != size %u", i, k->name, s->count,
			   s->entry_size, s->size);
	void *slot = (uint8_t *)c + k->slot;
	if (s->type == CFG_SEC_SYSTEM || s->type == CFG_SEC_SYSTEM_EXT) {
		if (s->count != 1)
			return bad(r, &s->count, "section[%u] (%s): count %u, expected 1", i, k->name, s->count);
		memcpy(slot, &base, sizeof base);
		return 0;
	}
	struct cfg_list l = {base, s->count, s->entry_size};
	memcpy(slot, &l, sizeof l);
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
	int ext_required = 0;
	for (uint32_t i = 0; i < h->section_count; i++) {
		const struct cfg_section *s = &tab[i];
		const struct known_section *k = NULL;
		for (size_t j = 0; j < sizeof known / sizeof known[0]; j++)
			if (known[j].type == s->type && known[j].minor <= h->minor)
				k = &known[j];
		if (!k) {
			/* A type of a newer minor is skipped unless REQUIRED; in a file of our minor or an
			 * older one, no type is unknown to us: this one is damage or forgery. */
			if (r->strict)
				return bad(r, &s->type, "section[%u]: type %u is not part of format %u.%u", i, s->type,
					   h->major, h->minor);
			if (s->flags & CFG_SECF_REQUIRED)
				return bad(r, &s->type, "section[%u]: type %u is required but unknown to this keel", i,
					   s->type);
			continue;
		}
		if (seen & (1u << s->type))
			return bad(r, &s->type, "section[%u] (%s): appears twice", i, k->name);
		seen |= 1u << s->type;
		if (read_section(r, s, i, k, table_end))
			return -1;
		if (s->type == CFG_SEC_SYSTEM_EXT)
			ext_required = s->flags & CFG_SECF_REQUIRED;
	}
	if (!c->strings)
		return bad(r, &h->section_count, "sections: no strings section");
	if (!c->system)
		return bad(r, &h->section_count, "sections: no system section");
	/* What makes a 1.0 keel refuse a 1.1 file rather than read it with 1.0 meanings. */
	if (h->minor >= 1 && !ext_required)
		return bad(r, &h->minor, "sections: a format %u.%u file without a required system_ext section",
			   h->major, h->minor);
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

/* A string reference must point at the first byte of a string inside the table. */
static int check_str(struct rd *r, const uint32_t *ref, const struct at *a, const char *field)
{
	const struct cfg *c = r->c;
	if (*ref >= c->strings_size)
		return badf(r, ref, a, field, "string offset 0x%x out of range (table is %u bytes)", *ref,
			    c->strings_size);
	if (*ref && c->strings[*ref - 1])
		return badf(r, ref, a, field, "string offset 0x%x is not the start of a string", *ref);
	return 0;
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
static int check_name(struct rd *r, const uint32_t *ref, const struct at *a)
{
	const char *s = cfg_str(r->c, *ref);
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '-'))
			break;
	if (n < 1 || n > 32 || s[n])
		return badf(r, ref, a, "name", "'%s' is not 1..32 of a-z 0-9 _ -", s);
	return 0;
}

/* Interface names go to the kernel as they are: 1..15 bytes, no '/', ':' or white space. */
static int check_ifname(struct rd *r, const uint32_t *ref, const struct at *a, const char *field)
{
	const char *s = cfg_str(r->c, *ref);
	size_t n = 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] <= ' ' || s[n] == '/' || s[n] == ':' || (unsigned char)s[n] >= 0x7f)
			break;
	if ((*ref && (n < 1 || n > 15)) || s[n])
		return badf(r, ref, a, field, "'%s' is not an interface name", s);
	return 0;
}

static int check_range(struct rd *r, const struct cfg_range *rg, const struct cfg_list *l, const struct at *a,
		       const char *field)
{
	if ((uint64_t)rg->first + rg->count <= l->count)
		return 0;
	return badf(r, rg, a, field, "entries %u..+%u out of range (the list has %u)", rg->first, rg->count, l->count);
}

/* A range of string refs in STRLIST: the range and every string it names, each following `rule`
 * when one is given. */
static int check_strs(struct rd *r, const struct cfg_range *rg, const struct at *a, const char *field,
		      const char *(*rule)(const char *))
{
	const struct cfg *c = r->c;
	if (check_range(r, rg, &c->strlist, a, field))
		return -1;
	for (uint32_t i = 0; i < rg->count; i++) {
		const uint32_t *ref = entry(&c->strlist, rg->first + i);
		struct at e = {a->rec, a->idx, field, i};
		if (check_str(r, ref, &e, NULL))
			return -1;
		const char *why = rule ? rule(cfg_str(c, *ref)) : NULL;
		if (why)
			return badf(r, ref, &e, NULL, "'%s': %s", cfg_str(c, *ref), why);
	}
	return 0;
}

/* Every numeric field of one record against its rule (format/rules.c). */
static int check_nums(struct rd *r, enum cfg_rec k, const void *rec, const struct at *a)
{
	const struct cfg_num_rule *x = cfg_rule_nums(k, rec, r->strict);
	if (!x)
		return 0;
	unsigned long long v = cfg_num_get(x, rec);
	const void *p = (const uint8_t *)rec + x->off;
	if (x->how & CFG_NUM_RESERVED)
		return badf(r, p, a, x->field, "reserved, must be 0");
	if (x->how & (CFG_NUM_FLAGS | CFG_NUM_BITS))
		return badf(r, p, a, x->field, "unknown bits 0x%llx", v & ~x->hi);
	return badf(r, p, a, x->field, "%llu, expected %u..%llu%s%s%s", v, x->lo, (unsigned long long)x->hi,
		    x->how & CFG_NUM_ZERO ? " or 0" : "", x->how & CFG_NUM_UNSET ? " or unset" : "",
		    x->how & CFG_NUM_MAX ? " or max" : "");
}

#define STR(rec, field, a) check_str(r, &(rec)->field, a, #field)

static int check_system(struct rd *r)
{
	const struct cfg_system *s = r->c->system;
	const struct at a = {"system", NO_INDEX, NULL, NO_INDEX};
	if (STR(s, hostname, &a) || STR(s, watchdog_device, &a) || STR(s, data_device, &a) ||
	    STR(s, data_fstype, &a) || STR(s, data_options, &a) || check_strs(r, &s->modules, &a, "modules", NULL) ||
	    check_strs(r, &s->sysctls, &a, "sysctls", NULL) || check_nums(r, CFG_REC_SYSTEM, s, &a))
		return -1;
	const struct cfg_system_ext *x = r->c->system_ext;
	const struct at ax = {"system_ext", NO_INDEX, NULL, NO_INDEX};
	if (!x)
		return 0;
	if (check_nums(r, CFG_REC_SYSTEM_EXT, x, &ax) ||
	    check_strs(r, &x->volume_roots, &ax, "volume_roots", cfg_rule_volume_root))
		return -1;
	if (x->volume_roots.count < 1 || x->volume_roots.count > CFG_MAX_VOLUME_ROOTS)
		return badf(r, &x->volume_roots, &ax, "volume_roots", "%u roots, expected 1..%u", x->volume_roots.count,
			    CFG_MAX_VOLUME_ROOTS);
	return 0;
}

static int check_networks(struct rd *r)
{
	const struct cfg *c = r->c;
	for (uint32_t i = 0; i < c->networks.count; i++) {
		const struct cfg_network *n = entry(&c->networks, i);
		const struct at a = {"network", i, NULL, NO_INDEX};
		if (STR(n, name, &a) || STR(n, bridge, &a) || STR(n, uplink, &a) || check_nums(r, CFG_REC_NETWORK, n, &a))
			return -1;
		if (check_name(r, &n->name, &a) || check_ifname(r, &n->bridge, &a, "bridge") ||
		    check_ifname(r, &n->uplink, &a, "uplink"))
			return -1;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(cfg_str(c, n->name), cfg_str(c, ((const struct cfg_network *)entry(&c->networks, j))->name)))
				return badf(r, &n->name, &a, "name", "'%s' is used twice", cfg_str(c, n->name));
	}
	return 0;
}

/* The records of one of a service's lists: range, then each record's numbers and strings. */
static int check_recs(struct rd *r, const struct cfg_range *rg, const struct cfg_list *l, enum cfg_rec k,
		      const struct at *a, const char *field)
{
	if (check_range(r, rg, l, a, field))
		return -1;
	for (uint32_t j = 0; j < rg->count; j++) {
		const struct at e = {a->rec, a->idx, field, j};
		if (check_nums(r, k, entry(l, rg->first + j), &e))
			return -1;
	}
	return 0;
}

static int check_service_lists(struct rd *r, const struct cfg_service *s, uint32_t i)
{
	const struct cfg *c = r->c;
	const struct at a = {"service", i, NULL, NO_INDEX};
	if (check_strs(r, &s->argv, &a, "argv", NULL) || check_strs(r, &s->env, &a, "env", NULL) ||
	    check_strs(r, &s->depends, &a, "depends", NULL) || check_strs(r, &s->after, &a, "after", NULL) ||
	    check_range(r, &s->layers, &c->digests, &a, "layers") ||
	    check_range(r, &s->groups, &c->u32list, &a, "groups") ||
	    check_recs(r, &s->syscalls, &c->syscalls, CFG_REC_SYSCALL, &a, "syscalls") ||
	    check_recs(r, &s->idmaps, &c->idmaps, CFG_REC_IDMAP, &a, "idmaps") ||
	    check_recs(r, &s->rlimits, &c->rlimits, CFG_REC_RLIMIT, &a, "rlimits") ||
	    check_recs(r, &s->mounts, &c->mounts, CFG_REC_MOUNT, &a, "mounts") ||
	    check_recs(r, &s->devices, &c->devices, CFG_REC_DEVICE, &a, "devices") ||
	    check_recs(r, &s->ports, &c->ports, CFG_REC_PORT, &a, "ports") ||
	    check_recs(r, &s->io_max, &c->iolimits, CFG_REC_IOLIMIT, &a, "io_max"))
		return -1;
	if (!s->argv.count)
		return badf(r, &s->argv, &a, "argv", "empty (nothing to execute)");
	if (!s->layers.count)
		return badf(r, &s->layers, &a, "layers", "empty (no root file system)");
	if (s->depends.count > CFG_MAX_SERVICES || s->after.count > CFG_MAX_SERVICES)
		return badf(r, &s->depends, &a, "depends", "more than %u names (with after)", CFG_MAX_SERVICES);
	for (uint32_t j = 0; j < s->syscalls.count; j++) {
		const struct cfg_syscall_rule *x = cfg_syscall(c, s->syscalls, j);
		const struct at e = {"service", i, "syscalls", j};
		if (check_str(r, &x->name, &e, "name"))
			return -1;
		if (!x->name)
			return badf(r, x, &e, "name", "empty");
	}
	for (uint32_t j = 0; j < s->mounts.count; j++) {
		const struct cfg_mount *x = cfg_mount(c, s->mounts, j);
		const struct at e = {"service", i, "mounts", j};
		if (check_str(r, &x->source, &e, "source") || check_str(r, &x->target, &e, "target"))
			return -1;
		if (!abs_path(cfg_str(c, x->target)) || (x->kind == CFG_MOUNT_BIND && !abs_path(cfg_str(c, x->source))))
			return badf(r, &x->target, &e, NULL, "paths must be absolute, without '..'");
	}
	for (uint32_t j = 0; j < s->devices.count; j++) {
		const struct cfg_device *x = cfg_device(c, s->devices, j);
		const struct at e = {"service", i, "devices", j};
		if (check_str(r, &x->path, &e, "path"))
			return -1;
		if ((x->type != 'c' && x->type != 'b') || !abs_path(cfg_str(c, x->path)))
			return badf(r, x, &e, NULL, "expected type 'c' or 'b' and an absolute path without '..'");
	}
	for (uint32_t j = 0; j < s->ports.count; j++) {
		const struct cfg_port *x = cfg_port(c, s->ports, j);
		if (x->proto != CFG_PROTO_TCP && x->proto != CFG_PROTO_UDP)
			return badf(r, x, &(struct at){"service", i, "ports", j}, "proto", "%u, expected 6 (tcp) or 17 (udp)",
				    x->proto);
	}
	for (uint32_t j = 0; j < s->io_max.count; j++) {
		const struct cfg_io_limit *x = cfg_iolimit(c, s->io_max, j);
		const struct at e = {"service", i, "io_max", j};
		if (check_str(r, &x->device, &e, "device"))
			return -1;
		if (!abs_path(cfg_str(c, x->device)))
			return badf(r, &x->device, &e, "device", "expected an absolute path");
	}
	return 0;
}

/* Names another record refers to must exist, so consumers never meet a dangling name. */
static int check_refs(struct rd *r, const struct cfg_service *s, uint32_t i)
{
	const struct cfg *c = r->c;
	const struct at a = {"service", i, NULL, NO_INDEX};
	if (s->network && !cfg_network_by_name(c, cfg_str(c, s->network)))
		return badf(r, &s->network, &a, "network", "'%s' is not a network in this config", cfg_str(c, s->network));
	const struct cfg_range *lists[2] = {&s->depends, &s->after};
	for (int l = 0; l < 2; l++)
		for (uint32_t j = 0; j < lists[l]->count; j++) {
			const char *dep = cfg_strlist(c, *lists[l], j);
			if (!cfg_service_by_name(c, dep))
				return badf(r, entry(&c->strlist, lists[l]->first + j),
					    &(struct at){"service", i, l ? "after" : "depends", j}, NULL,
					    "'%s' is not a service in this config", dep);
		}
	return 0;
}

static int check_services(struct rd *r)
{
	const struct cfg *c = r->c;
	for (uint32_t i = 0; i < c->services.count; i++) {
		const struct cfg_service *s = entry(&c->services, i);
		const struct at a = {"service", i, NULL, NO_INDEX};
		if (STR(s, name, &a) || STR(s, workdir, &a) || STR(s, hostname, &a) || STR(s, network, &a) ||
		    STR(s, cpuset_cpus, &a) || check_name(r, &s->name, &a) || check_nums(r, CFG_REC_SERVICE, s, &a))
			return -1;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(cfg_str(c, s->name), cfg_str(c, ((const struct cfg_service *)entry(&c->services, j))->name)))
				return badf(r, &s->name, &a, "name", "'%s' is used twice", cfg_str(c, s->name));
		if (s->workdir && !abs_path(cfg_str(c, s->workdir)))
			return badf(r, &s->workdir, &a, "workdir", "'%s' is not an absolute path without '..'",
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
	struct rd r = {c, name, e, 1};
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

/* ---- the format's minor and what it changes ---------------------------------------------------- */

unsigned cfg_minor(const struct cfg *c)
{
	return c->hdr->minor;
}

const char *cfg_compat_note(const struct cfg *c)
{
	if (c->hdr->minor == 0)
		return "format 1.0: capabilities keep their 1.0 meaning (Docker's default set, ambient for a non-root "
		       "user); recompile with keelc for 1.1";
	return NULL;
}

uint32_t cfg_volume_root_count(const struct cfg *c)
{
	return c->system_ext ? c->system_ext->volume_roots.count : 1;
}

const char *cfg_volume_root(const struct cfg *c, uint32_t i)
{
	return c->system_ext ? cfg_strlist(c, c->system_ext->volume_roots, i) : CFG_DATA_ROOT;
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
