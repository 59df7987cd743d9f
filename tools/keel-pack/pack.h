/* keel-pack's modules: sources to layer images (whiteouts, OCI layouts, docker archives, registry
 * pulls, tar), image configs and users, the store, the index. */
#ifndef KEEL_PACK_H
#define KEEL_PACK_H

#include <jansson.h>
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
/* Remove every overlayfs whiteout (char 0:0) and trusted.overlay.* xattr of dirs and files from
 * a merged image tree: what the image's upper layers deleted is already gone from it. */
int wh_strip(int dirfd, const char *where, struct err *e);

/* oci.c: an OCI image layout -> its config and layer blobs, bottom first, each digest-checked. */
struct oci_layers {
	size_t n;
	char **paths;
	char *config;           /* the image config blob; NULL: none (a bare layer tar) */
};
/* arch: the --arch value, "amd64" or "arm64/v8" (platform_match). */
int oci_resolve(const char *dir, const char *tag, const char *arch, struct oci_layers *out,
		struct err *e);
int oci_add_layer(struct oci_layers *out, char *path, struct err *e); /* takes path (malloc'd) */
void oci_layers_free(struct oci_layers *l);
/* A JSON object from a file of at most 4 MiB; errors name `what`. */
json_t *json_file(const char *path, const char *what, struct err *e);

/* docker.c: an extracted `docker save` / `podman save` archive (manifest.json) -> its config and
 * layer tars; ref picks one of several images by a RepoTags entry. */
int docker_is_archive(const char *dir);
int docker_resolve(const char *dir, const char *ref, struct oci_layers *out, struct err *e);

/* pull.c: docker://REF through skopeo into the OCI layout cache_dir; *tag (malloc'd) names it there. */
int pull_image(const char *ref, const char *arch, int insecure, const char *cache_dir, char **tag,
	       struct err *e);

/* imgcfg.c: the image config -> im (Entrypoint, Cmd, Env, WorkingDir, User, StopSignal, arch),
 * refused when its platform is not `arch`. */
int platform_match(const char *arch, json_t *platform); /* arch "ARCH[/VARIANT]" vs an OCI platform */
int imgcfg_read(const char *path, const char *arch, struct layer_image *im, struct err *e);

/* rootfs.c: what keel-pack reads from and adds to an image's merged tree (rootfd). */
int rootfs_prepare(int rootfd, const struct layer_image *im, struct err *e); /* mount points, WorkingDir */
int rootfs_users(int rootfd, struct layer_image *im, struct err *e);         /* /etc/passwd, /etc/group */
int rootfs_which(int rootfd, struct layer_image *im, struct err *e);         /* programs along PATH */

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
int index_update(const char *layers_dir, const struct layer_index_entry *adds, size_t nadds,
		 const struct layer_tree *trees, size_t ntrees, struct err *e);

/* bundle.c: `keel-pack bundle ...` (argv[0] is "bundle"); returns the exit status. */
int bundle_main(int argc, char **argv);
/* The layer's image in STORE/layers (keel-pack's output dir) or STORE itself, into out; -1 if in neither. */
int bundle_store_find(const char *store, const uint8_t d[32], char *out, size_t n);

/* push.c: `keel-pack bundle --push REF`: the config and its layers to a registry. */
struct push_opts {
	const char *ca;             /* CA file for https (NULL: the system's) */
	const char *userpass;       /* "user:password" or NULL */
	int plain_http;
	const char *hosts[16];      /* "NAME=IPV4": reach NAME at that address, any port (no DNS) */
	size_t nhosts;
};
int bundle_push(const char *ref, const char *cfgpath, const char *const *stores, size_t nstores,
		const struct push_opts *o, struct err *e);

#endif
