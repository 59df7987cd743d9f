/* The seccomp filter: Docker-like default allowlist (anything else fails with EPERM), ENOSYS for
 * syscalls newer than the profile, the service's own rules on top; built once into BPF. */
#include "container.h"

#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Allowed without conditions. Written with the *at names arm64 has; legacy names (open, mkdir,
 * chown32, ...) are listed too for the architectures that have them and skipped where
 * libseccomp says they do not exist (it would otherwise add a placeholder that filters nothing).
 * Absent on purpose, so they fail with EPERM: mount, umount2, pivot_root, kexec_*, *_module, bpf,
 * perf_event_open, keyctl, add_key, request_key, ptrace, process_vm_*, open_by_handle_at,
 * swapon/off, reboot, clock_settime, settimeofday, acct, setns, io_uring_*, userfaultfd, ... */
static const char *const allowed[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk", "capget",
	"capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
	"clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
	"clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
	"dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
	"epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
	"exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
	"fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
	"fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
	"fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
	"ftruncate64", "futex", "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd",
	"getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
	"getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp",
	"getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
	"getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname",
	"getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
	"inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl",
	"io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get",
	"ioprio_set", "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule",
	"landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
	"linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr",
	"lstat", "lstat64", "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore",
	"mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
	"modify_ldt", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
	"mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
	"msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
	"name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2",
	"pause", "pidfd_getfd", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
	"pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv",
	"preadv2", "prlimit64", "process_madvise", "process_mrelease", "pselect6", "pselect6_time64",
	"pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv",
	"recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
	"removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
	"rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
	"rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
	"sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
	"sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
	"sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
	"sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
	"semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg",
	"sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
	"setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
	"setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
	"set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid",
	"setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack",
	"signalfd", "signalfd4", "sigprocmask", "sigreturn", "socket", "socketcall", "socketpair",
	"splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
	"sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
	"timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
	"timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
	"ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
	"utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
	"writev",
};

/* personality(2) values Docker allows: the default, UNAME26, READ_IMPLIES_EXEC... and query. */
static const uint32_t personalities[] = {0x0, 0x0008, 0x20000, 0x20008, 0xffffffff};

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp.c: unknown architecture"
#endif

static int overridden(const struct cfg *c, const struct cfg_service *svc, const char *name)
{
	for (uint32_t i = 0; i < svc->syscalls.count; i++)
		if (!strcmp(cfg_str(c, cfg_syscall(c, svc->syscalls, i)->name), name))
			return 1;
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, const struct cfg *c, const struct cfg_service *svc,
		     struct err *e)
{
	int r;
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr < 0 || overridden(c, svc, allowed[i]))
			continue; /* not a syscall of this architecture */
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
			return err_sys(e, -r, "seccomp: rule for %s", allowed[i]);
	}
	if (!overridden(c, svc, "personality"))
		for (size_t i = 0; i < sizeof personalities / sizeof personalities[0]; i++)
			if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1,
						  SCMP_A0(SCMP_CMP_EQ, personalities[i]))) < 0)
				return err_sys(e, -r, "seccomp: rule for personality");
	/* New user namespaces only when the config allows them. clone3 passes its flags in memory
	 * a filter cannot read: ENOSYS makes libcs fall back to clone, whose flags it can. */
	int userns = !!(svc->flags & CFG_SVC_USERNS_ALLOW);
	static const char *const cloners[] = {"clone", "unshare"};
	for (size_t i = 0; i < 2; i++) {
		if (overridden(c, svc, cloners[i]))
			continue;
		int nr = seccomp_syscall_resolve_name(cloners[i]);
		r = userns ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)
			   : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, 0));
		if (r < 0)
			return err_sys(e, -r, "seccomp: rule for %s", cloners[i]);
	}
	if (!overridden(c, svc, "clone3") &&
	    (r = seccomp_rule_add(ctx, userns ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(ENOSYS),
				  SCMP_SYS(clone3), 0)) < 0)
		return err_sys(e, -r, "seccomp: rule for clone3");
	for (uint32_t i = 0; i < svc->syscalls.count; i++) {
		const struct cfg_syscall_rule *rule = cfg_syscall(c, svc->syscalls, i);
		const char *name = cfg_str(c, rule->name);
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR)
			return err_set(e, EINVAL, "seccomp: syscall '%s': not a syscall libseccomp knows", name);
		if (nr < 0)
			continue; /* exists elsewhere, not on this architecture */
		uint32_t act = rule->action == CFG_SC_ALLOW   ? SCMP_ACT_ALLOW
			       : rule->action == CFG_SC_KILL ? SCMP_ACT_KILL_PROCESS
							      : SCMP_ACT_ERRNO(rule->errno_value);
		if ((r = seccomp_rule_add(ctx, act, nr, 0)) < 0)
			return err_sys(e, -r, "seccomp: rule for %s", name);
	}
	return 0;
}

