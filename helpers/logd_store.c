/* keel-logd's persistent files: batched appends, rotation by size, caps per service and in all. */
#include "logd_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/paths.h"

#define BATCH 4096u               /* bytes collected per file before a write */
#define MAX_FILES 260u            /* 256 services, PID 1, and room */

struct sfile {
	char name[LOGD_NAME_MAX + 1]; /* "" : PID 1's (KEEL_LOG_INIT_NAME) */
	int fd;
	uint64_t size, size1;     /* NAME.log as written so far, NAME.log.1 */
	char *buf;
	uint32_t used;
	int dirty;                /* written since the last sync */
};

struct store {
	struct store_opts o;
	int dfd, bfd;             /* dir, and this boot's dir in it */
	unsigned boot;
	int bdir_dirty;           /* a file made or renamed: the directory needs a sync too */
	uint64_t others;          /* bytes of the other boots' files */
	uint64_t written, syncs;
	struct sfile *f;
	uint32_t n;
};

static const char *fname(const struct sfile *f, char *out, size_t size, int one)
{
	snprintf(out, size, "%s.log%s", f->name[0] ? f->name : KEEL_LOG_INIT_NAME, one ? ".1" : "");
	return out;
}

static int fail(struct store *s, struct err *e, const char *what, const char *name)
{
	return err_sys(e, errno, "%s/%u/%s: %s", s->o.dir, s->boot, name, what);
}

/* Bytes of the regular files in dir/name; -1 when it cannot be opened. */
static int64_t dir_bytes(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int64_t sum = 0;
	struct dirent *de;
	struct stat st;
	while ((de = readdir(d)))
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			sum += st.st_size;
	closedir(d);
	return sum;
}

/* The other boots' bytes, and the oldest other boot (0: none). */
static uint64_t scan_others(struct store *s, unsigned *oldest, unsigned *newest)
{
	int fd = dup(s->dfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	uint64_t sum = 0;
	*oldest = 0;
	if (newest)
		*newest = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		unsigned b = log_boot_number(de->d_name);
		if (!b)
			continue;
		if (newest && b > *newest)
			*newest = b;
		if (b == s->boot)
			continue;
		int64_t k = dir_bytes(s->dfd, de->d_name);
		sum += k > 0 ? (uint64_t)k : 0;
		if (!*oldest || b < *oldest)
			*oldest = b;
	}
	closedir(d);
	return sum;
}

static void remove_boot(struct store *s, unsigned b)
{
	char name[16];
	snprintf(name, sizeof name, "%u", b);
	int fd = openat(s->dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	} else if (fd >= 0) {
		close(fd);
	}
	unlinkat(s->dfd, name, AT_REMOVEDIR);
}

static uint64_t total(const struct store *s)
{
	uint64_t t = s->others;
	for (uint32_t i = 0; i < s->n; i++)
		t += s->f[i].size + s->f[i].used + s->f[i].size1;
	return t;
}

static int write_batch(struct store *s, struct sfile *f, struct err *e)
{
	char n[64];
	for (uint32_t off = 0; off < f->used;) {
		ssize_t w = write(f->fd, f->buf + off, f->used - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return fail(s, e, "write", fname(f, n, sizeof n, 0));
		}
		off += (uint32_t)w;
		f->size += (uint64_t)w;
		s->written += (uint64_t)w;
	}
	f->used = 0;
	f->dirty = 1;
	return 0;
}

static int open_log(struct store *s, struct sfile *f, int truncate, struct err *e)
{
	char n[64];
	f->fd = openat(s->bfd, fname(f, n, sizeof n, 0), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW |
			       (truncate ? O_TRUNC : 0), 0640);
	struct stat st;
	if (f->fd < 0 || fstat(f->fd, &st) < 0)
		return fail(s, e, "open", n);
	f->size = (uint64_t)st.st_size;
	s->bdir_dirty = 1;
	return 0;
}

/* NAME.log becomes NAME.log.1 (the old .1 goes) and a new NAME.log begins. */
static int rotate(struct store *s, struct sfile *f, struct err *e)
{
	char a[64], b[64];
	if (f->used && write_batch(s, f, e) < 0)
		return -1;
	if (renameat(s->bfd, fname(f, a, sizeof a, 0), s->bfd, fname(f, b, sizeof b, 1)) < 0)
		return fail(s, e, "rename", a);
	close(f->fd);
	f->size1 = f->size;
	f->dirty = 0;
	return open_log(s, f, 1, e);
}

/* Over the total cap: the oldest other boot goes, then the largest .1 of this boot, then this
 * boot's largest file is rotated and its .1 removed. */
static int trim(struct store *s, struct err *e)
{
	for (int round = 0; round < 2 * (int)MAX_FILES && total(s) > s->o.total_max; round++) {
		unsigned oldest;
		if (s->others) {
			scan_others(s, &oldest, NULL);
			if (oldest)
				remove_boot(s, oldest);
			s->others = scan_others(s, &oldest, NULL);
			continue;
		}
		struct sfile *big = NULL;
		for (uint32_t i = 0; i < s->n; i++)
			if (s->f[i].size1 && (!big || s->f[i].size1 > big->size1))
				big = &s->f[i];
		char n[64];
		if (big) {
			if (unlinkat(s->bfd, fname(big, n, sizeof n, 1), 0) < 0 && errno != ENOENT)
				return fail(s, e, "unlink", n);
			big->size1 = 0;
			s->bdir_dirty = 1;
			continue;
		}
		for (uint32_t i = 0; i < s->n; i++)
			if (!big || s->f[i].size + s->f[i].used > big->size + big->used)
				big = &s->f[i];
		if (!big || rotate(s, big, e) < 0)
			return big ? -1 : 0;
	}
	return 0;
}

