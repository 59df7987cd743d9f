/* The seccomp filter of one service: a short prefix assembled here (architecture check, the
 * service's own rules, user namespaces if allowed, ENOSYS for syscalls newer than the profile)
 * in front of the default profile, which was compiled to BPF at build time (seccomp_profile.h). */
#include "seccomp_profile.h"
#include "svc_spec.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint32_t action(const struct cfg_syscall_rule *r)
{
	switch (r->action) {
	case CFG_SC_ALLOW: return SECCOMP_RET_ALLOW;
	case CFG_SC_KILL: return SECCOMP_RET_KILL_PROCESS;
	default: return SECCOMP_RET_ERRNO | (r->errno_value & SECCOMP_RET_DATA);
	}
}

/* Instructions of the prefix besides two per rule: the arch check (3), loading the number (1),
 * three user-namespace rules (6), the ENOSYS range (3). */
#define PREFIX_FIXED 13

int seccomp_prog_build(const struct cfg *c, const struct cfg_service *svc, struct seccomp_prog *p,
		       struct err *e)
{
	uint32_t nrules = svc->syscalls.count;
	if ((uint64_t)PREFIX_FIXED + 2 * (uint64_t)nrules + seccomp_default_len > BPF_MAXINSNS)
		return err_set(e, E2BIG, "seccomp: %u syscall rules, at most %d fit in one filter", nrules,
			       (BPF_MAXINSNS - PREFIX_FIXED - seccomp_default_len) / 2);
	struct sock_filter *f = p->insns;
	unsigned n = 0;
	/* Syscall numbers mean nothing under another architecture's ABI (x86_64's i386 entry). */
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_profile_arch, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	/* The service's rules replace the profile's for their syscall: first match wins. */
	for (uint32_t i = 0; i < nrules; i++) {
		const struct cfg_syscall_rule *r = cfg_syscall(c, svc->syscalls, i);
		const char *name = cfg_str(c, r->name);
		int nr = seccomp_syscall_nr(name);
		if (nr == -1)
			return err_set(e, EINVAL, "seccomp: syscall '%s': not a syscall keel knows", name);
		if (nr < 0)
			continue; /* a syscall of the other device architecture only */
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action(r));
	}
	/* The profile refuses new user namespaces (clone/unshare with CLONE_NEWUSER, and clone3,
	 * whose flags it cannot read); a service allowed them gets the three calls outright. */
	if (svc->flags & CFG_SVC_USERNS_ALLOW) {
		static const char *const cloners[] = {"clone", "unshare", "clone3"};
		for (size_t i = 0; i < 3; i++) {
			int nr = seccomp_syscall_nr(cloners[i]);
			if (nr < 0)
				continue;
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1);
			f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		}
	}
	/* Syscalls newer than the profile: ENOSYS, so a libc falls back to an older call as it would
	 * on an older kernel. Numbers with x86_64's x32 bit are the profile's to refuse. */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, seccomp_profile_max_nr, 0, 2);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	/* Every jump in the profile is relative and lands inside it: it runs unchanged after us. */
	memcpy(f + n, seccomp_default_prog, seccomp_default_len * sizeof *f);
	p->len = (unsigned short)(n + seccomp_default_len);
	p->flags = 0;
	return 0;
}

int seccomp_prog_allow(const char *const *names, size_t n, uint32_t deny, struct seccomp_prog *p, struct err *e)
{
	if (4 + 2 * n + 1 > BPF_MAXINSNS)
		return err_set(e, E2BIG, "seccomp: %zu syscalls do not fit in one filter", n);
	struct sock_filter *f = p->insns;
	unsigned k = 0;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_profile_arch, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_nr(names[i]);
		if (nr == -1)
			return err_set(e, EINVAL, "seccomp: syscall '%s': not a syscall keel knows", names[i]);
		if (nr < 0)
			continue; /* the other device architecture's only */
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny);
	p->len = (unsigned short)k;
	return 0;
}

int seccomp_prog_load(const struct seccomp_prog *p, struct err *e)
{
	struct sock_fprog fp = {.len = p->len, .filter = (struct sock_filter *)p->insns};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &fp) < 0)
		return err_sys(e, errno, "seccomp");
	return 0;
}
