/* Lookups in the per-ABI syscall table the build generates (syscall_abis.h). */
#include <stdlib.h>
#include <string.h>

#include "syscall_abis.h"

static int by_name(const void *key, const void *elem)
{
	return strcmp(key, seccomp_abi_names + ((const struct seccomp_abi_name *)elem)->name);
}

const uint32_t *seccomp_abi_lookup(const char *name)
{
	const struct seccomp_abi_name *n =
		bsearch(name, seccomp_abi_index, seccomp_abi_name_count, sizeof *n, by_name);
	return n ? n->nr : NULL;
}

int seccomp_abi_by_spec_name(const char *name)
{
	for (unsigned i = 0; i < seccomp_abi_count; i++)
		if (!strcmp(name, seccomp_abis[i].spec_name))
			return (int)i;
	return -1;
}
