/* config.json -> struct container_spec and struct ctr_process (runtime/): the mapping of an OCI
 * bundle onto the runtime every keel service uses. Each field is either applied or refused with
 * one line naming it; docs/keel-oci.1.md lists both. */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../format/text.h"
#include "../lib/file.h"

#define FIELDS(d, t, path, names, v, e) oci_fields(d, t, path, names, sizeof names / sizeof names[0], v, e)

static int refuse(const struct oci_doc *d, struct err *e, const char *path, const char *why)
{
	return err_set(e, ENOTSUP, "%s: %s: %s", d->file, path, why);
}

static int required(const struct oci_doc *d, struct err *e, const char *path)
{
	return err_set(e, EINVAL, "%s: %s: required", d->file, path);
}

/* A string field that must be absent or empty (what keel has no use for). */
static int must_be_empty(struct oci_doc *d, uint32_t t, const char *path, const char *why, struct err *e)
{
	if (t == JSON_NONE || json_eq(&d->j, t, ""))
		return 0;
	return refuse(d, e, path, why);
}

/* ---- process -------------------------------------------------------------------------------- */

static int caps(struct oci_doc *d, uint32_t t, const char *path, struct ctr_process *p, struct err *e)
{
	static const char *const names[] = {"bounding", "effective", "inheritable", "permitted", "ambient"};
	uint32_t v[5];
	if (FIELDS(d, t, path, names, v, e) < 0)
		return -1;
	uint64_t *sets[5] = {&p->cap_bounding, &p->cap_effective, &p->cap_inheritable, &p->cap_permitted,
			     &p->cap_ambient};
	for (int i = 0; i < 5; i++) {
		*sets[i] = 0;
		if (v[i] == JSON_NONE)
			continue;
		const char *sp = oci_path(d, path, names[i]);
		unsigned n;
		char **list = oci_strv(d, v[i], sp, &n, e);
		if (!list)
			return -1;
		for (unsigned k = 0; k < n; k++) {
			int cap = strncmp(list[k], "CAP_", 4) ? -1 : cfg_cap_number(list[k]);
			if (cap < 0)
				return err_set(e, EINVAL, "%s: %s: unknown capability '%s'", d->file, sp, list[k]);
			*sets[i] |= 1ULL << cap;
		}
	}
	return 0;
}

static int rlimits(struct oci_doc *d, uint32_t t, const char *path, struct ctr_process *p, struct err *e)
{
	if (json_type(&d->j, t) != JSON_ARRAY)
		return err_set(e, EINVAL, "%s: %s: expected an array", d->file, path);
	struct json_iter it = json_iter(&d->j, t);
	uint32_t k, r;
	while (json_next(&d->j, &it, &k, &r)) {
		const char *rp = oci_fmt(d, e, "%s[%u]", path, p->nrlimits);
		static const char *const names[] = {"type", "soft", "hard"};
		uint32_t v[3];
		if (!rp || FIELDS(d, r, rp, names, v, e) < 0)
			return -1;
		if (v[0] == JSON_NONE || v[1] == JSON_NONE || v[2] == JSON_NONE)
			return err_set(e, EINVAL, "%s: %s: type, soft and hard are required", d->file, rp);
		char *type = oci_str(d, v[0], oci_path(d, rp, "type"), e);
		if (!type)
			return -1;
		int res = strncmp(type, "RLIMIT_", 7) ? -1 : cfg_rlimit_number(type);
		if (res < 0)
			return err_set(e, EINVAL, "%s: %s.type: unknown rlimit '%s'", d->file, rp, type);
		if (p->nrlimits == PROC_MAX_RLIMITS)
			return err_set(e, E2BIG, "%s: %s: more than %d rlimits", d->file, path, PROC_MAX_RLIMITS);
		for (unsigned i = 0; i < p->nrlimits; i++)
			if (p->rlimits[i].resource == res)
				return err_set(e, EINVAL, "%s: %s: %s appears twice", d->file, path, type);
		struct ctr_rlimit *rl = &p->rlimits[p->nrlimits++];
		rl->resource = res;
		if (oci_u64(d, v[1], oci_path(d, rp, "soft"), &rl->soft, e) < 0 ||
		    oci_u64(d, v[2], oci_path(d, rp, "hard"), &rl->hard, e) < 0)
			return -1;
	}
	return 0;
}

