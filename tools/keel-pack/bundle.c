/* keel-pack bundle: a config.bin and every layer it references (from keel-pack stores) into one
 * update bundle (.kbu, format/bundle.h) that `keel update` installs on the device. */
#include "pack.h"

#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../format/bundle.h"
#include "../../lib/file.h"
#include "../../lib/paths.h"

#define MAX_STORES 8

static const char usage[] =
#include "build/gen/usage/keel-pack-bundle.inc"
	;

int bundle_store_find(const char *store, const uint8_t d[32], char *out, size_t n)
{
	struct stat st;
	char dir[LAYER_PATH_MAX];
	if (snprintf(dir, sizeof dir, "%s/layers", store) < (int)sizeof dir && layer_path(out, n, dir, d) == 0 &&
	    stat(out, &st) == 0 && S_ISREG(st.st_mode))
		return 0;
	return layer_path(out, n, store, d) == 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
}

static int put(FILE *f, const void *p, size_t n, const char *out, struct err *e)
{
	if (fwrite(p, 1, n, f) != n)
		return err_sys(e, errno, "%s: write", out);
	return 0;
}

static int put_entry(FILE *f, uint32_t type, uint64_t size, const uint8_t d[32], const char *out, struct err *e)
{
	struct bundle_entry en = {.type = type, .size = size};
	memcpy(en.sha256, d, 32);
	return put(f, &en, sizeof en, out, e);
}

/* Copy a layer image, hashing it again on the way: what goes in the bundle is what was checked. */
static int put_layer(FILE *f, const char *path, const uint8_t d[32], uint64_t size, const char *out, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "%s", path);
	enum { BUFLEN = 256 << 10 };
	uint8_t *buf = malloc(BUFLEN);
	br_sha256_context sha;
	br_sha256_init(&sha);
	uint64_t done = 0;
	int rc = buf ? 0 : err_set(e, ENOMEM, "out of memory");
	while (rc == 0 && done < size) {
		ssize_t n = read(fd, buf, BUFLEN);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? err_sys(e, errno, "%s: read", path) : err_set(e, EIO, "%s: shrank while copied", path);
			break;
		}
		if ((uint64_t)n > size - done)
			n = (ssize_t)(size - done);
		br_sha256_update(&sha, buf, (size_t)n);
		rc = put(f, buf, (size_t)n, out, e);
		done += (uint64_t)n;
	}
	uint8_t got[32];
	br_sha256_out(&sha, got);
	if (rc == 0 && memcmp(got, d, 32))
		rc = err_set(e, EBADMSG, "%s: changed while copied (its digest no longer matches its name)", path);
	free(buf);
	close(fd);
	return rc;
}

