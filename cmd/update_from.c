/* `keel update --from [REF]`: the trusted half of a registry update (docs/update.md, "Fleet
 * updates"). keel-fetch (update/fetch.c: sandboxed, no capabilities) talks to the registry and
 * writes blobs into <data>/staging; this side asks it only for the config first, checks that
 * config (digest, signature, keel version, serial) itself, takes the layer digests from it, asks
 * for the layers the stores lack, and once the fetcher is gone moves each blob out of its reach
 * and hashes it again from the disk before update/install.c switches slots as for a bundle. The
 * manifest is never parsed here: its answers only say what to ask for and how much room to want. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>
#include <dirent.h>

#include "../format/bundle.h"
#include "../format/ref.h"
#include "../lib/digest.h"
#include "../lib/file.h"
#include "../lib/version.h"
#include "../update/choice.h"
#include "../update/fetch.h"
#include "../update/outcome.h"
#include "../update/store.h"
#include "update.h"

#define STAGING "staging"               /* in the data dir: the fetcher's one writable directory */
#define FETCH_ROOT ".fetch-root"        /* in the data dir: where its sandbox root is mounted */
#define CREDENTIALS_MAX 511

struct blob {
	uint8_t d[32];
	uint64_t size;
};

struct from {
	struct update_cmd *c;
	struct update_outcome o;
	struct fetch_opts fo;
	struct fetch_proc p;
	char ref[REF_MAX + 1];
	char staging[PATH_MAX], root[PATH_MAX], bin[PATH_MAX];
	char ca[PATH_MAX], creds[PATH_MAX];
	int stfd;                       /* the staging dir */
	struct blob config;
	struct blob *layers;            /* the manifest's list: sizes for the space check */
	size_t nlayers;
	uint64_t received, resumed;
};

/* The config whose [update] says where updates come from, and what runs now: PID 1's record of
 * the running config, else the active slot's, else the factory config. */
static const char *current_config(const struct update_cmd *c, char *buf, size_t n)
{
	struct update_choice ch;
	if (!strcmp(c->t.data, KEEL_DATA_DIR) && update_choice_read(&ch, &(struct err){0}) > 0 && ch.running.path[0]) {
		snprintf(buf, n, "%s", ch.running.path);
		return buf;
	}
	snprintf(buf, n, "%s/active/config.bin", c->t.data);
	if (access(buf, R_OK) == 0)
		return buf;
	snprintf(buf, n, "%s", KEEL_FACTORY_CONFIG);
	return buf;
}

/* SHA-256 of a whole file, "" when it does not read. */
static void file_digest(const char *path, char out[72])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t buf[16384], d[DIGEST_LEN];
	uint64_t n;
	struct err e;
	out[0] = '\0';
	if (fd < 0)
		return;
	if (digest_fd(fd, buf, sizeof buf, d, &n, &e) == 0) {
		memcpy(out, DIGEST_PREFIX, 7);
		digest_to_hex(d, out + 7);
	}
	close(fd);
}

