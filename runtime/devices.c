/* The cgroup v2 device program: a BPF_PROG_TYPE_CGROUP_DEVICE program, assembled here by hand,
 * that lets the service's cgroup open only the standard /dev nodes and those the config grants.
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

#define ANY UINT32_MAX
#define MAX_INSNS 512

struct dev_rule {
	uint32_t type;          /* BPF_DEVCG_DEV_CHAR or _BLOCK */
	uint32_t major, minor;  /* ANY = wildcard */
	uint32_t access;        /* BPF_DEVCG_ACC_* */
};

#define RWM (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)
static const struct dev_rule std_rules[] = {
	{BPF_DEVCG_DEV_CHAR, ANY, ANY, BPF_DEVCG_ACC_MKNOD},
	{BPF_DEVCG_DEV_BLOCK, ANY, ANY, BPF_DEVCG_ACC_MKNOD},
	{BPF_DEVCG_DEV_CHAR, 1, 3, RWM},   /* null */
	{BPF_DEVCG_DEV_CHAR, 1, 5, RWM},   /* zero */
	{BPF_DEVCG_DEV_CHAR, 1, 7, RWM},   /* full */
	{BPF_DEVCG_DEV_CHAR, 1, 8, RWM},   /* random */
	{BPF_DEVCG_DEV_CHAR, 1, 9, RWM},   /* urandom */
	{BPF_DEVCG_DEV_CHAR, 5, 0, RWM},   /* tty */
	{BPF_DEVCG_DEV_CHAR, 5, 1, RWM},   /* console */
	{BPF_DEVCG_DEV_CHAR, 5, 2, RWM},   /* ptmx */
	{BPF_DEVCG_DEV_CHAR, 136, ANY, RWM}, /* pts/N */
};

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

/* r3 = type, r4 = access, r5 = major, r6 = minor. A rule: every test that fails jumps past the
 * rule's "return 1". */
static void emit_rule(struct prog *p, const struct dev_rule *r)
{
	int len = 4 + (r->major != ANY) + (r->minor != ANY); /* tests + mov + exit */
	int at = 0;
	emit(p, BPF_JMP | BPF_JNE | BPF_K, 3, 0, (int16_t)(len - ++at), (int32_t)r->type);
	if (r->major != ANY)
		emit(p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, (int16_t)(len - ++at), (int32_t)r->major);
	if (r->minor != ANY)
		emit(p, BPF_JMP | BPF_JNE | BPF_K, 6, 0, (int16_t)(len - ++at), (int32_t)r->minor);
	/* any access bit the rule does not grant: no match */
	emit(p, BPF_JMP | BPF_JSET | BPF_K, 4, 0, (int16_t)(len - ++at), (int32_t)(~r->access & RWM));
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
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

int devices_attach(int cgroup_fd, const struct cfg *c, const struct cfg_service *svc, struct devices_cache *cache,
		   struct err *e)
{
	struct prog p; /* 4 KiB on the stack */
	p.n = 0;
	/* struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; } */
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
	emit(&p, BPF_ALU64 | BPF_AND | BPF_K, 3, 0, 0, 0xffff);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
	emit(&p, BPF_ALU64 | BPF_RSH | BPF_K, 4, 0, 0, 16);
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, 5, 1, 4, 0);
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, 6, 1, 8, 0);
	for (size_t i = 0; i < sizeof std_rules / sizeof std_rules[0]; i++)
		emit_rule(&p, &std_rules[i]);
	for (uint32_t i = 0; i < svc->devices.count; i++) {
		const struct cfg_device *d = cfg_device(c, svc->devices, i);
		struct dev_rule r = {
			.type = d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
			.major = d->major,
			.minor = d->minor,
			.access = ((d->access & CFG_DEV_READ) ? BPF_DEVCG_ACC_READ : 0) |
				  ((d->access & CFG_DEV_WRITE) ? BPF_DEVCG_ACC_WRITE : 0) |
				  ((d->access & CFG_DEV_MKNOD) ? BPF_DEVCG_ACC_MKNOD : 0),
		};
		emit_rule(&p, &r);
	}
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
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
