/* The escape probe: run as a service (tests/qemu/70-escape.test in the guest, tests/host/40-escape
 * under `keel run`), it tries each known way out of a container or up to the host's privileges
 * and prints one line per attempt:
 *   escape NAME blocked (ERRNO[: why])   the kernel, seccomp or a mount refused it
 *   escape NAME ESCAPED (what worked)    it succeeded, or passed the permission check and failed
 *                                        only on the harmless arguments it was given
 *   escape NAME n/a (why)                it does not apply here (setuid(0) as uid 0, a file this
 *                                        kernel lacks)
 * then `escape-done blocked=N escaped=N na=N`. Arguments are chosen so that an attempt that gets
 * through does no harm: a missing path, bad magic, the value a file already holds; files that
 * could hurt (core_pattern, sysrq-trigger) are opened for writing, never written.
 * `escape-probe ping ADDR` instead sends one ICMP echo over a datagram socket (what
 * net.ipv4.ping_group_range allows without CAP_NET_RAW) and prints `ping ADDR ok` or why not;
 * `escape-probe bind PORT` binds a TCP socket to the port: `bind PORT ok` or its errno.
 * Static (musl), no libraries: copied into a layer. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef ETH_P_ALL
#define ETH_P_ALL 0x0003
#endif

static int n_blocked, n_escaped, n_na;

static const char *errname(int e)
{
	static const struct {
		int e;
		const char *n;
	} t[] = {
		{EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"}, {EIO, "EIO"}, {ENXIO, "ENXIO"},
		{E2BIG, "E2BIG"}, {ENOEXEC, "ENOEXEC"}, {EBADF, "EBADF"}, {EAGAIN, "EAGAIN"},
		{ENOMEM, "ENOMEM"}, {EACCES, "EACCES"}, {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"},
		{EEXIST, "EEXIST"}, {EXDEV, "EXDEV"}, {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"},
		{EISDIR, "EISDIR"}, {EINVAL, "EINVAL"}, {EMFILE, "EMFILE"}, {ENOTTY, "ENOTTY"},
		{ENOSPC, "ENOSPC"}, {EROFS, "EROFS"}, {ENOSYS, "ENOSYS"}, {ELOOP, "ELOOP"},
		{ENOKEY, "ENOKEY"}, {EOPNOTSUPP, "EOPNOTSUPP"}, {EAFNOSUPPORT, "EAFNOSUPPORT"},
		{EPROTONOSUPPORT, "EPROTONOSUPPORT"}, {ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"},
		{ESTALE, "ESTALE"}, {EOVERFLOW, "EOVERFLOW"}, {ENOTCONN, "ENOTCONN"}, {ENOTSOCK, "ENOTSOCK"},
	};
	static char buf[32];
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].e == e)
			return t[i].n;
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

static void out(const char *name, const char *verdict, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void out(const char *name, const char *verdict, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	printf("escape %s %s (%s)\n", name, verdict, why);
	fflush(stdout);
	if (!strcmp(verdict, "blocked"))
		n_blocked++;
	else if (!strcmp(verdict, "ESCAPED"))
		n_escaped++;
	else
		n_na++;
}

#define BLOCKED(name, ...) out(name, "blocked", __VA_ARGS__)
#define ESCAPED(name, ...) out(name, "ESCAPED", __VA_ARGS__)
#define NA(name, ...) out(name, "n/a", __VA_ARGS__)

/* A privileged call given arguments that fail harmlessly once its permission check is passed:
 * EPERM (or EACCES) is the check refusing it; success or any other error means it got past. */
static void gate(const char *name, long r, int err)
{
	if (r >= 0)
		ESCAPED(name, "it succeeded");
	else if (err == EPERM || err == EACCES)
		BLOCKED(name, "%s", errname(err));
	else
		ESCAPED(name, "passed the permission check, then %s on the harmless arguments", errname(err));
}

#define GATE(name, ...)                                                                            \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = syscall(__VA_ARGS__);                                                    \
		gate(name, r_, errno);                                                             \
	} while (0)

/* Opening a file for writing is the escape (nothing is written): EROFS (a read-only mount), EACCES
 * or EPERM refuse it, ENOENT too (the container does not have it) unless na_if_missing. */
