/* `keel check FILE [--keys DIR]`: validate a binary config (and its signature) and print it as text. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/file.h"
#include "commands.h"
#include "../format/config.h"


static const char usage_text[] =
#include "build/gen/usage/keel-check.inc"
	;

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

int cmd_check(int argc, char **argv)
{
	const char *file = NULL, *keys = KEEL_KEYS_DIR;
	bool keys_given = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--keys") && i + 1 < argc) {
			keys = argv[++i];
			keys_given = true;
		} else if (argv[i][0] == '-' || file) {
			usage(stderr);
			return 2;
		} else {
			file = argv[i];
		}
	}
	if (!file) {
		usage(stderr);
		return 2;
	}
	struct err e;
	err_clear(&e);
	/* A mistyped --keys would otherwise read as "no keys": every config accepted. */
	int kfd = keys_given ? open(keys, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (keys_given && kfd < 0) {
		fprintf(stderr, "keel check: --keys %s: expected a directory of public keys (*.pub): %s\n", keys,
			strerror(errno));
		return 1;
	}
	if (kfd >= 0)
		close(kfd);
	uint8_t *buf = NULL;
	struct cfg c;
	int rc = cfg_load(file, file, keys, &buf, &c, &e);
	if (!rc && cfg_compat_note(&c))
		fprintf(stderr, "%s: %s\n", file, cfg_compat_note(&c));
	if (!rc && cfg_print(&c, stdout))
		rc = err_sys(&e, errno, "keel check: writing the text");
	free(buf);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	return 0;
}
