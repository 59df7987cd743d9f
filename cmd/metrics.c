/* `keel ctl metrics`: PID 1's raw values (ctl_server.c's "metrics" answer) and each running
 * service's cgroup counters, in the Prometheus text exposition format (version 0.0.4), named by
 * Prometheus' conventions; with --textfile, written atomically (a temporary file renamed over it)
 * for node_exporter's textfile collector, every --interval seconds. PID 1 only says numbers it has
 * anyway: the reading of cgroup files and all the formatting happen here. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/file.h"
#include "commands.h"

#define MAX_SVCS 256

struct m_svc {
	char name[33], state[16], health[16];
	unsigned restarts;
	int last;
	long long up_ms;
	unsigned long long oom;
	/* from its cgroup; have: the files were read (it is running) */
	int have;
	unsigned long long cpu_us, throttled_us, mem, peak, pids, rbytes, wbytes;
};

struct m_all {
	long long now_ms, rss;
	char phase[12][16];
	long long phase_ms[12];
	int nphase;
	char sink[2][16];
	unsigned long long sink_lines[2], sink_dropped[2];
	int nsink;
	int logd;
	unsigned long long written, sent, sdropped;
	int ram_only;
	unsigned logd_restarts;
	struct m_svc *s;
	int ns;
};

#define ABSENT ULLONG_MAX /* a file or key its cgroup does not have: the sample is left out */

static unsigned long long cg_key(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, n) && l[n] == ' ')
			return strtoull(l + n + 1, NULL, 10);
	return ABSENT;
}

static unsigned long long cg_num(const char *dir, const char *file)
{
	char path[512], buf[64];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	return file_read_small(AT_FDCWD, path, 0, buf, sizeof buf) > 0 ? strtoull(buf, NULL, 10) : ABSENT;
}

static void cgroup_read(struct m_svc *s)
{
	char dir[256], buf[8192], path[512];
	snprintf(dir, sizeof dir, "%s/%s", KEEL_CGROUP_ROOT, s->name);
	snprintf(path, sizeof path, "%s/cpu.stat", dir);
	if (file_read_small(AT_FDCWD, path, 0, buf, sizeof buf) <= 0)
		return;
	s->have = 1;
	s->cpu_us = cg_key(buf, "usage_usec");
	s->throttled_us = cg_key(buf, "throttled_usec");
	s->mem = cg_num(dir, "memory.current");
	s->peak = cg_num(dir, "memory.peak");
	s->pids = cg_num(dir, "pids.current");
	snprintf(path, sizeof path, "%s/io.stat", dir);
	s->rbytes = s->wbytes = ABSENT;
	if (file_read_small(AT_FDCWD, path, 0, buf, sizeof buf) >= 0)
		s->rbytes = s->wbytes = 0; /* the file: the io controller is on (empty: no I/O yet) */
	if (s->rbytes != ABSENT)
		for (char *w = buf; (w = strstr(w, "bytes=")); w += 6) {
			if (w - buf >= 1 && w[-1] == 'r')
				s->rbytes += strtoull(w + 6, NULL, 10);
			else if (w - buf >= 1 && w[-1] == 'w')
				s->wbytes += strtoull(w + 6, NULL, 10);
		}
}

/* PID 1's answer, line by line; a line that does not read is skipped. */
static int parse(struct m_all *m, char *text)
{
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct m_svc *s = m->ns < MAX_SVCS ? &m->s[m->ns] : NULL;
		if (sscanf(l, "now %lld", &m->now_ms) == 1 || sscanf(l, "rss %lld", &m->rss) == 1)
			continue;
		if (m->nphase < 12 && sscanf(l, "phase %15s %lld", m->phase[m->nphase], &m->phase_ms[m->nphase]) == 2)
			m->nphase++;
		else if (m->nsink < 2 && sscanf(l, "sink %15s %llu %llu", m->sink[m->nsink], &m->sink_lines[m->nsink],
						&m->sink_dropped[m->nsink]) == 3)
			m->nsink++;
		else if (sscanf(l, "logd %llu %llu %llu %d %u", &m->written, &m->sent, &m->sdropped, &m->ram_only,
				&m->logd_restarts) == 5)
			m->logd = 1;
		else if (s && sscanf(l, "svc %32s %15s %u %d %15s %lld %llu", s->name, s->state, &s->restarts, &s->last,
				     s->health, &s->up_ms, &s->oom) == 7)
			m->ns++;
	}
	for (int i = 0; i < m->ns; i++)
		if (m->s[i].up_ms > 0)
			cgroup_read(&m->s[i]);
	return 0;
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void secs(FILE *f, long long ms)
{
	fprintf(f, "%lld.%03lld\n", ms / 1000, ms % 1000);
}

