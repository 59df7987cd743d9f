/* Reads an update bundle from untrusted bytes as a stream: every size bounded, every digest checked. */
#include "bundle.h"

#include <bearssl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)

_Static_assert(sizeof(struct bundle_header) == 16, "bundle header is 16 bytes");
_Static_assert(sizeof(struct bundle_entry) == 48, "bundle entry header is 48 bytes");

struct rd {
	const struct bundle_ops *ops;
	const char *name;
	uint64_t off; /* bytes consumed so far: errors name where */
};

/* Up to n bytes, fewer only at end of input; -1 on a read error (e filled). */
static ssize_t rd_full(struct rd *r, void *buf, size_t n, struct err *e)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = r->ops->read(r->ops->ctx, (uint8_t *)buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return err_sys(e, errno, "%s: offset %llu: read", r->name, (unsigned long long)(r->off + got));
		if (k == 0)
			break;
		got += (size_t)k;
	}
	r->off += got;
	return (ssize_t)got;
}

size_t bundle_config_layers(const struct cfg *c, uint8_t (*out)[32], size_t max)
{
	size_t n = 0;
	for (uint32_t i = 0; i < cfg_service_count(c); i++) {
		const struct cfg_service *s = cfg_service(c, i);
		for (uint32_t k = 0; k < s->layers.count; k++) {
			const uint8_t *d = cfg_digest(c, s->layers, k);
			bool seen = false;
			for (size_t j = 0; j < n && j < max && !seen; j++)
				seen = !memcmp(out[j], d, 32);
			/* Past max the list is no longer complete; count conservatively (may over-count). */
			if (seen)
				continue;
			if (n < max)
				memcpy(out[n], d, 32);
			n++;
		}
	}
	return n;
}

/* "entry 2 (layer sha256:0123456789ab)" into buf. */
static const char *entry_label(char *buf, size_t size, uint32_t i, const struct bundle_entry *en)
{
	if (en->type == BUNDLE_CONFIG)
		snprintf(buf, size, "entry %u (config)", i);
	else if (en->type == BUNDLE_LAYER)
		snprintf(buf, size, "entry %u (layer sha256:%02x%02x%02x%02x%02x%02x)", i, en->sha256[0], en->sha256[1],
			 en->sha256[2], en->sha256[3], en->sha256[4], en->sha256[5]);
	else
		snprintf(buf, size, "entry %u", i);
	return buf;
}

/* Read one entry header (48 bytes) and check its fields against what entry i must be. */
static int entry_header(struct rd *r, uint32_t i, struct bundle_entry *en, struct err *e)
{
	uint64_t at = r->off;
	ssize_t got = rd_full(r, en, sizeof *en, e);
	if (got < 0)
		return -1;
	if ((size_t)got != sizeof *en)
		return err_set(e, EBADMSG, "%s: entry %u: truncated at offset %llu: expected a %zu-byte entry header, got %zd bytes",
			       r->name, i, (unsigned long long)at, sizeof *en, got);
	char lab[64];
	entry_label(lab, sizeof lab, i, en);
	uint32_t want = i == 0 ? BUNDLE_CONFIG : BUNDLE_LAYER;
	if (en->type != want)
		return err_set(e, EBADMSG, "%s: %s: type: expected %u (%s), got %u", r->name, lab, want,
			       i == 0 ? "the config comes first" : "layer", en->type);
	if (en->flags)
		return err_set(e, EBADMSG, "%s: %s: flags: expected 0, got 0x%x", r->name, lab, en->flags);
	uint64_t max = i == 0 ? CFG_MAX_FILE_SIZE : BUNDLE_MAX_LAYER;
	if (en->size == 0 || en->size > max)
		return err_set(e, EBADMSG, "%s: %s: size: expected 1..%llu bytes, got %llu", r->name, lab,
			       (unsigned long long)max, (unsigned long long)en->size);
	return 0;
}

static int check_digest(struct rd *r, const char *lab, const struct bundle_entry *en, br_sha256_context *sha,
			struct err *e)
{
	uint8_t got[32];
	br_sha256_out(sha, got);
	if (!memcmp(got, en->sha256, 32))
		return 0;
	char ghex[65], whex[65];
	for (int k = 0; k < 32; k++) {
		snprintf(ghex + 2 * k, 3, "%02x", got[k]);
		snprintf(whex + 2 * k, 3, "%02x", en->sha256[k]);
	}
	return err_set(e, EBADMSG, "%s: %s: digest mismatch: expected sha256:%s, got sha256:%s (%llu bytes)", r->name,
		       lab, whex, ghex, (unsigned long long)en->size);
}

static int read_config(struct rd *r, const struct bundle_entry *en, uint8_t **out, struct cfg *c, struct err *e)
{
	uint8_t *buf = malloc((size_t)en->size);
	if (!buf)
		return err_sys(e, ENOMEM, "%s: entry 0 (config): %llu bytes", r->name, (unsigned long long)en->size);
	ssize_t got = rd_full(r, buf, (size_t)en->size, e);
	if (got >= 0 && (uint64_t)got != en->size)
		err_set(e, EBADMSG, "%s: entry 0 (config): truncated: expected %llu payload bytes, got %zd", r->name,
			(unsigned long long)en->size, got);
	if (got < 0 || (uint64_t)got != en->size)
		goto fail;
	br_sha256_context sha;
	br_sha256_init(&sha);
	br_sha256_update(&sha, buf, (size_t)en->size);
	char name[300];
	snprintf(name, sizeof name, "%s: entry 0 (config)", r->name);
	if (check_digest(r, "entry 0 (config)", en, &sha, e) < 0 || cfg_open(c, buf, (size_t)en->size, name, e) < 0)
		goto fail;
	*out = buf;
	return 0;
fail:
	free(buf);
	return -1;
}

