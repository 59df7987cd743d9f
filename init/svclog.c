/* Each service's output: a pipe into PID 1, kept in a ring of the newest bytes (each line stamped
 * with the time since boot) and, when the config asks, handed line by line to the console's sink. */
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

/* One line of the service's output to the sinks, with what waited in con_part before it. */
static void emit(struct pid1 *p, struct svc *s, const char *d, size_t n, int64_t ms)
{
	char line[sizeof s->con_part + LINE_MAX_OUT];
	if (n > LINE_MAX_OUT)
		n = LINE_MAX_OUT;
	memcpy(line, s->con_part, s->con_part_len);
	memcpy(line + s->con_part_len, d, n);
	struct log_line l = {.src = s->name, .sev = LOG_INFO, .console = (s->cfg->flags & CFG_SVC_LOG_CONSOLE) != 0,
			     .ms = ms, .text = line, .len = s->con_part_len + n};
	s->con_part_len = 0;
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
	if (s->con_part_len)
		emit(p, s, "", 0, ms);
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
static void to_sinks(struct pid1 *p, struct svc *s, const char *d, size_t n)
{
	int64_t ms = boot_ms(); /* as the ring's stamp: one per read */
	while (n > 0) {
		const char *nl = memchr(d, '\n', n);
		if (!nl && s->con_part_len + n <= sizeof s->con_part) {
			memcpy(s->con_part + s->con_part_len, d, n);
			s->con_part_len = (uint8_t)(s->con_part_len + n);
			return;
		}
		size_t k = nl ? (size_t)(nl - d) : n;
		emit(p, s, d, k, ms);
		k += nl ? 1 : 0;
		d += k;
		n -= k;
	}
}

void svclog_drain(struct pid1 *p, struct svc *s)
{
	char buf[4096];
	for (int i = 0; i < READS_PER_EVENT; i++) {
		ssize_t n = read(s->log_src.fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EAGAIN; EOF cannot happen: we hold the write end */
		svclog_append(p, s, buf, (size_t)n);
		if (s->cfg->flags & CFG_SVC_LOG_CONSOLE) /* the only sink today takes these lines alone */
			to_sinks(p, s, buf, (size_t)n);
	}
}

static void on_log(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)events;
	svclog_drain(p, SVC_OF(src, log_src));
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
	/* One pipe for the whole boot: every start gets the same write end, so nothing written by a
	 * dying instance is lost and the loop never sees EOF. */
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_sys(e, errno, "service '%s': log pipe", s->name);
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_sys(e, errno, "service '%s': log pipe: O_NONBLOCK", s->name);
	}
	s->log_src.fd = fds[0];
	s->log_src.ready = on_log;
	s->log_w = fds[1];
	return loop_add(p, &s->log_src, e);
}
