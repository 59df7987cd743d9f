/* The binary config writer: lays keelc's model out exactly as format/layout.h describes. Output is a
 * function of the model only (strings interned in a fixed walk order, no timestamps), so the same
 * text gives the same bytes, and text printed back by `keel check` gives them too. */
#include <bearssl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "format/rules.h"
#include "model.h"

struct bytes {
	uint8_t *v;
	uint32_t n, cap;
};

static void put(struct bytes *b, const void *p, size_t n)
{
	if (n == 0)
		return; /* memcpy from or to NULL is undefined even for 0 bytes (UBSan says so) */
	while (b->n + n > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->v = xrealloc(b->v, b->cap);
	}
	memcpy(b->v + b->n, p, n);
	b->n += (uint32_t)n;
}

struct w {
	struct bytes strings, strlist, u32list, digests, networks, services, mounts, idmaps, rlimits, syscalls,
		iolimits, ports, devices, service_ops, secrets, networks_ext, services_ext, talks, cidrs;
	struct err *e;
};

/* Identical strings share one copy; offset 0 is the empty string ("unset"). */
static uint32_t str(struct w *w, const char *s)
{
	if (!s || !*s)
		return 0;
	size_t n = strlen(s) + 1;
	for (uint32_t off = 1, have; off < w->strings.n; off += have) {
		have = (uint32_t)strlen((char *)w->strings.v + off) + 1;
		if (have == n && !memcmp(w->strings.v + off, s, n))
			return off;
	}
	uint32_t off = w->strings.n;
	put(&w->strings, s, n);
	return off;
}

static struct cfg_range strs(struct w *w, char *const *v, uint32_t n)
{
	struct cfg_range r = {w->strlist.n / 4, n};
	for (uint32_t i = 0; i < n; i++) {
		uint32_t ref = str(w, v[i]);
		put(&w->strlist, &ref, 4);
	}
	return r;
}

static struct cfg_range refs(struct w *w, const refvec *v)
{
	struct cfg_range r = {w->strlist.n / 4, v->n};
	for (uint32_t i = 0; i < v->n; i++) {
		uint32_t ref = str(w, v->v[i].name);
		put(&w->strlist, &ref, 4);
	}
	return r;
}

/* Append n records of `size` bytes to a list section; returns their range. */
static struct cfg_range recs(struct bytes *b, const void *v, uint32_t n, size_t size)
{
	struct cfg_range r = {b->n / (uint32_t)size, n};
	put(b, v, n * size);
	return r;
}