static int read_layer(struct rd *r, uint32_t i, const struct bundle_entry *en, uint8_t *chunk, struct err *e)
{
	const struct bundle_ops *o = r->ops;
	char lab[64];
	entry_label(lab, sizeof lab, i, en);
	int want = o->layer_begin ? o->layer_begin(o->ctx, en->sha256, en->size, e) : 0;
	if (want < 0)
		return err_prefix(e, "%s: %s: ", r->name, lab);
	br_sha256_context sha;
	br_sha256_init(&sha);
	uint64_t left = en->size;
	while (left) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK;
		ssize_t got = rd_full(r, chunk, n, e);
		if (got < 0)
			return -1;
		br_sha256_update(&sha, chunk, (size_t)got);
		if (want && got && o->layer_data(o->ctx, chunk, (size_t)got, e) < 0)
			return err_prefix(e, "%s: %s: ", r->name, lab);
		left -= (uint64_t)got;
		if ((size_t)got < n)
			return err_set(e, EBADMSG, "%s: %s: truncated: expected %llu payload bytes, got %llu", r->name, lab,
				       (unsigned long long)en->size, (unsigned long long)(en->size - left));
	}
	if (check_digest(r, lab, en, &sha, e) < 0)
		return -1;
	if (want && o->layer_end(o->ctx, e) < 0)
		return err_prefix(e, "%s: %s: ", r->name, lab);
	return 0;
}

int bundle_read(const struct bundle_ops *ops, const char *name, uint8_t **cfg_buf, size_t *cfg_len, struct err *e)
{
	struct rd r = {.ops = ops, .name = name};
	struct bundle_header h;
	ssize_t got = rd_full(&r, &h, sizeof h, e);
	if (got < 0)
		return -1;
	if ((size_t)got != sizeof h)
		return err_set(e, EBADMSG, "%s: header: truncated: expected %zu bytes, got %zd", name, sizeof h, got);
	if (memcmp(h.magic, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN))
		return err_set(e, EBADMSG, "%s: header: magic: expected \"KEELUPD\\x1a\" (a keel update bundle)", name);
	if (h.major != BUNDLE_VERSION_MAJOR)
		return err_set(e, EBADMSG, "%s: header: version: expected major %u, got %u.%u", name, BUNDLE_VERSION_MAJOR,
			       h.major, h.minor);
	if (h.entry_count == 0 || h.entry_count > BUNDLE_MAX_ENTRIES)
		return err_set(e, EBADMSG, "%s: header: entry_count: expected 1..%u, got %u", name, BUNDLE_MAX_ENTRIES,
			       h.entry_count);

	struct bundle_entry en;
	uint8_t *buf = NULL, *chunk = NULL;
	uint8_t (*refs)[32] = NULL;
	bool *seen = NULL;
	struct cfg c;
	int rc = -1;
	if (entry_header(&r, 0, &en, e) < 0 || read_config(&r, &en, &buf, &c, e) < 0)
		goto out;
	if (ops->config && ops->config(ops->ctx, &c, e) < 0)
		goto out;
	/* Which layers may follow: each one the config references, once. */
	size_t nrefs = bundle_config_layers(&c, NULL, 0); /* an upper bound: repeats counted */
	refs = malloc((nrefs ? nrefs : 1) * sizeof *refs);
	seen = calloc(nrefs ? nrefs : 1, sizeof *seen);
	chunk = malloc(CHUNK);
	if (!refs || !seen || !chunk) {
		err_sys(e, ENOMEM, "%s: %zu layer references", name, nrefs);
		goto out;
	}
	nrefs = bundle_config_layers(&c, refs, nrefs);
	if (h.entry_count - 1 > nrefs) {
		err_set(e, EBADMSG, "%s: header: entry_count: expected at most %zu (the config and the %zu layers it references), got %u",
			name, nrefs + 1, nrefs, h.entry_count);
		goto out;
	}
	for (uint32_t i = 1; i < h.entry_count; i++) {
		if (entry_header(&r, i, &en, e) < 0)
			goto out;
		char lab[64];
		entry_label(lab, sizeof lab, i, &en);
		size_t k = 0;
		while (k < nrefs && memcmp(refs[k], en.sha256, 32))
			k++;
		if (k == nrefs) {
			err_set(e, EBADMSG, "%s: %s: unknown layer: expected one the config's services reference", name, lab);
			goto out;
		}
		if (seen[k]) {
			err_set(e, EBADMSG, "%s: %s: duplicate: this layer came in an earlier entry", name, lab);
			goto out;
		}
		seen[k] = true;
		if (read_layer(&r, i, &en, chunk, e) < 0)
			goto out;
	}
	uint8_t extra;
	uint64_t end = r.off;
	got = rd_full(&r, &extra, 1, e);
	if (got < 0)
		goto out;
	if (got) {
		err_set(e, EBADMSG, "%s: offset %llu: trailing data: expected the end of the file after %u entries", name,
			(unsigned long long)end, h.entry_count);
		goto out;
	}
	*cfg_buf = buf;
	*cfg_len = c.len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	free(chunk);
	free(refs);
	free(seen);
	return rc;
}
