/* keel-fetch: the untrusted half of `keel update --from` (docs/update.md, "Fleet updates"). It
 * talks to an OCI registry (TLS, HTTP, JSON: everything that parses what the network sends) and
 * writes blobs into one staging directory, nothing else. keel-cmd starts it in a sandbox (own
 * mount, pid, ipc and uts namespaces, a tmpfs root with this binary, the CA file and the staging
 * directory, a non-root uid, no capabilities, no_new_privs, a seccomp allowlist) and talks to it
 * over stdin/stdout, one line each way (the protocol: update/fetch.h). keel-cmd trusts nothing it
 * says: it verifies every staged byte against digests it derived itself. */
#include <arpa/inet.h>
#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/digest.h"
#include "../lib/version.h"
#include "manifest.h"
#include "registry.h"

#define LINE_MAX_ 1024
#define SYNC_EVERY (512u << 10) /* bytes between two fsyncs of a partial blob (what a power cut loses) */
#define RETRIES 3               /* a transfer that breaks mid-blob resumes this many times */

struct fetch {
	struct reg reg;
	struct tls_trust trust;
	const char *staging;
	uint64_t hold_after;        /* --hold-after N (tests): stop once N blob bytes were written */
	uint64_t written;           /* blob bytes written by this run */
	bool held;
	/* the blob being written */
	int fd;
	br_sha256_context sha;
	uint64_t at, since_sync;
	char name[80];
	struct manifest man;        /* large: the struct is malloc'd */
	struct json_tok tok[MANIFEST_TOKENS];
	char text[MANIFEST_MAX];
};

static void usage(FILE *f)
{
	fprintf(f, "usage: keel-fetch [--plain-http] [--ca FILE] [--host NAME=IPV4]... [--staging DIR]\n"
		   "                  [--not-before SECONDS] [--hold-after BYTES] REFERENCE\n"
		   "\n"
		   "The registry half of `keel update --from`: not meant to be run by hand. keel update starts it\n"
		   "in a sandbox and drives it over stdin/stdout (update/fetch.h; docs/update.md).\n");
}

/* One line to the trusted side; control bytes in a message become '?'. */
static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...)
{
	char line[LINE_MAX_];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	fprintf(stdout, "%s\n", line);
	fflush(stdout);
}

static int do_resolve(struct fetch *f)
{
	struct err e;
	char digest[72];
	size_t len;
	err_clear(&e);
	if (reg_manifest(&f->reg, f->text, sizeof f->text, &len, digest, &e) < 0 ||
	    manifest_parse(f->text, len, f->tok, MANIFEST_TOKENS, &f->man, &e) < 0) {
		reply("error %s", e.msg);
		return -1;
	}
	reply("manifest %s %zu", digest, len);
	reply("config %s %llu", f->man.config.digest, (unsigned long long)f->man.config.size);
	for (unsigned i = 0; i < f->man.nlayers; i++)
		reply("layer %s %llu", f->man.layers[i].digest, (unsigned long long)f->man.layers[i].size);
	reply("end");
	return 0;
}

/* Hash what a partial file holds (a resume continues the digest from there). */
static int hash_part(struct fetch *f, struct err *e)
{
	uint8_t *buf = f->reg.scratch;
	f->at = 0;
	br_sha256_init(&f->sha);
	for (;;) {
		ssize_t k = pread(f->fd, buf, sizeof f->reg.scratch, (off_t)f->at);
		if (k < 0)
			return err_sys(e, errno, "staging/%s: read", f->name);
		if (!k)
			return 0;
		br_sha256_update(&f->sha, buf, (size_t)k);
		f->at += (uint64_t)k;
	}
}

static void hold(struct fetch *f, const char *digest)
{
	fsync(f->fd);
	f->held = true;
	fprintf(stderr, "keel-fetch: holding after %llu bytes of %.19s (KEEL_FETCH_HOLD_AFTER): SIGUSR1 continues\n",
		(unsigned long long)f->written, digest);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	int sig;
	while (sigwait(&s, &sig) != 0)
		;
	fprintf(stderr, "keel-fetch: continuing\n");
}

struct sink_ctx {
	struct fetch *f;
	const char *digest;
};

