/* Syscall names a config's `syscall =` rules may use: every name of keel's device architectures
 * (x86_64, arm64), generated at build time from libseccomp's tables by tools/seccomp-gen into
 * build/<arch>/gen/syscall_names.c, and looked up here by keelc (is it a syscall at all?) and by
 * the device (its number on this architecture). */
#ifndef KEEL_FORMAT_SYSCALLS_H
#define KEEL_FORMAT_SYSCALLS_H

#include <stdint.h>

/* Sorted by strcmp; `nr` is the number on the table's architecture, or SECCOMP_NR_ABSENT for a
 * name only the other has. `name` is an offset into seccomp_names. */
struct seccomp_name {
	uint16_t name;
	uint16_t nr;
};
#define SECCOMP_NR_ABSENT 0xffffu
extern const char seccomp_names[];
extern const struct seccomp_name seccomp_name_index[];
extern const unsigned short seccomp_name_count;

/* The number of a syscall on the table's architecture; -2 for one only the other device
 * architecture has (a rule naming it is skipped on this one), -1 for an unknown name. */
int seccomp_syscall_nr(const char *name);

#endif
