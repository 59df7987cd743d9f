/* The layer store on the device: verify a layer image's SHA-256 once per boot and keep it mounted
 * read-only for every container that uses it. */
#ifndef KEEL_RUNTIME_LAYERS_H
#define KEEL_RUNTIME_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

struct layer_store {
	const char *images_dir; /* contains sha256/<hex>.img (root-only) */
	const char *run_dir;    /* e.g. /run/keel/layers: mounts <hex>, locks <hex>.lock */
};

/* Make the layer with this digest available read-only at <run_dir>/<hex> and write that path
 * into out. If it is already mounted there (an earlier start in this boot, maybe by another
 * process) it is reused without hashing. Otherwise, under flock(<run_dir>/<hex>.lock), the image
 * is hashed and, if its digest matches, attached to a read-only loop device and mounted (erofs or
 * squashfs, MS_RDONLY|MS_NODEV|MS_NOSUID). On failure nothing stays mounted or attached and e
 * holds one line starting "layer sha256:<first 12 hex>: ", e.g.
 *   "layer sha256:0123456789ab: digest mismatch: expected sha256:<hex>, got sha256:<hex> (N bytes)"
 * (the caller prefixes the service). Uses about 70 KiB of stack (the hashing buffer). */
int layer_attach(const struct layer_store *st, const uint8_t digest[32], char *out, size_t outlen,
		 struct err *e);

#endif