/* One family over the services: value(s) printed after its labels; skip when absent. */
static void per_svc(FILE *f, const struct m_all *m, const char *name, const char *type, const char *help,
		    int cgroup, unsigned long long (*value)(const struct m_svc *), int is_us)
{
	family(f, name, type, help);
	for (int i = 0; i < m->ns; i++) {
		const struct m_svc *s = &m->s[i];
		unsigned long long v = value(s);
		if ((cgroup && !s->have) || v == ABSENT)
			continue;
		fprintf(f, "%s{service=\"%s\"} ", name, s->name);
		if (is_us)
			fprintf(f, "%llu.%06llu\n", v / 1000000, v % 1000000);
		else
			fprintf(f, "%llu\n", v);
	}
}

static unsigned long long v_restarts(const struct m_svc *s) { return s->restarts; }
static unsigned long long v_oom(const struct m_svc *s) { return s->oom; }
static unsigned long long v_cpu(const struct m_svc *s) { return s->cpu_us; }
static unsigned long long v_thr(const struct m_svc *s) { return s->throttled_us; }
static unsigned long long v_mem(const struct m_svc *s) { return s->mem; }
static unsigned long long v_peak(const struct m_svc *s) { return s->peak; }
static unsigned long long v_pids(const struct m_svc *s) { return s->pids; }
static unsigned long long v_rb(const struct m_svc *s) { return s->rbytes; }
static unsigned long long v_wb(const struct m_svc *s) { return s->wbytes; }

static void print(FILE *f, const struct m_all *m)
{
	static const char *const states[] = {"stopped", "starting", "running", "ready", "stopping", "exited", "failed", "backoff"};
	static const char *const healths[] = {"starting", "healthy", "unhealthy"};
	family(f, "keel_uptime_seconds", "gauge", "Seconds since the kernel booted (CLOCK_BOOTTIME), as PID 1 reads it.");
	fputs("keel_uptime_seconds ", f);
	secs(f, m->now_ms);
	family(f, "keel_pid1_resident_memory_bytes", "gauge", "Resident memory of PID 1.");
	fprintf(f, "keel_pid1_resident_memory_bytes %lld\n", m->rss);
	family(f, "keel_boot_phase_seconds", "gauge", "When each boot phase of PID 1 ended, seconds since the kernel booted.");
	for (int i = 0; i < m->nphase; i++) {
		fprintf(f, "keel_boot_phase_seconds{phase=\"%s\"} ", m->phase[i]);
		secs(f, m->phase_ms[i]);
	}
	family(f, "keel_log_lines_total", "counter", "Lines PID 1 queued to each log sink.");
	for (int i = 0; i < m->nsink; i++)
		fprintf(f, "keel_log_lines_total{sink=\"%s\"} %llu\n", m->sink[i], m->sink_lines[i]);
	family(f, "keel_log_dropped_lines_total", "counter", "Lines a full log sink dropped (its queue was full).");
	for (int i = 0; i < m->nsink; i++)
		fprintf(f, "keel_log_dropped_lines_total{sink=\"%s\"} %llu\n", m->sink[i], m->sink_dropped[i]);
	if (m->logd) {
		family(f, "keel_log_written_bytes_total", "counter", "Bytes keel-logd wrote to its files since it started.");
		fprintf(f, "keel_log_written_bytes_total %llu\n", m->written);
		family(f, "keel_syslog_sent_messages_total", "counter", "Messages the syslog collector took since keel-logd started.");
		fprintf(f, "keel_syslog_sent_messages_total %llu\n", m->sent);
		family(f, "keel_syslog_dropped_messages_total", "counter",
		       "Messages dropped while the syslog collector did not take them, since keel-logd started.");
		fprintf(f, "keel_syslog_dropped_messages_total %llu\n", m->sdropped);
		family(f, "keel_log_ram_only", "gauge", "1 when the persistent log files failed and logs stay in RAM.");
		fprintf(f, "keel_log_ram_only %d\n", m->ram_only);
		family(f, "keel_helper_restarts_total", "counter", "Restarts of PID 1's helper processes.");
		fprintf(f, "keel_helper_restarts_total{helper=\"keel-logd\"} %u\n", m->logd_restarts);
	}
	family(f, "keel_service_state", "gauge", "1 for the state each service is in, 0 for the others.");
	for (int i = 0; i < m->ns; i++)
		for (size_t k = 0; k < sizeof states / sizeof states[0]; k++)
			fprintf(f, "keel_service_state{service=\"%s\",state=\"%s\"} %d\n", m->s[i].name, states[k],
				!strcmp(m->s[i].state, states[k]));
	family(f, "keel_service_health", "gauge", "1 for the health check's verdict on each service that has one.");
	for (int i = 0; i < m->ns; i++)
		for (size_t k = 0; k < 3 && strcmp(m->s[i].health, "-"); k++)
			fprintf(f, "keel_service_health{service=\"%s\",status=\"%s\"} %d\n", m->s[i].name, healths[k],
				!strcmp(m->s[i].health, healths[k]));
	per_svc(f, m, "keel_service_restarts_total", "counter", "Restarts of each service.", 0, v_restarts, 0);
	family(f, "keel_service_last_exit_status", "gauge",
	       "The last exit status of each service as a shell gives it (128+N: signal N); -1: none yet.");
	for (int i = 0; i < m->ns; i++)
		fprintf(f, "keel_service_last_exit_status{service=\"%s\"} %d\n", m->s[i].name, m->s[i].last);
	family(f, "keel_service_uptime_seconds", "gauge", "Seconds each service has run since its last start; 0: not running.");
	for (int i = 0; i < m->ns; i++) {
		fprintf(f, "keel_service_uptime_seconds{service=\"%s\"} ", m->s[i].name);
		secs(f, m->s[i].up_ms);
	}
	per_svc(f, m, "keel_service_oom_kills_total", "counter", "Processes of each service the kernel's OOM killer ended.", 0,
		v_oom, 0);
	per_svc(f, m, "keel_service_cpu_usage_seconds_total", "counter", "CPU time of each running service (cgroup cpu.stat).", 1,
		v_cpu, 1);
	per_svc(f, m, "keel_service_cpu_throttled_seconds_total", "counter",
		"Time each running service was throttled at cpu_max (cgroup cpu.stat).", 1, v_thr, 1);
	per_svc(f, m, "keel_service_memory_current_bytes", "gauge", "Memory of each running service (cgroup memory.current).", 1,
		v_mem, 0);
	per_svc(f, m, "keel_service_memory_peak_bytes", "gauge", "Peak memory of each running service's current start (memory.peak).",
		1, v_peak, 0);
	per_svc(f, m, "keel_service_pids", "gauge", "Processes and threads of each running service (cgroup pids.current).", 1,
		v_pids, 0);
	per_svc(f, m, "keel_service_io_read_bytes_total", "counter", "Bytes each running service read from block devices (io.stat).",
		1, v_rb, 0);
	per_svc(f, m, "keel_service_io_written_bytes_total", "counter",
		"Bytes each running service wrote to block devices (io.stat).", 1, v_wb, 0);
}

