/* A classic-BPF interpreter for seccomp programs, for tests: runs a struct seccomp_prog on a made-up
 * struct seccomp_data (any architecture's), as the kernel would, and returns the action. Used by
 * tests/host/seccomp-arch.c and the OCI assembler's unit test. */
#ifndef KEEL_TESTS_SECCOMP_BPF_H
#define KEEL_TESTS_SECCOMP_BPF_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <string.h>

#include "../../runtime/process.h"

static inline uint32_t bpf_load(const struct seccomp_data *d, uint32_t off)
{
	uint32_t v = 0;
	if (off + 4 <= sizeof *d)
		memcpy(&v, (const char *)d + off, 4);
	return v;
}

/* Just what seccomp filters use: loads from seccomp_data, scratch memory, ALU, jumps, returns. */
static inline uint32_t bpf_run(const struct seccomp_prog *p, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->insns[pc];
		uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;
		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			a = BPF_MODE(f->code) == BPF_ABS ? bpf_load(d, f->k)
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
	return 0xdead; /* ran off the end: the kernel would refuse such a program */
}

#endif
