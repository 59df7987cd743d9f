/* libFuzzer target for keelc's text parser and writer, checking the round-trip contract on every
 * input keelc accepts: the written binary opens with the device reader, and the text keel check
 * prints for it compiles to the same bytes. The fuzz rule links keelc's
 * archive (its sources without main), format/ (with the generated syscall name table) and lib/. */
#include <stdlib.h>
#include <string.h>

#include "tools/keelc/model.h"

#include "format/config.h"

static int compile_text(const char *text, size_t len, const struct layer_index *ix, uint8_t **bin, size_t *bin_len)
{
	struct model m;
	struct err e;
	int rc = model_parse(&m, "fuzz.conf", text, len, ix, &e);
	if (!rc) {
		rc = model_write(&m, bin, bin_len, &e);
	} else if (!e.msg[0] || strchr(e.msg, '\n')) {
		abort(); /* every refusal is one non-empty line */
	}
	model_free(&m);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct layer_index ix;
	if (!ix.dir) {
		/* the names the seed configs use, and an image for image =, args =, entrypoint =, user = */
		static const char text[] =
			"base sha256:0101010101010101010101010101010101010101010101010101010101010101\n"
			"busybox sha256:0202020202020202020202020202020202020202020202020202020202020202\n"
			"worker-app sha256:0303030303030303030303030303030303030303030303030303030303030303\n"
			"www sha256:0404040404040404040404040404040404040404040404040404040404040404\n"
			"app image sha256:0505050505050505050505050505050505050505050505050505050505050505\n"
			"  entrypoint \"/usr/bin/app\"\n  cmd \"--serve\"\n  env \"PATH=/usr/bin:/bin\"\n"
			"  workdir \"/srv\"\n  user \"app\"\n  stopsignal \"SIGINT\"\n"
			"  passwd \"app\" 100 101 \"/srv\"\n  group \"app\" 101\n  group \"staff\" 50 \"app\"\n"
			"  which \"app\" \"/usr/bin/app\"\n";
		struct err e;
		if (layer_index_parse(&ix, text, sizeof text - 1, "fuzz", &e))
			abort();
		ix.dir = "fuzz";
	}
	uint8_t *bin = NULL, *bin2 = NULL;
	size_t bin_len = 0, bin2_len = 0;
	if (compile_text((const char *)data, size, &ix, &bin, &bin_len))
		return 0;
	struct cfg c;
	struct err e;
	if (cfg_open(&c, bin, bin_len, "fuzz.bin", &e)) {
		fprintf(stderr, "reader refuses keelc output: %s\n", e.msg);
		abort();
	}
	char *text = NULL;
	size_t text_len = 0;
	FILE *f = open_memstream(&text, &text_len);
	if (!f || cfg_print(&c, f))
		abort();
	fclose(f);
	if (compile_text(text, text_len, &ix, &bin2, &bin2_len)) {
		fprintf(stderr, "printed text does not compile:\n%s\n", text);
		abort();
	}
	if (bin_len != bin2_len || memcmp(bin, bin2, bin_len)) {
		fprintf(stderr, "round trip changed the bytes:\n%s\n", text);
		abort();
	}
	free(text);
	free(bin);
	free(bin2);
	return 0;
}
