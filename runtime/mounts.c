/* The container's file system: its root, the spec's mount list in order, /dev's standard nodes and
 * links, the granted devices, pivot_root, then the read-only root, masked and read-only paths.
 * Every target is resolved beneath the root (openat2 RESOLVE_IN_ROOT), so a symlink in an image
 * never leads a mount out of it. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The new mount API (Linux 5.2 / 5.6 / 5.12; musl 1.2.3 has the numbers, no wrappers). Spelled
 * out here: <linux/mount.h> clashes with glibc's <sys/mount.h> (the ASan build). */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY /* glibc 2.36's <sys/mount.h> has these */
#define MOVE_MOUNT_F_EMPTY_PATH 0x4
#define MOVE_MOUNT_T_EMPTY_PATH 0x40
#define MOUNT_ATTR_RDONLY 0x1
#define MOUNT_ATTR_NOSUID 0x2
#define MOUNT_ATTR_NODEV 0x4
#define MOUNT_ATTR_NOEXEC 0x8
#define MOUNT_ATTR_NOATIME 0x10
#define MOUNT_ATTR_STRICTATIME 0x20
#define MOUNT_ATTR__ATIME 0x70
#define MOUNT_ATTR_NODIRATIME 0x80
#endif
#ifndef RESOLVE_BENEATH
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#endif
struct open_how_v0 {
	uint64_t flags, mode, resolve;
};
struct mount_attr_v0 {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* The standard nodes (devices_std_rules allows exactly these and the pts ones). */
static const struct {
	const char *name;
	unsigned major, minor;
} std_devs[] = {
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9},
	{"tty", 5, 0},
};

static int path_in(char *buf, size_t len, const char *root, const char *p, struct err *e)
{
	int n = snprintf(buf, len, "%s%s", root, p);
	if (n < 0 || (size_t)n >= len)
		return err_set(e, ENAMETOOLONG, "%s: path too long", p);
	return 0;
}

/* A bind mount ignores the flags of its first mount(2); a remount sets them. Flags the kernel
 * has locked (a user namespace's copy of a host mount) must be kept, so start from the current. */
static int remount_bind(const char *dst, unsigned long add, const char *what, struct err *e)
{
	struct statvfs sv;
	if (statvfs(dst, &sv) < 0)
		return err_sys(e, errno, "statvfs %s", what);
	unsigned long keep = sv.f_flag & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME |
					  ST_NODIRATIME | ST_RELATIME);
	if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | keep | add, NULL) < 0)
		return err_sys(e, errno, "remount %s", what);
	return 0;
}

static int mount_root(const struct container_spec *s, struct err *e)
{
	const char *r = s->root_dir;
	if (s->nlowers == 1) {
		if (mount(s->lowers[0], r, NULL, MS_BIND | MS_REC, NULL) < 0)
			return err_sys(e, errno, "mount root (bind of %s)", s->lowers[0]);
		return 0;
	}
	/* overlayfs lists the top layer first; the spec lists the lowest first. No upper dir:
	 * a read-only overlay, which needs two or more lower layers. */
	char opt[4096];
	size_t o = (size_t)snprintf(opt, sizeof opt, "lowerdir=");
	for (uint32_t i = s->nlowers; i-- > 0;) {
		int n = snprintf(opt + o, sizeof opt - o, "%s%s", s->lowers[i], i ? ":" : "");
		if (n < 0 || (size_t)n >= sizeof opt - o)
			return err_set(e, E2BIG, "root: overlay options longer than %zu bytes", sizeof opt);
		o += (size_t)n;
	}
	/* nodev,nosuid as the layers themselves are mounted (and so a one-layer root is). */
	if (mount("overlay", r, "overlay", MS_RDONLY | MS_NODEV | MS_NOSUID, opt) < 0)
		return err_sys(e, errno, "mount root (overlay)");
	return 0;
}

/* openat2 with O_PATH and the given resolve flags. */
static int open_path(int dfd, const char *path, uint64_t resolve)
{
	struct open_how_v0 how = {.flags = O_PATH | O_CLOEXEC, .resolve = resolve};
	return (int)syscall(SYS_openat2, dfd, path, &how, sizeof how);
}

/* The target (absolute, inside) opened O_PATH beneath the root (our working directory), its
 * missing directories made (0755) and, when `file`, a missing last component made as an empty
 * file. A symlink on the way resolves as if the root were "/". */
