/* The binary config reader: validates a whole buffer once in cfg_open(), then reads it in place. */
#include "config.h"

#include <bearssl.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "../lib/version.h"
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
	SEC(CFG_SEC_RELEASE, 2, 0, sizeof(struct cfg_release), release, "release"),
	SEC(CFG_SEC_UPDATE, 2, 0, sizeof(struct cfg_update), update, "update"),
	SEC(CFG_SEC_UPDATE_HOSTS, 2, 0, sizeof(struct cfg_update_host), update_hosts, "update_hosts"),
	SEC(CFG_SEC_NETWORKS_EXT, 2, 0, sizeof(struct cfg_network_ext), networks_ext, "networks_ext"),
	SEC(CFG_SEC_SERVICES_EXT, 2, 0, sizeof(struct cfg_service_ext), services_ext, "services_ext"),
	SEC(CFG_SEC_TALKS, 2, 0, sizeof(struct cfg_talk), talks, "talks"),
	SEC(CFG_SEC_CIDRS, 2, 0, sizeof(struct cfg_cidr), cidrs, "cidrs"),
	SEC(CFG_SEC_FIREWALL, 2, 0, sizeof(struct cfg_firewall), firewall, "firewall"),
	SEC(CFG_SEC_OPS, 2, 0, sizeof(struct cfg_ops), ops, "ops"),
	SEC(CFG_SEC_SERVICE_OPS, 2, 0, sizeof(struct cfg_service_ops), service_ops, "service_ops"),
	SEC(CFG_SEC_SECRETS, 2, 0, sizeof(struct cfg_secret), secrets, "secrets"),
	SEC(CFG_SEC_VERITY, 2, 0, sizeof(struct cfg_verity), verity, "verity"),
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
	if (s->type == CFG_SEC_SYSTEM || s->type == CFG_SEC_SYSTEM_EXT || s->type == CFG_SEC_RELEASE ||
	    s->type == CFG_SEC_UPDATE || s->type == CFG_SEC_OPS || s->type == CFG_SEC_FIREWALL) {
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
	uint64_t seen = 0; /* bit per known type (types < 64; the table holds no other) */
	int ext_required = 0, fw_required = 0;
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
		if (seen & (1ull << s->type))
			return bad(r, &s->type, "section[%u] (%s): appears twice", i, k->name);
		seen |= 1ull << s->type;
		/* Without it, a keel older than 1.2 would mount the layers unverified after attach. */
		if (s->type == CFG_SEC_VERITY && !(s->flags & CFG_SECF_REQUIRED))
			return bad(r, &s->flags, "section[%u] (verity): not marked required", i);
		if (read_section(r, s, i, k, table_end))
			return -1;
		if (s->type == CFG_SEC_SYSTEM_EXT)
			ext_required = s->flags & CFG_SECF_REQUIRED;
		if (s->type == CFG_SEC_FIREWALL)
			fw_required = s->flags & CFG_SECF_REQUIRED;
	}
	if (!c->strings)
		return bad(r, &h->section_count, "sections: no strings section");
	if (!c->system)
		return bad(r, &h->section_count, "sections: no system section");
	/* What makes a 1.0 keel refuse a 1.1 file rather than read it with 1.0 meanings. */
	if (h->minor >= 1 && !ext_required)
		return bad(r, &h->minor, "sections: a format %u.%u file without a required system_ext section",
			   h->major, h->minor);
	/* What makes a 1.1 keel refuse a 1.2 file rather than run it without its firewall. */
	if (h->minor >= 2 && !fw_required)
		return bad(r, &h->minor, "sections: a format %u.%u file without a required firewall section", h->major,
			   h->minor);
	/* A continuation has one record per record it continues, or is absent (all defaults). */
	if (c->networks_ext.base && c->networks_ext.count != c->networks.count)
		return bad(r, c->networks_ext.base, "networks_ext: %u records for %u networks", c->networks_ext.count,
			   c->networks.count);
	if (c->services_ext.base && c->services_ext.count != c->services.count)
		return bad(r, c->services_ext.base, "services_ext: %u records for %u services", c->services_ext.count,
			   c->services.count);
	if (c->services.count > CFG_MAX_SERVICES)
		return bad(r, c->services.base, "services: %u records, more than the %u this keel reads", c->services.count,
			   CFG_MAX_SERVICES);
	if (c->networks.count > CFG_MAX_NETWORKS)
		return bad(r, c->networks.base, "networks: %u records, more than the %u this keel reads", c->networks.count,
			   CFG_MAX_NETWORKS);
	if (c->service_ops.base && c->service_ops.count != c->services.count)
		return bad(r, c->service_ops.base, "service_ops: %u records for %u services", c->service_ops.count,
			   c->services.count);
	return 0;
}

