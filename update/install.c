/* Installing an update, whatever brought it (update/install.h). */
#include "install.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/digest.h"
#include "../lib/file.h"
#include "../lib/paths.h"
#include "../runtime/layers.h"
#include "choice.h"

#define HASH_BUF (128u * 1024)
#define SERIAL_FILE "serial"            /* in the data dir: the highest serial confirmed */

static bool in_store(const char *dir, const uint8_t d[32], bool check)
{
	char p[LAYER_PATH_MAX];
	struct stat st;
	if (layer_path(p, sizeof p, dir, d) < 0 || stat(p, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	if (!check)
		return true;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	void *buf = malloc(HASH_BUF);
	uint8_t got[DIGEST_LEN];
	uint64_t n;
	struct err e;
	bool ok = fd >= 0 && buf && digest_fd(fd, buf, HASH_BUF, got, &n, &e) == 0 && !memcmp(got, d, DIGEST_LEN);
	free(buf);
	if (fd >= 0)
		close(fd);
	return ok;
}

bool update_layer_installed(const struct update_txn *t, const uint8_t d[32], bool check)
{
	char data_layers[PATH_MAX];
	snprintf(data_layers, sizeof data_layers, "%s/layers", t->data);
	return in_store(t->factory, d, false) || in_store(data_layers, d, check);
}

void update_temp_name(const uint8_t d[32], char out[96])
{
	char hex[DIGEST_HEX_LEN + 1];
	digest_to_hex(d, hex);
	snprintf(out, 96, UPDATE_TMP_PREFIX "%s.img", hex);
}

/* Temporary files of this run (or of one a power cut ended) go. */
static void remove_temps(struct update_txn *t)
{
	int fd = dup(t->sfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d); /* the dup shares the offset an earlier pass left at the end */
	struct dirent *de;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, UPDATE_TMP_PREFIX, strlen(UPDATE_TMP_PREFIX)))
			unlinkat(t->sfd, de->d_name, 0);
	closedir(d);
}

int update_begin(struct update_txn *t, struct err *e)
{
	t->sfd = -1;
	t->staged = NULL;
	t->nstaged = t->cap = 0;
	if (mkdir_p(t->data, 0700, e) < 0)
		return -1;
	t->sfd = open(t->data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->sfd < 0)
		return err_sys(e, errno, "%s: open", t->data);
	if (flock(t->sfd, LOCK_EX | LOCK_NB) < 0) {
		err_sys(e, errno, "%s: another keel update is running", t->data);
		close(t->sfd);
		t->sfd = -1;
		return -1;
	}
	remove_temps(t);
	/* Old-style directories (earlier keel) hold no trial; they become slots once the update checked out. */
	t->old_style = slot_migrate(t->data, false, e);
	if (t->old_style < 0 || (!t->old_style && slot_read(t->data, &t->st, e) < 0))
		return -1;
	if (!t->old_style && t->st.trial)
		return err_set(e, EBUSY, "%s/active: %s is on trial (boot %u of %u): it must be confirmed or rolled back before another update",
			       t->data, t->st.active, t->st.boots, SLOT_TRIAL_BOOTS);
	if ((size_t)snprintf(t->store, sizeof t->store, "%s/layers/sha256", t->data) >= sizeof t->store)
		return err_set(e, ENAMETOOLONG, "%s: path too long", t->data);
	return 0;
}