static int write_bundle(const char *out, const char *cfgpath, const char *const *stores, size_t nstores,
			const char *factory, struct err *e)
{
	uint8_t *cfgbuf;
	size_t cfgsize;
	struct cfg c;
	/* Not cfg_load: a config for a newer keel than this tree's is still packed. */
	if (file_read_all(cfgpath, CFG_MAX_FILE_SIZE, &cfgbuf, &cfgsize, e) < 0)
		return -1;
	if (cfg_open(&c, cfgbuf, cfgsize, cfgpath, e) < 0) {
		free(cfgbuf);
		return -1;
	}
	size_t cfglen = c.len;
	size_t n = bundle_config_layers(&c, NULL, 0);
	uint8_t (*refs)[32] = malloc((n ? n : 1) * 32);
	char (*paths)[4096] = malloc((n ? n : 1) * sizeof *paths);
	uint64_t *sizes = malloc((n ? n : 1) * sizeof *sizes);
	size_t nlayers = 0;
	int rc = -1;
	FILE *f = NULL;
	char tmp[4096];
	tmp[0] = '\0';
	if (!refs || !paths || !sizes) {
		err_set(e, ENOMEM, "out of memory");
		goto out;
	}
	n = bundle_config_layers(&c, refs, n);
	for (size_t i = 0; i < n; i++) {
		char hex[DIGEST_HEX_LEN + 1];
		digest_to_hex(refs[i], hex);
		if (factory && bundle_store_find(factory, refs[i], paths[nlayers], sizeof paths[0]) == 0)
			continue;
		size_t s = 0;
		while (s < nstores && bundle_store_find(stores[s], refs[i], paths[nlayers], sizeof paths[0]) < 0)
			s++;
		if (s == nstores) {
			err_set(e, ENOENT, "%s: layer sha256:%s: not in %s%s", cfgpath, hex, stores[0],
				nstores > 1 ? " or the other --layers stores" : "");
			goto out;
		}
		uint8_t d[32];
		if (hash_file(paths[nlayers], d, &sizes[nlayers], e) < 0)
			goto out;
		if (memcmp(d, refs[i], 32)) {
			err_set(e, EBADMSG, "%s: digest mismatch: the store names it sha256:%s, its bytes hash otherwise",
				paths[nlayers], hex);
			goto out;
		}
		memcpy(refs[nlayers], refs[i], 32);
		nlayers++;
	}
	if (pathf(e, tmp, sizeof tmp, "%s.tmp", out) < 0)
		goto out;
	f = fopen(tmp, "wbe");
	if (!f) {
		err_sys(e, errno, "%s", tmp);
		goto out;
	}
	struct bundle_header h = {.major = BUNDLE_VERSION_MAJOR, .minor = BUNDLE_VERSION_MINOR,
				  .entry_count = (uint32_t)(1 + nlayers)};
	memcpy(h.magic, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
	uint8_t cd[32];
	br_sha256_context sha;
	br_sha256_init(&sha);
	br_sha256_update(&sha, cfgbuf, cfglen);
	br_sha256_out(&sha, cd);
	if (put(f, &h, sizeof h, tmp, e) < 0 || put_entry(f, BUNDLE_CONFIG, cfglen, cd, tmp, e) < 0 ||
	    put(f, cfgbuf, cfglen, tmp, e) < 0)
		goto out;
	for (size_t i = 0; i < nlayers; i++)
		if (put_entry(f, BUNDLE_LAYER, sizes[i], refs[i], tmp, e) < 0 || put_layer(f, paths[i], refs[i], sizes[i], tmp, e) < 0)
			goto out;
	FILE *done = f;
	f = NULL;
	if (fflush(done) != 0 || fsync(fileno(done)) != 0) {
		err_sys(e, errno, "%s: write", tmp);
		fclose(done);
		goto out;
	}
	if (fclose(done) != 0) {
		err_sys(e, errno, "%s: close", tmp);
		goto out;
	}
	if (rename(tmp, out) != 0) {
		err_sys(e, errno, "rename %s to %s", tmp, out);
		goto out;
	}
	tmp[0] = '\0';
	printf("%s: config (%zu bytes) and %zu layer(s)", out, cfglen, nlayers);
	for (size_t i = 0; i < nlayers; i++) {
		char hex[DIGEST_HEX_LEN + 1];
		digest_to_hex(refs[i], hex);
		printf("%s sha256:%.12s (%llu bytes)", i ? "," : ":", hex, (unsigned long long)sizes[i]);
	}
	printf("\n");
	rc = 0;
out:
	if (f)
		fclose(f);
	if (tmp[0])
		unlink(tmp);
	free(refs);
	free(paths);
	free(sizes);
	free(cfgbuf);
	return rc;
}

int bundle_main(int argc, char **argv)
{
	const char *out = NULL, *cfg = NULL, *factory = NULL, *stores[MAX_STORES], *push = NULL, *creds = NULL;
	struct push_opts po = {0};
	size_t nstores = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(a, "--layers") && i + 1 < argc) {
			if (nstores == MAX_STORES) {
				fprintf(stderr, "keel-pack bundle: --layers: at most %d stores\n", MAX_STORES);
				return 2;
			}
			stores[nstores++] = argv[++i];
		} else if (!strcmp(a, "--factory") && i + 1 < argc) {
			factory = argv[++i];
		} else if (!strcmp(a, "--push") && i + 1 < argc) {
			push = argv[++i];
		} else if (!strcmp(a, "--ca") && i + 1 < argc) {
			po.ca = argv[++i];
		} else if (!strcmp(a, "--credentials") && i + 1 < argc) {
			creds = argv[++i];
		} else if (!strcmp(a, "--plain-http")) {
			po.plain_http = 1;
		} else if (!strcmp(a, "--host") && i + 1 < argc) {
			const char *h = argv[++i];
			if (po.nhosts == 16 || !strchr(h, '=') || strchr(h, '=') == h) {
				fprintf(stderr, "keel-pack bundle: --host: expected NAME=IPV4 (at most 16)\n");
				return 2;
			}
			po.hosts[po.nhosts++] = h;
		} else if (a[0] == '-' || cfg) {
			fprintf(stderr, "keel-pack bundle: unexpected '%s' (see --help)\n", a);
			return 2;
		} else {
			cfg = a;
		}
	}
	if (!!out == !!push || !cfg || !nstores || (!push && (po.ca || creds || po.plain_http || po.nhosts))) {
		fputs(usage, stderr);
		return 2;
	}
	struct err e;
	err_clear(&e);
	if (push) {
		char up[512] = "";
		if (creds) {
			FILE *cf = fopen(creds, "re");
			if (!cf || !fgets(up, sizeof up, cf)) {
				fprintf(stderr, "keel-pack bundle: %s: %s\n", creds, cf ? "empty" : strerror(errno));
				if (cf)
					fclose(cf);
				return 1;
			}
			fclose(cf);
			up[strcspn(up, "\r\n")] = '\0';
			if (!strchr(up, ':')) {
				fprintf(stderr, "keel-pack bundle: %s: expected user:password\n", creds);
				return 1;
			}
			po.userpass = up;
		}
		if (bundle_push(push, cfg, stores, nstores, &po, &e) < 0) {
			fprintf(stderr, "keel-pack bundle: %s\n", e.msg);
			return 1;
		}
		return 0;
	}
	if (write_bundle(out, cfg, stores, nstores, factory, &e) < 0) {
		fprintf(stderr, "keel-pack bundle: %s\n", e.msg);
		return 1;
	}
	return 0;
}
