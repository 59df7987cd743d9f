/* keel-dhcp IFNAME: the DHCPv4 client of one uplink, a helper PID 1 starts (docs/networking.md,
 * "DHCP on the uplink"). It faces the network, so it holds as little as possible: started with
 * CAP_NET_RAW only, it opens its packet socket, then drops that too, sets no_new_privs and a
 * seccomp filter of the dozen calls it makes. It parses what servers send (dhcp_msg.c) and hands
 * each lease to PID 1 as one line on stdout; PID 1 validates it and applies it by netlink:
 *   lease ADDR/PREFIX ROUTER LEASE_S SERVER [DNS ...]   (ROUTER 0.0.0.0: none)
 *   expire                                             (the address must go)
 *   log TEXT                                           (for PID 1's log)
 * RFC 2131's client: discover, offer, request, ack; renew (unicast) at T1, rebind (broadcast) at
 * T2, expiry; a release when it is stopped (SIGTERM). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dhcp_msg.h"

enum state { INIT, SELECTING, REQUESTING, BOUND, RENEWING, REBINDING };

struct client {
	const char *ifname;
	int fd, ifindex;
	uint8_t mac[6];
	enum state st;
	uint32_t xid;
	int64_t start_ms, next_ms;      /* when this exchange began; the next send or timer */
	unsigned tries;
	struct dhcp_reply offer, lease; /* the offer being requested; the lease held (lease.yiaddr) */
	uint8_t server_mac[6];          /* where the lease came from: renewals go there */
	int64_t bound_ms;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_BOOTTIME, &t); /* a lease runs on while the device sleeps */
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One line to PID 1: whole, with one write. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	ssize_t w = write(STDOUT_FILENO, line, (size_t)n);
	(void)w;
}

static const char *ip(uint32_t a, char *b)
{
	snprintf(b, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return b;
}

static int die(const char *what)
{
	say("log %s", what);
	return 1;
}

/* ---- the socket, then nothing more ----------------------------------------------------------- */

/* Only UDP to port 68 reaches us (classic BPF on the packet socket, from the IP header). */
static int attach_filter(int fd)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),          /* protocol */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 5),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),          /* fragment offset */
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 3, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),         /* X = header length */
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),          /* UDP destination port */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 68, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, DHCP_PKT_MAX),
	};
	struct sock_fprog p = {sizeof f / sizeof f[0], f};
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof p);
}

static int open_socket(struct client *c)
{
	c->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, __builtin_bswap16(ETH_P_IP));
	if (c->fd < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", c->ifname);
	if (ioctl(c->fd, SIOCGIFINDEX, &ifr) < 0)
		return -1;
	c->ifindex = ifr.ifr_ifindex;
	if (ioctl(c->fd, SIOCGIFHWADDR, &ifr) < 0)
		return -1;
	memcpy(c->mac, ifr.ifr_hwaddr.sa_data, 6);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = __builtin_bswap16(ETH_P_IP),
				  .sll_ifindex = c->ifindex};
	if (attach_filter(c->fd) < 0 || bind(c->fd, (struct sockaddr *)&sll, sizeof sll) < 0)
		return -1;
	return 0;
}

/* Every capability gone (the socket is open), no new privileges, and the calls below only. */
static int confine(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	if (syscall(SYS_capset, &h, d) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif
#ifdef ARCH
	static const int allowed[] = {
		SYS_read, SYS_write, SYS_writev, SYS_recvfrom, SYS_sendto, SYS_ppoll, SYS_clock_gettime,
		SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_close, SYS_exit, SYS_exit_group, SYS_getrandom,
#ifdef SYS_poll
		SYS_poll,
#endif
	};
	enum { N = sizeof allowed / sizeof allowed[0] };
	struct sock_filter f[4 + 2 * N + 1];
	unsigned k = 0;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (unsigned i = 0; i < N; i++) {
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)allowed[i], 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	struct sock_fprog p = {(unsigned short)k, f};
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p, 0, 0) < 0)
		return -1;
#endif
	return 0;
}

/* ---- the exchange ------------------------------------------------------------------------------ */

