/* keel-pack bundle --push: a config.bin and its layers to an OCI registry as a keel update (an OCI
 * image manifest whose config is the signed config and whose layers are the layer images; media
 * types in format/ref.h, docs/update.md "The artifact"), through the distribution HTTP API with
 * libcurl. Blobs the registry has (HEAD answers 200) are not uploaded again. Auth: basic, or the
 * token flow (a Bearer challenge: a token for pull,push from its realm with the credentials). */
#include "pack.h"

#include <bearssl.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../format/bundle.h"
#include "../../format/ref.h"
#include "../../lib/digest.h"
#include "../../lib/file.h"

struct resp {
	long status;
	char location[2048];
	char challenge[1024];
	char body[4096];
	size_t blen;
};

struct push {
	CURL *h;
	const struct push_opts *o;
	struct oci_ref ref;
	char base[REF_HOST_MAX + 32];   /* scheme://host[:port] */
	char auth[8192];                /* Authorization value, or "" */
	int authed;
	struct err *e;
};

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = size * n, k;
	char *dst = NULL;
	size_t cap = 0;
	if (len > 9 && !strncasecmp(p, "Location:", 9))
		dst = r->location, cap = sizeof r->location, k = 9;
	else if (len > 17 && !strncasecmp(p, "WWW-Authenticate:", 17))
		dst = r->challenge, cap = sizeof r->challenge, k = 17;
	if (dst) {
		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		size_t v = len - k;
		while (v && (p[k + v - 1] == '\r' || p[k + v - 1] == '\n'))
			v--;
		if (v < cap) {
			memcpy(dst, p + k, v);
			dst[v] = '\0';
		}
	}
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = size * n, k = len < sizeof r->body - 1 - r->blen ? len : sizeof r->body - 1 - r->blen;
	memcpy(r->body + r->blen, p, k);
	r->blen += k;
	r->body[r->blen] = '\0';
	return len;
}

/* One request. body/len: a request body in memory; fd >= 0: upload `len` bytes of that file. */
static int request(struct push *p, const char *method, const char *url, const char *ctype, const void *body,
		   size_t len, int fd, struct resp *r)
{
	CURL *h = p->h;
	memset(r, 0, sizeof *r);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "keel-pack");
	if (p->o->ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, p->o->ca);
	struct curl_slist *hd = NULL, *to = NULL;
	char line[8300];
	for (size_t i = 0; i < p->o->nhosts; i++) {
		const char *eq = strchr(p->o->hosts[i], '=');
		snprintf(line, sizeof line, "%.*s::%s:", (int)(eq - p->o->hosts[i]), p->o->hosts[i], eq + 1);
		to = curl_slist_append(to, line);
	}
	curl_easy_setopt(h, CURLOPT_CONNECT_TO, to);
	if (p->auth[0]) {
		snprintf(line, sizeof line, "Authorization: %s", p->auth);
		hd = curl_slist_append(hd, line);
	}
	if (ctype) {
		snprintf(line, sizeof line, "Content-Type: %s", ctype);
		hd = curl_slist_append(hd, line);
	}
	hd = curl_slist_append(hd, "Accept: " OCI_MT_MANIFEST ", application/json");
	hd = curl_slist_append(hd, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	FILE *in = NULL;
	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
	} else if (!strcmp(method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
		in = fd >= 0 ? fdopen(dup(fd), "rb") : fmemopen((void *)body, len ? len : 1, "rb");
		if (!in) {
			curl_slist_free_all(hd);
			curl_slist_free_all(to);
			return err_sys(p->e, errno, "%s: upload", url);
		}
		curl_easy_setopt(h, CURLOPT_READDATA, in);
	}
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (in)
		fclose(in);
	curl_slist_free_all(hd);
	curl_slist_free_all(to);
	if (rc != CURLE_OK)
		return err_set(p->e, EIO, "%s %s: %s", method, url, curl_easy_strerror(rc));
	return 0;
}

/* A parameter of a WWW-Authenticate challenge (realm="..."), or "". */
static void param(const char *ch, const char *name, char *out, size_t cap)
{
	out[0] = '\0';
	size_t n = strlen(name);
	for (const char *s = ch; (s = strstr(s, name)); s++) {
		if ((s != ch && s[-1] != ' ' && s[-1] != ',') || s[n] != '=')
			continue;
		s += n + 1;
		int q = *s == '"';
		s += q;
		size_t k = 0;
		while (*s && (q ? *s != '"' : (*s != ',' && *s != ' ')) && k + 1 < cap)
			out[k++] = *s++;
		out[k] = '\0';
		return;
	}
}

/* "Basic " and base64 of user:password */
static void basic(const char *up, char *out, size_t cap)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(up), o = (size_t)snprintf(out, cap, "Basic ");
	for (size_t i = 0; i < n && o + 5 < cap; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)up[i] << 16 | (i + 1 < n ? (uint32_t)(uint8_t)up[i + 1] << 8 : 0) |
			     (i + 2 < n ? (uint8_t)up[i + 2] : 0);
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

