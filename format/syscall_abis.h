/* Syscall numbers on every ABI a process of keel's device architecture can call the kernel with
 * (x86_64: x86_64, i386, x32; aarch64: aarch64, arm), generated at build time from libseccomp's
 * tables by tools/seccomp-gen into build/<arch>/gen/syscall_abis.c. The OCI seccomp assembler
 * resolves a profile's names with it for each architecture the profile lists. */
#ifndef KEEL_FORMAT_SYSCALL_ABIS_H
#define KEEL_FORMAT_SYSCALL_ABIS_H

#include <stdint.h>

#define SECCOMP_ABI_MAX 3
#define SECCOMP_ABI_ABSENT 0xffffffffu

struct seccomp_abi {
	uint32_t audit_arch;            /* AUDIT_ARCH_* in seccomp_data.arch */
	uint32_t nr_bit;                /* in every number of the ABI (x32's 0x40000000) */
	uint32_t max_nr;                /* its highest ordinary number (nr_bit included) */
	const char *spec_name;          /* "SCMP_ARCH_X86_64" */
};
extern const struct seccomp_abi seccomp_abis[]; /* the native ABI first */
extern const unsigned seccomp_abi_count;

struct seccomp_abi_name {
	uint16_t name;                  /* offset into seccomp_abi_names */
	uint32_t nr[SECCOMP_ABI_MAX];   /* per ABI, SECCOMP_ABI_ABSENT where it has none */
};
extern const char seccomp_abi_names[];
extern const struct seccomp_abi_name seccomp_abi_index[]; /* sorted by strcmp */
extern const unsigned short seccomp_abi_name_count;

/* The name's numbers, or NULL for a name no ABI knows. */
const uint32_t *seccomp_abi_lookup(const char *name);
/* The ABI an OCI architecture name ("SCMP_ARCH_X86") is, or -1 (not one of this arch's). */
int seccomp_abi_by_spec_name(const char *name);

#endif
