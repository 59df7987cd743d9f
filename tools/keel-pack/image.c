/* Build a read-only layer image (erofs or squashfs) from a directory and store it by its digest.
 *
 * Same tree in, same bytes out: every timestamp is set to 0 and the filesystem UUID is fixed, and
 * both tools sort directory entries, so a layer's digest depends only on its contents (names,
 * data, modes, owners, xattrs). Ownership is kept from the source. */
#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/hashtree.h"

#define EROFS_UUID "6b65656c-7061-636b-6c61-796572000000" /* "keelpacklayer", any fixed value */

static int fsync_path(const char *path, int flags, struct err *e)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		return err_sys(e, saved, "fsync %s", path);
	}
	close(fd);
	return 0;
}

int image_build(const char *format, const char *src, const char *layers_dir,
		uint8_t digest[DIGEST_LEN], struct err *e)
{
	char dir[4096], tmp[4096], dst[LAYER_PATH_MAX];
	if (pathf(e, dir, sizeof dir, "%s/sha256", layers_dir) != 0 ||
	    pathf(e, tmp, sizeof tmp, "%s/.tmp-%d.img", dir, (int)getpid()) != 0 ||
	    layer_path(dst, sizeof dst, layers_dir, (const uint8_t[DIGEST_LEN]){0}) != 0)
		return err_set(e, ENAMETOOLONG, "%s: path too long", layers_dir);
	if ((mkdir(layers_dir, 0755) != 0 && errno != EEXIST) || (mkdir(dir, 0755) != 0 && errno != EEXIST))
		return err_sys(e, errno, "mkdir %s", dir);
	unlink(tmp);
	int rc;
	if (format[0] == 'e') {
		char *argv[] = {"mkfs.erofs", "--quiet", "-T0", "-U" EROFS_UUID, tmp, (char *)src, NULL};
		rc = run_cmd(argv, e);
	} else {
		char *argv[] = {"mksquashfs", (char *)src, tmp, "-noappend", "-quiet", "-no-progress",
				"-reproducible", "-mkfs-time", "0", "-all-time", "0", NULL};
		rc = run_cmd(argv, e);
	}
	if (rc != 0) {
		unlink(tmp);
		return err_prefix(e, "%s: ", src);
	}
	uint64_t size;
	if (hash_file(tmp, digest, &size, e) != 0 || fsync_path(tmp, O_RDONLY, e) != 0) {
		unlink(tmp);
		return -1;
	}
	if (chmod(tmp, 0644) != 0) {
		err_sys(e, errno, "chmod %s", tmp);
		unlink(tmp);
		return -1;
	}
	layer_path(dst, sizeof dst, layers_dir, digest); /* fits: same length as checked above */
	if (rename(tmp, dst) != 0) {
		err_sys(e, errno, "rename %s to %s", tmp, dst);
		unlink(tmp);
		return -1;
	}
	return fsync_path(dir, O_RDONLY | O_DIRECTORY, e);
}

int image_tree(const char *layers_dir, const uint8_t digest[DIGEST_LEN], uint64_t *blocks, uint8_t root[32],
	       struct err *e)
{
	char img[LAYER_PATH_MAX], tree[LAYER_PATH_MAX], tmp[LAYER_PATH_MAX + 32];
	*blocks = 0;
	if (layer_path(img, sizeof img, layers_dir, digest) != 0 || layer_tree_path(tree, sizeof tree, layers_dir, digest) != 0)
		return err_set(e, ENAMETOOLONG, "%s: path too long", layers_dir);
	snprintf(tmp, sizeof tmp, "%s.tmp-%d", tree, (int)getpid());
	int fd = open(img, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		err_sys(e, errno, "%s", img);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* Both tools write whole 4 KiB blocks; an image that does not is hashed whole on the device. */
	if (st.st_size % HASHTREE_BLOCK || st.st_size / HASHTREE_BLOCK < 2) {
		close(fd);
		return 0;
	}
	struct hashtree t;
	layer_index_verity(&t, digest, (uint64_t)st.st_size / HASHTREE_BLOCK);
	int tfd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = tfd < 0 ? err_sys(e, errno, "%s", tmp) : hashtree_build(fd, tfd, &t, root, e);
	if (rc == 0 && fsync(tfd) != 0)
		rc = err_sys(e, errno, "fsync %s", tmp);
	close(fd);
	if (tfd >= 0)
		close(tfd);
	if (rc == 0 && rename(tmp, tree) != 0)
		rc = err_sys(e, errno, "rename %s to %s", tmp, tree);
	if (rc != 0) {
		unlink(tmp);
		return err_prefix(e, "%s: hash tree: ", img);
	}
	*blocks = t.data_blocks;
	return 0;
}