static struct sfile *file_of(struct store *s, const char *name, struct err *e)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (!strcmp(s->f[i].name, name))
			return &s->f[i];
	if (s->n == MAX_FILES) {
		err_set(e, EMFILE, "%s/%u: more than %u log files", s->o.dir, s->boot, MAX_FILES);
		return NULL;
	}
	struct sfile *f = &s->f[s->n];
	memset(f, 0, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	f->buf = malloc(BATCH);
	struct stat st;
	char n[64];
	if (!f->buf) {
		err_set(e, ENOMEM, "out of memory");
		return NULL;
	}
	if (open_log(s, f, 0, e) < 0) {
		free(f->buf);
		return NULL;
	}
	if (fstatat(s->bfd, fname(f, n, sizeof n, 1), &st, AT_SYMLINK_NOFOLLOW) == 0)
		f->size1 = (uint64_t)st.st_size;
	s->n++;
	return f;
}

int store_put(struct store *s, const struct logd_rec *r, struct err *e)
{
	struct sfile *f = file_of(s, r->name, e);
	if (!f)
		return -1;
	char stamp[32];
	int k = snprintf(stamp, sizeof stamp, "[%5lld.%03d] ", (long long)(r->ms / 1000), (int)(r->ms % 1000));
	size_t len = (size_t)k + r->len + 1;
	if (len > BATCH)
		len = BATCH, k = k < (int)BATCH ? k : 0;
	uint64_t half = s->o.service_max / 2;
	if (f->size + f->used + len > half && f->size + f->used > 0 && rotate(s, f, e) < 0)
		return -1;
	if (f->used + len > BATCH && write_batch(s, f, e) < 0)
		return -1;
	size_t text = len - (size_t)k - 1;
	memcpy(f->buf + f->used, stamp, (size_t)k);
	memcpy(f->buf + f->used + k, r->text, text);
	f->buf[f->used + len - 1] = '\n';
	f->used += (uint32_t)len;
	return total(s) > s->o.total_max ? trim(s, e) : 0;
}

int store_flush(struct store *s, struct err *e)
{
	char n[64];
	uint32_t dirty = 0, last = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		if (s->f[i].used && write_batch(s, &s->f[i], e) < 0)
			return -1;
		if (s->f[i].dirty)
			dirty++, last = i;
	}
	if (!dirty && !s->bdir_dirty)
		return 0;
	/* One file: its fdatasync. More (or a new name): one syncfs of the file system, so ext4
	 * commits its journal once rather than once per file (each commit costs several blocks). */
	if (dirty == 1 && !s->bdir_dirty) {
		if (fdatasync(s->f[last].fd) < 0)
			return fail(s, e, "fdatasync", fname(&s->f[last], n, sizeof n, 0));
	} else if (syncfs(s->bfd) < 0) {
		return fail(s, e, "syncfs", ".");
	}
	s->syncs++;
	for (uint32_t i = 0; i < s->n; i++)
		s->f[i].dirty = 0;
	s->bdir_dirty = 0;
	return 0;
}

uint64_t store_written(const struct store *s)
{
	return s->written;
}

uint64_t store_syncs(const struct store *s)
{
	return s->syncs;
}

unsigned store_boot(const struct store *s)
{
	return s->boot;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->n; i++) {
		close(s->f[i].fd);
		free(s->f[i].buf);
	}
	free(s->f);
	if (s->bfd >= 0)
		close(s->bfd);
	if (s->dfd >= 0)
		close(s->dfd);
	free(s);
}

/* The newest boot directory is this boot's when it holds this boot's id: keel-logd restarted. */
static int same_boot(int dfd, unsigned b, const char *boot_id)
{
	char path[32], buf[64];
	snprintf(path, sizeof path, "%u/boot_id", b);
	int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 && !strcmp(buf, boot_id);
}

struct store *store_open(const struct store_opts *o, const char *boot_id, struct err *e)
{
	struct store *s = calloc(1, sizeof *s);
	if (!s || !(s->f = calloc(MAX_FILES, sizeof *s->f))) {
		free(s);
		err_set(e, ENOMEM, "out of memory");
		return NULL;
	}
	s->o = *o;
	s->bfd = -1;
	s->dfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0) {
		err_sys(e, errno, "%s", o->dir);
		store_close(s);
		return NULL;
	}
	unsigned oldest, newest;
	scan_others(s, &oldest, &newest);
	s->boot = newest && same_boot(s->dfd, newest, boot_id) ? newest : newest + 1;
	char name[16];
	snprintf(name, sizeof name, "%u", s->boot);
	if (mkdirat(s->dfd, name, 0750) < 0 && errno != EEXIST) {
		err_sys(e, errno, "%s/%s: mkdir", o->dir, name);
		store_close(s);
		return NULL;
	}
	s->bfd = openat(s->dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	int fd = s->bfd < 0 ? -1 : openat(s->bfd, "boot_id", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0 || write(fd, boot_id, strlen(boot_id)) != (ssize_t)strlen(boot_id) || fsync(fd) < 0 ||
	    fsync(s->dfd) < 0) {
		err_sys(e, errno, "%s/%s/boot_id", o->dir, name);
		if (fd >= 0)
			close(fd);
		store_close(s);
		return NULL;
	}
	close(fd);
	s->others = scan_others(s, &oldest, NULL);
	return s;
}
