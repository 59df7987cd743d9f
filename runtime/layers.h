/* The layer store on the device: keep each layer image mounted read-only for every container that
 * uses it, read through dm-verity (checked on every read) or hashed whole once per boot. */
#ifndef KEEL_RUNTIME_LAYERS_H
#define KEEL_RUNTIME_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "../format/layout.h"
#include "../lib/err.h"

struct layer_store {
	const char *images_dir; /* contains sha256/<hex>.img and <hex>.verity (root-only) */
	const char *run_dir;    /* e.g. /run/keel/layers: mounts <hex>, locks <hex>.lock, trees of a
	                           read-only store <hex>.verity */
	/* A line worth logging (a hash tree built, no dm-verity in this kernel); NULL: dropped. */
	void (*note)(void *ctx, const char *line);
	void *note_ctx;
};

/* Make the layer with this digest available read-only at <run_dir>/<hex> and write that path
 * into out. If it is already mounted there (an earlier start in this boot, maybe by another
 * process) it is reused as it is. Otherwise, under flock(<run_dir>/<hex>.lock):
 * - with v (its dm-verity parameters) and a kernel with dm-verity: image and tree on read-only
 *   loop devices, the verity target "keel-<hex>" over them (removed when unmounted), mounted;
 *   the tree is built first when it is missing or not v's (then every block is read once);
 * - otherwise the image is hashed and, if its digest matches, attached to a read-only loop device
 *   and mounted. Without dm-verity, v is ignored and st->note says so once a boot.
 * Mounts are erofs or squashfs, MS_RDONLY|MS_NODEV|MS_NOSUID. On failure nothing stays mounted or
 * attached and e holds one line starting "layer sha256:<first 12 hex>: ", e.g.
 *   "layer sha256:0123456789ab: digest mismatch: expected sha256:<hex>, got sha256:<hex> (N bytes)"
 * (the caller prefixes the service). Uses about 70 KiB of stack (the hashing buffer). */
int layer_attach(const struct layer_store *st, const uint8_t digest[32], const struct cfg_verity *v, char *out,
		 size_t outlen, struct err *e);
/* Build the layer's tree for v from the image into `tree` (from offset 0) and check its root
 * against v's ("verity root mismatch: ..."); keel update builds it as it installs a layer. */
int layer_tree_build(int img, const struct cfg_verity *v, int tree, struct err *e);
/* The verity target's word on a layer attached through it: 1 it met a block that does not match
 * its tree (the reader got EIO), 0 not, -1 not attached through dm-verity. */
int layer_corrupt(const uint8_t digest[32]);

#endif