/* A 401: basic credentials, or a token for pull,push from the challenge's realm. */
static int authenticate(struct push *p, const char *challenge)
{
	const char *up = p->o->userpass;
	if (p->authed++)
		return err_set(p->e, EACCES, "%s: the credentials were refused", p->ref.host);
	if (!strncasecmp(challenge, "Basic", 5)) {
		if (!up)
			return err_set(p->e, EACCES, "%s: the registry asks for credentials (--credentials FILE)", p->ref.host);
		basic(up, p->auth, sizeof p->auth);
		return 0;
	}
	if (strncasecmp(challenge, "Bearer", 6))
		return err_set(p->e, EACCES, "%s: an authentication scheme keel-pack does not speak: %.40s", p->ref.host, challenge);
	char realm[1024], service[256], url[2048], scope[REF_REPO_MAX + 32];
	param(challenge, "realm", realm, sizeof realm);
	param(challenge, "service", service, sizeof service);
	snprintf(scope, sizeof scope, "repository:%s:pull,push", p->ref.repo);
	char *es = curl_easy_escape(p->h, service, 0), *ec = curl_easy_escape(p->h, scope, 0);
	snprintf(url, sizeof url, "%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?", es, ec);
	curl_free(es);
	curl_free(ec);
	struct resp r;
	p->auth[0] = '\0';
	if (up)
		basic(up, p->auth, sizeof p->auth);
	if (request(p, "GET", url, NULL, NULL, 0, -1, &r) < 0)
		return -1;
	p->auth[0] = '\0';
	if (r.status != 200)
		return err_set(p->e, EACCES, "token from %s: HTTP %ld", realm, r.status);
	/* keel-pack reads JSON with jansson (pack.h), the host's library */
	json_t *root = json_loadb(r.body, r.blen, 0, NULL);
	const char *tok = json_string_value(json_object_get(root, "token"));
	int rc = tok && strlen(tok) < sizeof p->auth - 7 ? 0 : err_set(p->e, EPROTO, "token from %s: no token in the answer", realm);
	if (!rc)
		snprintf(p->auth, sizeof p->auth, "Bearer %s", tok);
	json_decref(root);
	return rc;
}

/* A request with authentication done on the first 401. */
static int call(struct push *p, const char *method, const char *url, const char *ctype, const void *body, size_t len,
		int fd, struct resp *r)
{
	for (;;) {
		if (fd >= 0 && lseek(fd, 0, SEEK_SET) < 0)
			return err_sys(p->e, errno, "seek");
		if (request(p, method, url, ctype, body, len, fd, r) < 0)
			return -1;
		if (r->status != 401)
			return 0;
		if (authenticate(p, r->challenge) < 0)
			return -1;
	}
}