static void send_msg(struct client *c, uint8_t type, int to_server)
{
	struct dhcp_req q = {.type = type, .xid = c->xid, .secs = 0};
	memcpy(q.chaddr, c->mac, 6);
	int held = c->st == RENEWING || c->st == REBINDING || type == DHCP_RELEASE;
	q.ciaddr = held ? c->lease.yiaddr : 0;
	q.src = q.ciaddr;
	q.dst = to_server ? c->lease.server : 0xffffffffu;
	if (c->st == REQUESTING) {
		q.requested = c->offer.yiaddr;
		q.server = c->offer.server;
	}
	if (type == DHCP_RELEASE)
		q.server = c->lease.server;
	int64_t secs = (now_ms() - c->start_ms) / 1000;
	q.secs = (uint16_t)(secs > 65535 ? 65535 : secs);
	uint8_t pkt[DHCP_PKT_MAX];
	size_t n = dhcp_build(pkt, &q);
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_protocol = __builtin_bswap16(ETH_P_IP),
				 .sll_ifindex = c->ifindex, .sll_halen = 6};
	memcpy(to.sll_addr, to_server ? c->server_mac : (const uint8_t *)"\xff\xff\xff\xff\xff\xff", 6);
	if (sendto(c->fd, pkt, n, 0, (struct sockaddr *)&to, sizeof to) < 0)
		say("log %s: send: %s", c->ifname, strerror(errno));
}

static uint32_t rnd(void)
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof v, GRND_NONBLOCK) != sizeof v)
		v = (uint32_t)now_ms() * 2654435761u;
	return v;
}

/* Retransmit with a doubling delay from 4 s up to 64 s, plus up to a second of jitter. */
static int64_t backoff(struct client *c)
{
	unsigned s = 4u << (c->tries < 4 ? c->tries : 4);
	c->tries++;
	return now_ms() + (int64_t)s * 1000 + rnd() % 1000;
}

static void begin(struct client *c, enum state st)
{
	c->st = st;
	c->tries = 0;
	c->xid = rnd();
	c->start_ms = now_ms();
}

static int64_t at(const struct client *c, uint32_t s)
{
	return c->bound_ms + (int64_t)s * 1000;
}

/* Lease times, with RFC 2131's defaults for T1 (1/2) and T2 (7/8) when absent or out of order. */
static void times(struct dhcp_reply *l)
{
	if (!l->t2_s || l->t2_s >= l->lease_s)
		l->t2_s = (uint32_t)((uint64_t)l->lease_s * 7 / 8);
	if (!l->t1_s || l->t1_s >= l->t2_s)
		l->t1_s = l->lease_s / 2;
}

static void lost(struct client *c, const char *why)
{
	if (c->lease.yiaddr) {
		say("log %s: lease of %u.%u.%u.%u %s", c->ifname, c->lease.yiaddr >> 24, (c->lease.yiaddr >> 16) & 255,
		    (c->lease.yiaddr >> 8) & 255, c->lease.yiaddr & 255, why);
		say("expire");
	}
	memset(&c->lease, 0, sizeof c->lease);
	begin(c, INIT);
	c->next_ms = now_ms();
}

static void on_reply(struct client *c, const struct dhcp_reply *r, const uint8_t *from_mac)
{
	char a[16], b[16], d[16];
	if (r->xid != c->xid || memcmp(r->chaddr, c->mac, 6))
		return; /* another client's exchange */
	if (c->st == SELECTING && r->type == DHCP_OFFER) {
		c->offer = *r;
		c->st = REQUESTING;
		c->tries = 0;
		send_msg(c, DHCP_REQUEST, 0);
		c->next_ms = backoff(c);
		return;
	}
	if (c->st != REQUESTING && c->st != RENEWING && c->st != REBINDING)
		return;
	if (r->type == DHCP_NAK) {
		say("log %s: %s refused (nak from %s)", c->ifname, c->st == REQUESTING ? "request" : "lease", ip(r->server, a));
		lost(c, "refused by the server");
		return;
	}
	if (r->type != DHCP_ACK)
		return;
	if (c->lease.yiaddr && c->lease.yiaddr != r->yiaddr)
		say("expire"); /* a different address: the old one goes first */
	int renewed = c->st != REQUESTING;
	c->lease = *r;
	times(&c->lease);
	memcpy(c->server_mac, from_mac, 6);
	c->bound_ms = now_ms();
	c->st = BOUND;
	c->next_ms = at(c, c->lease.t1_s);
	uint32_t mask = r->mask ? r->mask : 0xffffff00u;
	unsigned prefix = (unsigned)__builtin_popcount(mask);
	char line[256];
	int n = snprintf(line, sizeof line, "lease %s/%u %s %u %s", ip(r->yiaddr, a), prefix, ip(r->router, b),
			 r->lease_s, ip(r->server, d));
	for (unsigned i = 0; i < r->ndns && n > 0 && (size_t)n < sizeof line; i++)
		n += snprintf(line + n, sizeof line - (size_t)n, " %s", ip(r->dns[i], a));
	say("log %s: %s %s/%u from %s for %u s (renew at %u s, rebind at %u s)", c->ifname,
	    renewed ? "renewed" : "leased", ip(r->yiaddr, a), prefix, ip(r->server, b), r->lease_s, c->lease.t1_s,
	    c->lease.t2_s);
	say("%s", line);
}