static int user(struct oci_doc *d, uint32_t t, const char *path, struct ctr_process *p, struct err *e)
{
	static const char *const names[] = {"uid", "gid", "umask", "additionalGids", "username"};
	uint32_t v[5];
	if (FIELDS(d, t, path, names, v, e) < 0)
		return -1;
	uint64_t uid = 0, gid = 0, um;
	if ((v[0] != JSON_NONE && oci_u64(d, v[0], oci_path(d, path, "uid"), &uid, e) < 0) ||
	    (v[1] != JSON_NONE && oci_u64(d, v[1], oci_path(d, path, "gid"), &gid, e) < 0))
		return -1;
	if (uid >= UINT32_MAX || gid >= UINT32_MAX)
		return err_set(e, ERANGE, "%s: %s: uid and gid must be below 4294967295", d->file, path);
	p->uid = (uid_t)uid;
	p->gid = (gid_t)gid;
	if (v[2] != JSON_NONE) {
		if (oci_u64(d, v[2], oci_path(d, path, "umask"), &um, e) < 0)
			return -1;
		if (um > 0777)
			return err_set(e, ERANGE, "%s: %s.umask: %llu, expected 0..0777", d->file, path, (unsigned long long)um);
		p->umask = (mode_t)um;
	}
	if (v[3] != JSON_NONE) {
		const char *gp = oci_path(d, path, "additionalGids");
		if (json_type(&d->j, v[3]) != JSON_ARRAY || d->j.tok[v[3]].count > PROC_MAX_GROUPS)
			return err_set(e, EINVAL, "%s: %s: expected an array of at most %d gids", d->file, gp, PROC_MAX_GROUPS);
		struct json_iter it = json_iter(&d->j, v[3]);
		uint32_t k, g;
		while (json_next(&d->j, &it, &k, &g)) {
			uint64_t x;
			if (oci_u64(d, g, gp, &x, e) < 0)
				return -1;
			if (x >= UINT32_MAX)
				return err_set(e, ERANGE, "%s: %s: gid out of range", d->file, gp);
			p->groups[p->ngroups++] = (gid_t)x;
		}
	}
	return must_be_empty(d, v[4], oci_path(d, path, "username"), "a Windows field", e);
}

