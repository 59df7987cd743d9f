/* The one way PID 1 and every command read a config file: whole and bounded, validated, and its
 * signature checked against the keys a caller names; a config that needs a newer keel is refused. */
#include <stdlib.h>

#include "../lib/file.h"
#include "config.h"

int cfg_load(const char *path, const char *name, const char *keys_dir, uint8_t **buf, struct cfg *c, struct err *e)
{
	size_t len = 0;
	*buf = NULL;
	if (file_read_all(path, CFG_MAX_FILE_SIZE, buf, &len, e) < 0)
		return -1;
	if (cfg_open(c, *buf, len, name, e) < 0 || cfg_check_keel_version(c, name, e) < 0 || (keys_dir && cfg_verify_signature(c, keys_dir, name, e) < 0)) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}
