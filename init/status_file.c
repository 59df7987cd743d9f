/* PID 1's status file: the services' table (as `keel ctl status` shows it) in
 * /run/keel/status/status.txt, rewritten whenever a service's state changes, so a service can be
 * given it read-only (a volume of /run/keel/status) without any access to the control socket. */
#include "status_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor.h"
#include "../lib/file.h"
#include "../lib/clock.h"
#include "klog.h"

#define STATUS_FILE KEEL_STATUS_DIR "/status.txt"
#define STATUS_MIN_MS 100 /* between two writes: a mass start rewrites it 10 times a second, not 200 */

struct text {
	char buf[4096];
	size_t len;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *fmt, ...)
{
	if (t->len + 1 >= sizeof t->buf)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < sizeof t->buf - t->len ? (size_t)n : sizeof t->buf - t->len - 1;
}

/* FNV-1a: enough to tell whether the rows changed since the last write. */
static uint64_t text_sum(const char *d, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)d[i]) * 1099511628211ull;
	return h | 1; /* never 0: 0 means "nothing written yet" */
}

#define TAIL_BYTES 2048  /* of each service's log ring, from a line's start */
#define TAIL_EVERY_MS 1000

/* log_status = yes: each service's newest lines in logs/NAME.log beside the table, rewritten at
 * most once a second while it writes (tmpfs: memory, never a disk PID 1 could wait on). */
static void tails(struct pid1 *p)
{
	if (!(cfg_ops(&p->cfg)->flags & CFG_OPS_LOG_STATUS))
		return;
	int64_t now = boot_ms();
	int dfd = -1;
	struct err e;
	err_clear(&e);
	for (uint32_t i = 0; i < p->nsvcs; i++) {
		struct svc *s = &p->svcs[i];
		const struct svc_ring *r = &s->log;
		if (!r->buf || r->total == s->tail_total || now - s->tail_ms < TAIL_EVERY_MS)
			continue;
		if (dfd < 0 && (mkdir_p(KEEL_STATUS_DIR "/logs", 0755, &e) < 0 ||
				(dfd = open(KEEL_STATUS_DIR "/logs", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)) {
			klog("status: %s/logs: %s", KEEL_STATUS_DIR, e.msg[0] ? e.msg : strerror(errno));
			return;
		}
		char out[TAIL_BYTES], name[48];
		uint64_t have = r->total < r->size ? r->total : r->size, n = have < TAIL_BYTES ? have : TAIL_BYTES;
		for (uint64_t k = 0; k < n; k++)
			out[k] = r->buf[(r->total - n + k) % r->size];
		size_t skip = 0;
		if (n < r->total) /* cut: start at the first whole line */
			while (skip < n && out[skip++] != '\n')
				;
		snprintf(name, sizeof name, "%s.log", s->name);
		if (file_put_at(dfd, KEEL_STATUS_DIR "/logs", name, out + skip, (size_t)(n - skip), 0644, &e) < 0)
			klog("status: %s", e.msg);
		s->tail_total = r->total;
		s->tail_ms = now;
	}
	if (dfd >= 0)
		close(dfd);
}

void status_file_update(struct pid1 *p)
{
	tails(p);
	struct text t;
	t.len = 0;
	int64_t now = boot_ms();
	/* Within STATUS_MIN_MS of the last write nothing is built: the loop comes back at due. */
	if (now < p->status_due) {
		p->status_late = true;
		return;
	}
	/* The rows first (they decide whether to write), the header with its time after. */
	for (uint32_t i = 0; i < p->nsvcs; i++) {
		const struct svc *s = &p->svcs[i];
		char last[48], state[32], pid[16], since[24];
		svc_last_text(s, last, sizeof last);
		snprintf(state, sizeof state, "%s%s", svc_state_name(s),
			 s->state == SVC_FAILED && s->last == LAST_START_LIMIT ? " (start-limit)" : "");
		snprintf(pid, sizeof pid, "%d", (int)s->l.ct.pid);
		snprintf(since, sizeof since, "%lld.%03ds", (long long)(s->started_ms / 1000),
			 (int)(s->started_ms % 1000));
		text_add(&t, "%-16s %-20s %7s %10s %8u  %s\n", s->name, state, s->up ? pid : "-",
			 s->up ? since : "-", s->restarts, last);
	}
	uint64_t sum = text_sum(t.buf, t.len);
	p->status_late = false;
	if (sum == p->status_sum)
		return;
	p->status_sum = sum;
	p->status_due = now + STATUS_MIN_MS;
	struct err e;
	err_clear(&e);
	if (mkdir_p(KEEL_STATUS_DIR, 0755, &e) < 0)
		goto fail;
	char out[160 + sizeof t.buf];
	int hn = snprintf(out, 160, "keel status at %lld.%03ds since boot (SINCE: when it started)\n%-16s %-20s %7s %10s %8s  %s\n",
			  (long long)(now / 1000), (int)(now % 1000), "SERVICE", "STATE", "PID", "SINCE",
			  "RESTARTS", "LAST-EXIT");
	size_t n = hn < 0 ? 0 : hn >= 160 ? 159 : (size_t)hn;
	memcpy(out + n, t.buf, t.len);
	/* Written beside and renamed over: a reader never sees half a table. */
	int dfd = open(KEEL_STATUS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		err_sys(&e, errno, "open");
	else if (file_put_at(dfd, KEEL_STATUS_DIR, "status.txt", out, n + t.len, 0644, &e) == 0) {
		close(dfd);
		return;
	}
	if (dfd >= 0)
		close(dfd);
fail:
	klog("status: %s: %s", STATUS_FILE, e.msg);
}

int status_file_wait(const struct pid1 *p)
{
	int64_t left = p->status_due - boot_ms();
	return p->status_late ? (left > 0 ? (int)left + 1 : 0) : -1;
}
