/* PID 1's first steps: stdio on the console, off the initramfs onto a tmpfs root, early mounts. */
#include "boot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/file.h"
#include "../lib/text.h"
#include "pid1.h"
#include "../lib/clock.h"
#include "klog.h"

/* A mount point is where the device changes between a directory and its parent. */
static bool is_mountpoint(const char *path)
{
	char parent[PATH_MAX];
	struct stat a, b;
	if (snprintf(parent, sizeof parent, "%s/..", path) >= (int)sizeof parent)
		return false;
	if (stat(path, &a) < 0 || stat(parent, &b) < 0)
		return false;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

static int open_console(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	/* An initramfs without /dev/console: the node comes from devtmpfs instead. */
	if (mkdir("/dev", 0755) < 0 && errno != EEXIST)
		return -1;
	if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") < 0 && errno != EBUSY)
		return -1;
	return open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
}

/* PID 1 logs through fds 1 and 2: a console of its own, non-blocking, so a stopped or slow console
 * (Ctrl-S on a serial line) drops log lines instead of freezing the supervisor. Children never
 * inherit these: the console shell opens its tty, services get their own stdio. */
static void console_nonblocking_log(void)
{
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fd != STDOUT_FILENO)
		dup2(fd, STDOUT_FILENO);
	if (fd != STDERR_FILENO)
		dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

void boot_console(void)
{
	/* The kernel gives init /dev/console on 0, 1 and 2 when it could open it; keep 0. */
	if (fcntl(STDIN_FILENO, F_GETFD) >= 0 && fcntl(STDOUT_FILENO, F_GETFD) >= 0 &&
	    fcntl(STDERR_FILENO, F_GETFD) >= 0) {
		console_nonblocking_log();
		return;
	}
	int fd = open_console();
	if (fd < 0) {
		/* Nowhere to report it. Hold 0-2 with a harmless fd anyway, so the signalfd or a config
		 * file opened later can never become "stdout" and receive log lines. */
		fd = open("/", O_PATH | O_CLOEXEC);
		if (fd < 0)
			return;
	}
	for (int i = 0; i < 3; i++)
		if (fd != i && fcntl(i, F_GETFD) < 0)
			dup2(fd, i); /* dup2 clears O_CLOEXEC: children inherit the console */
	if (fd > 2)
		close(fd);
	else
		fcntl(fd, F_SETFD, 0); /* it is one of 0-2 itself: keep it across exec */
	console_nonblocking_log();
}

/* ---- leaving the initramfs ------------------------------------------------------------------ */

/* pivot_root(2) cannot leave rootfs, and the containers need pivot_root later, so PID 1 moves
 * the initramfs content onto a tmpfs and makes that the root, as switch_root does. The initial
 * root is the only mount whose type reads "rootfs" in mountinfo. */
static bool root_is_rootfs(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char line[1024];
	bool found = false;
	while (fgets(line, sizeof line, f)) {
		/* "36 1 0:17 / / rw,relatime - rootfs rootfs rw": field 5 is the mount point. */
		char mnt[256], type[64];
		const char *dash = strstr(line, " - ");
		if (!dash || !text_field(line, 4, mnt, sizeof mnt) || !text_field(dash + 3, 0, type, sizeof type))
			continue;
		if (!strcmp(mnt, "/"))
			found = !strcmp(type, "rootfs"); /* the last "/" entry is the visible one */
	}
	fclose(f);
	return found;
}

static int copy_data(int from, int to, off_t size)
{
	while (size > 0) {
		ssize_t n = sendfile(to, from, NULL, size > (1 << 30) ? (1 << 30) : (size_t)size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (errno = EIO, -1);
		size -= n;
	}
	return 0;
}

/* Copies one non-directory entry and removes the original (the initramfs is freed as we go). */
static int move_entry(int sfd, int dfd, const char *name, const struct stat *st)
{
	int r = 0;
	if (S_ISREG(st->st_mode)) {
		int in = openat(sfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (in < 0)
			return -1;
		int out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (out < 0) {
			close(in);
			return -1;
		}
		struct timespec t[2] = {st->st_atim, st->st_mtim};
		if (copy_data(in, out, st->st_size) < 0 || fchown(out, st->st_uid, st->st_gid) < 0 ||
		    fchmod(out, st->st_mode & 07777) < 0 || futimens(out, t) < 0)
			r = -1;
		close(in);
		close(out);
	} else if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(sfd, name, target, sizeof target - 1);
		if (n < 0)
			return -1;
		target[n] = '\0';
		if (symlinkat(target, dfd, name) < 0 || fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -1;
	} else {
		if (mknodat(dfd, name, st->st_mode, st->st_rdev) < 0 ||
		    fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dfd, name, st->st_mode & 07777, 0) < 0)
			return -1;
	}
	if (r == 0 && unlinkat(sfd, name, 0) < 0)
		r = -1;
	return r;
}

/* Read-only data used in place: bound into the tmpfs root rather than copied (they are most of an
 * image: the kernel modules and the factory layer store; copying them was two thirds of the move).
 * pivot_root only needs the root itself not to be rootfs; mounts below it may come from there. */
static const char *const bound_dirs[] = {"/lib/modules", KEEL_FACTORY_LAYERS};

static bool is_bound_dir(const char *path)
{
	for (size_t i = 0; i < sizeof bound_dirs / sizeof bound_dirs[0]; i++)
		if (!strcmp(path, bound_dirs[i]))
			return true;
	return false;
}

/* Moves the tree under sfd into dfd, staying on device `dev` (mount points are left alone), but
 * binds the bound_dirs. A failed entry is logged and skipped: half a move cannot be undone, and
 * a boot missing one file is better than one stuck on rootfs. Returns the number of entries that
 * failed. */
static int move_tree(int sfd, int dfd, dev_t dev, const char *path)
{
	int failed = 0;
	int dup_fd = dup(sfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		klog("boot: %s: opendir: %s", path, strerror(errno));
		return 1;
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		struct stat st;
		if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			klog("boot: %s/%s: stat: %s", path, name, strerror(errno));
			failed++;
			continue;
		}
		if (st.st_dev != dev)
			continue;
		char sub[PATH_MAX];
		snprintf(sub, sizeof sub, "%s/%s", path[1] ? path : "", name);
		if (!S_ISDIR(st.st_mode)) {
			if (move_entry(sfd, dfd, name, &st) < 0) {
				klog("boot: %s: move to tmpfs root: %s", sub, strerror(errno));
				failed++;
			}
			continue;
		}
		if (is_bound_dir(sub)) {
			char to[PATH_MAX + 16];
			snprintf(to, sizeof to, "/newroot%s", sub);
			if ((mkdirat(dfd, name, st.st_mode & 07777) < 0 && errno != EEXIST) ||
			    mount(sub, to, NULL, MS_BIND | MS_REC, NULL) < 0) {
				klog("boot: %s: bind into the tmpfs root: %s", sub, strerror(errno));
				failed++;
			}
			continue;
		}
		int s2 = -1, d2 = -1;
		if ((mkdirat(dfd, name, 0700) < 0 && errno != EEXIST) ||
		    (s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    (d2 = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			klog("boot: %s: move to tmpfs root: %s", sub, strerror(errno));
			failed++;
		} else {
			failed += move_tree(s2, d2, dev, sub);
			struct timespec t[2] = {st.st_atim, st.st_mtim};
			if (fchown(d2, st.st_uid, st.st_gid) < 0 || fchmod(d2, st.st_mode & 07777) < 0 || futimens(d2, t) < 0) {
				klog("boot: %s: set owner/mode: %s", sub, strerror(errno));
				failed++;
			}
			/* Still holds mount points (/proc, /newroot) when not empty: that is fine. */
			unlinkat(sfd, name, AT_REMOVEDIR);
		}
		if (s2 >= 0)
			close(s2);
		if (d2 >= 0)
			close(d2);
	}
	if (errno) {
		klog("boot: %s: readdir: %s", path, strerror(errno));
		failed++;
	}
	closedir(d);
	return failed;
}

void boot_leave_initramfs(void)
{
	if (mkdir("/proc", 0555) < 0 && errno != EEXIST) {
		klog("boot: mkdir /proc: %s", strerror(errno));
		return;
	}
	if (!is_mountpoint("/proc") && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		klog("boot: mount /proc: %s", strerror(errno));
		return;
	}
	if (!root_is_rootfs())
		return;
	int64_t t0 = boot_ms();
	struct stat rst;
	if (stat("/", &rst) < 0 || (mkdir("/newroot", 0755) < 0 && errno != EEXIST) ||
	    mount("root", "/newroot", "tmpfs", 0, "mode=0755") < 0) {
		klog("boot: tmpfs root: %s; staying on the initramfs (containers cannot pivot_root)", strerror(errno));
		return;
	}
	int sfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int dfd = open("/newroot", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0 || dfd < 0) {
		klog("boot: tmpfs root: open: %s; staying on the initramfs", strerror(errno));
		if (sfd >= 0)
			close(sfd);
		if (dfd >= 0)
			close(dfd);
		umount2("/newroot", MNT_DETACH);
		return;
	}
	int failed = move_tree(sfd, dfd, rst.st_dev, "/");
	close(sfd);
	close(dfd);
	/* Mounts made so far come along: /proc now, /dev when the console needed devtmpfs. */
	static const char *const along[] = {"/proc", "/dev"};
	for (size_t i = 0; i < sizeof along / sizeof along[0]; i++) {
		char to[64];
		snprintf(to, sizeof to, "/newroot%s", along[i]);
		if (!is_mountpoint(along[i]))
			continue;
		if ((mkdir(to, 0755) < 0 && errno != EEXIST) || mount(along[i], to, NULL, MS_MOVE, NULL) < 0)
			klog("boot: move %s to the tmpfs root: %s", along[i], strerror(errno));
	}
	if (chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		klog("boot: switch to the tmpfs root: %s", strerror(errno));
		return;
	}
	klog("boot: root moved from the initramfs to tmpfs in %lld ms%s", (long long)(boot_ms() - t0),
	     failed ? " (some entries failed, see above)" : "");
}

/* ---- early mounts ------------------------------------------------------------------------- */

static const struct early_mount {
	const char *source, *target, *type;
	unsigned long flags;
	const char *data;
} early_mounts[] = {
	{"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
	{"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
	{"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"},
	{"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666"},
	{"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"},
	{"run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"},
	{"cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
};

void boot_mount_early(void)
{
	char done[256];
	size_t used = 0;
	done[0] = '\0';
	for (size_t i = 0; i < sizeof early_mounts / sizeof early_mounts[0]; i++) {
		const struct early_mount *m = &early_mounts[i];
		struct err e;
		err_clear(&e);
		if (mkdir_p(m->target, 0755, &e) < 0) {
			klog("mounts: %s", e.msg);
			continue;
		}
		if (!is_mountpoint(m->target) && mount(m->source, m->target, m->type, m->flags, m->data) < 0) {
			klog("mounts: %s on %s: %s", m->type, m->target, strerror(errno));
			continue;
		}
		int n = snprintf(done + used, sizeof done - used, "%s%s", used ? " " : "", m->target);
		if (n > 0 && (size_t)n < sizeof done - used)
			used += (size_t)n;
	}
	/* What shells and libcs expect next to the nodes devtmpfs makes. */
	static const char *const links[][2] = {
		{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
	};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST)
			klog("mounts: %s: symlink: %s", links[i][1], strerror(errno));
	klog("mounts: %s", done);
}