/* ---- records --------------------------------------------------------------------------------- */

static const void *entry(const struct cfg_list *l, uint32_t i)
{
	return l->base + (size_t)i * l->entry_size;
}

/* A string reference: inside the table, at the start of a string, and 0 for the empty string
 * (keelc writes "" as 0; an empty string elsewhere would print as a value keelc refuses). The
 * string follows rule CFG_R_* when it is set, or always when `need`. */
static int check_str(struct rd *r, const uint32_t *ref, const struct at *a, const char *field, unsigned rule,
		     int need)
{
	const struct cfg *c = r->c;
	if (*ref >= c->strings_size)
		return badf(r, ref, a, field, "string offset 0x%x out of range (table is %u bytes)", *ref,
			    c->strings_size);
	if (*ref && (c->strings[*ref - 1] || !c->strings[*ref]))
		return badf(r, ref, a, field, "string offset 0x%x is not the start of a non-empty string", *ref);
	const char *why = *ref || need ? cfg_rule_str(rule, c->strings + *ref) : NULL;
	if (why)
		return badf(r, ref, a, field, "'%s': %s", c->strings + *ref, why);
	return 0;
}

static const struct cfg_list *list_of(const struct cfg *c, uint32_t type)
{
	size_t j = 0;
	while (known[j].type != type)
		j++;
	return (const void *)((const uint8_t *)c + known[j].slot);
}

static int check_fields(struct rd *r, enum cfg_rec k, const void *rec, const struct at *a);

/* One field of a record by its rule (format/rules.c); lists are walked, their records checked. */
static int check_field(struct rd *r, const struct cfg_field *f, const char *name, const void *rec, const struct at *a)
{
	const struct cfg *c = r->c;
	const void *p = (const uint8_t *)rec + f->off;
	unsigned kind = f->how & CFG_F_KIND;
	if (kind == CFG_F_STR)
		return check_str(r, p, a, name, f->arg, f->lo);
	if (kind >= CFG_F_STRS) {
		const struct cfg_range *rg = p;
		const struct cfg_list *l = list_of(c, kind == CFG_F_STRS ? CFG_SEC_STRLIST : f->hi);
		if ((uint64_t)rg->first + rg->count > l->count)
			return badf(r, rg, a, name, "entries %u..+%u out of range (the list has %u)", rg->first, rg->count,
				    l->count);
		for (uint32_t j = 0; kind != CFG_F_LIST && j < rg->count; j++) {
			const struct at e = {a->rec, a->idx, name, j};
			const void *x = entry(l, rg->first + j);
			if (kind == CFG_F_STRS ? check_str(r, x, &e, NULL, f->arg, f->arg != CFG_R_NONE)
					       : check_fields(r, f->arg, x, &e))
				return -1;
		}
		return 0;
	}
	unsigned long long v = cfg_field_get(f, rec);
	if (cfg_field_ok(f, v, r->strict))
		return 0;
	if (kind == CFG_F_RESERVED)
		return badf(r, p, a, name, "reserved, must be 0");
	if (kind != CFG_F_NUM)
		return badf(r, p, a, name, "unknown bits 0x%llx", v & ~cfg_field_hi(f));
	return badf(r, p, a, name, "%llu, expected %u..%llu%s%s%s", v, f->lo, (unsigned long long)cfg_field_hi(f),
		    f->how & CFG_F_ZERO ? " or 0" : "", f->how & CFG_F_UNSET ? " or unset" : "",
		    f->how & CFG_F_MAX ? " or max" : "");
}

