/* A helper's isolation: its own tmpfs root with only what it binds, non-root ids, no capabilities,
 * no_new_privs, a seccomp allowlist. */
#include "sandbox.h"

#include "../lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#else
#error "keel's helpers are built for x86_64 and aarch64"
#endif

#define SANDBOX_MAX_RULES 96

static int bind_one(const struct sandbox_bind *b, struct err *e)
{
	char dst[256];
	snprintf(dst, sizeof dst, ".%s", b->dst);
	int fd = b->file ? open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) : mkdir(dst, 0755);
	if (fd < 0)
		return err_sys(e, errno, "sandbox: %s", b->dst);
	if (b->file)
		close(fd);
	unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC | (b->rw ? 0 : MS_RDONLY);
	if (mount(b->src, dst, NULL, MS_BIND, NULL) < 0 || mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | fl, NULL) < 0)
		return err_sys(e, errno, "sandbox: bind %s on %s", b->src, b->dst);
	return 0;
}

int sandbox_enter(const char *root, const struct sandbox_bind *b, int nb, uid_t uid, gid_t gid, struct err *e)
{
	/* Nothing mounted here may reach PID 1's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys(e, errno, "sandbox: make mounts private");
	if (mkdir_p(root, 0700, e) < 0)
		return -1;
	if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,nr_inodes=64,mode=0755") < 0 ||
	    chdir(root) < 0)
		return err_sys(e, errno, "sandbox: tmpfs root on %s", root);
	for (int i = 0; i < nb; i++)
		if (bind_one(&b[i], e) < 0)
			return -1;
	/* pivot_root(".", "."): the old root stacks under the new one, and detaching "." drops it. */
	if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return err_sys(e, errno, "sandbox: pivot_root");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return err_sys(e, errno, "sandbox: remount / read-only");
	/* From root to uid without keepcaps: every capability goes, ambient ones too. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return err_sys(e, errno, "sandbox: become %u:%u", (unsigned)uid, (unsigned)gid);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(e, errno, "sandbox: no_new_privs");
	return 0;
}

int sandbox_seccomp(const long *allow, int n, struct err *e)
{
	struct sock_filter f[SANDBOX_MAX_RULES + 6];
	if (n > SANDBOX_MAX_RULES)
		return err_set(e, E2BIG, "sandbox: %d syscalls, more than %d", n, SANDBOX_MAX_RULES);
	int k = 0;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (int i = 0; i < n; i++) /* a match jumps past the rest and the kill, to the allow */
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allow[i], (unsigned char)(n - i), 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {.len = (unsigned short)k, .filter = f};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return err_sys(e, errno, "sandbox: seccomp");
	return 0;
}
