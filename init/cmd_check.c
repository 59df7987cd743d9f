/* `keel check FILE [--keys DIR]`: validate a binary config (and its signature) and print it as text. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "format/config.h"

#define DEFAULT_KEYS "/etc/keel/keys"

static void usage(FILE *f)
{
	fprintf(f, "usage: keel check CONFIG.bin [--keys DIR]\n"
		   "\n"
		   "Validates a binary config as PID 1 would: structure, digest and, when DIR holds public keys\n"
		   "(*.pub, from keelc --pubkey), the signature. Prints the config as text keelc accepts.\n"
		   "Errors are one line on stderr and the exit status is 1.\n"
		   "\n"
		   "  --keys DIR   public keys to verify against (default " DEFAULT_KEYS "; no keys there: no check)\n");
}

/* The whole file in one malloc'd (so 8-byte aligned) buffer; the reader works on it in place. */
static int load(const char *path, uint8_t **out, size_t *len, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "%s", path);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		close(fd);
		return err_sys(e, saved, "%s", path);
	}
	/* total_size is capped; a trailer adds at most 16 + 65535 bytes. */
	size_t max = CFG_MAX_SIZE + sizeof(struct cfg_sig_trailer) + 65535;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return err_set(e, 0, "%s: not a regular file of at most %zu bytes", path, max);
	}
	uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return err_set(e, ENOMEM, "%s: out of memory", path);
	}
	size_t n = 0;
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int saved = r < 0 ? errno : EIO;
			close(fd);
			free(buf);
			return err_sys(e, saved, "%s: read", path);
		}
		n += (size_t)r;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
}

int cmd_check(int argc, char **argv)
{
	const char *file = NULL, *keys = DEFAULT_KEYS;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--keys") && i + 1 < argc) {
			keys = argv[++i];
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
	uint8_t *buf = NULL;
	size_t len = 0;
	struct cfg c;
	int rc = load(file, &buf, &len, &e) || cfg_open(&c, buf, len, file, &e) ||
		 cfg_verify_signature(&c, keys, file, &e);
	if (!rc && cfg_print(&c, stdout))
		rc = err_sys(&e, errno, "keel check: writing the text");
	free(buf);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	return 0;
}
