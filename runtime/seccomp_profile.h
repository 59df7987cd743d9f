/* The default seccomp profile as compiled at build time: tools/seccomp-gen turns
 * runtime/seccomp_profile.def into build/<arch>/gen/seccomp_profile.c, which defines these. */
#ifndef KEEL_RUNTIME_SECCOMP_PROFILE_H
#define KEEL_RUNTIME_SECCOMP_PROFILE_H

#include <linux/filter.h>
#include <stdint.h>

#include "../format/syscalls.h"

/* The architecture the program was generated for (AUDIT_ARCH_*). */
extern const uint32_t seccomp_profile_arch;
/* Syscall numbers above this get ENOSYS (the prefix seccomp.c puts in front checks it). */
extern const uint32_t seccomp_profile_max_nr;

/* libseccomp's program for the profile: an arch check, then the allowlist, EPERM for the rest.
 * Self-contained: jumps are relative and stay inside it, so it can follow any prefix. */
extern const struct sock_filter seccomp_default_prog[];
extern const unsigned short seccomp_default_len;

#endif