/* Every field of one record, then the rule between them. */
static int check_fields(struct rd *r, enum cfg_rec k, const void *rec, const struct at *a)
{
	const struct cfg_rec_rules *t = &cfg_rec_rules[k];
	const char *name = t->names;
	for (uint32_t i = 0; i < t->n; name += strlen(name) + 1, i++)
		if (check_field(r, &t->f[i], name, rec, a))
			return -1;
	const char *field = NULL, *why = t->rule ? t->rule(rec, &field) : NULL;
	return why ? badf(r, rec, a, field, "%s", why) : 0;
}

static const char *root_at(const void *ctx, uint32_t i)
{
	return cfg_volume_root(ctx, i);
}

static int check_system(struct rd *r)
{
	const struct cfg *c = r->c;
	const struct at ar = {"release", NO_INDEX, NULL, NO_INDEX}, au = {"update", NO_INDEX, NULL, NO_INDEX};
	if ((c->release && check_fields(r, CFG_REC_RELEASE, c->release, &ar)) ||
	    (c->update && check_fields(r, CFG_REC_UPDATE, c->update, &au)))
		return -1;
	if (c->update && c->update->hosts.count > CFG_UPDATE_HOSTS_MAX)
		return badf(r, &c->update->hosts, &au, "hosts", "%u entries, expected at most %u", c->update->hosts.count,
			    CFG_UPDATE_HOSTS_MAX);
	const struct cfg_system_ext *x = r->c->system_ext;
	const struct at a = {"system", NO_INDEX, NULL, NO_INDEX}, ax = {"system_ext", NO_INDEX, NULL, NO_INDEX};
	if (check_fields(r, CFG_REC_SYSTEM, r->c->system, &a) || (x && check_fields(r, CFG_REC_SYSTEM_EXT, x, &ax)) ||
	    (r->c->ops && check_fields(r, CFG_REC_OPS, r->c->ops, &(struct at){"ops", NO_INDEX, NULL, NO_INDEX})) ||
	    (r->c->firewall &&
	     check_fields(r, CFG_REC_FIREWALL, r->c->firewall, &(struct at){"firewall", NO_INDEX, NULL, NO_INDEX})))
		return -1;
	if (x && (x->volume_roots.count < 1 || x->volume_roots.count > CFG_MAX_VOLUME_ROOTS))
		return badf(r, &x->volume_roots, &ax, "volume_roots", "%u roots, expected 1..%u", x->volume_roots.count,
			    CFG_MAX_VOLUME_ROOTS);
	return 0;
}

/* A name used twice among records of one kind (cfg_str is safe on any reference: the table ends
 * with a NUL). */
static int check_unique(struct rd *r, const struct cfg_list *l, const char *what)
{
	const struct cfg *c = r->c;
	for (uint32_t i = 0; i < l->count; i++)
		for (uint32_t j = 0; j < i; j++) {
			const uint32_t *ni = entry(l, i), *nj = entry(l, j); /* name is each record's first field */
			if (!strcmp(cfg_str(c, *ni), cfg_str(c, *nj)))
				return badf(r, ni, &(struct at){what, i, NULL, NO_INDEX}, "name", "'%s' is used twice",
					    cfg_str(c, *ni));
		}
	return 0;
}

