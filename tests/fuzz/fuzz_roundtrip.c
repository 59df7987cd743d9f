/* libFuzzer target holding the device and keelc to one set of rules (issue 14): for every input the
 * device's cfg_open accepts, the text cfg_print makes of it compiles with keelc's parser and
 * writer (no layer index: layers print as sha256: digests), the result passes cfg_open, and
 * printing that gives the same text, the first line (size, signature) aside. Any violation aborts.
 *
 * Each input is tried as given and with header.digest recomputed, so mutations get past the
 * digest (as in fuzz_config). A config naming a syscall that is not in the syscall table is
 * skipped: keelc refuses the name, and the device refuses it when the service starts
 * (docs/config-binary.md, "What cfg_open checks"). keelc's sources are compiled in here (minus
 * main); the fuzz rule links lib/, format/ and the generated syscall table, as keelc does. */
#include <stdlib.h>
#include <string.h>

#include "tools/keelc/model.h"
#include "tools/keelc/values.h"

#include <bearssl.h>

#include "format/config.h"
#include "redigest.h"

static char *print(const struct cfg *c, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	if (!f || cfg_print(c, f))
		abort();
	fclose(f);
	return text;
}

static int syscalls_known(const struct cfg *c)
{
	for (uint32_t i = 0; i < cfg_service_count(c); i++) {
		const struct cfg_service *s = cfg_service(c, i);
		for (uint32_t k = 0; k < s->syscalls.count; k++)
			if (val_syscall(cfg_str(c, cfg_syscall(c, s->syscalls, k)->name)))
				return 0;
	}
	return 1;
}

/* The text after its first line (the "# keel config" comment with the size). */
static const char *body(const char *t)
{
	const char *nl = strchr(t, '\n');
	return nl ? nl + 1 : t;
}

static void roundtrip(const uint8_t *data, size_t size)
{
	struct cfg c;
	struct err e;
	if (cfg_open(&c, data, size, "fuzz.bin", &e) || !syscalls_known(&c))
		return;
	size_t len;
	char *text = print(&c, &len);
	struct layer_index ix;
	memset(&ix, 0, sizeof ix);
	struct model m;
	uint8_t *bin = NULL;
	size_t bin_len = 0;
	if (model_parse(&m, "printed.conf", text, len, &ix, &e) || model_write(&m, &bin, &bin_len, &e)) {
		fprintf(stderr, "the device accepts a config whose text keelc refuses: %s\n%s", e.msg, text);
		abort();
	}
	model_free(&m);
	/* bin is malloc'd: 8-byte aligned, as cfg_open needs */
	struct cfg c2;
	if (cfg_open(&c2, bin, bin_len, "printed.bin", &e)) {
		fprintf(stderr, "keelc wrote what the device refuses: %s\n%s", e.msg, text);
		abort();
	}
	size_t len2;
	char *text2 = print(&c2, &len2);
	if (strcmp(body(text), body(text2))) {
		fprintf(stderr, "printing the compiled text changed it:\n%s---\n%s", text, text2);
		abort();
	}
	free(text);
	free(text2);
	free(bin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy: aligned, and ASan flags any read past `size`. */
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	roundtrip(buf, size);
	if (fuzz_redigest(buf, size))
		roundtrip(buf, size);
	free(buf);
	return 0;
}
