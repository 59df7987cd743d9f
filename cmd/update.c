/* `keel update FILE` and `keel update --from REF`: verify an update (a bundle streamed into the layer
 * store, or a registry pull: update_from.c) and install it through update/install.c, which switches
 * the active config slot atomically; then ask PID 1 for a reboot or a live reload. `--status` shows
 * the slots and the last attempt. */
#include <bearssl.h>
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

#include <time.h>

#include "../format/bundle.h"
#include "../lib/digest.h"
#include "../lib/file.h"
#include "../lib/version.h"
#include "../update/choice.h"
#include "../update/outcome.h"
#include "../update/slot.h"
#include "../update/store.h"
#include "commands.h"
#include "update.h"

static const char usage_text[] =
#include "build/gen/usage/keel-update.inc"
	;

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

struct upd {
	struct update_cmd *c;
	int in;                /* the bundle */
	int out;               /* the layer being written, or -1 */
	char tmp[96];          /* its temporary name in the data dir */
	uint8_t cur[32];       /* its digest */
	uint8_t (*refs)[32];   /* the config's layers ... */
	struct cfg_verity *ver; /* ... their verity parameters (hash 0: none) ... */
	size_t ci;             /* ... the one being written */
	bool *needed, *got;    /* ... which are in no store, which came in the bundle */
	size_t nrefs;
	uint64_t bytes;
	unsigned present;
};

static ssize_t on_read(void *ctx, void *buf, size_t n)
{
	return read(((struct upd *)ctx)->in, buf, n);
}

static int on_config(void *ctx, const struct cfg *c, struct err *e)
{
	struct upd *u = ctx;
	char name[PATH_MAX + 32];
	snprintf(name, sizeof name, "%s: entry 0 (config)", u->c->file);
	if (update_check_config(&u->c->t, c, name, e) < 0)
		return -1;
	size_t n = bundle_config_layers(c, NULL, 0);
	u->refs = malloc((n ? n : 1) * sizeof *u->refs);
	u->needed = calloc(n ? n : 1, sizeof *u->needed);
	u->got = calloc(n ? n : 1, sizeof *u->got);
	u->ver = calloc(n ? n : 1, sizeof *u->ver);
	if (!u->refs || !u->needed || !u->got || !u->ver)
		return err_sys(e, ENOMEM, "%s", name);
	u->nrefs = bundle_config_layers(c, u->refs, n);
	for (size_t i = 0; i < u->nrefs; i++) /* copied: the config is gone when its layers come */
		if (cfg_verity_of(c, u->refs[i]))
			u->ver[i] = *cfg_verity_of(c, u->refs[i]);
	for (size_t i = 0; i < u->nrefs; i++)
		u->needed[i] = !update_layer_installed(&u->c->t, u->refs[i], false);
	return 0;
}

