/* Layer store: hash a layer image, attach it to a read-only loop device and mount it, once per boot.
 *
 * Trust and its limit: the image is hashed through the same open file that is then handed to the
 * loop device, so a rename or replacement of the path after hashing cannot swap in another file.
 * An in-place rewrite of that very file is still possible for root: it is detected if it happens
 * between the start of hashing and the end of the mount (size, mtime and ctime are compared), but
 * not afterwards, since the loop device reads the file as it is then. The store is root-only and
 * updates write new images under new names (temporary name, fsync, rename), never in place, so
 * only a root process bent on it could change a mounted layer; copying each image to verified
 * memory would close that gap at the cost of RAM and start time, which we do not pay. */
#include "layers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../lib/digest.h"
#include "../lib/file.h"
#include "../lib/paths.h"

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

/* Called with the lock held and nothing mounted at mnt. */
static int attach_locked(const struct layer_store *st, const uint8_t digest[32], const char *hex,
			 const char *mnt, struct err *e)
{
	char img[LAYER_PATH_MAX];
	if (layer_path(img, sizeof img, st->images_dir, digest) < 0)
		return err_set(e, ENAMETOOLONG, "%s: images dir path too long", st->images_dir);
	int fd = open(img, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return err_set(e, ENOENT, "missing: expected sha256:%s at %s", hex, img);
	if (fd < 0)
		return err_sys(e, errno, "%s", img);
	int rc = -1, lfd = -1;
	int mounted = 0, made_dir = 0;
	struct stat before, after;
	if (fstat(fd, &before) != 0) {
		err_sys(e, errno, "%s", img);
		goto out;
	}
	if (!S_ISREG(before.st_mode)) {
		err_set(e, EINVAL, "%s: not a regular file", img);
		goto out;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	uint8_t buf[HASH_BUF], got[DIGEST_LEN];
	uint64_t nbytes;
	if (digest_fd(fd, buf, sizeof buf, got, &nbytes, e) != 0) {
		err_prefix(e, "%s: ", img);
		goto out;
	}
	if (memcmp(got, digest, DIGEST_LEN) != 0) {
		char ghex[DIGEST_HEX_LEN + 1];
		digest_to_hex(got, ghex);
		err_set(e, EBADMSG, "digest mismatch: expected sha256:%s, got sha256:%s (%llu bytes)", hex,
			ghex, (unsigned long long)nbytes);
		goto out;
	}
	const char *type = fs_type(fd);
	if (!type) {
		err_set(e, EINVAL, "%s: not an erofs or squashfs image", img);
		goto out;
	}

	char dev[32];
	lfd = loop_attach(fd, hex, dev, sizeof dev, e);
	if (lfd < 0)
		goto out;
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
	/* The mount has read the superblock through the loop device; a write to the file since we
	 * started hashing would show in its times or size. */
	if (fstat(fd, &after) != 0 || !same_file_state(&before, &after)) {
		err_set(e, EBUSY, "%s: changed while being verified", img);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		if (mounted && umount2(mnt, 0) != 0)
			umount2(mnt, MNT_DETACH);
		if (made_dir)
			rmdir(mnt);
		if (lfd >= 0)
			loop_detach(lfd);
	} else {
		close(lfd); /* the mount holds the device now; AUTOCLEAR frees it at unmount */
	}
	close(fd);
	return rc;
}

int layer_attach(const struct layer_store *st, const uint8_t digest[32], char *out, size_t outlen,
		 struct err *e)
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
	rc = is_layer_mount(mnt, st->run_dir) ? 0 : attach_locked(st, digest, hex, mnt, e);
	close(lfd); /* releases the lock */
	if (rc != 0)
		goto fail;
done:
	memcpy(out, mnt, strlen(mnt) + 1);
	return 0;
fail:
	return err_prefix(e, "layer sha256:%.12s: ", hex);
}
