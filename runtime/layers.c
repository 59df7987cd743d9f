/* Layer store: attach a layer image read-only and mount it, once per boot.
 *
 * With dm-verity parameters in the config (format 1.2, docs/layers.md), the image is read through
 * device-mapper's verity target: every block is checked against the config's root hash whenever
 * it is read from disk, so a rewrite of the image or its tree after the mount reads as an I/O
 * error, never as other bytes. The tree (<hex>.verity beside the image, or in the run dir when the
 * store is read-only) is built on the layer's first use if it is missing or is not the config's
 * (its top block is checked, one read), so a later first start costs no read of the image.
 *
 * Without them (an older config, a layer keel-pack gave no tree, a kernel without dm-verity), the
 * image is hashed whole through the same open file that is then handed to the loop device, so a
 * rename or replacement of the path after hashing cannot swap in another file; an in-place rewrite
 * of that very file is detected if it happens between the start of hashing and the end of the
 * mount (size, mtime and ctime are compared), not afterwards. */
#include "layers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/digest.h"
#include "../lib/file.h"
#include "../lib/hashtree.h"
#include "../lib/paths.h"
#include "verity.h"

#define EROFS_MAGIC 0xE0F5E1E2u    /* little-endian u32 at byte 1024 */
#define SQUASHFS_MAGIC 0x73717368u /* "hsqs" at byte 0 */
#define HASH_BUF (16 * 1024) /* SHA-256 is the bottleneck: 16 KiB..1 MiB and mmap hash alike */
#define LOOP_TRIES 64              /* LOOP_CTL_GET_FREE can race other attachers: retry */

/* The mount is ours if it is a read-only erofs or squashfs on another device than its parent. */
static int is_layer_mount(const char *dir, const char *parent)
{
	struct stat sd, sp;
	struct statfs sf;
	if (stat(dir, &sd) != 0 || stat(parent, &sp) != 0 || statfs(dir, &sf) != 0)
		return 0;
	if (sd.st_dev == sp.st_dev || !(sf.f_flags & ST_RDONLY))
		return 0;
	return (uint32_t)sf.f_type == EROFS_MAGIC || (uint32_t)sf.f_type == SQUASHFS_MAGIC;
}


static const char *fs_type(int fd)
{
	uint8_t b[4];
	if (pread(fd, b, 4, 0) == 4 && memcmp(b, "hsqs", 4) == 0)
		return "squashfs";
	if (pread(fd, b, 4, 1024) == 4 &&
	    ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24) ==
		    EROFS_MAGIC)
		return "erofs";
	return NULL;
}

/* Attach fd to a free loop device, read-only, cleared automatically when the last user goes.
 * Returns the loop device's fd (its path in dev) or -1. */
static int loop_attach(int fd, const char *hex, char *dev, size_t devlen, struct err *e)
{
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return err_sys(e, errno, "/dev/loop-control");
	uint32_t flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO;
	for (int tries = 0; tries < LOOP_TRIES; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			err_sys(e, errno, "/dev/loop-control: LOOP_CTL_GET_FREE");
			break;
		}
		snprintf(dev, devlen, "/dev/loop%d", n);
		int lfd = open(dev, O_RDWR | O_CLOEXEC);
		if (lfd < 0 && (errno == EROFS || errno == EACCES))
			lfd = open(dev, O_RDONLY | O_CLOEXEC);
		if (lfd < 0) {
			err_sys(e, errno, "%s", dev);
			break;
		}
		struct loop_config cfg;
		memset(&cfg, 0, sizeof cfg);
		cfg.fd = (uint32_t)fd;
		/* Names the layer in LOOP_GET_STATUS64 (64 bytes: the digest is cut). */
		snprintf((char *)cfg.info.lo_file_name, sizeof cfg.info.lo_file_name, "sha256:%.56s", hex);
		for (;;) {
			cfg.info.lo_flags = flags;
			if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
				close(ctl);
				return lfd;
			}
			/* Kernels that cannot do direct I/O on this file may refuse the flag. */
			if (errno == EINVAL && (flags & LO_FLAGS_DIRECT_IO)) {
				flags &= ~(uint32_t)LO_FLAGS_DIRECT_IO;
				continue;
			}
			break;
		}
		int saved = errno;
		close(lfd);
		if (saved != EBUSY) {
			err_sys(e, saved, "%s: LOOP_CONFIGURE", dev);
			break;
		}
		if (tries == LOOP_TRIES - 1)
			err_sys(e, saved, "no free loop device after %d tries", LOOP_TRIES);
	}
	close(ctl);
	return -1;
}

