/* A user namespace's id maps, written by the parent while the child waits. */
#include "container.h"

#include "../lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int write_map(pid_t pid, const struct ctr_idmap *m, unsigned n, const char *file, struct err *e)
{
	char buf[4096], path[64];
	size_t o = 0;
	for (unsigned i = 0; i < n; i++) {
		int k = snprintf(buf + o, sizeof buf - o, "%u %u %u\n", m[i].inside, m[i].outside, m[i].count);
		if (k < 0 || (size_t)k >= sizeof buf - o)
			return err_set(e, E2BIG, "user namespace: %s longer than %zu bytes", file, sizeof buf);
		o += (size_t)k;
	}
	if (o == 0)
		return err_set(e, EINVAL, "user namespace: no %s in the config", file);
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	/* The kernel takes a map in one write only. */
	if (file_write(AT_FDCWD, path, buf, o) < 0)
		return err_sys(e, errno, "user namespace: write %s", path);
	return 0;
}

int userns_write_maps(pid_t pid, const struct container_spec *s, struct err *e)
{
	if (write_map(pid, s->uid_map, s->nuid_map, "uid_map", e) < 0 ||
	    write_map(pid, s->gid_map, s->ngid_map, "gid_map", e) < 0)
		return -1;
	return 0;
}
