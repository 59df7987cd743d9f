/* An OCI image layout (oci-layout, index.json, blobs/sha256/...) to its config and its layer tars,
 * bottom first.
 *
 * Every blob we use is checked against the digest and size its descriptor gives, so a layout
 * whose blobs were damaged or swapped is refused before anything is built from it. */
#include "pack.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REF_NAME "org.opencontainers.image.ref.name"
#define MAX_JSON (4 << 20) /* manifests and indexes are small; a huge one is not what we want */

static int is_index_type(const char *mt)
{
	return mt && (strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
		      strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

/* Check a descriptor's blob and return its path (malloc'd). */
static char *blob_check(const char *dir, json_t *desc, const char *what, struct err *e)
{
	const char *ref = json_string_value(json_object_get(desc, "digest"));
	json_t *jsize = json_object_get(desc, "size");
	uint8_t want[DIGEST_LEN], got[DIGEST_LEN];
	if (!ref || digest_parse(ref, want) != 0) {
		err_set(e, EINVAL, "%s: descriptor digest: expected 'sha256:<64 hex>', got '%.80s'", what,
			ref ? ref : "(none)");
		return NULL;
	}
	if (!json_is_integer(jsize) || json_integer_value(jsize) < 0) {
		err_set(e, EINVAL, "%s: descriptor size: expected a non-negative integer", what);
		return NULL;
	}
	char hex[DIGEST_HEX_LEN + 1], *path = NULL;
	digest_to_hex(want, hex);
	if (asprintf(&path, "%s/blobs/sha256/%s", dir, hex) < 0) {
		err_set(e, ENOMEM, "out of memory");
		return NULL;
	}
	uint64_t size;
	if (hash_file(path, got, &size, e) != 0) {
		err_prefix(e, "%s: ", what);
		free(path);
		return NULL;
	}
	if (memcmp(got, want, DIGEST_LEN) != 0) {
		char ghex[DIGEST_HEX_LEN + 1];
		digest_to_hex(got, ghex);
		err_set(e, EBADMSG, "%s: blobs/sha256/%s: digest mismatch: expected sha256:%s, got sha256:%s",
			what, hex, hex, ghex);
		free(path);
		return NULL;
	}
	if (size != (uint64_t)json_integer_value(jsize)) {
		err_set(e, EBADMSG, "%s: blobs/sha256/%s: size mismatch: expected %lld, got %llu", what, hex,
			(long long)json_integer_value(jsize), (unsigned long long)size);
		free(path);
		return NULL;
	}
	return path;
}

json_t *json_file(const char *path, const char *what, struct err *e)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		err_sys(e, errno, "%s", what);
		return NULL;
	}
	if (st.st_size > MAX_JSON) {
		err_set(e, EFBIG, "%s: larger than %d bytes", what, MAX_JSON);
		return NULL;
	}
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		err_set(e, EINVAL, "%s: line %d: %s", what, je.line, je.text);
	else if (!json_is_object(j)) {
		err_set(e, EINVAL, "%s: expected a JSON object", what);
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* Pick the manifest descriptor from an index: by tag, or the only one. */
static json_t *pick_by_tag(json_t *idx, const char *tag, const char *what, struct err *e)
{
	json_t *ms = json_object_get(idx, "manifests");
	if (!json_is_array(ms) || json_array_size(ms) == 0) {
		err_set(e, EINVAL, "%s: no manifests", what);
		return NULL;
	}
	if (!tag) {
		if (json_array_size(ms) == 1)
			return json_array_get(ms, 0);
		err_set(e, EINVAL, "%s: %zu manifests: name one as oci:DIR:TAG", what, json_array_size(ms));
		return NULL;
	}
	size_t i;
	json_t *m;
	json_array_foreach(ms, i, m) {
		const char *ref = json_string_value(json_object_get(json_object_get(m, "annotations"), REF_NAME));
		if (ref && strcmp(ref, tag) == 0)
			return m;
	}
	err_set(e, ENOENT, "%s: no manifest tagged '%s'", what, tag);
	return NULL;
}

/* Pick the linux/<arch>[/<variant>] manifest of a multi-platform index. */
static json_t *pick_by_arch(json_t *idx, const char *arch, const char *what, struct err *e)
{
	json_t *ms = json_object_get(idx, "manifests");
	size_t i;
	json_t *m;
	json_array_foreach(ms, i, m) {
		json_t *p = json_object_get(m, "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		if (os && strcmp(os, "linux") == 0 && platform_match(arch, p))
			return m;
	}
	err_set(e, ENOENT, "%s: no manifest for linux/%s (see --arch)", what, arch);
	return NULL;
}

int oci_add_layer(struct oci_layers *out, char *path, struct err *e)
{
	char **v = realloc(out->paths, (out->n + 1) * sizeof *v);
	if (!v) {
		free(path);
		return err_set(e, ENOMEM, "out of memory");
	}
	out->paths = v;
	out->paths[out->n++] = path;
	return 0;
}

int oci_resolve(const char *dir, const char *tag, const char *arch, struct oci_layers *out,
		struct err *e)
{
	memset(out, 0, sizeof *out);
	char path[4096];
	if (pathf(e, path, sizeof path, "%s/oci-layout", dir) != 0)
		return -1;
	json_t *layout = json_file(path, "oci-layout", e);
	if (!layout)
		return err_prefix(e, "not an OCI image layout: ");
	json_decref(layout);

	pathf(e, path, sizeof path, "%s/index.json", dir); /* shorter than oci-layout's */
	json_t *idx = json_file(path, "index.json", e);
	json_t *man = NULL;
	int rc = -1;
	if (!idx)
		goto out;
	json_t *desc = pick_by_tag(idx, tag, "index.json", e);
	/* A multi-platform image nests one more index (at most one level, as registries write). */
	for (int depth = 0; desc; depth++) {
		const char *mt = json_string_value(json_object_get(desc, "mediaType"));
		char *p = blob_check(dir, desc, depth ? "platform manifest" : "manifest", e);
		if (!p)
			goto out;
		json_t *j = json_file(p, "manifest", e);
		free(p);
		if (!j)
			goto out;
		if (!is_index_type(mt)) {
			man = j;
			break;
		}
		if (depth > 0) {
			json_decref(j);
			err_set(e, EINVAL, "nested image index deeper than one level");
			goto out;
		}
		json_decref(idx);
		idx = j;
		desc = pick_by_arch(idx, arch, "image index", e);
	}
	if (!man)
		goto out;
	/* The image's config: what it runs, as whom, where (imgcfg.c). */
	out->config = blob_check(dir, json_object_get(man, "config"), "config", e);
	if (!out->config)
		goto out;
	json_t *layers = json_object_get(man, "layers");
	if (!json_is_array(layers)) {
		err_set(e, EINVAL, "manifest: no layers array");
		goto out;
	}
	size_t i;
	json_t *l;
	json_array_foreach(layers, i, l) {
		char what[64];
		snprintf(what, sizeof what, "layer %zu", i);
		const char *mt = json_string_value(json_object_get(l, "mediaType"));
		if (!mt || !strstr(mt, "tar")) {
			err_set(e, EINVAL, "%s: media type: expected a tar layer, got '%.80s'", what,
				mt ? mt : "(none)");
			goto out;
		}
		char *p = blob_check(dir, l, what, e);
		if (!p || oci_add_layer(out, p, e) != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(man);
	json_decref(idx);
	if (rc != 0)
		oci_layers_free(out);
	return rc;
}

void oci_layers_free(struct oci_layers *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	free(l->config);
	l->paths = NULL;
	l->config = NULL;
	l->n = 0;
}
