/* A `docker save` / `podman save` / `skopeo copy ... docker-archive:` archive, extracted: its
 * manifest.json names each image's config and layer tars (bottom first), by paths inside the
 * archive.
 *
 * The archive is untrusted: each path is resolved inside the extracted tree (a symlinked
 * layer.tar, which docker save writes for a repeated layer, stays inside it), the config is
 * checked against the digest its name carries, and each uncompressed layer (what these tools
 * write) against the config's rootfs.diff_ids, so a swapped or damaged member is refused. */
#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int docker_is_archive(const char *dir)
{
	char p[4096];
	struct stat st;
	return (size_t)snprintf(p, sizeof p, "%s/manifest.json", dir) < sizeof p && lstat(p, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

/* The real path of `rel` resolved inside dir (malloc'd), or NULL. */
static char *path_in(const char *dir, const char *rel, const char *what, struct err *e)
{
	int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		err_sys(e, errno, "%s", dir);
		return NULL;
	}
	struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof how);
	int saved = errno;
	close(root);
	if (fd < 0) {
		err_sys(e, saved, "%s: %.200s", what, rel);
		return NULL;
	}
	char link[64], *real = malloc(4096);
	ssize_t n = -1;
	struct stat st;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if (real && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = readlink(link, real, 4095);
	close(fd);
	if (n <= 0 || n >= 4095) {
		free(real);
		err_set(e, EINVAL, "%s: %.200s: expected a regular file", what, rel);
		return NULL;
	}
	real[n] = '\0';
	return real;
}

/* The digest a member's name carries: "<64 hex>.json" or ".../sha256/<64 hex>"; 0 when none. */
static int name_digest(const char *rel, uint8_t d[DIGEST_LEN])
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	char ref[7 + DIGEST_HEX_LEN + 1];
	size_t n = strlen(base);
	if (n == DIGEST_HEX_LEN + 5 && !strcmp(base + DIGEST_HEX_LEN, ".json"))
		n = DIGEST_HEX_LEN;
	if (n != DIGEST_HEX_LEN)
		return 0;
	snprintf(ref, sizeof ref, "sha256:%.64s", base);
	return digest_parse(ref, d) == 0;
}

static int compressed(const char *path)
{
	unsigned char m[6] = {0};
	FILE *f = fopen(path, "rbe");
	if (!f)
		return 0;
	size_t n = fread(m, 1, sizeof m, f);
	fclose(f);
	return n >= 3 && ((m[0] == 0x1f && m[1] == 0x8b) || (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f) ||
			  (m[0] == 0xfd && m[1] == '7' && m[2] == 'z') || (m[0] == 'B' && m[1] == 'Z' && m[2] == 'h'));
}

/* Hash `path` and compare with want; what names it. */
static int check_digest(const char *path, const uint8_t want[DIGEST_LEN], const char *what, struct err *e)
{
	uint8_t got[DIGEST_LEN];
	uint64_t size;
	if (hash_file(path, got, &size, e) != 0)
		return err_prefix(e, "%s: ", what);
	if (memcmp(got, want, DIGEST_LEN) != 0) {
		char w[DIGEST_HEX_LEN + 1], g[DIGEST_HEX_LEN + 1];
		digest_to_hex(want, w);
		digest_to_hex(got, g);
		return err_set(e, EBADMSG, "%s: digest mismatch: expected sha256:%s, got sha256:%s", what, w, g);
	}
	return 0;
}

/* A reference spelled fully, as Docker reads a short one: nginx -> docker.io/library/nginx:latest,
 * test/app:v1 -> docker.io/test/app:v1 (docker save writes short names, skopeo long ones). */