static int check_networks(struct rd *r)
{
	const struct cfg *c = r->c;
	for (uint32_t i = 0; i < c->networks.count; i++) {
		const struct cfg_network *n = entry(&c->networks, i);
		const struct cfg_network_ext *x = cfg_network_ext(c, n);
		const struct at a = {"network", i, NULL, NO_INDEX}, ax = {"network_ext", i, NULL, NO_INDEX};
		if (check_fields(r, CFG_REC_NETWORK, n, &a) || (c->networks_ext.base && check_fields(r, CFG_REC_NETWORK_EXT, x, &ax)))
			return -1;
		const char *field, *why = cfg_rule_network_ext(n, x, cfg_str(c, n->uplink), &field);
		if (why)
			return badf(r, x, &ax, field, "%s", why);
	}
	return check_unique(r, &c->networks, "network");
}

struct names {
	const struct cfg *c;
	struct cfg_range r;
};

static const char *name_at(const void *ctx, uint32_t k)
{
	const struct names *n = ctx;
	return cfg_strlist(n->c, n->r, k);
}

/* A service's operations (1.2): its fields by the table, then what the table cannot say: the
 * health command's argv[0], exit statuses, the env_file and secrets' sources under a volume root,
 * a secret's target once. */
static int check_service_ops(struct rd *r, const struct cfg_service_ops *o, uint32_t i)
{
	const struct cfg *c = r->c;
	struct at e = {"service_ops", i, NULL, NO_INDEX};
	if (check_fields(r, CFG_REC_SERVICE_OPS, o, &e))
		return -1;
	e.list = "health";
	e.sub = 0;
	if (o->health.count && check_str(r, entry(&c->strlist, o->health.first), &e, NULL, CFG_R_ABSPATH, 1))
		return -1;
	const struct cfg_range *lists[2] = {&o->success_exit, &o->prevent_exit};
	for (int l = 0; l < 2; l++) {
		e.list = l ? "prevent_exit" : "success_exit";
		if (lists[l]->count > CFG_MAX_EXIT_LIST)
			return badf(r, lists[l], &e, NULL, "%u entries, more than %u", lists[l]->count, CFG_MAX_EXIT_LIST);
		for (e.sub = 0; e.sub < lists[l]->count; e.sub++)
			if (cfg_u32list(c, *lists[l], e.sub) > 255)
				return badf(r, entry(&c->u32list, lists[l]->first + e.sub), &e, NULL,
					    "%u, expected an exit status 0..255", cfg_u32list(c, *lists[l], e.sub));
	}
	e.list = NULL;
	e.sub = NO_INDEX;
	const char *why = o->env_file ? cfg_rule_volume_source(cfg_str(c, o->env_file), cfg_volume_root_count(c), root_at, c)
				      : NULL;
	if (why)
		return badf(r, &o->env_file, &e, "env_file", "'%s': %s", cfg_str(c, o->env_file), why);
	e.list = "secrets";
	if (o->secrets.count > CFG_MAX_SECRETS)
		return badf(r, &o->secrets, &e, NULL, "%u secrets, more than %u", o->secrets.count, CFG_MAX_SECRETS);
	for (e.sub = 0; e.sub < o->secrets.count; e.sub++) {
		const struct cfg_secret *x = cfg_secret(c, o->secrets, e.sub);
		const char *src = cfg_str(c, x->source);
		if ((why = cfg_rule_volume_source(src, cfg_volume_root_count(c), root_at, c)))
			return badf(r, &x->source, &e, "source", "'%s': %s", src, why);
		for (uint32_t k = 0; k < e.sub; k++)
			if (!strcmp(cfg_str(c, cfg_secret(c, o->secrets, k)->target), cfg_str(c, x->target)))
				return badf(r, &x->target, &e, "target", "'%s' is given twice", cfg_str(c, x->target));
	}
	return 0;
}

