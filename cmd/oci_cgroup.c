/* An OCI container's cgroup: its path from linux.cgroupsPath (systemd's slice:prefix:name form
 * with --systemd-cgroup, made directly in the cgroup v2 file system), linux.resources as the
 * cgroup v2 files they write (the v1-style fields converted as crun converts them, `unified`
 * as given), and the device rules the device program enforces. A resource this host's cgroup v2
 * cannot apply (a hybrid host leaves its controllers to v1) is refused, never skipped. */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../lib/file.h"

#define FIELDS(d, t, path, names, v, e) oci_fields(d, t, path, names, sizeof names / sizeof names[0], v, e)

struct res {
	struct oci_config *c;
	struct oci_cg_write *w;
	unsigned n, cap;
};

/* A write; with `replace`, one replacing an earlier write of the same file (unified overrides the
 * fields); io.max and the like take one line per write and append. */
static int write_to(struct res *r, const char *ctrl, const char *file, const char *value, const char *key,
		    bool replace, struct err *e)
{
	if (!value || !file)
		return -1; /* an arena failure, e set */
	if (r->n == r->cap) {
		unsigned cap = r->cap ? r->cap * 2 : 16;
		struct oci_cg_write *nw = oci_alloc(&r->c->doc, cap * sizeof *nw, e);
		if (!nw)
			return -1;
		if (r->n)
			memcpy(nw, r->w, r->n * sizeof *nw);
		r->w = nw;
		r->cap = cap;
	}
	for (unsigned i = 0; replace && i < r->n; i++)
		if (!strcmp(r->w[i].file, file)) {
			r->w[i] = (struct oci_cg_write){ctrl, file, value, key};
			return 0;
		}
	r->w[r->n++] = (struct oci_cg_write){ctrl, file, value, key};
	return 0;
}

static int put(struct res *r, const char *ctrl, const char *file, const char *value, const char *key, struct err *e)
{
	return write_to(r, ctrl, file, value, key, true, e);
}

static const char *num(struct oci_doc *d, int64_t v, struct err *e)
{
	return v < 0 ? "max" : oci_fmt(d, e, "%" PRId64, v);
}

/* The fields of one object, in names order; the integers in out (absent: INT64_MIN). A field in
 * `strs` (bit per index) is not an integer and is left to the caller. */
static int ints(struct oci_doc *d, uint32_t t, const char *path, const char *const *names, unsigned n, int64_t *out,
		uint32_t *v, uint32_t strs, struct err *e)
{
	if (oci_fields(d, t, path, names, n, v, e) < 0)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		out[i] = INT64_MIN;
		if (v[i] == JSON_NONE || (strs & (1u << i)))
			continue;
		if (oci_i64(d, v[i], oci_path(d, path, names[i]), &out[i], e) < 0) {
			/* A u64 beyond INT64_MAX (Go's MaxUint64 for "unlimited") is "max". */
			uint64_t u;
			struct err e2;
			if (oci_u64(d, v[i], path, &u, &e2) < 0)
				return -1;
			out[i] = -1;
		}
	}
	return 0;
}

static int refuse_if(struct oci_doc *d, bool set, const char *path, const char *why, struct err *e)
{
	return set ? err_set(e, ENOTSUP, "%s: %s: %s", d->file, path, why) : 0;
}

