/* Syscall names keelc accepts in `syscall =` rules: the names of keel's device architectures
 * (x86_64 and arm64), looked up in the table the build generates for the device, so a misspelt
 * name fails at compile time on the build host rather than at a service start. */
#include "format/syscalls.h"
#include "values.h"

int val_syscall(const char *s) { return seccomp_syscall_nr(s) == -1 ? -1 : 0; }
