/* keel-logd: the log writer PID 1 starts when the config asks for persistent logs or syslog. It
 * reads PID 1's records from stdin (a bounded pipe PID 1 never waits on), writes them in batches to
 * files under /data/keel/log (logd_store.c) and sends them to a syslog collector (logd_syslog.c):
 * the slow work PID 1 must never do. It isolates itself first (sandbox.c): its own tmpfs root with
 * only the log directory (and a TLS CA) in it, uid and gid LOGD_ID, no capabilities, a seccomp
 * allowlist. Its warnings and counters go to stdout, which PID 1 reads. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/err.h"
#include "../lib/file.h"
#include "../lib/paths.h"
#include "logd_record.h"
#include "logd_store.h"
#include "logd_syslog.h"
#include "sandbox.h"

#define LOGD_ID 65501         /* keel-logd's uid and gid: owns /data/keel/log, nothing else */
#define IN_BUF (64u << 10)
#define STATS_MS 10000        /* a "stats" line at least this often while anything changes */
#define EOF_DRAIN_MS 1000     /* at the end, what the collector may still take in */

static volatile sig_atomic_t stop_asked;

static void on_term(int sig)
{
	(void)sig;
	stop_asked = 1;
}

struct logd {
	struct store_opts so;
	uint32_t flush_ms;
	struct store *store;
	int persist;            /* the config asks for files (they may have failed since) */
	int ram_only;           /* they failed: said once */
	struct slog slog;
	int syslog;
	char *in;
	size_t have;
	int64_t flush_at, stats_at;
	uint64_t last_stats[3];
};

static const char usage_text[] =
#include "build/gen/usage/keel-logd.inc"
	;

static void usage(void)
{
	fputs(usage_text, stderr);
}

/* The files failed: one line, then RAM only (PID 1's rings keep every service's newest lines). */
static void degrade(struct logd *d, const struct err *e)
{
	if (!d->ram_only)
		dprintf(1, "persistent logs off: %s; logs stay in RAM (keel ctl logs) until the next boot\n", e->msg);
	d->ram_only = 1;
	store_close(d->store);
	d->store = NULL;
}

static void stats(struct logd *d, int force)
{
	uint64_t v[3] = {d->store ? store_written(d->store) : d->last_stats[0], d->syslog ? d->slog.sent : 0,
			 d->syslog ? d->slog.dropped : 0};
	if (!force && !memcmp(v, d->last_stats, sizeof v))
		return;
	memcpy(d->last_stats, v, sizeof v);
	dprintf(1, "stats %llu %llu %llu %d\n", (unsigned long long)v[0], (unsigned long long)v[1],
		(unsigned long long)v[2], d->ram_only);
}

static void flush(struct logd *d)
{
	struct err e;
	err_clear(&e);
	if (d->store && store_flush(d->store, &e) < 0)
		degrade(d, &e);
}

static void records(struct logd *d)
{
	char *p = d->in, *end = d->in + d->have;
	for (char *nl; (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
		struct logd_rec r;
		if (logd_record_parse(p, (size_t)(nl - p), &r) < 0)
			continue; /* PID 1 writes none: nothing to do with it */
		struct err e;
		err_clear(&e);
		if (d->store && store_put(d->store, &r, &e) < 0)
			degrade(d, &e);
		if (d->syslog)
			slog_put(&d->slog, &r);
	}
	d->have = (size_t)(end - p);
	memmove(d->in, p, d->have);
	if (d->have == IN_BUF)
		d->have = 0; /* no newline in 64 KiB: not PID 1's record */
}

/* As root, before the sandbox: the directory is keel-logd's. */
static int prepare_dir(struct logd *d, struct err *e)
{
	if (mkdir_p(d->so.dir, 0750, e) < 0)
		return -1;
	if (chown(d->so.dir, LOGD_ID, LOGD_ID) < 0 || chmod(d->so.dir, 0750) < 0)
		return err_sys(e, errno, "%s", d->so.dir);
	/* Files an earlier keel-logd (or another uid) left belong to it now. */
	return 0;
}

/* Everything keel-logd calls, on the architecture it was built for (musl's wrappers included). */
static const long allowed[] = {
	SYS_read, SYS_write, SYS_writev, SYS_close, SYS_openat, SYS_lseek, SYS_fsync, SYS_fdatasync,
	SYS_renameat, SYS_unlinkat, SYS_mkdirat, SYS_getdents64, SYS_ppoll, SYS_clock_gettime,
	SYS_socket, SYS_connect, SYS_sendto, SYS_recvfrom, SYS_getsockopt, SYS_fcntl, SYS_exit_group, SYS_exit,
	SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_rt_sigaction, SYS_brk, SYS_mmap, SYS_munmap, SYS_mremap,
	SYS_madvise, SYS_getpid, SYS_uname, SYS_getrandom, SYS_restart_syscall, SYS_dup, SYS_newfstatat, SYS_fstat,
	SYS_clock_nanosleep, SYS_nanosleep, SYS_sendmsg, SYS_recvmsg, SYS_syncfs,
#ifdef SYS_poll
	SYS_poll,
#endif
#ifdef SYS_open
	SYS_open, SYS_rename, SYS_unlink, SYS_mkdir, SYS_rmdir, SYS_stat, SYS_lstat,
#endif
#ifdef SYS_renameat2
	SYS_renameat2,
#endif
#ifdef SYS_statx
	SYS_statx,
#endif
};

static int opt_u64(const char *v, uint64_t lo, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || *end || !*v || x < lo)
		return -1;
	*out = x;
	return 0;
}

