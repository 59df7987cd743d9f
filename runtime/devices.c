/* The cgroup v2 device program: a BPF_PROG_TYPE_CGROUP_DEVICE program, assembled here by hand
 * from a rule list (the first rule that matches decides), that lets a keel service's cgroup open
 * only the standard /dev nodes and those the config grants, and an OCI container what its
 * linux.resources.devices allow.
 *
 * Nodes on a mount without nodev are otherwise openable by anyone with CAP_MKNOD (or a volume that
 * carries one); this is what refuses them, as runc and crun do. mknod itself stays allowed so
 * images that create nodes still unpack; opening them is what is denied. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_INSNS 1024

#define RWM (DEV_READ | DEV_WRITE | DEV_MKNOD)
_Static_assert(DEV_READ == BPF_DEVCG_ACC_READ && DEV_WRITE == BPF_DEVCG_ACC_WRITE && DEV_MKNOD == BPF_DEVCG_ACC_MKNOD,
	       "DEV_* are the kernel's access bits");
const struct dev_rule devices_std_rules[] = {
	{'c', true, DEV_ANY, DEV_ANY, DEV_MKNOD},
	{'b', true, DEV_ANY, DEV_ANY, DEV_MKNOD},
	{'c', true, 1, 3, RWM},   /* null */
	{'c', true, 1, 5, RWM},   /* zero */
	{'c', true, 1, 7, RWM},   /* full */
	{'c', true, 1, 8, RWM},   /* random */
	{'c', true, 1, 9, RWM},   /* urandom */
	{'c', true, 5, 0, RWM},   /* tty */
	{'c', true, 5, 1, RWM},   /* console */
	{'c', true, 5, 2, RWM},   /* ptmx */
	{'c', true, 136, DEV_ANY, RWM}, /* pts/N */
};
const unsigned devices_std_count = sizeof devices_std_rules / sizeof devices_std_rules[0];

struct prog {
	struct bpf_insn insn[MAX_INSNS];
	unsigned n;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (p->n < MAX_INSNS)
		p->insn[p->n] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src,
						   .off = off, .imm = imm};
	p->n++;
}

/* r3 = type, r4 = access, r5 = major, r6 = minor. A rule matches when every access asked for is
 * one it names; every test that fails jumps past the rule's return. */
static void emit_rule(struct prog *p, const struct dev_rule *r)
{
	int tests = (r->type != 'a') + (r->major != DEV_ANY) + (r->minor != DEV_ANY) + 1;
	int len = tests + 2; /* tests + mov + exit */
	int at = 0;
	if (r->type != 'a')
		emit(p, BPF_JMP | BPF_JNE | BPF_K, 3, 0, (int16_t)(len - ++at),
		     r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
	if (r->major != DEV_ANY)
		emit(p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, (int16_t)(len - ++at), (int32_t)r->major);
	if (r->minor != DEV_ANY)
		emit(p, BPF_JMP | BPF_JNE | BPF_K, 6, 0, (int16_t)(len - ++at), (int32_t)r->minor);
	/* any access bit the rule does not name: no match */
	emit(p, BPF_JMP | BPF_JSET | BPF_K, 4, 0, (int16_t)(len - ++at), (int32_t)(~r->access & RWM));
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* The verifier's log ends with a statistics line; the reason is the line before it. */
static const char *verifier_reason(char *log, size_t size)
{
	log[size - 1] = '\0';
	char *end = log + strlen(log);
	while (end > log && end[-1] == '\n')
		*--end = '\0';
	char *last = strrchr(log, '\n');
	if (last && !strncmp(last + 1, "processed ", 10)) {
		*last = '\0';
		last = strrchr(log, '\n');
	}
	return last ? last + 1 : log;
}

int devices_attach(int cgroup_fd, const struct dev_rule *rules, unsigned n, bool default_allow, struct err *e)
{
	return devices_attach_cached(cgroup_fd, rules, n, default_allow, NULL, e);
}

int devices_attach_cached(int cgroup_fd, const struct dev_rule *rules, unsigned n, bool default_allow,
			  struct devices_cache *cache, struct err *e)
{
	struct prog p; /* 8 KiB on the stack */
	p.n = 0;
	/* struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; } */
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
	emit(&p, BPF_ALU64 | BPF_AND | BPF_K, 3, 0, 0, 0xffff);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
	emit(&p, BPF_ALU64 | BPF_RSH | BPF_K, 4, 0, 0, 16);
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, 5, 1, 4, 0);
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, 6, 1, 8, 0);
	for (unsigned i = 0; i < n && p.n <= MAX_INSNS; i++)
		emit_rule(&p, &rules[i]);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, default_allow);
	emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	if (p.n > MAX_INSNS)
		return err_set(e, E2BIG, "device program: more than %d instructions", MAX_INSNS);

	union bpf_attr a;
	/* The same rules as the last start's: its loaded program again (no verifier run). */
	size_t len = p.n * sizeof p.insn[0];
	bool same = cache && cache->fd >= 0 && cache->len == len && !memcmp(cache->insn, p.insn, len);
	int fd = same ? (int)fcntl(cache->fd, F_DUPFD_CLOEXEC, 3) : -1;
	memset(&a, 0, sizeof a);
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)p.insn;
	a.insn_cnt = p.n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	if (fd < 0)
		fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
	if (fd < 0 && errno == EINVAL) {
		/* Load again with the verifier's log: its last line says what it refused. */
		char log[4096];
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = sizeof log;
		a.log_level = 1;
		log[0] = '\0';
		if ((int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a) < 0)
			return err_set(e, EINVAL, "device program: bpf BPF_PROG_LOAD: %s", verifier_reason(log, sizeof log));
	}
	if (fd < 0)
		return err_sys(e, errno, "device program: bpf BPF_PROG_LOAD");
	uint8_t *keep = cache && !same ? malloc(len) : NULL;
	if (keep) { /* kept for the next start with these rules */
		if (cache->fd >= 0)
			close(cache->fd);
		free(cache->insn);
		memcpy(keep, p.insn, len);
		cache->insn = keep;
		cache->len = len;
		cache->fd = (int)fcntl(fd, F_DUPFD_CLOEXEC, 3);
	}
	memset(&a, 0, sizeof a);
	a.target_fd = (uint32_t)cgroup_fd;
	a.attach_bpf_fd = (uint32_t)fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	/* MULTI: programs of parent cgroups (systemd's, keel's own) still run; all must allow. */
	a.attach_flags = BPF_F_ALLOW_MULTI;
	int r = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &a, sizeof a);
	int err = errno;
	close(fd); /* the attachment holds the program; it goes with the cgroup */
	if (r < 0)
		return err_sys(e, err, "device program: bpf BPF_PROG_ATTACH");
	return 0;
}
