/* libFuzzer target for keel-logd's record parser (helpers/logd_record.c): any bytes parse or are
 * refused without reading past them, and a parsed name is one a file may be named after. */
#include <stdlib.h>
#include <string.h>

#include "helpers/logd_record.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	/* A copy of exactly `size` bytes: ASan sees any read past the record. */
	char *b = malloc(size ? size : 1);
	if (!b)
		return 0;
	memcpy(b, data, size);
	struct logd_rec r;
	if (logd_record_parse(b, size, &r) == 0) {
		for (const char *c = r.name; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
				abort();
		if (r.sev > 7 || r.text < b || r.text + r.len != b + size || strlen(r.name) > LOGD_NAME_MAX)
			abort();
	}
	free(b);
	return 0;
}