static bool apparmor_enabled(void)
{
	char b[4];
	return file_read_small(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", 0, b, sizeof b) > 0 && b[0] == 'Y';
}

int oci_process(struct oci_doc *d, uint32_t t, const char *path, struct ctr_process *p, bool *terminal,
		unsigned short *rows, unsigned short *cols, struct err *e)
{
	static const char *const names[] = {"terminal", "consoleSize", "user", "args", "commandLine", "env", "cwd",
					    "capabilities", "rlimits", "apparmorProfile", "noNewPrivileges",
					    "oomScoreAdj", "selinuxLabel", "scheduler", "ioPriority", "execCPUAffinity"};
	enum { TERM, SIZE, USER, ARGS, CMDLINE, ENV, CWD, CAPS, RLIM, AA, NNP, OOM, SELINUX, SCHED, IOPRIO, AFFINITY };
	uint32_t v[16];
	if (FIELDS(d, t, path, names, v, e) < 0)
		return -1;
	*p = (struct ctr_process){.personality = -1, .set_umask = true, .umask = 022};
	for (int i = SCHED; i <= AFFINITY; i++)
		if (v[i] != JSON_NONE)
			return refuse(d, e, oci_path(d, path, names[i]), "not supported by keel");
	if (v[CMDLINE] != JSON_NONE)
		return refuse(d, e, oci_path(d, path, "commandLine"), "a Windows field");
	if (must_be_empty(d, v[SELINUX], oci_path(d, path, "selinuxLabel"), "SELinux is not supported by keel", e) < 0)
		return -1;
	bool term = false;
	if (v[TERM] != JSON_NONE && oci_bool(d, v[TERM], oci_path(d, path, "terminal"), &term, e) < 0)
		return -1;
	if (terminal)
		*terminal = term;
	if (v[SIZE] != JSON_NONE) {
		static const char *const sz[] = {"height", "width"};
		uint32_t w[2];
		uint64_t h = 0, wd = 0;
		const char *sp = oci_path(d, path, "consoleSize");
		if (FIELDS(d, v[SIZE], sp, sz, w, e) < 0 ||
		    (w[0] != JSON_NONE && oci_u64(d, w[0], oci_path(d, sp, "height"), &h, e) < 0) ||
		    (w[1] != JSON_NONE && oci_u64(d, w[1], oci_path(d, sp, "width"), &wd, e) < 0))
			return -1;
		if (rows && cols) {
			*rows = (unsigned short)(h > 65535 ? 65535 : h);
			*cols = (unsigned short)(wd > 65535 ? 65535 : wd);
		}
	}
	if (v[USER] != JSON_NONE && user(d, v[USER], oci_path(d, path, "user"), p, e) < 0)
		return -1;
	if (v[ARGS] == JSON_NONE)
		return required(d, e, oci_path(d, path, "args"));
	unsigned n;
	char **argv = oci_strv(d, v[ARGS], oci_path(d, path, "args"), &n, e);
	if (!argv)
		return -1;
	if (n == 0)
		return err_set(e, EINVAL, "%s: %s.args: expected at least the program", d->file, path);
	p->argv = argv;
	static char *const no_env[] = {NULL};
	p->envp = no_env;
	if (v[ENV] != JSON_NONE && !(p->envp = oci_strv(d, v[ENV], oci_path(d, path, "env"), NULL, e)))
		return -1;
	if (v[CWD] == JSON_NONE)
		return required(d, e, oci_path(d, path, "cwd"));
	if (!(p->cwd = oci_str(d, v[CWD], oci_path(d, path, "cwd"), e)))
		return -1;
	if (p->cwd[0] != '/')
		return err_set(e, EINVAL, "%s: %s.cwd: expected an absolute path, got '%s'", d->file, path, p->cwd);
	if (v[CAPS] != JSON_NONE && caps(d, v[CAPS], oci_path(d, path, "capabilities"), p, e) < 0)
		return -1;
	if (v[RLIM] != JSON_NONE && rlimits(d, v[RLIM], oci_path(d, path, "rlimits"), p, e) < 0)
		return -1;
	if (v[NNP] != JSON_NONE && oci_bool(d, v[NNP], oci_path(d, path, "noNewPrivileges"), &p->no_new_privs, e) < 0)
		return -1;
	if (v[OOM] != JSON_NONE) {
		int64_t x;
		if (oci_i64(d, v[OOM], oci_path(d, path, "oomScoreAdj"), &x, e) < 0)
			return -1;
		if (x < -1000 || x > 1000)
			return err_set(e, ERANGE, "%s: %s.oomScoreAdj: %lld, expected -1000..1000", d->file, path, (long long)x);
		p->set_oom_score_adj = true;
		p->oom_score_adj = (int)x;
	}
	if (v[AA] != JSON_NONE && !json_eq(&d->j, v[AA], "")) {
		const char *ap = oci_path(d, path, "apparmorProfile");
		if (!(p->apparmor = oci_str(d, v[AA], ap, e)))
			return -1;
		if (!apparmor_enabled())
			return refuse(d, e, ap, "AppArmor is not enabled on this host");
	}
	p->setup = process_oci_setup;
	p->find_program = process_find_program;
	return 0;
}

/* ---- mounts --------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned long set, clear;
} mount_flags[] = {
	{"defaults", 0, 0}, {"ro", MS_RDONLY, 0}, {"rw", 0, MS_RDONLY}, {"suid", 0, MS_NOSUID},
	{"nosuid", MS_NOSUID, 0}, {"dev", 0, MS_NODEV}, {"nodev", MS_NODEV, 0}, {"exec", 0, MS_NOEXEC},
	{"noexec", MS_NOEXEC, 0}, {"sync", MS_SYNCHRONOUS, 0}, {"async", 0, MS_SYNCHRONOUS},
	{"dirsync", MS_DIRSYNC, 0}, {"remount", MS_REMOUNT, 0}, {"mand", MS_MANDLOCK, 0},
	{"nomand", 0, MS_MANDLOCK}, {"atime", 0, MS_NOATIME}, {"noatime", MS_NOATIME, 0},
	{"diratime", 0, MS_NODIRATIME}, {"nodiratime", MS_NODIRATIME, 0}, {"relatime", MS_RELATIME, 0},
	{"norelatime", 0, MS_RELATIME}, {"strictatime", MS_STRICTATIME, 0}, {"nostrictatime", 0, MS_STRICTATIME},
	{"bind", MS_BIND, 0}, {"rbind", MS_BIND | MS_REC, 0},
	/* keel's binds take their flags recursively already */
	{"rro", MS_RDONLY, 0}, {"rrw", 0, MS_RDONLY}, {"rnosuid", MS_NOSUID, 0}, {"rsuid", 0, MS_NOSUID},
	{"rnodev", MS_NODEV, 0}, {"rdev", 0, MS_NODEV}, {"rnoexec", MS_NOEXEC, 0}, {"rexec", 0, MS_NOEXEC},
};
static const struct {
	const char *name;
	unsigned long flags;
} propagations[] = {
	{"private", MS_PRIVATE}, {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED},
	{"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE}, {"rslave", MS_SLAVE | MS_REC},
	{"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static int one_mount(struct oci_config *c, uint32_t t, const char *path, struct ctr_mount *m, struct err *e)
{
	struct oci_doc *d = &c->doc;
	static const char *const names[] = {"destination", "type", "source", "options", "uidMappings", "gidMappings"};
	uint32_t v[6];
	if (FIELDS(d, t, path, names, v, e) < 0)
		return -1;
	if (v[4] != JSON_NONE || v[5] != JSON_NONE)
		return refuse(d, e, oci_path(d, path, v[4] != JSON_NONE ? "uidMappings" : "gidMappings"),
			      "id-mapped mounts are not supported by keel");
	if (v[0] == JSON_NONE)
		return required(d, e, oci_path(d, path, "destination"));
	if (!(m->target = oci_str(d, v[0], oci_path(d, path, "destination"), e)))
		return -1;
	if (m->target[0] != '/')
		return err_set(e, EINVAL, "%s: %s.destination: expected an absolute path, got '%s'", d->file, path, m->target);
	const char *type = "", *source = "";
	if ((v[1] != JSON_NONE && !(type = oci_str(d, v[1], oci_path(d, path, "type"), e))) ||
	    (v[2] != JSON_NONE && !(source = oci_str(d, v[2], oci_path(d, path, "source"), e))))
		return -1;
	unsigned long set = 0, clear = 0;
	char *data = NULL;
	size_t dlen = 0;
	unsigned n = 0;
	char **opts = v[3] == JSON_NONE ? NULL : oci_strv(d, v[3], oci_path(d, path, "options"), &n, e);
	if (v[3] != JSON_NONE && !opts)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		const char *o = opts[i];
		size_t k = 0;
		while (k < sizeof mount_flags / sizeof mount_flags[0] && strcmp(o, mount_flags[k].name))
			k++;
		if (k < sizeof mount_flags / sizeof mount_flags[0]) {
			set = (set & ~mount_flags[k].clear) | mount_flags[k].set;
			clear = (clear & ~mount_flags[k].set) | mount_flags[k].clear;
			continue;
		}
		k = 0;
		while (k < sizeof propagations / sizeof propagations[0] && strcmp(o, propagations[k].name))
			k++;
		if (k < sizeof propagations / sizeof propagations[0]) {
			m->propagation = propagations[k].flags;
			continue;
		}
		if (!strcmp(o, "tmpcopyup")) {
			m->copy_up = copyup_tree;
			continue;
		}
		if (!strcmp(o, "idmap") || !strcmp(o, "ridmap") || !strcmp(o, "copy-symlink"))
			return err_set(e, ENOTSUP, "%s: %s.options: '%s' is not supported by keel", d->file, path, o);
		/* Anything else is the file system's own option: the kernel judges it. */
		size_t ol = strlen(o);
		char *nd = oci_alloc(d, dlen + ol + 2, e);
		if (!nd)
			return -1;
		if (data)
			memcpy(nd, data, dlen);
		if (dlen)
			nd[dlen++] = ',';
		memcpy(nd + dlen, o, ol + 1);
		dlen += ol;
		data = nd;
	}
	bool bind = !strcmp(type, "bind") || (set & MS_BIND);
	if (bind) {
		/* mount(2) ignores a bind's data, as runc's mounts do: said, not refused. */
		if (data)
			fprintf(stderr, "keel: warning: %s: %s.options: '%s' has no meaning for a bind mount\n", d->file,
				path, data);
		/* A relative source is the bundle's. */
		m->source = source[0] == '/' ? source : oci_fmt(d, e, "%s/%s", c->bundle, source);
		if (!m->source)
			return -1;
		m->fstype = NULL;
		m->flags = (set | MS_BIND) & ~(unsigned long)MS_REMOUNT;
		return 0;
	}
	if (!*type)
		return required(d, e, oci_path(d, path, "type"));
	/* cgroup v2 is the hierarchy keel runs containers in: a "cgroup" mount is its cgroup2. */
	if (!strcmp(type, "cgroup") || !strcmp(type, "cgroup2")) {
		type = "cgroup2";
		source = "cgroup2";
	}
	if (m->copy_up && strcmp(type, "tmpfs"))
		return err_set(e, EINVAL, "%s: %s.options: tmpcopyup is for tmpfs mounts", d->file, path);
	m->fstype = type;
	m->source = *source ? source : type;
	m->data = data;
	m->flags = set;
	return 0;
}

static int mounts(struct oci_config *c, uint32_t t, struct err *e)
{
	struct oci_doc *d = &c->doc;
	c->spec.dev_defaults = true;
	if (t == JSON_NONE)
		return 0;
	if (json_type(&d->j, t) != JSON_ARRAY)
		return err_set(e, EINVAL, "%s: mounts: expected an array", d->file);
	struct ctr_mount *m = oci_alloc(d, (d->j.tok[t].count + 1) * sizeof *m, e);
	if (!m)
		return -1;
	struct json_iter it = json_iter(&d->j, t);
	uint32_t k, v;
	unsigned n = 0;
	while (json_next(&d->j, &it, &k, &v)) {
		const char *mp = oci_fmt(d, e, "mounts[%u]", n);
		if (!mp || one_mount(c, v, mp, &m[n], e) < 0)
			return -1;
		/* /dev bound from the host: its nodes are there already. */
		if (!m[n].fstype && !strcmp(m[n].target, "/dev"))
			c->spec.dev_defaults = false;
		n++;
	}
	c->spec.mounts = m;
	c->spec.nmounts = n;
	return 0;
}

/* ---- linux ---------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	int flag;
} ns_types[] = {
	{"user", CLONE_NEWUSER}, {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
	{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP},
};

static int namespaces(struct oci_config *c, uint32_t t, struct err *e)
{
	struct oci_doc *d = &c->doc;
	if (json_type(&d->j, t) != JSON_ARRAY)
		return err_set(e, EINVAL, "%s: linux.namespaces: expected an array", d->file);
	struct ctr_ns_join *joins = oci_alloc(d, 8 * sizeof *joins, e);
	if (!joins)
		return -1;
	c->spec.joins = joins;
	struct json_iter it = json_iter(&d->j, t);
	uint32_t k, v;
	unsigned i = 0;
	while (json_next(&d->j, &it, &k, &v)) {
		const char *np = oci_fmt(d, e, "linux.namespaces[%u]", i++);
		static const char *const names[] = {"type", "path"};
		uint32_t w[2];
		if (!np || FIELDS(d, v, np, names, w, e) < 0)
			return -1;
		if (w[0] == JSON_NONE)
			return required(d, e, oci_path(d, np, "type"));
		size_t x = 0;
		while (x < sizeof ns_types / sizeof ns_types[0] && !json_eq(&d->j, w[0], ns_types[x].name))
			x++;
		if (x == sizeof ns_types / sizeof ns_types[0])
			return json_eq(&d->j, w[0], "time")
				       ? refuse(d, e, oci_path(d, np, "type"), "time namespaces are not supported by keel")
				       : err_set(e, EINVAL, "%s: %s.type: unknown namespace type", d->file, np);
		int flag = ns_types[x].flag;
		if (c->ns_types & (uint64_t)flag)
			return err_set(e, EINVAL, "%s: %s: a second %s namespace", d->file, np, ns_types[x].name);
		c->ns_types |= (uint64_t)flag;
		if (w[1] == JSON_NONE || json_eq(&d->j, w[1], "")) {
			c->spec.clone_ns |= (uint64_t)flag;
			continue;
		}
		char *p = oci_str(d, w[1], oci_path(d, np, "path"), e);
		if (!p)
			return -1;
		if (c->light)
			continue;
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return err_sys(e, errno, "%s: %s.path: open %s", d->file, np, p);
		/* The user namespace first: the others are entered with its capabilities. */
		if (flag == CLONE_NEWUSER && c->spec.njoins) {
			joins[c->spec.njoins] = joins[0];
			joins[0] = (struct ctr_ns_join){flag, fd};
		} else {
			joins[c->spec.njoins] = (struct ctr_ns_join){flag, fd};
		}
		c->spec.njoins++;
	}
	return 0;
}

