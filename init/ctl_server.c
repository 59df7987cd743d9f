/* PID 1's control socket /run/keel/ctl: one request line per connection from root (SO_PEERCRED),
 * answered from the loop without blocking; the protocol is in docs/keel-ctl.1.md. */
#include "ctl_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/file.h"
#include "supervisor.h"
#include "../lib/clock.h"
#include "klog.h"
#include "logd.h"
#include "logsink.h"
#include "loop.h"

#define CTL_CONNS 8 /* at once; more are told "busy" */

struct ctl_conn {
	struct loop_source src;         /* fd -1: free slot */
	char in[256];
	size_t inlen;
	bool answered;                  /* the request was read and handled */
	char *out;                      /* the response, malloc'd per request */
	size_t outlen, outoff, outcap;
	struct svc *log;                /* streaming this service's log ring */
	uint64_t cursor;                /* next ring byte to send (in ring->total terms) */
	bool follow;                    /* keep streaming as the service writes */
	bool polling_out;               /* EPOLLOUT armed */
	uint8_t reload;                 /* waiting for a reload: 1 queued, 2 taken (reload.c answers) */
};

#define CONN_OF(ptr) ((struct ctl_conn *)((char *)(ptr) - offsetof(struct ctl_conn, src)))

static void conn_close(struct ctl_conn *c)
{
	if (c->src.fd >= 0)
		close(c->src.fd); /* also leaves the epoll set */
	free(c->out);
	*c = (struct ctl_conn){.src = {.fd = -1}};
}

static void conn_events(struct pid1 *p, struct ctl_conn *c, bool out)
{
	if (c->polling_out == out)
		return;
	if (loop_set(p, &c->src, EPOLLIN | (out ? EPOLLOUT : 0)) == 0)
		c->polling_out = out;
}

/* One send: the bytes sent (> 0); 0 when the socket is full (then wait for EPOLLOUT); -1 when
 * the peer went away (the connection is closed). */
static ssize_t conn_send(struct pid1 *p, struct ctl_conn *c, const void *buf, size_t len)
{
	for (;;) {
		ssize_t w = send(c->src.fd, buf, len, MSG_NOSIGNAL);
		if (w > 0)
			return w;
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			conn_events(p, c, true);
			return 0;
		}
		conn_close(c);
		return -1;
	}
}

/* Send what can go now: the response, then the log ring from the cursor. Returns -1 when the
 * connection was closed (done, or the peer went away). */
static int conn_flush(struct pid1 *p, struct ctl_conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t w = conn_send(p, c, c->out + c->outoff, c->outlen - c->outoff);
		if (w <= 0)
			return (int)w;
		c->outoff += (size_t)w;
	}
	if (c->log) {
		struct svc_ring *r = &c->log->log;
		while (c->cursor < r->total) {
			if (r->total - c->cursor > r->size)
				c->cursor = r->total - r->size; /* overtaken: what was lost is lost */
			size_t at = (size_t)(c->cursor % r->size);
			size_t k = (size_t)(r->total - c->cursor);
			if (k > r->size - at)
				k = r->size - at;
			ssize_t w = conn_send(p, c, r->buf + at, k);
			if (w <= 0)
				return (int)w;
			c->cursor += (uint64_t)w;
		}
	}
	conn_events(p, c, false);
	if (!c->follow) {
		conn_close(c);
		return -1;
	}
	return 0;
}

static void ctl_log_appended(struct pid1 *p, struct svc *s)
{
	if (!p->conns)
		return;
	for (int i = 0; i < CTL_CONNS; i++) {
		struct ctl_conn *c = &p->conns[i];
		if (c->src.fd >= 0 && c->log == s && c->follow && !c->polling_out)
			conn_flush(p, c);
	}
}

static void ctl_svc_moved(struct pid1 *p, const struct svc *from, struct svc *to)
{
	for (int i = 0; p->conns && i < CTL_CONNS; i++) {
		struct ctl_conn *c = &p->conns[i];
		if (c->src.fd < 0 || c->log != from)
			continue;
		if (to)
			c->log = to;
		else
			conn_close(c); /* the followed service went away: its stream ends */
	}
}

static bool ctl_reload_take(struct pid1 *p)
{
	bool any = false;
	for (int i = 0; p->conns && i < CTL_CONNS; i++) {
		struct ctl_conn *c = &p->conns[i];
		if (c->src.fd >= 0 && c->reload == 1) {
			c->reload = 2;
			any = true;
		}
	}
	return any;
}

static void ctl_reload_answer(struct pid1 *p, const char *text)
{
	for (int i = 0; p->conns && i < CTL_CONNS; i++) {
		struct ctl_conn *c = &p->conns[i];
		if (c->src.fd < 0 || c->reload != 2)
			continue;
		c->reload = 0;
		free(c->out);
		c->outlen = strlen(text);
		c->outoff = 0;
		c->out = malloc(c->outlen + 1);
		if (!c->out) {
			conn_close(c);
			continue;
		}
		memcpy(c->out, text, c->outlen + 1);
		conn_flush(p, c);
	}
}

