/* A user namespace's id maps, written by the parent while the child waits. */
#include "container.h"

#include "../lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int write_map(pid_t pid, const struct cfg *c, const struct cfg_service *svc, uint32_t kind,
		     struct err *e)
{
	const char *file = kind == CFG_IDMAP_UID ? "uid_map" : "gid_map";
	char buf[4096], path[64];
	size_t o = 0;
	for (uint32_t i = 0; i < svc->idmaps.count; i++) {
		const struct cfg_idmap *m = cfg_idmap(c, svc->idmaps, i);
		if (m->kind != kind)
			continue;
		int n = snprintf(buf + o, sizeof buf - o, "%u %u %u\n", m->inside, m->outside, m->count);
		if (n < 0 || (size_t)n >= sizeof buf - o)
			return err_set(e, E2BIG, "user namespace: %s longer than %zu bytes", file, sizeof buf);
		o += (size_t)n;
	}
	if (o == 0)
		return err_set(e, EINVAL, "user namespace: no %s in the config", file);
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	/* The kernel takes a map in one write only. */
	if (file_write(AT_FDCWD, path, buf, o) < 0)
		return err_sys(e, errno, "user namespace: write %s", path);
	return 0;
}

int userns_write_maps(pid_t pid, const struct cfg *c, const struct cfg_service *svc, struct err *e)
{
	if (write_map(pid, c, svc, CFG_IDMAP_UID, e) < 0 || write_map(pid, c, svc, CFG_IDMAP_GID, e) < 0)
		return -1;
	return 0;
}