static void try_write(const char *name, const char *path, int na_if_missing)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && na_if_missing)
			NA(name, "%s: not in this kernel", path);
		else if (errno == EROFS || errno == EACCES || errno == EPERM || errno == ENOENT)
			BLOCKED(name, "%s: %s", errname(errno), path);
		else
			ESCAPED(name, "open %s for writing: %s", path, errname(errno));
		return;
	}
	close(fd);
	ESCAPED(name, "%s opened for writing", path);
}

/* Run fn in a child (it may change the child's namespaces, root or ids); its exit status is an
 * errno (0: the call succeeded). */
static int in_child(int (*fn)(void *), void *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(fn(arg));
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static int do_unshare(void *arg)
{
	return unshare((int)(long)arg) < 0 ? errno : 0;
}

static void try_unshare(void)
{
	static const struct {
		const char *name;
		int flag;
	} ns[] = {
		{"unshare-mnt", CLONE_NEWNS},   {"unshare-uts", CLONE_NEWUTS},
		{"unshare-ipc", CLONE_NEWIPC},  {"unshare-net", CLONE_NEWNET},
		{"unshare-pid", CLONE_NEWPID},  {"unshare-cgroup", CLONE_NEWCGROUP},
		{"unshare-user", CLONE_NEWUSER}, {"unshare-time", CLONE_NEWTIME},
	};
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		int err = in_child(do_unshare, (void *)(long)ns[i].flag);
		if (err == 0)
			ESCAPED(ns[i].name, "unshare succeeded");
		else if (err == EPERM || err == EACCES)
			BLOCKED(ns[i].name, "%s", errname(err));
		else if (err == EINVAL && ns[i].flag == CLONE_NEWTIME)
			NA(ns[i].name, "no time namespaces in this kernel");
		else
			ESCAPED(ns[i].name, "unshare: %s", errname(err));
	}
}

static int do_setns(void *arg)
{
	int fd = open((const char *)arg, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 100 + errno; /* the caller tells it from setns's errors */
	return syscall(SYS_setns, fd, 0) < 0 ? errno : 0;
}

/* The namespaces a service can name: /proc/1/ns/NS is its own init's (in a pid namespace: the
 * container's reaper, not the host's PID 1; the host's processes are not in its /proc). setns
 * into the same namespace would still be a way out of a chroot, or a gain of the mount namespace's
 * root: any success counts. */
static void try_setns(void)
{
	static const char *const ns[] = {"mnt", "net", "pid", "uts", "ipc", "cgroup", "user", "time"};
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		char name[32], path[64], self[64], a[64] = "", b[64] = "";
		snprintf(name, sizeof name, "setns-%s", ns[i]);
		snprintf(path, sizeof path, "/proc/1/ns/%s", ns[i]);
		snprintf(self, sizeof self, "/proc/self/ns/%s", ns[i]);
		if (access(path, F_OK) < 0 && errno == ENOENT) {
			NA(name, "%s: not in this kernel", path);
			continue;
		}
		ssize_t la = readlink(path, a, sizeof a - 1), lb = readlink(self, b, sizeof b - 1);
		int same = la > 0 && la == lb && !memcmp(a, b, (size_t)la);
		int err = in_child(do_setns, path);
		if (err > 100 && err < 200)
			BLOCKED(name, "open %s: %s", path, errname(err - 100));
		else if (err == 0)
			ESCAPED(name, "setns %s succeeded", path);
		else if (err == EPERM || err == EACCES)
			BLOCKED(name, "%s (%s)", errname(err), path);
		else if (err == EINVAL && same)
			BLOCKED(name, "EINVAL: %s is our own", path);
		else
			ESCAPED(name, "setns %s: %s", path, errname(err));
	}
}

/* The classic: chroot into a subdirectory keeping the working directory outside it, climb with
 * "..", chroot there. In a container whose root is its mount namespace's root (pivot_root, the old
 * root detached) ".." stops at the container's own root even when chroot is allowed. */
static struct stat root_st;

