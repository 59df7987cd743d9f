/* Device-mapper's verity target, driven by ioctl on /dev/mapper/control (no libdevmapper, no
 * veritysetup on the device): a layer image read through it is checked, block by block, against
 * the root hash the config holds, on every read from disk. */
#ifndef KEEL_RUNTIME_VERITY_H
#define KEEL_RUNTIME_VERITY_H

#include <stddef.h>
#include <sys/types.h>

#include "../format/layout.h"
#include "../lib/err.h"

/* The kernel has the verity target (dm-verity loaded or built in, device-mapper's control node). */
int verity_available(void);
/* Create the read-only device `name` ("keel-<64 hex>") reading `data` through the tree on `hash`
 * (block devices: the layer's loop devices) with v's parameters, and write its node, /dev/dm-N,
 * into dev. A corrupt block reads as EIO (the target's default mode). A device of that name left
 * from an earlier attempt is removed first. Nothing is left on failure. */
int verity_create(const char *name, dev_t data, dev_t hash, const struct cfg_verity *v, char *dev, size_t devlen,
		  struct err *e);
/* Remove the device; `deferred`: once its last user (the mount) closes it. */
void verity_remove(const char *name, int deferred);
/* The target's own status: 1 when it has met a block that does not match ('C'), 0 when not ('V'),
 * -1 when there is no such device. */
int verity_corrupt(const char *name);

#endif
