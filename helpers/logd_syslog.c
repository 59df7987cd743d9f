/* keel-logd's remote syslog: RFC 5424 messages to one collector over UDP or TCP (RFC 6587 octet
 * counting), and TLS (RFC 5425) through logd_tls.c; a bounded queue with counted drops. */
#include "logd_syslog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "logd_tls.h"

#define DELAY_FIRST_MS 1000u
#define DELAY_MAX_MS 30000u
static void consume(struct slog *s, uint32_t n);

#define MSG_MAX 2048u     /* RFC 5424 8.1: receivers should take 2048 bytes; lines are cut there */

static int parse_target(struct slog *s, const char *t, struct err *e)
{
	static const char *const protos[] = {"udp:", "tcp:", "tls:"};
	s->proto = 0;
	for (int i = 0; i < 3; i++)
		if (!strncmp(t, protos[i], 4))
			s->proto = i + 1;
	char addr[32];
	const char *colon = s->proto ? strrchr(t + 4, ':') : NULL;
	struct in_addr in;
	unsigned long port = colon ? strtoul(colon + 1, NULL, 10) : 0;
	if (!colon || (size_t)(colon - (t + 4)) >= sizeof addr || port < 1 || port > 65535)
		return err_set(e, EINVAL, "--syslog '%s': expected udp|tcp|tls:A.B.C.D:PORT", t);
	memcpy(addr, t + 4, (size_t)(colon - (t + 4)));
	addr[colon - (t + 4)] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1)
		return err_set(e, EINVAL, "--syslog '%s': expected an IPv4 address", t);
	s->addr = ntohl(in.s_addr);
	s->port = (uint16_t)port;
	return 0;
}

int slog_init(struct slog *s, const char *target, struct err *e)
{
	const char *ca = s->ca, *name = s->server_name;
	memset(s, 0, sizeof *s);
	s->ca = ca;
	s->server_name = name;
	s->fd = -1;
	s->delay_ms = DELAY_FIRST_MS;
	if (parse_target(s, target, e) < 0)
		return -1;
	struct utsname u;
	snprintf(s->hostname, sizeof s->hostname, "%s", uname(&u) == 0 && u.nodename[0] ? u.nodename : "-");
	/* RFC 5424 HOSTNAME is PRINTUSASCII without spaces. */
	for (char *c = s->hostname; *c; c++)
		if (*c <= ' ' || *c > '~')
			*c = '_';
	s->q = malloc(SLOG_QUEUE);
	if (!s->q)
		return err_set(e, ENOMEM, "out of memory");
	if (s->proto == SLOG_TLS && slog_tls_init(s, e) < 0)
		return -1;
	return 0;
}

size_t slog_format(const struct slog *s, const struct logd_rec *r, int64_t real_ms, char *out, size_t size)
{
	time_t t = (time_t)(real_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char procid[16] = "-";
	if (r->pid > 0)
		snprintf(procid, sizeof procid, "%d", r->pid);
	int n = snprintf(out, size, "<%u>1 %04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s %s %s - - ", SLOG_FACILITY * 8 + r->sev,
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)(real_ms % 1000), s->hostname, r->name[0] ? r->name : LOGD_INIT_NAME, procid);
	if (n < 0 || (size_t)n >= size)
		return 0;
	size_t k = r->len < size - (size_t)n ? r->len : size - (size_t)n;
	memcpy(out + n, r->text, k);
	return (size_t)n + k;
}

static void enqueue(struct slog *s, const void *d, uint32_t n)
{
	uint32_t at = (s->head + s->used) % SLOG_QUEUE;
	uint32_t a = SLOG_QUEUE - at < n ? SLOG_QUEUE - at : n;
	memcpy(s->q + at, d, a);
	memcpy(s->q, (const char *)d + a, n - a);
	s->used += n;
}

