/* libFuzzer target for keel-pack's layer index (format/layer_index.c), which keelc reads and which
 * is made from untrusted images: any bytes parse or fail with an error, never crash or leak, and
 * what parses writes out as text that parses back to the same text. */
#include <stdlib.h>
#include <string.h>

#include "format/layer_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layer_index ix, again;
	struct err e;
	if (layer_index_parse(&ix, (const char *)data, size, "fuzz", &e))
		return 0;
	char *text, *text2;
	size_t len, len2;
	if (layer_index_format(&ix, &text, &len, &e))
		abort();
	if (layer_index_parse(&again, text, len, "again", &e))
		abort(); /* the writer wrote something its own reader refuses */
	if (layer_index_format(&again, &text2, &len2, &e) || len != len2 || memcmp(text, text2, len))
		abort();
	free(text);
	free(text2);
	layer_index_free(&again);
	layer_index_free(&ix);
	return 0;
}