static int idmaps(struct oci_config *c, uint32_t t, const char *path, const struct ctr_idmap **out, unsigned *n,
		  struct err *e)
{
	struct oci_doc *d = &c->doc;
	if (json_type(&d->j, t) != JSON_ARRAY)
		return err_set(e, EINVAL, "%s: %s: expected an array", d->file, path);
	struct ctr_idmap *m = oci_alloc(d, (d->j.tok[t].count + 1) * sizeof *m, e);
	if (!m)
		return -1;
	struct json_iter it = json_iter(&d->j, t);
	uint32_t k, v;
	*n = 0;
	while (json_next(&d->j, &it, &k, &v)) {
		const char *mp = oci_fmt(d, e, "%s[%u]", path, *n);
		static const char *const names[] = {"containerID", "hostID", "size"};
		uint32_t w[3];
		uint64_t x[3];
		if (!mp || FIELDS(d, v, mp, names, w, e) < 0)
			return -1;
		for (int i = 0; i < 3; i++) {
			if (w[i] == JSON_NONE)
				return required(d, e, oci_path(d, mp, names[i]));
			if (oci_u64(d, w[i], oci_path(d, mp, names[i]), &x[i], e) < 0)
				return -1;
			if (x[i] > UINT32_MAX)
				return err_set(e, ERANGE, "%s: %s.%s: out of range", d->file, mp, names[i]);
		}
		m[(*n)++] = (struct ctr_idmap){(uint32_t)x[0], (uint32_t)x[1], (uint32_t)x[2]};
	}
	*out = m;
	return 0;
}