/* .tmp-<hex>.verity from .tmp-<hex>.img (fsync'd). */
static int stage_tree(struct update_txn *t, const uint8_t d[32], const struct cfg_verity *v, struct err *e)
{
	char img_name[96], tree_name[96];
	update_temp_name(d, img_name);
	snprintf(tree_name, sizeof tree_name, "%.*s.verity", (int)strlen(img_name) - 4, img_name);
	int img = openat(t->sfd, img_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int tree = openat(t->sfd, tree_name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int rc = img < 0 || tree < 0 ? err_sys(e, errno, "%s/%s", t->data, tree_name) : layer_tree_build(img, v, tree, e);
	if (rc == 0 && fsync(tree) < 0)
		rc = err_sys(e, errno, "%s/%s: fsync", t->data, tree_name);
	if (img >= 0)
		close(img);
	if (tree >= 0)
		close(tree);
	return rc < 0 ? err_prefix(e, "%s/%s: ", t->data, img_name) : 0;
}

int update_stage_add(struct update_txn *t, const uint8_t d[32], const struct cfg_verity *v, struct err *e)
{
	if (v && stage_tree(t, d, v, e) < 0)
		return -1;
	if (t->nstaged == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		void *p = realloc(t->staged, cap * sizeof *t->staged);
		if (!p)
			return err_sys(e, ENOMEM, "%s", t->data);
		t->staged = p;
		t->cap = cap;
	}
	memcpy(t->staged[t->nstaged++], d, 32);
	return 0;
}

/* The serial of the config in slot link `name` (active, previous), 0 when it does not read. */
static uint64_t slot_serial(const char *data, const char *name)
{
	char p[PATH_MAX];
	uint8_t *buf;
	struct cfg c;
	struct err e;
	snprintf(p, sizeof p, "%s/%s/config.bin", data, name);
	if (cfg_load(p, p, NULL, &buf, &c, &e) < 0)
		return 0;
	uint64_t s = cfg_serial(&c);
	free(buf);
	return s;
}

uint64_t update_confirmed_serial(const char *data, int dfd)
{
	char buf[32];
	uint64_t kept = 0, seen;
	ssize_t n = file_read_small(dfd, SERIAL_FILE, 0, buf, sizeof buf);
	if (n > 0)
		kept = strtoull(buf, NULL, 10);
	struct slot_state st;
	struct err e;
	seen = slot_serial(data, "previous");
	if (slot_read(data, &st, &e) == 0 && st.active[0] && !st.trial) {
		uint64_t a = slot_serial(data, "active");
		seen = a > seen ? a : seen;
	}
	if (seen > kept) {
		snprintf(buf, sizeof buf, "%llu\n", (unsigned long long)seen);
		file_put_at(dfd, data, SERIAL_FILE, buf, strlen(buf), 0600, &e); /* best effort: the slots still say it */
		kept = seen;
	}
	return kept;
}

int update_check_config(struct update_txn *t, const struct cfg *c, const char *name, struct err *e)
{
	if (cfg_verify_signature(c, t->keys, name, e) < 0 || cfg_check_keel_version(c, name, e) < 0)
		return -1;
	uint64_t floor = update_confirmed_serial(t->data, t->sfd), s = cfg_serial(c);
	if (s >= floor)
		return 0;
	if (t->allow_downgrade) {
		fprintf(stderr, "keel update: %s: serial %llu is below %llu, the highest this device confirmed: installed anyway (--allow-downgrade)\n",
			name, (unsigned long long)s, (unsigned long long)floor);
		return 0;
	}
	return err_set(e, EPERM, "%s: release.serial: %llu is below %llu, the highest this device confirmed (a downgrade: an operator may force it at the console with --allow-downgrade)",
		       name, (unsigned long long)s, (unsigned long long)floor);
}

int update_readback(struct update_txn *t, struct err *e)
{
	void *buf = malloc(HASH_BUF);
	if (!buf)
		return err_sys(e, ENOMEM, "%s", t->data);
	int rc = 0;
	for (size_t i = 0; !rc && i < t->nstaged; i++) {
		char name[96], hex[DIGEST_HEX_LEN + 1], ghex[DIGEST_HEX_LEN + 1];
		update_temp_name(t->staged[i], name);
		int fd = openat(t->sfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		uint8_t got[DIGEST_LEN];
		uint64_t n;
		/* What the disk holds, not what the page cache remembers: written back, then dropped. */
		if (fd < 0 || fsync(fd) < 0 || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0 ||
		    digest_fd(fd, buf, HASH_BUF, got, &n, e) < 0) {
			rc = err_sys(e, errno ? errno : EIO, "%s/%s: reading it back", t->data, name);
		} else if (memcmp(got, t->staged[i], DIGEST_LEN)) {
			digest_to_hex(t->staged[i], hex);
			digest_to_hex(got, ghex);
			rc = err_set(e, EIO, "%s/%s: read back from the disk it hashes to sha256:%.12s, not sha256:%.12s: the disk did not keep what was written",
				     t->data, name, ghex, hex);
		}
		if (fd >= 0)
			close(fd);
	}
	free(buf);
	return rc;
}

int update_commit(struct update_txn *t, const uint8_t *cfg, size_t len, char slot[8], struct err *e)
{
	if (t->old_style && slot_migrate(t->data, true, e) < 0)
		return -1;
	if (mkdir_p(t->store, 0700, e) < 0)
		return -1;
	int store = open(t->store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (store < 0)
		return err_sys(e, errno, "%s: open", t->store);
	for (size_t i = 0; i < t->nstaged; i++) {
		char hex[DIGEST_HEX_LEN + 1], from[96], to[96];
		digest_to_hex(t->staged[i], hex);
		/* The tree first (none: the config has no parameters), so an image is never in the store
		 * without the tree built for it. */
		snprintf(from, sizeof from, UPDATE_TMP_PREFIX "%s.verity", hex);
		snprintf(to, sizeof to, "%s.verity", hex);
		if (renameat(t->sfd, from, store, to) < 0 && errno != ENOENT) {
			err_sys(e, errno, "%s/%s: rename to %s/%s", t->data, from, t->store, to);
			close(store);
			return -1;
		}
		update_temp_name(t->staged[i], from);
		snprintf(to, sizeof to, "%s.img", hex);
		if (renameat(t->sfd, from, store, to) < 0) {
			err_sys(e, errno, "%s/%s: rename to %s/%s", t->data, from, t->store, to);
			close(store);
			return -1;
		}
	}
	if (fsync(store) < 0 || fsync(t->sfd) < 0) {
		err_sys(e, errno, "%s: fsync", t->store);
		close(store);
		return -1;
	}
	close(store);
	if (t->step)
		t->step("layers");
	/* After a fallback boot the slot that runs is not the active one: it stays, as previous. */
	struct update_choice ch;
	const char *running = !strcmp(t->data, KEEL_DATA_DIR) && update_choice_read(&ch, &(struct err){0}) > 0 ? ch.running.slot : NULL;
	return slot_install(t->data, cfg, len, slot, running, t->step, e);
}

void update_end(struct update_txn *t, bool ok)
{
	if (t->sfd >= 0) {
		if (!ok)
			remove_temps(t);
		close(t->sfd); /* releases the lock */
	}
	t->sfd = -1;
	free(t->staged);
	t->staged = NULL;
}
