/* Name tables for capabilities, signals, rlimits and errno values, with Linux's numbers (the same on
 * x86_64 and arm64), so the text form does not depend on the build host's headers. */
#include "text.h"

#include <stdlib.h>
#include <strings.h>

static const char *const caps[CFG_CAP_LAST + 1] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
	"LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
	"SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
	"MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
	"CHECKPOINT_RESTORE",
};

static const char *const signals[32] = {
	NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
	"SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
	"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
	"SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
};

static const char *const rlimits[16] = {
	"cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile", "memlock", "as", "locks", "sigpending",
	"msgqueue", "nice", "rtprio", "rttime",
};

static const char *const errnos[41] = {
	NULL, "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
	"EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR",
	"EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
	"EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP",
};

static int lookup(const char *const *tab, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (tab[i] && !strcasecmp(tab[i], name))
			return (int)i;
	return -1;
}

/* A plain decimal number in [lo, hi], or -1. */
static int number(const char *s, int lo, int hi)
{
	if (*s < '0' || *s > '9')
		return -1;
	char *end;
	long v = strtol(s, &end, 10);
	return *end || v < lo || v > hi ? -1 : (int)v;
}

int cfg_cap_number(const char *name)
{
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	return lookup(caps, CFG_CAP_LAST + 1, name);
}

const char *cfg_cap_name(unsigned n)
{
	return n <= CFG_CAP_LAST ? caps[n] : NULL;
}

int cfg_signal_number(const char *name)
{
	int n = number(name, 1, 64);
	if (n > 0)
		return n;
	n = lookup(signals, 32, name);
	if (n < 0 && strncasecmp(name, "SIG", 3)) {
		for (unsigned i = 1; i < 32; i++)
			if (!strcasecmp(signals[i] + 3, name))
				return (int)i;
	}
	return n;
}

const char *cfg_signal_name(unsigned n)
{
	return n < 32 ? signals[n] : NULL;
}

int cfg_rlimit_number(const char *name)
{
	if (!strncasecmp(name, "RLIMIT_", 7))
		name += 7;
	return lookup(rlimits, 16, name);
}

const char *cfg_rlimit_name(unsigned n)
{
	return n < 16 ? rlimits[n] : NULL;
}

int cfg_errno_number(const char *name)
{
	int n = number(name, 1, 4095);
	return n > 0 ? n : lookup(errnos, 41, name);
}

const char *cfg_errno_name(unsigned n)
{
	return n < 41 ? errnos[n] : NULL;
}
