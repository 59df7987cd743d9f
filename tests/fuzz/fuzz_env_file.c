/* libFuzzer target for the env_file parser (runtime/secrets.c, secrets_env_parse): any bytes give
 * an environment of NAME=value entries pointing into the buffer, or one error line that names a
 * line number and never quotes the file. */
#include <stdlib.h>
#include <string.h>

#include "runtime/container.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *b = malloc(size + 1);
	if (!b)
		return 0;
	memcpy(b, data, size);
	b[size] = '\0';
	char *envp[8] = {"KEEP=1", "MODE=config"};
	struct err e;
	err_clear(&e);
	int n = secrets_env_parse("/data/x.env", b, size, envp, 2, 7, &e);
	if (n < 0) {
		if (!strstr(e.msg, "env_file /data/x.env: ") || strchr(e.msg, '\n'))
			abort();
	} else {
		if (n < 2 || n > 7)
			abort();
		for (int i = 0; i < n; i++)
			if (!strchr(envp[i], '=') || (i >= 2 && (envp[i] < b || envp[i] >= b + size + 1)))
				abort();
	}
	free(b);
	return 0;
}