static int devices(struct oci_config *c, uint32_t t, struct err *e)
{
	struct oci_doc *d = &c->doc;
	if (json_type(&d->j, t) != JSON_ARRAY)
		return err_set(e, EINVAL, "%s: linux.devices: expected an array", d->file);
	struct ctr_device *dv = oci_alloc(d, (d->j.tok[t].count + 1) * sizeof *dv, e);
	if (!dv)
		return -1;
	struct json_iter it = json_iter(&d->j, t);
	uint32_t k, v;
	unsigned n = 0;
	while (json_next(&d->j, &it, &k, &v)) {
		const char *dp = oci_fmt(d, e, "linux.devices[%u]", n);
		static const char *const names[] = {"type", "path", "major", "minor", "fileMode", "uid", "gid"};
		uint32_t w[7];
		if (!dp || FIELDS(d, v, dp, names, w, e) < 0)
			return -1;
		if (w[0] == JSON_NONE || w[1] == JSON_NONE)
			return err_set(e, EINVAL, "%s: %s: type and path are required", d->file, dp);
		struct ctr_device *x = &dv[n++];
		char *type = oci_str(d, w[0], oci_path(d, dp, "type"), e);
		if (!type || !(x->path = oci_str(d, w[1], oci_path(d, dp, "path"), e)))
			return -1;
		if (strlen(type) != 1 || !strchr("cbup", type[0]))
			return err_set(e, EINVAL, "%s: %s.type: '%s', expected c, b, u or p", d->file, dp, type);
		x->type = type[0] == 'u' ? 'c' : type[0];
		uint64_t val[5] = {0, 0, 0666, 0, 0};
		for (int i = 2; i < 7; i++) {
			if (w[i] != JSON_NONE && oci_u64(d, w[i], oci_path(d, dp, names[i]), &val[i - 2], e) < 0)
				return -1;
			if (val[i - 2] > UINT32_MAX - 1)
				return err_set(e, ERANGE, "%s: %s.%s: out of range", d->file, dp, names[i]);
		}
		if (x->type != 'p' && (w[2] == JSON_NONE || w[3] == JSON_NONE))
			return err_set(e, EINVAL, "%s: %s: major and minor are required for a '%c' device", d->file, dp, x->type);
		x->major = (uint32_t)val[0];
		x->minor = (uint32_t)val[1];
		x->mode = (uint32_t)val[2] & 07777;
		x->uid = (uid_t)val[3];
		x->gid = (gid_t)val[4];
	}
	c->spec.devices = dv;
	c->spec.ndevices = n;
	return 0;
}

/* Which namespace a sysctl lives in (runc's list): 0 for one that is not namespaced. */
static int sysctl_ns(const char *key)
{
	static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
					  "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
	for (size_t i = 0; i < sizeof ipc / sizeof ipc[0]; i++)
		if (!strcmp(key, ipc[i]))
			return CLONE_NEWIPC;
	if (!strncmp(key, "fs.mqueue.", 10))
		return CLONE_NEWIPC;
	if (!strncmp(key, "net.", 4))
		return CLONE_NEWNET;
	if (!strcmp(key, "kernel.hostname") || !strcmp(key, "kernel.domainname"))
		return CLONE_NEWUTS;
	return 0;
}

