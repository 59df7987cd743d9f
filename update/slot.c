/* Config slots: atomic symlink switches, the trial marker, rollback; every step survives a power cut. */
#include "slot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/file.h"

static const char *other(const char *slot)
{
	return !strcmp(slot, "slot-a") ? "slot-b" : "slot-a";
}

static int sync_dir(int dfd, const char *dir, struct err *e)
{
	if (fsync(dfd) < 0)
		return err_sys(e, errno, "%s: fsync", dir);
	return 0;
}

/* name's target if it is a slot link; "" if missing; -1 for anything else. */
static int link_read(int dfd, const char *dir, const char *name, char out[8], struct err *e)
{
	char t[16];
	ssize_t n = readlinkat(dfd, name, t, sizeof t - 1);
	out[0] = '\0';
	if (n < 0 && errno == ENOENT)
		return 0;
	if (n < 0 && errno == EINVAL)
		return err_set(e, EINVAL, "%s/%s: expected a symlink to slot-a or slot-b (made by keel update), found another kind of file",
			       dir, name);
	if (n < 0)
		return err_sys(e, errno, "%s/%s: readlink", dir, name);
	t[n] = '\0';
	if (strcmp(t, "slot-a") && strcmp(t, "slot-b"))
		return err_set(e, EINVAL, "%s/%s: expected a symlink to slot-a or slot-b, found one to '%s'", dir, name, t);
	memcpy(out, t, 7);
	return 0;
}

/* name -> target, replacing name in one rename, then the directory fsync'd. */
static int link_set(int dfd, const char *dir, const char *name, const char *target, struct err *e)
{
	char tmp[32];
	snprintf(tmp, sizeof tmp, ".%s.tmp", name);
	if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT)
		return err_sys(e, errno, "%s/%s: unlink", dir, tmp);
	if (symlinkat(target, dfd, tmp) < 0)
		return err_sys(e, errno, "%s/%s: symlink to %s", dir, tmp, target);
	if (renameat(dfd, tmp, dfd, name) < 0)
		return err_sys(e, errno, "%s/%s: rename to %s", dir, tmp, name);
	return sync_dir(dfd, dir, e);
}

/* A small text file into buf (NUL-terminated, cut to fit); "" and 0 when missing. */
static int file_get(int dfd, const char *dir, const char *name, char *buf, size_t size, struct err *e)
{
	buf[0] = '\0';
	if (file_read_small(dfd, name, O_NOFOLLOW, buf, size) < 0)
		return errno == ENOENT ? 0 : err_sys(e, errno, "%s/%s: read", dir, name);
	buf[strcspn(buf, "\n")] = '\0';
	return 1;
}

static int open_dir(const char *dir, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		err_sys(e, errno, "%s: open", dir);
	return fd;
}

static int read_at(int dfd, const char *dir, struct slot_state *st, struct err *e)
{
	memset(st, 0, sizeof *st);
	if (link_read(dfd, dir, "active", st->active, e) < 0 || link_read(dfd, dir, "previous", st->previous, e) < 0)
		return -1;
	char path[64], text[32];
	if (st->active[0]) {
		snprintf(path, sizeof path, "%s/trial", st->active);
		int r = file_get(dfd, dir, path, text, sizeof text, e);
		if (r < 0)
			return -1;
		if (r > 0) {
			st->trial = true;
			/* "boots N"; anything else counts as the limit, so a damaged marker rolls back. */
			char *end = NULL;
			unsigned long b = strncmp(text, "boots ", 6) ? SLOT_TRIAL_BOOTS : strtoul(text + 6, &end, 10);
			st->boots = end && *end == '\0' && b < 1000 ? (unsigned)b : SLOT_TRIAL_BOOTS;
		}
	}
	snprintf(path, sizeof path, "%s/failed", st->active[0] ? other(st->active) : "slot-a");
	if (file_get(dfd, dir, path, st->note, sizeof st->note, e) < 0)
		return -1;
	return 0;
}

int slot_read(const char *dir, struct slot_state *st, struct err *e)
{
	int dfd = open_dir(dir, e);
	if (dfd < 0)
		return -1;
	int rc = read_at(dfd, dir, st, e);
	close(dfd);
	return rc;
}

