/* PID 1 loads the kernel modules the config names and what they need, in parallel. The image's
 * modules.keel (format/moddeps.h, written by make-image from modinfo) says what each module needs;
 * a module is loaded, by finit_module(2) in a child of its own, once everything it needs is, as
 * many at a time as there are CPUs. The children's pidfds are sources of the loop: the boot waits
 * only for what the next step needs (modules_wait), the rest loads while services start. */
#include "modules.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../format/moddeps.h"
#include "../lib/clock.h"
#include "../lib/file.h"
#include "klog.h"
#include "loop.h"
#include "pid1.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

enum { M_IDLE, M_WAIT, M_RUN, M_OK, M_FAIL };

struct mod {
	char name[56];                  /* the kernel's spelling ('_') */
	uint64_t deps;                  /* bits of m[] */
	uint8_t net, st;
	pid_t pid;
	struct loop_source src;         /* the loading child's pidfd */
};

struct modload {
	struct mod m[MODDEPS_MAX];
	uint32_t n, running, slots, ok, total;
	char release[65];
	int64_t t0;
	bool settled;                   /* the last one finished and modules_settled said so */
};

#define MOD_OF(s) ((struct mod *)((char *)(s) - offsetof(struct mod, src)))

static bool done(const struct mod *x)
{
	return x->st == M_OK || x->st == M_FAIL || x->st == M_IDLE;
}

static void finished(struct pid1 *p, struct mod *x, int code);