/* One round: PID 1 asked, the text made; 0, or the exit status of a failure. */
static int collect(const char *sock, char *buf, size_t cap, struct m_all *m)
{
	int rc = ctl_fetch(sock, "metrics\n", buf, cap);
	if (rc)
		return rc;
	memset(m, 0, sizeof *m);
	static struct m_svc svcs[MAX_SVCS];
	memset(svcs, 0, sizeof svcs);
	m->s = svcs;
	return parse(m, buf);
}

/* tmp then rename: node_exporter never reads a half-written file. */
static int write_file(const char *path, const struct m_all *m)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -1;
	print(f, m);
	int bad = ferror(f);
	if (fclose(f) || bad || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int metrics_cmd(const char *sock, const char *textfile, unsigned interval)
{
	size_t cap = 64u << 10;
	char *buf = malloc(cap);
	struct m_all m;
	if (!buf)
		return 3;
	if (!textfile) {
		int rc = collect(sock, buf, cap, &m);
		if (!rc) {
			print(stdout, &m);
			rc = fflush(stdout) ? 3 : 0;
		}
		free(buf);
		return rc;
	}
	char dir[4200];
	snprintf(dir, sizeof dir, "%s", textfile);
	char *slash = strrchr(dir, '/');
	struct err e;
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir, 0755, &e) < 0)
			fprintf(stderr, "keel ctl: metrics: %s\n", e.msg);
	}
	for (int said = 0;;) {
		int rc = collect(sock, buf, cap, &m);
		if (!rc && write_file(textfile, &m) < 0) {
			if (!said++)
				fprintf(stderr, "keel ctl: metrics: %s: %s\n", textfile, strerror(errno));
			rc = 3;
		}
		if (!interval) {
			free(buf);
			return rc;
		}
		struct timespec ts = {.tv_sec = interval};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}
