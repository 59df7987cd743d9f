/* Pinned, shared namespaces (nsjoin.h). */
#include "nsjoin.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../lib/file.h"

static const struct { uint32_t bit; int clone; const char *name; } kinds[NSJOIN_KINDS] = {
	{CFG_NS_NET, CLONE_NEWNET, "net"}, {CFG_NS_IPC, CLONE_NEWIPC, "ipc"}, {CFG_NS_UTS, CLONE_NEWUTS, "uts"}};

/* The service that owns the namespace of kind `bit` that svc runs in (itself when it makes its own). */
static const struct cfg_service *owner(const struct cfg *c, const struct cfg_service *svc, uint32_t bit)
{
	for (uint32_t hops = 0; hops <= cfg_service_count(c); hops++) {
		const struct cfg_service_ext *x = cfg_service_ext(c, svc);
		if (!(x->join_ns & bit))
			return svc;
		const struct cfg_service *t = cfg_service_by_name(c, cfg_str(c, x->join));
		if (!t)
			return NULL;
		svc = t;
	}
	return NULL;
}

/* Does any service run in svc's own namespace of kind `bit`? */
static int joined(const struct cfg *c, const struct cfg_service *svc, uint32_t bit)
{
	for (uint32_t i = 0; i < cfg_service_count(c); i++) {
		const struct cfg_service *o = cfg_service(c, i);
		if (o != svc && (cfg_service_ext(c, o)->join_ns & bit) && owner(c, o, bit) == svc)
			return 1;
	}
	return 0;
}

static int pin_path(char *buf, size_t n, const char *run_dir, const struct cfg *c, const struct cfg_service *s,
		    const char *kind)
{
	int len = snprintf(buf, n, "%s/ns/%s/%s", run_dir, cfg_str(c, s->name), kind);
	return len > 0 && (size_t)len < n ? 0 : -1;
}

int nsjoin_open(const struct cfg *c, const struct cfg_service *svc, const char *run_dir, struct ns_join *j,
		struct err *e)
{
	memset(j, 0, sizeof *j);
	for (int k = 0; k < NSJOIN_KINDS; k++)
		j->fd[k] = -1;
	for (int k = 0; k < NSJOIN_KINDS; k++) {
		uint32_t bit = kinds[k].bit;
		const struct cfg_service *o = owner(c, svc, bit);
		int mine = o == svc;
		if (!o || (mine && (!(svc->namespaces & bit) || !joined(c, svc, bit))))
			continue; /* the host's, or a namespace of its own nobody joins */
		char path[600];
		if (pin_path(path, sizeof path, run_dir, c, o, kinds[k].name) < 0)
			return err_set(e, ENAMETOOLONG, "%s: run dir path too long", run_dir);
		j->fd[k] = open(path, O_RDONLY | O_CLOEXEC);
		/* A pin is a bind mount of an nsfs file: an empty file left by a keel that died before
		 * pinning is not one, so ask it what it is. */
		if (j->fd[k] >= 0 && ioctl(j->fd[k], NS_GET_NSTYPE) != kinds[k].clone) {
			close(j->fd[k]);
			j->fd[k] = -1;
		}
		if (j->fd[k] >= 0) {
			j->bits |= bit;
		} else if (mine) {
			j->pin_bits |= bit; /* its first start: made new, pinned after */
		} else {
			nsjoin_close(j);
			return err_set(e, ENOENT, "%s = service:%s: '%s' has not started yet (no %s namespace to join)",
				       k == 0 ? "network" : kinds[k].name, cfg_str(c, o->name), cfg_str(c, o->name),
				       kinds[k].name);
		}
	}
	return 0;
}

int nsjoin_pin(const struct cfg *c, const struct cfg_service *svc, const char *run_dir, pid_t pid,
	       const struct ns_join *j, struct err *e)
{
	for (int k = 0; k < NSJOIN_KINDS; k++) {
		if (!(j->pin_bits & kinds[k].bit))
			continue;
		char path[600], from[64];
		if (pin_path(path, sizeof path, run_dir, c, svc, kinds[k].name) < 0)
			return err_set(e, ENAMETOOLONG, "%s: run dir path too long", run_dir);
		char *slash = strrchr(path, '/');
		*slash = '\0';
		if (mkdir_p(path, 0700, e) < 0)
			return -1;
		*slash = '/';
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return err_sys(e, errno, "%s", path);
		close(fd);
		snprintf(from, sizeof from, "/proc/%d/ns/%s", (int)pid, kinds[k].name);
		if (mount(from, path, NULL, MS_BIND, NULL) < 0)
			return err_sys(e, errno, "pin %s on %s", from, path);
	}
	return 0;
}

unsigned nsjoin_spec(const struct ns_join *j, struct ctr_ns_join *out, uint64_t *clone_ns)
{
	unsigned n = 0;
	for (int k = 0; k < NSJOIN_KINDS; k++)
		if (j->fd[k] >= 0) {
			out[n++] = (struct ctr_ns_join){kinds[k].clone, j->fd[k]};
			*clone_ns &= ~(uint64_t)kinds[k].clone;
		}
	return n;
}

void nsjoin_close(struct ns_join *j)
{
	for (int k = 0; k < NSJOIN_KINDS; k++)
		if (j->fd[k] >= 0) {
			close(j->fd[k]);
			j->fd[k] = -1;
		}
}
