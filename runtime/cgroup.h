/* The service's cgroup v2 directory: create it, write its files, kill and remove it. */
#ifndef KEEL_RUNTIME_CGROUP_H
#define KEEL_RUNTIME_CGROUP_H

#include <limits.h>

#include "../format/config.h"
#include "../lib/err.h"

struct cgroup {
	int fd;                         /* the directory, O_RDONLY|O_DIRECTORY|O_CLOEXEC; -1 = none */
	char path[PATH_MAX];
};

/* <root> (or, while it does not exist, the directory it would be made in) is on a cgroup v2 mount;
 * anything else is an error naming both paths and the file system magic expected. */
int cgroup_root_check(const char *root, struct err *e);
/* Make <root>/<name> (and <root> if missing). A leftover empty directory of an earlier run is
 * reused; one that still holds processes is refused. */
int cgroup_create(struct cgroup *cg, const char *root, const char *name, struct err *e);
/* Write `value` to the cgroup's `file` (e.g. "memory.max"). */
int cgroup_write(const struct cgroup *cg, const char *file, const char *value, struct err *e);
/* cgroup_limits.c: enable in <root> (and up the tree as far as needed) the controllers the
 * service's limits need, write each limit into the cgroup and read it back. A controller the
 * kernel lacks, a value it refuses or changes is an error naming the key or file; a byte value it
 * rounds down to the page size is a warning line on warn_fd.
 * CGROUP_LIMITS_BOUNDS (before the clone: the controllers, cpuset, memory, pids) bound what the
 * service can take from the start; CGROUP_LIMITS_RATES (cpu.max, cpu.weight, io.weight, io.max)
 * follow once it has exec'd, so keel's own setup of the container in its cgroup is not throttled
 * to the service's share (a 5% cpu.max made a start 2-3x slower). */
enum cgroup_limits_part { CGROUP_LIMITS_BOUNDS, CGROUP_LIMITS_RATES };
int cgroup_limits(const struct cgroup *cg, const char *root, const struct cfg *c,
		  const struct cfg_service *svc, const char *name, int warn_fd, enum cgroup_limits_part part,
		  struct err *e);
/* Make controller `ctrl` ("memory") available to the cgroups in `parent`: enabled in its
 * subtree_control and, as far as needed, in its ancestors'. `key` names what needs it in the
 * message when the kernel lacks it (ENOTSUP). */
int cgroup_enable(const char *parent, const char *ctrl, const char *key, struct err *e);
/* cgroup.kill, wait until it is empty, rmdir, close. */
int cgroup_remove(struct cgroup *cg, struct err *e);

#endif