static int parse_args(struct logd *d, int argc, char **argv, const char **target)
{
	uint64_t flush = 5000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return -1;
		if (!strcmp(a, "--dir"))
			d->so.dir = v;
		else if (!strcmp(a, "--service-max") && !opt_u64(v, 4096, &d->so.service_max))
			;
		else if (!strcmp(a, "--total-max") && !opt_u64(v, 4096, &d->so.total_max))
			;
		else if (!strcmp(a, "--flush-ms") && !opt_u64(v, 100, &flush))
			;
		else if (!strcmp(a, "--syslog"))
			*target = v;
		else if (!strcmp(a, "--ca"))
			d->slog.ca = v;
		else if (!strcmp(a, "--server-name"))
			d->slog.server_name = v;
		else
			return -1;
		i++;
	}
	d->flush_ms = flush > 3600000 ? 3600000 : (uint32_t)flush;
	return 0;
}

int main(int argc, char **argv)
{
	static struct logd d;
	const char *target = NULL;
	d.so.service_max = 1u << 20;
	d.so.total_max = 16u << 20;
	if (argc < 2 || parse_args(&d, argc, argv, &target) < 0 || (!d.so.dir && !target)) {
		usage();
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_term}, ign = {.sa_handler = SIG_IGN};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &ign, NULL);
	d.in = malloc(IN_BUF);
	if (!d.in)
		return 1;
	struct err e;
	err_clear(&e);
	char boot_id[64] = "";
	d.persist = d.so.dir != NULL;
	if (d.persist) {
		ssize_t n = file_read_small(AT_FDCWD, "/proc/sys/kernel/random/boot_id", 0, boot_id, sizeof boot_id);
		boot_id[n > 0 ? strcspn(boot_id, "\n") : 0] = '\0';
		if (prepare_dir(&d, &e) < 0) {
			degrade(&d, &e);
			d.persist = 0;
		}
	}
	struct sandbox_bind binds[2];
	int nb = 0;
	if (d.persist)
		binds[nb++] = (struct sandbox_bind){d.so.dir, "/log", 1, 0};
	if (target && d.slog.ca)
		binds[nb++] = (struct sandbox_bind){d.slog.ca, "/ca.pem", 0, 1};
	if (sandbox_enter(KEEL_LOGD_ROOT, binds, nb, LOGD_ID, LOGD_ID, &e) < 0) {
		dprintf(1, "%s\n", e.msg);
		return 1;
	}
	const char *dir = d.so.dir;
	d.so.dir = "/log";
	if (d.persist && !(d.store = store_open(&d.so, boot_id, &e)))
		degrade(&d, &e);
	if (d.store)
		dprintf(1, "writing %s/%u (each service up to %llu bytes, all boots %llu, synced every %u ms)\n", dir,
			store_boot(d.store), (unsigned long long)d.so.service_max, (unsigned long long)d.so.total_max,
			d.flush_ms);
	if (target) {
		if (d.slog.ca)
			d.slog.ca = "/ca.pem";
		if (slog_init(&d.slog, target, &e) < 0) {
			dprintf(1, "syslog off: %s\n", e.msg);
		} else {
			d.syslog = 1;
			dprintf(1, "syslog to %s\n", target);
		}
	}
	if (sandbox_seccomp(allowed, (int)(sizeof allowed / sizeof allowed[0]), &e) < 0) {
		dprintf(1, "%s\n", e.msg);
		return 1;
	}
	int64_t now = boot_ms();
	d.flush_at = now + d.flush_ms;
	d.stats_at = now + STATS_MS;
	int eof = 0;
	int64_t end_by = 0;
	for (;;) {
		now = boot_ms();
		if (stop_asked && !eof) { /* SIGTERM: what is in the pipe now, then as at EOF */
			fcntl(0, F_SETFL, O_NONBLOCK);
			ssize_t r;
			while (d.have < IN_BUF && (r = read(0, d.in + d.have, IN_BUF - d.have)) > 0) {
				d.have += (size_t)r;
				records(&d);
			}
			eof = 1;
		}
		if (eof && !end_by) {
			flush(&d);
			stats(&d, 1);
			end_by = now + EOF_DRAIN_MS;
		}
		if (eof && (!d.syslog || !d.slog.used || now >= end_by))
			return 0;
		struct pollfd pf[2] = {{.fd = eof ? -1 : 0, .events = POLLIN}, {.fd = -1}};
		int timeout = (int)(d.flush_at - now);
		if (timeout < 0)
			timeout = 0;
		if (eof)
			timeout = (int)(end_by - now);
		if (d.syslog)
			slog_poll(&d.slog, &pf[1], now, &timeout);
		int n = poll(pf, 2, timeout);
		if (n < 0 && errno != EINTR)
			return 1;
		now = boot_ms();
		if (n > 0 && (pf[0].revents & (POLLIN | POLLHUP))) {
			ssize_t r = read(0, d.in + d.have, IN_BUF - d.have);
			if (r > 0) {
				d.have += (size_t)r;
				records(&d);
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				eof = 1; /* PID 1 closed the pipe: the shutdown */
			}
		}
		if (d.syslog)
			slog_io(&d.slog, n > 0 ? pf[1].revents : 0, now);
		if (now >= d.flush_at) {
			flush(&d);
			stats(&d, 0);
			d.flush_at = now + d.flush_ms;
		}
		if (now >= d.stats_at) {
			stats(&d, 0);
			d.stats_at = now + STATS_MS;
		}
	}
}