static void ref_norm(const char *ref, char *out, size_t n)
{
	const char *slash = strchr(ref, '/');
	size_t first = slash ? (size_t)(slash - ref) : 0;
	int has_host = slash && (memchr(ref, '.', first) || memchr(ref, ':', first) || !strncmp(ref, "localhost/", 10));
	const char *last = strrchr(ref, '/');
	int tagged = strchr(last ? last : ref, ':') || strchr(ref, '@');
	snprintf(out, n, "%s%s%s%s", has_host ? "" : "docker.io/", !has_host && !slash ? "library/" : "", ref,
		 tagged ? "" : ":latest");
}

/* The manifest.json entry: the one tagged ref, or the only one. */
static json_t *pick(json_t *arr, const char *ref, struct err *e)
{
	size_t i, k;
	json_t *m, *t;
	if (!ref) {
		if (json_array_size(arr) == 1)
			return json_array_get(arr, 0);
		err_set(e, EINVAL, "manifest.json: %zu images: name one as docker-archive:FILE:REPO:TAG",
			json_array_size(arr));
		return NULL;
	}
	char want[1024], got[1024];
	ref_norm(ref, want, sizeof want);
	json_array_foreach(arr, i, m) {
		json_array_foreach(json_object_get(m, "RepoTags"), k, t) {
			const char *s = json_string_value(t);
			if (s && (ref_norm(s, got, sizeof got), !strcmp(got, want)))
				return m;
		}
	}
	err_set(e, ENOENT, "manifest.json: no image tagged '%.200s'", ref);
	return NULL;
}

int docker_resolve(const char *dir, const char *ref, struct oci_layers *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	char path[4096];
	if (pathf(e, path, sizeof path, "%s/manifest.json", dir) != 0)
		return -1;
	json_error_t je;
	struct stat st;
	if (stat(path, &st) != 0 || st.st_size > (4 << 20))
		return err_set(e, EINVAL, "manifest.json: expected a file of at most 4 MiB");
	json_t *arr = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *cfg = NULL;
	if (!arr)
		return err_set(e, EINVAL, "manifest.json: line %d: %s", je.line, je.text);
	int rc = -1;
	json_t *m = json_is_array(arr) ? pick(arr, ref, e) : NULL;
	if (!json_is_array(arr))
		err_set(e, EINVAL, "manifest.json: expected an array of images");
	if (!m)
		goto out;
	const char *cfg_rel = json_string_value(json_object_get(m, "Config"));
	json_t *layers = json_object_get(m, "Layers");
	uint8_t d[DIGEST_LEN];
	if (!cfg_rel || !json_is_array(layers)) {
		err_set(e, EINVAL, "manifest.json: expected Config and Layers");
		goto out;
	}
	if (!(out->config = path_in(dir, cfg_rel, "Config", e)))
		goto out;
	if (name_digest(cfg_rel, d) && check_digest(out->config, d, "Config", e))
		goto out;
	if (!(cfg = json_file(out->config, "Config", e)))
		goto out;
	json_t *diffs = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (json_array_size(diffs) != json_array_size(layers)) {
		err_set(e, EINVAL, "Config: rootfs.diff_ids: expected %zu, got %zu", json_array_size(layers),
			json_array_size(diffs));
		goto out;
	}
	size_t i;
	json_t *l;
	json_array_foreach(layers, i, l) {
		char what[64];
		snprintf(what, sizeof what, "layer %zu", i);
		const char *rel = json_string_value(l), *diff = json_string_value(json_array_get(diffs, i));
		char *p = rel ? path_in(dir, rel, what, e) : NULL;
		if (!rel)
			err_set(e, EINVAL, "manifest.json: Layers[%zu]: expected a string", i);
		if (!p || oci_add_layer(out, p, e) != 0)
			goto out;
		if (!diff || digest_parse(diff, d)) {
			err_set(e, EINVAL, "Config: rootfs.diff_ids[%zu]: expected 'sha256:<64 hex>'", i);
			goto out;
		}
		if (!compressed(p) && check_digest(p, d, what, e))
			goto out;
	}
	rc = 0;
out:
	json_decref(cfg);
	json_decref(arr);
	if (rc)
		oci_layers_free(out);
	return rc;
}