static int sysctls(struct oci_config *c, uint32_t t, struct err *e)
{
	struct oci_doc *d = &c->doc;
	if (json_type(&d->j, t) != JSON_OBJECT)
		return err_set(e, EINVAL, "%s: linux.sysctl: expected an object", d->file);
	struct ctr_sysctl *s = oci_alloc(d, (d->j.tok[t].count + 1) * sizeof *s, e);
	if (!s)
		return -1;
	struct json_iter it = json_iter(&d->j, t);
	uint32_t k, v;
	unsigned n = 0;
	while (json_next(&d->j, &it, &k, &v)) {
		char *key = oci_str(d, k, "linux.sysctl", e);
		if (!key)
			return -1;
		const char *kp = oci_path(d, "linux.sysctl", key);
		char *val = oci_str(d, v, kp, e);
		if (!val)
			return -1;
		int ns = sysctl_ns(key);
		if (!ns)
			return refuse(d, e, kp, "not a namespaced sysctl: it would change the host");
		if (!(c->ns_types & (uint64_t)ns))
			return refuse(d, e, kp, ns == CLONE_NEWNET ? "needs a network namespace of the container"
						: ns == CLONE_NEWIPC ? "needs an IPC namespace of the container"
								     : "needs a UTS namespace of the container");
		s[n++] = (struct ctr_sysctl){key, val};
	}
	c->spec.sysctls = s;
	c->spec.nsysctls = n;
	return 0;
}

static int personality(struct oci_config *c, uint32_t t, struct err *e)
{
	struct oci_doc *d = &c->doc;
	static const char *const names[] = {"domain", "flags"};
	uint32_t v[2];
	if (FIELDS(d, t, "linux.personality", names, v, e) < 0)
		return -1;
	if (v[1] != JSON_NONE && d->j.tok[v[1]].count)
		return refuse(d, e, "linux.personality.flags", "not supported by keel");
	if (v[0] == JSON_NONE)
		return required(d, e, "linux.personality.domain");
	if (json_eq(&d->j, v[0], "LINUX"))
		c->proc.personality = 0;
	else if (json_eq(&d->j, v[0], "LINUX32"))
		c->proc.personality = 8; /* PER_LINUX32 */
	else
		return err_set(e, EINVAL, "%s: linux.personality.domain: expected LINUX or LINUX32", d->file);
	return 0;
}

static int linux_(struct oci_config *c, uint32_t t, struct err *e)
{
	struct oci_doc *d = &c->doc;
	static const char *const names[] = {"namespaces", "uidMappings", "gidMappings", "timeOffsets", "devices",
					    "cgroupsPath", "resources", "intelRdt", "sysctl", "seccomp",
					    "rootfsPropagation", "maskedPaths", "readonlyPaths", "mountLabel",
					    "personality", "memoryPolicy", "netDevices"};
	enum { NS, UIDM, GIDM, TIMEOFF, DEVS, CGPATH, RES, RDT, SYSCTL, SECCOMP, PROP, MASKED, RO, MLABEL, PERS,
	       MEMPOL, NETDEV };
	uint32_t v[17];
	if (t == JSON_NONE)
		return refuse(d, e, "linux", "required: keel runs Linux containers only");
	if (FIELDS(d, t, "linux", names, v, e) < 0)
		return -1;
	static const int unsupported[] = {TIMEOFF, RDT, MEMPOL, NETDEV};
	for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
		if (v[unsupported[i]] != JSON_NONE)
			return refuse(d, e, oci_path(d, "linux", names[unsupported[i]]), "not supported by keel");
	if (must_be_empty(d, v[MLABEL], "linux.mountLabel", "SELinux is not supported by keel", e) < 0)
		return -1;
	if (v[NS] != JSON_NONE && namespaces(c, v[NS], e) < 0)
		return -1;
	if (!c->spec.joins && !(c->spec.joins = oci_alloc(d, sizeof *c->spec.joins, e)))
		return -1;
	bool newuser = c->spec.clone_ns & CLONE_NEWUSER;
	if ((v[UIDM] != JSON_NONE || v[GIDM] != JSON_NONE) && !newuser)
		return refuse(d, e, v[UIDM] != JSON_NONE ? "linux.uidMappings" : "linux.gidMappings",
			      "id mappings need a new user namespace");
	if (newuser && (v[UIDM] == JSON_NONE || v[GIDM] == JSON_NONE))
		return required(d, e, v[UIDM] == JSON_NONE ? "linux.uidMappings" : "linux.gidMappings");
	if (newuser && (idmaps(c, v[UIDM], "linux.uidMappings", &c->spec.uid_map, &c->spec.nuid_map, e) < 0 ||
			idmaps(c, v[GIDM], "linux.gidMappings", &c->spec.gid_map, &c->spec.ngid_map, e) < 0))
		return -1;
	if (v[DEVS] != JSON_NONE && devices(c, v[DEVS], e) < 0)
		return -1;
	if (v[CGPATH] != JSON_NONE && !(c->cgroups_path = oci_str(d, v[CGPATH], "linux.cgroupsPath", e)))
		return -1;
	if (oci_resources(c, v[RES], e) < 0)
		return -1;
	if (v[SYSCTL] != JSON_NONE && sysctls(c, v[SYSCTL], e) < 0)
		return -1;
	if (v[SECCOMP] != JSON_NONE && !c->light) {
		c->filter = malloc(sizeof *c->filter);
		if (!c->filter)
			return err_set(e, ENOMEM, "seccomp: out of memory");
		if (oci_seccomp(d, v[SECCOMP], c->filter, e) < 0)
			return -1;
		c->proc.filter = c->filter;
	}
	c->spec.root_propagation = MS_SLAVE | MS_REC; /* runc's default */
	if (v[PROP] != JSON_NONE && !json_eq(&d->j, v[PROP], "")) {
		size_t k = 0;
		while (k < sizeof propagations / sizeof propagations[0] && !json_eq(&d->j, v[PROP], propagations[k].name))
			k++;
		if (k == sizeof propagations / sizeof propagations[0])
			return err_set(e, EINVAL, "%s: linux.rootfsPropagation: expected private, shared, slave or "
						  "unbindable (r-prefixed too)",
				       d->file);
		c->spec.root_propagation = propagations[k].flags | MS_REC;
	}
	unsigned n = 0;
	/* Without a mount namespace they would be the host's paths. */
	bool mntns = c->ns_types & CLONE_NEWNS;
	if (!mntns && ((v[MASKED] != JSON_NONE && d->j.tok[v[MASKED]].count) || (v[RO] != JSON_NONE && d->j.tok[v[RO]].count)))
		return refuse(d, e, v[MASKED] != JSON_NONE ? "linux.maskedPaths" : "linux.readonlyPaths",
			      "masked and read-only paths need a mount namespace of the container");
	if (v[MASKED] != JSON_NONE) {
		c->spec.masked = (const char *const *)oci_strv(d, v[MASKED], "linux.maskedPaths", &n, e);
		if (!c->spec.masked)
			return -1;
		c->spec.nmasked = n;
	}
	if (v[RO] != JSON_NONE) {
		c->spec.readonly = (const char *const *)oci_strv(d, v[RO], "linux.readonlyPaths", &n, e);
		if (!c->spec.readonly)
			return -1;
		c->spec.nreadonly = n;
	}
	if (v[PERS] != JSON_NONE && personality(c, v[PERS], e) < 0)
		return -1;
	return 0;
}

