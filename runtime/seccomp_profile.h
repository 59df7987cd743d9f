/* The default seccomp profile as compiled at build time: tools/seccomp-gen turns
 * runtime/seccomp_profile.def into build/<arch>/gen/seccomp_profile.c, which defines these. */
#ifndef KEEL_RUNTIME_SECCOMP_PROFILE_H
#define KEEL_RUNTIME_SECCOMP_PROFILE_H

#include <linux/filter.h>
#include <stdint.h>

/* The architecture the program was generated for (AUDIT_ARCH_*). */
extern const uint32_t seccomp_profile_arch;
/* Syscall numbers above this get ENOSYS (the prefix seccomp.c puts in front checks it). */
extern const uint32_t seccomp_profile_max_nr;

/* libseccomp's program for the profile: an arch check, then the allowlist, EPERM for the rest.
 * Self-contained: jumps are relative and stay inside it, so it can follow any prefix. */
extern const struct sock_filter seccomp_default_prog[];
extern const unsigned short seccomp_default_len;

/* Syscall names → numbers for resolving a service's extra rules: every name of keel's device
 * architectures (x86_64, arm64), sorted by strcmp; `nr` is the number on this one, or
 * SECCOMP_NR_ABSENT for a name only the other has. `name` is an offset into seccomp_names. */
struct seccomp_name {
	uint16_t name;
	uint16_t nr;
};
#define SECCOMP_NR_ABSENT 0xffffu
extern const char seccomp_names[];
extern const struct seccomp_name seccomp_name_index[];
extern const unsigned short seccomp_name_count;

/* seccomp_names.c: the number of a syscall on this architecture; -2 for one only the other device
 * architecture has (a rule naming it is skipped), -1 for an unknown name. */
int seccomp_syscall_nr(const char *name);

#endif
