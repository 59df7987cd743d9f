/* A helper's isolation (sandbox.c), done by the helper itself right after PID 1 started it in new
 * mount, pid, ipc and uts namespaces (init/helpers.c): a tmpfs root holding only the paths it
 * binds, non-root ids with no capabilities, no_new_privs, and a seccomp allowlist (anything else
 * kills it). The same steps keel's containers take, for a program that has no image. */
#ifndef KEEL_HELPERS_SANDBOX_H
#define KEEL_HELPERS_SANDBOX_H

#include <sys/types.h>

#include "../lib/err.h"

struct sandbox_bind {
	const char *src;                /* a host path */
	const char *dst;                /* inside the new root, e.g. "/log" */
	int rw;                         /* 0: read-only */
	int file;                       /* a file, not a directory */
};

/* The new root is a tmpfs mounted on `root` (a host directory, made if missing) with the binds
 * (nosuid, nodev, noexec), then read-only; then ids uid:gid, no capabilities, no_new_privs. */
int sandbox_enter(const char *root, const struct sandbox_bind *b, int nb, uid_t uid, gid_t gid, struct err *e);
/* The filter: only these syscall numbers (of the architecture keel was built for) are allowed. */
int sandbox_seccomp(const long *allow, int n, struct err *e);

#endif
