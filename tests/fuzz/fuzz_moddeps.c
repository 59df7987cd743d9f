/* libFuzzer target for the image's module dependency table (format/moddeps.c): moddeps_parse over
 * any bytes, then every accepted table is walked as PID 1 walks it (names, dependency bits). */
#include <stdlib.h>
#include <string.h>

#include "format/moddeps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1); /* aligned, as file_read_all's buffer is */
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct moddeps m;
	struct err e;
	if (moddeps_parse(buf, size, &m, &e) == 0) {
		for (uint32_t i = 0; i < m.n; i++) {
			if (moddeps_find(&m, m.rec[i].name) != (int)i || (m.rec[i].deps >> i))
				abort();
		}
	} else if (!e.msg[0] || strchr(e.msg, '\n')) {
		abort();
	}
	free(buf);
	return 0;
}