static int memory(struct res *r, uint32_t t, struct err *e)
{
	struct oci_doc *d = &r->c->doc;
	static const char *const names[] = {"limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness",
					    "disableOOMKiller", "useHierarchy", "checkBeforeUpdate"};
	enum { LIMIT, RESV, SWAP, KERNEL, KTCP, SWAPPINESS, NOOOM, HIER, CHECK };
	int64_t x[9];
	uint32_t v[9];
	const char *p = "linux.resources.memory";
	if (ints(d, t, p, names, 9, x, v, 1u << SWAPPINESS | 1u << NOOOM | 1u << HIER | 1u << CHECK, e) < 0)
		return -1;
	if (refuse_if(d, x[KERNEL] != INT64_MIN && x[KERNEL] != 0, "linux.resources.memory.kernel",
		      "kernel memory limits do not exist in cgroup v2", e) < 0 ||
	    refuse_if(d, x[KTCP] != INT64_MIN && x[KTCP] != 0, "linux.resources.memory.kernelTCP",
		      "kernel TCP limits do not exist in cgroup v2", e) < 0 ||
	    refuse_if(d, v[SWAPPINESS] != JSON_NONE, "linux.resources.memory.swappiness",
		      "swappiness does not exist in cgroup v2", e) < 0)
		return -1;
	static const int bools[] = {NOOOM, HIER, CHECK};
	static const char *const why[] = {"the OOM killer cannot be disabled in cgroup v2",
					  "cgroup v2 is always hierarchical", "keel has no update command"};
	for (int i = 0; i < 3; i++) {
		bool b = false;
		if (v[bools[i]] != JSON_NONE && oci_bool(d, v[bools[i]], oci_path(d, p, names[bools[i]]), &b, e) < 0)
			return -1;
		if (refuse_if(d, b && bools[i] != HIER, oci_path(d, p, names[bools[i]]), why[i], e) < 0)
			return -1;
	}
	/* 0 is Go's "unset" for these. */
	if (x[LIMIT] != INT64_MIN && x[LIMIT] != 0 &&
	    put(r, "memory", "memory.max", num(d, x[LIMIT], e), "linux.resources.memory.limit", e) < 0)
		return -1;
	if (x[RESV] != INT64_MIN && x[RESV] != 0 &&
	    put(r, "memory", "memory.low", num(d, x[RESV], e), "linux.resources.memory.reservation", e) < 0)
		return -1;
	if (x[SWAP] != INT64_MIN && x[SWAP] != 0) {
		/* v1's swap is memory+swap; v2's swap.max is the swap alone. */
		int64_t s = x[SWAP];
		if (s > 0 && x[LIMIT] > 0) {
			if (s < x[LIMIT])
				return err_set(e, EINVAL, "%s: linux.resources.memory.swap: %" PRId64 " is less than the limit %" PRId64,
					       d->file, s, x[LIMIT]);
			s -= x[LIMIT];
		}
		if (put(r, "memory", "memory.swap.max", num(d, s, e), "linux.resources.memory.swap", e) < 0)
			return -1;
	}
	return 0;
}

static int cpu(struct res *r, uint32_t t, struct err *e)
{
	struct oci_doc *d = &r->c->doc;
	static const char *const names[] = {"shares", "quota", "burst", "period", "realtimeRuntime", "realtimePeriod",
					    "cpus", "mems", "idle"};
	enum { SHARES, QUOTA, BURST, PERIOD, RTR, RTP, CPUS, MEMS, IDLE };
	int64_t x[9];
	uint32_t v[9];
	const char *p = "linux.resources.cpu";
	if (ints(d, t, p, names, 9, x, v, 1u << CPUS | 1u << MEMS, e) < 0)
		return -1;
	if (refuse_if(d, (x[RTR] != INT64_MIN && x[RTR]) || (x[RTP] != INT64_MIN && x[RTP]), "linux.resources.cpu.realtimeRuntime",
		      "real-time CPU limits do not exist in cgroup v2", e) < 0)
		return -1;
	if (x[SHARES] != INT64_MIN && x[SHARES] != 0) {
		/* crun's conversion of [2, 262144] onto [1, 10000]. */
		int64_t s = x[SHARES] < 2 ? 2 : x[SHARES] > 262144 ? 262144 : x[SHARES];
		if (put(r, "cpu", "cpu.weight", oci_fmt(d, e, "%" PRId64, 1 + ((s - 2) * 9999) / 262142),
			"linux.resources.cpu.shares", e) < 0)
			return -1;
	}
	if ((x[QUOTA] != INT64_MIN && x[QUOTA] != 0) || (x[PERIOD] != INT64_MIN && x[PERIOD] != 0)) {
		int64_t q = x[QUOTA] == INT64_MIN || x[QUOTA] == 0 ? -1 : x[QUOTA];
		int64_t per = x[PERIOD] == INT64_MIN || x[PERIOD] == 0 ? 100000 : x[PERIOD];
		const char *val = q < 0 ? oci_fmt(d, e, "max %" PRId64, per) : oci_fmt(d, e, "%" PRId64 " %" PRId64, q, per);
		if (put(r, "cpu", "cpu.max", val, "linux.resources.cpu.quota", e) < 0)
			return -1;
	}
	if (x[BURST] != INT64_MIN &&
	    put(r, "cpu", "cpu.max.burst", oci_fmt(d, e, "%" PRId64, x[BURST]), "linux.resources.cpu.burst", e) < 0)
		return -1;
	if (x[IDLE] != INT64_MIN && put(r, "cpu", "cpu.idle", oci_fmt(d, e, "%" PRId64, x[IDLE]), "linux.resources.cpu.idle", e) < 0)
		return -1;
	for (int i = CPUS; i <= MEMS; i++) {
		if (v[i] == JSON_NONE || json_eq(&d->j, v[i], ""))
			continue;
		const char *s = oci_str(d, v[i], oci_path(d, p, names[i]), e);
		if (!s || put(r, "cpuset", i == CPUS ? "cpuset.cpus" : "cpuset.mems", s, oci_path(d, p, names[i]), e) < 0)
			return -1;
	}
	return 0;
}

