/* The bounded log sink (init/sink.c) against a real socket whose buffer fills: puts never wait,
 * what arrives is whole records in order (a short write keeps its rest at the head), what did not
 * fit is counted per source and reported once room returns, before anything newer; and every
 * line put is either received or counted. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../init/logsink.h"
#include "test.h"

int64_t boot_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "SRC|TEXT\n": PID 1's own lines as "keel". */
static size_t fmt(const struct log_line *l, char *out, size_t size)
{
	int n = snprintf(out, size, "%s|%.*s\n", l->src ? l->src : "keel", (int)l->len, l->text);
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

struct got {
	char buf[1 << 20];
	size_t len;
};

static void drain(int fd, struct got *g)
{
	ssize_t n;
	while ((n = read(fd, g->buf + g->len, sizeof g->buf - 1 - g->len)) > 0)
		g->len += (size_t)n;
	g->buf[g->len] = '\0';
}

static void pump_loop(int ep, struct sink *k, int rd, struct got *g)
{
	for (int round = 0; round < 1000 && (k->used > 0 || k->armed); round++) {
		drain(rd, g);
		struct epoll_event ev;
		if (epoll_wait(ep, &ev, 1, 100) == 1)
			((struct loop_source *)ev.data.ptr)->ready(NULL, ev.data.ptr, ev.events);
	}
	drain(rd, g);
}

static void put(struct sink *k, const char *src, bool console, unsigned i)
{
	char text[64];
	/* Lines of different lengths, so records and chunks end at varying places. */
	int n = snprintf(text, sizeof text, "line-%u%.*s", i, (int)(i % 23), "xxxxxxxxxxxxxxxxxxxxxxxxx");
	struct log_line l = {.src = src, .console = console, .ms = boot_ms(), .text = text, .len = (size_t)n};
	sink_put(k, &l);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN); /* as in PID 1, where every signal is blocked: EPIPE instead */
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return perror("socketpair"), 1;
	int small = 4096;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	int ep = epoll_create1(EPOLL_CLOEXEC);

	static char q[3000];
	static struct sink k;
	static struct got g;
	sink_init(&k, "console", sv[0], q, sizeof q, fmt, false, 0);
	sink_loop(&k, ep);

	/* Three sources at once and lines not for this sink; the reader does not read yet. */
	unsigned put_a = 0, put_b = 0, put_keel = 0;
	for (unsigned i = 0; i < 3000; i++) {
		put(&k, "a", true, put_a++);
		if (i % 3 == 0)
			put(&k, "b", true, put_b++);
		if (i % 50 == 0)
			put(&k, NULL, true, put_keel++);
		put(&k, "quiet", false, i); /* not marked console: never here, never counted */
	}
	CHECK("sink-drops-counted", k.dropped > 0 && k.dropping, "dropped %llu", (unsigned long long)k.dropped);
	CHECK("sink-armed-when-full", k.armed, "not armed with %u bytes queued", k.used);
	CHECK("sink-queue-bounded", k.used <= sizeof q, "%u", k.used);

	/* The loop's part: read, then write when the socket says it takes more; then more lines. */
	pump_loop(ep, &k, sv[1], &g);
	for (int i = 0; i < 5; i++)
		put(&k, "a", true, put_a++);
	pump_loop(ep, &k, sv[1], &g);
	CHECK("sink-disarmed-when-empty", !k.armed && k.used == 0, "armed %d used %u", k.armed, k.used);

	/* Every record whole ("src|line-N" plus its padding) and, per source, in order. */
	long last_a = -1, last_b = -1, last_keel = -1;
	unsigned got_a = 0, got_b = 0, got_keel = 0, notices = 0, bad = 0, order = 0;
	unsigned long long dropped_said = 0;
	bool line_after_notice = false, notice_pending = false;
	for (char *save = NULL, *ln = strtok_r(g.buf, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char src[16];
		unsigned n, said;
		int pad = -1;
		if (sscanf(ln, "keel|console: dropped %u lines from '%15[a-z]'", &said, src) == 2) {
			notices++;
			dropped_said += said;
			notice_pending = true;
			continue;
		}
		if (sscanf(ln, "%15[a-z]|line-%u%n", src, &n, &pad) != 2 || pad < 0 ||
		    strspn(ln + pad, "x") != n % 23 || ln[pad + n % 23] != '\0') {
			bad++;
			printf("# not whole: '%s'\n", ln);
			continue;
		}
		line_after_notice |= notice_pending;
		long *last = !strcmp(src, "a") ? &last_a : !strcmp(src, "b") ? &last_b : &last_keel;
		unsigned *cnt = !strcmp(src, "a") ? &got_a : !strcmp(src, "b") ? &got_b : &got_keel;
		order += (long)n <= *last;
		*last = (long)n;
		(*cnt)++;
	}
	CHECK("sink-records-whole", bad == 0 && g.len > 0 && g.buf[g.len - 1] == '\0', "%u cut records", bad);
	CHECK("sink-order-per-source", order == 0, "%u out of order", order);
	CHECK("sink-notices", notices >= 2 && line_after_notice, "%u notices", notices);
	CHECK("sink-every-line-received-or-counted",
	      got_a + got_b + got_keel + dropped_said == put_a + put_b + put_keel && dropped_said == k.dropped,
	      "got %u+%u+%u, said dropped %llu, counted %llu, put %u+%u+%u", got_a, got_b, got_keel, dropped_said,
	      (unsigned long long)k.dropped, put_a, put_b, put_keel);
	CHECK("sink-newest-arrives", last_a == (long)put_a - 1, "last a %ld of %u", last_a, put_a);

	/* More sources than the table: the rest are counted together. */
	sink_loop(&k, -1);
	char names[SINK_DROP_SRCS + 3][8];
	uint64_t before = k.dropped;
	for (int round = 0; round < 40; round++)
		for (int s = 0; s < SINK_DROP_SRCS + 3; s++) {
			snprintf(names[s], sizeof names[s], "s%d", s);
			put(&k, names[s], true, (unsigned)round);
		}
	CHECK("sink-sync-mode-bounded", k.used <= sizeof q && k.dropped > before, "used %u", k.used);
	CHECK("sink-other-sources", k.drop_other > 0, "drop_other %u", k.drop_other);
	g.len = 0;
	for (int i = 0; i < 100 && (k.used > 0 || k.dropping); i++) {
		drain(sv[1], &g);
		sink_flush(&k, 10);
	}
	drain(sv[1], &g);
	CHECK("sink-other-notice", strstr(g.buf, "keel|console: dropped ") && strstr(g.buf, " lines from other services"),
	      "%.200s", g.buf);

	/* Outside a loop with an fd that takes nothing: the puts' waits come out of one budget, which
	 * they use up (then none waits), and what does not fit is dropped. */
	int full[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, full);
	fcntl(full[0], F_SETFL, O_NONBLOCK);
	setsockopt(full[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	static char q2[2048];
	static struct sink k2;
	sink_init(&k2, "console", full[0], q2, sizeof q2, fmt, false, 0);
	for (unsigned i = 0; i < 2000; i++)
		put(&k2, NULL, true, i);
	CHECK("sink-sync-wait-budget", k2.sync_left_ms <= 0 && k2.dropped > 0, "budget left %lld ms, %llu dropped",
	      (long long)k2.sync_left_ms, (unsigned long long)k2.dropped);
	close(full[0]);
	close(full[1]);

	/* A failing fd: the queue is let go, puts still never block. */
	close(sv[1]);
	for (int i = 0; i < 100; i++)
		put(&k, "a", true, (unsigned)i);
	CHECK("sink-dead-fd", k.used < sizeof q, "used %u", k.used);
	TEST_EXIT();
}
