/* Each service's output: two pipes into PID 1 (stdout, stderr), kept in one ring of the newest
 * bytes (each line stamped with the time since boot) and handed line by line to PID 1's sinks:
 * the console's copy (log_console) and keel-logd (persistent files, syslog), stderr's lines as
 * warnings. */
#include "svclog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "logsink.h"
#include "supervisor.h"
#include "../lib/clock.h"
#include "klog.h"
#include "loop.h"

#define SVC_OF(ptr, member) ((struct svc *)((char *)(ptr) - offsetof(struct svc, member)))
#define READS_PER_EVENT 4 /* then back to the loop: one chatty service cannot starve the rest */
#define LINE_MAX_OUT 900   /* of one service line to the sinks; the ring keeps it whole */

static void ring_put(struct svc_ring *r, const char *d, size_t n)
{
	if (n > r->size) { /* only the newest bytes survive anyway */
		r->total += n - r->size;
		d += n - r->size;
		n = r->size;
	}
	while (n > 0) {
		size_t at = (size_t)(r->total % r->size);
		size_t k = r->size - at < n ? r->size - at : n;
		memcpy(r->buf + at, d, k);
		r->total += k;
		d += k;
		n -= k;
	}
}

void svclog_append(struct pid1 *p, struct svc *s, const char *d, size_t n)
{
	struct svc_ring *r = &s->log;
	if (!r->buf || n == 0)
		return;
	/* One stamp for what one read brought: those lines waited in the pipe together, and a flood
	 * of short lines costs PID 1 no clock read and no formatting per line. */
	char stamp[24];
	int64_t ms = boot_ms();
	int sk = snprintf(stamp, sizeof stamp, "[%5lld.%03d] ", (long long)(ms / 1000), (int)(ms % 1000));
	while (n > 0) {
		if (!r->mid_line)
			ring_put(r, stamp, (size_t)sk);
		const char *nl = memchr(d, '\n', n);
		size_t k = nl ? (size_t)(nl - d) + 1 : n;
		ring_put(r, d, k);
		r->mid_line = !nl;
		d += k;
		n -= k;
	}
	if (p->ctl_hooks.log_appended)
		p->ctl_hooks.log_appended(p, s);
}

/* One line of stream `st` (0 stdout, 1 stderr) to the sinks, with what waited in con_part. */
static void emit(struct pid1 *p, struct svc *s, int st, const char *d, size_t n, int64_t ms)
{
	char line[sizeof s->con_part[0] + LINE_MAX_OUT];
	if (n > LINE_MAX_OUT)
		n = LINE_MAX_OUT;
	memcpy(line, s->con_part[st], s->con_part_len[st]);
	memcpy(line + s->con_part_len[st], d, n);
	struct log_line l = {.src = s->name, .sev = st ? LOG_WARNING : LOG_INFO,
			     .console = (s->cfg->flags & CFG_SVC_LOG_CONSOLE) != 0, .ms = ms, .text = line,
			     .len = s->con_part_len[st] + n, .pid = s->up ? s->l.ct.pid : 0};
	s->con_part_len[st] = 0;
	log_emit(p, &l);
}

static void vnote(struct pid1 *p, struct svc *s, int64_t ms, const char *fmt, va_list ap)
{
	char line[600];
	int n = snprintf(line, sizeof line, "keel: ");
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	for (int st = 0; st < 2; st++)
		if (s->con_part_len[st])
			emit(p, s, st, "", 0, ms);
	klog_at(ms, "svc %s: %s", s->name, line + n);
	/* A half line the service left unterminated ends here, so keel's line stands alone. */
	if (s->log.mid_line)
		svclog_append(p, s, "\n", 1);
	line[len++] = '\n';
	svclog_append(p, s, line, len);
}

void svc_note(struct pid1 *p, struct svc *s, const char *fmt, ...)
{
	int64_t ms = boot_ms();
	va_list ap;
	va_start(ap, fmt);
	vnote(p, s, ms, fmt, ap);
	va_end(ap);
}

void svc_note_at(struct pid1 *p, struct svc *s, int64_t ms, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(p, s, ms, fmt, ap);
	va_end(ap);
}

/* Each line of output to the sinks (the console's copy: "svc NAME| text"). A line cut by the end
 * of a read waits in con_part for its rest (a pipe hands over 4 KB at a time, not lines); one
 * longer than that goes out in pieces, and svc_note ends a half line the service left
 * unterminated. */
static void to_sinks(struct pid1 *p, struct svc *s, int st, const char *d, size_t n)
{
	int64_t ms = boot_ms(); /* as the ring's stamp: one per read */
	while (n > 0) {
		const char *nl = memchr(d, '\n', n);
		if (!nl && s->con_part_len[st] + n <= sizeof s->con_part[st]) {
			memcpy(s->con_part[st] + s->con_part_len[st], d, n);
			s->con_part_len[st] = (uint8_t)(s->con_part_len[st] + n);
			return;
		}
		size_t k = nl ? (size_t)(nl - d) : n;
		emit(p, s, st, d, k, ms);
		k += nl ? 1 : 0;
		d += k;
		n -= k;
	}
}

static void drain(struct pid1 *p, struct svc *s, int st)
{
	char buf[4096];
	int fd = st ? s->err_src.fd : s->log_src.fd;
	/* Without a sink that takes every line, only log_console services' lines are split. */
	bool lines = log_every_line(p) || (s->cfg->flags & CFG_SVC_LOG_CONSOLE);
	for (int i = 0; fd >= 0 && i < READS_PER_EVENT; i++) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EAGAIN; EOF cannot happen: we hold the write end */
		svclog_append(p, s, buf, (size_t)n);
		if (lines)
			to_sinks(p, s, st, buf, (size_t)n);
	}
}

void svclog_drain(struct pid1 *p, struct svc *s)
{
	drain(p, s, 0);
	drain(p, s, 1);
}

static void on_out(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)events;
	drain(p, SVC_OF(src, log_src), 0);
}

static void on_err(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)events;
	drain(p, SVC_OF(src, err_src), 1);
}

/* One pipe for the whole boot: every start gets the same write end, so nothing written by a dying
 * instance is lost and the loop never sees EOF. */
static int log_pipe(struct pid1 *p, struct svc *s, struct loop_source *src, int *w,
		    void (*ready)(struct pid1 *, struct loop_source *, uint32_t), struct err *e)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_sys(e, errno, "service '%s': log pipe", s->name);
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_sys(e, errno, "service '%s': log pipe: O_NONBLOCK", s->name);
	}
	src->fd = fds[0];
	src->ready = ready;
	*w = fds[1];
	return loop_add(p, src, e);
}

int svclog_init(struct pid1 *p, struct svc *s, struct err *e)
{
	uint32_t size = s->cfg->log_buffer ? s->cfg->log_buffer : p->cfg.system->log_buffer;
	if (size < 1024)
		size = 1024;
	s->log.size = size;
	s->log.buf = malloc(size);
	if (!s->log.buf)
		return err_sys(e, ENOMEM, "service '%s': log buffer of %u bytes", s->name, size);
	return log_pipe(p, s, &s->log_src, &s->log_w, on_out, e) < 0 ? -1
	       : log_pipe(p, s, &s->err_src, &s->err_w, on_err, e);
}