static void loop_detach(int lfd)
{
	ioctl(lfd, LOOP_CLR_FD, 0);
	close(lfd);
}

static int same_file_state(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void note(const struct layer_store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const struct layer_store *st, const char *fmt, ...)
{
	char line[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (st->note)
		st->note(st->note_ctx, line);
}

static void hashtree_of(struct hashtree *t, const struct cfg_verity *v)
{
	memset(t, 0, sizeof *t);
	memcpy(t->salt, v->salt, sizeof t->salt);
	t->salt_len = v->salt_len;
	t->data_block_size = v->data_block_size;
	t->hash_block_size = v->hash_block_size;
	t->data_blocks = v->data_blocks;
}

int layer_tree_build(int img, const struct cfg_verity *v, int tree, struct err *e)
{
	struct hashtree t;
	hashtree_of(&t, v);
	uint8_t root[32];
	char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
	if (hashtree_build(img, tree, &t, root, e) != 0)
		return err_prefix(e, "hash tree: ");
	if (!memcmp(root, v->root, 32))
		return 0;
	digest_to_hex(v->root, want);
	digest_to_hex(root, got);
	return err_set(e, EBADMSG, "verity root mismatch: expected %s, the image gives %s", want, got);
}

/* The layer's hash tree for v, open: the one beside the image or in the run dir when its top block
 * hashes to the config's root; else built from the image (every block read once), checked against
 * that root and kept beside the image (in the run dir when the store is read-only). */
static int tree_open(const struct layer_store *st, const uint8_t digest[32], const char *hex, int img,
		     const struct cfg_verity *v, struct err *e)
{
	struct hashtree t;
	hashtree_of(&t, v);
	unsigned levels;
	uint64_t start[HASHTREE_MAX_LEVELS], size = hashtree_blocks(&t, &levels, start) * v->hash_block_size;
	char path[2][LAYER_PATH_MAX], tmp[LAYER_PATH_MAX + 24];
	struct stat sb;
	if (fstat(img, &sb) != 0 || (uint64_t)sb.st_size < v->data_blocks * v->data_block_size)
		return err_set(e, EINVAL, "the image is %lld bytes, its verity parameters cover %llu", (long long)sb.st_size,
			       (unsigned long long)(v->data_blocks * v->data_block_size));
	if (layer_tree_path(path[0], sizeof path[0], st->images_dir, digest) != 0 ||
	    (size_t)snprintf(path[1], sizeof path[1], "%s/%s.verity", st->run_dir, hex) >= sizeof path[1])
		return err_set(e, ENAMETOOLONG, "%s: path too long", st->images_dir);
	for (int i = 0; i < 2; i++) {
		int fd = open(path[i], O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &sb) == 0 && (uint64_t)sb.st_size >= size && hashtree_top_ok(fd, &t, v->root))
			return fd;
		if (fd >= 0)
			close(fd);
	}
	int64_t t0 = boot_ms();
	int at = 0, fd = -1;
	for (; at < 2 && fd < 0; at++)
		if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%d", path[at], (int)getpid()) < sizeof tmp)
			fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_sys(e, errno, "%s", tmp);
	int rc = layer_tree_build(img, v, fd, e);
	if (rc == 0 && (fsync(fd) != 0 || rename(tmp, path[at - 1]) != 0))
		rc = err_sys(e, errno, "%s", path[at - 1]);
	if (rc == 0) {
		note(st, "layer sha256:%.12s: hash tree built in %lld ms (%llu blocks): %s", hex, (long long)(boot_ms() - t0),
		     (unsigned long long)v->data_blocks, path[at - 1]);
		return fd;
	}
	unlink(tmp);
	close(fd);
	return -1;
}

/* Attach image and tree to loop devices and put the verity target over them; its node in dev. */
static int verity_attach(const struct layer_store *st, const uint8_t digest[32], const char *hex, int img,
			 const struct cfg_verity *v, const char *name, char *dev, size_t devlen, struct err *e)
{
	int tfd = tree_open(st, digest, hex, img, v, e), lfd = -1, hfd = -1, rc = -1;
	char ldev[32], hdev[32];
	struct stat ls, hs;
	if (tfd >= 0 && (lfd = loop_attach(img, hex, ldev, sizeof ldev, e)) >= 0 &&
	    (hfd = loop_attach(tfd, hex, hdev, sizeof hdev, e)) >= 0) {
		if (fstat(lfd, &ls) != 0 || fstat(hfd, &hs) != 0)
			err_sys(e, errno, "%s", ldev);
		else
			rc = verity_create(name, ls.st_rdev, hs.st_rdev, v, dev, devlen, e);
	}
	/* The target holds the loop devices open now; AUTOCLEAR frees them when it goes. */
	if (lfd >= 0)
		rc == 0 ? close(lfd) : loop_detach(lfd);
	if (hfd >= 0)
		rc == 0 ? close(hfd) : loop_detach(hfd);
	if (tfd >= 0)
		close(tfd);
	return rc;
}

/* The whole image against its digest, through the descriptor the loop device then reads. */
static int hash_whole(int fd, const uint8_t digest[32], const char *hex, const char *img, struct err *e)
{
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	uint8_t buf[HASH_BUF], got[DIGEST_LEN];
	uint64_t nbytes;
	if (digest_fd(fd, buf, sizeof buf, got, &nbytes, e) != 0)
		return err_prefix(e, "%s: ", img);
	if (memcmp(got, digest, DIGEST_LEN) != 0) {
		char ghex[DIGEST_HEX_LEN + 1];
		digest_to_hex(got, ghex);
		return err_set(e, EBADMSG, "digest mismatch: expected sha256:%s, got sha256:%s (%llu bytes)", hex, ghex,
			       (unsigned long long)nbytes);
	}
	return 0;
}

/* Called with the lock held and nothing mounted at mnt. */
static int attach_locked(const struct layer_store *st, const uint8_t digest[32], const char *hex,
			 const struct cfg_verity *v, const char *mnt, struct err *e)
{
	char img[LAYER_PATH_MAX];
	if (layer_path(img, sizeof img, st->images_dir, digest) < 0)
		return err_set(e, ENAMETOOLONG, "%s: images dir path too long", st->images_dir);
	int fd = open(img, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return err_set(e, ENOENT, "missing: expected sha256:%s at %s", hex, img);
	if (fd < 0)
		return err_sys(e, errno, "%s", img);
	int rc = -1, lfd = -1, dfd = -1;
	int mounted = 0, made_dir = 0;
	char name[80] = "", dev[32];
	struct stat before, after;
	if (fstat(fd, &before) != 0) {
		err_sys(e, errno, "%s", img);
		goto out;
	}
	if (!S_ISREG(before.st_mode)) {
		err_set(e, EINVAL, "%s: not a regular file", img);
		goto out;
	}
	if (v && !verity_available()) {
		char mark[PATH_MAX];
		snprintf(mark, sizeof mark, "%s/.no-dm-verity", st->run_dir);
		int m = open(mark, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (m >= 0) { /* said once a boot */
			close(m);
			note(st, "layers: this kernel has no dm-verity (no /sys/module/dm_verity or /dev/mapper/control): "
				 "layers are hashed whole before their first mount and not checked after");
		}
		v = NULL;
	}
	if (v) {
		snprintf(name, sizeof name, "keel-%s", hex);
		if (verity_attach(st, digest, hex, fd, v, name, dev, sizeof dev, e) != 0) {
			name[0] = '\0';
			goto out;
		}
		/* The file system type as the verified device says it. */
		if ((dfd = open(dev, O_RDONLY | O_CLOEXEC)) < 0) {
			err_sys(e, errno, "%s", dev);
			goto out;
		}
	} else {
		if (hash_whole(fd, digest, hex, img, e) != 0 || (lfd = loop_attach(fd, hex, dev, sizeof dev, e)) < 0)
			goto out;
	}
	const char *type = fs_type(dfd >= 0 ? dfd : fd);
	if (!type) {
		err_set(e, EINVAL, "%s: not an erofs or squashfs image", img);
		goto out;
	}
	if (mkdir(mnt, 0700) == 0)
		made_dir = 1;
	else if (errno != EEXIST) {
		err_sys(e, errno, "mkdir %s", mnt);
		goto out;
	}
	if (mount(dev, mnt, type, MS_RDONLY | MS_NODEV | MS_NOSUID, NULL) != 0) {
		err_sys(e, errno, "mount %s (%s on %s) at %s", type, dev, img, mnt);
		goto out;
	}
	mounted = 1;
	/* Hashed whole: the mount has read the superblock through the loop device; a write to the
	 * file since we started hashing would show in its times or size. */
	if (!v && (fstat(fd, &after) != 0 || !same_file_state(&before, &after))) {
		err_set(e, EBUSY, "%s: changed while being verified", img);
		goto out;
	}
	rc = 0;
out:
	if (dfd >= 0)
		close(dfd);
	if (rc != 0) {
		if (mounted && umount2(mnt, 0) != 0)
			umount2(mnt, MNT_DETACH);
		if (made_dir)
			rmdir(mnt);
		if (lfd >= 0)
			loop_detach(lfd);
		if (name[0])
			verity_remove(name, 0);
	} else {
		if (lfd >= 0)
			close(lfd); /* the mount holds the device now; AUTOCLEAR frees it at unmount */
		if (name[0])
			verity_remove(name, 1); /* gone with the unmount, and the loop devices with it */
	}
	close(fd);
	return rc;
}

int layer_corrupt(const uint8_t digest[32])
{
	char hex[DIGEST_HEX_LEN + 1], name[80];
	digest_to_hex(digest, hex);
	snprintf(name, sizeof name, "keel-%s", hex);
	return verity_corrupt(name);
}

int layer_attach(const struct layer_store *st, const uint8_t digest[32], const struct cfg_verity *v, char *out,
		 size_t outlen, struct err *e)
{
	char hex[DIGEST_HEX_LEN + 1], mnt[PATH_MAX], lock[PATH_MAX];
	digest_to_hex(digest, hex);
	int rc = -1;
	if ((size_t)snprintf(mnt, sizeof mnt, "%s/%s", st->run_dir, hex) >= sizeof mnt ||
	    (size_t)snprintf(lock, sizeof lock, "%s/%s.lock", st->run_dir, hex) >= sizeof lock ||
	    strlen(mnt) >= outlen) {
		err_set(e, ENAMETOOLONG, "%s: path too long", st->run_dir);
		goto fail;
	}
	if (is_layer_mount(mnt, st->run_dir))
		goto done;
	if (mkdir_p(st->run_dir, 0700, e) != 0)
		goto fail;
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0) {
		err_sys(e, errno, "%s", lock);
		goto fail;
	}
	while (flock(lfd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			err_sys(e, errno, "flock %s", lock);
			close(lfd);
			goto fail;
		}
	}
	/* Another process may have mounted it while we waited for the lock. */
	rc = is_layer_mount(mnt, st->run_dir) ? 0 : attach_locked(st, digest, hex, v, mnt, e);
	close(lfd); /* releases the lock */
	if (rc != 0)
		goto fail;
done:
	memcpy(out, mnt, strlen(mnt) + 1);
	return 0;
fail:
	return err_prefix(e, "layer sha256:%.12s: ", hex);
}
