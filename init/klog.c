/* PID 1's log: its own lines and its copies of service output go to its sinks (the console today)
 * through bounded queues, stamped with the time since boot; PID 1 never waits on the console. */
#include "klog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "logd.h"
#include "logsink.h"
#include "../lib/clock.h"

/* The console's queue: 16 KiB is about 1.4 s of a 115200-baud serial line, and holds a boot's
 * lines with a burst of 300 service lines (qemu test 30) while the console shell writes. */
#define CONSOLE_QUEUE 16384
/* The console's pace at most, after a first burst of its queue's size. More than anyone reads, and
 * above a 115200-baud serial line (11.5 KB/s), whose tty holds PID 1 back first. A console costs
 * CPU per byte where it has no line speed: under QEMU a 16550 byte is about 1 us of the guest's
 * CPU, so an unpaced flood took all of it (keel ctl status 1.6 s) and a framebuffer console draws
 * every glyph. */
#define CONSOLE_RATE 32768
/* PID 1's lines before keel-logd starts (the boot up to the config's choice), kept as its records:
 * about 80 lines. */
#define LOG_EARLY 8192

/* klog is called from everywhere in PID 1 without the state; log_init points it there once. */
static struct pid1 *log_pid1;

/* "keel: [   1.234] text" for PID 1's lines, "keel: [   1.234] svc NAME| text" for a service's. */
static size_t console_format(const struct log_line *l, char *out, size_t size)
{
	int n = snprintf(out, size, "keel: [%5lld.%03d] %s%s%s%.*s", (long long)(l->ms / 1000), (int)(l->ms % 1000),
			 l->src ? "svc " : "", l->src ? l->src : "", l->src ? "| " : "", (int)l->len, l->text);
	size_t len = n < 0 ? 0 : (size_t)n;
	if (len > size - 1)
		len = size - 1; /* cut, never overflow: keep room for the newline */
	out[len++] = '\n';
	return len;
}

void log_init(struct pid1 *p)
{
	struct sink *k = malloc(sizeof *k + CONSOLE_QUEUE); /* once, for PID 1's life */
	if (!k)
		return; /* klog then writes as it comes */
	sink_init(k, "console", STDOUT_FILENO, (char *)(k + 1), CONSOLE_QUEUE, console_format, false, CONSOLE_RATE);
	p->console = k;
	p->log_early = malloc(LOG_EARLY); /* logd_start takes it, or frees it */
	log_pid1 = p;
}

void log_emit(struct pid1 *p, const struct log_line *l)
{
	if (p->console)
		sink_put(p->console, l);
	if (p->logd) {
		sink_put(p->logd, l);
	} else if (p->log_early) {
		char rec[SINK_RECORD_MAX];
		size_t n = logd_format(l, rec, sizeof rec);
		if (n <= LOG_EARLY - p->log_early_len) { /* the first lines matter most: later ones go */
			memcpy(p->log_early + p->log_early_len, rec, n);
			p->log_early_len += (uint32_t)n;
		}
	}
}

bool log_every_line(const struct pid1 *p)
{
	return p->logd != NULL;
}

int log_tick(struct pid1 *p)
{
	return p->console ? sink_tick(p->console) : -1;
}

static void vklog(int64_t ms, const char *fmt, va_list ap)
{
	char text[1024];
	int m = vsnprintf(text, sizeof text, fmt, ap);
	struct log_line l = {.sev = LOG_INFO, .console = true, .ms = ms, .text = text, .pid = 1,
			     .len = m < 0 ? 0 : (size_t)m < sizeof text ? (size_t)m : sizeof text - 1};
	if (log_pid1 && log_pid1->console) {
		log_emit(log_pid1, &l);
		return;
	}
	char rec[SINK_RECORD_MAX];
	if (write(STDOUT_FILENO, rec, console_format(&l, rec, sizeof rec)) < 0)
		return; /* no console: nowhere to say it */
}

void klog(const char *fmt, ...)
{
	int64_t ms = boot_ms();
	va_list ap;
	va_start(ap, fmt);
	vklog(ms, fmt, ap);
	va_end(ap);
}

void klog_at(int64_t ms, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vklog(ms, fmt, ap);
	va_end(ap);
}