/* One blob: skipped when the registry has it, else a monolithic upload (POST, then PUT ?digest=). */
static int blob(struct push *p, const char *path, const void *mem, uint64_t size, const char *digest, int *uploaded)
{
	char url[4096];
	struct resp r;
	snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", p->base, p->ref.repo, digest);
	if (call(p, "HEAD", url, NULL, NULL, 0, -1, &r) < 0)
		return -1;
	*uploaded = 0;
	if (r.status == 200)
		return 0;
	snprintf(url, sizeof url, "%s/v2/%s/blobs/uploads/", p->base, p->ref.repo);
	if (call(p, "POST", url, NULL, NULL, 0, -1, &r) < 0)
		return -1;
	if (r.status != 202 || !r.location[0])
		return err_set(p->e, EPROTO, "%s: starting an upload: HTTP %ld %.200s", p->ref.host, r.status, r.body);
	if (r.location[0] == '/')
		snprintf(url, sizeof url, "%s%s%sdigest=%s", p->base, r.location, strchr(r.location, '?') ? "&" : "?", digest);
	else
		snprintf(url, sizeof url, "%s%sdigest=%s", r.location, strchr(r.location, '?') ? "&" : "?", digest);
	int fd = -1;
	if (path && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_sys(p->e, errno, "%s", path);
	int rc = call(p, "PUT", url, "application/octet-stream", mem, (size_t)size, fd, &r);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		return -1;
	if (r.status != 201)
		return err_set(p->e, EPROTO, "%s: uploading %.19s: HTTP %ld %.200s", p->ref.host, digest, r.status, r.body);
	*uploaded = 1;
	return 0;
}

int bundle_push(const char *refs, const char *cfgpath, const char *const *stores, size_t nstores,
		const struct push_opts *o, struct err *e)
{
	struct push p = {.o = o, .e = e};
	const char *why = ref_parse(refs, &p.ref);
	if (why)
		return err_set(e, EINVAL, "--push %s: %s", refs, why);
	if (p.ref.digest[0])
		return err_set(e, EINVAL, "--push %s: push to a tag, not a digest", refs);
	if (p.ref.port)
		snprintf(p.base, sizeof p.base, "%s://%s:%u", o->plain_http ? "http" : "https", p.ref.host, p.ref.port);
	else
		snprintf(p.base, sizeof p.base, "%s://%s", o->plain_http ? "http" : "https", p.ref.host);
	uint8_t *cfgbuf = NULL;
	size_t cfglen;
	struct cfg c;
	if (file_read_all(cfgpath, CFG_MAX_FILE_SIZE, &cfgbuf, &cfglen, e) < 0)
		return -1;
	int rc = -1;
	size_t n = 0;
	uint8_t (*refsd)[32] = NULL;
	char *manifest = NULL;
	if (cfg_open(&c, cfgbuf, cfglen, cfgpath, e) < 0)
		goto out;
	n = bundle_config_layers(&c, NULL, 0);
	refsd = malloc((n ? n : 1) * 32);
	manifest = malloc(512 + n * 200);
	p.h = curl_easy_init();
	if (!refsd || !manifest || !p.h) {
		err_set(e, ENOMEM, "out of memory");
		goto out;
	}
	n = bundle_config_layers(&c, refsd, n);
	uint8_t d[32];
	char cdig[72], hex[DIGEST_HEX_LEN + 1];
	br_sha256_context sha;
	br_sha256_init(&sha);
	br_sha256_update(&sha, cfgbuf, cfglen);
	br_sha256_out(&sha, d);
	digest_to_hex(d, hex);
	snprintf(cdig, sizeof cdig, DIGEST_PREFIX "%s", hex);
	int up, uploaded = 0;
	uint64_t bytes = 0;
	if (blob(&p, NULL, cfgbuf, cfglen, cdig, &up) < 0)
		goto out;
	uploaded += up;
	bytes += up ? cfglen : 0;
	size_t m = (size_t)snprintf(manifest, 512, "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST "\",\"artifactType\":\""
				    KEEL_MT_ARTIFACT "\",\"config\":{\"mediaType\":\"" KEEL_MT_CONFIG "\",\"digest\":\"%s\","
				    "\"size\":%zu},\"layers\":[", cdig, cfglen);
	for (size_t i = 0; i < n; i++) {
		char path[LAYER_PATH_MAX], ldig[72];
		size_t s = 0;
		while (s < nstores && bundle_store_find(stores[s], refsd[i], path, sizeof path) < 0)
			s++;
		digest_to_hex(refsd[i], hex);
		if (s == nstores) {
			err_set(e, ENOENT, "%s: layer sha256:%s: not in %s%s", cfgpath, hex, stores[0],
				nstores > 1 ? " or the other --layers stores" : "");
			goto out;
		}
		uint64_t size;
		if (hash_file(path, d, &size, e) < 0)
			goto out;
		if (memcmp(d, refsd[i], 32)) {
			err_set(e, EBADMSG, "%s: digest mismatch: the store names it sha256:%s, its bytes hash otherwise", path, hex);
			goto out;
		}
		snprintf(ldig, sizeof ldig, DIGEST_PREFIX "%s", hex);
		if (blob(&p, path, NULL, size, ldig, &up) < 0)
			goto out;
		uploaded += up;
		bytes += up ? size : 0;
		m += (size_t)sprintf(manifest + m, "%s{\"mediaType\":\"" KEEL_MT_LAYER "\",\"digest\":\"%s\",\"size\":%llu}",
				     i ? "," : "", ldig, (unsigned long long)size);
	}
	m += (size_t)sprintf(manifest + m, "],\"annotations\":{\"io.keel.serial\":\"%llu\"}}",
			     (unsigned long long)cfg_serial(&c));
	char url[4096];
	struct resp r;
	snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", p.base, p.ref.repo, p.ref.tag);
	if (call(&p, "PUT", url, OCI_MT_MANIFEST, manifest, m, -1, &r) < 0)
		goto out;
	if (r.status != 201) {
		err_set(e, EPROTO, "%s: putting the manifest: HTTP %ld %.300s", p.ref.host, r.status, r.body);
		goto out;
	}
	br_sha256_init(&sha);
	br_sha256_update(&sha, manifest, m);
	br_sha256_out(&sha, d);
	digest_to_hex(d, hex);
	printf("keel-pack: pushed %s/%s:%s (manifest sha256:%s): config and %zu layer(s); %d blob(s) uploaded "
	       "(%llu bytes), %zu already in the registry\n",
	       p.ref.host, p.ref.repo, p.ref.tag, hex, n, uploaded, (unsigned long long)bytes, n + 1 - (size_t)uploaded);
	rc = 0;
out:
	if (p.h)
		curl_easy_cleanup(p.h);
	free(manifest);
	free(refsd);
	free(cfgbuf);
	return rc;
}
