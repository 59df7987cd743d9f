/* keel-pack: turn directories, tars and OCI image layouts into read-only layer images, by digest. */
#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"usage: keel-pack [--format erofs|squashfs] [--arch ARCH] -o OUTDIR NAME=SOURCE...\n"
	"       keel-pack bundle -o OUT.kbu --layers STORE [--factory STORE] CONFIG.bin   (see bundle --help)\n"
	"\n"
	"Builds one read-only layer image per NAME=SOURCE into OUTDIR/layers/sha256/<hex>.img and its\n"
	"dm-verity hash tree beside it (<hex>.verity), records NAME in OUTDIR/layers/index (lines\n"
	"'NAME sha256:<hex> verity=BLOCKS:<root hex>', merged with what is there) and prints\n"
	"'NAME sha256:<hex>' for each. SOURCE is one of:\n"
	"  DIR               a directory, imaged as it is\n"
	"  FILE              a tar (plain, gzip, xz, bzip2 or zstd); OCI whiteouts become overlayfs ones\n"
	"  oci:DIR[:TAG]     an OCI image layout; its layers are applied bottom first into one image\n"
	"Options:\n"
	"  --format F        erofs (default) or squashfs\n"
	"  --arch ARCH       platform to pick from a multi-platform OCI image (default amd64)\n"
	"  -o OUTDIR         output directory (created if missing)\n"
	"  -h, --help        this text\n"
	"The same input always gives the same image and digest. Tar and OCI sources need root\n"
	"(owners, device nodes, trusted.overlay.* xattrs). See keel-pack(1).\n";

struct opts {
	const char *format, *arch, *outdir;
};

/* Extract tar `tar` into a fresh <work>/<i> and merge it over <work>/<i-1> (if i > 0). */
static int apply_tar(const char *work, size_t i, const char *tar, struct err *e)
{
	char up[4096], low[4096];
	if (pathf(e, up, sizeof up, "%s/%zu", work, i) != 0 ||
	    pathf(e, low, sizeof low, "%s/%zu", work, i - 1) != 0)
		return -1;
	if (mkdir(up, 0755) != 0)
		return err_sys(e, errno, "mkdir %s", up);
	if (tar_extract(tar, up, e) != 0)
		return -1;
	int ufd = open(up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int lfd = i ? open(low, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int rc;
	if (ufd < 0 || (i && lfd < 0))
		rc = err_sys(e, errno, "open %s", ufd < 0 ? up : low);
	else
		rc = wh_merge(ufd, lfd, tar, e);
	if (ufd >= 0)
		close(ufd);
	if (lfd >= 0)
		close(lfd);
	if (rc == 0 && i)
		rm_rf(low); /* what is left of the lower tree was replaced or whited out */
	return rc;
}

static int pack_one(const struct opts *o, const char *layers, const char *src,
		    uint8_t digest[DIGEST_LEN], struct err *e)
{
	struct stat st;
	if (strncmp(src, "oci:", 4) != 0) {
		if (stat(src, &st) != 0)
			return err_sys(e, errno, "%s", src);
		if (S_ISDIR(st.st_mode))
			return image_build(o->format, src, layers, digest, e);
		if (!S_ISREG(st.st_mode))
			return err_set(e, EINVAL, "%s: expected a directory, a tar file or oci:DIR[:TAG]", src);
	}

	/* Extracting as anyone else would silently lose owners, device nodes and overlay xattrs. */
	if (geteuid() != 0)
		return err_set(e, EPERM, "%s: tar and OCI sources need root (owners, device nodes, "
				      "trusted.overlay.* xattrs)", src);
	char work[4096];
	if (pathf(e, work, sizeof work, "%s/.work-XXXXXX", layers) != 0)
		return -1;
	if (!mkdtemp(work))
		return err_sys(e, errno, "mkdtemp %s", work);
	int rc = -1;
	size_t top = 0;
	if (strncmp(src, "oci:", 4) != 0) {
		rc = apply_tar(work, 0, src, e);
	} else {
		/* oci:DIR or oci:DIR:TAG; a DIR that itself holds ':' works when given without a tag. */
		char *dir = strdup(src + 4), *tag = NULL, *colon;
		if (!dir) {
			rm_rf(work);
			return err_set(e, ENOMEM, "out of memory");
		}
		if (stat(dir, &st) != 0 && (colon = strrchr(dir, ':'))) {
			*colon = '\0';
			tag = colon + 1;
		}
		struct oci_layers ls;
		if (oci_resolve(dir, tag, o->arch, &ls, e) == 0) {
			rc = 0;
			for (size_t i = 0; i < ls.n && rc == 0; i++)
				rc = apply_tar(work, i, ls.paths[i], e);
			if (ls.n == 0) {
				char empty[4096];
				rc = pathf(e, empty, sizeof empty, "%s/0", work);
				if (rc == 0 && mkdir(empty, 0755) != 0)
					rc = err_sys(e, errno, "mkdir %s", empty);
			}
			top = ls.n ? ls.n - 1 : 0;
			oci_layers_free(&ls);
		}
		free(dir);
	}
	if (rc == 0) {
		char tree[4096];
		rc = pathf(e, tree, sizeof tree, "%s/%zu", work, top);
		if (rc == 0)
			rc = image_build(o->format, tree, layers, digest, e);
	}
	rm_rf(work);
	return rc;
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
			o.arch = a + 7;
		} else if (strcmp(a, "--arch") == 0 && i + 1 < argc) {
			o.arch = argv[++i];
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
		if (pack_one(&o, layers, eq + 1, ents[k].digest, &e) != 0 ||
		    image_tree(layers, ents[k].digest, &ents[k].verity_blocks, ents[k].verity_root, &e) != 0) {
			fprintf(stderr, "keel-pack: %s: %s\n", ents[k].name, e.msg);
			rc = 1;
			break;
		}
		char hex[DIGEST_HEX_LEN + 1];
		digest_to_hex(ents[k].digest, hex);
		printf("%s sha256:%s\n", ents[k].name, hex);
		fflush(stdout);
	}
	if (rc == 0 && index_update(layers, ents, n, &e) != 0) {
		fprintf(stderr, "keel-pack: %s\n", e.msg);
		rc = 1;
	}
	free(ents);
	return rc;
}
