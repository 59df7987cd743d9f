/* The service's cgroup v2 directory: made before the start (the child is cloned straight into it),
 * killed and removed after. */
#include "cgroup.h"

#include "../lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

int cgroup_root_check(const char *root, struct err *e)
{
	char at[PATH_MAX];
	struct statfs fs;
	snprintf(at, sizeof at, "%s", root);
	int rc = statfs(at, &fs);
	if (rc < 0 && errno == ENOENT) {
		/* Not made yet: cgroup_create would make it in its parent. */
		char *slash = strrchr(at, '/');
		if (!slash)
			strcpy(at, ".");
		else
			slash[slash == at] = '\0';
		rc = statfs(at, &fs);
	}
	if (rc < 0)
		return err_sys(e, errno, "%s: statfs %s", root, at);
	if (fs.f_type != CGROUP2_SUPER_MAGIC)
		return err_set(e, EINVAL, "%s: %s is not in a cgroup v2 file system (magic 0x%lx, expected cgroup2's 0x%x)",
			       root, at, (unsigned long)fs.f_type, CGROUP2_SUPER_MAGIC);
	return 0;
}

int cgroup_create(struct cgroup *cg, const char *root, const char *name, struct err *e)
{
	cg->fd = -1;
	int n = snprintf(cg->path, sizeof cg->path, "%s/%s", root, name);
	if (n < 0 || (size_t)n >= sizeof cg->path)
		return err_set(e, ENAMETOOLONG, "cgroup %s/%s: path too long", root, name);
	if (mkdir(root, 0755) < 0 && errno != EEXIST)
		return err_sys(e, errno, "cgroup: mkdir %s", root);
	if (mkdir(cg->path, 0755) < 0) {
		if (errno != EEXIST)
			return err_sys(e, errno, "cgroup: mkdir %s", cg->path);
		/* Left over by a run that died: fine if empty, refused if the service still runs. */
		if (rmdir(cg->path) < 0)
			return err_sys(e, errno, "cgroup %s exists (is the service already running?)",
				       cg->path);
		if (mkdir(cg->path, 0755) < 0)
			return err_sys(e, errno, "cgroup: mkdir %s", cg->path);
	}
	cg->fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->fd < 0) {
		int err = errno;
		rmdir(cg->path);
		return err_sys(e, err, "cgroup: open %s", cg->path);
	}
	return 0;
}

int cgroup_write(const struct cgroup *cg, const char *file, const char *value, struct err *e)
{
	if (file_write(cg->fd, file, value, strlen(value)) < 0)
		return err_sys(e, errno, "cgroup: write '%s' to %s/%s", value, cg->path, file);
	return 0;
}

/* populated 0 in cgroup.events; the kernel signals changes of that file with POLLPRI. */
static int cgroup_wait_empty(const struct cgroup *cg, struct err *e)
{
	int fd = openat(cg->fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "cgroup: open %s/cgroup.events", cg->path);
	int rc = 0;
	for (int tries = 0;; tries++) {
		char buf[256];
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		if (n < 0) {
			rc = err_sys(e, errno, "cgroup: read %s/cgroup.events", cg->path);
			break;
		}
		buf[n] = '\0';
		if (strstr(buf, "populated 0"))
			break;
		struct pollfd p = {.fd = fd, .events = POLLPRI};
		/* Bounded: a task stuck in the kernel must not hang keel forever. */
		if (tries == 100 || poll(&p, 1, 100) < 0) {
			rc = err_set(e, EBUSY, "cgroup %s: still populated after cgroup.kill", cg->path);
			break;
		}
	}
	close(fd);
	return rc;
}

int cgroup_remove(struct cgroup *cg, struct err *e)
{
	if (cg->fd < 0)
		return 0;
	int rc = 0;
	if (rmdir(cg->path) < 0) {
		if (errno != EBUSY)
			rc = err_sys(e, errno, "cgroup: rmdir %s", cg->path);
		else if (cgroup_write(cg, "cgroup.kill", "1", e) < 0 || cgroup_wait_empty(cg, e) < 0)
			rc = -1;
		else if (rmdir(cg->path) < 0)
			rc = err_sys(e, errno, "cgroup: rmdir %s", cg->path);
	}
	close(cg->fd);
	cg->fd = -1;
	return rc;
}