static void write_service(struct w *w, const struct h_service *h)
{
	struct cfg_service s = h->r;
	s.name = str(w, h->name);
	s.argv = strs(w, h->argv.v, h->argv.n);
	s.env = strs(w, h->env.v, h->env.n);
	s.workdir = str(w, h->workdir);
	s.hostname = str(w, h->hostname);
	s.depends = refs(w, &h->depends);
	s.after = refs(w, &h->after);
	s.network = str(w, h->network.name);
	s.cpuset_cpus = str(w, h->cpuset_cpus);
	s.layers = recs(&w->digests, h->layers.v, h->layers.n, 32);
	s.groups = recs(&w->u32list, h->groups.v, h->groups.n, 4);
	s.idmaps = recs(&w->idmaps, h->idmaps.v, h->idmaps.n, sizeof(struct cfg_idmap));
	s.rlimits = recs(&w->rlimits, h->rlimits.v, h->rlimits.n, sizeof(struct cfg_rlimit));
	s.ports = recs(&w->ports, h->ports.v, h->ports.n, sizeof(struct cfg_port));
	s.syscalls = (struct cfg_range){w->syscalls.n / sizeof(struct cfg_syscall_rule), h->syscalls.n};
	for (uint32_t i = 0; i < h->syscalls.n; i++) {
		struct cfg_syscall_rule x = h->syscalls.v[i].r;
		x.name = str(w, h->syscalls.v[i].name);
		put(&w->syscalls, &x, sizeof x);
	}
	s.mounts = (struct cfg_range){w->mounts.n / sizeof(struct cfg_mount), h->mounts.n};
	for (uint32_t i = 0; i < h->mounts.n; i++) {
		struct cfg_mount x = h->mounts.v[i].r;
		x.source = str(w, h->mounts.v[i].source);
		x.target = str(w, h->mounts.v[i].target);
		put(&w->mounts, &x, sizeof x);
	}
	s.devices = (struct cfg_range){w->devices.n / sizeof(struct cfg_device), h->devices.n};
	for (uint32_t i = 0; i < h->devices.n; i++) {
		struct cfg_device x = h->devices.v[i].r;
		x.path = str(w, h->devices.v[i].path);
		put(&w->devices, &x, sizeof x);
	}
	s.io_max = (struct cfg_range){w->iolimits.n / sizeof(struct cfg_io_limit), h->io_max.n};
	for (uint32_t i = 0; i < h->io_max.n; i++) {
		struct cfg_io_limit x = h->io_max.v[i].r;
		x.device = str(w, h->io_max.v[i].device);
		put(&w->iolimits, &x, sizeof x);
	}
	memset(s.reserved, 0, sizeof s.reserved);
	put(&w->services, &s, sizeof s);
	struct cfg_service_ext x = h->x;
	x.join = str(w, h->join.name);
	x.talks_to = (struct cfg_range){w->talks.n / sizeof(struct cfg_talk), h->talks.n};
	for (uint32_t i = 0; i < h->talks.n; i++) {
		struct cfg_talk t = h->talks.v[i].r;
		t.service = str(w, h->talks.v[i].service.name);
		put(&w->talks, &t, sizeof t);
	}
	x.egress = recs(&w->cidrs, h->egress.v, h->egress.n, sizeof(struct cfg_cidr));
	x.reserved = 0;
	put(&w->services_ext, &x, sizeof x);
	struct cfg_service_ops o = h->o;
	o.health = strs(w, h->health.v, h->health.n);
	o.env_file = str(w, h->env_file);
	o.success_exit = recs(&w->u32list, h->success_exit.v, h->success_exit.n, 4);
	o.prevent_exit = recs(&w->u32list, h->prevent_exit.v, h->prevent_exit.n, 4);
	o.secrets = (struct cfg_range){w->secrets.n / sizeof(struct cfg_secret), h->secrets.n};
	for (uint32_t i = 0; i < h->secrets.n; i++) {
		struct cfg_secret sec = {str(w, h->secrets.v[i].source), str(w, h->secrets.v[i].target)};
		put(&w->secrets, &sec, sizeof sec);
	}
	put(&w->service_ops, &o, sizeof o);
}

/* Any service sets an operation (1.2): else the SERVICE_OPS section is left out. */
static int any_service_ops(const struct model *m)
{
	static const struct cfg_service_ops none;
	for (uint32_t i = 0; i < m->services.n; i++) {
		const struct h_service *h = &m->services.v[i];
		if (memcmp(&h->o, &none, sizeof none) || h->health.n || h->env_file || h->success_exit.n ||
		    h->prevent_exit.n || h->secrets.n)
			return 1;
	}
	return 0;
}

void config_digest(uint8_t *buf)
{
	struct cfg_header *h = (struct cfg_header *)buf;
	br_sha256_context sha;
	br_sha256_init(&sha);
	br_sha256_update(&sha, buf, offsetof(struct cfg_header, digest));
	br_sha256_update(&sha, buf + sizeof *h, h->total_size - sizeof *h);
	br_sha256_out(&sha, h->digest);
}

