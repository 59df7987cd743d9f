/* The container's file system: a read-only root from the layers, /proc, /sys, a minimal /dev,
 * the service's tmpfs paths and volumes, masked and read-only paths, then pivot_root. */
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
#define MOUNT_ATTR_RDONLY 0x1
#define MOUNT_ATTR_NOSUID 0x2
#define MOUNT_ATTR_NODEV 0x4
#define MOUNT_ATTR_NOEXEC 0x8
#endif
_Static_assert(MS_NOSUID == MOUNT_ATTR_NOSUID && MS_NODEV == MOUNT_ATTR_NODEV && MS_NOEXEC == MOUNT_ATTR_NOEXEC,
	       "a volume's MS_ flags are its MOUNT_ATTR_ flags");
struct mount_attr_v0 {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* Paths a container must not see (the OCI runtime spec's defaults): files get /dev/null bound
 * over them, directories an empty read-only tmpfs. Kinds are fixed, so no stat is needed; what
 * this kernel lacks (ENOENT) is skipped. */
static const struct {
	const char *path;
	int dir;
} masked[] = {
	{"/proc/acpi", 1}, {"/proc/kcore", 0}, {"/proc/keys", 0}, {"/proc/latency_stats", 0},
	{"/proc/timer_list", 0}, {"/proc/timer_stats", 0}, {"/proc/sched_debug", 0}, {"/proc/scsi", 1},
	{"/sys/firmware", 1}, {"/sys/devices/virtual/powercap", 1},
};
static const char *const readonly[] = {
	"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* The standard nodes (devices.c allows exactly these plus what the config grants). */
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

/* dir + "/" + name into buf, refused if it does not fit. */
static int join(char *buf, size_t len, const char *dir, const char *name, struct err *e)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= len)
		return err_set(e, ENAMETOOLONG, "%s/%s: path too long", dir, name);
	return 0;
}

static int do_mount(const char *src, const char *dst, const char *fs, unsigned long fl,
		    const char *data, const char *what, struct err *e)
{
	if (mount(src, dst, fs, fl, data) < 0)
		return err_sys(e, errno, "mount %s", what);
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
		if (do_mount(s->lowers[0], r, NULL, MS_BIND | MS_REC, NULL, "root (bind)", e) < 0)
			return -1;
		return remount_bind(r, MS_RDONLY, "root read-only", e);
	}
	/* overlayfs lists the top layer first; the config lists the lowest first. No upper dir:
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
	return do_mount("overlay", r, "overlay", MS_RDONLY | MS_NODEV | MS_NOSUID, opt, "root (overlay)", e);
}

static int make_node(const char *path, mode_t mode, unsigned type, unsigned maj, unsigned min,
		     const char *host, int in_userns, struct err *e)
{
	/* A user namespace may not mknod: bind the host's node onto an empty file instead. */
	if (in_userns) {
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return err_sys(e, errno, "create %s", path);
		close(fd);
		if (mount(host, path, NULL, MS_BIND, NULL) < 0)
			return err_sys(e, errno, "bind %s", host);
		return 0;
	}
	if (mknod(path, (mode_t)(type == 'b' ? S_IFBLK : S_IFCHR) | (mode & 07777), makedev(maj, min)) < 0)
		return err_sys(e, errno, "mknod %s", host);
	return 0;
}