static int on_layer_begin(void *ctx, const uint8_t d[32], uint64_t size, struct err *e)
{
	struct upd *u = ctx;
	(void)size;
	u->ci = u->nrefs;
	for (size_t i = 0; i < u->nrefs; i++)
		if (!memcmp(u->refs[i], d, 32))
			u->got[i] = true, u->ci = i;
	if (update_layer_installed(&u->c->t, d, true)) {
		u->present++;
		return 0;
	}
	memcpy(u->cur, d, 32); /* counted once it is whole (on_layer_end) */
	update_temp_name(d, u->tmp);
	u->out = openat(u->c->t.sfd, u->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (u->out < 0)
		return err_sys(e, errno, "%s/%s: create", u->c->t.data, u->tmp);
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
			return err_sys(e, k < 0 ? errno : EIO, "%s/%s: write", u->c->t.data, u->tmp);
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
		return err_sys(e, errno, "%s/%s: fsync", u->c->t.data, u->tmp);
	return update_stage_add(&u->c->t, u->cur, u->ci < u->nrefs && u->ver[u->ci].hash ? &u->ver[u->ci] : NULL, e);
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

/* "2026-12-06 16:51:21 UTC" */
static const char *utc(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, 32, "%lld", (long long)t);
	return out;
}

static void print_outcome(const struct update_outcome *o)
{
	char when[32];
	printf("last update: %s from %s: %s", utc(o->time, when), o->source, o->result);
	if (o->manifest[0] || o->config[0] || o->bytes) {
		printf(" (");
		const char *sep = "";
		if (o->manifest[0])
			printf("manifest %.19s", o->manifest), sep = ", ";
		if (o->config[0])
			printf("%sconfig %.19s", sep, o->config), sep = ", ";
		if (o->bytes || o->manifest[0])
			printf("%s%llu bytes received", sep, (unsigned long long)o->bytes);
		if (o->resumed)
			printf(", %llu resumed", (unsigned long long)o->resumed);
		printf(")");
	}
	printf("\n");
	if (o->error[0])
		printf("last update error: %s\n", o->error);
}

/* One object on one line; docs/update.md lists the fields. */
static void print_json(const struct update_choice *ch, bool have, const struct slot_state *st, bool old,
		       const struct update_outcome *o)
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
	       "\"rolled_back\":%s,\"old_style\":%s,",
	       json_str(a, st->active), json_str(b, st->previous), st->trial ? "true" : "false", st->boots,
	       SLOT_TRIAL_BOOTS, json_str(c, st->note), old ? "true" : "false");
	if (!o) {
		printf("\"last_update\":null}\n");
		return;
	}
	printf("\"last_update\":{\"source\":%s,\"manifest\":%s,\"config\":%s,", json_str(a, o->source),
	       json_str(b, o->manifest), json_str(c, o->config));
	printf("\"time\":%lld,\"result\":%s,\"error\":%s,\"bytes\":%llu,\"resumed\":%llu}}\n", (long long)o->time,
	       json_str(a, o->result), json_str(b, o->error), (unsigned long long)o->bytes, (unsigned long long)o->resumed);
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
	struct update_outcome o;
	int last = none ? 0 : update_outcome_read(data, &o, &e);
	if (last < 0) {
		fprintf(stderr, "keel update: %s\n", e.msg);
		return 1;
	}
	if (json) {
		print_json(&ch, have > 0, &st, old, last > 0 ? &o : NULL);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (have > 0)
		print_running(&ch, &st);
	if (old) {
		printf("active: %s/active (old-style directory: the next keel update makes it a slot)\n", data);
		if (last > 0)
			print_outcome(&o);
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
	if (last > 0)
		print_outcome(&o);
	return 0;
}

/* For the power-cut tests only, with --test-hooks (docs/update.md, "Testing"):
 * KEEL_UPDATE_STOP_AT=layers|previous|slot|active holds the update right after that step (fsync'd)
 * until it is killed, so a test can cut the power there; KEEL_UPDATE_PAUSE_AT=staged holds it after
 * the new layers are written, before they are read back, until SIGUSR1 (a test damages the disk
 * meanwhile). A stray variable alone does nothing. */
static void stop_at(const char *what)
{
	const char *want = getenv("KEEL_UPDATE_STOP_AT"), *pause_at = getenv("KEEL_UPDATE_PAUSE_AT");
	if (pause_at && !strcmp(pause_at, what)) {
		sigset_t s;
		int sig;
		sigemptyset(&s);
		sigaddset(&s, SIGUSR1);
		sigprocmask(SIG_BLOCK, &s, NULL);
		printf("keel update: paused after step '%s' (KEEL_UPDATE_PAUSE_AT): SIGUSR1 continues\n", what);
		fflush(stdout);
		while (sigwait(&s, &sig) != 0)
			;
		return;
	}
	if (!want || strcmp(want, what))
		return;
	printf("keel update: stopped after step '%s' (KEEL_UPDATE_STOP_AT)\n", what);
	fflush(stdout);
	for (;;)
		pause();
}

/* Nothing in the data dir changes until every byte checked out: layers arrive under temporary
 * names in the data dir itself (same file system), are read back, and only then move into the store. */
static int install(struct upd *u, struct err *e)
{
	struct update_cmd *c = u->c;
	/* The bundle first: `keel update /typo.kbu` names it, not the data dir. */
	u->in = open(c->file, O_RDONLY | O_CLOEXEC);
	if (u->in < 0)
		return err_sys(e, errno, "%s: open", c->file);
	int rc = -1;
	uint8_t *cfg = NULL;
	size_t cfg_len = 0;
	char slot[8];
	if (update_begin(&c->t, e) < 0 || update_space_check(u->in, c->file, c->t.data, c->t.factory, e) < 0)
		goto out;
	const struct bundle_ops ops = {.ctx = u, .read = on_read, .config = on_config, .layer_begin = on_layer_begin,
				       .layer_data = on_layer_data, .layer_end = on_layer_end};
	if (bundle_read(&ops, c->file, &cfg, &cfg_len, e) < 0)
		goto out;
	for (size_t i = 0; i < u->nrefs; i++) {
		if (u->needed[i] && !u->got[i]) {
			char hex[DIGEST_HEX_LEN + 1];
			digest_to_hex(u->refs[i], hex);
			err_set(e, ENOENT, "%s: entry 0 (config): layer sha256:%s: expected in the bundle or in %s/layers or %s, found in none",
				c->file, hex, c->t.data, c->t.factory);
			goto out;
		}
	}
	if (c->t.step)
		c->t.step("staged");
	if (update_readback(&c->t, e) < 0 || update_commit(&c->t, cfg, cfg_len, slot, e) < 0)
		goto out;
	printf("keel update: %s: config (%zu bytes) active in %s on trial; %zu new layer(s) (%llu bytes), %u already present\n",
	       c->file, cfg_len, slot, c->t.nstaged, (unsigned long long)u->bytes, u->present);
	rc = 0;
out:
	if (u->out >= 0)
		close(u->out);
	u->out = -1;
	close(u->in);
	/* the last attempt, as the registry form keeps it (only with the lock: another run's record stays) */
	if (c->t.sfd >= 0) {
		struct update_outcome o = {.time = time(NULL)};
		snprintf(o.source, sizeof o.source, "%s", c->file);
		snprintf(o.result, sizeof o.result, "%s", rc ? "failed" : "installed");
		if (cfg) {
			uint8_t d[DIGEST_LEN];
			br_sha256_context sha;
			br_sha256_init(&sha);
			br_sha256_update(&sha, cfg, cfg_len);
			br_sha256_out(&sha, d);
			memcpy(o.config, DIGEST_PREFIX, 7);
			digest_to_hex(d, o.config + 7);
		}
		if (rc)
			snprintf(o.error, sizeof o.error, "%s", e->msg);
		update_outcome_write(c->t.data, &o, &(struct err){0});
	}
	update_end(&c->t, rc == 0);
	free(cfg);
	return rc;
}

int cmd_update(int argc, char **argv)
{
	struct update_cmd c = {.t = {.data = KEEL_DATA_DIR, .keys = KEEL_KEYS_DIR, .factory = KEEL_FACTORY_LAYERS, .sfd = -1}};
	bool reboot = true, show = false, gc = false, apply = false, json = false, hooks = false;
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
			hooks = true;
		} else if (!strcmp(a, "--allow-downgrade")) {
			c.t.allow_downgrade = true;
		} else if (!strcmp(a, "--from")) {
			c.from = true;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				c.ref = argv[++i];
		} else if (!strcmp(a, "--plain-http")) {
			c.plain_http = true;
		} else if (!strcmp(a, "--host") && i + 1 < argc && c.nhosts < 16) {
			c.hosts[c.nhosts++] = argv[++i];
		} else if (!strcmp(a, "--ca") && i + 1 < argc) {
			c.ca = argv[++i];
		} else if (!strcmp(a, "--credentials") && i + 1 < argc) {
			c.credentials = argv[++i];
		} else if (!strcmp(a, "--data-dir") && i + 1 < argc) {
			c.t.data = argv[++i];
		} else if (!strcmp(a, "--keys") && i + 1 < argc) {
			c.t.keys = argv[++i];
		} else if (!strcmp(a, "--factory-layers") && i + 1 < argc) {
			c.t.factory = argv[++i];
		} else if (a[0] == '-' || c.file) {
			usage(stderr);
			return 2;
		} else {
			c.file = a;
		}
	}
	if (json && !show) {
		fprintf(stderr, "keel update: --json goes with --status\n");
		return 2;
	}
	if (show)
		return status(c.t.data, json);
	struct err e;
	err_clear(&e);
	if (gc) {
		unsigned n;
		uint64_t bytes;
		if (update_gc(c.t.data, &n, &bytes, &e) < 0) {
			fprintf(stderr, "keel update: %s\n", e.msg);
			return 1;
		}
		printf("keel update: removed %u layer(s) (%llu bytes) neither slot references\n", n, (unsigned long long)bytes);
		return 0;
	}
	if (!c.file == !c.from || (!c.from && (c.ca || c.credentials || c.plain_http || c.nhosts))) {
		usage(stderr);
		return 2;
	}
	if (hooks) {
		c.t.step = stop_at;
		const char *h = getenv("KEEL_FETCH_HOLD_AFTER");
		c.hold_after = h ? strtoull(h, NULL, 10) : 0;
	}
	int rc;
	if (c.from) {
		rc = update_from_registry(&c);
		if (rc == UPDATE_UP_TO_DATE)
			return 0;
		if (rc)
			return 1;
	} else {
		struct upd u = {.c = &c, .in = -1, .out = -1};
		rc = install(&u, &e);
		free(u.refs);
		free(u.ver);
		free(u.needed);
		free(u.got);
		if (rc < 0) {
			fprintf(stderr, "keel update: %s\n", e.msg);
			return 1;
		}
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