/* Append to the response; the buffer was sized for the request, a cut is the worst case. */
static void out_add(struct ctl_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_add(struct ctl_conn *c, const char *fmt, ...)
{
	if (!c->out || c->outlen + 1 >= c->outcap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(c->out + c->outlen, c->outcap - c->outlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->outlen += (size_t)n < c->outcap - c->outlen ? (size_t)n : c->outcap - c->outlen - 1;
}

static void status(struct pid1 *p, struct ctl_conn *c, bool json)
{
	static const char *const health[] = {"none", "starting", "healthy", "unhealthy"};
	int64_t now = boot_ms();
	supervisor_check_layers(p);
	if (json)
		out_add(c, "OK\n[");
	else
		out_add(c, "OK\n%-16s %-20s %7s %8s %8s  %s\n", "SERVICE", "STATE", "PID", "UPTIME", "RESTARTS",
			"LAST-EXIT");
	for (uint32_t i = 0; i < p->nsvcs; i++) {
		struct svc *s = &p->svcs[i];
		char last[48], state[80], pid[16], up[24];
		svc_last_text(s, last, sizeof last);
		/* The state, then why it failed (start limit, an exit in restart_prevent_exit) or what
		 * its health check says: "failed (exit 2)", "ready (unhealthy)". */
		const char *why = s->state == SVC_FAILED && s->last == LAST_START_LIMIT ? "start-limit"
				  : s->state == SVC_FAILED && s->prevented			 ? last
				  : !json && s->health && s->up && s->state != SVC_STOPPING ? health[s->health & 3]
												 : NULL;
		snprintf(state, sizeof state, "%s%s%s%s", svc_state_name(s), why ? " (" : "", why ? why : "", why ? ")" : "");
		long long upt = s->up ? (long long)((now - s->started_ms) / 1000) : -1;
		if (json) {
			out_add(c, "%s{\"service\":\"%s\",\"state\":\"%s\",\"pid\":%d,\"uptime_s\":%lld,"
				   "\"restarts\":%u,\"last_exit\":\"%s\",\"health\":\"%s\"}",
				i ? "," : "", s->name, state, s->up ? (int)s->l.ct.pid : 0, upt < 0 ? 0 : upt,
				s->restarts, last, health[s->health & 3]);
			continue;
		}
		snprintf(pid, sizeof pid, "%d", (int)s->l.ct.pid);
		snprintf(up, sizeof up, "%llds", upt);
		out_add(c, "%-16s %-20s %7s %8s %8u  %s\n", s->name, state, s->up ? pid : "-", s->up ? up : "-",
			s->restarts, last);
	}
	if (json)
		out_add(c, "]\n");
}

/* The boot chart's records as lines (the client draws them; the format is in keel-ctl(1)):
 * "now MS", "phase NAME MS" for each phase reached, in boot order, then per service
 * "svc NAME STATE LAUNCH STARTED READY STARTS" with "-" for a moment that has not come. */
static void bootchart(struct pid1 *p, struct ctl_conn *c)
{
	static const char *const phases[] = {"pid1", "root", "mounts", "config", "modules",
					     "data", "networks", "services", "done"};
	_Static_assert(sizeof phases / sizeof phases[0] == PHASE_COUNT, "a name for every enum pid1_phase");
	out_add(c, "OK\nnow %lld\n", (long long)boot_ms());
	for (int i = 0; i < PHASE_COUNT; i++)
		if (p->phase_ms[i] > 0)
			out_add(c, "phase %s %lld\n", phases[i], (long long)p->phase_ms[i]);
	for (uint32_t i = 0; i < p->nsvcs; i++) {
		const struct svc *s = &p->svcs[i];
		char t[3][24];
		const int64_t ms[3] = {s->bc_launch_ms, s->bc_started_ms, s->bc_ready_ms};
		for (int k = 0; k < 3; k++)
			snprintf(t[k], sizeof t[k], ms[k] < 0 ? "-" : "%lld", (long long)ms[k]);
		out_add(c, "svc %s %s %s %s %s %u\n", s->name, svc_state_name(s), t[0], t[1], t[2], s->bc_starts);
	}
}

/* `keel ctl metrics`: PID 1's raw values, one record a line (keel-cmd reads the services' cgroup
 * files itself and writes the Prometheus text: cmd/metrics.c):
 * "now MS", "rss BYTES", "phase NAME MS", "sink NAME LINES DROPPED", "logd WRITTEN SENT DROPPED
 * RAMONLY RESTARTS", "svc NAME STATE RESTARTS LAST HEALTH UP_MS OOM_KILLS" (LAST: the last exit
 * status as a shell gives it, -1 none; HEALTH: - starting healthy unhealthy). */
static void metrics(struct pid1 *p, struct ctl_conn *c)
{
	static const char *const phases[] = {"pid1", "root", "mounts", "config", "modules",
					     "data", "networks", "services", "done"};
	static const char *const health[] = {"-", "starting", "healthy", "unhealthy"};
	char statm[64];
	long pages = file_read_small(AT_FDCWD, "/proc/self/statm", 0, statm, sizeof statm) > 0 ? atol(strchr(statm, ' ') ? strchr(statm, ' ') + 1 : "0") : 0;
	out_add(c, "OK\nnow %lld\nrss %lld\n", (long long)boot_ms(), (long long)pages * sysconf(_SC_PAGESIZE));
	for (int i = 0; i < PHASE_COUNT; i++)
		if (p->phase_ms[i] > 0)
			out_add(c, "phase %s %lld\n", phases[i], (long long)p->phase_ms[i]);
	struct sink *sinks[2] = {p->console, p->logd};
	for (int i = 0; i < 2; i++)
		if (sinks[i])
			out_add(c, "sink %s %llu %llu\n", sinks[i]->name, (unsigned long long)sinks[i]->lines,
				(unsigned long long)sinks[i]->dropped);
	struct logd_stats ls;
	if (logd_stats(p, &ls) == 0)
		out_add(c, "logd %llu %llu %llu %d %u\n", (unsigned long long)ls.written, (unsigned long long)ls.syslog_sent,
			(unsigned long long)ls.syslog_dropped, ls.ram_only, ls.restarts);
	int64_t now = boot_ms();
	for (uint32_t i = 0; i < p->nsvcs; i++) {
		const struct svc *s = &p->svcs[i];
		int last = s->last == LAST_NONE || s->last == LAST_START_LIMIT || s->last == LAST_START_FAILED ? -1
													     : s->last_status;
		out_add(c, "svc %s %s %u %d %s %lld %llu\n", s->name, svc_state_name(s), s->restarts, last,
			health[s->health & 3], s->up ? (long long)(now - s->started_ms) : 0LL,
			(unsigned long long)s->oom_kills);
	}
}

/* The ring's oldest whole line: after the first newline once the ring has wrapped. */
static uint64_t log_start(const struct svc_ring *r)
{
	if (r->total <= r->size)
		return 0;
	uint64_t at = r->total - r->size;
	for (uint64_t i = at; i < r->total; i++)
		if (r->buf[i % r->size] == '\n')
			return i + 1;
	return at;
}

static bool debug_allowed(void)
{
	char buf[1024];
	if (file_read_small(AT_FDCWD, "/proc/cmdline", 0, buf, sizeof buf) <= 0)
		return false;
	return strstr(buf, "keel.debug=wedge") != NULL;
}

static void handle(struct pid1 *p, struct ctl_conn *c)
{
	char *words[4] = {0};
	int n = 0;
	for (char *save = NULL, *w = strtok_r(c->in, " \t", &save); w && n < 4; w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	c->outcap = 1024 + (size_t)p->nsvcs * 160;
	c->out = malloc(c->outcap);
	if (!c->out) {
		conn_close(c);
		return;
	}
	c->outlen = c->outoff = 0;
	const char *verb = n ? words[0] : "";
	struct err e;
	err_clear(&e);
	if (!strcmp(verb, "status") && (n == 1 || (n == 2 && !strcmp(words[1], "json")))) {
		status(p, c, n == 2);
	} else if (!strcmp(verb, "bootchart") && n == 1) {
		bootchart(p, c);
	} else if (!strcmp(verb, "metrics") && n == 1) {
		metrics(p, c);
	} else if ((!strcmp(verb, "start") || !strcmp(verb, "stop") || !strcmp(verb, "restart")) && n == 2) {
		struct svc *s = supervisor_find(p, words[1]);
		if (!s)
			out_add(c, "ERR no service '%s'\n", words[1]);
		else if (supervisor_ctl(p, s, verb, &e) < 0)
			out_add(c, "ERR %s: %s\n", words[1], e.msg);
		else
			out_add(c, "OK\n");
		if (s)
			klog("ctl: %s %s", verb, words[1]);
	} else if (!strcmp(verb, "logs") && (n == 2 || (n == 3 && !strcmp(words[2], "follow")))) {
		struct svc *s = supervisor_find(p, words[1]);
		if (!s || !s->log.buf) {
			out_add(c, "ERR no service '%s'\n", words[1]);
		} else {
			out_add(c, "OK\n");
			c->log = s;
			c->cursor = log_start(&s->log);
			c->follow = n == 3;
		}
	} else if ((!strcmp(verb, "poweroff") || !strcmp(verb, "reboot") || !strcmp(verb, "halt")) && n == 1) {
		if (!p->stopping) {
			p->stopping = verb[0] == 'p' ? STOP_POWEROFF : verb[0] == 'r' ? STOP_REBOOT : STOP_HALT;
			klog("ctl: %s", verb);
		}
		out_add(c, "OK\n");
	} else if (!strcmp(verb, "reload") && n == 1 && !p->stopping && p->cfg_ok) {
		/* Answered by reload.c from the loop once it is done (or refused). */
		klog("ctl: reload");
		c->reload = 1;
		c->answered = true;
		return;
	} else if (!strcmp(verb, "reload") && n == 1) {
		out_add(c, "ERR reload refused: %s\n", p->stopping ? "shutting down" : "no config running (rescue shell)");
	} else if (!strcmp(verb, "debug-wedge") && n == 1 && debug_allowed()) {
		/* Test images only (keel.debug=wedge on the kernel command line): stop serving the loop,
		 * so the watchdog test sees the machine reset. */
		klog("ctl: debug-wedge: PID 1 stops serving its loop");
		for (;;)
			pause();
	} else {
		out_add(c, "ERR unknown request '%.64s' (see keel-ctl(1))\n", c->in);
	}
	c->answered = true;
	conn_flush(p, c);
}

static void on_conn(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	struct ctl_conn *c = CONN_OF(src);
	if ((events & EPOLLOUT) && conn_flush(p, c) < 0)
		return;
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	if (c->answered) {
		/* A follower says nothing more: readable means it went away. */
		char b[64];
		ssize_t r = recv(c->src.fd, b, sizeof b, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	ssize_t r = recv(c->src.fd, c->in + c->inlen, sizeof c->in - 1 - c->inlen, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += (size_t)r;
	c->in[c->inlen] = '\0';
	char *nl = strchr(c->in, '\n');
	if (!nl && c->inlen < sizeof c->in - 1)
		return; /* the rest of the line is on its way */
	if (nl)
		*nl = '\0';
	handle(p, c);
}

/* Refused and told why, without waiting for the peer: the socket buffer takes one short line. */
static void refuse(int fd, const char *msg)
{
	ssize_t w = send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)w;
	close(fd);
}

static void on_accept(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)events;
	for (int round = 0; round < CTL_CONNS * 2; round++) {
		int fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				klog("ctl: accept: %s", strerror(errno));
			return;
		}
		struct ucred cr;
		socklen_t len = sizeof cr;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != 0) {
			klog("ctl: refused a connection from uid %d (pid %d): root only", (int)cr.uid, (int)cr.pid);
			refuse(fd, "ERR permission denied: keel ctl is for root only\n");
			continue;
		}
		struct ctl_conn *c = NULL;
		for (int i = 0; i < CTL_CONNS && !c; i++)
			if (p->conns[i].src.fd < 0)
				c = &p->conns[i];
		if (!c) {
			refuse(fd, "ERR busy: too many control connections\n");
			continue;
		}
		*c = (struct ctl_conn){.src = {.fd = fd, .ready = on_conn}};
		struct err e;
		err_clear(&e);
		if (loop_add(p, &c->src, &e) < 0) {
			klog("ctl: %s", e.msg);
			conn_close(c);
			continue;
		}
		/* The request usually came with the connection: answer in this turn of the loop. */
		on_conn(p, &c->src, EPOLLIN);
	}
}

void ctl_init(struct pid1 *p)
{
	p->ctl.fd = -1;
	p->conns = calloc(CTL_CONNS, sizeof *p->conns);
	if (!p->conns) {
		klog("ctl: out of memory; no control socket");
		return;
	}
	for (int i = 0; i < CTL_CONNS; i++)
		p->conns[i].src.fd = -1;
	p->ctl_hooks = (struct pid1_ctl_hooks){ctl_log_appended, ctl_svc_moved, ctl_reload_take, ctl_reload_answer};
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", KEEL_CTL_SOCKET);
	if (mkdir(KEEL_RUN_DIR, 0755) < 0 && errno != EEXIST) {
		klog("ctl: mkdir /run/keel: %s", strerror(errno));
		return;
	}
	unlink(KEEL_CTL_SOCKET);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* Anyone may connect; SO_PEERCRED decides, so a refused caller is told why. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || chmod(KEEL_CTL_SOCKET, 0666) < 0 ||
	    listen(fd, 16) < 0) {
		klog("ctl: %s: %s", KEEL_CTL_SOCKET, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	p->ctl.fd = fd;
	p->ctl.ready = on_accept;
	struct err e;
	err_clear(&e);
	if (loop_add(p, &p->ctl, &e) < 0) {
		klog("ctl: %s", e.msg);
		close(fd);
		p->ctl.fd = -1;
	}
}