static int setup_dev(const struct container_spec *s, int in_userns, struct err *e)
{
	const struct cfg *c = s->cfg;
	char dev[4096], p[4096];
	if (path_in(dev, sizeof dev, ".", "/dev", e) < 0)
		return -1;
	if (do_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, "mode=755,size=64k",
		     "/dev (tmpfs)", e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof std_devs / sizeof std_devs[0]; i++) {
		char host[64];
		snprintf(host, sizeof host, "/dev/%s", std_devs[i].name);
		if (join(p, sizeof p, dev, std_devs[i].name, e) < 0 ||
		    make_node(p, 0666, 'c', std_devs[i].major, std_devs[i].minor, host, in_userns, e) < 0)
			return -1;
	}
	static const char *const links[][2] = {
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
	};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		if (join(p, sizeof p, dev, links[i][1], e) < 0)
			return -1;
		if (symlink(links[i][0], p) < 0)
			return err_sys(e, errno, "symlink /dev/%s", links[i][1]);
	}
	static const char *const dirs[] = {"pts", "shm"};
	for (size_t i = 0; i < 2; i++) {
		if (join(p, sizeof p, dev, dirs[i], e) < 0)
			return -1;
		if (mkdir(p, 0755) < 0)
			return err_sys(e, errno, "mkdir /dev/%s", dirs[i]);
	}
	/* A private devpts instance; gid 5 (tty) exists only outside a user namespace for sure. */
	if (join(p, sizeof p, dev, "pts", e) < 0)
		return -1;
	if (do_mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC,
		     in_userns ? "newinstance,ptmxmode=0666,mode=0620"
			       : "newinstance,ptmxmode=0666,mode=0620,gid=5",
		     "/dev/pts (devpts)", e) < 0)
		return -1;
	if (join(p, sizeof p, dev, "shm", e) < 0)
		return -1;
	if (do_mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k",
		     "/dev/shm (tmpfs)", e) < 0)
		return -1;
	/* Devices the config grants: a node in /dev (devices.c lets the cgroup allow it). */
	for (uint32_t i = 0; i < s->svc->devices.count; i++) {
		const struct cfg_device *d = cfg_device(c, s->svc->devices, i);
		const char *path = cfg_str(c, d->path);
		if (strncmp(path, "/dev/", 5) || strstr(path, "/../") || strchr(path + 5, '/'))
			return err_set(e, EINVAL, "device %s: expected /dev/NAME", path);
		if (path_in(p, sizeof p, ".", path, e) < 0 ||
		    make_node(p, d->mode ? d->mode : 0660, d->type, d->major, d->minor, path, in_userns, e) < 0)
			return -1;
	}
	return 0;
}

static int mkdir_target(const char *p, const char *target, struct err *e)
{
	struct stat st;
	if (stat(p, &st) == 0)
		return 0;
	if (errno != ENOENT || mkdir(p, 0755) < 0)
		return err_sys(e, errno, "mount point %s (the root is read-only: the image must have it)", target);
	return 0;
}

/* A volume, from descriptors: its source is opened beneath the volume root it lies under, with
 * no symlink followed and no '..' out of that root, then that very directory is cloned
 * (open_tree), given its flags (mount_setattr, the whole tree) and moved onto dst. Nothing is
 * looked up by path twice, so nothing can be swapped in between. */
static int bind_volume(const struct cfg *c, const char *src, const char *target, const char *dst,
		       uint64_t attr, struct err *e)
{
	const char *root;
	int tree = -1, rc = -1;
	int fd = mounts_open_beneath(c, src, O_PATH, &root);
	if (fd < 0) {
		if (!root)
			err_set(e, EINVAL, "volume %s:%s: the source is under no volume_roots", src, target);
		else if (errno == ELOOP)
			err_set(e, ELOOP, "volume %s:%s: a symlink in the source (none is followed)", src, target);
		else if (errno == EXDEV)
			err_set(e, EXDEV, "volume %s:%s: the source leaves its root %s", src, target, root);
		else
			err_sys(e, errno, "volume %s:%s: open", src, target);
		goto out;
	}
	struct mount_attr_v0 ma = {
		.attr_set = attr,
		.attr_clr = ~attr & (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC),
	};
	tree = (int)syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0 || syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma, sizeof ma) < 0 ||
	    syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		err_sys(e, errno, "volume %s:%s", src, target);
		goto out;
	}
	rc = 0;
out:
	if (tree >= 0)
		close(tree);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int setup_service_mounts(const struct container_spec *s, struct err *e)
{
	const struct cfg *c = s->cfg;
	char p[4096];
	for (uint32_t i = 0; i < s->svc->mounts.count; i++) {
		const struct cfg_mount *m = cfg_mount(c, s->svc->mounts, i);
		const char *target = cfg_str(c, m->target);
		if (target[0] != '/' || strstr(target, ".."))
			return err_set(e, EINVAL, "mount %s: expected an absolute path without '..'", target);
		if (path_in(p, sizeof p, ".", target, e) < 0 || mkdir_target(p, target, e) < 0)
			return -1;
		unsigned long fl = 0;
		if (!(m->flags & CFG_MOUNT_DEV))
			fl |= MS_NODEV;
		if (!(m->flags & CFG_MOUNT_SUID))
			fl |= MS_NOSUID;
		if (!(m->flags & CFG_MOUNT_EXEC))
			fl |= MS_NOEXEC;
		if (m->kind == CFG_MOUNT_TMPFS) {
			char opt[64];
			int n = snprintf(opt, sizeof opt, "mode=%o", m->mode ? m->mode : 01777);
			if (m->size)
				snprintf(opt + n, sizeof opt - (size_t)n, ",size=%uk", m->size);
			if (mount("tmpfs", p, "tmpfs", fl, opt) < 0)
				return err_sys(e, errno, "mount tmpfs %s", target);
		} else if (bind_volume(c, cfg_str(c, m->source), target, p,
				       fl | ((m->flags & CFG_MOUNT_RO) ? MOUNT_ATTR_RDONLY : 0), e) < 0) {
			return -1;
		}
	}
	return 0;
}