/* blockIO's per-device entries: "MAJ:MIN" plus a value. */
static int devlist(struct res *r, uint32_t t, const char *path, const char *file, const char *what, struct err *e)
{
	struct oci_doc *d = &r->c->doc;
	if (json_type(&d->j, t) != JSON_ARRAY)
		return err_set(e, EINVAL, "%s: %s: expected an array", d->file, path);
	struct json_iter it = json_iter(&d->j, t);
	uint32_t k, x;
	unsigned i = 0;
	while (json_next(&d->j, &it, &k, &x)) {
		const char *ep = oci_fmt(d, e, "%s[%u]", path, i++);
		static const char *const names[] = {"major", "minor", "weight", "leafWeight", "rate"};
		int64_t n[5];
		uint32_t v[5];
		if (!ep || ints(d, x, ep, names, 5, n, v, 0, e) < 0)
			return -1;
		if (n[0] == INT64_MIN || n[1] == INT64_MIN)
			return err_set(e, EINVAL, "%s: %s: major and minor are required", d->file, ep);
		if (refuse_if(d, n[3] != INT64_MIN && n[3], oci_path(d, ep, "leafWeight"), "leaf weights do not exist in cgroup v2", e) < 0)
			return -1;
		const char *val;
		if (!strcmp(what, "weight")) {
			if (n[2] == INT64_MIN)
				continue;
			val = oci_fmt(d, e, "%" PRId64 ":%" PRId64 " %" PRId64, n[0], n[1], 1 + (n[2] - 10) * 9999 / 990);
		} else {
			if (n[4] == INT64_MIN)
				return err_set(e, EINVAL, "%s: %s.rate: required", d->file, ep);
			val = oci_fmt(d, e, "%" PRId64 ":%" PRId64 " %s=%" PRId64, n[0], n[1], what, n[4]);
		}
		if (write_to(r, "io", file, val, ep, false, e) < 0)
			return -1;
	}
	return 0;
}

