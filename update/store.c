/* The layer store of updates: a free-space check before a bundle streams in, and the removal of
 * layers no config slot references any more. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../format/bundle.h"
#include "../lib/digest.h"
#include "../lib/file.h"
#include "../lib/paths.h"

static bool have_layer(const char *store, const uint8_t d[32])
{
	char p[LAYER_PATH_MAX];
	struct stat st;
	return layer_path(p, sizeof p, store, d) == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int update_space_check(int fd, const char *file, const char *data, const char *factory, struct err *e)
{
	struct stat st;
	struct bundle_header h;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
	    memcmp(h.magic, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN) || h.entry_count > BUNDLE_MAX_ENTRIES)
		return 0;
	char data_layers[PATH_MAX];
	snprintf(data_layers, sizeof data_layers, "%s/layers", data);
	uint64_t need = 0, off = sizeof h;
	for (uint32_t i = 0; i < h.entry_count; i++) {
		struct bundle_entry en;
		if (pread(fd, &en, sizeof en, (off_t)off) != (ssize_t)sizeof en || en.size > BUNDLE_MAX_LAYER)
			break;
		if (en.type != BUNDLE_LAYER || (!have_layer(data_layers, en.sha256) && !have_layer(factory, en.sha256)))
			need += en.size;
		off += sizeof en + en.size;
		if (off > (uint64_t)st.st_size)
			break;
	}
	return update_space_need(data, file, need, e);
}

int update_space_need(const char *data, const char *what, uint64_t need, struct err *e)
{
	const char *file = what;
	struct statvfs vfs;
	if (statvfs(data, &vfs) < 0)
		return err_sys(e, errno, "%s: statvfs", data);
	uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize, margin = UPDATE_SPACE_MARGIN + need / 32;
	if (need + margin <= avail)
		return 0;
	return err_set(e, ENOSPC, "%s: not enough free space for %s: needs %llu bytes (%llu of new layers and config, %llu to spare), %llu available",
		       data, file, (unsigned long long)(need + margin), (unsigned long long)need, (unsigned long long)margin,
		       (unsigned long long)avail);
}

/* The layers slot `name`'s config references, appended to *refs (grown). A missing name is no
 * slot (0); a slot whose config does not read or open is an error: its needs are unknown. */
static int slot_refs(const char *data, const char *name, uint8_t (**refs)[32], size_t *n, struct err *e)
{
	char link[PATH_MAX], path[PATH_MAX + 16];
	struct stat st;
	if ((size_t)snprintf(link, sizeof link, "%s/%s", data, name) >= sizeof link)
		return err_set(e, ENAMETOOLONG, "%s: path too long", data);
	if (lstat(link, &st) < 0)
		return errno == ENOENT ? 0 : err_sys(e, errno, "%s: stat", link);
	snprintf(path, sizeof path, "%s/config.bin", link);
	uint8_t *buf;
	struct cfg c;
	if (cfg_load(path, path, NULL, &buf, &c, e) < 0)
		return -1;
	size_t k = bundle_config_layers(&c, NULL, 0);
	uint8_t (*grown)[32] = realloc(*refs, (*n + k + 1) * sizeof **refs);
	if (!grown) {
		free(buf);
		return err_sys(e, ENOMEM, "%s", path);
	}
	*refs = grown;
	*n += bundle_config_layers(&c, grown + *n, k);
	free(buf);
	return 0;
}

/* "<64 hex>.img" into its digest; false for any other name (left alone). */
static bool layer_name(const char *name, uint8_t d[32])
{
	char hex[DIGEST_HEX_LEN + 1];
	if (strlen(name) != DIGEST_HEX_LEN + 4 || strcmp(name + DIGEST_HEX_LEN, ".img"))
		return false;
	memcpy(hex, name, DIGEST_HEX_LEN);
	hex[DIGEST_HEX_LEN] = '\0';
	return digest_from_hex(hex, d) == 0;
}

int update_gc(const char *data, unsigned *removed, uint64_t *bytes, struct err *e)
{
	*removed = 0;
	*bytes = 0;
	int dfd = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : err_sys(e, errno, "%s: open", data);
	if (flock(dfd, LOCK_EX | LOCK_NB) < 0) {
		err_sys(e, errno, "%s: a keel update is running: layers kept", data);
		close(dfd);
		return -1;
	}
	uint8_t (*refs)[32] = NULL;
	size_t n = 0;
	char store[PATH_MAX];
	snprintf(store, sizeof store, "%s/layers/sha256", data);
	int rc = -1, sfd = -1;
	DIR *d = NULL;
	if (slot_refs(data, "active", &refs, &n, e) < 0 || slot_refs(data, "previous", &refs, &n, e) < 0) {
		err_prefix(e, "layers kept: ");
		goto out;
	}
	sfd = open(store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0) {
		rc = errno == ENOENT ? 0 : err_sys(e, errno, "%s: open", store);
		goto out;
	}
	int rfd = dup(sfd);
	d = rfd >= 0 ? fdopendir(rfd) : NULL;
	if (!d) {
		if (rfd >= 0)
			close(rfd);
		err_sys(e, errno, "%s: opendir", store);
		goto out;
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		uint8_t dg[32];
		if (!layer_name(de->d_name, dg))
			continue;
		size_t k = 0;
		while (k < n && memcmp(refs[k], dg, 32))
			k++;
		if (k < n)
			continue;
		struct stat st;
		uint64_t size = fstatat(sfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? (uint64_t)st.st_size : 0;
		if (unlinkat(sfd, de->d_name, 0) < 0) {
			err_sys(e, errno, "%s/%s: unlink", store, de->d_name);
			goto out;
		}
		/* and its dm-verity tree, if it has one */
		char tree[DIGEST_HEX_LEN + 8];
		snprintf(tree, sizeof tree, "%.64s.verity", de->d_name);
		if (fstatat(sfd, tree, &st, AT_SYMLINK_NOFOLLOW) == 0 && unlinkat(sfd, tree, 0) == 0)
			size += (uint64_t)st.st_size;
		(*removed)++;
		*bytes += size;
	}
	if (errno) {
		err_sys(e, errno, "%s: readdir", store);
		goto out;
	}
	if (*removed && fsync(sfd) < 0) {
		err_sys(e, errno, "%s: fsync", store);
		goto out;
	}
	rc = 0;
out:
	if (d)
		closedir(d);
	if (sfd >= 0)
		close(sfd);
	free(refs);
	close(dfd);
	return rc;
}
