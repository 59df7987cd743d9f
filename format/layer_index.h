/* keel-pack's layer index, LAYERS_DIR/index: the one reader and writer keel-pack and keelc share.
 * Host tools only: the device never reads an index. keelc resolves a config's layer and image
 * names through it, so the binary config holds digests and numbers only.
 *
 * A text file of lines ending in '\n', entries sorted by name; blank lines and lines starting with
 * '#' are skipped (a rewrite drops them). Tokens are separated by one space. An entry is
 *
 *   NAME sha256:<64 hex>                      a layer
 *   NAME image sha256:<64 hex>...             an image: its layers, lowest first, then indented
 *     KEY VALUE...                            lines (two spaces) saying what its config says:
 *
 *   arch STR                 platform it was packed for ("amd64", "arm64/v8")
 *   entrypoint STR...        Entrypoint; the line absent: null; the line alone: [] (both are kept,
 *   cmd STR...               Cmd          as Docker tells them apart)
 *   env STR                  one Env entry "KEY=value" (repeated, in the image's order)
 *   workdir STR              WorkingDir
 *   user STR                 User, as written ("1000", "www:www")
 *   stopsignal STR           StopSignal, as written ("SIGQUIT", "3")
 *   passwd STR UID GID STR   an /etc/passwd line of the image: name, uid, gid, home (repeated)
 *   group STR GID STR...     an /etc/group line: name, gid, member names (repeated)
 *   which STR STR            a program the image names without a '/' and where keel-pack found
 *                            it along the image's PATH: "nginx" "/usr/sbin/nginx" (repeated)
 *
 * STR is a double-quoted string: bytes 0x20..0x7e stand for themselves except '"' and '\', which
 * are written \" and \\; every other byte is \xHH (two hex digits). So a value with spaces,
 * newlines or any bytes reads back exactly, and a line never breaks inside one. The index is made
 * from untrusted images: every count and length below is bounded and the parser is fuzzed
 * (tests/fuzz/fuzz_layer_index.c). */
#ifndef KEEL_FORMAT_LAYER_INDEX_H
#define KEEL_FORMAT_LAYER_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

#define LAYER_NAME_MAX 64               /* bytes of a layer name */
#define LAYER_INDEX_MAX 4096            /* names in one index */
#define LAYER_INDEX_BYTES (32u << 20)   /* bytes of one index file */
#define LAYER_STR_MAX 4096              /* bytes of one string, decoded */
#define LAYER_IMAGE_LAYERS_MAX 16       /* layers of one image */
#define LAYER_LIST_MAX 1024             /* strings of one list (entrypoint, cmd, env, members, which) */
#define LAYER_USERS_MAX 4096            /* passwd or group entries of one image */

/* A list of strings that may also be absent (JSON null) rather than empty. */
struct layer_strs {
	char **v;
	uint32_t n;
	uint8_t set;                    /* 0: absent; 1: given, maybe with no strings */
};

struct layer_user {
	char *name, *home;
	uint32_t uid, gid;
};

struct layer_group {
	char *name;
	uint32_t gid;
	struct layer_strs members;
};

/* What an image's config and its own /etc/passwd and /etc/group say (see above). */
struct layer_image {
	uint8_t (*layers)[32];          /* lowest first */
	uint32_t nlayers;
	char *arch, *workdir, *user, *stop_signal;      /* NULL: not set by the image */
	struct layer_strs entrypoint, cmd, env;
	struct layer_strs which;        /* pairs: name, absolute path */
	struct layer_user *users;
	uint32_t nusers;
	struct layer_group *groups;
	uint32_t ngroups;
};

struct layer_index_entry {
	char name[LAYER_NAME_MAX + 1];
	uint8_t digest[32];             /* a layer's; unused for an image */
	struct layer_image *image;      /* an image (owned by the index once put); NULL: a layer */
};

/* A layer image's dm-verity tree as keel-pack built it (layer_index_verity's parameters): in the
 * index as " verity=BLOCKS:<64 hex>" right after the layer's digest, on a layer's line or an
 * image's. keelc puts them in the config (format 1.2's VERITY section). */
struct layer_tree {
	uint8_t digest[32];             /* the layer */
	uint64_t blocks;                /* its data blocks, 2..2^40 */
	uint8_t root[32];
};

struct layer_index {
	const char *dir;                /* the LAYERS_DIR it was read from; NULL: none given */
	struct layer_index_entry *v;    /* sorted by name, malloc'd */
	size_t n;
	struct layer_tree *trees;       /* by digest, malloc'd */
	size_t ntrees;
};

struct hashtree;
/* The tree keel-pack builds for a layer image: 4096-byte data and hash blocks, the layer's digest
 * as the salt, `blocks` data blocks. */
void layer_index_verity(struct hashtree *t, const uint8_t digest[32], uint64_t blocks);
/* The tree of the layer with this digest, or NULL; insert or replace one. */
const struct layer_tree *layer_index_tree(const struct layer_index *ix, const uint8_t digest[32]);
int layer_index_put_tree(struct layer_index *ix, const struct layer_tree *t, struct err *e);

/* A layer name: 1..64 of letters, digits, '.', '_', '-', not starting with '.' or '-'. */
int layer_name_ok(const char *name);

/* Parse a whole index held in buf[0..len) into ix (which it initialises; ix->dir is left NULL).
 * Errors name WHAT:LINE and what was expected; a name listed twice is one. */
int layer_index_parse(struct layer_index *ix, const char *buf, size_t len, const char *what, struct err *e);
/* Read DIR/index into ix (ix->dir = dir). A missing index is an error with code ENOENT (keel-pack
 * starts an empty one then). */
int layer_index_load(struct layer_index *ix, const char *dir, struct err *e);
/* The entry of `name`, or NULL. */
const struct layer_index_entry *layer_index_find(const struct layer_index *ix, const char *name);
/* Insert `add`, or replace the entry of its name (freeing the old one's image); the index then owns
 * add->image. -1 (E2BIG) past LAYER_INDEX_MAX, and the caller still owns it. */
int layer_index_put(struct layer_index *ix, const struct layer_index_entry *add, struct err *e);
/* The index as text (the format above); *out is malloc'd. */
int layer_index_format(const struct layer_index *ix, char **out, size_t *len, struct err *e);
/* Write the index to DIR/index: a temporary file, fsync, rename. */
int layer_index_write(const struct layer_index *ix, const char *dir, struct err *e);
void layer_index_free(struct layer_index *ix);

/* Building an image entry (keel-pack, the parser). Each keeps the bounds above: -1 (E2BIG, or
 * EINVAL for a string holding a NUL) with `what` named in the error. */
int layer_strs_add(struct layer_strs *l, const char *s, size_t len, const char *what, struct err *e);
int layer_image_add_layer(struct layer_image *im, const uint8_t digest[32], struct err *e);
int layer_image_add_user(struct layer_image *im, const char *name, uint32_t uid, uint32_t gid, const char *home,
			 struct err *e);
/* Adds a group with no members; members go into im->groups[im->ngroups - 1].members. */
int layer_image_add_group(struct layer_image *im, const char *name, uint32_t gid, struct err *e);
/* A malloc'd copy of s[0..len) within LAYER_STR_MAX and without a NUL; NULL and e filled otherwise. */
char *layer_str_dup(const char *s, size_t len, const char *what, struct err *e);
void layer_strs_free(struct layer_strs *l);
void layer_image_free(struct layer_image *im);

#endif
