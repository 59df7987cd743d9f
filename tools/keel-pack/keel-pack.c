/* keel-pack: turn directories, tars, OCI layouts, docker archives and registry images into read-only
 * layer images, by digest, and record what each image's config says for keelc. */
#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
#include "build/gen/usage/keel-pack.inc"
	;

struct opts {
	const char *format, *arch, *outdir;
	int insecure;
};

/* Extract tar `tar` into a fresh <work>/<i>. */
static int extract_layer(const char *work, size_t i, const char *tar, struct err *e)
{
	char up[4096];
	if (pathf(e, up, sizeof up, "%s/%zu", work, i) != 0)
		return -1;
	if (mkdir(up, 0755) != 0)
		return err_sys(e, errno, "mkdir %s", up);
	return tar_extract(tar, up, e);
}

/* Merge <work>/<i> over <work>/<i-1> (if i > 0): OCI whiteouts become overlayfs ones. */
static int merge_layer(const char *work, size_t i, const char *where, struct err *e)
{
	char up[4096], low[4096];
	if (pathf(e, up, sizeof up, "%s/%zu", work, i) != 0 ||
	    pathf(e, low, sizeof low, "%s/%zu", work, i - 1) != 0)
		return -1;
	int ufd = open(up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int lfd = i ? open(low, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int rc;
	if (ufd < 0 || (i && lfd < 0))
		rc = err_sys(e, errno, "open %s", ufd < 0 ? up : low);
	else
		rc = wh_merge(ufd, lfd, where, e);
	if (ufd >= 0)
		close(ufd);
	if (lfd >= 0)
		close(lfd);
	if (rc == 0 && i)
		rm_rf(low); /* what is left of the lower tree was replaced or whited out */
	return rc;
}

/* An image: its config read, its layers applied bottom first into <work>/<top>, whiteouts and
 * overlay xattrs dropped (the merge applied them), mount points added, users and programs read,
 * then imaged. ent->image gets it all. */
static int pack_image(const struct opts *o, const char *layers, const char *work, const struct oci_layers *ls,
		      struct layer_index_entry *ent, struct err *e)
{
	struct layer_image *im = calloc(1, sizeof *im);
	if (!im)
		return err_set(e, ENOMEM, "out of memory");
	int rc = imgcfg_read(ls->config, o->arch, im, e);
	for (size_t i = 0; i < ls->n && rc == 0; i++)
		rc = extract_layer(work, i, ls->paths[i], e) || merge_layer(work, i, ls->paths[i], e) ? -1 : 0;
	char tree[4096];
	if (rc == 0)
		rc = pathf(e, tree, sizeof tree, "%s/%zu", work, ls->n ? ls->n - 1 : 0);
	if (rc == 0 && ls->n == 0 && mkdir(tree, 0755) != 0)
		rc = err_sys(e, errno, "mkdir %s", tree);
	if (rc == 0) {
		int fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			rc = err_sys(e, errno, "open %s", tree);
		else if (wh_strip(fd, tree, e) || rootfs_prepare(fd, im, e) || rootfs_users(fd, im, e) ||
			 rootfs_which(fd, im, e))
			rc = -1;
		if (fd >= 0)
			close(fd);
	}
	if (rc == 0)
		rc = image_build(o->format, tree, layers, ent->digest, e);
	if (rc == 0)
		rc = layer_image_add_layer(im, ent->digest, e);
	if (rc == 0)
		ent->image = im;
	else
		layer_image_free(im);
	return rc;
}

/* SPEC is PATH or PATH:REF, where PATH exists (and may itself hold ':'): split it. */
static int split_ref(char *spec, char **ref)
{
	struct stat st;
	*ref = NULL;
	if (stat(spec, &st) == 0)
		return 0;
	for (char *c = strchr(spec, ':'); c; c = strchr(c + 1, ':')) {
		*c = '\0';
		if (stat(spec, &st) == 0) {
			*ref = c + 1;
			return 0;
		}
		*c = ':';
	}
	return -1;
}

enum kind { K_TAR, K_OCI, K_ARCHIVE, K_PULL };

static int pack_in(const struct opts *o, const char *layers, const char *work, enum kind k, const char *src,
		   struct layer_index_entry *ent, struct err *e)
{
	struct oci_layers ls = {0};
	char *spec = strdup(src), *ref = NULL, *tag = NULL, arch_dir[4096], cache[4096];
	int rc = -1;
	if (!spec)
		return err_set(e, ENOMEM, "out of memory");
	if (pathf(e, arch_dir, sizeof arch_dir, "%s/archive", work) != 0)
		goto out;
	switch (k) {
	case K_OCI:
		split_ref(spec, &ref);
		rc = oci_resolve(spec, ref, o->arch, &ls, e);
		break;
	case K_PULL:
		rc = pathf(e, cache, sizeof cache, "%s/cache", o->outdir) || pull_image(src, o->arch, o->insecure, cache, &tag, e) ||
			     oci_resolve(cache, tag, o->arch, &ls, e)
			     ? -1
			     : 0;
		break;
	case K_ARCHIVE:
	case K_TAR:
		if (k == K_ARCHIVE && split_ref(spec, &ref) != 0) {
			rc = err_sys(e, ENOENT, "%s", spec);
			break;
		}
		/* Extracted as it is first: a docker or OCI archive is an image, anything else a layer. */
		if (mkdir(arch_dir, 0755) != 0) {
			rc = err_sys(e, errno, "mkdir %s", arch_dir);
			break;
		}
		if (tar_extract(spec, arch_dir, e) != 0)
			break;
		if (docker_is_archive(arch_dir)) {
			rc = docker_resolve(arch_dir, ref, &ls, e);
		} else {
			char lay[4096];
			struct stat st;
			if (pathf(e, lay, sizeof lay, "%s/oci-layout", arch_dir) != 0)
				break;
			if (stat(lay, &st) == 0) {
				rc = oci_resolve(arch_dir, ref, o->arch, &ls, e);
			} else if (k == K_ARCHIVE) {
				rc = err_set(e, EINVAL, "not a docker archive: no manifest.json");
			} else {
				/* One layer diff: converted in place, imaged as a layer. */
				char zero[4096];
				rc = pathf(e, zero, sizeof zero, "%s/0", work) || rename(arch_dir, zero) ||
					     merge_layer(work, 0, src, e) || image_build(o->format, zero, layers, ent->digest, e)
					     ? -1
					     : 0;
				goto out;
			}
		}
		break;
	}
	if (rc == 0)
		rc = pack_image(o, layers, work, &ls, ent, e);
out:
	oci_layers_free(&ls);
	free(tag);
	free(spec);
	return rc;
}

/* The dm-verity tree of each layer image an entry names (a layer's, or an image's layers), built
 * beside the image, and appended to *trees for the index. */
static int trees_of(const char *layers, const struct layer_index_entry *ent, struct layer_tree **trees, size_t *n,
		    struct err *e)
{
	uint32_t k = ent->image ? ent->image->nlayers : 1;
	for (uint32_t i = 0; i < k; i++) {
		struct layer_tree t;
		memcpy(t.digest, ent->image ? ent->image->layers[i] : ent->digest, 32);
		if (image_tree(layers, t.digest, &t.blocks, t.root, e) != 0)
			return -1;
		if (!t.blocks)
			continue; /* not whole 4 KiB blocks: hashed whole on the device */
		struct layer_tree *v = realloc(*trees, (*n + 1) * sizeof *v);
		if (!v)
			return err_set(e, ENOMEM, "out of memory");
		v[(*n)++] = t;
		*trees = v;
	}
	return 0;
}

static int pack_one(const struct opts *o, const char *layers, const char *src, struct layer_index_entry *ent,
		    struct err *e)
{
	struct stat st;
	enum kind k = K_TAR;
	const char *s = src;
	if (!strncmp(src, "oci:", 4)) {
		k = K_OCI;
		s = src + 4;
	} else if (!strncmp(src, "docker-archive:", 15)) {
		k = K_ARCHIVE;
		s = src + 15;
	} else if (!strncmp(src, "docker://", 9)) {
		k = K_PULL;
		s = src + 9;
	} else {
		if (stat(src, &st) != 0)
			return err_sys(e, errno, "%s", src);
		if (S_ISDIR(st.st_mode))
			return image_build(o->format, src, layers, ent->digest, e);
		if (!S_ISREG(st.st_mode))
			return err_set(e, EINVAL, "%s: expected a directory, a tar file, oci:DIR[:TAG], "
					      "docker-archive:FILE[:REF] or docker://REF", src);
	}

	/* Extracting as anyone else would silently lose owners, device nodes and overlay xattrs. */
	if (geteuid() != 0)
		return err_set(e, EPERM, "%s: tar, OCI and registry sources need root (owners, device nodes, "
				      "trusted.overlay.* xattrs)", src);
	char work[4096];
	if (pathf(e, work, sizeof work, "%s/.work-XXXXXX", layers) != 0)
		return -1;
	if (!mkdtemp(work))
		return err_sys(e, errno, "mkdtemp %s", work);
	int rc = pack_in(o, layers, work, k, s, ent, e);
	rm_rf(work);
	if (rc != 0 && k != K_TAR) {
		if (k == K_OCI) {
			char *spec = strdup(s), *ref;
			if (spec)
				split_ref(spec, &ref);
			err_prefix(e, "oci:%.200s: ", spec ? spec : s);
			free(spec);
		} else {
			err_prefix(e, "%s: ", src);
		}
	} else if (rc != 0 && strncmp(e->msg, src, strlen(src)) != 0) {
		err_prefix(e, "%s: ", src);
	}
	return rc;
}

/* x86_64 and aarch64 (keel's ARCH names) are OCI's amd64 and arm64. */
static const char *oci_arch(const char *a)
{
	return !strcmp(a, "x86_64") ? "amd64" : !strcmp(a, "aarch64") ? "arm64" : a;
}

int main(int argc, char **argv)
{
	struct opts o = {.format = "erofs", .arch = "amd64"};
	if (argc > 1 && strcmp(argv[1], "bundle") == 0)
		return bundle_main(argc - 1, argv + 1);
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strncmp(a, "--format=", 9) == 0) {
			o.format = a + 9;
		} else if (strcmp(a, "--format") == 0 && i + 1 < argc) {
			o.format = argv[++i];
		} else if (strncmp(a, "--arch=", 7) == 0) {
			o.arch = oci_arch(a + 7);
		} else if (strcmp(a, "--arch") == 0 && i + 1 < argc) {
			o.arch = oci_arch(argv[++i]);
		} else if (strcmp(a, "--insecure") == 0) {
			o.insecure = 1;
		} else if (strcmp(a, "-o") == 0 && i + 1 < argc) {
			o.outdir = argv[++i];
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, "keel-pack: unknown option '%s' (see --help)\n", a);
			return 2;
		}
	}
	if (strcmp(o.format, "erofs") != 0 && strcmp(o.format, "squashfs") != 0) {
		fprintf(stderr, "keel-pack: --format: expected erofs or squashfs, got '%s'\n", o.format);
		return 2;
	}
	if (!o.outdir || i == argc) {
		fputs(usage, stderr);
		return 2;
	}
	size_t n = (size_t)(argc - i);
	struct layer_index_entry *ents = calloc(n, sizeof *ents);
	struct layer_tree *trees = NULL; /* the dm-verity trees of what was packed, for the index */
	size_t ntrees = 0;
	if (!ents)
		return 1;
	umask(022); /* modes of the directories we create end up in the image */
	char layers[4096];
	struct err e;
	err_clear(&e);
	if (pathf(&e, layers, sizeof layers, "%s/layers", o.outdir) != 0) {
		fprintf(stderr, "keel-pack: -o: %s\n", e.msg);
		free(ents);
		return 2;
	}
	int rc = 0;
	if ((mkdir(o.outdir, 0755) != 0 && errno != EEXIST) || (mkdir(layers, 0755) != 0 && errno != EEXIST)) {
		fprintf(stderr, "keel-pack: mkdir %s: %s\n", layers, strerror(errno));
		free(ents);
		return 1;
	}
	for (size_t k = 0; k < n && rc == 0; k++) {
		const char *spec = argv[i + (int)k], *eq = strchr(spec, '=');
		if (!eq || (size_t)(eq - spec) > LAYER_NAME_MAX) {
			fprintf(stderr, "keel-pack: '%s': expected NAME=SOURCE\n", spec);
			rc = 2;
			break;
		}
		memcpy(ents[k].name, spec, (size_t)(eq - spec));
		ents[k].name[eq - spec] = '\0';
		if (!layer_name_ok(ents[k].name)) {
			fprintf(stderr, "keel-pack: '%s': name: expected letters, digits, '.', '_', '-'\n", spec);
			rc = 2;
			break;
		}
		if (pack_one(&o, layers, eq + 1, &ents[k], &e) != 0 || trees_of(layers, &ents[k], &trees, &ntrees, &e) != 0) {
			fprintf(stderr, "keel-pack: %s: %s\n", ents[k].name, e.msg);
			rc = 1;
			break;
		}
		char hex[DIGEST_HEX_LEN + 1];
		digest_to_hex(ents[k].digest, hex);
		printf("%s %ssha256:%s\n", ents[k].name, ents[k].image ? "image " : "", hex);
		fflush(stdout);
	}
	if (rc == 0 && index_update(layers, ents, n, trees, ntrees, &e) != 0) {
		fprintf(stderr, "keel-pack: %s\n", e.msg);
		rc = 1;
	} else if (rc != 0) {
		for (size_t k = 0; k < n; k++)
			layer_image_free(ents[k].image); /* not handed to the index */
	}
	free(ents);
	free(trees);
	return rc;
}