/* What the clock says to do now. */
static void on_timer(struct client *c)
{
	int64_t t = now_ms();
	switch (c->st) {
	case INIT:
		begin(c, SELECTING);
		/* fall through */
	case SELECTING:
		send_msg(c, DHCP_DISCOVER, 0);
		c->next_ms = backoff(c);
		return;
	case REQUESTING:
		if (c->tries >= 4) {
			begin(c, INIT);
			c->next_ms = t;
			return;
		}
		send_msg(c, DHCP_REQUEST, 0);
		c->next_ms = backoff(c);
		return;
	case BOUND:
		say("log %s: renewing with %u.%u.%u.%u", c->ifname, c->lease.server >> 24, (c->lease.server >> 16) & 255,
		    (c->lease.server >> 8) & 255, c->lease.server & 255);
		begin(c, RENEWING);
		/* fall through */
	case RENEWING:
	case REBINDING:
		if (t >= at(c, c->lease.lease_s)) {
			lost(c, "expired");
			return;
		}
		if (c->st == RENEWING && t >= at(c, c->lease.t2_s)) {
			say("log %s: no answer to the renewal: rebinding", c->ifname);
			c->st = REBINDING;
		}
		send_msg(c, DHCP_REQUEST, c->st == RENEWING);
		/* RFC 2131 4.4.5: half the time left to the next deadline, at least 60 s; shortened
		 * for leases too short for that (2 s floor). */
		int64_t until = at(c, c->st == RENEWING ? c->lease.t2_s : c->lease.lease_s), wait = (until - t) / 2;
		if (wait > 60000)
			wait = wait < 120000 ? 60000 : wait;
		if (wait < 2000)
			wait = until - t < 2000 ? until - t : 2000;
		c->next_ms = t + wait;
		return;
	}
}

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		int help = argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
		fprintf(help ? stdout : stderr,
			"usage: keel-dhcp IFNAME\n"
			"The DHCPv4 client of one uplink, started by keel (PID 1 or `keel net-up --dhcp`) with\n"
			"CAP_NET_RAW only. Leases go to stdout as lines for keel to check and apply:\n"
			"  lease ADDR/PREFIX ROUTER LEASE_S SERVER [DNS ...]\n  expire\n  log TEXT\n");
		return help ? 0 : 2;
	}
	struct client c;
	memset(&c, 0, sizeof c);
	c.ifname = argv[1];
	if (strlen(c.ifname) >= IFNAMSIZ)
		return die("interface name too long");
	/* SIGTERM waits blocked; ppoll lets it in, so it never interrupts anything else. */
	sigset_t term, none;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigprocmask(SIG_BLOCK, &term, &none);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	char err[160];
	if (open_socket(&c) < 0) {
		snprintf(err, sizeof err, "%s: packet socket: %s", c.ifname, strerror(errno));
		return die(err);
	}
	if (confine() < 0) {
		snprintf(err, sizeof err, "%s: dropping privileges: %s", c.ifname, strerror(errno));
		return die(err);
	}
	begin(&c, INIT);
	c.next_ms = now_ms();
	while (!stop) {
		int64_t t = now_ms();
		if (t >= c.next_ms) {
			on_timer(&c);
			continue;
		}
		int64_t wait = c.next_ms - t;
		struct timespec ts = {wait / 1000, (wait % 1000) * 1000000};
		struct pollfd pfd = {c.fd, POLLIN, 0};
		int r = ppoll(&pfd, 1, &ts, &none);
		if (r < 0 && errno != EINTR) {
			snprintf(err, sizeof err, "%s: poll: %s", c.ifname, strerror(errno));
			return die(err);
		}
		if (r <= 0)
			continue;
		uint8_t pkt[DHCP_PKT_MAX];
		struct sockaddr_ll from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(c.fd, pkt, sizeof pkt, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		struct dhcp_reply rep;
		char why[128], a[16];
		if (dhcp_parse(pkt, (size_t)n, &rep, why, sizeof why) < 0) {
			/* Ours? A malformed packet says nothing we could trust: only its source. */
			say("log %s: ignored a packet from %s: %s", c.ifname, n >= 20 ? ip(rep.src, a) : "?", why);
			continue;
		}
		on_reply(&c, &rep, from.sll_addr);
	}
	if (c.lease.yiaddr && c.st != INIT) {
		char a[16];
		send_msg(&c, DHCP_RELEASE, 1);
		say("log %s: released %s", c.ifname, ip(c.lease.yiaddr, a));
	}
	return 0;
}