static int target_open(const char *target, int file, struct err *e)
{
	if (target[0] != '/' || strlen(target) >= 4096)
		return err_set(e, EINVAL, "mount %s: expected an absolute path", target);
	int fd = open_path(AT_FDCWD, target + 1, RESOLVE_IN_ROOT);
	if (fd >= 0 || errno != ENOENT) {
		if (fd < 0)
			err_sys(e, errno, "mount point %s", target);
		return fd;
	}
	char p[4096];
	strcpy(p, target);
	int dir = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return err_sys(e, errno, "open the root");
	for (char *c = p + 1; *c;) {
		char *end = strchr(c, '/');
		int last = !end || !end[strspn(end, "/")];
		if (end)
			*end = '\0';
		int next = -1;
		if (*c) {
			/* Resolved from the root each time: a component that is a symlink stays inside. */
			next = open_path(AT_FDCWD, p + 1, RESOLVE_IN_ROOT);
			if (next < 0 && errno == ENOENT) {
				if (last && file) {
					int f = openat(dir, c, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
					if (f >= 0)
						close(f);
				} else {
					mkdirat(dir, c, 0755);
				}
				next = open_path(AT_FDCWD, p + 1, RESOLVE_IN_ROOT);
			}
			if (next < 0) {
				err_sys(e, errno, "mount point %s: make %s", target, p);
				close(dir);
				return -1;
			}
			close(dir);
			dir = next;
		}
		if (!end)
			break;
		*end = '/';
		c = end + 1;
	}
	return dir;
}

static uint64_t mount_attrs(unsigned long fl)
{
	uint64_t a = 0;
	if (fl & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
	if (fl & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
	if (fl & MS_NODEV) a |= MOUNT_ATTR_NODEV;
	if (fl & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
	if (fl & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
	if (fl & MS_NOATIME) a |= MOUNT_ATTR_NOATIME;
	else if (fl & MS_STRICTATIME) a |= MOUNT_ATTR_STRICTATIME;
	return a;
}

/* A bind, from descriptors: the source opened (beneath m->beneath with no symlink followed, or
 * as given), that very tree cloned (open_tree), given exactly its flags (mount_setattr) and
 * moved onto the target. Nothing is looked up by path twice, so nothing can be swapped in
 * between. */
static int mount_bind(const struct ctr_mount *m, struct err *e)
{
	int rfd = -1, sfd, tfd = -1, tree = -1, rc = -1;
	const char *src = m->source;
	if (m->beneath) {
		const char *rest = src + strlen(m->beneath);
		rest += strspn(rest, "/");
		rfd = open_path(AT_FDCWD, m->beneath, RESOLVE_NO_SYMLINKS);
		sfd = rfd < 0 ? -1 : open_path(rfd, *rest ? rest : ".", RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	} else {
		sfd = open(src, O_PATH | O_CLOEXEC);
	}
	if (sfd < 0) {
		if (errno == ELOOP && m->beneath)
			err_set(e, ELOOP, "volume %s:%s: a symlink in the source (none is followed)", src, m->target);
		else if (errno == EXDEV)
			err_set(e, EXDEV, "volume %s:%s: the source leaves its root %s", src, m->target, m->beneath);
		else
			err_sys(e, errno, "bind %s:%s: open the source", src, m->target);
		goto out;
	}
	struct stat st;
	if (fstat(sfd, &st) < 0) {
		err_sys(e, errno, "bind %s: stat", src);
		goto out;
	}
	if ((tfd = target_open(m->target, !S_ISDIR(st.st_mode), e)) < 0)
		goto out;
	unsigned rec = (m->flags & MS_REC) ? AT_RECURSIVE : 0;
	uint64_t set = mount_attrs(m->flags);
	struct mount_attr_v0 ma = {
		.attr_set = set,
		.attr_clr = ~set & (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC),
		.propagation = m->propagation & (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE),
	};
	if (set & MOUNT_ATTR__ATIME)
		ma.attr_clr |= MOUNT_ATTR__ATIME;
	tree = (int)syscall(SYS_open_tree, sfd, "", OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH | rec);
	if (tree < 0) {
		err_sys(e, errno, "bind %s:%s", src, m->target);
		goto out;
	}
	int r = (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | rec, &ma, sizeof ma);
	if (r < 0 && errno == EPERM) {
		/* Flags the kernel locked on a mount of a more privileged namespace stay as they are. */
		ma.attr_clr = 0;
		r = (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | rec, &ma, sizeof ma);
	}
	if (r < 0 || syscall(SYS_move_mount, tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		err_sys(e, errno, "bind %s:%s", src, m->target);
		goto out;
	}
	rc = 0;
out:
	if (tree >= 0)
		close(tree);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	if (rfd >= 0)
		close(rfd);
	return rc;
}

static int copy_up(const struct ctr_mount *m, int under, struct err *e)
{
	int top = target_open(m->target, 0, e);
	if (top < 0)
		return -1;
	/* O_PATH fds do not read directories: reopen both through /proc. */
	char a[32], b[32];
	snprintf(a, sizeof a, "/proc/self/fd/%d", under);
	snprintf(b, sizeof b, "/proc/self/fd/%d", top);
	int from = open(a, O_RDONLY | O_DIRECTORY | O_CLOEXEC), to = open(b, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = from < 0 || to < 0 ? err_sys(e, errno, "tmpcopyup %s", m->target) : m->copy_up(from, to, e);
	if (from >= 0)
		close(from);
	if (to >= 0)
		close(to);
	close(top);
	return rc;
}

static int mount_fs(const struct ctr_mount *m, struct err *e)
{
	int tfd = target_open(m->target, 0, e);
	if (tfd < 0)
		return -1;
	char at[32];
	snprintf(at, sizeof at, "/proc/self/fd/%d", tfd);
	int rc = 0;
	if (mount(m->source, at, m->fstype, m->flags, m->data) < 0) {
		int err = errno;
		/* sysfs is mounted afresh only by the network namespace's owner: without a network
		 * namespace of its own, a container in a user namespace gets the host's, read-only. */
		if (err == EPERM && !strcmp(m->fstype, "sysfs") &&
		    mount("/sys", at, NULL, MS_BIND | MS_REC, NULL) == 0)
			rc = remount_bind(at, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, m->target, e);
		else
			rc = err_sys(e, err, "mount %s on %s", m->fstype, m->target);
	}
	if (rc == 0 && m->copy_up)
		rc = copy_up(m, tfd, e);
	close(tfd);
	/* The fd names the directory under the new mount: look the target up again to reach the
	 * mount itself. */
	if (rc == 0 && m->propagation) {
		if ((tfd = target_open(m->target, 0, e)) < 0)
			return -1;
		snprintf(at, sizeof at, "/proc/self/fd/%d", tfd);
		if (mount(NULL, at, NULL, m->propagation, NULL) < 0)
			rc = err_sys(e, errno, "mount %s: propagation", m->target);
		close(tfd);
	}
	return rc;
}

static int make_node(const char *path, mode_t mode, char type, unsigned maj, unsigned min, uid_t uid,
		     gid_t gid, int in_userns, struct err *e)
{
	/* A user namespace may not mknod: bind the host's node onto an empty file instead. */
	if (in_userns && type != 'p') {
		const char *host = path + (path[0] == '.');
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return err_sys(e, errno, "create %s", host);
		close(fd);
		if (mount(host, path, NULL, MS_BIND, NULL) < 0)
			return err_sys(e, errno, "bind %s", host);
		return 0;
	}
	mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
	int rc = mknod(path, kind | (mode & 07777), makedev(maj, min));
	/* A root without a /dev mount keeps the nodes of an earlier start (an OCI bundle's root is
	 * the caller's, reused): the same node is kept, anything else replaced by it. */
	if (rc < 0 && errno == EEXIST) {
		struct stat st;
		if (lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == kind &&
		    (kind == S_IFIFO || st.st_rdev == makedev(maj, min)))
			rc = chmod(path, mode & 07777);
		else if (unlink(path) == 0)
			rc = mknod(path, kind | (mode & 07777), makedev(maj, min));
	}
	if (rc < 0)
		return err_sys(e, errno, "mknod %s", path + (path[0] == '.'));
	if ((uid || gid) && lchown(path, uid, gid) < 0)
		return err_sys(e, errno, "chown %s", path + (path[0] == '.'));
	return 0;
}

static int setup_dev(const struct container_spec *s, int in_userns, struct err *e)
{
	char p[4096];
	for (size_t i = 0; s->dev_defaults && i < sizeof std_devs / sizeof std_devs[0]; i++) {
		snprintf(p, sizeof p, "./dev/%s", std_devs[i].name);
		if (make_node(p, 0666, 'c', std_devs[i].major, std_devs[i].minor, 0, 0, in_userns, e) < 0)
			return -1;
	}
	static const char *const links[][2] = {
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
	};
	for (size_t i = 0; s->dev_defaults && i < sizeof links / sizeof links[0]; i++) {
		snprintf(p, sizeof p, "./dev/%s", links[i][1]);
		if (symlink(links[i][0], p) < 0 && errno != EEXIST)
			return err_sys(e, errno, "symlink /dev/%s", links[i][1]);
	}
	/* The granted devices: a node in /dev (the cgroup's device program allows it). */
	for (unsigned i = 0; i < s->ndevices; i++) {
		const struct ctr_device *d = &s->devices[i];
		if (strncmp(d->path, "/dev/", 5) || strstr(d->path, "/../") ||
		    !strcmp(d->path + strlen(d->path) - 3, "/.."))
			return err_set(e, EINVAL, "device %s: expected a path under /dev", d->path);
		const char *slash = strrchr(d->path, '/');
		if (slash > d->path + 4) {
			/* /dev/net/tun: its directory first. */
			char dir[4096];
			snprintf(dir, sizeof dir, "%.*s", (int)(slash - d->path), d->path);
			int fd = target_open(dir, 0, e);
			if (fd < 0)
				return -1;
			close(fd);
		}
		if (path_in(p, sizeof p, ".", d->path, e) < 0)
			return -1;
		/* A node the image or an earlier entry already has is replaced, as runc does. */
		if (unlink(p) < 0 && errno != ENOENT)
			return err_sys(e, errno, "device %s: unlink", d->path);
		if (make_node(p, d->mode, d->type, d->major, d->minor, d->uid, d->gid, in_userns, e) < 0)
			return -1;
	}
	return 0;
}

/* The root goes up on s->root_dir and becomes our working directory. Run with the host's ids even
 * in a user namespace: the path to the root dir and the layers is root-only on the host. */
int mounts_root(const struct container_spec *s, int mntns, struct err *e)
{
	/* Nothing we mount may propagate back to the host (pivot_root also needs an unshared root);
	 * a shared root asked for is made so after the pivot. Without a mount namespace of its own
	 * the caller's propagation is not ours to change. */
	unsigned long prop = s->root_propagation ? s->root_propagation : MS_PRIVATE | MS_REC;
	if (prop & (MS_SHARED | MS_UNBINDABLE))
		prop = (prop & ~(unsigned long)(MS_SHARED | MS_UNBINDABLE)) | MS_SLAVE;
	if (mntns && mount(NULL, "/", NULL, prop, NULL) < 0)
		return err_sys(e, errno, "make mounts private");
	if (mount_root(s, e) < 0)
		return -1;
	/* chdir lands on top of the mount stack, i.e. in the new root; all else is relative to it. */
	if (chdir(s->root_dir) < 0)
		return err_sys(e, errno, "chdir %s", s->root_dir);
	return 0;
}

int mounts_finish(const struct container_spec *s, int in_userns, struct err *e)
{
	/* Nodes and directories get exactly the modes we give them; the caller's umask comes back
	 * for the process. */
	mode_t umask_saved = umask(0);
	int rc = 0;
	for (unsigned i = 0; rc == 0 && i < s->nmounts; i++) {
		const struct ctr_mount *m = &s->mounts[i];
		rc = m->fstype ? mount_fs(m, e) : mount_bind(m, e);
	}
	if (rc == 0)
		rc = setup_dev(s, in_userns, e);
	umask(umask_saved);
	return rc;
}

int mounts_pivot(int mntns, struct err *e)
{
	/* In the caller's own mount namespace (an OCI config without one) pivot_root would move
	 * every process's root: chroot, as runc does. */
	if (!mntns) {
		if (chroot(".") < 0)
			return err_sys(e, errno, "chroot");
		return chdir("/") < 0 ? err_sys(e, errno, "chdir /") : 0;
	}
	/* pivot_root(".", "."): the old root ends up stacked under the new one, and detaching "."
	 * then drops it; no put-old directory is needed in a read-only image. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_sys(e, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return err_sys(e, errno, "detach the old root");
	if (chdir("/") < 0)
		return err_sys(e, errno, "chdir /");
	return 0;
}

int mounts_after_pivot(const struct container_spec *s, struct err *e)
{
	if (s->root_propagation & (MS_SHARED | MS_UNBINDABLE) && mount(NULL, "/", NULL, s->root_propagation, NULL) < 0)
		return err_sys(e, errno, "rootfs propagation");
	if (s->root_readonly && remount_bind("/", MS_RDONLY, "the root read-only", e) < 0)
		return -1;
	for (unsigned i = 0; i < s->nreadonly; i++) {
		const char *p = s->readonly[i];
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			return err_sys(e, errno, "read-only path %s: bind", p);
		}
		if (remount_bind(p, MS_RDONLY, p, e) < 0)
			return -1;
	}
	/* Masked: /dev/null over a file; a directory refuses that (ENOTDIR) and gets an empty
	 * read-only tmpfs. What this kernel lacks is skipped. */
	for (unsigned i = 0; i < s->nmasked; i++) {
		const char *p = s->masked[i];
		int r = mount("/dev/null", p, NULL, MS_BIND, NULL);
		if (r < 0 && errno == ENOTDIR)
			r = mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0");
		if (r < 0 && errno != ENOENT)
			return err_sys(e, errno, "mask %s", p);
	}
	return 0;
}
