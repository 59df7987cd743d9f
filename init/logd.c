/* PID 1's side of keel-logd: a sink of every line into a bounded pipe, the helper's start in
 * namespaces of its own (mount, pid, ipc, uts: it isolates itself further, helpers/sandbox.c),
 * the lines it writes back, and its last flush at shutdown. */
#include "logd.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../format/config.h"
#include "helpers.h"
#include "klog.h"
#include "logsink.h"
#include "pid1.h"

/* PID 1's queue of records for keel-logd, on top of the pipe's own buffer (LOGD_PIPE): about
 * 1,700 lines of 100 bytes while keel-logd is slow, restarting, or waiting for its disk. */
#define LOGD_QUEUE (32u << 10)
#define LOGD_PIPE (128u << 10)
#define LOGD_STOP_FLUSH_MS 500
#define LOGD_STOP_WAIT_MS 2000

struct logd {
	struct helper h;
	struct loop_source out;         /* keel-logd's stdout and stderr: its warnings, "stats" lines */
	char line[256];
	uint32_t line_len;
	char num[4][16];                /* argv's numbers */
	char target[40], ca[4096], name[80];
	struct logd_stats st;
};

/* keel-logd's lines: "stats WRITTEN SENT DROPPED RAMONLY" (its counters since it last started: a
 * restart resets them, as Prometheus counters may) and anything else, which PID 1 says on its
 * console as one line. */
static void logd_line(struct logd *d, char *l)
{
	if (logd_stats_parse(l, &d->st) == 0)
		return;
	for (char *c = l; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = '?';
	klog("keel-logd: %s", l);
}

static void on_out(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)p;
	(void)events;
	struct logd *d = (struct logd *)((char *)src - offsetof(struct logd, out));
	char buf[1024];
	for (int i = 0; i < 4; i++) {
		ssize_t n = read(src->fd, buf, sizeof buf);
		if (n <= 0)
			return;
		for (ssize_t k = 0; k < n; k++) {
			if (buf[k] != '\n') {
				if (d->line_len < sizeof d->line - 1)
					d->line[d->line_len++] = buf[k];
				continue;
			}
			d->line[d->line_len] = '\0';
			logd_line(d, d->line);
			d->line_len = 0;
		}
	}
}

static void args(struct pid1 *p, struct logd *d)
{
	const struct cfg_ops *o = cfg_ops(&p->cfg);
	char **a = d->h.argv;
	int n = 0;
	a[n++] = "keel-logd";
	if (o->flags & CFG_OPS_LOG_PERSIST) {
		snprintf(d->num[0], sizeof d->num[0], "%u", o->log_service_max ? o->log_service_max : CFG_LOG_SERVICE_MAX_DEFAULT);
		snprintf(d->num[1], sizeof d->num[1], "%u", o->log_total_max ? o->log_total_max : CFG_LOG_TOTAL_MAX_DEFAULT);
		snprintf(d->num[2], sizeof d->num[2], "%u", o->log_flush_ms ? o->log_flush_ms : CFG_LOG_FLUSH_MS_DEFAULT);
		a[n++] = "--dir";
		a[n++] = KEEL_LOG_DIR;
		a[n++] = "--service-max";
		a[n++] = d->num[0];
		a[n++] = "--total-max";
		a[n++] = d->num[1];
		a[n++] = "--flush-ms";
		a[n++] = d->num[2];
	}
	if (o->syslog_proto) {
		static const char *const protos[] = {"", "udp", "tcp", "tls"};
		uint32_t ip = o->syslog_address, port = o->syslog_port ? o->syslog_port
					: o->syslog_proto == CFG_SYSLOG_TLS ? 6514 : 514;
		snprintf(d->target, sizeof d->target, "%s:%u.%u.%u.%u:%u", protos[o->syslog_proto], ip >> 24,
			 (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, port);
		a[n++] = "--syslog";
		a[n++] = d->target;
		if (o->syslog_proto == CFG_SYSLOG_TLS) {
			snprintf(d->ca, sizeof d->ca, "%s", cfg_str(&p->cfg, o->syslog_ca));
			snprintf(d->name, sizeof d->name, "%s", cfg_str(&p->cfg, o->syslog_server_name));
			a[n++] = "--ca";
			a[n++] = d->ca;
			a[n++] = "--server-name";
			a[n++] = d->name;
		}
	}
	a[n] = NULL;
}

void logd_start(struct pid1 *p)
{
	const struct cfg_ops *o = cfg_ops(&p->cfg);
	char *early = p->log_early;
	uint32_t early_len = p->log_early_len;
	p->log_early = NULL;
	if (!(o->flags & CFG_OPS_LOG_PERSIST) && !o->syslog_proto) {
		free(early);
		return;
	}
	struct err e;
	err_clear(&e);
	int in[2] = {-1, -1}, out[2] = {-1, -1};
	struct logd *d = calloc(1, sizeof *d);
	struct sink *k = malloc(sizeof *k + LOGD_QUEUE); /* both for PID 1's life */
	if (!d || !k) {
		klog("keel-logd: out of memory; logs stay in RAM");
		goto fail;
	}
	if (access(KEEL_LOGD_PATH, X_OK) < 0) {
		klog("keel-logd: %s: %s; logs stay in RAM", KEEL_LOGD_PATH, strerror(errno));
		goto fail;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || fcntl(in[1], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(out[0], F_SETFL, O_NONBLOCK) < 0) {
		klog("keel-logd: pipe: %s; logs stay in RAM", strerror(errno));
		goto fail;
	}
	fcntl(in[1], F_SETPIPE_SZ, LOGD_PIPE); /* more room while it restarts; the default is fine too */
	/* The boot's first lines, kept by klog until now: they fit in an empty pipe. */
	if (early_len && write(in[1], early, early_len) < 0)
		klog("keel-logd: the boot's first lines: %s", strerror(errno));
	free(early);
	early = NULL;
	sink_init(k, "logd", in[1], (char *)(k + 1), LOGD_QUEUE, logd_format, true, 0);
	d->out.fd = out[0];
	d->out.ready = on_out;
	if (loop_add(p, &d->out, &e) < 0) {
		klog("keel-logd: %s; logs stay in RAM", e.msg);
		goto fail;
	}
	d->h.name = "keel-logd";
	d->h.path = KEEL_LOGD_PATH;
	d->h.clone_flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
	d->h.fd_in = in[0]; /* kept open by PID 1: a restarted keel-logd reads on where the last stopped */
	d->h.fd_out = out[1];
	args(p, d);
	p->logd = k;
	p->logd_state = d;
	if (helper_start(p, &d->h, &e) < 0)
		klog("keel-logd: %s", e.msg);
	return;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	free(early);
	free(d);
	free(k);
}

void logd_stop(struct pid1 *p)
{
	struct logd *d = p->logd_state;
	struct sink *k = p->logd;
	if (!d || !k)
		return;
	sink_loop(k, -1);
	sink_flush(k, LOGD_STOP_FLUSH_MS);
	p->logd = NULL; /* what PID 1 says from now on goes to the console only */
	close(k->io.fd);
	if (!helper_wait(&d->h, LOGD_STOP_WAIT_MS))
		klog("keel-logd: still writing after %d ms; stopped with the rest", LOGD_STOP_WAIT_MS);
}

int logd_stats(const struct pid1 *p, struct logd_stats *s)
{
	const struct logd *d = p->logd_state;
	if (!d)
		return -1;
	*s = d->st;
	s->restarts = d->h.restarts;
	if (p->logd) {
		s->lines = p->logd->lines;
		s->dropped = p->logd->dropped;
	}
	return 0;
}