static int sink(void *ctx, const uint8_t *p, size_t n, struct err *e)
{
	struct sink_ctx *s = ctx;
	struct fetch *f = s->f;
	while (n) {
		size_t k = n;
		/* the test hook: stop exactly at N bytes */
		if (f->hold_after && !f->held && f->written < f->hold_after && f->written + k > f->hold_after)
			k = (size_t)(f->hold_after - f->written);
		ssize_t w = write(f->fd, p, k);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return err_sys(e, w < 0 ? errno : EIO, "staging/%s: write", f->name);
		br_sha256_update(&f->sha, p, (size_t)w);
		p += w;
		n -= (size_t)w;
		f->at += (uint64_t)w;
		f->written += (uint64_t)w;
		f->since_sync += (uint64_t)w;
		if (f->since_sync >= SYNC_EVERY) {
			if (fdatasync(f->fd) < 0)
				return err_sys(e, errno, "staging/%s: fsync", f->name);
			f->since_sync = 0;
		}
		if (f->hold_after && !f->held && f->written >= f->hold_after)
			hold(f, s->digest);
	}
	return 0;
}

/* `get DIGEST SIZE`: the blob into staging/<hex> (via <hex>.part), resumed from what a partial file
 * holds; its digest checked here too (the trusted side checks again). */
static int do_get(struct fetch *f, const char *digest, uint64_t size)
{
	struct err e;
	uint8_t want[DIGEST_LEN], got[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1], done[80];
	err_clear(&e);
	if (digest_parse(digest, want) < 0) {
		reply("error get: expected sha256:HEX, got '%.80s'", digest);
		return -1;
	}
	digest_to_hex(want, hex);
	snprintf(done, sizeof done, "%s", hex);
	snprintf(f->name, sizeof f->name, "%s.part", hex);
	/* already complete (a run cut after the fetch, before the install took it) */
	int fd = open(done, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		uint64_t n;
		int ok = digest_fd(fd, f->reg.scratch, sizeof f->reg.scratch, got, &n, &e) == 0 && !memcmp(got, want, 32);
		close(fd);
		if (ok) {
			reply("ok %s %llu 0 %llu", digest, (unsigned long long)n, (unsigned long long)n);
			return 0;
		}
		unlink(done);
	}
	f->fd = open(f->name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f->fd < 0) {
		reply("error staging/%s: open: %s", f->name, strerror(errno));
		return -1;
	}
	uint64_t resumed = 0, received = 0;
	int rc = hash_part(f, &e);
	if (!rc && size && f->at > size) { /* longer than the blob: start over */
		rc = ftruncate(f->fd, 0) < 0 ? err_sys(&e, errno, "staging/%s: truncate", f->name) : 0;
		br_sha256_init(&f->sha);
		f->at = 0;
	}
	resumed = f->at;
	for (int attempt = 0; !rc && (!size || f->at < size); attempt++) {
		uint64_t from, before = f->reg.received;
		struct sink_ctx sc = {f, digest};
		if (lseek(f->fd, (off_t)f->at, SEEK_SET) < 0) {
			rc = err_sys(&e, errno, "staging/%s: seek", f->name);
			break;
		}
		rc = reg_blob(&f->reg, digest, f->at, size, &from, sink, &sc, &e);
		received += f->reg.received - before;
		if (!rc)
			break;
		/* a transfer that broke: once more from where the file is, a few times */
		if (attempt + 1 == RETRIES || e.code == EPROTO || e.code == EACCES || e.code == E2BIG)
			break;
		fprintf(stderr, "keel-fetch: %s: resuming at byte %llu\n", e.msg, (unsigned long long)f->at);
		struct timespec ts = {1, 0};
		nanosleep(&ts, NULL);
		rc = 0;
	}
	if (!rc) {
		br_sha256_out(&f->sha, got);
		if (memcmp(got, want, 32)) {
			char gh[DIGEST_HEX_LEN + 1];
			digest_to_hex(got, gh);
			/* bytes that went bad (a cut mid-write, a registry serving other bytes): the next run
			 * starts over */
			unlink(f->name);
			rc = err_set(&e, EPROTO, "blob %s: the bytes received hash to sha256:%s", digest, gh);
		}
	}
	if (!rc && (fsync(f->fd) < 0 || rename(f->name, done) < 0))
		rc = err_sys(&e, errno, "staging/%s: fsync and rename", f->name);
	close(f->fd);
	f->fd = -1;
	if (rc) {
		reply("error %s", e.msg);
		return -1;
	}
	int dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	reply("ok %s %llu %llu %llu", digest, (unsigned long long)f->at, (unsigned long long)resumed,
	      (unsigned long long)received);
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		return -1;
	*v = n;
	return 0;
}

