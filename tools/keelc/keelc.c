/* keelc: compiles a text config (keel.conf(5)) into keel's binary config, optionally signed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/config.h"
#include "model.h"

static const char usage_text[] =
#include "build/gen/usage/keelc.inc"
	;

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

/* A text config is at most this long (keelc(1)): keelc also reads pipes (/dev/stdin), so a stream
 * that does not end (keelc /dev/zero) stops here rather than at the end of memory. */
#define KEELC_MAX_TEXT (1u << 20)

static int read_file(const char *path, char **out, size_t *len, struct err *e)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return err_sys(e, errno, "%s", path);
	size_t cap = 4096, n = 0;
	char *buf = xrealloc(NULL, cap);
	size_t got;
	while (n <= KEELC_MAX_TEXT && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	int bad = ferror(f);
	fclose(f);
	if (bad || n > KEELC_MAX_TEXT) {
		free(buf);
		if (!bad)
			return err_set(e, EFBIG, "%s: more than %u bytes, the most a text config may have", path,
				       KEELC_MAX_TEXT);
		return err_set(e, EIO, "%s: read error", path);
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Write to a temporary name and rename, so a failed run never leaves half a config behind. */
static int write_file(const char *path, const void *buf, size_t len, struct err *e)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return err_set(e, 0, "%s: path too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_sys(e, errno, "%s", tmp);
	const uint8_t *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int saved = errno;
			close(fd);
			unlink(tmp);
			return err_sys(e, saved, "%s", tmp);
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int saved = errno;
		unlink(tmp);
		return err_sys(e, saved, "%s", path);
	}
	return 0;
}

static int do_pubkey(const char *pem, const char *out, struct err *e)
{
	uint8_t priv[72], point[65];
	size_t priv_len = sizeof priv;
	int curve;
	if (key_load_private(pem, priv, &priv_len, &curve, e) || key_public_point(priv, priv_len, point, e))
		return -1;
	memset(priv, 0, sizeof priv);
	return write_file(out, point, sizeof point, e);
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int compile(const char *in, const char *out, const char *key, const char *layers, struct err *e)
{
	struct layer_index ix;
	memset(&ix, 0, sizeof ix);
	if (layers && layer_index_load(&ix, layers, e))
		return -1;
	char *text = NULL;
	size_t len = 0;
	if (read_file(in, &text, &len, e))
		return -1;
	struct model m;
	uint8_t *bin = NULL;
	size_t bin_len = 0;
	int rc = model_parse(&m, in, text, len, &ix, e) || model_write(&m, &bin, &bin_len, e) ||
		 (key && config_sign(&bin, &bin_len, key, e)) ? -1 : 0;
	/* Read back what was written with the device's reader: a writer bug stops here, not on a device. */
	struct cfg c;
	if (!rc && cfg_open(&c, bin, bin_len, base(out), e))
		rc = err_prefix(e, "keelc wrote a config its reader refuses (a keelc bug): ");
	if (!rc)
		rc = write_file(out, bin, bin_len, e);
	model_free(&m);
	layer_index_free(&ix);
	free(text);
	free(bin);
	return rc;
}

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *key = NULL, *layers = NULL, *pubkey = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		int takes = !strcmp(a, "-o") || !strcmp(a, "--sign") || !strcmp(a, "--layers") || !strcmp(a, "--pubkey");
		if (takes && i + 1 >= argc) {
			fprintf(stderr, "keelc: %s needs a value (try keelc --help)\n", a);
			return 2;
		}
		if (!strcmp(a, "-o"))
			out = argv[++i];
		else if (!strcmp(a, "--sign"))
			key = argv[++i];
		else if (!strcmp(a, "--layers"))
			layers = argv[++i];
		else if (!strcmp(a, "--pubkey"))
			pubkey = argv[++i];
		else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "keelc: unknown option '%s' (try keelc --help)\n", a);
			return 2;
		} else if (in) {
			fprintf(stderr, "keelc: one input file only, got '%s' and '%s'\n", in, a);
			return 2;
		} else
			in = a;
	}
	if (!out || (!in && !pubkey) || (in && pubkey)) {
		usage(stderr);
		return 2;
	}
	struct err e;
	err_clear(&e);
	int rc = pubkey ? do_pubkey(pubkey, out, &e) : compile(in, out, key, layers, &e);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	return 0;
}
