/* cmd/oci_spec.c and cmd/oci_cgroup.c: config.json mapped onto a container spec (namespaces, root,
 * process, mounts, devices, sysctls, hooks, annotations), linux.resources as cgroup v2 writes (the
 * v1-style fields converted as crun converts them), the device rule list, and every refusal naming
 * its field. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/oci.h"
#include "test.h"

static struct oci_config c;
static struct err e;
static char bundle[64];

#define NS "\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"pid\"},{\"type\":\"uts\"},{\"type\":\"ipc\"},{\"type\":\"network\"}]"
#define PROC "\"process\":{\"args\":[\"sh\",\"-c\",\"true\"],\"cwd\":\"/\"}"

/* config.json from its parts: `linux`'s members (NS unless they list namespaces themselves), a
 * process member (PROC when NULL) and further top-level members. */
static int map3(const char *linux_, const char *proc, const char *extra)
{
	char *text;
	const char *ns = strstr(linux_, "\"namespaces\"") ? "" : NS;
	if (asprintf(&text, "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},%s,"
			    "\"linux\":{%s%s%s}%s%s}",
		     proc ? proc : PROC, ns, *ns && *linux_ ? "," : "", linux_, *extra ? "," : "", extra) < 0)
		return -1;
	memset(&c, 0, sizeof c);
	if (oci_doc_parse(&c.doc, text, strlen(text), "config.json", &e) < 0)
		return -1;
	return oci_config_map(&c, bundle, "t1", &e);
}

static int map(const char *linux_, const char *extra)
{
	return map3(linux_, NULL, extra);
}

static const struct oci_cg_write *cg(const char *file)
{
	for (unsigned i = 0; i < c.ncg_writes; i++)
		if (!strcmp(c.cg_writes[i].file, file))
			return &c.cg_writes[i];
	return NULL;
}

static int refused3(const char *linux_, const char *proc, const char *extra, const char *want)
{
	int r = map3(linux_, proc, extra);
	int ok = r < 0 && strstr(e.msg, want);
	if (!ok)
		printf("# %s / %s: %s\n", linux_, extra, r < 0 ? e.msg : "accepted");
	if (r == 0)
		oci_config_free(&c);
	return ok;
}

static int refused(const char *linux_, const char *extra, const char *want)
{
	return refused3(linux_, NULL, extra, want);
}

