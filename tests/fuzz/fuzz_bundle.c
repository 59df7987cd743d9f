/* libFuzzer target for the update bundle reader: bundle_read over any bytes, read in uneven chunks.
 *
 * Random bytes almost never carry the right SHA-256 for the config entry (nor a config digest), so
 * each input is also tried with both recomputed when the first entry's size fits: mutations then
 * reach the layer entries behind the config. */
#include <bearssl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "format/bundle.h"

struct in {
	const uint8_t *p;
	size_t len, off;
	unsigned turn;
};

static ssize_t in_read(void *ctx, void *buf, size_t n)
{
	struct in *m = ctx;
	size_t left = m->len - m->off;
	/* Uneven chunks, as a pipe or a slow disk would give them. */
	size_t step = 1 + (m->turn++ * 7919u) % 4096u;
	if (n > left)
		n = left;
	if (n > step)
		n = step;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static int on_begin(void *ctx, const uint8_t d[32], uint64_t size, struct err *e)
{
	(void)ctx;
	(void)size;
	(void)e;
	return d[0] & 1; /* take some, skip others: both paths */
}

static int on_data(void *ctx, const uint8_t *buf, size_t n, struct err *e)
{
	(void)ctx;
	(void)e;
	volatile uint8_t sink = 0;
	for (size_t i = 0; i < n; i += 512)
		sink ^= buf[i]; /* touch what was delivered: ASan checks it was inside the buffer */
	(void)sink;
	return 0;
}

static int on_end(void *ctx, struct err *e)
{
	(void)ctx;
	(void)e;
	return 0;
}

static void try_read(const uint8_t *data, size_t size)
{
	struct in m = {.p = data, .len = size};
	const struct bundle_ops ops = {.ctx = &m, .read = in_read, .layer_begin = on_begin, .layer_data = on_data,
				       .layer_end = on_end};
	struct err e;
	err_clear(&e);
	uint8_t *cfg = NULL;
	size_t clen = 0;
	if (bundle_read(&ops, "fuzz.kbu", &cfg, &clen, &e) == 0) {
		if (!cfg || !clen)
			abort();
		free(cfg);
	} else if (!e.msg[0] || strchr(e.msg, '\n') || cfg) {
		abort(); /* every refusal is one non-empty line, and nothing is handed back */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	try_read(buf, size);
	size_t h = sizeof(struct bundle_header), eh = sizeof(struct bundle_entry);
	if (size >= h + eh + sizeof(struct cfg_header)) {
		struct bundle_entry *en = (struct bundle_entry *)(buf + h);
		uint8_t *cfgp = buf + h + eh;
		if (en->size >= sizeof(struct cfg_header) && en->size <= size - h - eh) {
			struct cfg_header *ch = (struct cfg_header *)cfgp;
			br_sha256_context sha;
			if (ch->total_size >= sizeof *ch && ch->total_size <= en->size) {
				br_sha256_init(&sha);
				br_sha256_update(&sha, cfgp, offsetof(struct cfg_header, digest));
				br_sha256_update(&sha, cfgp + sizeof *ch, ch->total_size - sizeof *ch);
				br_sha256_out(&sha, ch->digest);
			}
			br_sha256_init(&sha);
			br_sha256_update(&sha, cfgp, (size_t)en->size);
			br_sha256_out(&sha, en->sha256);
			try_read(buf, size);
		}
	}
	free(buf);
	return 0;
}
