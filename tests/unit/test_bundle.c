/* Unit tests of the update bundle reader (format/bundle.c) over bundles built here in memory around
 * a config keelc compiled: a good one reads whole (also one byte per read), and every kind of damage
 * (truncation at every length, bad magic and version, oversized entries, a duplicate, an unknown
 * layer, a flipped byte, trailing bytes) is refused with one line naming the file, entry and want. */
#include <bearssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/bundle.h"
#include "test.h"

#define NAME "test.kbu"

static uint8_t layer1[300], layer2[5000];
static uint8_t d1[32], d2[32];

struct mem {
	const uint8_t *p;
	size_t len, off, step; /* step: at most this many bytes per read (0 = any) */
	size_t data;           /* layer bytes delivered */
	unsigned begins, ends, configs;
	int begin_answer;      /* what layer_begin says */
	bool refuse_config;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;
	size_t left = m->len - m->off;
	if (n > left)
		n = left;
	if (m->step && n > m->step)
		n = m->step;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static int on_config(void *ctx, const struct cfg *c, struct err *e)
{
	struct mem *m = ctx;
	(void)c;
	m->configs++;
	return m->refuse_config ? err_set(e, 0, "config refused by the caller") : 0;
}

static int on_begin(void *ctx, const uint8_t d[32], uint64_t size, struct err *e)
{
	struct mem *m = ctx;
	(void)d;
	(void)size;
	(void)e;
	m->begins++;
	return m->begin_answer;
}

static int on_data(void *ctx, const uint8_t *buf, size_t n, struct err *e)
{
	(void)buf;
	(void)e;
	((struct mem *)ctx)->data += n;
	return 0;
}

static int on_end(void *ctx, struct err *e)
{
	(void)e;
	((struct mem *)ctx)->ends++;
	return 0;
}

static void sha(const void *p, size_t n, uint8_t out[32])
{
	br_sha256_context c;
	br_sha256_init(&c);
	br_sha256_update(&c, p, n);
	br_sha256_out(&c, out);
}

/* A growing byte buffer for building bundles. */
struct buf {
	uint8_t *p;
	size_t len;
};

static void add(struct buf *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->len + n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void add_header(struct buf *b, uint32_t count)
{
	struct bundle_header h = {.major = BUNDLE_VERSION_MAJOR, .minor = 0, .entry_count = count};
	memcpy(h.magic, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
	add(b, &h, sizeof h);
}

static void add_entry(struct buf *b, uint32_t type, const void *payload, size_t n, const uint8_t *digest)
{
	struct bundle_entry en = {.type = type, .size = n};
	if (digest)
		memcpy(en.sha256, digest, 32);
	else
		sha(payload, n, en.sha256);
	add(b, &en, sizeof en);
	add(b, payload, n);
}

static uint8_t *cfgbin;
static size_t cfglen;

/* The good bundle: config, layer1, layer2. */
static struct buf good(void)
{
	struct buf b = {0};
	add_header(&b, 3);
	add_entry(&b, BUNDLE_CONFIG, cfgbin, cfglen, NULL);
	add_entry(&b, BUNDLE_LAYER, layer1, sizeof layer1, NULL);
	add_entry(&b, BUNDLE_LAYER, layer2, sizeof layer2, NULL);
	return b;
}

static int read_with(struct mem *m, const uint8_t *p, size_t len, struct err *e, uint8_t **cfg, size_t *clen)
{
	m->p = p;
	m->len = len;
	m->off = 0;
	const struct bundle_ops ops = {.ctx = m, .read = mem_read, .config = on_config, .layer_begin = on_begin,
				       .layer_data = on_data, .layer_end = on_end};
	err_clear(e);
	*cfg = NULL;
	return bundle_read(&ops, NAME, cfg, clen, e);
}

/* Expect a refusal whose message is one line starting with want_prefix and containing want. */
static void refused(const char *name, const uint8_t *p, size_t len, const char *want)
{
	struct mem m = {.begin_answer = 1};
	struct err e;
	uint8_t *cfg;
	size_t clen;
	int rc = read_with(&m, p, len, &e, &cfg, &clen);
	CHECK(name, rc < 0 && !strncmp(e.msg, NAME ": ", strlen(NAME) + 2) && strstr(e.msg, want) && !strchr(e.msg, '\n'),
	      "rc %d, message '%s', wanted '%s'", rc, e.msg, want);
	free(cfg);
}

static int load_config(void)
{
	char hex1[65], hex2[65], cmd[512];
	for (int i = 0; i < 32; i++) {
		snprintf(hex1 + 2 * i, 3, "%02x", d1[i]);
		snprintf(hex2 + 2 * i, 3, "%02x", d2[i]);
	}
	FILE *f = fopen("build/tests/bundle.conf", "w");
	if (!f)
		return -1;
	fprintf(f, "[system]\nhostname = b\n\n[service one]\nlayers = sha256:%s sha256:%s\nexec = /bin/one\n\n"
		   "[service two]\nlayers = sha256:%s\nexec = /bin/two\n", hex1, hex2, hex2);
	fclose(f);
	snprintf(cmd, sizeof cmd, "build/host/keelc build/tests/bundle.conf -o build/tests/bundle-config.bin");
	if (system(cmd) != 0)
		return -1;
	f = fopen("build/tests/bundle-config.bin", "rb");
	if (!f)
		return -1;
	cfgbin = malloc(CFG_MAX_FILE_SIZE);
	cfglen = fread(cfgbin, 1, CFG_MAX_FILE_SIZE, f);
	fclose(f);
	return cfglen ? 0 : -1;
}

int main(void)
{
	for (size_t i = 0; i < sizeof layer1; i++)
		layer1[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof layer2; i++)
		layer2[i] = (uint8_t)(i * 13 + 5);
	sha(layer1, sizeof layer1, d1);
	sha(layer2, sizeof layer2, d2);
	if (system("mkdir -p build/tests") != 0 || load_config() < 0) {
		CHECK("bundle_config_compiles", 0, "keelc failed");
		TEST_EXIT();
	}

	struct buf b = good();
	/* Keep it for the fuzzer's corpus and the docs' example. */
	FILE *kf = fopen("build/tests/bundle-good.kbu", "wb");
	if (kf) {
		fwrite(b.p, 1, b.len, kf);
		fclose(kf);
	}
	struct err e;
	uint8_t *cfg;
	size_t clen;
	struct mem m = {.begin_answer = 1};
	int rc = read_with(&m, b.p, b.len, &e, &cfg, &clen);
	CHECK("bundle_good_reads", rc == 0 && clen == cfglen && cfg && !memcmp(cfg, cfgbin, cfglen), "rc %d: %s", rc, e.msg);
	CHECK("bundle_good_callbacks", m.configs == 1 && m.begins == 2 && m.ends == 2 && m.data == sizeof layer1 + sizeof layer2,
	      "configs %u begins %u ends %u data %zu", m.configs, m.begins, m.ends, m.data);
	free(cfg);

	struct mem slow = {.begin_answer = 1, .step = 1};
	rc = read_with(&slow, b.p, b.len, &e, &cfg, &clen);
	CHECK("bundle_good_one_byte_reads", rc == 0 && slow.data == sizeof layer1 + sizeof layer2, "rc %d: %s", rc, e.msg);
	free(cfg);

	struct mem skip = {.begin_answer = 0};
	rc = read_with(&skip, b.p, b.len, &e, &cfg, &clen);
	CHECK("bundle_skip_present_layers", rc == 0 && skip.data == 0 && skip.ends == 0 && skip.begins == 2, "rc %d data %zu: %s",
	      rc, skip.data, e.msg);
	free(cfg);

	struct mem no = {.begin_answer = 1, .refuse_config = true};
	rc = read_with(&no, b.p, b.len, &e, &cfg, &clen);
	CHECK("bundle_config_refused_by_caller", rc < 0 && no.begins == 0 && !strcmp(e.msg, "config refused by the caller"),
	      "rc %d begins %u: %s", rc, no.begins, e.msg);

	/* Truncated at every length: refused, "truncated" named, never a crash. */
	bool all = true;
	size_t bad_at = 0;
	char bad_msg[ERR_MSG_MAX] = "";
	for (size_t len = 0; len < b.len; len++) {
		struct mem t = {.begin_answer = 1};
		rc = read_with(&t, b.p, len, &e, &cfg, &clen);
		if (rc == 0 || !strstr(e.msg, "truncated") || strncmp(e.msg, NAME ": ", strlen(NAME) + 2) || strchr(e.msg, '\n')) {
			all = false;
			bad_at = len;
			snprintf(bad_msg, sizeof bad_msg, "%s", e.msg);
			free(cfg);
			break;
		}
	}
	CHECK("bundle_truncated_every_length", all, "length %zu of %zu: '%s'", bad_at, b.len, bad_msg);
	size_t h = sizeof(struct bundle_header), eh = sizeof(struct bundle_entry);
	size_t l1 = h + eh + cfglen, l2 = l1 + eh + sizeof layer1;
	refused("bundle_truncated_header", b.p, 5, "header: truncated: expected 16 bytes, got 5");
	refused("bundle_truncated_before_config", b.p, h, "entry 0: truncated at offset 16: expected a 48-byte entry header, got 0 bytes");
	refused("bundle_truncated_config_header", b.p, h + 20, "entry 0: truncated at offset 16: expected a 48-byte entry header, got 20 bytes");
	refused("bundle_truncated_config", b.p, h + eh + 10, "entry 0 (config): truncated: expected");
	refused("bundle_truncated_before_layer", b.p, l1, "entry 1: truncated at offset");
	refused("bundle_truncated_layer_header", b.p, l1 + 47, "entry 1: truncated at offset");
	refused("bundle_truncated_layer", b.p, l1 + eh + 100, "entry 1 (layer sha256:");
	refused("bundle_truncated_layer_payload", b.p, l1 + eh + 100, "truncated: expected 300 payload bytes, got 100");
	refused("bundle_truncated_last_layer", b.p, b.len - 1, "entry 2 (layer sha256:");
	(void)l2;

	struct buf x = good();
	memcpy(x.p, "KEELCFG\x1a", 8);
	refused("bundle_bad_magic", x.p, x.len, "header: magic: expected \"KEELUPD\\x1a\"");
	free(x.p);
	x = good();
	((struct bundle_header *)x.p)->major = 2;
	refused("bundle_bad_major", x.p, x.len, "header: version: expected major 1, got 2.0");
	free(x.p);
	x = good();
	((struct bundle_header *)x.p)->entry_count = 0;
	refused("bundle_no_entries", x.p, x.len, "header: entry_count: expected 1..4097, got 0");
	free(x.p);
	x = good();
	((struct bundle_header *)x.p)->entry_count = 4;
	refused("bundle_too_many_entries", x.p, x.len, "entry_count: expected at most 3 (the config and the 2 layers it references), got 4");

	/* Size overflow: a size that would not fit anywhere is refused before anything is read. */
	free(x.p);
	x = good();
	memcpy(x.p + h + 8, &(uint64_t){UINT64_MAX}, 8);
	refused("bundle_config_size_overflow", x.p, x.len, "entry 0 (config): size: expected 1..");
	free(x.p);
	x = good();
	memcpy(x.p + l1 + 8, &(uint64_t){UINT64_MAX}, 8);
	refused("bundle_layer_size_overflow", x.p, x.len, "size: expected 1..68719476736 bytes, got 18446744073709551615");
	free(x.p);
	x = good();
	memcpy(x.p + l1 + 8, &(uint64_t){0}, 8);
	refused("bundle_layer_size_zero", x.p, x.len, "size: expected 1..68719476736 bytes, got 0");
	free(x.p);
	x = good();
	memcpy(x.p + l1 + 8, &(uint64_t){sizeof layer1 + 1}, 8);
	/* One byte of the next entry header becomes payload: the digest says so. */
	refused("bundle_layer_size_past_payload", x.p, x.len, "digest mismatch: expected sha256:");

	/* Wrong kinds of entries. */
	free(x.p);
	x = good();
	((struct bundle_entry *)(x.p + h))->type = BUNDLE_LAYER;
	refused("bundle_config_not_first", x.p, x.len, "entry 0 (layer sha256:");
	free(x.p);
	x = good();
	((struct bundle_entry *)(x.p + l1))->flags = 1;
	refused("bundle_unknown_flags", x.p, x.len, "flags: expected 0, got 0x1");
	free(x.p);
	x = good();
	((struct bundle_entry *)(x.p + l1))->type = 9;
	refused("bundle_unknown_type", x.p, x.len, "entry 1: type: expected 2 (layer), got 9");

	struct buf d = {0};
	add_header(&d, 3);
	add_entry(&d, BUNDLE_CONFIG, cfgbin, cfglen, NULL);
	add_entry(&d, BUNDLE_LAYER, layer1, sizeof layer1, NULL);
	add_entry(&d, BUNDLE_LAYER, layer1, sizeof layer1, NULL);
	refused("bundle_duplicate_entry", d.p, d.len, "entry 2 (layer sha256:");
	refused("bundle_duplicate_entry_named", d.p, d.len, "duplicate: this layer came in an earlier entry");

	uint8_t stray[64] = {1, 2, 3};
	struct buf u = {0};
	add_header(&u, 2);
	add_entry(&u, BUNDLE_CONFIG, cfgbin, cfglen, NULL);
	add_entry(&u, BUNDLE_LAYER, stray, sizeof stray, NULL);
	refused("bundle_unknown_layer", u.p, u.len, "unknown layer: expected one the config's services reference");

	free(x.p);
	x = good();
	x.p[l1 + eh + 17] ^= 0x40;
	refused("bundle_layer_digest_mismatch", x.p, x.len, "entry 1 (layer sha256:");
	refused("bundle_layer_digest_mismatch_named", x.p, x.len, "digest mismatch: expected sha256:");
	struct mem sk = {.begin_answer = 0};
	rc = read_with(&sk, x.p, x.len, &e, &cfg, &clen);
	CHECK("bundle_skipped_layer_still_hashed", rc < 0 && strstr(e.msg, "digest mismatch"), "rc %d: %s", rc, e.msg);

	free(x.p);
	x = good();
	x.p[h + eh + 70] ^= 1;
	refused("bundle_config_digest_mismatch", x.p, x.len, "entry 0 (config): digest mismatch");
	/* A config whose entry digest was recomputed but whose own digest no longer matches. */
	struct buf cb = {0};
	uint8_t *bad = malloc(cfglen);
	memcpy(bad, cfgbin, cfglen);
	bad[70] ^= 1;
	add_header(&cb, 1);
	add_entry(&cb, BUNDLE_CONFIG, bad, cfglen, NULL);
	refused("bundle_config_invalid", cb.p, cb.len, "entry 0 (config): ");

	free(x.p);
	x = good();
	add(&x, "x", 1);
	refused("bundle_trailing_garbage", x.p, x.len, "trailing data: expected the end of the file after 3 entries");

	/* The config alone, when every layer is already on the device, is a valid bundle. */
	struct buf c1 = {0};
	add_header(&c1, 1);
	add_entry(&c1, BUNDLE_CONFIG, cfgbin, cfglen, NULL);
	struct mem cm = {.begin_answer = 1};
	rc = read_with(&cm, c1.p, c1.len, &e, &cfg, &clen);
	CHECK("bundle_config_only", rc == 0 && cm.begins == 0, "rc %d: %s", rc, e.msg);
	free(cfg);
	free(b.p);
	free(x.p);
	free(d.p);
	free(u.p);
	free(cb.p);
	free(c1.p);
	free(bad);
	free(cfgbin);
	TEST_EXIT();
}
