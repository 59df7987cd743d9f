/* Test driver: builds keel's default seccomp profile for an architecture (x86_64 or aarch64,
 * whatever the host is) and runs the BPF on made-up syscalls with a small classic-BPF interpreter,
 * printing `NAME RESULT` (allow, errno N, kill, other). This is how the arm64 profile is checked
 * on an x86_64 build host: a legacy name that arm64 lacks must not hide a missing *at rule. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/container.h"

static uint32_t load(const struct seccomp_data *d, uint32_t off)
{
	uint32_t v = 0;
	if (off + 4 <= sizeof *d)
		memcpy(&v, (const char *)d + off, 4);
	return v;
}

/* Just what seccomp filters use: loads from seccomp_data, scratch memory, ALU, jumps, returns. */
static uint32_t run(const struct seccomp_prog *p, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->insns[pc];
		uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;
		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			a = BPF_MODE(f->code) == BPF_ABS ? load(d, f->k)
			    : BPF_MODE(f->code) == BPF_IMM ? f->k
			    : BPF_MODE(f->code) == BPF_MEM ? mem[f->k % BPF_MEMWORDS] : 0;
			break;
		case BPF_LDX:
			x = BPF_MODE(f->code) == BPF_MEM ? mem[f->k % BPF_MEMWORDS] : f->k;
			break;
		case BPF_ST: mem[f->k % BPF_MEMWORDS] = a; break;
		case BPF_STX: mem[f->k % BPF_MEMWORDS] = x; break;
		case BPF_ALU:
			switch (BPF_OP(f->code)) {
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_RSH: a >>= src; break;
			case BPF_LSH: a <<= src; break;
			default: return 0xdead;
			}
			break;
		case BPF_JMP: {
			int t;
			switch (BPF_OP(f->code)) {
			case BPF_JA: pc += f->k; continue;
			case BPF_JEQ: t = a == src; break;
			case BPF_JGT: t = a > src; break;
			case BPF_JGE: t = a >= src; break;
			case BPF_JSET: t = (a & src) != 0; break;
			default: return 0xdead;
			}
			pc += t ? f->jt : f->jf;
			break;
		}
		case BPF_RET: return BPF_RVAL(f->code) == BPF_A ? a : f->k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		}
	}
	return 0xdead;
}

static void show(const char *label, uint32_t r)
{
	uint32_t act = r & SECCOMP_RET_ACTION_FULL;
	if (act == SECCOMP_RET_ALLOW)
		printf("%s allow\n", label);
	else if (act == SECCOMP_RET_ERRNO)
		printf("%s errno %u\n", label, r & SECCOMP_RET_DATA);
	else if (act == SECCOMP_RET_KILL_PROCESS || act == SECCOMP_RET_KILL_THREAD)
		printf("%s kill\n", label);
	else
		printf("%s other 0x%x\n", label, r);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: seccomp-arch x86_64|aarch64 NAME[=ARG0]|nr:N ...\n");
		return 2;
	}
	uint32_t arch = !strcmp(argv[1], "aarch64") ? AUDIT_ARCH_AARCH64 : AUDIT_ARCH_X86_64;
	struct cfg c;
	struct cfg_service svc;
	memset(&c, 0, sizeof c);
	memset(&svc, 0, sizeof svc);
	struct seccomp_prog p;
	struct err e;
	if (seccomp_prog_build(&c, &svc, arch, &p, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		struct seccomp_data d = {.arch = arch};
		char name[64];
		unsigned long long arg0 = 0;
		if (!strncmp(argv[i], "nr:", 3)) {
			d.nr = (int)strtol(argv[i] + 3, NULL, 10);
		} else if (!strncmp(argv[i], "arch:", 5)) {
			d.arch = (uint32_t)strtoul(argv[i] + 5, NULL, 0); /* a foreign arch, nr 0 */
		} else {
			snprintf(name, sizeof name, "%s", argv[i]);
			char *eq = strchr(name, '=');
			if (eq) {
				*eq = '\0';
				arg0 = strtoull(eq + 1, NULL, 0);
			}
			d.nr = seccomp_syscall_resolve_name_arch(arch, name);
			if (d.nr < 0) {
				printf("%s absent\n", argv[i]);
				continue;
			}
		}
		d.args[0] = arg0;
		show(argv[i], run(&p, &d));
	}
	seccomp_prog_free(&p);
	return 0;
}