/* ---- hooks and the rest ----------------------------------------------------------------------- */

static int hooks(struct oci_config *c, uint32_t t, struct err *e)
{
	struct oci_doc *d = &c->doc;
	static const char *const kinds[OCI_HOOK_KINDS] = {"prestart", "createRuntime", "createContainer",
							  "startContainer", "poststart", "poststop"};
	uint32_t v[OCI_HOOK_KINDS];
	if (oci_fields(d, t, "hooks", kinds, OCI_HOOK_KINDS, v, e) < 0)
		return -1;
	for (int kind = 0; kind < OCI_HOOK_KINDS; kind++) {
		if (v[kind] == JSON_NONE)
			continue;
		const char *kp = oci_path(d, "hooks", kinds[kind]);
		if (json_type(&d->j, v[kind]) != JSON_ARRAY)
			return err_set(e, EINVAL, "%s: %s: expected an array", d->file, kp);
		struct oci_hook *h = oci_alloc(d, (d->j.tok[v[kind]].count + 1) * sizeof *h, e);
		if (!h)
			return -1;
		c->hooks[kind] = h;
		struct json_iter it = json_iter(&d->j, v[kind]);
		uint32_t k, x;
		unsigned n = 0;
		while (json_next(&d->j, &it, &k, &x)) {
			const char *hp = oci_fmt(d, e, "%s[%u]", kp, n);
			static const char *const names[] = {"path", "args", "env", "timeout"};
			uint32_t w[4];
			if (!hp || FIELDS(d, x, hp, names, w, e) < 0)
				return -1;
			if (w[0] == JSON_NONE)
				return required(d, e, oci_path(d, hp, "path"));
			struct oci_hook *o = &h[n++];
			if (!(o->path = oci_str(d, w[0], oci_path(d, hp, "path"), e)) ||
			    (w[1] != JSON_NONE && !(o->args = oci_strv(d, w[1], oci_path(d, hp, "args"), NULL, e))) ||
			    (w[2] != JSON_NONE && !(o->env = oci_strv(d, w[2], oci_path(d, hp, "env"), NULL, e))))
				return -1;
			if (o->path[0] != '/')
				return err_set(e, EINVAL, "%s: %s.path: expected an absolute path", d->file, hp);
			if (w[3] != JSON_NONE) {
				uint64_t to;
				if (oci_u64(d, w[3], oci_path(d, hp, "timeout"), &to, e) < 0)
					return -1;
				if (to == 0 || to > 86400)
					return err_set(e, ERANGE, "%s: %s.timeout: expected 1..86400 seconds", d->file, hp);
				o->timeout = (int)to;
			}
		}
		c->nhooks[kind] = n;
	}
	return 0;
}