/* One message into the queue, framed for its transport; false when it does not fit. */
static int queue_msg(struct slog *s, const char *msg, size_t len)
{
	char frame[16];
	int f = s->proto == SLOG_UDP ? 2 : snprintf(frame, sizeof frame, "%zu ", len);
	if (s->proto == SLOG_UDP) {
		frame[0] = (char)(len >> 8);
		frame[1] = (char)len;
	}
	if ((uint64_t)s->used + (uint64_t)f + len > SLOG_QUEUE)
		return 0;
	enqueue(s, frame, (uint32_t)f);
	enqueue(s, msg, (uint32_t)len);
	return 1;
}

static int64_t real_ms_of(int64_t boot)
{
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	return (int64_t)rt.tv_sec * 1000 + rt.tv_nsec / 1000000 - (boot_ms() - boot);
}

/* Drops since the collector last took messages: one warning before the next message. */
static void tell_drops(struct slog *s)
{
	if (s->dropped == s->dropped_told)
		return;
	char text[120], msg[400];
	struct logd_rec r = {.sev = 4, .ms = boot_ms(), .pid = (int)getpid(), .name = "keel-logd"};
	r.len = (size_t)snprintf(text, sizeof text, "syslog: dropped %llu messages while the collector did not take them",
				 (unsigned long long)(s->dropped - s->dropped_told));
	r.text = text;
	size_t n = slog_format(s, &r, real_ms_of(r.ms), msg, sizeof msg);
	if (queue_msg(s, msg, n))
		s->dropped_told = s->dropped;
}

void slog_put(struct slog *s, const struct logd_rec *r)
{
	char msg[MSG_MAX];
	size_t n = slog_format(s, r, real_ms_of(r->ms), msg, sizeof msg);
	/* Drops are told once half the queue is free again, as PID 1's sinks do. */
	if (s->dropped != s->dropped_told && s->used <= SLOG_QUEUE / 2)
		tell_drops(s);
	if (!n || (s->dropped != s->dropped_told && s->used > SLOG_QUEUE / 2) || !queue_msg(s, msg, n))
		s->dropped++;
}

static void disconnect(struct slog *s, int64_t now)
{
	if (s->tls)
		slog_tls_reset(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->connecting = 0;
	s->retry_ms = now + s->delay_ms;
	s->delay_ms = s->delay_ms >= DELAY_MAX_MS / 2 ? DELAY_MAX_MS : s->delay_ms * 2;
	/* A frame cut by the lost connection cannot be finished on the next one: its rest goes, and
	 * the message counts as dropped. */
	if (s->frame_left) {
		consume(s, s->frame_left);
		s->frame_left = 0;
		s->dropped++;
	}
}

static void connect_now(struct slog *s, int64_t now)
{
	int type = s->proto == SLOG_UDP ? SOCK_DGRAM : SOCK_STREAM;
	s->fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(s->port), .sin_addr.s_addr = htonl(s->addr)};
	if (s->fd < 0) {
		disconnect(s, now);
		return;
	}
	if (connect(s->fd, (struct sockaddr *)&a, sizeof a) == 0) {
		s->connecting = 0;
		if (s->tls)
			slog_tls_start(s);
		return;
	}
	if (errno == EINPROGRESS) {
		s->connecting = 1;
		return;
	}
	disconnect(s, now);
}

/* Bytes at the head of the queue, up to n, as one or two pieces. */
static uint32_t peek(const struct slog *s, uint32_t off, char *out, uint32_t n)
{
	if (n > s->used - off)
		n = s->used - off;
	for (uint32_t i = 0; i < n; i++)
		out[i] = s->q[(s->head + off + i) % SLOG_QUEUE];
	return n;
}

static void consume(struct slog *s, uint32_t n)
{
	if (n > s->used)
		n = s->used;
	s->head = (s->head + n) % SLOG_QUEUE;
	s->used -= n;
	if (!s->used)
		s->head = 0;
}

