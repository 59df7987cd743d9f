/* Syscall names keelc accepts in `syscall =` rules: the names of keel's device architectures
 * (x86_64 and arm64), from the table the build generates for the device (seccomp_profile.h),
 * so a misspelt name fails at compile time on the build host rather than at a service start. */
#include <stdlib.h>
#include <string.h>

#include "runtime/seccomp_profile.h"
#include "values.h"

static int by_name(const void *key, const void *elem)
{
	return strcmp(key, seccomp_names + ((const struct seccomp_name *)elem)->name);
}

int val_syscall(const char *s)
{
	return bsearch(s, seccomp_name_index, seccomp_name_count, sizeof(struct seccomp_name), by_name) ? 0 : -1;
}
