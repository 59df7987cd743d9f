/* PID 1's networks (net.h). The rule building lives in keel-cmd (runtime/firewall.c), not in PID
 * 1's binary (docs/architecture.md, "Size plan"); DHCP packets are read by keel-dhcp, never here:
 * PID 1 reads the helper's one-line leases, checks and applies them by netlink. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../format/rules.h"
#include "../lib/clock.h"
#include "../lib/paths.h"
#include "../runtime/helper.h"
#include "../runtime/network.h"
#include "klog.h"
#include "loop.h"
#include "pid1.h"

#define NET_UP_WAIT_MS 10000   /* keel-cmd net-up: netlink work; a hung one is killed */
#define DHCP_RESTART_MS 5000   /* a DHCP client that died starts again after this */
#define CAP_NET_RAW_BIT (1ull << 13)

struct dhcp_client {
	char net[40];                   /* its network's name */
	pid_t pid;                      /* 0: not running */
	struct loop_source out;         /* its stdout */
	struct helper_lines lines;
	struct net_lease lease;         /* the lease applied; addr 0: none */
	int64_t restart_ms;
};

struct pid1_net {
	struct dhcp_client c[CFG_MAX_NETWORKS];
	uint32_t n;
	struct loop_source timer;       /* restarts */
};

int net_up(struct pid1 *p, struct err *e)
{
	char path[4096];
	if (helper_path(path, sizeof path, "keel-cmd", e) < 0)
		return -1;
	/* The bytes PID 1 checked, not the file again (an update may be writing it). */
	int mfd = (int)syscall(SYS_memfd_create, "config.bin", 1u /* MFD_CLOEXEC */);
	if (mfd < 0)
		return err_sys(e, errno, "memfd_create");
	size_t done = 0;
	while (done < p->cfg.len) {
		ssize_t w = write(mfd, p->cfg.buf + done, p->cfg.len - done);
		if (w <= 0) {
			close(mfd);
			return err_sys(e, errno, "memfd write");
		}
		done += (size_t)w;
	}
	char fdpath[32];
	snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", mfd);
	char *argv[] = {"keel", "net-up", fdpath, NULL};
	/* keel-cmd needs PID 1's capabilities for netlink: all kept (~0), as root. */
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		fcntl(mfd, F_SETFD, 0);
		execv(path, argv);
		_exit(127);
	}
	if (pid < 0) {
		close(mfd);
		return err_sys(e, errno, "fork");
	}
	close(mfd);
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pf = {pfd, POLLIN, 0};
	if (pfd >= 0 && poll(&pf, 1, NET_UP_WAIT_MS) == 0) {
		kill(pid, SIGKILL);
		err_set(e, ETIMEDOUT, "keel net-up: no answer in %d ms: killed", NET_UP_WAIT_MS);
	}
	if (pfd >= 0)
		close(pfd);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (e->code == ETIMEDOUT)
		return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return err_set(e, EIO, "keel net-up failed (status %d; its line is on the console)", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

/* ---- DHCP clients ------------------------------------------------------------------------------ */

static const struct cfg_network *net_of(struct pid1 *p, const struct dhcp_client *d)
{
	return cfg_network_by_name(&p->cfg, d->net);
}

static void arm(struct pid1 *p)
{
	struct pid1_net *x = p->net;
	int64_t next = 0;
	for (uint32_t i = 0; i < x->n; i++)
		if (!x->c[i].pid && x->c[i].restart_ms && (!next || x->c[i].restart_ms < next))
			next = x->c[i].restart_ms;
	struct itimerspec its = {{0, 0}, {0, 0}};
	if (next) {
		int64_t d = next - boot_ms();
		if (d < 1)
			d = 1;
		its.it_value.tv_sec = d / 1000;
		its.it_value.tv_nsec = (d % 1000) * 1000000;
	}
	timerfd_settime(x->timer.fd, 0, &its, NULL);
}

/* One line from a client: a lease is checked, then applied; anything else is logged. */
static void on_line(struct pid1 *p, struct dhcp_client *d, const char *line)
{
	const struct cfg_network *n = net_of(p, d);
	struct err e;
	err_clear(&e);
	if (!strncmp(line, "log ", 4)) {
		klog("dhcp: %s", line + 4);
		return;
	}
	if (!n)
		return;
	if (!strcmp(line, "expire")) {
		if (d->lease.addr && lease_drop(&p->cfg, n, &d->lease, &e) < 0)
			klog("dhcp: network '%s': %s", d->net, e.msg);
		memset(&d->lease, 0, sizeof d->lease);
		return;
	}
	struct net_lease l;
	if (lease_parse(line, &l, &e) < 0 || lease_check(&p->cfg, n, &l, &e) < 0 ||
	    lease_apply(&p->cfg, n, &l, &d->lease, KEEL_RUN_DIR, &e) < 0) {
		klog("dhcp: network '%s': refused: %s (the lease held before is kept)", d->net, e.msg);
		return;
	}
	char a[16], r[16];
	klog("dhcp: network '%s': %s/%u via %s for %u s", d->net, network_ip4(l.addr, a), l.prefix, network_ip4(l.router, r),
	     l.lease_s);
	d->lease = l;
}

static void on_out(struct pid1 *p, struct loop_source *s, uint32_t events)
{
	(void)events;
	struct dhcp_client *d = (struct dhcp_client *)((char *)s - offsetof(struct dhcp_client, out));
	int r = helper_read(s->fd, &d->lines);
	char *line;
	size_t used;
	while ((line = helper_line(&d->lines, &used))) {
		on_line(p, d, line);
		helper_consume(&d->lines, used);
	}
	if (r != 0) { /* its end: the exit comes through SIGCHLD */
		loop_del(p, s);
		close(s->fd);
		s->fd = -1;
	}
}

static void start(struct pid1 *p, struct dhcp_client *d)
{
	const struct cfg_network *n = net_of(p, d);
	char path[4096], up[16];
	struct err e;
	err_clear(&e);
	d->restart_ms = 0;
	if (d->out.fd >= 0) { /* the last one's pipe, not yet at its end */
		loop_del(p, &d->out);
		close(d->out.fd);
		d->out.fd = -1;
	}
	if (!n)
		return;
	cfg_uplink_name(cfg_str(&p->cfg, n->uplink), cfg_network_ext(&p->cfg, n)->vlan, up);
	char *argv[] = {KEEL_DHCP_NAME, up, NULL};
	int fd;
	pid_t pid = helper_path(path, sizeof path, KEEL_DHCP_NAME, &e) < 0 ? -1 : helper_spawn(path, argv, CAP_NET_RAW_BIT, &fd, &e);
	if (pid < 0) {
		klog("dhcp: network '%s': %s", d->net, e.msg);
		d->restart_ms = boot_ms() + DHCP_RESTART_MS;
		return;
	}
	d->pid = pid;
	d->lines.len = 0;
	d->out.fd = fd;
	d->out.ready = on_out;
	if (loop_add(p, &d->out, &e) < 0)
		klog("dhcp: network '%s': %s", d->net, e.msg);
}

static void on_timer(struct pid1 *p, struct loop_source *s, uint32_t events)
{
	(void)events;
	uint64_t n;
	ssize_t r = read(s->fd, &n, sizeof n);
	(void)r;
	int64_t now = boot_ms();
	for (uint32_t i = 0; i < p->net->n; i++)
		if (!p->net->c[i].pid && p->net->c[i].restart_ms && p->net->c[i].restart_ms <= now)
			start(p, &p->net->c[i]);
	arm(p);
}

static void stop(struct pid1 *p, struct dhcp_client *d)
{
	if (d->pid > 0)
		kill(d->pid, SIGTERM); /* it releases its lease; its exit is reaped as any child's */
	if (d->out.fd >= 0) {
		loop_del(p, &d->out);
		close(d->out.fd);
		d->out.fd = -1;
	}
	d->pid = 0;
	d->restart_ms = 0;
}

void net_dhcp_sync(struct pid1 *p, bool restart)
{
	struct err e;
	err_clear(&e);
	uint32_t want = 0;
	for (uint32_t k = 0; k < cfg_network_count(&p->cfg); k++)
		want += !!(cfg_network_ext(&p->cfg, cfg_network(&p->cfg, k))->flags & CFG_NETX_DHCP);
	if (!p->net && !want)
		return; /* no DHCP client ever: nothing allocated, no timer */
	if (!p->net) {
		p->net = calloc(1, sizeof *p->net);
		if (!p->net) {
			klog("dhcp: out of memory");
			return;
		}
		p->net->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		p->net->timer.ready = on_timer;
		if (p->net->timer.fd < 0 || loop_add(p, &p->net->timer, &e) < 0)
			klog("dhcp: restart timer: %s", p->net->timer.fd < 0 ? strerror(errno) : e.msg);
	}
	struct pid1_net *x = p->net;
	/* Clients of networks gone, no longer DHCP, or all of them with `restart`. */
	for (uint32_t i = 0; i < x->n; i++) {
		const struct cfg_network *n = net_of(p, &x->c[i]);
		if (restart || !n || !(cfg_network_ext(&p->cfg, n)->flags & CFG_NETX_DHCP)) {
			stop(p, &x->c[i]);
			x->c[i] = x->c[--x->n];
			/* the loop holds a pointer to its source: the moved one's has changed */
			if (i < x->n && x->c[i].out.fd >= 0 && loop_set(p, &x->c[i].out, EPOLLIN) < 0)
				klog("dhcp: epoll_ctl: %s", strerror(errno));
			i--;
		}
	}
	for (uint32_t k = 0; k < cfg_network_count(&p->cfg); k++) {
		const struct cfg_network *n = cfg_network(&p->cfg, k);
		const char *name = cfg_str(&p->cfg, n->name);
		uint32_t i = 0;
		while (i < x->n && strcmp(x->c[i].net, name))
			i++;
		if (!(cfg_network_ext(&p->cfg, n)->flags & CFG_NETX_DHCP) || i < x->n)
			continue;
		struct dhcp_client *d = &x->c[x->n++];
		memset(d, 0, sizeof *d);
		d->out.fd = -1;
		snprintf(d->net, sizeof d->net, "%s", name);
		start(p, d);
	}
	arm(p);
}

bool net_child_exited(struct pid1 *p, pid_t pid, int status)
{
	if (!p->net)
		return false;
	for (uint32_t i = 0; i < p->net->n; i++) {
		struct dhcp_client *d = &p->net->c[i];
		if (d->pid != pid)
			continue;
		klog("dhcp: network '%s': keel-dhcp exited (status %d); again in %d s", d->net,
		     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), DHCP_RESTART_MS / 1000);
		d->pid = 0;
		if (!p->stopping) {
			d->restart_ms = boot_ms() + DHCP_RESTART_MS;
			arm(p);
		}
		return true;
	}
	return false;
}