int main(int argc, char **argv)
{
	struct fetch *f = calloc(1, sizeof *f);
	if (!f) {
		fprintf(stderr, "keel-fetch: out of memory\n");
		return 1;
	}
	const char *ca = NULL, *refs = NULL;
	uint64_t not_before = 0;
	f->staging = ".";
	f->fd = -1;
	struct reg *r = &f->reg;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--plain-http")) {
			r->plain = true;
		} else if (!strcmp(a, "--ca") && i + 1 < argc) {
			ca = argv[++i];
		} else if (!strcmp(a, "--staging") && i + 1 < argc) {
			f->staging = argv[++i];
		} else if (!strcmp(a, "--not-before") && i + 1 < argc) {
			if (parse_u64(argv[++i], &not_before) < 0)
				goto bad;
		} else if (!strcmp(a, "--hold-after") && i + 1 < argc) {
			if (parse_u64(argv[++i], &f->hold_after) < 0)
				goto bad;
		} else if (!strcmp(a, "--host") && i + 1 < argc) {
			const char *h = argv[++i], *eq = strchr(h, '=');
			struct in_addr in;
			if (!eq || (size_t)(eq - h) > REF_HOST_MAX || r->nhosts == REG_HOSTS_MAX ||
			    inet_pton(AF_INET, eq + 1, &in) != 1)
				goto bad;
			memcpy(r->hosts[r->nhosts].name, h, (size_t)(eq - h));
			r->hosts[r->nhosts++].addr = ntohl(in.s_addr);
		} else if (a[0] == '-' || refs) {
			goto bad;
		} else {
			refs = a;
		}
	}
	if (!refs) {
	bad:
		usage(stderr);
		return 2;
	}
	const char *why = ref_parse(refs, &r->ref);
	if (why) {
		reply("error %s: %s", refs, why);
		return 1;
	}
	struct err e;
	err_clear(&e);
	if (!r->plain) {
		if (!ca) {
			reply("error %s: https needs a CA file", refs);
			return 1;
		}
		if (tls_trust_load(&f->trust, ca, &e) < 0) {
			reply("error %s", e.msg);
			return 1;
		}
		r->trust = &f->trust;
	}
	if (chdir(f->staging) < 0) {
		reply("error %s: %s", f->staging, strerror(errno));
		return 1;
	}
	/* The clock certificates are checked at: never before this build or the time keel update saw
	 * last (a device without a real-time clock starts in 1970). */
	time_t now = time(NULL);
	if (now < (time_t)keel_build_time)
		now = (time_t)keel_build_time;
	if (now < (time_t)not_before)
		now = (time_t)not_before;
	r->now = now;
	/* SIGUSR1 ends a test hold; blocked, so it waits for sigwait (and a pid namespace's first
	 * process, which this is, gets it from outside only when it is not left at its default) */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	reg_init(r);
	char line[LINE_MAX_];
	int rc = 0;
	while (fgets(line, sizeof line, stdin)) {
		size_t n = strlen(line);
		if (!n || line[n - 1] != '\n') {
			reply("error a command line over %d bytes", LINE_MAX_ - 1);
			rc = 1;
			break;
		}
		line[--n] = '\0';
		char *arg = strchr(line, ' ');
		if (arg)
			*arg++ = '\0';
		if (!strcmp(line, "auth") && arg) {
			snprintf(r->userpass, sizeof r->userpass, "%s", arg);
			explicit_bzero(line, sizeof line);
		} else if (!strcmp(line, "resolve")) {
			do_resolve(f);
		} else if (!strcmp(line, "get") && arg) {
			char *sz = strchr(arg, ' ');
			uint64_t size = 0;
			if (sz)
				*sz++ = '\0';
			if (sz && parse_u64(sz, &size) < 0)
				reply("error get: a size that is not a number");
			else
				do_get(f, arg, size);
		} else if (!strcmp(line, "quit")) {
			break;
		} else {
			reply("error unknown command '%.40s'", line);
		}
	}
	reg_close(r);
	return rc;
}
