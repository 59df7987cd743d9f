/* `keel update FILE`: verify an update bundle while streaming it into the layer store, then switch
 * the active config slot atomically and ask PID 1 for a reboot; `--status` shows the slots. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../format/bundle.h"
#include "../lib/digest.h"
#include "../lib/file.h"
#include "../runtime/layers.h"
#include "../update/slot.h"
#include "commands.h"
#include "../update/choice.h"
#include "../update/store.h"

#define TMP_PREFIX ".tmp-"

static void usage(FILE *f)
{
	fprintf(f, "usage: keel update FILE.kbu [--apply | --no-reboot] [--data-dir DIR] [--keys DIR] [--factory-layers DIR]\n"
		   "       keel update --status [--json] | --gc [--data-dir DIR]\n"
		   "\n"
		   "Installs an update bundle (keel-pack bundle): checks the config's signature as PID 1 does at\n"
		   "boot, streams each layer into DIR/layers/sha256/<hex>.img while hashing it, and builds its\n"
		   "dm-verity tree (<hex>.verity) when the config has its verity parameters (layers already in\n"
		   "the store or the factory's are skipped), and only when every byte checked out makes the new\n"
		   "config active (slot-a/slot-b, symlinks active and previous), on trial. Then asks PID 1 to\n"
		   "reboot into it. On any error nothing installed or active changes. PID 1 confirms the new\n"
		   "config once its services are healthy, or rolls back to the previous one. See docs/update.md.\n"
		   "\n"
		   "  --apply                no reboot: PID 1 applies the new config live (keel ctl reload),\n"
		   "                         with the same health window; a rollback is applied live too\n"
		   "  --no-reboot            stage only: the new config runs from the next boot\n"
		   "  --status               which slot runs and why (PID 1's choice, with each rejected config's\n"
		   "                         reason), which is active, whether it is on trial, the last rollback\n"
		   "  --json                 with --status: the same as one JSON object (fields: docs/update.md)\n"
		   "  --gc                   remove the stored layers neither the active nor the previous config uses\n"
		   "                         (PID 1 does it after it confirms an update)\n"
		   "  --data-dir DIR         the updated state (default " KEEL_DATA_DIR ")\n"
		   "  --keys DIR             public keys the config must be signed with (default " KEEL_KEYS_DIR ")\n"
		   "  --factory-layers DIR   the factory's layer store (default " KEEL_FACTORY_LAYERS ")\n");
}

struct upd {
	const char *data, *keys, *factory, *file;
	char store[PATH_MAX];  /* <data>/layers/sha256 */
	int sfd;               /* the data dir: temporary files go there, locked while we run */
	int in;                /* the bundle */
	int out;               /* the layer being written, or -1 */
	char tmp[96];          /* its temporary name in store */
	uint8_t (*staged)[32]; /* layers written under temporary names, waiting for the rename */
	size_t nstaged;        /* at most nrefs: the reader lets each referenced layer come once */
	uint8_t (*refs)[32];   /* the config's layers ... */
	struct cfg_verity *ver; /* ... their verity parameters (hash 0: none) ... */
	size_t cur;            /* ... the one being written */
	bool *needed, *got;    /* ... which are in no store, which came in the bundle */
	size_t nrefs;
	uint64_t bytes;
	unsigned present;
	void (*step)(const char *what); /* stop_at with --test-hooks, else NULL */
};

