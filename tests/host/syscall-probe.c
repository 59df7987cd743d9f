/* Test program for the container host tests (static, copied into the test rootfs): tries each
 * syscall the default seccomp profile must refuse, with arguments that are harmless if it is let
 * through, and prints `syscall NAME errno N` (0 = it succeeded). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static void report(const char *name, long r)
{
	printf("syscall %s errno %d\n", name, r < 0 ? errno : 0);
	fflush(stdout);
}

#define TRY(name, ...)                                                                             \
	do {                                                                                       \
		errno = 0;                                                                         \
		report(name, syscall(__VA_ARGS__));                                                \
	} while (0)

int main(int argc, char **argv)
{
	struct timeval bad_tv = {.tv_sec = 0, .tv_usec = -1};
	(void)argc;
	(void)argv;
	TRY("mount", SYS_mount, NULL, NULL, NULL, 0, NULL);
	TRY("umount2", SYS_umount2, "/nonexistent-keel-probe", 0);
	TRY("pivot_root", SYS_pivot_root, "/nonexistent-keel-probe", "/nonexistent-keel-probe");
	TRY("kexec_load", SYS_kexec_load, 0, 0, NULL, 0xdead0000UL);
	TRY("init_module", SYS_init_module, NULL, 0, "");
	TRY("finit_module", SYS_finit_module, -1, "", 0);
	TRY("delete_module", SYS_delete_module, "nonexistent_keel_probe", O_NONBLOCK);
	TRY("bpf", SYS_bpf, -1, NULL, 0);
	TRY("perf_event_open", SYS_perf_event_open, NULL, 0, -1, -1, 0);
	TRY("keyctl", SYS_keyctl, -1, 0, 0, 0, 0);
	TRY("add_key", SYS_add_key, NULL, NULL, NULL, 0, 0);
	TRY("request_key", SYS_request_key, NULL, NULL, NULL, 0);
	TRY("ptrace", SYS_ptrace, 2 /* PEEKDATA */, 999999, NULL, NULL);
	TRY("process_vm_readv", SYS_process_vm_readv, 999999, NULL, 0, NULL, 0, 0);
	TRY("process_vm_writev", SYS_process_vm_writev, 999999, NULL, 0, NULL, 0, 0);
	TRY("open_by_handle_at", SYS_open_by_handle_at, -1, NULL, 0);
	TRY("swapon", SYS_swapon, "/nonexistent-keel-probe", 0);
	TRY("swapoff", SYS_swapoff, "/nonexistent-keel-probe");
	TRY("reboot", SYS_reboot, 0, 0, 0, NULL);
	TRY("clock_settime", SYS_clock_settime, -1, NULL);
	TRY("settimeofday", SYS_settimeofday, &bad_tv, NULL);
	TRY("acct", SYS_acct, "/nonexistent-keel-probe");
	TRY("setns", SYS_setns, -1, 0);
	TRY("syslog", SYS_syslog, 3 /* READ_ALL */, NULL, 0);
	/* Newer than the profile (Linux 6.6) and a number no kernel has: ENOSYS, not EPERM. */
	TRY("fchmodat2", SYS_fchmodat2, -1, "", 0, 0);
	TRY("nr_1000", 1000);
	/* A user namespace: clone with the flag is refused; clone3 is ENOSYS so libcs use clone. */
	errno = 0;
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	report("clone_newuser", pid);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	TRY("clone3", SYS_clone3, NULL, 0);
	/* Allowed calls still work: a plain clone (fork) and unshare of something harmless. */
	errno = 0;
	pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	report("clone_plain", pid);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	TRY("unshare_files", SYS_unshare, CLONE_FILES);
	/* Last: it may succeed (unconfined) and change what this process is. */
	TRY("unshare_newuser", SYS_unshare, CLONE_NEWUSER);
	return 0;
}