/* Read libseccomp's BPF back (2.5 can export only to an fd) into a buffer with room in front
 * for our prefix. */
static int export_bpf(scmp_filter_ctx ctx, struct seccomp_prog *p, unsigned prefix, struct err *e)
{
	int fd = memfd_create("keel-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "seccomp: memfd_create");
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0) {
		close(fd);
		return err_sys(e, -r, "seccomp: export");
	}
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
	    size / (off_t)sizeof(struct sock_filter) + prefix > BPF_MAXINSNS) {
		close(fd);
		return err_set(e, EINVAL, "seccomp: exported program has an unexpected size %lld",
			       (long long)size);
	}
	size_t n = (size_t)size / sizeof(struct sock_filter);
	p->insns = calloc(n + prefix, sizeof(struct sock_filter));
	if (!p->insns) {
		close(fd);
		return err_sys(e, ENOMEM, "seccomp");
	}
	ssize_t got = pread(fd, p->insns + prefix, (size_t)size, 0);
	close(fd);
	if (got != size) {
		free(p->insns);
		p->insns = NULL;
		return err_set(e, EIO, "seccomp: short read of the exported program");
	}
	p->len = (unsigned short)(n + prefix);
	return 0;
}

int seccomp_prog_build(const struct cfg *c, const struct cfg_service *svc, uint32_t arch,
		       struct seccomp_prog *p, struct err *e)
{
	p->insns = NULL;
	p->len = 0;
	if (arch == 0)
		arch = NATIVE_AUDIT_ARCH;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return err_set(e, ENOMEM, "seccomp: seccomp_init failed");
	/* Another architecture's filter (tests run the arm64 profile on x86_64): rules still name
	 * native numbers, which libseccomp translates by name for each architecture in the filter. */
	if (arch != NATIVE_AUDIT_ARCH) {
		int r = seccomp_arch_add(ctx, arch);
		if (r == 0)
			r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
		if (r < 0) {
			seccomp_release(ctx);
			return err_sys(e, -r, "seccomp: architecture 0x%x", arch);
		}
	}
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); /* binary tree; best effort */
	/* Syscalls newer than the profile: ENOSYS, so a libc falls back to an older call, as it
	 * would on an older kernel. Checked before libseccomp's program, for our arch only;
	 * numbers with the x32 bit are left to libseccomp. */
	const struct sock_filter prefix[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, SECCOMP_PROFILE_MAX_NR, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	};
	unsigned np = sizeof prefix / sizeof prefix[0];
	int rc = add_rules(ctx, c, svc, e);
	if (rc == 0)
		rc = export_bpf(ctx, p, np, e);
	seccomp_release(ctx);
	if (rc == 0)
		memcpy(p->insns, prefix, sizeof prefix);
	return rc;
}

int seccomp_prog_load(const struct seccomp_prog *p, struct err *e)
{
	struct sock_fprog fp = {.len = p->len, .filter = p->insns};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
		return err_sys(e, errno, "seccomp");
	return 0;
}

