/* A container's sysctls, written in the child once it is in its namespaces and before its mounts:
 * through the host's /proc/sys, whose namespaced entries (net.*, the IPC ones, the UTS names)
 * show the writer's own namespaces. */
#include "container.h"

#include "../lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int sysctl_apply(const struct container_spec *s, struct err *e)
{
	for (unsigned i = 0; i < s->nsysctls; i++) {
		const struct ctr_sysctl *k = &s->sysctls[i];
		char path[256];
		int n = snprintf(path, sizeof path, "/proc/sys/%s", k->key);
		if (n < 0 || (size_t)n >= sizeof path || strstr(k->key, ".."))
			return err_set(e, EINVAL, "sysctl %s: not a sysctl name", k->key);
		/* Dots separate levels; a '/' stands for a dot within one ("eth0/100" is eth0.100). */
		for (char *c = path + 10; *c; c++)
			*c = *c == '.' ? '/' : *c == '/' ? '.' : *c;
		if (file_write(AT_FDCWD, path, k->value, strlen(k->value)) < 0)
			return err_sys(e, errno, "sysctl %s = '%s'", k->key, k->value);
	}
	return 0;
}
