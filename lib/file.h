/* Small file-system helpers shared by PID 1, the CLI and the runtime. */
#ifndef KEEL_LIB_FILE_H
#define KEEL_LIB_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* Read a whole regular file of 1..max bytes into one fresh malloc'd buffer (so 16-byte aligned,
 * as the config reader needs); the caller frees *out. The bound keeps a bogus file from eating
 * a small device's memory. Errors name the path: "/etc/keel/config.bin: open: No such file ...". */
int file_read_all(const char *path, size_t max, uint8_t **out, size_t *len, struct err *e);

/* The start of a small file (a proc, sysfs or cgroup file, a one-line state file) into buf,
 * NUL-terminated: at most size - 1 bytes, one read. dfd as in openat (AT_FDCWD for a plain path);
 * flags are added to O_RDONLY | O_CLOEXEC. Returns the length, or -1 with errno set. */
ssize_t file_read_small(int dfd, const char *path, int flags, char *buf, size_t size);

/* A whole small file `name` in the directory dfd (named dir in errors): written under ".NAME.tmp",
 * fsync'd, renamed over `name`, the directory fsync'd. A reader (or a power cut) sees the old
 * file or the new one, never a part. */
int file_put_at(int dfd, const char *dir, const char *name, const void *data, size_t len, mode_t mode, struct err *e);
/* The same without the fsyncs, for state on a tmpfs (/run) that does not outlive a boot anyway:
 * still whole or not at all. */
int file_put_volatile_at(int dfd, const char *dir, const char *name, const void *data, size_t len, mode_t mode,
			 struct err *e);

/* Write len bytes to an existing file (a proc, sysfs or cgroup file) in one write: dfd as in openat.
 * Returns 0; -1 when the file does not open, -2 when the write fails or falls short (EIO), errno
 * set either way, so a caller can tell "no such file" from "the kernel refused the value". */
int file_write(int dfd, const char *path, const char *buf, size_t len);

/* mkdir -p: create each missing component of path with mode (existing ones are left as they are). */
int mkdir_p(const char *path, mode_t mode, struct err *e);

#endif