void seccomp_prog_free(struct seccomp_prog *p)
{
	free(p->insns);
	p->insns = NULL;
	p->len = 0;
}

/* ---- the cache: one file per distinct filter, so separate `keel run`s skip libseccomp ---- */

/* Everything the program depends on: the profile as compiled in, the architecture, the
 * service's user-namespace flag and rules. A changed profile in a new keel gives a new key. */
static void cache_key(const struct cfg *c, const struct cfg_service *svc, uint32_t arch,
		      uint8_t key[32])
{
	br_sha256_context h;
	br_sha256_init(&h);
	uint32_t head[4] = {1 /* cache format */, arch, SECCOMP_PROFILE_MAX_NR,
			    svc->flags & CFG_SVC_USERNS_ALLOW};
	br_sha256_update(&h, head, sizeof head);
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		br_sha256_update(&h, allowed[i], strlen(allowed[i]) + 1);
	br_sha256_update(&h, personalities, sizeof personalities);
	for (uint32_t i = 0; i < svc->syscalls.count; i++) {
		const struct cfg_syscall_rule *r = cfg_syscall(c, svc->syscalls, i);
		const char *name = cfg_str(c, r->name);
		uint32_t v[2] = {r->action, r->errno_value};
		br_sha256_update(&h, name, strlen(name) + 1);
		br_sha256_update(&h, v, sizeof v);
	}
	br_sha256_out(&h, key);
}

/* The file is the program followed by its SHA-256: a torn or damaged file is rebuilt, never
 * loaded. Returns 0 and fills p on a good file, -1 otherwise. */
static int cache_read(const char *path, struct seccomp_prog *p)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	struct stat st;
	size_t n = 0;
	if (fstat(fd, &st) == 0 && st.st_size > 32 && (st.st_size - 32) % 8 == 0 &&
	    (st.st_size - 32) / 8 <= BPF_MAXINSNS)
		n = (size_t)(st.st_size - 32) / 8;
	uint8_t *buf = n ? malloc((size_t)st.st_size) : NULL;
	if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		close(fd);
		return -1;
	}
	close(fd);
	br_sha256_context h;
	uint8_t sum[32];
	br_sha256_init(&h);
	br_sha256_update(&h, buf, n * 8);
	br_sha256_out(&h, sum);
	if (memcmp(sum, buf + n * 8, 32)) {
		free(buf);
		return -1;
	}
	p->insns = (struct sock_filter *)(void *)buf;
	p->len = (unsigned short)n;
	return 0;
}

/* Best effort: a cache that cannot be written only costs the next start the build. */
static void cache_write(const char *path, const struct seccomp_prog *p)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof tmp)
		return;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	br_sha256_context h;
	uint8_t sum[32];
	size_t len = (size_t)p->len * sizeof *p->insns;
	br_sha256_init(&h);
	br_sha256_update(&h, p->insns, len);
	br_sha256_out(&h, sum);
	int ok = write(fd, p->insns, len) == (ssize_t)len && write(fd, sum, 32) == 32;
	close(fd);
	if (!ok || rename(tmp, path) < 0)
		unlink(tmp);
}

int seccomp_prog_get(const char *cache_dir, const struct cfg *c, const struct cfg_service *svc,
		     struct seccomp_prog *p, struct err *e)
{
	if (!cache_dir)
		return seccomp_prog_build(c, svc, 0, p, e);
	uint8_t key[32];
	char hex[65], path[4096];
	cache_key(c, svc, NATIVE_AUDIT_ARCH, key);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	if (snprintf(path, sizeof path, "%s/%s.bpf", cache_dir, hex) >= (int)sizeof path)
		return seccomp_prog_build(c, svc, 0, p, e);
	if (cache_read(path, p) == 0)
		return 0;
	if (seccomp_prog_build(c, svc, 0, p, e) < 0)
		return -1;
	cache_write(path, p);
	return 0;
}