static int do_chroot_escape(void *arg)
{
	(void)arg;
	if (chdir("/") < 0 || chroot("/bin") < 0)
		return errno;
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0)
			return errno;
	if (chroot(".") < 0)
		return errno;
	struct stat st;
	if (stat("/", &st) < 0)
		return errno;
	return st.st_dev == root_st.st_dev && st.st_ino == root_st.st_ino ? 201 : 0;
}

static void try_chroot(void)
{
	if (stat("/", &root_st) < 0) {
		NA("chroot-escape", "stat /: %s", errname(errno));
		return;
	}
	int err = in_child(do_chroot_escape, NULL);
	if (err == 201)
		BLOCKED("chroot-escape", "chroot works, '..' stops at the container's root");
	else if (err == EPERM || err == EACCES)
		BLOCKED("chroot-escape", "%s", errname(err));
	else if (err == 0)
		ESCAPED("chroot-escape", "reached a root above the container's");
	else
		ESCAPED("chroot-escape", "chroot: %s", errname(err));
}

static volatile char secret[16] = "keel-probe";

/* A sibling to attach to: a child that waits to be killed. */
static pid_t spawn_sleeper(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void try_ptrace(void)
{
	pid_t pid = spawn_sleeper();
	if (pid < 0) {
		NA("ptrace", "fork: %s", errname(errno));
		NA("process_vm_readv", "fork: %s", errname(errno));
		return;
	}
	errno = 0;
	long r = syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, pid, NULL, NULL);
	gate("ptrace", r, errno);
	char buf[16];
	struct iovec local = {buf, sizeof buf}, remote = {(void *)secret, sizeof buf};
	errno = 0;
	r = syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0);
	if (r > 0 && !memcmp(buf, "keel-probe", 10))
		ESCAPED("process_vm_readv", "read the sibling's memory");
	else
		gate("process_vm_readv", r, errno);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Shocker (2014): a handle for inode 2 of the file system under / opened without a path. */
static void try_open_by_handle(void)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[128];
	} h = {.fh.handle_bytes = 128};
	int mnt;
	if (syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &h.fh, &mnt, 0) < 0) {
		/* FILEID_INO32_GEN: ino 2, generation 0 */
		h.fh.handle_bytes = 8;
		h.fh.handle_type = 1;
		memset(h.fh.f_handle, 0, 8);
		h.fh.f_handle[0] = 2;
	}
	int dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	errno = 0;
	long r = syscall(SYS_open_by_handle_at, dfd, &h.fh, O_RDONLY | O_CLOEXEC);
	gate("open_by_handle_at", r, errno);
	if (r >= 0)
		close((int)r);
	close(dfd);
}

static void try_socket(const char *name, int domain, int type, int proto)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, proto);
	if (fd >= 0) {
		close(fd);
		ESCAPED(name, "socket created");
	} else if (errno == EPERM || errno == EACCES) {
		BLOCKED(name, "%s", errname(errno));
	} else if (errno == EAFNOSUPPORT) {
		NA(name, "the family is not in this kernel");
	} else {
		ESCAPED(name, "socket: %s", errname(errno));
	}
}

static void rta_put(char *buf, size_t *off, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(buf + *off);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	*off += RTA_ALIGN(a->rta_len);
}

/* RTM_NEWLINK of a dummy link: rtnetlink checks CAP_NET_ADMIN before it looks for the driver, so
 * "no dummy driver" (EOPNOTSUPP) means the check was passed. */
static void try_rtnl(void)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[128];
	} req = {0};
	size_t off = 0;
	rta_put(req.attrs, &off, IFLA_IFNAME, "kprobe0", 8);
	size_t info = off;
	rta_put(req.attrs, &off, IFLA_LINKINFO, NULL, 0);
	rta_put(req.attrs, &off, IFLA_INFO_KIND, "dummy", 6);
	((struct rtattr *)(req.attrs + info))->rta_len = (unsigned short)(off - info);
	req.nh.nlmsg_len = (unsigned)(NLMSG_LENGTH(sizeof req.ifi) + off);
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		gate("rtnl-newlink", -1, errno);
		return;
	}
	char ans[4096];
	ssize_t n = -1;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0 || (n = recv(fd, ans, sizeof ans, 0)) < 0) {
		gate("rtnl-newlink", -1, errno);
	} else {
		struct nlmsghdr *h = (struct nlmsghdr *)ans;
		int err = EIO;
		if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) && h->nlmsg_type == NLMSG_ERROR)
			err = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
		if (err == 0)
			ESCAPED("rtnl-newlink", "created the dummy link kprobe0");
		else
			gate("rtnl-newlink", -1, err);
	}
	close(fd);
}

