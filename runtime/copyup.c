/* tmpcopyup (an OCI mount option crun and runc take): a tmpfs mounted over an image directory
 * starts with a copy of that directory, owners, modes, links and nodes included. Linked only by
 * the OCI CLI, which sets ctr_mount.copy_up to it. */
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 32

static int copy_file(int from, int to, const char *name, const struct stat *st, struct err *e)
{
	int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int out = in < 0 ? -1 : openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
	int rc = 0;
	if (in < 0 || out < 0) {
		rc = err_sys(e, errno, "tmpcopyup: %s", name);
	} else {
		char buf[65536];
		ssize_t n;
		while ((n = read(in, buf, sizeof buf)) > 0)
			if (write(out, buf, (size_t)n) != n) {
				n = -1;
				break;
			}
		if (n < 0)
			rc = err_sys(e, errno, "tmpcopyup: copy %s", name);
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

static int copy_dir(int from, int to, int depth, struct err *e)
{
	if (depth > MAX_DEPTH)
		return err_set(e, ELOOP, "tmpcopyup: deeper than %d directories", MAX_DEPTH);
	int dfd = dup(from);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return err_sys(e, errno, "tmpcopyup: read a directory");
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		const char *n = de->d_name;
		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		struct stat st;
		if (fstatat(from, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = err_sys(e, errno, "tmpcopyup: stat %s", n);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(from, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), nsub = -1;
			if (sub < 0 || mkdirat(to, n, st.st_mode & 07777) < 0 ||
			    (nsub = openat(to, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
				rc = err_sys(e, errno, "tmpcopyup: directory %s", n);
			else
				rc = copy_dir(sub, nsub, depth + 1, e);
			if (sub >= 0)
				close(sub);
			if (nsub >= 0)
				close(nsub);
		} else if (S_ISREG(st.st_mode)) {
			rc = copy_file(from, to, n, &st, e);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t l = readlinkat(from, n, target, sizeof target - 1);
			if (l < 0)
				rc = err_sys(e, errno, "tmpcopyup: readlink %s", n);
			else if (target[l] = '\0', symlinkat(target, to, n) < 0)
				rc = err_sys(e, errno, "tmpcopyup: symlink %s", n);
		} else if (mknodat(to, n, st.st_mode, st.st_rdev) < 0) {
			rc = err_sys(e, errno, "tmpcopyup: mknod %s", n);
		}
		if (rc == 0 && fchownat(to, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			rc = err_sys(e, errno, "tmpcopyup: chown %s", n);
		if (rc == 0 && !S_ISLNK(st.st_mode) && fchmodat(to, n, st.st_mode & 07777, 0) < 0)
			rc = err_sys(e, errno, "tmpcopyup: chmod %s", n);
	}
	closedir(d);
	return rc;
}

int copyup_tree(int from, int to, struct err *e)
{
	return copy_dir(from, to, 0, e);
}