int main(void)
{
	snprintf(bundle, sizeof bundle, "/tmp/keel-oci-unit.XXXXXX");
	char rootfs[128];
	CHECK("bundle", mkdtemp(bundle) && snprintf(rootfs, sizeof rootfs, "%s/rootfs", bundle) > 0 &&
				mkdir(rootfs, 0755) == 0,
	      "mkdtemp");

	int r;
	r = map("\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
		"\"sysctl\":{\"net.ipv4.ip_forward\":\"1\",\"kernel.shmmax\":\"1000000\"},"
		"\"devices\":[{\"type\":\"c\",\"path\":\"/dev/fuse\",\"major\":10,\"minor\":229,\"fileMode\":438}],"
		"\"rootfsPropagation\":\"rshared\"",
		"\"hostname\":\"box\",\"mounts\":[{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
		"\"options\":[\"nosuid\",\"nodev\",\"mode=1777\",\"size=1m\"]},"
		"{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"data\",\"options\":[\"rbind\",\"ro\",\"rprivate\"]},"
		"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"ro\"]}],"
		"\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"timeout\":3}],\"poststop\":[{\"path\":\"/bin/true\"}]},"
		"\"annotations\":{\"a\":\"b\"},\"unknownThing\":1");
	CHECK("map-full", r == 0, "%s", e.msg);
	if (r == 0) {
		CHECK("map-namespaces", c.spec.clone_ns == (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET),
		      "clone_ns %llx", (unsigned long long)c.spec.clone_ns);
		CHECK("map-root", c.spec.nlowers == 1 && !strcmp(c.spec.lowers[0], rootfs) && c.spec.root_readonly &&
					  c.spec.root_propagation == (MS_SHARED | MS_REC),
		      "root %s", c.spec.lowers[0]);
		const struct ctr_mount *m = c.spec.mounts;
		CHECK("map-tmpfs", c.spec.nmounts == 3 && !strcmp(m[0].fstype, "tmpfs") && m[0].flags == (MS_NOSUID | MS_NODEV) &&
					   !strcmp(m[0].data, "mode=1777,size=1m"),
		      "tmpfs flags %lx data %s", m[0].flags, m[0].data);
		char data[128];
		snprintf(data, sizeof data, "%s/data", bundle);
		CHECK("map-bind", !m[1].fstype && !strcmp(m[1].source, data) && m[1].flags == (MS_BIND | MS_REC | MS_RDONLY) &&
					  m[1].propagation == (MS_PRIVATE | MS_REC),
		      "bind %s flags %lx", m[1].source, m[1].flags);
		CHECK("map-cgroup-is-cgroup2", !strcmp(m[2].fstype, "cgroup2") && m[2].flags == MS_RDONLY, "%s", m[2].fstype);
		CHECK("map-masked-readonly", c.spec.nmasked == 1 && !strcmp(c.spec.masked[0], "/proc/kcore") &&
						     c.spec.nreadonly == 1 && !strcmp(c.spec.readonly[0], "/proc/sys"),
		      "masked");
		CHECK("map-sysctl", c.spec.nsysctls == 2 && !strcmp(c.spec.sysctls[0].key, "net.ipv4.ip_forward"), "sysctl");
		CHECK("map-device", c.spec.ndevices == 1 && c.spec.devices[0].major == 10 && c.spec.devices[0].mode == 0666,
		      "device");
		CHECK("map-hostname", c.spec.hostname && !strcmp(c.spec.hostname, "box"), "hostname");
		CHECK("map-hooks", c.nhooks[OCI_HOOK_PRESTART] == 1 && c.hooks[OCI_HOOK_PRESTART][0].timeout == 3 &&
					   c.nhooks[OCI_HOOK_POSTSTOP] == 1,
		      "hooks");
		CHECK("map-annotations", !strcmp(c.annotations, "{\"a\":\"b\"}"), "%s", c.annotations);
		CHECK("map-process", c.proc.argv && !strcmp(c.proc.argv[0], "sh") && c.proc.set_umask && c.proc.umask == 022 &&
					     c.proc.find_program && !c.proc.no_new_privs && c.proc.cap_bounding == 0,
		      "process");
		/* the device program: default allow (no rule said otherwise), the spec's device allowed */
		CHECK("map-device-rules", c.dev_default_allow && c.ndev_rules == devices_std_count + 1 &&
						  c.dev_rules[0].major == 10 && c.dev_rules[0].allow,
		      "%u rules", c.ndev_rules);
		oci_config_free(&c);
	}

	r = map3("", "\"process\":{\"args\":[\"/bin/x\"],\"cwd\":\"/w\",\"env\":[\"A=1\"],\"terminal\":true,"
		    "\"consoleSize\":{\"height\":24,\"width\":80},\"user\":{\"uid\":1000,\"gid\":100,\"umask\":63,"
		    "\"additionalGids\":[5,6]},\"capabilities\":{\"bounding\":[\"CAP_NET_ADMIN\",\"CAP_KILL\"],"
		    "\"effective\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\"],\"inheritable\":[\"CAP_KILL\"],"
		    "\"ambient\":[\"CAP_KILL\"]},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":100,\"hard\":200}],"
		    "\"noNewPrivileges\":true,\"oomScoreAdj\":500}", "");
	CHECK("process-map", r == 0, "%s", e.msg);
	if (r == 0) {
		const struct ctr_process *p = &c.proc;
		CHECK("process-identity", p->uid == 1000 && p->gid == 100 && p->ngroups == 2 && p->groups[1] == 6 &&
						  p->umask == 077,
		      "uid %u", (unsigned)p->uid);
		CHECK("process-caps", p->cap_bounding == ((1ULL << 12) | (1ULL << 5)) && p->cap_effective == 1ULL << 5 &&
					      p->cap_ambient == 1ULL << 5,
		      "bounding %llx", (unsigned long long)p->cap_bounding);
		CHECK("process-rlimits", p->nrlimits == 1 && p->rlimits[0].resource == RLIMIT_NOFILE &&
						 p->rlimits[0].soft == 100 && p->rlimits[0].hard == 200,
		      "rlimits");
		CHECK("process-rest", p->no_new_privs && p->set_oom_score_adj && p->oom_score_adj == 500 &&
					      !strcmp(p->cwd, "/w") && !strcmp(p->envp[0], "A=1") && c.terminal && c.rows == 24 &&
					      c.cols == 80,
		      "rest");
		oci_config_free(&c);
	}

	/* linux.resources -> cgroup v2 files. */
	r = map("\"resources\":{\"memory\":{\"limit\":1073741824,\"swap\":2147483648,\"reservation\":-1},"
		"\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"cpus\":\"0-1\"},\"pids\":{\"limit\":-1},"
		"\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}]},"
		"\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
		"\"unified\":{\"memory.high\":\"900000000\",\"cpu.max\":\"20000 100000\"},"
		"\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"},"
		"{\"allow\":false,\"type\":\"b\",\"access\":\"m\"}]}", "");
	CHECK("resources-map", r == 0, "%s", e.msg);
	if (r == 0) {
		const struct oci_cg_write *w;
		CHECK("resources-memory-max", (w = cg("memory.max")) && !strcmp(w->value, "1073741824") && !strcmp(w->ctrl, "memory"),
		      "memory.max");
		CHECK("resources-swap-minus-limit", (w = cg("memory.swap.max")) && !strcmp(w->value, "1073741824"), "swap %s",
		      w ? w->value : "-");
		CHECK("resources-reservation-max", (w = cg("memory.low")) && !strcmp(w->value, "max"), "low");
		CHECK("resources-shares-to-weight", (w = cg("cpu.weight")) && !strcmp(w->value, "39"), "weight %s", w ? w->value : "-");
		CHECK("resources-unified-overrides", (w = cg("cpu.max")) && !strcmp(w->value, "20000 100000") &&
							     (w = cg("memory.high")) && !strcmp(w->value, "900000000"),
		      "cpu.max %s", w ? w->value : "-");
		CHECK("resources-cpuset", (w = cg("cpuset.cpus")) && !strcmp(w->value, "0-1") && !strcmp(w->ctrl, "cpuset"), "cpuset");
		CHECK("resources-pids-max", (w = cg("pids.max")) && !strcmp(w->value, "max"), "pids");
		CHECK("resources-io", (w = cg("io.weight")) && !strcmp(w->value, "default 4950") && (w = cg("io.max")) &&
					      !strcmp(w->value, "8:0 rbps=1048576"),
		      "io %s", w ? w->value : "-");
		CHECK("resources-hugetlb", (w = cg("hugetlb.2MB.max")) && !strcmp(w->value, "4194304"), "hugetlb");
		/* deny-all reset, then the list reversed: the last rule first */
		CHECK("resources-device-rules", !c.dev_default_allow && c.dev_rules[c.ndev_rules - 1].type == 'c' &&
							c.dev_rules[c.ndev_rules - 1].major == 1 &&
							c.dev_rules[c.ndev_rules - 2].type == 'b' && !c.dev_rules[c.ndev_rules - 2].allow,
		      "%u rules", c.ndev_rules);
		oci_config_free(&c);
	}
	r = map("\"resources\":{\"pids\":{\"limit\":0},\"memory\":{\"limit\":0}}", "");
	CHECK("resources-zero-is-unset", r == 0 && c.ncg_writes == 0, "%u writes", c.ncg_writes);
	if (r == 0)
		oci_config_free(&c);

	/* Refused, each naming its field. */
	int ok = 1;
	ok &= refused("\"intelRdt\":{}", "", "config.json: linux.intelRdt: not supported");
	ok &= refused("\"timeOffsets\":{}", "", "linux.timeOffsets: not supported");
	ok &= refused("\"mountLabel\":\"x\"", "", "linux.mountLabel: SELinux");
	ok &= refused("\"resources\":{\"network\":{\"classID\":1}}", "", "linux.resources.network");
	ok &= refused("\"resources\":{\"memory\":{\"kernel\":1000}}", "", "linux.resources.memory.kernel");
	ok &= refused("\"resources\":{\"memory\":{\"swappiness\":10}}", "", "linux.resources.memory.swappiness");
	ok &= refused("\"resources\":{\"cpu\":{\"realtimeRuntime\":10}}", "", "linux.resources.cpu.realtimeRuntime");
	ok &= refused("\"resources\":{\"blockIO\":{\"leafWeight\":10}}", "", "linux.resources.blockIO.leafWeight");
	ok &= refused("\"resources\":{\"memory\":{\"limit\":\"1G\"}}", "", "linux.resources.memory.limit");
	ok &= refused("\"sysctl\":{\"vm.swappiness\":\"10\"}", "", "linux.sysctl.vm.swappiness: not a namespaced sysctl");
	ok &= refused("\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]", "", "linux.uidMappings: id mappings need");
	ok &= refused("\"personality\":{\"domain\":\"LINUX\",\"flags\":[\"x\"]}", "", "linux.personality.flags");
	ok &= refused("", "\"windows\":{}", "windows: keel runs Linux containers only");
	ok &= refused3("", "\"process\":{\"args\":[\"x\"],\"cwd\":\"/\",\"selinuxLabel\":\"x\"}", "", "process.selinuxLabel");
	ok &= refused3("", "\"process\":{\"args\":[\"x\"],\"cwd\":\"/\",\"scheduler\":{}}", "", "process.scheduler");
	ok &= refused3("", "\"process\":{\"args\":[\"x\"],\"cwd\":\"/\",\"ioPriority\":{}}", "", "process.ioPriority");
	ok &= refused3("", "\"process\":{\"args\":[\"x\"],\"cwd\":\"w\"}", "", "process.cwd: expected an absolute path");
	ok &= refused3("", "\"process\":{\"args\":[\"x\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}}", "",
		      "process.capabilities.bounding: unknown capability 'CAP_NOPE'");
	ok &= refused3("", "\"process\":{\"args\":[\"x\"],\"cwd\":\"/\",\"apparmorProfile\":\"p\"}", "", "process.apparmorProfile");
	ok &= refused("", "\"mounts\":[{\"destination\":\"/x\",\"type\":\"tmpfs\",\"options\":[\"idmap\"]}]", "mounts[0].options: 'idmap'");
	ok &= refused("", "\"mounts\":[{\"destination\":\"/x\",\"type\":\"bind\",\"source\":\"/\",\"uidMappings\":[]}]",
		      "mounts[0].uidMappings");
	ok &= refused("\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"time\"}]", "", "time namespaces are not supported");
	ok &= refused("\"namespaces\":[{\"type\":\"mount\"}]", "\"hostname\":\"x\"", "hostname: needs a UTS namespace");
	ok &= refused("", "\"ociVersion\":\"2.0.0\"", "appears twice");
	CHECK("refusals-name-the-field", ok, "see the lines above");
	char rm[128];
	snprintf(rm, sizeof rm, "rm -rf %s", bundle);
	CHECK("cleanup", system(rm) == 0, "rm");
	TEST_EXIT();
}