/* A node for a device the container has no node for: made where we can (our /dev, else /tmp);
 * "made" is set when it was. */
static int make_node(const char *name, mode_t type, dev_t dev, char *path, size_t size, int *made)
{
	static const char *const dirs[] = {"/dev", "/tmp"};
	int err = ENOENT;
	*made = 0;
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, size, "%s/keel-probe-%s", dirs[i], name);
		unlink(path);
		if (mknod(path, type | 0600, dev) == 0) {
			*made = 1;
			return 0;
		}
		err = errno;
		if (err != EACCES && err != EROFS && err != ENOENT)
			break; /* EPERM: no CAP_MKNOD, no other directory will do */
	}
	return err;
}

/* The first block device the kernel has (from /sys/dev/block), else loop0. */
static dev_t a_block_device(void)
{
	unsigned maj = 7, min = 0;
	DIR *d = opendir("/sys/dev/block");
	for (struct dirent *de; d && (de = readdir(d));)
		if (sscanf(de->d_name, "%u:%u", &maj, &min) == 2)
			break;
	if (d)
		closedir(d);
	return makedev(maj, min);
}

static void try_block_device(void)
{
	char path[64];
	int made;
	dev_t dev = a_block_device();
	int err = make_node("blk", S_IFBLK, dev, path, sizeof path, &made);
	if (made)
		ESCAPED("mknod-blk", "made block device %u:%u at %s", major(dev), minor(dev), path);
	else if (err == EPERM || err == EACCES || err == EROFS)
		BLOCKED("mknod-blk", "%s", errname(err));
	else
		ESCAPED("mknod-blk", "mknod: %s", errname(err));
	if (!made) {
		NA("open-blk", "no node to open (mknod refused)");
		return;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		ESCAPED("open-blk", "opened block device %u:%u", major(dev), minor(dev));
	} else if (errno == EPERM || errno == EACCES) {
		BLOCKED("open-blk", "%s (%s)", errname(errno), path);
	} else {
		ESCAPED("open-blk", "open: %s", errname(errno));
	}
	unlink(path);
}

/* A host device: its path in the container, else a node we make for it; the open is the escape. */
static void try_char_device(const char *name, const char *path, unsigned maj, unsigned min)
{
	char node[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		int made, err = make_node(name + 4, S_IFCHR, makedev(maj, min), node, sizeof node, &made);
		if (!made) {
			BLOCKED(name, "ENOENT: no %s; mknod %s", path, errname(err));
			return;
		}
		fd = open(node, O_RDONLY | O_CLOEXEC);
		int saved = errno;
		unlink(node);
		errno = saved;
		if (fd < 0 && (errno == EPERM || errno == EACCES)) {
			BLOCKED(name, "%s: a node made for %u:%u does not open", errname(errno), maj, min);
			return;
		}
	}
	if (fd >= 0) {
		close(fd);
		ESCAPED(name, "opened %u:%u", maj, min);
	} else if (errno == EPERM || errno == EACCES) {
		BLOCKED(name, "%s", errname(errno));
	} else {
		ESCAPED(name, "open: %s", errname(errno));
	}
}

/* /proc/kcore is masked with /dev/null: it opens, and reads nothing. */
static void try_kcore(void)
{
	char b[4] = {0};
	int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		NA("proc-kcore", "not in this kernel");
		return;
	}
	if (fd < 0) {
		gate("proc-kcore", -1, errno);
		return;
	}
	ssize_t n = read(fd, b, sizeof b);
	close(fd);
	if (n == 4 && !memcmp(b, "\177ELF", 4))
		ESCAPED("proc-kcore", "read the kernel's ELF core");
	else
		BLOCKED("proc-kcore", "masked: reads %zd bytes", n);
}

