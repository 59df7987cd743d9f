/* The verity target by device-mapper ioctls (verity.h): create, load the one-target table, resume;
 * status; remove. The table is dm-verity's format 1 with no optional arguments, so a block that
 * does not match its hash is an I/O error to the reader (not a panic, not a restart). */
#include "verity.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/digest.h"

#define DM_CONTROL "/dev/mapper/control"

union dm_buf {
	struct dm_ioctl io;
	char b[1024]; /* the header, one target spec and its parameters (about 180 bytes) */
};

static void dm_hdr(union dm_buf *u, const char *name, uint32_t flags)
{
	memset(u, 0, sizeof *u);
	u->io.version[0] = DM_VERSION_MAJOR;
	u->io.data_size = sizeof *u;
	u->io.data_start = sizeof u->io;
	u->io.flags = flags;
	snprintf(u->io.name, sizeof u->io.name, "%s", name);
}

static int dm(unsigned long req, union dm_buf *u)
{
	int fd = open(DM_CONTROL, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = ioctl(fd, req, u);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int verity_available(void)
{
	/* dm_verity has module parameters, so /sys/module/dm_verity is there built in or loaded. */
	return access("/sys/module/dm_verity", F_OK) == 0 && access(DM_CONTROL, F_OK) == 0;
}

void verity_remove(const char *name, int deferred)
{
	union dm_buf u;
	dm_hdr(&u, name, deferred ? DM_DEFERRED_REMOVE : 0);
	dm(DM_DEV_REMOVE, &u);
}

int verity_create(const char *name, dev_t data, dev_t hash, const struct cfg_verity *v, char *dev, size_t devlen,
		  struct err *e)
{
	union dm_buf u;
	dm_hdr(&u, name, 0);
	int rc = dm(DM_DEV_CREATE, &u);
	if (rc < 0 && errno == EBUSY) {
		verity_remove(name, 0); /* left by an attach that died half-way */
		dm_hdr(&u, name, 0);
		rc = dm(DM_DEV_CREATE, &u);
	}
	if (rc < 0)
		return err_sys(e, errno, "device-mapper: create %s", name);
	dev_t node = (dev_t)u.io.dev;
	dm_hdr(&u, name, DM_READONLY_FLAG);
	u.io.target_count = 1;
	struct dm_target_spec *t = (void *)(u.b + sizeof u.io);
	t->length = v->data_blocks * (v->data_block_size / 512);
	snprintf(t->target_type, sizeof t->target_type, "verity");
	char root[DIGEST_HEX_LEN + 1], salt[2 * sizeof v->salt + 1] = "-";
	digest_to_hex(v->root, root);
	for (uint32_t i = 0; i < v->salt_len; i++)
		snprintf(salt + 2 * i, 3, "%02x", v->salt[i]);
	/* version, data device, hash device, block sizes, data blocks, hash start block, hash, root, salt */
	snprintf((char *)(t + 1), sizeof u - sizeof u.io - sizeof *t, "1 %u:%u %u:%u %u %u %llu 0 sha256 %s %s",
		 major(data), minor(data), major(hash), minor(hash), v->data_block_size, v->hash_block_size,
		 (unsigned long long)v->data_blocks, root, salt);
	const char *step = "load the verity table of";
	if (dm(DM_TABLE_LOAD, &u) == 0) {
		dm_hdr(&u, name, 0);
		step = "resume";
		if (dm(DM_DEV_SUSPEND, &u) == 0) {
			snprintf(dev, devlen, "/dev/dm-%u", minor(node));
			/* devtmpfs makes the node; a static /dev may not have it yet. */
			if (access(dev, F_OK) == 0 || mknod(dev, S_IFBLK | 0600, node) == 0)
				return 0;
			step = "mknod for";
		}
	}
	err_sys(e, errno, "device-mapper: %s %s", step, name);
	verity_remove(name, 0);
	return -1;
}

int verity_corrupt(const char *name)
{
	union dm_buf u;
	dm_hdr(&u, name, 0);
	if (dm(DM_TABLE_STATUS, &u) < 0 || u.io.target_count < 1 || u.io.data_start + sizeof(struct dm_target_spec) >= sizeof u)
		return -1;
	const char *status = u.b + u.io.data_start + sizeof(struct dm_target_spec);
	return status[0] == 'C';
}
