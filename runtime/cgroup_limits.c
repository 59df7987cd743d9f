/* A service's cgroup v2 limits: the controllers they need enabled up the tree, each file written
 * before the service's first instruction, and each read back so a refused or rounded value is
 * reported rather than silently believed. */
#include "cgroup.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/file.h"

enum { C_CPU, C_MEMORY, C_PIDS, C_IO, C_CPUSET, C_COUNT };
static const char *const ctrl_names[C_COUNT] = {"cpu", "memory", "pids", "io", "cpuset"};

/* A small whole file (cgroup files are one page at most) at dir/name, NUL-terminated, the last
 * newline dropped. */
static int read_small(int dirfd, const char *dir, const char *name, char *buf, size_t size, struct err *e)
{
	ssize_t n = file_read_small(dirfd, name, 0, buf, size);
	if (n < 0)
		return err_sys(e, errno, "%s: read %s", name, dir);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static int write_str(int dirfd, const char *name, const char *value, struct err *e)
{
	int r = file_write(dirfd, name, value, strlen(value));
	if (r == -1)
		return err_sys(e, errno, "%s: open", name);
	if (r < 0)
		return err_sys(e, errno, "%s: the kernel refused '%s'", name, value);
	return 0;
}

/* Is `word` one of the space-separated words of `list`? */
static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/* Make `ctrl` available in `dir` (a cgroup directory, path edited in place while recursing):
 * already listed in its cgroup.controllers, or enabled in each ancestor's subtree_control from the
 * nearest one that has it. The root (no cgroup.type) not listing it means the kernel lacks it. */
static int make_available(char *dir, const char *ctrl, const char *key, struct err *e)
{
	char buf[512];
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "cgroup: open %s", dir);
	int rc = read_small(fd, dir, "cgroup.controllers", buf, sizeof buf, e);
	if (rc == 0 && !has_word(buf, ctrl)) {
		char *slash = strrchr(dir, '/');
		if (faccessat(fd, "cgroup.type", F_OK, 0) < 0 || !slash || slash == dir) {
			rc = err_set(e, ENOTSUP, "%s needs the %s controller, which this kernel lacks", key, ctrl);
		} else {
			*slash = '\0';
			rc = make_available(dir, ctrl, key, e);
			if (rc == 0) {
				char plus[32];
				snprintf(plus, sizeof plus, "+%s", ctrl);
				int pfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				if (pfd < 0)
					rc = err_sys(e, errno, "cgroup: open %s", dir);
				else if ((rc = write_str(pfd, "cgroup.subtree_control", plus, e)) < 0)
					err_prefix(e, "%s/", dir);
				if (pfd >= 0)
					close(pfd);
			}
			*slash = '/';
		}
	}
	close(fd);
	return rc;
}

int cgroup_enable(const char *parent, const char *ctrl, const char *key, struct err *e)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof dir, "%s", parent) >= (int)sizeof dir)
		return err_set(e, ENAMETOOLONG, "cgroup %s: path too long", parent);
	if (make_available(dir, ctrl, key, e) < 0)
		return -1;
	char plus[32];
	snprintf(plus, sizeof plus, "+%s", ctrl);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "cgroup: open %s", dir);
	int rc = write_str(fd, "cgroup.subtree_control", plus, e);
	close(fd);
	if (rc < 0)
		return err_prefix(e, "%s/", dir);
	return 0;
}

/* The controllers the limits need, and for each the first key (for the message). */
static unsigned needed(const struct cfg_service *s, const char *keys[C_COUNT])
{
	static const struct {
		int ci;
		const char *key;
	} order[] = {{C_CPU, "cpu_max"}, {C_CPU, "cpu_weight"}, {C_CPUSET, "cpuset_cpus"},
		     {C_MEMORY, "memory_max"}, {C_MEMORY, "memory_high"}, {C_MEMORY, "memory_swap_max"},
		     {C_PIDS, "pids_max"}, {C_IO, "io_weight"}, {C_IO, "io_max"}};
	const int set[] = {s->cpu_max_quota_us != CFG_U64_UNSET, s->cpu_weight != 0, s->cpuset_cpus != 0,
			   s->memory_max != CFG_U64_UNSET, s->memory_high != CFG_U64_UNSET,
			   s->memory_swap_max != CFG_U64_UNSET, s->pids_max != CFG_U64_UNSET,
			   s->io_weight != 0, s->io_max.count != 0};
	unsigned mask = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (set[i] && !(mask & (1u << order[i].ci))) {
			mask |= 1u << order[i].ci;
			keys[order[i].ci] = order[i].key;
		}
	return mask;
}