/* What the tables cannot say: argv[0], group ids, waits, one rlimit per resource, volumes, ports. */
static int check_service(struct rd *r, const struct cfg_service *s, uint32_t i, uint8_t *ports)
{
	const struct cfg *c = r->c;
	struct at e = {"service", i, "argv", 0};
	if (check_str(r, entry(&c->strlist, s->argv.first), &e, NULL, CFG_R_ABSPATH, 1))
		return -1;
	e.list = "groups";
	const struct cfg_field *gid = cfg_field_at(CFG_REC_SERVICE, offsetof(struct cfg_service, gid));
	for (e.sub = 0; e.sub < s->groups.count; e.sub++)
		if (!cfg_field_ok(gid, cfg_u32list(c, s->groups, e.sub), 1))
			return badf(r, entry(&c->u32list, s->groups.first + e.sub), &e, NULL, "%u is not a group id",
				    cfg_u32list(c, s->groups, e.sub));
	const struct cfg_range *lists[2] = {&s->depends, &s->after};
	for (int l = 0; l < 2; l++) {
		struct names n = {c, *lists[l]};
		e.list = l ? "after" : "depends";
		if (lists[l]->count > CFG_MAX_SERVICES)
			return badf(r, lists[l], &(struct at){"service", i, NULL, NO_INDEX}, e.list, "more than %u names",
				    CFG_MAX_SERVICES);
		int why = cfg_rule_names(cfg_str(c, s->name), lists[l]->count, name_at, &n, &e.sub);
		if (why)
			return badf(r, entry(&c->strlist, lists[l]->first + e.sub), &e, NULL, "'%s' is %s", name_at(&n, e.sub),
				    why == 1 ? "the service itself" : "listed twice");
	}
	uint32_t rlimits = 0;
	e.list = "rlimits";
	for (e.sub = 0; e.sub < s->rlimits.count; e.sub++) {
		const struct cfg_rlimit *x = cfg_rlimit(c, s->rlimits, e.sub);
		if (rlimits & (1u << x->resource))
			return badf(r, x, &e, "resource", "%u is set twice", x->resource);
		rlimits |= 1u << x->resource;
	}
	e.list = "mounts";
	for (e.sub = 0; e.sub < s->mounts.count; e.sub++) {
		const struct cfg_mount *x = cfg_mount(c, s->mounts, e.sub);
		const char *src = cfg_str(c, x->source), *field = NULL;
		const char *why = cfg_rule_mount(x, src, cfg_str(c, x->target), &field);
		if (why)
			return badf(r, x, &e, field, "%s", why);
		why = x->kind == CFG_MOUNT_BIND ? cfg_rule_volume_source(src, cfg_volume_root_count(c), root_at, c) : NULL;
		if (why)
			return badf(r, &x->source, &e, "source", "'%s': %s", src, why);
	}
	e.list = "ports";
	for (e.sub = 0; e.sub < s->ports.count; e.sub++)
		if (cfg_rule_port_seen(ports, cfg_port(c, s->ports, e.sub)))
			return badf(r, cfg_port(c, s->ports, e.sub), &e, "host_port", "published twice");
	return c->service_ops.base ? check_service_ops(r, entry(&c->service_ops, i), i) : 0;
}

static int service_index(const struct cfg *c, const char *name)
{
	const struct cfg_service *t = cfg_service_by_name(c, name);
	return t ? (int)(((const uint8_t *)t - c->services.base) / c->services.entry_size) : -2;
}

/* depends then after, as cfg_rule_cycle walks them */
static int edge_at(const void *ctx, uint32_t i, uint32_t k)
{
	const struct cfg *c = ctx;
	const struct cfg_service *s = cfg_service(c, i);
	/* a join waits for the service joined, as `after` does */
	if (k == s->depends.count + s->after.count && cfg_service_ext(c, s)->join)
		return service_index(c, cfg_str(c, cfg_service_ext(c, s)->join));
	if (k >= s->depends.count + s->after.count)
		return -1;
	return service_index(c, k < s->depends.count ? cfg_strlist(c, s->depends, k)
						      : cfg_strlist(c, s->after, k - s->depends.count));
}