static int mask_paths(struct err *e)
{
	char p[4096], null[4096];
	if (path_in(null, sizeof null, ".", "/dev/null", e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
		if (path_in(p, sizeof p, ".", masked[i].path, e) < 0)
			return -1;
		int r = masked[i].dir ? mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
					      "size=0")
				      : mount(null, p, NULL, MS_BIND, NULL);
		if (r < 0 && errno != ENOENT)
			return err_sys(e, errno, "mask %s", masked[i].path);
	}
	for (size_t i = 0; i < sizeof readonly / sizeof readonly[0]; i++) {
		if (path_in(p, sizeof p, ".", readonly[i], e) < 0)
			return -1;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			return err_sys(e, errno, "bind %s", readonly[i]);
		}
		/* Part of the /proc we mounted ourselves: no locked flags to keep. */
		if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0)
			return err_sys(e, errno, "remount %s read-only", readonly[i]);
	}
	return 0;
}

/* The root goes up on s->root_dir and becomes our working directory. Run with the host's ids even
 * in a user namespace: the path to the root dir and the layers is root-only on the host. */
int mounts_root(const struct container_spec *s, struct err *e)
{
	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys(e, errno, "make mounts private");
	if (mount_root(s, e) < 0)
		return -1;
	/* chdir lands on top of the mount stack, i.e. in the new root; all else is relative to it. */
	if (chdir(s->root_dir) < 0)
		return err_sys(e, errno, "chdir %s", s->root_dir);
	return 0;
}

static int finish(const struct container_spec *s, int in_userns, struct err *e)
{
	if (do_mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, "/proc", e) < 0)
		return -1;
	/* sysfs can be mounted afresh only by the owner of the network namespace. */
	if (s->svc->namespaces & CFG_NS_NET) {
		if (do_mount("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
			     "/sys", e) < 0)
			return -1;
	} else {
		if (do_mount("/sys", "sys", NULL, MS_BIND | MS_REC, NULL, "/sys (bind)", e) < 0 ||
		    remount_bind("sys", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "/sys", e) < 0)
			return -1;
	}
	if (setup_dev(s, in_userns, e) < 0 || setup_service_mounts(s, e) < 0 || mask_paths(e) < 0)
		return -1;
	/* The supervisor's readiness socket, bound by its directory onto our own tmpfs /dev: the
	 * image is read-only and need not have a mount point for it. */
	if (s->notify_dir) {
		char p[4096];
		if (path_in(p, sizeof p, ".", CONTAINER_NOTIFY_DIR, e) < 0)
			return -1;
		if (mkdir(p, 0755) < 0 || mount(s->notify_dir, p, NULL, MS_BIND, NULL) < 0)
			return err_sys(e, errno, "readiness socket %s on %s", s->notify_dir, CONTAINER_NOTIFY_DIR);
	}
	if (s->secrets && s->secrets->n && secrets_install(s, s->secrets, e) < 0)
		return -1;
	/* pivot_root(".", "."): the old root ends up stacked under the new one, and detaching "."
	 * then drops it; no put-old directory is needed in the read-only image. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_sys(e, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return err_sys(e, errno, "detach the old root");
	if (chdir("/") < 0)
		return err_sys(e, errno, "chdir /");
	return 0;
}

int mounts_finish(const struct container_spec *s, int in_userns, struct err *e)
{
	/* Nodes and directories get exactly the modes we give them; the caller's umask comes back
	 * for the service. */
	mode_t umask_saved = umask(0);
	int rc = finish(s, in_userns, e);
	umask(umask_saved);
	return rc;
}
