/* OCI layer whiteouts to overlayfs whiteouts, merging an extracted layer over the layers below it;
 * and, for a whole image, dropping them once merged.
 *
 * The result of merging OCI layers 1..k is itself a valid overlayfs lower layer: deletions stay as
 * overlayfs whiteouts (char device 0:0) and opaque directories (trusted.overlay.opaque=y), which is
 * what a tar diff made to sit over other layers keeps. An image's merge starts from its base, so
 * once all its layers are in nothing is left for those marks to hide: wh_strip drops them, and
 * the image neither shows them (a one-layer root is a bind mount) nor hides another layer's files. */
#include "pack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define WH_PREFIX ".wh."
#define WH_OPQ ".wh..wh..opq"
#define OPAQUE_XATTR "trusted.overlay.opaque"

enum wh_kind wh_classify(const char *name, const char **target)
{
	if (strncmp(name, WH_PREFIX, sizeof WH_PREFIX - 1) != 0)
		return WH_NONE;
	if (strcmp(name, WH_OPQ) == 0)
		return WH_OPAQUE;
	const char *t = name + sizeof WH_PREFIX - 1;
	if (t[0] == '\0' || strcmp(t, ".") == 0 || strcmp(t, "..") == 0 ||
	    strncmp(t, WH_PREFIX, sizeof WH_PREFIX - 1) == 0)
		return WH_BAD;
	*target = t;
	return WH_FILE;
}

struct names {
	size_t n, cap;
	char **v;
};

static void names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* The entries of a directory, read fully before the caller changes the directory. */
static int names_read(int dirfd, struct names *l, const char *where, struct err *e)
{
	memset(l, 0, sizeof *l);
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return err_sys(e, errno, "%s", where);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 32;
			char **v = realloc(l->v, cap * sizeof *v);
			if (!v)
				goto nomem;
			l->v = v;
			l->cap = cap;
		}
		if (!(l->v[l->n] = strdup(de->d_name)))
			goto nomem;
		l->n++;
	}
	closedir(d);
	return 0;
nomem:
	closedir(d);
	names_free(l);
	return err_set(e, ENOMEM, "%s: out of memory", where);
}

static int is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static int set_opaque(int fd, const char *where, struct err *e)
{
	if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) != 0)
		return err_sys(e, errno, "%s: set %s", where, OPAQUE_XATTR);
	return 0;
}

static int merge_at(int upper, int lower, const char *where, struct err *e);