/* The wait edge k of service i, for a message. */
static int bad_edge(struct rd *r, uint32_t i, uint32_t k, const char *why)
{
	const struct cfg *c = r->c;
	const struct cfg_service *s = cfg_service(c, i);
	int dep = k < s->depends.count;
	const struct cfg_range *l = dep ? &s->depends : &s->after;
	uint32_t q = dep ? k : k - s->depends.count;
	return badf(r, entry(&c->strlist, l->first + q), &(struct at){"service", i, dep ? "depends" : "after", q}, NULL,
		    "'%s' %s", cfg_strlist(c, *l, q), why);
}

/* The service service i joins (its join field), as cfg_rule_cycle walks it: one edge. */
static int join_edge(const void *ctx, uint32_t i, uint32_t k)
{
	const struct cfg *c = ctx;
	const struct cfg_service_ext *x = cfg_service_ext(c, cfg_service(c, i));
	return k || !x->join ? -1 : service_index(c, cfg_str(c, x->join));
}

/* 1.2: talks_to and join name services that can be reached or joined; a fixed IPv6 address is a
 * host of its network's subnet6, not another service's. */
static int check_refs_ext(struct rd *r, const struct cfg_service *s, uint32_t i, const struct cfg_network *n)
{
	const struct cfg *c = r->c;
	const struct cfg_service_ext *x = cfg_service_ext(c, s);
	const struct at ax = {"service_ext", i, NULL, NO_INDEX};
	if (x->join) {
		const struct cfg_service *t = cfg_service_by_name(c, cfg_str(c, x->join));
		if (!t || t == s)
			return badf(r, &x->join, &ax, "join", "'%s' is %s", cfg_str(c, x->join),
				    t ? "the service itself" : "not a service in this config");
		const struct cfg_service_ext *tx = cfg_service_ext(c, t);
		if (t->namespaces & CFG_NS_USER)
			return badf(r, &x->join, &ax, "join", "'%s' has a user namespace: its namespaces cannot be joined",
				    cfg_str(c, x->join));
		if ((x->join_ns & ~(t->namespaces | tx->join_ns)))
			return badf(r, &x->join, &ax, "join", "'%s' has no namespace of its own to join (join_ns 0x%x)",
				    cfg_str(c, x->join), x->join_ns);
	}
	for (uint32_t k = 0; k < x->talks_to.count; k++) {
		const struct cfg_talk *tk = cfg_talk(c, x->talks_to, k);
		const char *name = cfg_str(c, tk->service);
		const struct cfg_service *t = cfg_service_by_name(c, name);
		const char *why = !t ? "is not a service in this config" : t == s ? "is the service itself"
					 : cfg_rule_talk_target(t, cfg_service_ext(c, t));
		if (why)
			return badf(r, tk, &(struct at){"service_ext", i, "talks_to", k}, "service", "'%s' %s", name, why);
	}
	const struct cfg_network_ext *nx = n ? cfg_network_ext(c, n) : NULL;
	if (!nx || cfg_ip6_zero(x->address6))
		return 0;
	int why = cfg_rule_address6(x->address6, nx->address6, nx->prefix6);
	if (!nx->prefix6)
		why = CFG_ADDR_OUTSIDE;
	for (uint32_t j = 0; !why && j < i; j++) {
		const struct cfg_service *o = cfg_service(c, j);
		why = o->network && !strcmp(cfg_str(c, o->network), cfg_str(c, s->network)) &&
		      !memcmp(cfg_service_ext(c, o)->address6, x->address6, 16) ? 4 : 0;
	}
	static const char *const addr_why[] = {"", "is not in the network's subnet6", "is the bridge's own address",
					       "is the subnet's all-zero host", "is another service's"};
	if (why)
		return badf(r, x->address6, &ax, "address6", "%s", addr_why[why]);
	return 0;
}

/* Names another record refers to must exist, so consumers never meet a dangling name; a fixed
 * address is a host of its network, not another service's. */