/* The image is in the store; with `check`, only if its bytes still hash to its name. */
static bool in_store(const char *dir, const uint8_t d[32], bool check)
{
	char p[LAYER_PATH_MAX];
	struct stat st;
	if (layer_path(p, sizeof p, dir, d) < 0 || stat(p, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return false;
	if (!check)
		return true;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	void *buf = malloc(64 * 1024);
	uint8_t got[DIGEST_LEN];
	uint64_t n;
	struct err e;
	bool ok = fd >= 0 && buf && digest_fd(fd, buf, 64 * 1024, got, &n, &e) == 0 && !memcmp(got, d, DIGEST_LEN);
	free(buf);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* In the factory store (read-only, checked when the image was made) or in the data store; the
 * bundle's copy replaces a data store copy that went bad (`check`: the bundle carries it). */
static bool installed(const struct upd *u, const uint8_t d[32], bool check)
{
	char data_layers[PATH_MAX];
	snprintf(data_layers, sizeof data_layers, "%s/layers", u->data);
	return in_store(u->factory, d, false) || in_store(data_layers, d, check);
}

static ssize_t on_read(void *ctx, void *buf, size_t n)
{
	return read(((struct upd *)ctx)->in, buf, n);
}

static int on_config(void *ctx, const struct cfg *c, struct err *e)
{
	struct upd *u = ctx;
	char name[PATH_MAX + 32];
	snprintf(name, sizeof name, "%s: entry 0 (config)", u->file);
	if (cfg_verify_signature(c, u->keys, name, e) < 0)
		return -1;
	size_t n = bundle_config_layers(c, NULL, 0);
	u->refs = malloc((n ? n : 1) * sizeof *u->refs);
	u->needed = calloc(n ? n : 1, sizeof *u->needed);
	u->got = calloc(n ? n : 1, sizeof *u->got);
	u->staged = malloc((n ? n : 1) * sizeof *u->staged);
	u->ver = calloc(n ? n : 1, sizeof *u->ver);
	if (!u->refs || !u->needed || !u->got || !u->staged || !u->ver)
		return err_sys(e, ENOMEM, "%s", name);
	u->nrefs = bundle_config_layers(c, u->refs, n);
	for (size_t i = 0; i < u->nrefs; i++)
		if (cfg_verity_of(c, u->refs[i]))
			u->ver[i] = *cfg_verity_of(c, u->refs[i]);
	for (size_t i = 0; i < u->nrefs; i++)
		u->needed[i] = !installed(u, u->refs[i], false);
	return 0;
}

static int on_layer_begin(void *ctx, const uint8_t d[32], uint64_t size, struct err *e)
{
	struct upd *u = ctx;
	(void)size;
	for (size_t i = 0; i < u->nrefs; i++)
		if (!memcmp(u->refs[i], d, 32))
			u->got[i] = true, u->cur = i;
	if (installed(u, d, true)) {
		u->present++;
		return 0;
	}
	if (u->nstaged == u->nrefs) /* cannot happen: the reader refuses repeats and strangers */
		return err_set(e, EINVAL, "more layers than the config references");
	char hex[DIGEST_HEX_LEN + 1];
	digest_to_hex(d, hex);
	memcpy(u->staged[u->nstaged], d, 32); /* counted once it is whole (on_layer_end) */
	snprintf(u->tmp, sizeof u->tmp, TMP_PREFIX "%s.img", hex);
	u->out = openat(u->sfd, u->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (u->out < 0)
		return err_sys(e, errno, "%s/%s: create", u->data, u->tmp);
	return 1;
}

static int on_layer_data(void *ctx, const uint8_t *buf, size_t n, struct err *e)
{
	struct upd *u = ctx;
	while (n) {
		ssize_t k = write(u->out, buf, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return err_sys(e, k < 0 ? errno : EIO, "%s/%s: write", u->data, u->tmp);
		buf += k;
		n -= (size_t)k;
		u->bytes += (uint64_t)k;
	}
	return 0;
}

static int on_layer_end(void *ctx, struct err *e)
{
	struct upd *u = ctx;
	int fd = u->out;
	u->out = -1;
	if (fsync(fd) < 0 || close(fd) < 0)
		return err_sys(e, errno, "%s/%s: fsync", u->data, u->tmp);
	/* Its dm-verity tree while the bytes are in the page cache: no first start reads it all. */
	if (u->ver[u->cur].hash) {
		char tree[96];
		snprintf(tree, sizeof tree, "%.*s.verity", (int)(strlen(u->tmp) - 4), u->tmp);
		int img = openat(u->sfd, u->tmp, O_RDONLY | O_CLOEXEC);
		int t = openat(u->sfd, tree, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		int rc = img < 0 || t < 0 ? err_sys(e, errno, "%s/%s", u->data, tree) : layer_tree_build(img, &u->ver[u->cur], t, e);
		if (rc == 0 && fsync(t) < 0)
			rc = err_sys(e, errno, "%s/%s: fsync", u->data, tree);
		if (img >= 0)
			close(img);
		if (t >= 0)
			close(t);
		if (rc < 0)
			return err_prefix(e, "%s/%s: ", u->data, u->tmp);
	}
	u->nstaged++;
	u->tmp[0] = '\0';
	return 0;
}

/* Temporary files of this run (or of one a power cut ended) go. */
static void remove_temps(struct upd *u)
{
	if (u->out >= 0) {
		close(u->out);
		u->out = -1;
	}
	int fd = dup(u->sfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d); /* the dup shares the offset an earlier pass left at the end */
	struct dirent *de;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)))
			unlinkat(u->sfd, de->d_name, 0);
	closedir(d);
}

/* The link a config path was read through: "active" of /data/keel/active/config.bin. */
static const char *link_name(const char *path, char out[16])
{
	const char *end = strrchr(path, '/'), *start = end;
	while (start && start > path && start[-1] != '/')
		start--;
	size_t n = start ? (size_t)(end - start) : 0;
	n = n < 15 ? n : 15;
	memcpy(out, start ? start : "", n);
	out[n] = '\0';
	return out;
}

/* The running config, as the links name its slot now. */
static void print_running(const struct update_choice *ch, const struct slot_state *st)
{
	const struct update_choice_entry *r = &ch->running;
	if (!strcmp(r->slot, "factory"))
		printf("running: the factory config (%s)\n", r->path);
	else if (!r->slot[0])
		printf("running: %s (old-style directory)\n", r->path);
	else
		printf("running: %s (%s)\n", r->slot, !strcmp(r->slot, st->active) ? "active" :
			!strcmp(r->slot, st->previous) ? "previous" : "neither active nor previous now");
	for (unsigned i = 0; i < ch->nrejected; i++) {
		const struct update_choice_entry *j = &ch->rejected[i];
		char link[16];
		if (j->slot[0])
			printf("rejected at boot: %s (%s): %s\n", j->slot, link_name(j->path, link), j->why);
		else
			printf("rejected at boot: %s\n", j->why);
	}
}

/* A JSON string, or null for "", into out (2 * ERR_MSG_MAX + 3 bytes holds any record field).
 * What is printed (the record, slot names, the failed note) is printable ASCII apart from what a
 * damaged file might hold, shown as '?'. */
static const char *json_str(char *out, const char *s)
{
	if (!*s)
		return "null";
	char *o = out;
	*o++ = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			*o++ = '\\';
		*o++ = *s >= 0x20 && *s < 0x7f ? *s : '?';
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

/* One object on one line; docs/update.md lists the fields. */
static void print_json(const struct update_choice *ch, bool have, const struct slot_state *st, bool old)
{
	char a[2 * ERR_MSG_MAX + 3], b[2 * ERR_MSG_MAX + 3], c[2 * ERR_MSG_MAX + 3];
	if (have)
		printf("{\"running\":{\"slot\":%s,\"config\":%s},\"rejected\":[", json_str(a, ch->running.slot),
		       json_str(b, ch->running.path));
	else
		printf("{\"running\":null,\"rejected\":[");
	for (unsigned i = 0; have && i < ch->nrejected; i++)
		printf("%s{\"slot\":%s,\"config\":%s,\"reason\":%s}", i ? "," : "", json_str(a, ch->rejected[i].slot),
		       json_str(b, ch->rejected[i].path), json_str(c, ch->rejected[i].why));
	printf("],\"active\":%s,\"previous\":%s,\"trial\":%s,\"trial_boots\":%u,\"trial_limit\":%u,"
	       "\"rolled_back\":%s,\"old_style\":%s}\n",
	       json_str(a, st->active), json_str(b, st->previous), st->trial ? "true" : "false", st->boots,
	       SLOT_TRIAL_BOOTS, json_str(c, st->note), old ? "true" : "false");
}

static int status(const char *data, bool json)
{
	struct slot_state st;
	struct update_choice ch;
	struct err e;
	err_clear(&e);
	memset(&st, 0, sizeof st);
	/* PID 1 records its choice for its own data dir only. */
	int have = strcmp(data, KEEL_DATA_DIR) ? 0 : update_choice_read(&ch, &e);
	/* No data dir: no update was ever installed (the factory config). */
	bool none = have >= 0 && access(data, F_OK) < 0 && errno == ENOENT;
	bool old = have >= 0 && !none && slot_migrate(data, false, &e) == 1;
	if (have < 0 || (!old && !none && slot_read(data, &st, &e) < 0)) {
		fprintf(stderr, "keel update: %s\n", e.msg);
		return 1;
	}
	if (json) {
		print_json(&ch, have > 0, &st, old);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (have > 0)
		print_running(&ch, &st);
	if (old) {
		printf("active: %s/active (old-style directory: the next keel update makes it a slot)\n", data);
		return 0;
	}
	if (!st.active[0])
		printf("active: none (the factory config)\n");
	else if (st.trial)
		printf("active: %s (on trial: boot %u of %u, not confirmed yet)\n", st.active, st.boots, SLOT_TRIAL_BOOTS);
	else
		printf("active: %s (confirmed)\n", st.active);
	printf("previous: %s\n", st.previous[0] ? st.previous : "none");
	if (st.note[0])
		printf("rolled back: %s\n", st.note);
	return 0;
}

/* For the power-cut tests only, with --test-hooks (docs/update.md, "Testing"):
 * KEEL_UPDATE_STOP_AT=layers|previous|slot|active holds the update right after that step (fsync'd)
 * until it is killed, so a test can cut the power there. A stray variable alone does nothing. */
static void stop_at(const char *what)
{
	const char *want = getenv("KEEL_UPDATE_STOP_AT");
	if (!want || strcmp(want, what))
		return;
	printf("keel update: stopped after step '%s' (KEEL_UPDATE_STOP_AT)\n", what);
	fflush(stdout);
	for (;;)
		pause();
}

/* Nothing in the data dir changes until every byte checked out: layers arrive under temporary
 * names in the data dir itself (same file system), and only then move into the store. */
static int install(struct upd *u, struct err *e)
{
	/* The bundle first: `keel update /typo.kbu` names it, not the data dir. */
	u->in = open(u->file, O_RDONLY | O_CLOEXEC);
	if (u->in < 0)
		return err_sys(e, errno, "%s: open", u->file);
	u->sfd = open(u->data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u->sfd < 0 || flock(u->sfd, LOCK_EX | LOCK_NB) < 0) {
		if (u->sfd < 0)
			err_sys(e, errno, "%s: open", u->data);
		else
			err_sys(e, errno, "%s: another keel update is running", u->data);
		if (u->sfd >= 0)
			close(u->sfd);
		close(u->in);
		return -1;
	}
	int rc = -1, store = -1;
	uint8_t *cfg = NULL;
	size_t cfg_len = 0;
	struct slot_state st;
	remove_temps(u);
	/* Old-style directories (earlier keel) hold no trial; they become slots once the bundle checked out. */
	int old_style = slot_migrate(u->data, false, e);
	if (old_style < 0 || (!old_style && slot_read(u->data, &st, e) < 0))
		goto out;
	if (!old_style && st.trial) {
		err_set(e, EBUSY, "%s/active: %s is on trial (boot %u of %u): it must be confirmed or rolled back before another update",
			u->data, st.active, st.boots, SLOT_TRIAL_BOOTS);
		goto out;
	}
	if ((size_t)snprintf(u->store, sizeof u->store, "%s/layers/sha256", u->data) >= sizeof u->store) {
		err_set(e, ENAMETOOLONG, "%s: path too long", u->data);
		goto out;
	}
	if (update_space_check(u->in, u->file, u->data, u->factory, e) < 0)
		goto out;
	const struct bundle_ops ops = {.ctx = u, .read = on_read, .config = on_config, .layer_begin = on_layer_begin,
				       .layer_data = on_layer_data, .layer_end = on_layer_end};
	if (bundle_read(&ops, u->file, &cfg, &cfg_len, e) < 0)
		goto out;
	for (size_t i = 0; i < u->nrefs; i++) {
		if (u->needed[i] && !u->got[i]) {
			char hex[DIGEST_HEX_LEN + 1];
			digest_to_hex(u->refs[i], hex);
			err_set(e, ENOENT, "%s: entry 0 (config): layer sha256:%s: expected in the bundle or in %s/layers or %s, found in none",
				u->file, hex, u->data, u->factory);
			goto out;
		}
	}
	/* Every byte checked: the new layers take their names (each rename atomic), then the config. */
	if (old_style && slot_migrate(u->data, true, e) < 0)
		goto out;
	if (mkdir_p(u->store, 0700, e) < 0)
		goto out;
	store = open(u->store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (store < 0) {
		err_sys(e, errno, "%s: open", u->store);
		goto out;
	}
	for (size_t i = 0; i < u->nstaged; i++) {
		char hex[DIGEST_HEX_LEN + 1], from[96], to[96];
		digest_to_hex(u->staged[i], hex);
		snprintf(from, sizeof from, TMP_PREFIX "%s.verity", hex);
		snprintf(to, sizeof to, "%s.verity", hex);
		if (renameat(u->sfd, from, store, to) < 0 && errno != ENOENT) { /* no tree: no parameters */
			err_sys(e, errno, "%s/%s: rename to %s/%s", u->data, from, u->store, to);
			goto out;
		}
		snprintf(from, sizeof from, TMP_PREFIX "%s.img", hex);
		snprintf(to, sizeof to, "%s.img", hex);
		if (renameat(u->sfd, from, store, to) < 0) {
			err_sys(e, errno, "%s/%s: rename to %s/%s", u->data, from, u->store, to);
			goto out;
		}
	}
	if (fsync(store) < 0 || fsync(u->sfd) < 0) {
		err_sys(e, errno, "%s: fsync", u->store);
		goto out;
	}
	if (u->step)
		u->step("layers");
	/* After a fallback boot the slot that runs is not the active one: it stays, as previous. */
	struct update_choice ch;
	const char *running = !strcmp(u->data, KEEL_DATA_DIR) && update_choice_read(&ch, &(struct err){0}) > 0 ? ch.running.slot : NULL;
	char slot[8];
	if (slot_install(u->data, cfg, cfg_len, slot, running, u->step, e) < 0)
		goto out;
	printf("keel update: %s: config (%zu bytes) active in %s on trial; %zu new layer(s) (%llu bytes), %u already present\n",
	       u->file, cfg_len, slot, u->nstaged, (unsigned long long)u->bytes, u->present);
	rc = 0;
out:
	if (rc < 0)
		remove_temps(u);
	if (u->in >= 0)
		close(u->in);
	if (store >= 0)
		close(store);
	free(cfg);
	close(u->sfd); /* releases the lock */
	return rc;
}

int cmd_update(int argc, char **argv)
{
	struct upd u = {.data = KEEL_DATA_DIR, .keys = KEEL_KEYS_DIR, .factory = KEEL_FACTORY_LAYERS, .sfd = -1, .in = -1,
			.out = -1};
	bool reboot = true, show = false, gc = false, apply = false, json = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--no-reboot")) {
			reboot = false;
		} else if (!strcmp(a, "--apply")) {
			apply = true;
		} else if (!strcmp(a, "--status")) {
			show = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--gc")) {
			gc = true;
		} else if (!strcmp(a, "--test-hooks")) {
			u.step = stop_at;
		} else if (!strcmp(a, "--data-dir") && i + 1 < argc) {
			u.data = argv[++i];
		} else if (!strcmp(a, "--keys") && i + 1 < argc) {
			u.keys = argv[++i];
		} else if (!strcmp(a, "--factory-layers") && i + 1 < argc) {
			u.factory = argv[++i];
		} else if (a[0] == '-' || u.file) {
			usage(stderr);
			return 2;
		} else {
			u.file = a;
		}
	}
	if (json && !show) {
		fprintf(stderr, "keel update: --json goes with --status\n");
		return 2;
	}
	if (show)
		return status(u.data, json);
	struct err e;
	err_clear(&e);
	if (gc) {
		unsigned n;
		uint64_t bytes;
		if (update_gc(u.data, &n, &bytes, &e) < 0) {
			fprintf(stderr, "keel update: %s\n", e.msg);
			return 1;
		}
		printf("keel update: removed %u layer(s) (%llu bytes) neither slot references\n", n, (unsigned long long)bytes);
		return 0;
	}
	if (!u.file) {
		usage(stderr);
		return 2;
	}
	int rc = install(&u, &e);
	free(u.staged);
	free(u.ver);
	free(u.refs);
	free(u.needed);
	free(u.got);
	if (rc < 0) {
		fprintf(stderr, "keel update: %s\n", e.msg);
		return 1;
	}
	if (!reboot) {
		printf("keel update: staged; it runs from the next boot\n");
		return 0;
	}
	if (apply) {
		printf("keel update: applying live (keel ctl reload)\n");
		fflush(stdout);
		int r = ctl_call(KEEL_CTL_SOCKET, "reload\n");
		if (r != 0)
			fprintf(stderr, "keel update: not applied live; it runs from the next boot\n");
		return r;
	}
	printf("keel update: rebooting to apply\n");
	fflush(stdout);
	if (kill(1, SIGTERM) < 0) {
		fprintf(stderr, "keel update: asking PID 1 to reboot: %s (the update runs from the next boot)\n", strerror(errno));
		return 1;
	}
	return 0;
}