int model_write(const struct model *m, uint8_t **out, size_t *out_len, struct err *e)
{
	struct w w;
	memset(&w, 0, sizeof w);
	w.e = e;
	put(&w.strings, "", 1);

	const struct h_system *hs = &m->system;
	struct cfg_system sys = hs->r;
	sys.hostname = str(&w, hs->hostname);
	sys.modules = strs(&w, hs->modules.v, hs->modules.n);
	sys.sysctls = strs(&w, hs->sysctls.v, hs->sysctls.n);
	sys.watchdog_device = str(&w, hs->watchdog_device);
	sys.data_device = str(&w, hs->data_device);
	sys.data_fstype = str(&w, hs->data_fstype);
	sys.data_options = str(&w, hs->data_options);
	memset(sys.reserved, 0, sizeof sys.reserved);
	struct cfg_system_ext ext = hs->x;
	static char *const data_root[] = {(char *)CFG_DATA_ROOT};
	ext.volume_roots = hs->volume_roots.n ? strs(&w, hs->volume_roots.v, hs->volume_roots.n) : strs(&w, data_root, 1);

	for (uint32_t i = 0; i < m->networks.n; i++) {
		const struct h_network *hn = &m->networks.v[i];
		struct cfg_network n = hn->r;
		n.name = str(&w, hn->name);
		n.bridge = str(&w, hn->bridge);
		n.uplink = str(&w, hn->uplink);
		memset(n.reserved, 0, sizeof n.reserved);
		put(&w.networks, &n, sizeof n);
		struct cfg_network_ext x = hn->x;
		memset(x.reserved, 0, sizeof x.reserved);
		put(&w.networks_ext, &x, sizeof x);
	}
	for (uint32_t i = 0; i < m->services.n; i++)
		write_service(&w, &m->services.v[i]);

	if (!any_service_ops(m))
		w.service_ops.n = 0; /* the records were laid out with their strings; the section is left out */
	struct cfg_ops ops = hs->o;
	ops.syslog_ca = str(&w, hs->syslog_ca);
	ops.syslog_server_name = str(&w, hs->syslog_server_name);
	ops.metrics_file = str(&w, hs->metrics_file);
	static const struct cfg_ops no_ops;
	struct bytes sysb = {0}, extb = {0}, relb = {0}, updb = {0}, hostb = {0}, opsb = {0}, fwb = {0}, verb = {0};
	put(&sysb, &sys, sizeof sys);
	put(&extb, &ext, sizeof ext);
	put(&verb, m->verity.v, m->verity.n * sizeof(struct cfg_verity)); /* sorted by model_parse */
	if (memcmp(&ops, &no_ops, sizeof ops))
		put(&opsb, &ops, sizeof ops);
	const struct h_update *hu = &m->update;
	struct cfg_release rel = hu->rel;
	rel.reserved = 0;
	put(&relb, &rel, sizeof rel);
	if (hu->registry) {
		struct cfg_update upd = hu->r;
		upd.source = str(&w, hu->source);
		upd.ca = str(&w, hu->ca);
		upd.credentials = str(&w, hu->credentials);
		upd.hosts = (struct cfg_range){0, hu->hosts.n};
		memset(upd.reserved, 0, sizeof upd.reserved);
		for (uint32_t i = 0; i < hu->hosts.n; i++) {
			struct cfg_update_host h = hu->hosts.v[i].r;
			h.name = str(&w, hu->hosts.v[i].name);
			memset(h.reserved, 0, sizeof h.reserved);
			put(&hostb, &h, sizeof h);
		}
		put(&updb, &upd, sizeof upd);
	}
	struct cfg_firewall fw = hs->fw;
	memset(fw.reserved, 0, sizeof fw.reserved);
	put(&fwb, &fw, sizeof fw);
	/* Table order is the file order; empty list sections are left out. */
	struct { uint16_t type; struct bytes *b; uint32_t entry; } secs[] = {
		{CFG_SEC_STRINGS, &w.strings, 1},
		{CFG_SEC_SYSTEM, &sysb, sizeof(struct cfg_system)},
		{CFG_SEC_NETWORKS, &w.networks, sizeof(struct cfg_network)},
		{CFG_SEC_SERVICES, &w.services, sizeof(struct cfg_service)},
		{CFG_SEC_STRLIST, &w.strlist, 4},
		{CFG_SEC_U32LIST, &w.u32list, 4},
		{CFG_SEC_DIGESTS, &w.digests, 32},
		{CFG_SEC_MOUNTS, &w.mounts, sizeof(struct cfg_mount)},
		{CFG_SEC_IDMAPS, &w.idmaps, sizeof(struct cfg_idmap)},
		{CFG_SEC_RLIMITS, &w.rlimits, sizeof(struct cfg_rlimit)},
		{CFG_SEC_SYSCALLS, &w.syscalls, sizeof(struct cfg_syscall_rule)},
		{CFG_SEC_IOLIMITS, &w.iolimits, sizeof(struct cfg_io_limit)},
		{CFG_SEC_PORTS, &w.ports, sizeof(struct cfg_port)},
		{CFG_SEC_DEVICES, &w.devices, sizeof(struct cfg_device)},
		{CFG_SEC_SYSTEM_EXT, &extb, sizeof(struct cfg_system_ext)},
		{CFG_SEC_RELEASE, &relb, sizeof(struct cfg_release)},
		{CFG_SEC_UPDATE, &updb, sizeof(struct cfg_update)},
		{CFG_SEC_UPDATE_HOSTS, &hostb, sizeof(struct cfg_update_host)},
		{CFG_SEC_OPS, &opsb, sizeof(struct cfg_ops)},
		{CFG_SEC_SERVICE_OPS, &w.service_ops, sizeof(struct cfg_service_ops)},
		{CFG_SEC_SECRETS, &w.secrets, sizeof(struct cfg_secret)},
		{CFG_SEC_NETWORKS_EXT, &w.networks_ext, sizeof(struct cfg_network_ext)},
		{CFG_SEC_SERVICES_EXT, &w.services_ext, sizeof(struct cfg_service_ext)},
		{CFG_SEC_TALKS, &w.talks, sizeof(struct cfg_talk)},
		{CFG_SEC_CIDRS, &w.cidrs, sizeof(struct cfg_cidr)},
		{CFG_SEC_FIREWALL, &fwb, sizeof(struct cfg_firewall)},
		{CFG_SEC_VERITY, &verb, sizeof(struct cfg_verity)},
	};
	size_t nsecs = sizeof secs / sizeof secs[0];
	uint32_t count = 0;
	for (size_t i = 0; i < nsecs; i++)
		count += i < 2 || secs[i].b->n;
	uint64_t off = sizeof(struct cfg_header) + (uint64_t)count * sizeof(struct cfg_section);
	off = (off + 7) & ~7ull;
	struct cfg_section table[sizeof secs / sizeof secs[0]];
	uint32_t t = 0;
	for (size_t i = 0; i < nsecs; i++) {
		if (i >= 2 && !secs[i].b->n)
			continue;
		struct cfg_section s = {secs[i].type, CFG_SECF_REQUIRED, (uint32_t)off, secs[i].b->n,
					secs[i].type == CFG_SEC_STRINGS ? 0 : secs[i].b->n / secs[i].entry,
					secs[i].entry, 0};
		table[t++] = s;
		off = (off + secs[i].b->n + 7) & ~7ull;
	}
	if (off > CFG_MAX_SIZE) {
		for (size_t i = 0; i < nsecs; i++)
			free(secs[i].b->v);
		return err_set(e, 0, "the binary config would be %llu bytes, over the %u-byte limit",
			       (unsigned long long)off, CFG_MAX_SIZE);
	}
	uint8_t *buf = xrealloc(NULL, off);
	memset(buf, 0, off);
	struct cfg_header h;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, CFG_MAGIC, CFG_MAGIC_LEN);
	h.major = CFG_VERSION_MAJOR;
	h.minor = CFG_VERSION_MINOR;
	h.header_size = sizeof h;
	h.total_size = (uint32_t)off;
	h.section_offset = sizeof h;
	h.section_count = count;
	memcpy(buf, &h, sizeof h);
	memcpy(buf + sizeof h, table, t * sizeof table[0]);
	for (uint32_t i = 0, k = 0; i < nsecs; i++) {
		if (i >= 2 && !secs[i].b->n)
			continue;
		if (secs[i].b->n)
			memcpy(buf + table[k].offset, secs[i].b->v, secs[i].b->n);
		k++;
	}
	for (size_t i = 0; i < nsecs; i++)
		free(secs[i].b->v);
	config_digest(buf);
	*out = buf;
	*out_len = off;
	return 0;
}