static int check_refs(struct rd *r, const struct cfg_service *s, uint32_t i)
{
	const struct cfg *c = r->c;
	const struct at a = {"service", i, NULL, NO_INDEX};
	const struct cfg_network *n = s->network ? cfg_network_by_name(c, cfg_str(c, s->network)) : NULL;
	if (s->network && !n)
		return badf(r, &s->network, &a, "network", "'%s' is not a network in this config", cfg_str(c, s->network));
	static const char *const addr_why[] = {"is another service's", "is not in the network's subnet",
					       "is the bridge's own address", "is the subnet's network or broadcast address"};
	int why = n ? cfg_rule_address(s->address, n->address, n->prefix) : 0;
	for (uint32_t j = 0; !why && s->address && j < i; j++) {
		const struct cfg_service *o = cfg_service(c, j);
		why = o->address == s->address && o->network && !strcmp(cfg_str(c, o->network), cfg_str(c, s->network))
			      ? -1 : 0;
	}
	if (why)
		return badf(r, &s->address, &a, "address", "0x%08x %s", s->address, addr_why[why < 0 ? 0 : why]);
	for (uint32_t k = 0; (why = edge_at(c, i, k)) != -1; k++)
		if (why < 0)
			return bad_edge(r, i, k, "is not a service in this config");
	return check_refs_ext(r, s, i, n);
}

static int check_services(struct rd *r)
{
	const struct cfg *c = r->c;
	uint8_t ports[CFG_PORTS_SEEN] = {0};
	if (check_unique(r, &c->services, "service"))
		return -1;
	for (uint32_t i = 0; i < c->services.count; i++) {
		const struct cfg_service *s = entry(&c->services, i);
		if (check_fields(r, CFG_REC_SERVICE, s, &(struct at){"service", i, NULL, NO_INDEX}) ||
		    check_service(r, s, i, ports))
			return -1;
		const struct cfg_service_ext *x = cfg_service_ext(c, s);
		const struct at ax = {"service_ext", i, NULL, NO_INDEX};
		if (c->services_ext.base && check_fields(r, CFG_REC_SERVICE_EXT, x, &ax))
			return -1;
		const char *field, *why = cfg_rule_service_ext(s, x, &field);
		if (why)
			return badf(r, x, &ax, field, "%s", why);
	}
	for (uint32_t i = 0; i < c->services.count; i++)
		if (check_refs(r, entry(&c->services, i), i))
			return -1;
	uint32_t ci, ck;
	if (cfg_rule_cycle(c->services.count, join_edge, c, &ci, &ck))
		return badf(r, &cfg_service_ext(c, cfg_service(c, ci))->join, &(struct at){"service_ext", ci, NULL, NO_INDEX},
			    "join", "'%s' closes a join cycle", cfg_str(c, cfg_service_ext(c, cfg_service(c, ci))->join));
	if (cfg_rule_cycle(c->services.count, edge_at, c, &ci, &ck)) {
		const struct cfg_service *s = cfg_service(c, ci);
		if (ck == s->depends.count + s->after.count)
			return badf(r, &cfg_service_ext(c, s)->join, &(struct at){"service_ext", ci, NULL, NO_INDEX}, "join",
				    "'%s' closes a dependency cycle", cfg_str(c, cfg_service_ext(c, s)->join));
		return bad_edge(r, ci, ck, "closes a dependency cycle");
	}
	return 0;
}

/* Each record by its rules; digests strictly ascending, so each layer has at most one and the
 * device finds it by bisection. */
static int check_verity(struct rd *r)
{
	const struct cfg_list *l = &r->c->verity;
	for (uint32_t i = 0; i < l->count; i++) {
		const struct cfg_verity *v = entry(l, i);
		struct at a = {"verity", i, NULL, NO_INDEX};
		if (check_fields(r, CFG_REC_VERITY, v, &a))
			return -1;
		if (i && memcmp(((const struct cfg_verity *)entry(l, i - 1))->digest, v->digest, 32) >= 0)
			return badf(r, v->digest, &a, "digest", "not above the previous record's (sorted, each layer once)");
	}
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
	    check_networks(&r) || check_services(&r) || check_verity(&r)) {
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
		       "user) and networks stay open (no firewall); recompile with keelc for 1.2";
	if (c->hdr->minor == 1)
		return "format 1.1: networks stay open (no firewall: services reach each other and the outside); "
		       "recompile with keelc for 1.2 (docs/networking.md, \"Migrating to 1.2\")";
	return NULL;
}