static int root(struct oci_config *c, uint32_t t, struct err *e)
{
	struct oci_doc *d = &c->doc;
	static const char *const names[] = {"path", "readonly"};
	uint32_t v[2];
	if (t == JSON_NONE)
		return required(d, e, "root");
	if (FIELDS(d, t, "root", names, v, e) < 0)
		return -1;
	if (v[0] == JSON_NONE)
		return required(d, e, "root.path");
	char *p = oci_str(d, v[0], "root.path", e);
	if (!p)
		return -1;
	char *abs = p[0] == '/' ? p : oci_fmt(d, e, "%s/%s", c->bundle, p);
	if (!abs)
		return -1;
	struct stat st;
	if (stat(abs, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(e, ENOTDIR, "%s: root.path: %s is not a directory", d->file, abs);
	const char **lowers = oci_alloc(d, sizeof *lowers, e);
	if (!lowers)
		return -1;
	lowers[0] = abs;
	c->spec.lowers = lowers;
	c->spec.nlowers = 1;
	c->spec.root_dir = abs;
	bool ro = false;
	if (v[1] != JSON_NONE && oci_bool(d, v[1], "root.readonly", &ro, e) < 0)
		return -1;
	c->spec.root_readonly = ro;
	return 0;
}

int oci_config_load(struct oci_config *c, const char *bundle, const char *file, const char *id, bool light,
		    struct err *e)
{
	memset(c, 0, sizeof *c);
	c->light = light;
	char path[PATH_MAX], abs[PATH_MAX];
	if (!realpath(bundle, abs))
		return err_sys(e, errno, "bundle %s", bundle);
	if ((size_t)snprintf(path, sizeof path, "%.*s/config.json", (int)(sizeof path - 13), abs) >= sizeof path)
		return err_set(e, ENAMETOOLONG, "bundle %s: path too long", abs);
	if (oci_doc_load(&c->doc, file ? file : path, "config.json", e) < 0)
		return -1;
	return oci_config_map(c, abs, id, e);
}

int oci_config_map(struct oci_config *c, const char *bundle, const char *id, struct err *e)
{
	struct oci_doc *d = &c->doc;
	c->id = id;
	if (!(c->bundle = oci_fmt(d, e, "%s", bundle)))
		goto fail;
	static const char *const names[] = {"ociVersion", "process", "root", "hostname", "domainname", "mounts",
					    "hooks", "annotations", "linux", "solaris", "windows", "vm", "zos"};
	enum { VERSION, PROCESS, ROOT, HOST, DOMAIN, MOUNTS, HOOKS, ANNOT, LINUX, SOLARIS, WINDOWS, VM, ZOS };
	uint32_t v[13];
	if (FIELDS(d, 0, "", names, v, e) < 0)
		goto fail;
	for (int i = SOLARIS; i <= ZOS; i++)
		if (v[i] != JSON_NONE) {
			refuse(d, e, names[i], "keel runs Linux containers only");
			goto fail;
		}
	if (v[VERSION] == JSON_NONE) {
		required(d, e, "ociVersion");
		goto fail;
	}
	if (!(c->oci_version = oci_str(d, v[VERSION], "ociVersion", e)))
		goto fail;
	if (strncmp(c->oci_version, "1.", 2)) {
		err_set(e, ENOTSUP, "%s: ociVersion: %s, keel implements 1.x (%s)", d->file, c->oci_version, OCI_SPEC_VERSION);
		goto fail;
	}
	if (root(c, v[ROOT], e) < 0)
		goto fail;
	c->proc.personality = -1;
	/* The process may be absent only for a container created to be joined later, which keel
	 * does not do. */
	if (v[PROCESS] == JSON_NONE) {
		required(d, e, "process");
		goto fail;
	}
	if (oci_process(d, v[PROCESS], "process", &c->proc, &c->terminal, &c->rows, &c->cols, e) < 0)
		goto fail;
	if (linux_(c, v[LINUX], e) < 0 || mounts(c, v[MOUNTS], e) < 0)
		goto fail;
	if (v[HOST] != JSON_NONE && !json_eq(&d->j, v[HOST], "")) {
		if (!(c->spec.hostname = oci_str(d, v[HOST], "hostname", e)))
			goto fail;
		if (!(c->ns_types & CLONE_NEWUTS)) {
			refuse(d, e, "hostname", "needs a UTS namespace of the container");
			goto fail;
		}
	}
	if (v[DOMAIN] != JSON_NONE && !json_eq(&d->j, v[DOMAIN], "")) {
		if (!(c->spec.domainname = oci_str(d, v[DOMAIN], "domainname", e)))
			goto fail;
		if (!(c->ns_types & CLONE_NEWUTS)) {
			refuse(d, e, "domainname", "needs a UTS namespace of the container");
			goto fail;
		}
	}
	if (v[HOOKS] != JSON_NONE && hooks(c, v[HOOKS], e) < 0)
		goto fail;
	c->annotations = "{}";
	if (v[ANNOT] != JSON_NONE) {
		const struct json_tok *a = &d->j.tok[v[ANNOT]];
		if (a->type != JSON_OBJECT) {
			err_set(e, EINVAL, "%s: annotations: expected an object", d->file);
			goto fail;
		}
		struct json_iter it = json_iter(&d->j, v[ANNOT]);
		uint32_t k, x;
		while (json_next(&d->j, &it, &k, &x))
			if (json_type(&d->j, x) != JSON_STRING) {
				err_set(e, EINVAL, "%s: annotations: values must be strings", d->file);
				goto fail;
			}
		if (!(c->annotations = oci_fmt(d, e, "%.*s", (int)a->len, d->text + a->off)))
			goto fail;
	}
	c->spec.name = id;
	c->spec.proc = &c->proc;
	c->spec.cgroup_fd = -1;
	c->spec.log_fd = -1;
	return 0;
fail:
	oci_config_free(c);
	return -1;
}

void oci_config_free(struct oci_config *c)
{
	for (unsigned i = 0; i < c->spec.njoins; i++)
		close(c->spec.joins[i].fd);
	c->spec.njoins = 0;
	free(c->filter);
	c->filter = NULL;
	oci_doc_free(&c->doc);
}