/* Where to pull from and how: the command line over the current config's [update]. */
static int settings(struct from *f, struct err *e)
{
	struct update_cmd *c = f->c;
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	struct cfg cfg;
	const struct cfg_update *u = NULL;
	current_config(c, path, sizeof path);
	if (cfg_load(path, path, NULL, &buf, &cfg, e) == 0)
		u = cfg.update;
	const char *src = c->ref ? c->ref : u && u->source ? cfg_str(&cfg, u->source) : NULL;
	int rc = -1;
	if (!src) {
		err_set(e, EINVAL, "--from: no reference given and %s has no [update] source", path);
		goto out;
	}
	snprintf(f->ref, sizeof f->ref, "%s", src);
	struct oci_ref r;
	const char *why = ref_parse(f->ref, &r);
	if (why) {
		err_set(e, EINVAL, "--from %s: %s", f->ref, why);
		goto out;
	}
	f->fo.plain_http = c->plain_http || (u && (u->flags & CFG_UPD_PLAIN_HTTP));
	char *ca = f->ca, *creds = f->creds;
	snprintf(ca, sizeof f->ca, "%s", c->ca ? c->ca : u && u->ca ? cfg_str(&cfg, u->ca) : "");
	snprintf(creds, sizeof f->creds, "%s", c->credentials ? c->credentials : u && u->credentials ? cfg_str(&cfg, u->credentials) : "");
	f->fo.ca = ca[0] ? ca : NULL;
	if (!f->fo.ca && !f->fo.plain_http) {
		err_set(e, EINVAL, "--from %s: https needs the CAs to check the registry against (--ca, or [update] ca)", f->ref);
		goto out;
	}
	if (f->fo.ca && access(f->fo.ca, R_OK) < 0) {
		err_sys(e, errno, "%s", f->fo.ca);
		goto out;
	}
	for (uint32_t i = 0; u && i < u->hosts.count && f->fo.nhosts < FETCH_HOSTS_MAX; i++) {
		const struct cfg_update_host *h = cfg_update_host(&cfg, u->hosts, i);
		uint32_t a = h->address;
		snprintf(f->fo.hosts[f->fo.nhosts++], sizeof f->fo.hosts[0], "%s=%u.%u.%u.%u", cfg_str(&cfg, h->name), a >> 24,
			 (a >> 16) & 255, (a >> 8) & 255, a & 255);
	}
	for (unsigned i = 0; i < c->nhosts && f->fo.nhosts < FETCH_HOSTS_MAX; i++) {
		const char *eq = strchr(c->hosts[i], '=');
		struct in_addr in;
		if (!eq || eq == c->hosts[i] || inet_pton(AF_INET, eq + 1, &in) != 1 || strlen(c->hosts[i]) >= sizeof f->fo.hosts[0]) {
			err_set(e, EINVAL, "--host %s: expected NAME=IPV4", c->hosts[i]);
			goto out;
		}
		snprintf(f->fo.hosts[f->fo.nhosts++], sizeof f->fo.hosts[0], "%s", c->hosts[i]);
	}
	f->fo.ref = f->ref;
	/* credentials: read here, as root, and handed over the pipe (the sandbox cannot read them) */
	c->credentials = creds[0] ? creds : NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* <data>/staging owned by the fetcher's uid (0700), holding only blobs and partial blobs;
 * <data>/.fetch-root an empty directory. */
static int prepare(struct from *f, struct err *e)
{
	const char *data = f->c->t.data;
	snprintf(f->staging, sizeof f->staging, "%s/" STAGING, data);
	snprintf(f->root, sizeof f->root, "%s/" FETCH_ROOT, data);
	struct stat st;
	if (lstat(f->staging, &st) == 0 && !S_ISDIR(st.st_mode) && unlink(f->staging) < 0)
		return err_sys(e, errno, "%s: remove", f->staging);
	if ((mkdir(f->staging, 0700) < 0 && errno != EEXIST) || (mkdir(f->root, 0700) < 0 && errno != EEXIST))
		return err_sys(e, errno, "%s: mkdir", f->staging);
	f->stfd = open(f->staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (f->stfd < 0 || fchown(f->stfd, KEEL_FETCH_UID, KEEL_FETCH_UID) < 0 || fchmod(f->stfd, 0700) < 0)
		return err_sys(e, errno, "%s", f->staging);
	/* what a fetcher left that is neither a blob nor a partial one goes */
	int fd = dup(f->stfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d)
		return err_sys(e, errno, "%s: read", f->staging);
	struct dirent *de;
	while ((de = readdir(d))) {
		uint8_t x[32];
		char hex[DIGEST_HEX_LEN + 1];
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		size_t n = strlen(de->d_name);
		memcpy(hex, de->d_name, n < DIGEST_HEX_LEN ? n : DIGEST_HEX_LEN);
		hex[n < DIGEST_HEX_LEN ? n : DIGEST_HEX_LEN] = '\0';
		bool ok = de->d_type == DT_REG && digest_from_hex(hex, x) == 0 &&
			  (n == DIGEST_HEX_LEN || (n == DIGEST_HEX_LEN + 5 && !strcmp(de->d_name + DIGEST_HEX_LEN, ".part")));
		if (!ok && unlinkat(f->stfd, de->d_name, 0) < 0)
			unlinkat(f->stfd, de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
	/* the fetcher beside us (keel-cmd's directory) */
	ssize_t n = readlink("/proc/self/exe", f->bin, sizeof f->bin - 16);
	if (n < 0)
		return err_sys(e, errno, "/proc/self/exe");
	f->bin[n] = '\0';
	char *slash = strrchr(f->bin, '/');
	strcpy(slash ? slash + 1 : f->bin, "keel-fetch");
	if (access(f->bin, X_OK) < 0)
		return err_sys(e, errno, "%s", f->bin);
	f->fo.binary = f->bin;
	f->fo.staging = f->staging;
	f->fo.root = f->root;
	int64_t saved = update_clock_saved(data);
	f->fo.not_before = saved > keel_build_time ? saved : keel_build_time;
	f->fo.hold_after = f->c->hold_after;
	return 0;
}

/* After an install: nothing the fetcher wrote is needed any more (a failed pull keeps its
 * partial blobs for the next one to resume). */
static void clear_staging(struct from *f)
{
	int fd = dup(f->stfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(f->stfd, de->d_name, 0);
	closedir(d);
}

/* "KIND sha256:HEX SIZE" */
static int parse_blob(const char *line, const char *kind, struct blob *b)
{
	size_t k = strlen(kind);
	char dig[80];
	unsigned long long size;
	if (strncmp(line, kind, k) || line[k] != ' ' || sscanf(line + k + 1, "%79s %llu", dig, &size) != 2 ||
	    digest_parse(dig, b->d) < 0)
		return -1;
	b->size = size;
	return 0;
}

/* An answer that is an error: its message, as the fetcher said it (control bytes already '?'). */
static int answer_error(const char *line, struct err *e)
{
	if (!strncmp(line, "error ", 6))
		return err_set(e, EPROTO, "%s", line + 6);
	return err_set(e, EPROTO, "keel-fetch: an answer keel update did not expect: '%.100s'", line);
}

static int resolve(struct from *f, struct err *e)
{
	char line[FETCH_LINE_MAX];
	if (fetch_send(&f->p, "resolve", e) < 0 || fetch_recv(&f->p, line, sizeof line, e) < 0)
		return -1;
	unsigned long long n;
	_Static_assert(sizeof f->o.manifest == 72, "%71s below");
	if (strncmp(line, "manifest ", 9) || sscanf(line + 9, "%71s %llu", f->o.manifest, &n) != 2)
		return answer_error(line, e);
	f->received += n;
	if (fetch_recv(&f->p, line, sizeof line, e) < 0)
		return -1;
	if (parse_blob(line, "config", &f->config) < 0)
		return answer_error(line, e);
	for (;;) {
		if (fetch_recv(&f->p, line, sizeof line, e) < 0)
			return -1;
		if (!strcmp(line, "end"))
			return 0;
		struct blob b;
		if (parse_blob(line, "layer", &b) < 0 || f->nlayers == BUNDLE_MAX_ENTRIES)
			return answer_error(line, e);
		void *p = realloc(f->layers, (f->nlayers + 1) * sizeof *f->layers);
		if (!p)
			return err_sys(e, ENOMEM, "keel update");
		f->layers = p;
		f->layers[f->nlayers++] = b;
	}
}

static int get(struct from *f, const uint8_t d[32], uint64_t size, struct err *e)
{
	char line[FETCH_LINE_MAX], hex[DIGEST_HEX_LEN + 1], dig[80];
	digest_to_hex(d, hex);
	snprintf(line, sizeof line, "get sha256:%s %llu", hex, (unsigned long long)size);
	if (fetch_send(&f->p, line, e) < 0 || fetch_recv(&f->p, line, sizeof line, e) < 0)
		return -1;
	unsigned long long got, from, received;
	uint8_t x[32];
	if (strncmp(line, "ok ", 3) || sscanf(line + 3, "%79s %llu %llu %llu", dig, &got, &from, &received) != 4 ||
	    digest_parse(dig, x) < 0 || memcmp(x, d, 32))
		return answer_error(line, e);
	f->received += received;
	f->resumed += from;
	return 0;
}

/* A staged blob, taken out of the fetcher's reach: renamed into the data dir (root's) as `to`,
 * owned by root, mode 0600, one link; then its bytes are the trusted side's to check. */
static int take(struct from *f, const uint8_t d[32], const char *to, struct err *e)
{
	char hex[DIGEST_HEX_LEN + 1];
	digest_to_hex(d, hex);
	if (renameat(f->stfd, hex, f->c->t.sfd, to) < 0)
		return err_sys(e, errno, "%s/%s: move to %s/%s", f->staging, hex, f->c->t.data, to);
	int fd = openat(f->c->t.sfd, to, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	int rc = 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		rc = err_sys(e, errno, "%s/%s", f->c->t.data, to);
	else if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
		rc = err_set(e, EPERM, "%s/%s: the fetcher left something other than a file with one link", f->c->t.data, to);
	else if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0600) < 0)
		rc = err_sys(e, errno, "%s/%s: chown", f->c->t.data, to);
	if (fd >= 0)
		close(fd);
	if (rc)
		unlinkat(f->c->t.sfd, to, 0);
	return rc;
}

/* The config blob, read whole into an aligned buffer, its digest checked against its name. */
static int read_config(struct from *f, uint8_t **buf, size_t *len, struct err *e)
{
	static const char tmp[] = UPDATE_TMP_PREFIX "config.bin";
	if (take(f, f->config.d, tmp, e) < 0)
		return -1;
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%s", f->c->t.data, tmp);
	int rc = file_read_all(path, CFG_MAX_FILE_SIZE, buf, len, e);
	unlinkat(f->c->t.sfd, tmp, 0);
	if (rc < 0)
		return -1;
	uint8_t d[DIGEST_LEN];
	br_sha256_context sha;
	br_sha256_init(&sha);
	br_sha256_update(&sha, *buf, *len);
	br_sha256_out(&sha, d);
	if (memcmp(d, f->config.d, DIGEST_LEN)) {
		char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
		digest_to_hex(f->config.d, want);
		digest_to_hex(d, got);
		return err_set(e, EBADMSG, "%s: config blob sha256:%.12s: its bytes hash to sha256:%.12s", f->ref, want, got);
	}
	return 0;
}

static uint64_t manifest_size(const struct from *f, const uint8_t d[32])
{
	for (size_t i = 0; i < f->nlayers; i++)
		if (!memcmp(f->layers[i].d, d, 32))
			return f->layers[i].size;
	return 0;
}

static int pull(struct from *f, char slot[8], size_t *nnew, unsigned *present, struct err *e)
{
	struct update_cmd *c = f->c;
	uint8_t *cfgbuf = NULL;
	size_t cfglen = 0;
	uint8_t (*refs)[32] = NULL;
	int rc = -1;
	if (fetch_start(&f->p, &f->fo, e) < 0)
		return -1;
	if (c->credentials) {
		char up[CREDENTIALS_MAX + 8] = "auth ";
		ssize_t n = file_read_small(AT_FDCWD, c->credentials, 0, up + 5, sizeof up - 5);
		if (n <= 0) {
			err_sys(e, n < 0 ? errno : EINVAL, "%s: expected user:password", c->credentials);
			goto out;
		}
		up[5 + strcspn(up + 5, "\r\n")] = '\0';
		if (!strchr(up + 5, ':')) {
			err_set(e, EINVAL, "%s: expected user:password", c->credentials);
			goto out;
		}
		int s = fetch_send(&f->p, up, e);
		explicit_bzero(up, sizeof up);
		if (s < 0)
			goto out;
	}
	if (resolve(f, e) < 0)
		goto out;
	/* nothing to do when the registry's config is the one that runs or is already active */
	char cur[PATH_MAX], have[72], act[PATH_MAX + 32], hex[DIGEST_HEX_LEN + 1];
	digest_to_hex(f->config.d, hex);
	snprintf(f->o.config, sizeof f->o.config, DIGEST_PREFIX "%s", hex);
	file_digest(current_config(c, cur, sizeof cur), have);
	bool same = !strcmp(have, f->o.config);
	snprintf(act, sizeof act, "%s/active/config.bin", c->t.data);
	file_digest(act, have);
	if (same || !strcmp(have, f->o.config)) {
		rc = UPDATE_UP_TO_DATE;
		goto out;
	}
	uint64_t need = f->config.size;
	for (size_t i = 0; i < f->nlayers; i++)
		if (!update_layer_installed(&c->t, f->layers[i].d, false))
			need += f->layers[i].size;
	if (update_space_need(c->t.data, f->ref, need, e) < 0)
		goto out;
	if (f->config.size > CFG_MAX_FILE_SIZE) {
		err_set(e, E2BIG, "%s: a config of %llu bytes, more than %u", f->ref, (unsigned long long)f->config.size,
			CFG_MAX_FILE_SIZE);
		goto out;
	}
	/* the config first: what it says decides everything else */
	if (get(f, f->config.d, f->config.size, e) < 0 || read_config(f, &cfgbuf, &cfglen, e) < 0)
		goto out;
	struct cfg cfg;
	char name[REF_MAX + 16];
	snprintf(name, sizeof name, "%s: config", f->ref);
	if (cfg_open(&cfg, cfgbuf, cfglen, name, e) < 0 || update_check_config(&c->t, &cfg, name, e) < 0)
		goto out;
	size_t n = bundle_config_layers(&cfg, NULL, 0);
	refs = malloc((n ? n : 1) * sizeof *refs);
	if (!refs) {
		err_sys(e, ENOMEM, "keel update");
		goto out;
	}
	n = bundle_config_layers(&cfg, refs, n);
	size_t want = 0;
	for (size_t i = 0; i < n; i++) {
		if (update_layer_installed(&c->t, refs[i], true)) {
			(*present)++;
			continue;
		}
		if (get(f, refs[i], manifest_size(f, refs[i]), e) < 0)
			goto out;
		memcpy(refs[want++], refs[i], 32);
	}
	/* the fetcher is gone before its files are taken: nothing of it can touch them any more */
	int st = fetch_stop(&f->p);
	if (st) {
		err_set(e, EIO, "keel-fetch: exited with status %d", st);
		goto out;
	}
	for (size_t i = 0; i < want; i++) {
		char tmp[96];
		update_temp_name(refs[i], tmp);
		if (take(f, refs[i], tmp, e) < 0 || update_stage_add(&c->t, refs[i], cfg_verity_of(&cfg, refs[i]), e) < 0)
			goto out;
	}
	if (c->t.step)
		c->t.step("staged");
	/* every byte of every layer, from the disk, against the digest the signed config names */
	if (update_readback(&c->t, e) < 0)
		goto out;
	if (update_commit(&c->t, cfgbuf, cfglen, slot, e) < 0)
		goto out;
	*nnew = want;
	clear_staging(f);
	rc = 0;
out:
	if (f->p.pid > 0)
		fetch_stop(&f->p);
	free(refs);
	free(cfgbuf);
	return rc;
}

int update_from_registry(struct update_cmd *c)
{
	struct from f = {.c = c, .stfd = -1, .p = {.pid = -1, .pidfd = -1}};
	struct err e;
	err_clear(&e);
	f.o.time = time(NULL);
	char slot[8] = "";
	size_t nnew = 0;
	unsigned present = 0;
	int rc = settings(&f, &e);
	snprintf(f.o.source, sizeof f.o.source, "%s", f.ref[0] ? f.ref : c->ref ? c->ref : "");
	if (!rc && update_begin(&c->t, &e) < 0)
		rc = -1;
	if (!rc && prepare(&f, &e) < 0)
		rc = -1;
	if (!rc)
		rc = pull(&f, slot, &nnew, &present, &e);
	f.o.bytes = f.received;
	f.o.resumed = f.resumed;
	snprintf(f.o.result, sizeof f.o.result, "%s", rc == UPDATE_UP_TO_DATE ? "up-to-date" : rc ? "failed" : "installed");
	if (rc && rc != UPDATE_UP_TO_DATE)
		snprintf(f.o.error, sizeof f.o.error, "%s", e.msg);
	if (c->t.sfd >= 0) /* with the lock: another run's record stays */
		update_outcome_write(c->t.data, &f.o, &(struct err){0});
	if (rc == UPDATE_UP_TO_DATE)
		printf("keel update: %s: up to date (manifest %.19s, config %.19s runs or is active)\n", f.ref, f.o.manifest,
		       f.o.config);
	else if (rc)
		fprintf(stderr, "keel update: %s\n", e.msg);
	else
		printf("keel update: %s (manifest %.19s): config active in %s on trial; %zu new layer(s), %u already present; "
		       "%llu bytes received, %llu resumed\n",
		       f.ref, f.o.manifest, slot, nnew, present, (unsigned long long)f.received, (unsigned long long)f.resumed);
	update_end(&c->t, rc == 0);
	if (f.stfd >= 0)
		close(f.stfd);
	free(f.layers);
	return rc == UPDATE_UP_TO_DATE ? UPDATE_UP_TO_DATE : rc ? 1 : 0;
}
