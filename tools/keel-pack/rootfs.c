/* What keel-pack reads from an image's merged tree and adds to it before imaging it: the users and
 * groups of its own /etc/passwd and /etc/group, where the programs it names along its PATH are,
 * and the directories a read-only root needs that Docker would create at start (the mount points
 * /proc, /sys, /dev and the WorkingDir).
 *
 * The tree comes from an untrusted image and keel-pack runs as root: every path inside it is
 * resolved with openat2(RESOLVE_IN_ROOT), so a symlink such as /etc/passwd -> /etc/shadow or
 * ../../host stays inside the tree, as it would inside the container. */
#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DOCKER_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" /* Docker's default */
#define ETC_MAX (1 << 20) /* bytes of /etc/passwd or /etc/group we read */

/* path (absolute or not) opened as if rootfd were "/". */
static int open_in(int rootfd, const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* A whole small regular file of the tree into a malloc'd NUL-terminated buffer; NULL with
 * *missing set when it does not exist. */
static char *read_in(int rootfd, const char *path, size_t *len, int *missing, struct err *e)
{
	*missing = 0;
	int fd = open_in(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			*missing = 1;
		else
			err_sys(e, errno, "%s", path);
		return NULL;
	}
	struct stat st;
	char *buf = NULL;
	if (fstat(fd, &st) != 0) {
		err_sys(e, errno, "%s", path);
	} else if (!S_ISREG(st.st_mode) || st.st_size > ETC_MAX) {
		err_set(e, EINVAL, "%s: expected a regular file of at most %d bytes", path, ETC_MAX);
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		err_set(e, ENOMEM, "out of memory");
	} else {
		size_t got = 0;
		ssize_t n;
		while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
			got += (size_t)n;
		buf[got] = '\0';
		*len = got;
	}
	close(fd);
	return buf;
}

/* Split a line at ':' into at most max fields; the number found. */
static int fields(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

/* A decimal id 0..4294967294, as libc reads /etc/passwd (no sign, no spaces). */
static int id_ok(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	if (!*s || strlen(s) > 10)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = (uint32_t)v;
	return v < UINT32_MAX;
}

/* Each line of a file, NUL-free and split; malformed lines (too few fields, NIS "+"/"-" entries,
 * bad numbers) are skipped as libc skips them. */
static int read_db(int rootfd, const char *path, struct layer_image *im, int is_group, struct err *e)
{
	size_t len = 0;
	int missing;
	char *buf = read_in(rootfd, path, &len, &missing, e);
	if (!buf)
		return missing ? 0 : -1;
	int rc = 0;
	for (char *line = buf; !rc && line < buf + len;) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		char *end = nl ? nl : buf + len;
		*end = '\0';
		char *next = end + 1;
		char *f[7];
		uint32_t a, b;
		if ((size_t)(end - line) == strlen(line) && line[0] && line[0] != '+' && line[0] != '-' &&
		    line[0] != '#') {
			int n = fields(line, f, is_group ? 4 : 7);
			if (!is_group && n == 7 && id_ok(f[2], &a) && id_ok(f[3], &b)) {
				rc = layer_image_add_user(im, f[0], a, b, f[5][0] ? f[5] : "/", e);
			} else if (is_group && n == 4 && id_ok(f[2], &a)) {
				rc = layer_image_add_group(im, f[0], a, e);
				for (char *m = f[3], *c; !rc && *m; m = c ? c + 1 : m + strlen(m)) {
					if ((c = strchr(m, ',')))
						*c = '\0';
					if (*m)
						rc = layer_strs_add(&im->groups[im->ngroups - 1].members, m, strlen(m),
								    "members", e);
				}
			}
		}
		line = next;
	}
	free(buf);
	return rc ? err_prefix(e, "%s: ", path) : 0;
}

int rootfs_users(int rootfd, struct layer_image *im, struct err *e)
{
	return read_db(rootfd, "/etc/passwd", im, 0, e) || read_db(rootfd, "/etc/group", im, 1, e) ? -1 : 0;
}

/* The image's own PATH (its last PATH= entry, as a later one replaces an earlier), else Docker's. */
static const char *image_path(const struct layer_image *im)
{
	const char *p = DOCKER_PATH;
	for (uint32_t i = 0; i < im->env.n; i++)
		if (!strncmp(im->env.v[i], "PATH=", 5))
			p = im->env.v[i] + 5;
	return p;
}

static int which_one(int rootfd, struct layer_image *im, const char *name, struct err *e)
{
	if (!name[0] || strchr(name, '/'))
		return 0;
	for (uint32_t i = 0; i + 1 < im->which.n; i += 2)
		if (!strcmp(im->which.v[i], name))
			return 0;
	const char *p = image_path(im);
	while (*p) {
		size_t n = strcspn(p, ":");
		char cand[4096];
		if (n && p[0] == '/' && (size_t)snprintf(cand, sizeof cand, "%.*s/%s", (int)n, p, name) < sizeof cand) {
			int fd = open_in(rootfd, cand, O_PATH);
			struct stat st;
			int ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
			if (fd >= 0)
				close(fd);
			if (ok)
				return layer_strs_add(&im->which, name, strlen(name), "which", e) ||
				       layer_strs_add(&im->which, cand, strlen(cand), "which", e);
		}
		p += n + (p[n] == ':');
	}
	return 0;
}

int rootfs_which(int rootfd, struct layer_image *im, struct err *e)
{
	/* argv[0] is Entrypoint[0], or Cmd[0] when the Entrypoint is empty or replaced by an empty one. */
	if (im->entrypoint.n && which_one(rootfd, im, im->entrypoint.v[0], e))
		return -1;
	if (im->cmd.n && which_one(rootfd, im, im->cmd.v[0], e))
		return -1;
	return 0;
}

/* mkdir -p of path inside the tree; existing components (or symlinks to directories) are kept. */
static int mkdir_in(int rootfd, const char *path, struct err *e)
{
	char pre[4096];
	size_t len = strlen(path);
	if (len >= sizeof pre)
		return err_set(e, ENAMETOOLONG, "WorkingDir: too long");
	for (size_t i = 0; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		if (i == 0 || path[i - 1] == '/')
			continue;
		memcpy(pre, path, i);
		pre[i] = '\0';
		int fd = open_in(rootfd, pre, O_PATH | O_DIRECTORY);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno != ENOENT)
			return err_sys(e, errno, "WorkingDir %s", pre);
		char *slash = strrchr(pre, '/');
		const char *leaf = slash ? slash + 1 : pre;
		if (slash)
			*slash = '\0';
		int pfd = open_in(rootfd, slash && pre[0] ? pre : "/", O_PATH | O_DIRECTORY);
		int r = pfd < 0 ? -1 : mkdirat(pfd, leaf, 0755);
		int saved = errno;
		if (pfd >= 0)
			close(pfd);
		if (r != 0 && saved != EEXIST)
			return err_sys(e, saved, "WorkingDir %s: mkdir", path);
	}
	return 0;
}

int rootfs_prepare(int rootfd, const struct layer_image *im, struct err *e)
{
	static const char *const mnt[] = {"proc", "sys", "dev"};
	for (size_t i = 0; i < sizeof mnt / sizeof mnt[0]; i++) {
		struct stat st;
		if (fstatat(rootfd, mnt[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (errno != ENOENT || mkdirat(rootfd, mnt[i], 0755) != 0)
			return err_sys(e, errno, "/%s: mount point", mnt[i]);
	}
	return im->workdir ? mkdir_in(rootfd, im->workdir, e) : 0;
}
