/* libFuzzer target for PID 1's reader of keel-logd's counters (init/logd_format.c,
 * logd_stats_parse): keel-logd is isolated, so what it writes is held to one shape. */
#include <stdlib.h>
#include <string.h>

#include "init/logd.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char line[256];
	if (size >= sizeof line)
		size = sizeof line - 1;
	memcpy(line, data, size);
	line[size] = '\0';
	struct logd_stats s = {0};
	if (logd_stats_parse(line, &s) == 0 && (strncmp(line, "stats ", 6) || (s.ram_only != 0 && s.ram_only != 1)))
		abort();
	return 0;
}
