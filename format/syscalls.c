/* Syscall name lookup in the table the build generates (syscalls.h): shared by the device, which
 * resolves a service's rules, and keelc, which checks the names at compile time. */
#include <stdlib.h>
#include <string.h>

#include "syscalls.h"

static int by_name(const void *key, const void *elem)
{
	return strcmp(key, seccomp_names + ((const struct seccomp_name *)elem)->name);
}

int seccomp_syscall_nr(const char *name)
{
	const struct seccomp_name *n =
		bsearch(name, seccomp_name_index, seccomp_name_count, sizeof *n, by_name);
	if (!n)
		return -1;
	return n->nr == SECCOMP_NR_ABSENT ? -2 : n->nr;
}
