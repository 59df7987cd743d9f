/* Small file-system helpers: read a bounded file whole or a small one's start, create a directory
 * path, replace a small file atomically. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_all(const char *path, size_t max, uint8_t **out, size_t *len, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "%s: open", path);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		close(fd);
		return err_sys(e, saved, "%s: stat", path);
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > max) {
		close(fd);
		return err_set(e, EINVAL, "%s: expected a regular file of 1..%zu bytes, got %lld bytes", path,
			       max, (long long)st.st_size);
	}
	size_t size = (size_t)st.st_size;
	uint8_t *buf = malloc(size);
	if (!buf) {
		close(fd);
		return err_sys(e, ENOMEM, "%s: %zu bytes", path, size);
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				err_sys(e, errno, "%s: read", path);
			else
				err_set(e, EIO, "%s: file shrank while reading (%zu of %zu bytes)", path, got, size);
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	*out = buf;
	*len = got;
	return 0;
}

ssize_t file_read_small(int dfd, const char *path, int flags, char *buf, size_t size)
{
	int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC | flags);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	int saved = errno;
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	errno = saved;
	return n;
}

int file_write(int dfd, const char *path, const char *buf, size_t len)
{
	int fd = openat(dfd, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, buf, len);
	int saved = w < 0 ? errno : EIO;
	close(fd);
	if ((size_t)w == len)
		return 0;
	errno = saved;
	return -2;
}

int mkdir_p(const char *path, mode_t mode, struct err *e)
{
	/* Usually only the last component is missing. */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	char p[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof p)
		return err_set(e, ENAMETOOLONG, "%s: bad directory path", path);
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST)
			return err_sys(e, errno, "mkdir %s", p);
		p[i] = c;
	}
	return 0;
}

static int put_at(int dfd, const char *dir, const char *name, const void *data, size_t len, mode_t mode, int durable,
		  struct err *e)
{
	char tmp[64];
	if ((size_t)snprintf(tmp, sizeof tmp, ".%s.tmp", name) >= sizeof tmp)
		return err_set(e, ENAMETOOLONG, "%s/%s: name too long", dir, name);
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return err_sys(e, errno, "%s/%s: create", dir, tmp);
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, (const uint8_t *)data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = n < 0 ? errno : EIO;
			close(fd);
			unlinkat(dfd, tmp, 0);
			return err_sys(e, saved, "%s/%s: write", dir, tmp);
		}
		done += (size_t)n;
	}
	if ((durable && fsync(fd) < 0) || close(fd) < 0) {
		int saved = errno;
		unlinkat(dfd, tmp, 0);
		return err_sys(e, saved, "%s/%s: fsync", dir, tmp);
	}
	if (renameat(dfd, tmp, dfd, name) < 0)
		return err_sys(e, errno, "%s/%s: rename to %s", dir, tmp, name);
	if (durable && fsync(dfd) < 0)
		return err_sys(e, errno, "%s: fsync", dir);
	return 0;
}

int file_put_at(int dfd, const char *dir, const char *name, const void *data, size_t len, mode_t mode, struct err *e)
{
	return put_at(dfd, dir, name, data, len, mode, 1, e);
}

int file_put_volatile_at(int dfd, const char *dir, const char *name, const void *data, size_t len, mode_t mode,
			 struct err *e)
{
	return put_at(dfd, dir, name, data, len, mode, 0, e);
}