static int remove_in(int fd, const char *dir, const char *name, struct err *e)
{
	if (unlinkat(fd, name, 0) < 0 && errno != ENOENT)
		return err_sys(e, errno, "%s/%s: unlink", dir, name);
	return 0;
}

int slot_install(const char *dir, const uint8_t *cfg, size_t len, char slot[8], const char *running,
		 void (*step)(const char *what), struct err *e)
{
	int dfd = open_dir(dir, e), tfd = -1, rc = -1;
	if (dfd < 0)
		return -1;
	struct slot_state st;
	if (read_at(dfd, dir, &st, e) < 0)
		goto out;
	if (st.trial) {
		err_set(e, EBUSY, "%s/active: %s is on trial (boot %u of %u): it must be confirmed or rolled back before another update",
			dir, st.active, st.boots, SLOT_TRIAL_BOOTS);
		goto out;
	}
	/* The slot that runs stays: after a fallback boot it is not the active one. */
	const char *keep = running && (!strcmp(running, "slot-a") || !strcmp(running, "slot-b")) ? running : st.active;
	const char *t = keep[0] ? other(keep) : "slot-a";
	char tdir[512];
	snprintf(tdir, sizeof tdir, "%s/%s", dir, t);
	/* 1. previous -> the running slot, so the slot about to be rewritten is referenced by nothing. */
	if (keep[0] && strcmp(st.previous, keep) && link_set(dfd, dir, "previous", keep, e) < 0)
		goto out;
	if (step)
		step("previous");
	/* 2. the new slot, whole and on trial before anything points at it. */
	if (mkdirat(dfd, t, 0700) < 0 && errno != EEXIST) {
		err_sys(e, errno, "%s: mkdir", tdir);
		goto out;
	}
	tfd = openat(dfd, t, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (tfd < 0) {
		err_sys(e, errno, "%s: open", tdir);
		goto out;
	}
	if (remove_in(tfd, tdir, "failed", e) < 0 || remove_in(tfd, tdir, "trial", e) < 0 ||
	    file_put_at(tfd, tdir, "trial", "boots 0\n", 8, 0600, e) < 0 || file_put_at(tfd, tdir, "config.bin", cfg, len, 0600, e) < 0 ||
	    sync_dir(dfd, dir, e) < 0)
		goto out;
	if (step)
		step("slot");
	/* 3. the switch. */
	if (link_set(dfd, dir, "active", t, e) < 0)
		goto out;
	if (step)
		step("active");
	memcpy(slot, t, 7);
	slot[7] = '\0';
	rc = 0;
out:
	if (tfd >= 0)
		close(tfd);
	close(dfd);
	return rc;
}

static int rollback_at(int dfd, const char *dir, const struct slot_state *st, const char *why, struct err *e)
{
	char path[64];
	snprintf(path, sizeof path, "%s", st->active);
	int tfd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (tfd < 0)
		return err_sys(e, errno, "%s/%s: open", dir, path);
	char tdir[512], note[200];
	snprintf(tdir, sizeof tdir, "%s/%s", dir, st->active);
	int n = snprintf(note, sizeof note, "%s\n", why);
	int rc = file_put_at(tfd, tdir, "failed", note, (size_t)n < sizeof note ? (size_t)n : sizeof note - 1, 0600, e);
	close(tfd);
	if (rc < 0)
		return -1;
	/* The trial marker stays in the failed slot: were it removed first, a power cut before the
	 * switch would leave an unconfirmed slot active and trusted. */
	if (st->previous[0] && strcmp(st->previous, st->active))
		return link_set(dfd, dir, "active", st->previous, e);
	if (unlinkat(dfd, "active", 0) < 0)
		return err_sys(e, errno, "%s/active: unlink", dir);
	return sync_dir(dfd, dir, e);
}

int slot_rollback(const char *dir, const char *why, struct err *e)
{
	int dfd = open_dir(dir, e);
	if (dfd < 0)
		return -1;
	struct slot_state st;
	int rc = read_at(dfd, dir, &st, e);
	if (rc == 0 && !st.active[0])
		rc = err_set(e, ENOENT, "%s/active: no slot is active: nothing to roll back", dir);
	if (rc == 0)
		rc = rollback_at(dfd, dir, &st, why, e);
	close(dfd);
	return rc;
}

static int is_old_style(int dfd, const char *dir, const char *name, struct err *e);

int slot_boot(const char *dir, unsigned limit, char *why, size_t whylen, struct err *e)
{
	int dfd = open_dir(dir, e);
	if (dfd < 0)
		return -1;
	struct slot_state st;
	int rc = 0;
	/* Old-style directories (or a migration cut half-way) carry no trial: nothing to count. */
	int old = is_old_style(dfd, dir, "active", e);
	if (old == 0)
		old = is_old_style(dfd, dir, "previous", e);
	if (old != 0) {
		rc = old < 0 ? -1 : 0;
		goto out;
	}
	rc = read_at(dfd, dir, &st, e);
	if (rc < 0 || !st.trial)
		goto out;
	if (st.boots >= limit) {
		snprintf(why, whylen, "%s: %u boots on trial without being confirmed", st.active, st.boots);
		rc = rollback_at(dfd, dir, &st, why, e) < 0 ? -1 : 2;
		goto out;
	}
	char path[16], text[32];
	snprintf(path, sizeof path, "%s", st.active);
	int tfd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (tfd < 0) {
		rc = err_sys(e, errno, "%s/%s: open", dir, path);
		goto out;
	}
	char tdir[512];
	snprintf(tdir, sizeof tdir, "%s/%s", dir, st.active);
	int n = snprintf(text, sizeof text, "boots %u\n", st.boots + 1);
	rc = file_put_at(tfd, tdir, "trial", text, (size_t)n, 0600, e) < 0 ? -1 : 1;
	close(tfd);
	snprintf(why, whylen, "%s on trial: boot %u of %u", st.active, st.boots + 1, limit);
out:
	close(dfd);
	return rc;
}

int slot_confirm(const char *dir, struct err *e)
{
	int dfd = open_dir(dir, e);
	if (dfd < 0)
		return -1;
	struct slot_state st;
	int rc = read_at(dfd, dir, &st, e);
	if (rc == 0 && st.trial) {
		char tdir[512];
		snprintf(tdir, sizeof tdir, "%s/%s", dir, st.active);
		int tfd = openat(dfd, st.active, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (tfd < 0)
			rc = err_sys(e, errno, "%s: open", tdir);
		else {
			rc = remove_in(tfd, tdir, "trial", e);
			if (rc == 0)
				rc = sync_dir(tfd, tdir, e);
			close(tfd);
		}
	}
	close(dfd);
	return rc;
}

/* ---- old-style state: directories named active and previous ---- */

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#define MIGRATE_TMP ".migrate.tmp"

/* Every entry of dir `name` is a regular file (what earlier keel versions put there); with
 * `link_to` (a directory fd), each is hard-linked into it, and with `unlink_them`, removed. */
static int flat_walk(int dfd, const char *dir, const char *name, int link_to, bool unlink_them, struct err *e)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_sys(e, errno, "%s/%s: open", dir, name);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_sys(e, errno, "%s/%s: opendir", dir, name);
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = err_sys(e, errno, "%s/%s/%s: stat", dir, name, de->d_name);
		else if (!S_ISREG(st.st_mode))
			rc = err_set(e, ENOTSUP, "%s/%s/%s: expected only regular files in an old-style config directory, found another kind of file",
				     dir, name, de->d_name);
		else if (link_to >= 0 && linkat(fd, de->d_name, link_to, de->d_name, 0) < 0)
			rc = err_sys(e, errno, "%s/%s/%s: hard link into the new slot", dir, name, de->d_name);
		else if (unlink_them && unlinkat(fd, de->d_name, 0) < 0)
			rc = err_sys(e, errno, "%s/%s/%s: unlink", dir, name, de->d_name);
	}
	if (rc == 0 && errno)
		rc = err_sys(e, errno, "%s/%s: readdir", dir, name);
	closedir(d);
	return rc;
}