/* UDP: one datagram per message while the socket takes them. */
static void send_udp(struct slog *s, int64_t now)
{
	char msg[MSG_MAX + 2];
	while (s->used >= 2) {
		peek(s, 0, msg, 2);
		uint32_t len = (uint32_t)(unsigned char)msg[0] << 8 | (unsigned char)msg[1];
		peek(s, 2, msg, len);
		ssize_t w = send(s->fd, msg, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		/* ECONNREFUSED (an ICMP port unreachable for an earlier datagram) and the like: this
		 * message is lost, as UDP's are; the socket stays. */
		if (w < 0) {
			s->dropped++;
			if (errno != ECONNREFUSED) {
				consume(s, 2 + len);
				disconnect(s, now);
				return;
			}
		} else {
			s->sent++;
			s->delay_ms = DELAY_FIRST_MS;
		}
		consume(s, 2 + len);
	}
}

/* The frame at the head of the queue: "LEN " and LEN bytes; its whole size. */
static uint32_t frame_size(const struct slog *s)
{
	uint32_t len = 0, digits = 0;
	for (;; digits++) {
		char c = s->q[(s->head + digits) % SLOG_QUEUE];
		if (c == ' ' || digits >= s->used || digits > 9)
			break;
		len = len * 10 + (uint32_t)(c - '0');
	}
	return digits + 1 + len;
}

/* w bytes of the stream went: whole messages count as sent. */
static void stream_sent(struct slog *s, uint32_t w)
{
	while (w) {
		if (!s->frame_left)
			s->frame_left = frame_size(s);
		uint32_t k = w < s->frame_left ? w : s->frame_left;
		consume(s, k);
		s->frame_left -= k;
		w -= k;
		if (!s->frame_left)
			s->sent++;
	}
}

/* TCP (and TLS): the stream of frames as the socket takes it. */
static void send_tcp(struct slog *s, int64_t now)
{
	char buf[8192];
	while (s->used) {
		uint32_t n = peek(s, 0, buf, sizeof buf);
		ssize_t w = s->tls ? slog_tls_write(s, buf, n) : send(s->fd, buf, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) {
			disconnect(s, now);
			return;
		}
		s->delay_ms = DELAY_FIRST_MS;
		stream_sent(s, (uint32_t)w);
	}
}

void slog_poll(struct slog *s, struct pollfd *pf, int64_t now, int *timeout_ms)
{
	pf->fd = -1;
	pf->events = 0;
	if (s->fd < 0) {
		int64_t wait = s->retry_ms - now;
		if (wait < 0)
			wait = 0;
		if (*timeout_ms < 0 || wait < *timeout_ms)
			*timeout_ms = (int)wait;
		return;
	}
	pf->fd = s->fd;
	/* TCP: the collector closing; UDP: errors; TLS: records, when the engine takes them (else a
	 * waiting record would wake us for nothing until the engine's turn comes). */
	pf->events = s->tls && !s->connecting && !slog_tls_wants_read(s) ? 0 : POLLIN;
	if (s->connecting || s->used || (s->tls && slog_tls_wants_write(s)))
		pf->events |= POLLOUT;
}

void slog_io(struct slog *s, short revents, int64_t now)
{
	if (s->fd < 0) {
		if (now >= s->retry_ms)
			connect_now(s, now);
		if (s->fd < 0)
			return;
	}
	if (s->connecting) {
		int err = 0;
		socklen_t l = sizeof err;
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err) {
			disconnect(s, now);
			return;
		}
		s->connecting = 0;
		if (s->tls)
			slog_tls_start(s);
	}
	if (revents & POLLIN) {
		char buf[512];
		ssize_t r = s->tls ? slog_tls_read(s) : recv(s->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (s->proto != SLOG_UDP && (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))) {
			disconnect(s, now);
			return;
		}
	}
	if (s->tls && slog_tls_pump(s) < 0) {
		disconnect(s, now);
		return;
	}
	if (s->tls && !slog_tls_ready(s))
		return;
	for (int round = 0; round < 2; round++) { /* the drops told once there is room, then sent too */
		if (s->dropped != s->dropped_told && s->used <= SLOG_QUEUE / 2)
			tell_drops(s);
		if (s->proto == SLOG_UDP)
			send_udp(s, now);
		else
			send_tcp(s, now);
		if (s->fd < 0)
			return;
	}
}
