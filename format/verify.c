/* Checks a config's ECDSA P-256 signature against the public keys installed in a directory. */
#include "config.h"

#include <bearssl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KEY_POINT_LEN 65

/* Reads one raw uncompressed P-256 point; -1 with a message naming the file otherwise. */
static int key_load(int dfd, const char *dir, const char *file, uint8_t point[KEY_POINT_LEN], struct err *e)
{
	int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "%s/%s", dir, file);
	uint8_t extra[KEY_POINT_LEN + 1];
	ssize_t n = read(fd, extra, sizeof extra);
	int saved = errno;
	close(fd);
	if (n < 0)
		return err_sys(e, saved, "%s/%s", dir, file);
	if (n != KEY_POINT_LEN || extra[0] != 0x04)
		return err_set(e, 0, "%s/%s: expected a 65-byte uncompressed P-256 point (keelc --pubkey), got %zd bytes",
			       dir, file, n);
	memcpy(point, extra, KEY_POINT_LEN);
	return 0;
}

static int is_pub(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && name[0] != '.' && !strcmp(name + n - 4, ".pub");
}

int cfg_verify_signature(const struct cfg *c, const char *keys_dir, const char *name, struct err *e)
{
	int dfd = open(keys_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return 0; /* no key directory: nothing to enforce */
		return err_sys(e, errno, "%s: keys directory %s", name, keys_dir);
	}
	DIR *d = fdopendir(dfd);
	if (!d) {
		int saved = errno;
		close(dfd);
		return err_sys(e, saved, "%s: keys directory %s", name, keys_dir);
	}
	unsigned keys = 0;
	int verified = 0, rc = 0;
	/* Only P-256 is ever used: naming its implementation keeps the other curves out of the binary. */
	const br_ec_impl *ec = &br_ec_p256_m31;
	struct dirent *de;
	while (!verified && (de = readdir(d))) {
		if (!is_pub(de->d_name))
			continue;
		uint8_t point[KEY_POINT_LEN];
		if (key_load(dirfd(d), keys_dir, de->d_name, point, e)) {
			err_prefix(e, "%s: ", name);
			rc = -1;
			break;
		}
		keys++;
		if (!c->sig)
			continue;
		br_ec_public_key pk = {BR_EC_secp256r1, point, sizeof point};
		verified = br_ecdsa_i31_vrfy_raw(ec, c->hdr->digest, 32, &pk, c->sig_bytes, c->sig->sig_len) == 1;
	}
	closedir(d);
	if (rc || !keys || verified)
		return rc;
	if (!c->sig)
		return err_set(e, 0, "%s: config is not signed, but %u public key(s) in %s require a signature", name,
			       keys, keys_dir);
	return err_set(e, 0, "%s: offset 0x%x: signature: no key in %s verifies it (signed by key id %02x%02x%02x%02x...)",
		       name, c->hdr->total_size, keys_dir, c->sig->key_id[0], c->sig->key_id[1], c->sig->key_id[2],
		       c->sig->key_id[3]);
}
