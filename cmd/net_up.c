/* `keel net-up [--dhcp] CONFIG.bin`: the boot step that brings up every network of a config
 * (loopback, the firewall and NAT, bridges with their addresses, uplinks with their VLANs and
 * routes, forwarding) in the current network namespace. PID 1 runs it too, at boot and after a
 * reload. With --dhcp it stays, as PID 1 would, the DHCP client of the uplinks that ask for one. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../format/config.h"
#include "../format/rules.h"
#include "../lib/paths.h"
#include "../runtime/helper.h"
#include "../runtime/network.h"
#include "commands.h"

#define CAP_NET_RAW_BIT (1ull << 13)

static const char usage_text[] =
#include "build/gen/usage/keel-net-up.inc"
	;

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

struct client {
	const struct cfg_network *n;
	pid_t pid;
	int fd;
	struct helper_lines lines;
	struct net_lease lease;
	time_t restart;
};

static void on_line(const struct cfg *c, struct client *d, const char *line, const char *run_dir)
{
	const char *name = cfg_str(c, d->n->name);
	struct err e = {0};
	if (!strncmp(line, "log ", 4)) {
		printf("keel net-up: dhcp: %s\n", line + 4);
	} else if (!strcmp(line, "expire")) {
		if (d->lease.addr && lease_drop(c, d->n, &d->lease, &e) < 0)
			printf("keel net-up: network '%s': %s\n", name, e.msg);
		else
			printf("keel net-up: network '%s': lease ended, address removed\n", name);
		memset(&d->lease, 0, sizeof d->lease);
	} else {
		struct net_lease l;
		char a[16], r[16];
		if (lease_parse(line, &l, &e) < 0 || lease_check(c, d->n, &l, &e) < 0 ||
		    lease_apply(c, d->n, &l, &d->lease, run_dir, &e) < 0) {
			printf("keel net-up: network '%s': refused: %s (the lease held before is kept)\n", name, e.msg);
		} else {
			printf("keel net-up: network '%s': lease %s/%u via %s for %u s\n", name, network_ip4(l.addr, a),
			       l.prefix, network_ip4(l.router, r), l.lease_s);
			d->lease = l;
		}
	}
	fflush(stdout);
}

static void start(const struct cfg *c, struct client *d)
{
	char path[4096], up[16];
	struct err e = {0};
	cfg_uplink_name(cfg_str(c, d->n->uplink), cfg_network_ext(c, d->n)->vlan, up);
	char *argv[] = {KEEL_DHCP_NAME, up, NULL};
	d->restart = 0;
	d->lines.len = 0;
	d->pid = helper_path(path, sizeof path, KEEL_DHCP_NAME, &e) < 0 ? -1 : helper_spawn(path, argv, CAP_NET_RAW_BIT, &d->fd, &e);
	if (d->pid < 0) {
		printf("keel net-up: network '%s': %s\n", cfg_str(c, d->n->name), e.msg);
		d->pid = 0;
		d->fd = -1;
		d->restart = time(NULL) + 5;
	}
}

/* The DHCP clients' loop, until SIGTERM or SIGINT. */
static int dhcp_loop(const struct cfg *c, const char *run_dir)
{
	struct client cl[CFG_MAX_NETWORKS];
	uint32_t n = 0;
	for (uint32_t i = 0; i < cfg_network_count(c); i++)
		if (cfg_network_ext(c, cfg_network(c, i))->flags & CFG_NETX_DHCP) {
			memset(&cl[n], 0, sizeof cl[n]);
			cl[n].n = cfg_network(c, i);
			cl[n].fd = -1;
			start(c, &cl[n++]);
		}
	if (!n) {
		fprintf(stderr, "keel net-up: --dhcp: no network has uplink_address = dhcp\n");
		return 1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	for (int stop = 0; !stop;) {
		struct pollfd p[CFG_MAX_NETWORKS + 1];
		p[0] = (struct pollfd){sfd, POLLIN, 0};
		for (uint32_t i = 0; i < n; i++)
			p[i + 1] = (struct pollfd){cl[i].fd, POLLIN, 0};
		if (poll(p, n + 1, 1000) < 0 && errno != EINTR)
			break;
		for (uint32_t i = 0; i < n; i++) {
			if (!(p[i + 1].revents & (POLLIN | POLLHUP)) || cl[i].fd < 0)
				continue;
			int r = helper_read(cl[i].fd, &cl[i].lines);
			char *line;
			size_t used;
			while ((line = helper_line(&cl[i].lines, &used))) {
				on_line(c, &cl[i], line, run_dir);
				helper_consume(&cl[i].lines, used);
			}
			if (r != 0) {
				close(cl[i].fd);
				cl[i].fd = -1;
			}
		}
		struct signalfd_siginfo si;
		if ((p[0].revents & POLLIN) && read(sfd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD)
			stop = 1;
		int st;
		pid_t pid;
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			for (uint32_t i = 0; i < n; i++)
				if (cl[i].pid == pid && !stop) {
					printf("keel net-up: network '%s': keel-dhcp exited (status %d); again in 5 s\n",
					       cfg_str(c, cl[i].n->name), WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
					fflush(stdout);
					cl[i].pid = 0;
					cl[i].restart = time(NULL) + 5;
				}
		for (uint32_t i = 0; i < n && !stop; i++)
			if (!cl[i].pid && cl[i].restart && time(NULL) >= cl[i].restart)
				start(c, &cl[i]);
	}
	/* Stopped: the clients release their leases; their last lines still show. */
	for (uint32_t i = 0; i < n; i++)
		if (cl[i].pid > 0)
			kill(cl[i].pid, SIGTERM);
	for (uint32_t i = 0; i < n; i++) {
		if (cl[i].pid > 0)
			waitpid(cl[i].pid, NULL, 0);
		if (cl[i].fd >= 0) {
			helper_read(cl[i].fd, &cl[i].lines);
			char *line;
			size_t used;
			while ((line = helper_line(&cl[i].lines, &used))) {
				if (strcmp(line, "expire"))
					on_line(c, &cl[i], line, run_dir);
				helper_consume(&cl[i].lines, used);
			}
		}
		struct err e = {0};
		if (cl[i].lease.addr)
			lease_drop(c, cl[i].n, &cl[i].lease, &e);
	}
	return 0;
}

int cmd_net_up(int argc, char **argv)
{
	int dhcp = 0;
	const char *run_dir = KEEL_RUN_DIR;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--dhcp"))
			dhcp = 1;
		else if (!strcmp(argv[i], "--run-dir") && i + 1 < argc)
			run_dir = argv[++i];
		else
			break;
	}
	if (i != argc - 1 || argv[i][0] == '-') {
		usage(stderr);
		return 2;
	}
	struct err e = {0};
	const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
	uint8_t *buf;
	struct cfg c;
	int rc = 0;
	if (cfg_load(argv[i], base, KEEL_KEYS_DIR, &buf, &c, &e) < 0 || network_up_all(&c, &e) < 0) {
		fprintf(stderr, "keel net-up: %s\n", e.msg);
		rc = 1;
	} else if (dhcp) {
		rc = dhcp_loop(&c, run_dir);
	}
	free(buf);
	return rc;
}