static void try_proc_sys_hostname(void)
{
	struct utsname u;
	uname(&u);
	int fd = open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EROFS || errno == EACCES || errno == EPERM)
			BLOCKED("proc-sys-hostname", "%s", errname(errno));
		else
			ESCAPED("proc-sys-hostname", "open: %s", errname(errno));
		return;
	}
	/* Writing back the name it already has changes nothing. */
	ssize_t w = write(fd, u.nodename, strlen(u.nodename));
	int err = errno;
	close(fd);
	if (w >= 0)
		ESCAPED("proc-sys-hostname", "wrote /proc/sys/kernel/hostname");
	else
		gate("proc-sys-hostname", -1, err);
}

static void try_sys_attr(void)
{
	static const char *const attrs[] = {
		"/sys/kernel/mm/transparent_hugepage/enabled", "/sys/kernel/profiling",
		"/sys/kernel/mm/ksm/run", "/sys/power/state", "/sys/class/net/lo/mtu",
	};
	for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
		if (access(attrs[i], F_OK) == 0) {
			try_write("sys-write", attrs[i], 0);
			return;
		}
	}
	NA("sys-write", "none of the attributes tried is in this /sys");
}

static int do_setuid0(void *arg)
{
	(void)arg;
	if (syscall(SYS_setresuid, 0, 0, 0) < 0)
		return errno;
	return getuid() == 0 ? 0 : 202;
}

static void try_setuid0(void)
{
	if (getuid() == 0) {
		NA("setuid0", "already uid 0");
		return;
	}
	int err = in_child(do_setuid0, NULL);
	if (err == 0)
		ESCAPED("setuid0", "setresuid(0) succeeded");
	else
		gate("setuid0", -1, err);
}

static void try_write_root(void)
{
	int fd = open("/keel-probe", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		unlink("/keel-probe");
		ESCAPED("write-root", "created /keel-probe");
	} else if (errno == EROFS || errno == EACCES || errno == EPERM) {
		BLOCKED("write-root", "%s", errname(errno));
	} else {
		ESCAPED("write-root", "create /keel-probe: %s", errname(errno));
	}
}

/* A 0600 root file in the layer: only root of the host's user namespace reads it. */
static void try_read_root_file(void)
{
	const char *f = "/etc/keel-probe-secret";
	struct stat st;
	if (stat(f, &st) < 0) {
		NA("read-root-file", "%s: not in this image", f);
		return;
	}
	if (getuid() == 0 && st.st_uid == 0) {
		NA("read-root-file", "uid 0 owns it");
		return;
	}
	int fd = open(f, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		ESCAPED("read-root-file", "opened %s (0%o, uid %u)", f, st.st_mode & 07777, st.st_uid);
	} else {
		gate("read-root-file", -1, errno);
	}
}

/* chown of a file of one's own to root needs CAP_CHOWN. */
static void try_chown(void)
{
	if (getuid() == 0) {
		NA("chown", "uid 0 holds CAP_CHOWN by default");
		return;
	}
	const char *f = "/tmp/keel-probe-chown";
	int fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		NA("chown", "no writable /tmp: %s", errname(errno));
		return;
	}
	close(fd);
	errno = 0;
	long r = chown(f, 0, 0);
	gate("chown", r, errno);
	unlink(f);
}

static void try_mounts(void)
{
	errno = 0;
	long r = mount("keel-probe", "/tmp", "tmpfs", 0, "size=4k");
	gate("mount", r, errno);
	if (r == 0)
		umount2("/tmp", MNT_DETACH);
	/* Unmounting the read-only /proc/sys would uncover the writable one under it. */
	errno = 0;
	r = umount2("/proc/sys", MNT_DETACH);
	gate("umount", r, errno);
	errno = 0;
	r = mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL);
	if (r == 0 && access("/", W_OK) == 0)
		ESCAPED("remount-root", "/ is writable now");
	else if (r == 0)
		ESCAPED("remount-root", "remount succeeded");
	else
		gate("remount-root", r, errno);
	GATE("pivot_root", SYS_pivot_root, "/keel-probe-none", "/keel-probe-none");
}

