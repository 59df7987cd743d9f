/* A path opened beneath the volume root it lies under (container.h, mounts_open_beneath): no
 * symlink followed, no '..' out of the root. Volumes (mounts.c) and secrets (secrets.c) open their
 * sources so. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container.h"

#ifndef RESOLVE_BENEATH
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#endif

struct open_how_v0 {
	uint64_t flags, mode, resolve;
};

/* openat2: resolve flags only, no following of any symlink. */
static int open_how(int dfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how_v0 how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_NO_SYMLINKS | resolve};
	return (int)syscall(SYS_openat2, dfd, path, &how, sizeof how);
}

int mounts_open_beneath(const struct cfg *c, const char *src, int flags, const char **root)
{
	const char *rest = src;
	*root = NULL;
	for (uint32_t i = 0; !*root && i < cfg_volume_root_count(c); i++) {
		const char *r = cfg_volume_root(c, i);
		size_t n = strlen(r);
		if (!strncmp(src, r, n) && (src[n] == '/' || !src[n]))
			*root = r, rest = src + n;
	}
	if (!*root) {
		errno = EINVAL;
		return -1;
	}
	rest += strspn(rest, "/");
	int rfd = open_how(AT_FDCWD, *root, O_PATH, 0);
	if (rfd < 0)
		return -1;
	int fd = open_how(rfd, *rest ? rest : ".", flags, RESOLVE_BENEATH);
	int saved = errno;
	close(rfd);
	errno = saved;
	return fd;
}