static int blockio(struct res *r, uint32_t t, struct err *e)
{
	struct oci_doc *d = &r->c->doc;
	static const char *const names[] = {"weight", "leafWeight", "weightDevice", "throttleReadBpsDevice",
					    "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
	int64_t x[7];
	uint32_t v[7];
	const char *p = "linux.resources.blockIO";
	if (ints(d, t, p, names, 7, x, v, 0x7c, e) < 0)
		return -1;
	if (refuse_if(d, x[1] != INT64_MIN && x[1], "linux.resources.blockIO.leafWeight", "leaf weights do not exist in cgroup v2", e) < 0)
		return -1;
	if (x[0] != INT64_MIN && x[0] &&
	    put(r, "io", "io.weight", oci_fmt(d, e, "default %" PRId64, 1 + (x[0] - 10) * 9999 / 990), "linux.resources.blockIO.weight", e) < 0)
		return -1;
	static const char *const what[] = {"weight", "rbps", "wbps", "riops", "wiops"};
	for (int i = 2; i < 7; i++)
		if (v[i] != JSON_NONE &&
		    devlist(r, v[i], oci_path(d, p, names[i]), i == 2 ? "io.weight" : "io.max", what[i - 2], e) < 0)
			return -1;
	return 0;
}

static int hugepages(struct res *r, uint32_t t, struct err *e)
{
	struct oci_doc *d = &r->c->doc;
	if (json_type(&d->j, t) != JSON_ARRAY)
		return err_set(e, EINVAL, "%s: linux.resources.hugepageLimits: expected an array", d->file);
	struct json_iter it = json_iter(&d->j, t);
	uint32_t k, x;
	unsigned i = 0;
	while (json_next(&d->j, &it, &k, &x)) {
		const char *ep = oci_fmt(d, e, "linux.resources.hugepageLimits[%u]", i++);
		static const char *const names[] = {"pageSize", "limit"};
		uint32_t v[2];
		uint64_t lim;
		if (!ep || FIELDS(d, x, ep, names, v, e) < 0)
			return -1;
		if (v[0] == JSON_NONE || v[1] == JSON_NONE)
			return err_set(e, EINVAL, "%s: %s: pageSize and limit are required", d->file, ep);
		char *size = oci_str(d, v[0], oci_path(d, ep, "pageSize"), e);
		if (!size || oci_u64(d, v[1], oci_path(d, ep, "limit"), &lim, e) < 0)
			return -1;
		if (strchr(size, '/') || strchr(size, '.'))
			return err_set(e, EINVAL, "%s: %s.pageSize: '%s'", d->file, ep, size);
		if (put(r, "hugetlb", oci_fmt(d, e, "hugetlb.%s.max", size), oci_fmt(d, e, "%" PRIu64, lim), ep, e) < 0)
			return -1;
	}
	return 0;
}

static int unified(struct res *r, uint32_t t, struct err *e)
{
	struct oci_doc *d = &r->c->doc;
	if (json_type(&d->j, t) != JSON_OBJECT)
		return err_set(e, EINVAL, "%s: linux.resources.unified: expected an object", d->file);
	struct json_iter it = json_iter(&d->j, t);
	uint32_t k, x;
	while (json_next(&d->j, &it, &k, &x)) {
		char *file = oci_str(d, k, "linux.resources.unified", e);
		if (!file)
			return -1;
		const char *kp = oci_path(d, "linux.resources.unified", file);
		char *val = oci_str(d, x, kp, e);
		char *dot = strchr(file, '.');
		if (!val)
			return -1;
		if (!dot || dot == file || strchr(file, '/'))
			return err_set(e, EINVAL, "%s: %s: not a cgroup v2 file name", d->file, kp);
		const char *ctrl = strncmp(file, "cgroup.", 7) ? oci_fmt(d, e, "%.*s", (int)(dot - file), file) : NULL;
		if (put(r, ctrl, file, val, kp, e) < 0)
			return -1;
	}
	return 0;
}

/* runc's device list semantics: rules in order, the last that matches decides, "a *:* rwm"
 * resets to allow-all or deny-all; then the standard nodes and linux.devices are allowed. The
 * device program takes the first match: the list is reversed. */
static int device_rules(struct res *r, uint32_t t, struct err *e)
{
	struct oci_config *c = r->c;
	struct oci_doc *d = &c->doc;
	unsigned cnt = t == JSON_NONE ? 0 : d->j.tok[t].count;
	if (t != JSON_NONE && json_type(&d->j, t) != JSON_ARRAY)
		return err_set(e, EINVAL, "%s: linux.resources.devices: expected an array", d->file);
	struct dev_rule *list = oci_alloc(d, (cnt + devices_std_count + c->spec.ndevices + 2) * sizeof *list, e);
	if (!list)
		return -1;
	unsigned n = 0;
	c->dev_default_allow = true; /* a cgroup without rules allows every device */
	struct json_iter it = t == JSON_NONE ? (struct json_iter){0} : json_iter(&d->j, t);
	uint32_t k, x;
	unsigned i = 0;
	while (json_next(&d->j, &it, &k, &x)) {
		const char *ep = oci_fmt(d, e, "linux.resources.devices[%u]", i++);
		static const char *const names[] = {"allow", "type", "major", "minor", "access"};
		uint32_t v[5];
		if (!ep || FIELDS(d, x, ep, names, v, e) < 0)
			return -1;
		struct dev_rule ru = {.type = 'a', .major = DEV_ANY, .minor = DEV_ANY, .access = DEV_READ | DEV_WRITE | DEV_MKNOD};
		if (v[0] == JSON_NONE)
			return err_set(e, EINVAL, "%s: %s.allow: required", d->file, ep);
		if (oci_bool(d, v[0], oci_path(d, ep, "allow"), &ru.allow, e) < 0)
			return -1;
		if (v[1] != JSON_NONE) {
			char *ty = oci_str(d, v[1], oci_path(d, ep, "type"), e);
			if (!ty)
				return -1;
			if (strlen(ty) != 1 || !strchr("acb", ty[0]))
				return err_set(e, EINVAL, "%s: %s.type: '%s', expected a, c or b", d->file, ep, ty);
			ru.type = ty[0];
		}
		for (int m = 2; m <= 3; m++) {
			int64_t val;
			if (v[m] == JSON_NONE)
				continue;
			if (oci_i64(d, v[m], oci_path(d, ep, names[m]), &val, e) < 0)
				return -1;
			if (val >= 0)
				*(m == 2 ? &ru.major : &ru.minor) = (uint32_t)val;
		}
		if (v[4] != JSON_NONE) {
			char *acc = oci_str(d, v[4], oci_path(d, ep, "access"), e);
			if (!acc)
				return -1;
			ru.access = 0;
			for (char *a = acc; *a; a++) {
				if (*a == 'r')
					ru.access |= DEV_READ;
				else if (*a == 'w')
					ru.access |= DEV_WRITE;
				else if (*a == 'm')
					ru.access |= DEV_MKNOD;
				else
					return err_set(e, EINVAL, "%s: %s.access: '%s', expected letters of rwm", d->file, ep, acc);
			}
		}
		if (ru.type == 'a' && ru.major == DEV_ANY && ru.minor == DEV_ANY &&
		    ru.access == (DEV_READ | DEV_WRITE | DEV_MKNOD)) {
			c->dev_default_allow = ru.allow;
			n = 0;
			continue;
		}
		list[n++] = ru;
	}
	for (unsigned s = 0; s < devices_std_count; s++)
		list[n++] = devices_std_rules[s];
	for (unsigned s = 0; s < c->spec.ndevices; s++) {
		const struct ctr_device *dv = &c->spec.devices[s];
		if (dv->type != 'p')
			list[n++] = (struct dev_rule){dv->type, true, dv->major, dv->minor, DEV_READ | DEV_WRITE | DEV_MKNOD};
	}
	for (unsigned a = 0, b = n ? n - 1 : 0; a < b; a++, b--) {
		struct dev_rule tmp = list[a];
		list[a] = list[b];
		list[b] = tmp;
	}
	c->dev_rules = list;
	c->ndev_rules = n;
	return 0;
}

int oci_resources(struct oci_config *c, uint32_t t, struct err *e)
{
	struct res r = {.c = c};
	struct oci_doc *d = &c->doc;
	static const char *const names[] = {"devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits",
					    "network", "rdma", "unified"};
	enum { DEVICES, MEMORY, CPU, PIDS, BLKIO, HUGE, NETWORK, RDMA, UNIFIED };
	uint32_t v[9] = {JSON_NONE, JSON_NONE, JSON_NONE, JSON_NONE, JSON_NONE, JSON_NONE, JSON_NONE, JSON_NONE, JSON_NONE};
	if (t != JSON_NONE && FIELDS(d, t, "linux.resources", names, v, e) < 0)
		return -1;
	if (v[NETWORK] != JSON_NONE)
		return refuse_if(d, true, "linux.resources.network", "network classes exist in cgroup v1 only", e);
	if (v[MEMORY] != JSON_NONE && memory(&r, v[MEMORY], e) < 0)
		return -1;
	if (v[CPU] != JSON_NONE && cpu(&r, v[CPU], e) < 0)
		return -1;
	if (v[PIDS] != JSON_NONE) {
		static const char *const pn[] = {"limit"};
		int64_t x;
		uint32_t pv;
		if (ints(d, v[PIDS], "linux.resources.pids", pn, 1, &x, &pv, 0, e) < 0)
			return -1;
		/* 0: unset (podman's --pids-limit=-1 says so), -1: max. */
		if (x != INT64_MIN && x != 0 && put(&r, "pids", "pids.max", num(d, x, e), "linux.resources.pids.limit", e) < 0)
			return -1;
	}
	if (v[BLKIO] != JSON_NONE && blockio(&r, v[BLKIO], e) < 0)
		return -1;
	if (v[HUGE] != JSON_NONE && hugepages(&r, v[HUGE], e) < 0)
		return -1;
	if (v[RDMA] != JSON_NONE) {
		struct json_iter it = json_iter(&d->j, v[RDMA]);
		uint32_t k, x;
		while (json_next(&d->j, &it, &k, &x)) {
			char *dev = oci_str(d, k, "linux.resources.rdma", e);
			const char *rp = dev ? oci_path(d, "linux.resources.rdma", dev) : NULL;
			static const char *const rn[] = {"hcaHandles", "hcaObjects"};
			int64_t n[2];
			uint32_t rv[2];
			if (!rp || ints(d, x, rp, rn, 2, n, rv, 0, e) < 0)
				return -1;
			const char *val = oci_fmt(d, e, "%s hca_handle=%s hca_object=%s", dev,
						  n[0] == INT64_MIN ? "max" : oci_fmt(d, e, "%" PRId64, n[0]),
						  n[1] == INT64_MIN ? "max" : oci_fmt(d, e, "%" PRId64, n[1]));
			if (write_to(&r, "rdma", "rdma.max", val, rp, false, e) < 0)
				return -1;
		}
	}
	if (v[UNIFIED] != JSON_NONE && unified(&r, v[UNIFIED], e) < 0)
		return -1;
	c->cg_writes = r.w;
	c->ncg_writes = r.n;
	return device_rules(&r, v[DEVICES], e);
}

/* ---- the cgroup ----------------------------------------------------------------------------- */

static int is_cgroup2(const char *p)
{
	struct statfs fs;
	return statfs(p, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* systemd's slice names nest by dashes: "a-b.slice" is /a.slice/a-b.slice. */
static int systemd_path(const char *cp, const char *id, char *out, size_t size, struct err *e)
{
	char slice[256] = "system.slice", prefix[128] = "keel", name[256];
	snprintf(name, sizeof name, "%s", id);
	if (cp && *cp) {
		const char *c1 = strchr(cp, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c1 || !c2 || strchr(c2 + 1, ':'))
			return err_set(e, EINVAL, "config.json: linux.cgroupsPath: '%s', expected slice:prefix:name with --systemd-cgroup", cp);
		if (c1 > cp)
			snprintf(slice, sizeof slice, "%.*s", (int)(c1 - cp), cp);
		snprintf(prefix, sizeof prefix, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
		snprintf(name, sizeof name, "%s", c2 + 1);
	}
	size_t sl = strlen(slice);
	if (sl < 7 || strcmp(slice + sl - 6, ".slice") || strchr(slice, '/'))
		return err_set(e, EINVAL, "config.json: linux.cgroupsPath: '%s' is not a slice name", slice);
	size_t o = 0;
	out[0] = '\0';
	if (strcmp(slice, "-.slice")) {
		/* every dash-separated prefix of the slice's name is an enclosing slice */
		for (const char *dash = slice; (dash = strchr(dash, '-')); dash++)
			o += (size_t)snprintf(out + o, o < size ? size - o : 0, "/%.*s.slice", (int)(dash - slice), slice);
		o += (size_t)snprintf(out + o, o < size ? size - o : 0, "/%s", slice);
	}
	/* A name ending in .slice is a slice itself; anything else becomes the prefix-name.scope unit. */
	if (sl = strlen(name), sl > 6 && !strcmp(name + sl - 6, ".slice"))
		o += (size_t)snprintf(out + o, o < size ? size - o : 0, "/%s", name);
	else
		o += (size_t)snprintf(out + o, o < size ? size - o : 0, "/%s%s%s.scope", prefix, *prefix ? "-" : "", name);
	if (o >= size)
		return err_set(e, ENAMETOOLONG, "config.json: linux.cgroupsPath: too long");
	return 0;
}

int oci_cgroup_path(const struct oci_config *c, bool systemd, char *out, size_t size, struct err *e)
{
	const char *root = is_cgroup2("/sys/fs/cgroup") ? "/sys/fs/cgroup"
			   : is_cgroup2("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified"
								  : NULL;
	if (!root)
		return err_set(e, ENOTSUP, "no cgroup v2 file system at /sys/fs/cgroup or /sys/fs/cgroup/unified");
	char rel[PATH_MAX];
	if (systemd) {
		if (systemd_path(c->cgroups_path, c->id, rel, sizeof rel, e) < 0)
			return -1;
	} else if (c->cgroups_path && *c->cgroups_path) {
		/* Relative or absolute, under the cgroup v2 root, as runc takes it. */
		if (strstr(c->cgroups_path, "..") || strchr(c->cgroups_path, ':'))
			return err_set(e, EINVAL, "config.json: linux.cgroupsPath: '%s', expected a path without '..' "
						  "(slice:prefix:name needs --systemd-cgroup)",
				       c->cgroups_path);
		snprintf(rel, sizeof rel, "%s%s", c->cgroups_path[0] == '/' ? "" : "/", c->cgroups_path);
	} else {
		snprintf(rel, sizeof rel, "/%s", c->id);
	}
	if ((size_t)snprintf(out, size, "%s%s", root, rel) >= size)
		return err_set(e, ENAMETOOLONG, "cgroup path too long");
	return 0;
}

int oci_cgroup_setup(const struct oci_config *c, const char *path, struct cgroup *cg, struct err *e)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s", path);
	char *slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return err_set(e, EINVAL, "cgroup path %s", path);
	*slash = '\0';
	if (mkdir_p(parent, 0755, e) < 0 || cgroup_create(cg, parent, slash + 1, e) < 0)
		return -1;
	const char *enabled[16];
	unsigned nen = 0;
	for (unsigned i = 0; i < c->ncg_writes; i++) {
		const struct oci_cg_write *w = &c->cg_writes[i];
		bool done = !w->ctrl;
		for (unsigned k = 0; !done && k < nen; k++)
			done = !strcmp(enabled[k], w->ctrl);
		if (!done) {
			if (cgroup_enable(parent, w->ctrl, w->key, e) < 0) {
				if (e->code == ENOTSUP)
					err_set(e, ENOTSUP, "config.json: %s: the cgroup v2 hierarchy has no %s controller "
							    "here (a hybrid host keeps it in cgroup v1): refused",
						w->key, w->ctrl);
				goto fail;
			}
			if (nen < 16)
				enabled[nen++] = w->ctrl;
		}
		if (file_write(cg->fd, w->file, w->value, strlen(w->value)) < 0) {
			err_sys(e, errno, "config.json: %s: write '%s' to %s/%s", w->key, w->value, path, w->file);
			goto fail;
		}
	}
	if (devices_attach(cg->fd, c->dev_rules, c->ndev_rules, c->dev_default_allow, e) < 0) {
		err_prefix(e, "linux.resources.devices: ");
		goto fail;
	}
	return 0;
fail:
	cgroup_remove(cg, &(struct err){0});
	return -1;
}
