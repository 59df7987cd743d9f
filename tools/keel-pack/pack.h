/* keel-pack's modules: sources to layer images (whiteouts, OCI layouts, tar), the store, the index. */
#ifndef KEEL_PACK_H
#define KEEL_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/digest.h"
#include "../../format/layer_index.h"
#include "../../lib/err.h"
#include "../../lib/paths.h"


/* whiteout.c: OCI whiteouts -> overlayfs whiteouts. */
enum wh_kind { WH_NONE, WH_FILE, WH_OPAQUE, WH_BAD };
/* Classify a directory entry name: ".wh..wh..opq" is WH_OPAQUE, ".wh.X" is WH_FILE with *target
 * pointing at X, ".wh." alone or ".wh.." / ".wh..." style names naming "."/".." are WH_BAD. */
enum wh_kind wh_classify(const char *name, const char **target);
/* Turn the extracted layer tree `upper` into the merge of itself over `lower` (an earlier
 * result, or -1): OCI markers in upper become overlayfs whiteouts (char 0:0) and opaque dirs
 * (trusted.overlay.opaque=y); entries of lower that upper neither replaces, whites out nor hides
 * behind an opaque dir are moved (renamed) into upper. `where` names upper in errors. */
int wh_merge(int upper, int lower, const char *where, struct err *e);

/* oci.c: an OCI image layout -> its layer blobs, bottom first, each digest-checked. */
struct oci_layers {
	size_t n;
	char **paths;
};
int oci_resolve(const char *dir, const char *tag, const char *arch, struct oci_layers *out,
		struct err *e);
void oci_layers_free(struct oci_layers *l);

/* util.c */
/* snprintf into a path buffer; -1 (and e filled) when it does not fit. */
int pathf(struct err *e, char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int run_cmd(char *const argv[], struct err *e);  /* -1 unless it exits 0 */
int rm_rf(const char *path);                      /* best effort, for temporary trees */
int tar_extract(const char *tar, const char *dir, struct err *e);
int hash_file(const char *path, uint8_t out[DIGEST_LEN], uint64_t *size, struct err *e);

/* image.c: build an image from a directory into <layers_dir>/sha256/<hex>.img. */
int image_build(const char *format, const char *src, const char *layers_dir,
		uint8_t digest[DIGEST_LEN], struct err *e);
/* The dm-verity tree of that image, STORE/sha256/<hex>.verity (layer_index_verity's parameters):
 * *blocks and root for the index; *blocks = 0 when the image is not whole 4 KiB blocks. */
int image_tree(const char *layers_dir, const uint8_t digest[DIGEST_LEN], uint64_t *blocks, uint8_t root[32],
	       struct err *e);

/* index.c: put every entry of adds into <layers_dir>/index (format/layer_index.h; missing is
 * empty) under the store's lock, and write it back atomically. */
int index_update(const char *layers_dir, const struct layer_index_entry *adds, size_t nadds, struct err *e);

/* bundle.c: `keel-pack bundle ...` (argv[0] is "bundle"); returns the exit status. */
int bundle_main(int argc, char **argv);

#endif