/* Recurse into upper's subdirectory `name`, paired with lower's if that is a directory too. */
static int merge_child(int upper, int lower, const char *name, const char *where, struct err *e)
{
	char sub[4096];
	if ((size_t)snprintf(sub, sizeof sub, "%s/%s", where, name) >= sizeof sub)
		return err_set(e, ENAMETOOLONG, "%s/%s: path too long", where, name);
	int ufd = openat(upper, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ufd < 0)
		return err_sys(e, errno, "%s", sub);
	int lfd = -1, rc = 0;
	struct stat ls;
	char v;
	if (fgetxattr(ufd, OPAQUE_XATTR, &v, 1) == 1 && v == 'y')
		lower = -1; /* opaque already (set above, or carried by the layer's own tar) */
	if (lower >= 0 && fstatat(lower, name, &ls, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(ls.st_mode)) {
			lfd = openat(lower, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (lfd < 0)
				rc = err_sys(e, errno, "%s (lower)", sub);
		} else if (is_whiteout(&ls)) {
			/* Deleted below, recreated here: nothing under it may show through. */
			rc = set_opaque(ufd, sub, e);
		}
	}
	if (rc == 0)
		rc = merge_at(ufd, lfd, sub, e);
	if (lfd >= 0)
		close(lfd);
	close(ufd);
	return rc;
}

static int merge_at(int upper, int lower, const char *where, struct err *e)
{
	struct names un;
	if (names_read(upper, &un, where, e) != 0)
		return -1;
	int rc = -1, opaque = 0;
	/* First the markers: they speak about the layers below, not about this layer's entries. */
	for (size_t i = 0; i < un.n; i++) {
		const char *t;
		enum wh_kind k = wh_classify(un.v[i], &t);
		if (k == WH_NONE)
			continue;
		if (k == WH_BAD) {
			err_set(e, EINVAL, "%s/%s: malformed whiteout name", where, un.v[i]);
			goto out;
		}
		if (unlinkat(upper, un.v[i], 0) != 0) {
			err_sys(e, errno, "%s/%s: remove whiteout marker", where, un.v[i]);
			goto out;
		}
		if (k == WH_OPAQUE) {
			opaque = 1;
			if (set_opaque(upper, where, e) != 0)
				goto out;
			continue;
		}
		struct stat st;
		if (fstatat(upper, t, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			/* Deleted and recreated in this layer: a directory must not show what was below. */
			if (!S_ISDIR(st.st_mode))
				continue;
			int fd = openat(upper, t, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int r = fd < 0 ? err_sys(e, errno, "%s/%s", where, t) : set_opaque(fd, where, e);
			if (fd >= 0)
				close(fd);
			if (r != 0)
				goto out;
			continue;
		}
		if (mknodat(upper, t, S_IFCHR | 0, makedev(0, 0)) != 0 ||
		    fchownat(upper, t, 0, 0, AT_SYMLINK_NOFOLLOW) != 0) {
			err_sys(e, errno, "%s/%s: make overlay whiteout", where, t);
			goto out;
		}
	}
	if (opaque)
		lower = -1;
	for (size_t i = 0; i < un.n; i++) {
		struct stat st;
		if (wh_classify(un.v[i], &(const char *){NULL}) != WH_NONE ||
		    fstatat(upper, un.v[i], &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (merge_child(upper, lower, un.v[i], where, e) != 0)
			goto out;
	}
	if (lower >= 0) {
		struct names ln;
		if (names_read(lower, &ln, where, e) != 0)
			goto out;
		for (size_t i = 0; i < ln.n; i++) {
			struct stat st;
			if (fstatat(upper, ln.v[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
				continue; /* replaced or whited out by this layer */
			if (renameat(lower, ln.v[i], upper, ln.v[i]) != 0) {
				err_sys(e, errno, "%s/%s: move up from lower layer", where, ln.v[i]);
				names_free(&ln);
				goto out;
			}
		}
		names_free(&ln);
	}
	rc = 0;
out:
	names_free(&un);
	return rc;
}

int wh_merge(int upper, int lower, const char *where, struct err *e)
{
	return merge_at(upper, lower, where, e);
}

/* Drop the trusted.overlay.* xattrs of an open dir or file: in an image they could only make
 * overlayfs hide (opaque) or redirect something of the layers stacked with it. */
static int strip_xattrs(int fd, const char *where, struct err *e)
{
	char names[4096];
	ssize_t n = flistxattr(fd, names, sizeof names);
	if (n < 0)
		return errno == ENOTSUP ? 0 : err_sys(e, errno, "%s: list xattrs", where);
	for (char *p = names; p < names + n; p += strlen(p) + 1)
		if (!strncmp(p, "trusted.overlay.", 16) && fremovexattr(fd, p) != 0)
			return err_sys(e, errno, "%s: remove %s", where, p);
	return 0;
}

static int strip_at(int dirfd, const char *where, struct err *e)
{
	struct names l;
	if (strip_xattrs(dirfd, where, e) != 0 || names_read(dirfd, &l, where, e) != 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		struct stat st;
		char sub[4096];
		if ((size_t)snprintf(sub, sizeof sub, "%s/%s", where, l.v[i]) >= sizeof sub) {
			rc = err_set(e, ENAMETOOLONG, "%s/%s: path too long", where, l.v[i]);
			break;
		}
		if (fstatat(dirfd, l.v[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = err_sys(e, errno, "%s", sub);
		} else if (is_whiteout(&st)) {
			if (unlinkat(dirfd, l.v[i], 0) != 0)
				rc = err_sys(e, errno, "%s: remove whiteout", sub);
		} else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
			int fd = openat(dirfd, l.v[i], (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0) | O_RDONLY | O_NOFOLLOW |
							       O_NONBLOCK | O_CLOEXEC);
			if (fd < 0)
				rc = err_sys(e, errno, "%s", sub);
			else
				rc = S_ISDIR(st.st_mode) ? strip_at(fd, sub, e) : strip_xattrs(fd, sub, e);
			if (fd >= 0)
				close(fd);
		}
	}
	names_free(&l);
	return rc;
}

int wh_strip(int dirfd, const char *where, struct err *e)
{
	return strip_at(dirfd, where, e);
}
