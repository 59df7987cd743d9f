/* The fetcher's seccomp allowlist: what a static musl program needs to speak TLS over TCP, resolve
 * a name, write files in its one directory and wait for a signal (tests). Anything else fails
 * with EPERM. Names of one architecture only are skipped on the other (host test 55 runs both
 * arches' filters through a BPF interpreter). */
#include "fetch.h"

const char *const fetch_syscalls[] = {
	/* memory, the process, time */
	"brk", "mmap", "munmap", "mremap", "madvise", "mprotect", "arch_prctl", "set_tid_address", "exit",
	"exit_group", "getpid", "gettid", "clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
	"getrandom", "execve",
	/* signals: the test hold waits for SIGUSR1 */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "rt_sigsuspend", "pause",
	/* files in /staging and the read-only root */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close", "open", "openat", "fstat",
	"newfstatat", "stat", "lstat", "statx", "fcntl", "ftruncate", "fsync", "fdatasync", "rename", "renameat",
	"renameat2", "unlink", "unlinkat", "chdir", "getcwd",
	/* the network: TCP to the registry, UDP to a DNS server */
	"socket", "connect", "bind", "setsockopt", "getsockopt", "getsockname", "getpeername", "sendto", "recvfrom",
	"sendmsg", "recvmsg", "poll", "ppoll", "select", "pselect6",
};
const unsigned fetch_nsyscalls = sizeof fetch_syscalls / sizeof fetch_syscalls[0];