static void on_child(struct pid1 *p, struct loop_source *s, uint32_t events)
{
	(void)events;
	struct mod *x = MOD_OF(s);
	siginfo_t si = {0};
	if (x->st != M_RUN || waitid(P_PIDFD, (id_t)s->fd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	finished(p, x, si.si_code == CLD_EXITED ? si.si_status : EINTR);
}

/* Start what can start: every waiting module whose dependencies loaded, while a CPU is free; one
 * whose dependency failed fails too. */
static void spawn(struct pid1 *p)
{
	struct modload *ml = p->mods;
	for (bool again = true; again;) {
		again = false;
		for (uint32_t i = 0; i < ml->n && ml->running < ml->slots; i++) {
			struct mod *x = &ml->m[i];
			if (x->st != M_WAIT)
				continue;
			uint64_t failed = 0, pending = 0;
			for (uint32_t j = 0; j < ml->n; j++)
				if (x->deps >> j & 1) {
					failed |= (uint64_t)(ml->m[j].st == M_FAIL) << j;
					pending |= (uint64_t)!done(&ml->m[j]) << j;
				}
			if (failed) {
				klog("modules: %s: not loaded: %s failed", x->name, ml->m[__builtin_ctzll(failed)].name);
				x->st = M_FAIL;
				again = true;
				continue;
			}
			if (pending)
				continue;
			char path[PATH_MAX], sys[80];
			snprintf(sys, sizeof sys, "/sys/module/%s", x->name);
			if (access(sys, F_OK) == 0) { /* loaded already, or built in */
				x->st = M_OK;
				ml->ok++;
				again = true;
				continue;
			}
			snprintf(path, sizeof path, "/lib/modules/%s/%s.ko", ml->release, x->name);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			pid_t pid = fd < 0 ? -1 : fork();
			if (pid == 0)
				_exit(syscall(SYS_finit_module, fd, "", 0) < 0 ? errno : 0);
			int err = errno;
			if (fd >= 0)
				close(fd);
			if (pid < 0) {
				klog("modules: %s: %s %s: %s", x->name, fd < 0 ? "open" : "fork", path, strerror(err));
				x->st = M_FAIL;
				again = true;
				continue;
			}
			x->st = M_RUN;
			x->pid = pid;
			ml->running++;
			x->src.ready = on_child;
			x->src.fd = (int)syscall(SYS_pidfd_open, pid, 0);
			struct err e;
			if (x->src.fd >= 0 && loop_add(p, &x->src, &e) < 0) /* SIGCHLD still tells */
				klog("modules: %s", e.msg);
		}
	}
	if (ml->running || ml->settled)
		return;
	for (uint32_t i = 0; i < ml->n; i++)
		if (!done(&ml->m[i]))
			return;
	char names[512];
	size_t used = 0;
	names[0] = '\0';
	for (uint32_t i = 0; i < ml->n && used < sizeof names - 5; i++) {
		if (ml->m[i].st != M_OK)
			continue;
		int w = snprintf(names + used, sizeof names - used, "%s%s", used ? " " : "", ml->m[i].name);
		if (w > 0 && (size_t)w < sizeof names - used)
			used += (size_t)w;
		else
			memcpy(names + used, " ...", 5), used = sizeof names; /* the list is cut, not the count */
	}
	klog("modules: loaded %u of %u in %lld ms, %u at a time (%s)", ml->ok, ml->total, (long long)(boot_ms() - ml->t0),
	     ml->slots, names);
	ml->settled = true;
}

static void finished(struct pid1 *p, struct mod *x, int code)
{
	struct modload *ml = p->mods;
	if (x->src.fd >= 0) {
		loop_del(p, &x->src);
		close(x->src.fd);
		x->src.fd = -1;
	}
	ml->running--;
	if (code == 0 || code == EEXIST) { /* EEXIST: already loaded (or built in), what we want */
		x->st = M_OK;
		ml->ok++;
	} else {
		/* ENOENT: unknown symbols, a dependency modules.keel does not list (or not loaded) */
		klog("modules: %s: finit_module: %s", x->name, strerror(code));
		x->st = M_FAIL;
	}
	spawn(p);
}

bool modules_child_exited(struct pid1 *p, pid_t pid)
{
	struct modload *ml = p->mods;
	for (uint32_t i = 0; ml && i < ml->n; i++) {
		struct mod *x = &ml->m[i];
		int st;
		if (x->st == M_RUN && x->pid == pid) {
			if (waitpid(pid, &st, WNOHANG) != pid)
				return false;
			finished(p, x, WIFEXITED(st) ? WEXITSTATUS(st) : EINTR);
			return true;
		}
	}
	return false;
}

/* Add `name` (and, by the table, what it needs) to the load; returns its index or -1. */
static int want(struct modload *ml, const struct moddeps *t, int rec, const char *name, int prev)
{
	char canon[56];
	size_t n = strlen(name);
	if (n >= sizeof canon)
		return -1;
	for (size_t i = 0; i <= n; i++)
		canon[i] = name[i] == '-' ? '_' : name[i];
	for (uint32_t i = 0; i < ml->n; i++)
		if (!strcmp(ml->m[i].name, canon)) {
			if (ml->m[i].st == M_IDLE)
				ml->m[i].st = M_WAIT, ml->total++;
			if (rec >= 0) /* its dependencies, which come before it in the table */
				for (uint32_t j = 0; j < (uint32_t)rec; j++)
					if (t->rec[rec].deps >> j & 1)
						want(ml, t, (int)j, t->rec[j].name, -1);
			return (int)i;
		}
	if (ml->n == MODDEPS_MAX)
		return -1;
	struct mod *x = &ml->m[ml->n];
	memcpy(x->name, canon, n + 1);
	x->st = M_WAIT;
	x->src.fd = -1;
	/* Not in the table (or no table): after the config's module before it, as the config orders. */
	x->deps = prev >= 0 ? 1ull << prev : 0;
	ml->total++;
	return (int)ml->n++;
}

void modules_start(struct pid1 *p)
{
	const struct cfg *c = &p->cfg;
	struct cfg_range mods = c->system->modules;
	if (p->mods)
		modules_wait(p, true); /* a selected config's modules, after the factory one's */
	free(p->mods);
	p->mods = NULL;
	struct utsname u;
	struct modload *ml = mods.count ? calloc(1, sizeof *ml) : NULL;
	if (!ml || uname(&u) < 0) {
		if (ml)
			klog("modules: uname: %s", strerror(errno));
		free(ml);
		return;
	}
	p->mods = ml;
	ml->t0 = boot_ms();
	snprintf(ml->release, sizeof ml->release, "%s", u.release);
	cpu_set_t cpus;
	ml->slots = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? (uint32_t)CPU_COUNT(&cpus) : 1;
	if (ml->slots < 1)
		ml->slots = 1;
	/* The table, its records first (idle until wanted), in its order. */
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	struct moddeps t = {0};
	struct err e;
	snprintf(path, sizeof path, "/lib/modules/%s/modules.keel", u.release);
	if (file_read_all(path, 16 + 64 * MODDEPS_MAX, &buf, &len, &e) == 0 && moddeps_parse(buf, len, &t, &e) < 0)
		klog("%s: %s; modules load in the config's order", path, e.msg);
	for (uint32_t i = 0; i < t.n; i++) {
		struct mod *x = &ml->m[ml->n++];
		memcpy(x->name, t.rec[i].name, sizeof t.rec[i].name);
		x->deps = t.rec[i].deps;
		x->net = t.rec[i].flags & MODDEP_NET;
		x->src.fd = -1;
	}
	int prev = -1;
	for (uint32_t i = 0; i < mods.count; i++) {
		const char *name = cfg_strlist(c, mods, i);
		int k = want(ml, &t, moddeps_find(&t, name), name, t.n ? -1 : prev);
		if (k < 0)
			klog("modules: %s: more than %d modules", name, MODDEPS_MAX);
		prev = k;
	}
	free(buf);
	spawn(p);
}

bool modules_loaded(const struct pid1 *p, bool net)
{
	const struct modload *ml = p->mods;
	for (uint32_t i = 0; ml && i < ml->n; i++)
		if (!done(&ml->m[i]) && (net || !ml->m[i].net))
			return false;
	return true;
}

void modules_wait(struct pid1 *p, bool net)
{
	struct modload *ml = p->mods;
	while (ml && !modules_loaded(p, net) && ml->running) {
		struct pollfd fds[MODDEPS_MAX];
		struct mod *of[MODDEPS_MAX];
		nfds_t n = 0;
		for (uint32_t i = 0; i < ml->n; i++)
			if (ml->m[i].st == M_RUN && ml->m[i].src.fd >= 0) {
				fds[n] = (struct pollfd){.fd = ml->m[i].src.fd, .events = POLLIN};
				of[n++] = &ml->m[i];
			}
		if (n == 0) { /* no pidfds (a kernel before 5.3): wait for one of ours by pid */
			for (uint32_t i = 0; i < ml->n; i++) {
				int st;
				if (ml->m[i].st == M_RUN && waitpid(ml->m[i].pid, &st, 0) == ml->m[i].pid) {
					finished(p, &ml->m[i], WIFEXITED(st) ? WEXITSTATUS(st) : EINTR);
					break;
				}
			}
			continue;
		}
		if (poll(fds, n, -1) < 0)
			continue; /* EINTR; anything else cannot happen with valid fds */
		for (nfds_t i = 0; i < n; i++)
			if (fds[i].revents)
				on_child(p, &of[i]->src, 0);
	}
}

bool modules_settled(struct pid1 *p)
{
	struct modload *ml = p->mods;
	if (!ml || !ml->settled)
		return false;
	free(ml);
	p->mods = NULL;
	return true;
}
