/* The live reload's plan (init/reload_plan.c): two configs compiled by keelc, what stays, changes,
 * goes and comes, per service and network, and which system keys need a reboot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../format/config.h"
#include "../../init/reload.h"
#include "test.h"

static char dir[] = "/tmp/keel-test-reload-XXXXXX";
static uint8_t *bufs[8];
static int nbufs;

/* Compile `text` with keelc and open it; the buffer stays allocated for the test's life. */
static int load_as(const char *name, const char *text, int minor0, struct cfg *c)
{
	char conf[256], bin[256], cmd[1024];
	snprintf(conf, sizeof conf, "%s/%s.conf", dir, name);
	snprintf(bin, sizeof bin, "%s/%s.bin", dir, name);
	FILE *f = fopen(conf, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "build/host/keelc %s -o %s --layers tests/unit/data/layers%s%s", conf, bin,
		 minor0 ? " && . tests/lib/config-bin.sh && config_bin_to_1_0 " : "", minor0 ? bin : "");
	if (system(cmd) != 0)
		return -1;
	f = fopen(bin, "rb");
	if (!f)
		return -1;
	uint8_t *buf = aligned_alloc(8, 1 << 20);
	bufs[nbufs++] = buf;
	size_t n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	struct err e;
	if (cfg_open(c, buf, n, bin, &e) < 0) {
		printf("# %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int load(const char *name, const char *text, struct cfg *c)
{
	return load_as(name, text, 0, c);
}

#define SYS "[system]\nhostname = one\nctrl_alt_del = reboot\n"
#define NET "[network lan]\nbridge = br0\naddress = 10.88.0.1/24\n"
#define SVC(n, extra) "[service " n "]\nlayers = busybox\nexec = /bin/sleep 1000\n" extra "\n"

static const char *act(uint8_t a)
{
	static const char *const n[] = {"keep", "change", "remove", "add"};
	return a < 4 ? n[a] : "?";
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	struct cfg a, b, c, d, same;
	struct err e;
	int ok = load("a", SYS NET SVC("keep", "network = lan\n") SVC("change", "env = X=1\n") SVC("gone", "")
				 SVC("web", "network = lan\n"), &a) == 0 &&
		 load("b", SYS NET SVC("keep", "network = lan\n") SVC("change", "env = X=2\n")
				 SVC("web", "network = lan\n") SVC("added", "memory_max = 16M\n"), &b) == 0 &&
		 load("c", "[system]\nhostname = two\nctrl_alt_del = poweroff\nmodules = loop\n"
			   "[network lan]\nbridge = br0\naddress = 10.99.0.1/24\n" SVC("keep", "network = lan\n")
				   SVC("change", "env = X=1\n") SVC("gone", "") SVC("web", "network = lan\n"), &c) == 0 &&
		 load("d", SYS SVC("keep", "") SVC("change", "env = X=1\nlayers = www\n"), &d) == 0 &&
		 load("same", SYS NET SVC("keep", "network = lan\n") SVC("change", "env = X=1\n") SVC("gone", "")
				      SVC("web", "network = lan\n"), &same) == 0;
	CHECK("reload-compile", ok, "keelc or cfg_open failed");
	if (!ok)
		goto out;

	struct reload_plan p;
	CHECK("reload-plan-ok", reload_plan(&a, &b, &p, &e) == 0, "%s", e.msg);
	CHECK("reload-keep", p.svc_old[0] == RL_KEEP && p.svc_new[0] == RL_KEEP && p.from[0] == 0, "%s %s %u",
	      act(p.svc_old[0]), act(p.svc_new[0]), p.from[0]);
	CHECK("reload-change-env", p.svc_old[1] == RL_CHANGE && p.svc_new[1] == RL_CHANGE && p.from[1] == 1, "%s %s",
	      act(p.svc_old[1]), act(p.svc_new[1]));
	CHECK("reload-remove", p.svc_old[2] == RL_REMOVE, "%s", act(p.svc_old[2]));
	CHECK("reload-keep-moved", p.svc_old[3] == RL_KEEP && p.svc_new[2] == RL_KEEP && p.from[2] == 3, "%s %u",
	      act(p.svc_new[2]), p.from[2]);
	CHECK("reload-add", p.svc_new[3] == RL_ADD && p.from[3] == RL_NONE, "%s", act(p.svc_new[3]));
	CHECK("reload-net-keep", p.net_old[0] == RL_KEEP && p.net_new[0] == RL_KEEP, "%s", act(p.net_old[0]));
	CHECK("reload-no-reboot-keys", p.reboot[0] == '\0', "'%s'", p.reboot);
	reload_plan_free(&p);

	/* The network's definition changed: every service on it counts as changed; system keys. */
	CHECK("reload-plan-net", reload_plan(&a, &c, &p, &e) == 0, "%s", e.msg);
	CHECK("reload-net-change", p.net_old[0] == RL_CHANGE && p.net_new[0] == RL_CHANGE, "%s", act(p.net_old[0]));
	CHECK("reload-net-services-change", p.svc_new[0] == RL_CHANGE && p.svc_new[3] == RL_CHANGE, "%s %s",
	      act(p.svc_new[0]), act(p.svc_new[3]));
	CHECK("reload-net-others-kept", p.svc_new[1] == RL_KEEP && p.svc_new[2] == RL_KEEP, "%s %s",
	      act(p.svc_new[1]), act(p.svc_new[2]));
	CHECK("reload-reboot-keys", !strcmp(p.reboot, "hostname modules"), "'%s'", p.reboot);
	reload_plan_free(&p);

	/* The network removed; a layer added to a service. */
	CHECK("reload-plan-d", reload_plan(&a, &d, &p, &e) == 0, "%s", e.msg);
	CHECK("reload-net-remove", p.net_old[0] == RL_REMOVE, "%s", act(p.net_old[0]));
	CHECK("reload-leaves-network", p.svc_new[0] == RL_CHANGE, "%s", act(p.svc_new[0]));
	CHECK("reload-layer-change", p.svc_new[1] == RL_CHANGE, "%s", act(p.svc_new[1]));
	CHECK("reload-removed-two", p.svc_old[2] == RL_REMOVE && p.svc_old[3] == RL_REMOVE, "%s %s",
	      act(p.svc_old[2]), act(p.svc_old[3]));
	reload_plan_free(&p);

	CHECK("reload-plan-same", reload_plan(&a, &same, &p, &e) == 0, "%s", e.msg);
	int all = 1;
	for (uint32_t i = 0; i < 4; i++)
		all &= p.svc_old[i] == RL_KEEP && p.svc_new[i] == RL_KEEP && p.from[i] == i;
	CHECK("reload-same-all-kept", all && !p.reboot[0], "not all kept");
	reload_plan_free(&p);

	/* The same text as a 1.0 file: its services mean something else (capabilities), so all change. */
	struct cfg same10;
	CHECK("reload-compile-1.0", load_as("same10", SYS NET SVC("keep", "network = lan\n") SVC("change", "env = X=1\n")
							     SVC("gone", "") SVC("web", "network = lan\n"),
					    1, &same10) == 0, "keelc or config_bin_to_1_0");
	CHECK("reload-plan-minor", reload_plan(&a, &same10, &p, &e) == 0, "%s", e.msg);
	all = 1;
	for (uint32_t i = 0; i < 4; i++)
		all &= p.svc_old[i] == RL_CHANGE && p.svc_new[i] == RL_CHANGE;
	CHECK("reload-minor-changes-all", all, "a service kept across 1.1 -> 1.0");
	reload_plan_free(&p);

	/* From nothing to something and back. */
	struct cfg empty;
	CHECK("reload-compile-empty", load("empty", SYS, &empty) == 0, "keelc");
	CHECK("reload-plan-empty", reload_plan(&empty, &a, &p, &e) == 0 && p.svc_new[0] == RL_ADD && p.svc_new[3] == RL_ADD &&
					   p.net_new[0] == RL_ADD, "not all added");
	reload_plan_free(&p);
	CHECK("reload-plan-to-empty", reload_plan(&a, &empty, &p, &e) == 0 && p.svc_old[0] == RL_REMOVE &&
					      p.svc_old[3] == RL_REMOVE && p.net_old[0] == RL_REMOVE, "not all removed");
	reload_plan_free(&p);
out:
	for (int i = 0; i < nbufs; i++)
		free(bufs[i]);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# %s left behind\n", dir);
	TEST_EXIT();
}
