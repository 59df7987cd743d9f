/* docker://REGISTRY/REPO:TAG: pulled by skopeo (containers/image: OCI and Docker manifests asked
 * for by their Accept types, token auth, the build host's policy.json and registries.conf) into
 * an OCI layout that keel-pack keeps as a cache, then read like any oci: source. The platform is
 * chosen by skopeo from a multi-platform image and checked again against the config by keel-pack. */
#include "pack.h"

#include <bearssl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int pull_image(const char *ref, const char *arch, int insecure, const char *cache_dir, char **tag,
	       struct err *e)
{
	/* The cache's tag for this reference: a fixed-size name the OCI layout accepts, whatever the
	 * reference spells (registry ports, paths, digests). */
	uint8_t d[32];
	char hex[DIGEST_HEX_LEN + 1];
	br_sha256_context sha;
	br_sha256_init(&sha);
	br_sha256_update(&sha, ref, strlen(ref));
	br_sha256_out(&sha, d);
	digest_to_hex(d, hex);
	if (asprintf(tag, "k%.24s", hex) < 0) {
		*tag = NULL;
		return err_set(e, ENOMEM, "out of memory");
	}
	char a[64], *variant = NULL, src[4200], dst[4200];
	snprintf(a, sizeof a, "%s", arch);
	if ((variant = strchr(a, '/')))
		*variant++ = '\0';
	if (pathf(e, src, sizeof src, "docker://%s", ref) != 0 || pathf(e, dst, sizeof dst, "oci:%s:%s", cache_dir, *tag) != 0)
		goto fail;
	if (mkdir(cache_dir, 0755) != 0 && errno != EEXIST) {
		err_sys(e, errno, "mkdir %s", cache_dir);
		goto fail;
	}
	char *argv[16];
	int n = 0;
	argv[n++] = "skopeo";
	argv[n++] = "copy";
	argv[n++] = "--quiet";
	if (insecure)
		argv[n++] = "--src-tls-verify=false";
	argv[n++] = "--override-os=linux";
	argv[n++] = "--override-arch";
	argv[n++] = a;
	if (variant) {
		argv[n++] = "--override-variant";
		argv[n++] = variant;
	}
	argv[n++] = src;
	argv[n++] = dst;
	argv[n] = NULL;
	if (run_cmd(argv, e) == 0)
		return 0;
	err_prefix(e, "pull: ");
fail:
	free(*tag);
	*tag = NULL;
	return -1;
}