static void try_kernel(void)
{
	GATE("init_module", SYS_init_module, NULL, 0, "");
	GATE("finit_module", SYS_finit_module, -1, "", 0);
	GATE("delete_module", SYS_delete_module, "keel_probe_none", O_NONBLOCK);
	errno = 0;
	long r = syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL);
	if (r < 0 && errno == ENOSYS)
		NA("kexec_load", "no kexec in this kernel");
	else
		gate("kexec_load", r, errno);
	GATE("reboot", SYS_reboot, 0, 0, 0, NULL); /* bad magic: EINVAL once allowed */
	GATE("swapon", SYS_swapon, "/keel-probe-none", 0);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	GATE("clock_settime", SYS_clock_settime, CLOCK_REALTIME, &now);
	struct utsname u;
	uname(&u);
	GATE("sethostname", SYS_sethostname, u.nodename, strlen(u.nodename));
	union bpf_attr a = {.map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1};
	errno = 0;
	r = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
	gate("bpf", r, errno);
	if (r >= 0)
		close((int)r);
	struct perf_event_attr pa = {.type = PERF_TYPE_SOFTWARE, .size = sizeof pa,
				     .config = PERF_COUNT_SW_CPU_CLOCK, .disabled = 1, .exclude_kernel = 1};
	errno = 0;
	r = syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0);
	gate("perf_event_open", r, errno);
	if (r >= 0)
		close((int)r);
	GATE("keyctl", SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
	GATE("add_key", SYS_add_key, "user", "keel-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING);
	/* No such key: ENOKEY once the call is allowed. */
	GATE("request_key", SYS_request_key, "user", "keel-probe-none", NULL, 0);
}

static int ping(const char *addr)
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1) {
		printf("ping %s: not an IPv4 address\n", addr);
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0) {
		printf("ping %s: socket(SOCK_DGRAM, IPPROTO_ICMP): %s\n", addr, errname(errno));
		return 1;
	}
	struct icmphdr req = {.type = ICMP_ECHO};
	req.un.echo.sequence = htons(1);
	char ans[256];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&to, sizeof to) < 0) {
		printf("ping %s: sendto: %s\n", addr, errname(errno));
		return 1;
	}
	if (poll(&p, 1, 5000) != 1 || recv(fd, ans, sizeof ans, 0) < (ssize_t)sizeof req ||
	    ((struct icmphdr *)ans)->type != ICMP_ECHOREPLY) {
		printf("ping %s: no echo reply\n", addr);
		return 1;
	}
	printf("ping %s ok\n", addr);
	return 0;
}

/* A TCP socket bound to the port on every address (below 1024: CAP_NET_BIND_SERVICE). */
static int bind_port(const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		printf("bind %s: %s\n", port, errname(errno));
		return 1;
	}
	printf("bind %s ok\n", port);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "ping"))
		return ping(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "bind"))
		return bind_port(argv[2]);
	if (argc > 1) {
		fprintf(stderr, "usage: escape-probe [ping ADDR | bind PORT]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("escape-start uid=%u\n", (unsigned)getuid());
	try_write_root();
	try_read_root_file();
	try_setuid0();
	try_chown();
	try_proc_sys_hostname();
	try_write("proc-sys-core-pattern", "/proc/sys/kernel/core_pattern", 0);
	try_write("sysrq-trigger", "/proc/sysrq-trigger", 1);
	try_sys_attr();
	try_write("uevent-helper", "/sys/kernel/uevent_helper", 1);
	try_kcore();
	try_char_device("dev-mem", "/dev/mem", 1, 1);
	try_char_device("dev-kmsg", "/dev/kmsg", 1, 11);
	try_block_device();
	try_socket("raw-inet", AF_INET, SOCK_RAW, IPPROTO_ICMP);
	try_socket("raw-packet", AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	try_rtnl();
	try_ptrace();
	try_open_by_handle();
	try_kernel();
	try_unshare();
	try_setns();
	try_chroot();
	try_mounts();
	printf("escape-done blocked=%d escaped=%d na=%d\n", n_blocked, n_escaped, n_na);
	return 0;
}