/* A CPU list ("0-2,5") as a bit set; -1 if it does not parse. */
static int cpus_parse(const char *s, uint64_t set[64])
{
	memset(set, 0, 64 * sizeof set[0]);
	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s)
				return -1;
		}
		if (a > b || b >= 4096)
			return -1;
		for (unsigned long i = a; i <= b; i++)
			set[i / 64] |= 1ull << (i % 64);
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return 0;
}

static void u64_text(char *buf, size_t size, uint64_t v)
{
	if (v == CFG_U64_MAX || v == CFG_U64_UNSET)
		snprintf(buf, size, "max");
	else
		snprintf(buf, size, "%" PRIu64, v);
}

struct limits_ctx {
	const struct cgroup *cg;
	const char *name;               /* the service, for warnings */
	int warn_fd;
	struct err *e;
};

/* A whole decimal u64 ("max" and anything else: false). strtoull, not sscanf: musl's scanf
 * costs ~10 KB of the device binary. */
static bool parse_u64(const char *s, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* What the kernel holds in `file` differs from `wrote`: rounding down of a byte value to the page
 * size is the kernel's documented behaviour and only worth a warning; anything else is an error. */
static int mismatch(struct limits_ctx *x, const char *file, const char *wrote, const char *has, int bytes)
{
	uint64_t w, h;
	long page = sysconf(_SC_PAGESIZE);
	if (bytes && parse_u64(wrote, &w) && parse_u64(has, &h) && h <= w &&
	    w - h < (uint64_t)(page > 0 ? page : 4096)) {
		dprintf(x->warn_fd, "keel: service '%s': %s: wrote %s, kernel has %s (rounded down to the page size)\n",
			x->name, file, wrote, has);
		return 0;
	}
	return err_set(x->e, EINVAL, "%s: wrote %s, kernel has %s", file, wrote, has);
}

/* Write `value` to `file`, read it back and compare (bytes: may be rounded to the page size). */
static int put(struct limits_ctx *x, const char *file, const char *value, int bytes)
{
	char back[256];
	if (write_str(x->cg->fd, file, value, x->e) < 0 ||
	    read_small(x->cg->fd, x->cg->path, file, back, sizeof back, x->e) < 0)
		return -1;
	if (!strcmp(back, value))
		return 0;
	if (!strcmp(file, "cpuset.cpus")) {
		uint64_t a[64], b[64];
		if (cpus_parse(value, a) == 0 && cpus_parse(back, b) == 0 && !memcmp(a, b, sizeof a))
			return 0;
	}
	return mismatch(x, file, value, back, bytes);
}

static int put_u64(struct limits_ctx *x, const char *file, uint64_t v, int bytes)
{
	char buf[32];
	u64_text(buf, sizeof buf, v);
	return v == CFG_U64_UNSET ? 0 : put(x, file, buf, bytes);
}

/* io.max: one line per device; the kernel lists every field of a device it limits, or no line
 * when all four are max again. */
static int put_io_max(struct limits_ctx *x, const struct cfg *c, const struct cfg_io_limit *io)
{
	const char *dev = cfg_str(c, io->device);
	struct stat st;
	if (stat(dev, &st) < 0)
		return err_sys(x->e, errno, "io_max: %s", dev);
	if (!S_ISBLK(st.st_mode))
		return err_set(x->e, ENOTBLK, "io_max: %s: not a block device", dev);
	const char *keys[4] = {"rbps", "wbps", "riops", "wiops"};
	const uint64_t vals[4] = {io->rbps, io->wbps, io->riops, io->wiops};
	char line[256], want[256], back[1024];
	int n = snprintf(line, sizeof line, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
	int m = n, limited = 0;
	memcpy(want, line, (size_t)n + 1);
	for (int i = 0; i < 4; i++) {
		char v[32];
		u64_text(v, sizeof v, vals[i]);
		if (vals[i] != CFG_U64_UNSET)
			n += snprintf(line + n, sizeof line - (size_t)n, " %s=%s", keys[i], v);
		m += snprintf(want + m, sizeof want - (size_t)m, " %s=%s", keys[i], v);
		limited |= vals[i] < CFG_U64_MAX;
	}
	if (write_str(x->cg->fd, "io.max", line, x->e) < 0 ||
	    read_small(x->cg->fd, x->cg->path, "io.max", back, sizeof back, x->e) < 0)
		return -1;
	/* Find the device's line ("MAJ:MIN " at a line start). */
	size_t dl = strcspn(want, " ");
	const char *has = NULL;
	for (const char *p = back; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, want, dl) && p[dl] == ' ') {
			has = p;
			break;
		}
	if (!has && !limited)
		return 0;
	char got[256];
	snprintf(got, sizeof got, "%.*s", has ? (int)strcspn(has, "\n") : 4, has ? has : "none");
	if (!strcmp(got, want))
		return 0;
	return err_set(x->e, EINVAL, "io.max: wrote '%s', kernel has '%s'", line, got);
}

/* cpu.max, cpu.weight, io.weight, io.max: written once the service has exec'd. */
static int rates(struct limits_ctx *x, const struct cfg *c, const struct cfg_service *s)
{
	char buf[64];
	if (s->cpu_max_quota_us != CFG_U64_UNSET) {
		char q[32];
		u64_text(q, sizeof q, s->cpu_max_quota_us);
		snprintf(buf, sizeof buf, "%s %u", q, s->cpu_max_period_us ? s->cpu_max_period_us : 100000);
		if (put(x, "cpu.max", buf, 0) < 0)
			return -1;
	}
	if (s->cpu_weight) {
		snprintf(buf, sizeof buf, "%u", s->cpu_weight);
		if (put(x, "cpu.weight", buf, 0) < 0)
			return -1;
	}
	if (s->io_weight) {
		snprintf(buf, sizeof buf, "default %u", s->io_weight);
		char back[256];
		if (write_str(x->cg->fd, "io.weight", buf, x->e) < 0 ||
		    read_small(x->cg->fd, x->cg->path, "io.weight", back, sizeof back, x->e) < 0)
			return -1;
		back[strcspn(back, "\n")] = '\0';
		if (strcmp(back, buf))
			return err_set(x->e, EINVAL, "io.weight: wrote '%s', kernel has '%s'", buf, back);
	}
	for (uint32_t i = 0; i < s->io_max.count; i++)
		if (put_io_max(x, c, cfg_iolimit(c, s->io_max, i)) < 0)
			return -1;
	return 0;
}

int cgroup_limits(const struct cgroup *cg, const char *root, const struct cfg *c,
		  const struct cfg_service *s, const char *name, int warn_fd, enum cgroup_limits_part part,
		  struct err *e)
{
	const char *keys[C_COUNT] = {0};
	unsigned mask = needed(s, keys);
	if (!mask)
		return 0;
	struct limits_ctx x = {cg, name, warn_fd, e};
	if (part == CGROUP_LIMITS_RATES)
		return rates(&x, c, s);
	for (int ci = 0; ci < C_COUNT; ci++)
		if ((mask & (1u << ci)) && cgroup_enable(root, ctrl_names[ci], keys[ci], e) < 0)
			return -1;
	if (s->cpuset_cpus && put(&x, "cpuset.cpus", cfg_str(c, s->cpuset_cpus), 0) < 0)
		return -1;
	if (put_u64(&x, "memory.max", s->memory_max, 1) < 0 || put_u64(&x, "memory.high", s->memory_high, 1) < 0 ||
	    put_u64(&x, "memory.swap.max", s->memory_swap_max, 1) < 0 || put_u64(&x, "pids.max", s->pids_max, 0) < 0)
		return -1;
	return 0;
}
