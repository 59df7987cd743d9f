/* PID 1 watches each running service's cgroup counters (memory.events oom_kill, pids.events max,
 * cgroup.events populated) through one inotify descriptor per start in its epoll loop: the kernel
 * marks those files modified when a counter moves, so nothing is polled. */
#include "cgevents.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "../lib/file.h"
#include "supervisor.h"
#include "loop.h"
#include "svclog.h"

#define SVC_OF_CG(ptr) ((struct svc *)((char *)(ptr) - offsetof(struct svc, cg_src)))

/* The value after "key " in a cgroup key-value file of the service's cgroup; -1 if absent. */
static int64_t cg_value(const struct svc *s, const char *file, const char *key)
{
	char buf[512];
	if (file_read_small(s->l.cg.fd, file, 0, buf, sizeof buf) <= 0)
		return -1;
	size_t kl = strlen(key);
	for (char *l = buf; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == ' ')
			return strtoll(l + kl + 1, NULL, 10);
	return -1;
}

void cgevents_read(struct pid1 *p, struct svc *s)
{
	if (!s->up || s->l.cg.fd < 0)
		return;
	int64_t oom = cg_value(s, "memory.events", "oom_kill");
	if (oom > (int64_t)s->oom_seen) {
		s->oom_kills += (uint64_t)oom - s->oom_seen;
		s->oom_seen = (uint64_t)oom;
		svc_note(p, s, "oom-killed (%" PRIu64 "): the kernel killed a process at memory.max", s->oom_kills);
	}
	int64_t pids = cg_value(s, "pids.events", "max");
	if (pids > (int64_t)s->pids_seen) {
		/* Logged once per start: a fork bomb moves this counter a hundred times a second. */
		if (s->pids_seen == 0)
			svc_note(p, s, "pids-limited (%" PRIu64 "): a fork failed at pids.max",
				 s->pids_limited + (uint64_t)pids);
		s->pids_limited += (uint64_t)pids - s->pids_seen;
		s->pids_seen = (uint64_t)pids;
	}
	s->cg_populated = cg_value(s, "cgroup.events", "populated") != 0;
}

static void on_cg_event(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)events;
	struct svc *s = SVC_OF_CG(src);
	char buf[1024];
	while (read(src->fd, buf, sizeof buf) > 0)
		; /* which file does not matter: the counters are read again */
	cgevents_read(p, s);
}

void cgevents_start(struct pid1 *p, struct svc *s)
{
	static const char *const files[] = {"memory.events", "pids.events", "cgroup.events"};
	s->oom_seen = s->pids_seen = 0;
	s->cg_populated = true;
	s->cg_src.ready = on_cg_event;
	s->cg_src.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->cg_src.fd < 0) {
		svc_note(p, s, "inotify_init1: %s (limit events not watched)", strerror(errno));
		return;
	}
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof path, "%s/%s", s->l.cg.path, files[i]);
		/* memory.events and pids.events exist only with their controller enabled. */
		if (inotify_add_watch(s->cg_src.fd, path, IN_MODIFY) < 0 && errno != ENOENT)
			svc_note(p, s, "inotify %s: %s", path, strerror(errno));
	}
	struct err e;
	err_clear(&e);
	if (loop_add(p, &s->cg_src, &e) < 0) {
		svc_note(p, s, "%s (limit events not watched)", e.msg);
		close(s->cg_src.fd);
		s->cg_src.fd = -1;
	}
}

void cgevents_stop(struct pid1 *p, struct svc *s)
{
	cgevents_read(p, s); /* a kill that ended the service counts before its cgroup goes */
	if (s->cg_src.fd >= 0) {
		loop_del(p, &s->cg_src);
		close(s->cg_src.fd);
		s->cg_src.fd = -1;
	}
}