/* A flat directory nothing references any more (a leftover of a cut migration) goes. */
static int flat_remove(int dfd, const char *dir, const char *name, struct err *e)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_sys(e, errno, "%s/%s: stat", dir, name);
	if (!S_ISDIR(st.st_mode))
		return remove_in(dfd, dir, name, e);
	if (flat_walk(dfd, dir, name, -1, true, e) < 0)
		return -1;
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0)
		return err_sys(e, errno, "%s/%s: rmdir", dir, name);
	return 0;
}

/* The old-style directory `name` becomes slot `t` (see slot.h). Each step is whole before the next:
 * until the exchange, `name` is the untouched directory; after it, a link to a slot holding the
 * very same files. */
static int migrate_one(int dfd, const char *dir, const char *name, const char *t, struct err *e)
{
	char tmp[32];
	snprintf(tmp, sizeof tmp, ".%s.tmp", name);
	/* 0. leftovers of a cut run: nothing references them. */
	if (flat_remove(dfd, dir, MIGRATE_TMP, e) < 0 || flat_remove(dfd, dir, tmp, e) < 0 || flat_remove(dfd, dir, t, e) < 0)
		return -1;
	/* 1. the slot, under a temporary name, holding hard links to the directory's files. */
	if (mkdirat(dfd, MIGRATE_TMP, 0700) < 0)
		return err_sys(e, errno, "%s/%s: mkdir", dir, MIGRATE_TMP);
	int nfd = openat(dfd, MIGRATE_TMP, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (nfd < 0)
		return err_sys(e, errno, "%s/%s: open", dir, MIGRATE_TMP);
	int rc = flat_walk(dfd, dir, name, nfd, false, e);
	if (rc == 0)
		rc = sync_dir(nfd, dir, e);
	close(nfd);
	/* 2. it takes its slot name. */
	if (rc == 0 && renameat(dfd, MIGRATE_TMP, dfd, t) < 0)
		rc = err_sys(e, errno, "%s/%s: rename to %s", dir, MIGRATE_TMP, t);
	if (rc == 0)
		rc = sync_dir(dfd, dir, e);
	/* 3. the directory and a link to the slot swap names in one step. */
	if (rc == 0 && symlinkat(t, dfd, tmp) < 0)
		rc = err_sys(e, errno, "%s/%s: symlink to %s", dir, tmp, t);
	if (rc == 0 && syscall(SYS_renameat2, dfd, tmp, dfd, name, RENAME_EXCHANGE) < 0)
		rc = err_sys(e, errno, "%s/%s: exchange with a link to %s (rename RENAME_EXCHANGE)", dir, name, t);
	if (rc < 0) { /* undo: nothing references what was made */
		struct err ignored;
		flat_remove(dfd, dir, MIGRATE_TMP, &ignored);
		flat_remove(dfd, dir, t, &ignored);
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	if (sync_dir(dfd, dir, e) < 0)
		return -1;
	/* 4. the old directory (now the temporary name) goes; its files live on in the slot. */
	if (flat_remove(dfd, dir, tmp, e) < 0)
		return -1;
	return sync_dir(dfd, dir, e);
}

/* Is name an old-style directory? 1 yes, 0 no (a link, missing, anything else: slot_read judges). */
static int is_old_style(int dfd, const char *dir, const char *name, struct err *e)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_sys(e, errno, "%s/%s: stat", dir, name);
	return S_ISDIR(st.st_mode);
}

int slot_migrate(const char *dir, bool apply, struct err *e)
{
	static const char *const names[] = {"active", "previous"};
	int dfd = open_dir(dir, e), found = 0;
	if (dfd < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		const char *name = names[i], *peer = names[1 - i];
		/* A cut after step 3 left the old directory under the link's temporary name. */
		char tmp[32];
		snprintf(tmp, sizeof tmp, ".%s.tmp", name);
		int r = is_old_style(dfd, dir, tmp, e);
		if (r < 0 || (r > 0 && flat_walk(dfd, dir, tmp, -1, false, e) < 0) ||
		    (r > 0 && apply && (flat_remove(dfd, dir, tmp, e) < 0 || sync_dir(dfd, dir, e) < 0)))
			goto fail;
		found |= r;
		r = is_old_style(dfd, dir, name, e);
		if (r == 0)
			continue;
		found = 1;
		if (r < 0 || flat_walk(dfd, dir, name, -1, false, e) < 0)
			goto fail;
		if (!apply)
			continue;
		/* The slot the other name does not point at (that one may already be a link). */
		char target[8];
		struct err ignored;
		if (is_old_style(dfd, dir, peer, &ignored) != 0 || link_read(dfd, dir, peer, target, &ignored) < 0)
			target[0] = '\0';
		const char *t = target[0] ? other(target) : i == 0 ? "slot-a" : "slot-b";
		if (migrate_one(dfd, dir, name, t, e) < 0)
			goto fail;
	}
	close(dfd);
	return found;
fail:
	close(dfd);
	return -1;
}