const struct cfg_ops *cfg_ops(const struct cfg *c)
{
	static const struct cfg_ops none;
	return c->ops ? c->ops : &none;
}

const struct cfg_service_ops *cfg_service_ops(const struct cfg *c, const struct cfg_service *s)
{
	static const struct cfg_service_ops none;
	if (!c->service_ops.base)
		return &none;
	size_t i = (size_t)((const uint8_t *)s - c->services.base) / c->services.entry_size;
	return entry(&c->service_ops, (uint32_t)i);
}

const struct cfg_secret *cfg_secret(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return entry(&c->secrets, r.first + i);
}

int cfg_exit_listed(const struct cfg *c, struct cfg_range r, int code)
{
	for (uint32_t i = 0; i < r.count; i++)
		if ((int)cfg_u32list(c, r, i) == code)
			return 1;
	return 0;
}

uint64_t cfg_serial(const struct cfg *c)
{
	return c->release ? c->release->serial : 0;
}

uint32_t cfg_min_keel(const struct cfg *c)
{
	return c->release ? c->release->min_keel : 0;
}

int cfg_check_keel_version(const struct cfg *c, const char *name, struct err *e)
{
	if (cfg_min_keel(c) <= KEEL_VERSION_CODE)
		return 0;
	char need[12];
	keel_version_str(cfg_min_keel(c), need);
	return err_set(e, ENOTSUP, "%s: release.min_keel: needs keel %s or newer (this is " KEEL_VERSION ")", name, need);
}

const struct cfg_update_host *cfg_update_host(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return entry(&c->update_hosts, r.first + i);
}

static const struct cfg_network_ext no_network_ext;
static const struct cfg_service_ext no_service_ext;

uint32_t cfg_service_index(const struct cfg *c, const struct cfg_service *s)
{
	return (uint32_t)(((const uint8_t *)s - c->services.base) / c->services.entry_size);
}

uint32_t cfg_network_index(const struct cfg *c, const struct cfg_network *n)
{
	return (uint32_t)(((const uint8_t *)n - c->networks.base) / c->networks.entry_size);
}

const struct cfg_network_ext *cfg_network_ext(const struct cfg *c, const struct cfg_network *n)
{
	return c->networks_ext.base ? entry(&c->networks_ext, cfg_network_index(c, n)) : &no_network_ext;
}

const struct cfg_service_ext *cfg_service_ext(const struct cfg *c, const struct cfg_service *s)
{
	return c->services_ext.base ? entry(&c->services_ext, cfg_service_index(c, s)) : &no_service_ext;
}

const struct cfg_talk *cfg_talk(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return entry(&c->talks, r.first + i);
}

const struct cfg_cidr *cfg_cidr(const struct cfg *c, struct cfg_range r, uint32_t i)
{
	return entry(&c->cidrs, r.first + i);
}

int cfg_firewall_on(const struct cfg *c)
{
	return c->firewall && !(c->firewall->flags & CFG_FW_OFF);
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

uint32_t cfg_verity_count(const struct cfg *c)
{
	return c->verity.count;
}

const struct cfg_verity *cfg_verity_at(const struct cfg *c, uint32_t i)
{
	return entry(&c->verity, i);
}

const struct cfg_verity *cfg_verity_of(const struct cfg *c, const uint8_t digest[32])
{
	uint32_t lo = 0, hi = c->verity.count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct cfg_verity *v = entry(&c->verity, mid);
		int d = memcmp(v->digest, digest, 32);
		if (!d)
			return v;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
