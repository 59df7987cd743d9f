/* The fetcher's OCI Distribution client (registry.h). */
#include "registry.h"

#include <arpa/inet.h>
#include <bearssl.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../lib/digest.h"
#include "../lib/json.h"
#include "../lib/version.h"
#include "manifest.h"

#define ERROR_BODY_MAX 4096     /* an error response's JSON, for its code */
#define TOKEN_BODY_MAX 16384

void reg_init(struct reg *r)
{
	r->conn.fd = r->other.fd = -1;
	r->conn.t = &r->tls_conn;
	r->other.t = &r->tls_other;
	r->auth[0] = '\0';
	r->received = 0;
	if (!r->timeout_ms)
		r->timeout_ms = REG_TIMEOUT_MS;
}

void reg_close(struct reg *r)
{
	http_close(&r->conn);
	http_close(&r->other);
}

static int resolve(struct reg *r, const char *host, struct sockaddr_in *sa, struct err *e)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	for (unsigned i = 0; i < r->nhosts; i++)
		if (!strcasecmp(r->hosts[i].name, host)) {
			sa->sin_addr.s_addr = htonl(r->hosts[i].addr);
			return 0;
		}
	if (inet_pton(AF_INET, host, &sa->sin_addr) == 1)
		return 0;
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc || !res)
		return err_set(e, EHOSTUNREACH, "%s: cannot resolve the name (%s); an [update] host entry names it without DNS",
			       host, rc ? gai_strerror(rc) : "no address");
	sa->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

static void base64(const char *in, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16 | (i + 1 < n ? (uint32_t)(uint8_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? (uint8_t)in[i + 2] : 0);
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

/* A query parameter's value, percent-encoded into out (cap bytes). */
static int urlenc(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
			    ch == '_' || ch == '.' || ch == '~';
		if (o + (plain ? 1 : 3) >= cap)
			return -1;
		o += (size_t)(plain ? snprintf(out + o, cap - o, "%c", ch) : snprintf(out + o, cap - o, "%%%02X", ch));
	}
	out[o] = '\0';
	return 0;
}

struct target {
	bool tls;
	char host[REF_HOST_MAX + 1];
	uint16_t port;
	char path[2048];
};

/* "https://host[:port]/path" or "/path" (relative to `base`). */
static int parse_url(const char *url, const struct target *base, struct target *t, struct err *e)
{
	if (url[0] == '/') {
		*t = *base;
		if (strlen(url) >= sizeof t->path)
			return err_set(e, E2BIG, "a redirect to a path over %zu bytes", sizeof t->path - 1);
		strcpy(t->path, url);
		return 0;
	}
	memset(t, 0, sizeof *t);
	const char *p;
	if (!strncasecmp(url, "https://", 8))
		t->tls = true, p = url + 8;
	else if (!strncasecmp(url, "http://", 7))
		t->tls = false, p = url + 7;
	else
		return err_set(e, EPROTO, "a URL that is neither http:// nor https://: '%.100s'", url);
	size_t hn = strcspn(p, ":/?");
	if (!hn || hn > REF_HOST_MAX)
		return err_set(e, EPROTO, "a URL without a host name: '%.100s'", url);
	memcpy(t->host, p, hn);
	p += hn;
	t->port = t->tls ? 443 : 80;
	if (*p == ':') {
		unsigned v = 0;
		int d = 0;
		for (p++; *p >= '0' && *p <= '9' && d < 6; p++, d++)
			v = v * 10 + (unsigned)(*p - '0');
		if (!d || !v || v > 65535)
			return err_set(e, EPROTO, "a URL with a bad port: '%.100s'", url);
		t->port = (uint16_t)v;
	}
	const char *path = *p ? p : "/";
	if (strlen(path) + 1 >= sizeof t->path)
		return err_set(e, E2BIG, "a URL over %zu bytes", sizeof t->path - 2);
	snprintf(t->path, sizeof t->path, "%s%s", *path == '/' ? "" : "/", path);
	for (const char *c = t->path; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return err_set(e, EPROTO, "a URL with a space or control byte");
	return 0;
}

/* One request on the connection c (opened or reopened for t as needed). A kept-alive connection
 * the server closed meanwhile is reopened once. */
static int request(struct reg *r, struct http_conn *c, const struct target *t, const char *auth, const char *accept,
		   uint64_t range, struct http_resp *resp, struct err *e)
{
	if (http_is_open(c) && (c->tls != t->tls || c->port != t->port || strcasecmp(c->host, t->host)))
		http_close(c);
	static const char ua[] = "keel-fetch/" KEEL_VERSION;
	char req[REG_TOKEN_MAX + 4096];
	char hostport[REF_HOST_MAX + 8];
	if ((t->tls && t->port == 443) || (!t->tls && t->port == 80))
		snprintf(hostport, sizeof hostport, "%s", t->host);
	else
		snprintf(hostport, sizeof hostport, "%s:%u", t->host, t->port);
	char rangeh[48] = "";
	if (range)
		snprintf(rangeh, sizeof rangeh, "Range: bytes=%llu-\r\n", (unsigned long long)range);
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n%s%s%s%s%s%s\r\n", t->path,
			 hostport, ua, accept ? "Accept: " : "", accept ? accept : "", accept ? "\r\n" : "",
			 auth[0] ? "Authorization: " : "", auth, auth[0] ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof req - sizeof rangeh)
		return err_set(e, E2BIG, "%s: a request over %zu bytes", t->host, sizeof req);
	/* Range goes before the blank line */
	if (range) {
		memmove(req + n - 2 + strlen(rangeh), req + n - 2, 3);
		memcpy(req + n - 2, rangeh, strlen(rangeh));
		n += (int)strlen(rangeh);
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		bool reused = http_is_open(c);
		if (!reused) {
			struct sockaddr_in sa;
			if (resolve(r, t->host, &sa, e) < 0 ||
			    http_open(c, &sa, t->host, t->port, t->tls, r->trust, r->now, r->timeout_ms, e) < 0)
				return -1;
		}
		if (http_exchange(c, req, (size_t)n, resp, e) == 0)
			return 0;
		if (!reused)
			return -1;
	}
	return -1;
}

/* The "code" of a registry's error body ({"errors":[{"code":"MANIFEST_UNKNOWN",...}]}), or "". */
static void error_code(struct http_conn *c, char *code, size_t cap)
{
	char body[ERROR_BODY_MAX];
	size_t n = 0;
	struct err e;
	code[0] = '\0';
	while (n < sizeof body) {
		ssize_t k = http_body(c, body + n, sizeof body - n, &e);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	if (n == sizeof body) {
		http_close(c);
		return;
	}
	struct json_tok tok[64];
	struct json j;
	uint32_t errs, first, v;
	if (json_parse(&j, body, n, tok, 64, &e) < 0 || json_type(&j, 0) != JSON_OBJECT ||
	    json_get(&j, 0, "errors", &errs, &e) < 0 || errs == JSON_NONE || json_type(&j, errs) != JSON_ARRAY ||
	    !j.tok[errs].count)
		return;
	first = errs + 1;
	if (json_type(&j, first) == JSON_OBJECT && json_get(&j, first, "code", &v, &e) == 0 && v != JSON_NONE)
		json_string(&j, v, code, cap, &e);
	for (char *p = code; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
}

static int status_error(struct reg *r, struct http_conn *c, const struct http_resp *resp, const char *what,
			struct err *e)
{
	char code[64];
	error_code(c, code, sizeof code);
	http_done(c, resp);
	const char *hint = resp->status == 401 ? ": the credentials were refused" :
			   resp->status == 403 ? ": access denied" :
			   resp->status == 404 ? ": not in the registry" : "";
	return err_set(e, EPROTO, "%s: %s: HTTP %d%s%s%s%s", r->ref.host, what, resp->status, code[0] ? " " : "", code, hint,
		       resp->status >= 500 ? " (the registry failed)" : "");
}

/* A Bearer token from the challenge's realm, or Basic credentials, into r->auth. */
static int authenticate(struct reg *r, const char *challenge, struct err *e)
{
	struct http_challenge ch;
	if (!challenge[0])
		return err_set(e, EACCES, "%s: HTTP 401 without a WWW-Authenticate challenge", r->ref.host);
	if (http_parse_challenge(challenge, &ch, e) < 0)
		return err_prefix(e, "%s: ", r->ref.host);
	if (!strcasecmp(ch.scheme, "Basic")) {
		if (!r->userpass[0])
			return err_set(e, EACCES, "%s: the registry asks for credentials and [update] credentials names none",
				       r->ref.host);
		strcpy(r->auth, "Basic ");
		base64(r->userpass, strlen(r->userpass), r->auth + 6);
		return 0;
	}
	if (strcasecmp(ch.scheme, "Bearer"))
		return err_set(e, EACCES, "%s: an authentication scheme keel does not speak: %.40s", r->ref.host, ch.scheme);
	struct target base = {!r->plain, "", 0, "/"}, t;
	if (parse_url(ch.realm, &base, &t, e) < 0)
		return err_prefix(e, "%s: token realm: ", r->ref.host);
	if (!t.tls && !r->plain)
		return err_set(e, EACCES, "%s: token realm %.200s: plain http refused (the registry is https)", r->ref.host, ch.realm);
	char svc[600], scope[600], deflt[REF_REPO_MAX + 32];
	snprintf(deflt, sizeof deflt, "repository:%s:pull", r->ref.repo);
	if (urlenc(svc, sizeof svc, ch.service) < 0 || urlenc(scope, sizeof scope, ch.scope[0] ? ch.scope : deflt) < 0)
		return err_set(e, E2BIG, "%s: token request too long", r->ref.host);
	size_t pl = strlen(t.path);
	if (snprintf(t.path + pl, sizeof t.path - pl, "%sservice=%s&scope=%s", strchr(t.path, '?') ? "&" : "?", svc, scope) >=
	    (int)(sizeof t.path - pl))
		return err_set(e, E2BIG, "%s: token request too long", r->ref.host);
	char basic[700] = "";
	if (r->userpass[0]) {
		strcpy(basic, "Basic ");
		base64(r->userpass, strlen(r->userpass), basic + 6);
	}
	struct http_resp resp;
	struct http_conn *c = &r->other;
	if (request(r, c, &t, basic, "application/json", 0, &resp, e) < 0)
		return err_prefix(e, "token from %s: ", t.host);
	if (resp.status != 200) {
		http_skip_body(c, ERROR_BODY_MAX);
		http_done(c, &resp);
		return err_set(e, EACCES, "token from %s: HTTP %d%s", t.host, resp.status,
			       resp.status == 401 ? ": the credentials were refused" : "");
	}
	char *body = (char *)r->scratch;
	_Static_assert(TOKEN_BODY_MAX <= sizeof r->scratch, "a token answer fits the scratch buffer");
	size_t n = 0;
	for (;;) {
		if (n == TOKEN_BODY_MAX) {
			http_close(c);
			return err_set(e, E2BIG, "token from %s: an answer over %d bytes", t.host, TOKEN_BODY_MAX);
		}
		ssize_t k = http_body(c, body + n, TOKEN_BODY_MAX - n, e);
		if (k < 0)
			return err_prefix(e, "token from %s: ", t.host);
		if (!k)
			break;
		n += (size_t)k;
	}
	r->received += n;
	http_done(c, &resp);
	struct json_tok tok[64];
	struct json j;
	uint32_t v = JSON_NONE;
	if (json_parse(&j, body, n, tok, 64, e) < 0 || json_type(&j, 0) != JSON_OBJECT)
		return err_set(e, EPROTO, "token from %s: expected a JSON object", t.host);
	if (json_get(&j, 0, "token", &v, e) < 0 || (v == JSON_NONE && json_get(&j, 0, "access_token", &v, e) < 0))
		return err_prefix(e, "token from %s: ", t.host);
	if (v == JSON_NONE)
		return err_set(e, EPROTO, "token from %s: no token in the answer", t.host);
	strcpy(r->auth, "Bearer ");
	if (json_string(&j, v, r->auth + 7, sizeof r->auth - 7, e) < 0)
		return err_prefix(e, "token from %s: ", t.host);
	for (const char *p = r->auth + 7; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return err_set(e, EPROTO, "token from %s: a token with a space or control byte", t.host);
	return 0;
}

/* GET path on the registry: authentication and redirects handled; returns with the final
 * response's head read and its connection in *out. */
static int reg_get(struct reg *r, const char *path, const char *accept, uint64_t range, struct http_resp *resp,
		   struct http_conn **out, struct err *e)
{
	struct target reg = {!r->plain, "", r->ref.port ? r->ref.port : (r->plain ? 80 : 443), ""}, t;
	snprintf(reg.host, sizeof reg.host, "%s", r->ref.host);
	snprintf(reg.path, sizeof reg.path, "%s", path);
	t = reg;
	bool authed = false;
	for (int hop = 0;; hop++) {
		bool home = t.tls == reg.tls && t.port == reg.port && !strcasecmp(t.host, reg.host);
		struct http_conn *c = home ? &r->conn : &r->other;
		/* Authorization goes to the registry's own host only: never to a redirect target */
		int rc = request(r, c, &t, home ? r->auth : "", accept, range, resp, e);
		if (rc < 0)
			return -1;
		if (resp->status == 401 && home && !authed) {
			http_skip_body(c, ERROR_BODY_MAX);
			http_done(c, resp);
			if (authenticate(r, resp->www_authenticate, e) < 0)
				return -1;
			authed = true;
			hop--;
			continue;
		}
		if (resp->status >= 300 && resp->status < 400 && resp->status != 304 && resp->location[0]) {
			http_skip_body(c, ERROR_BODY_MAX);
			http_done(c, resp);
			if (hop == REG_REDIRECTS)
				return err_set(e, ELOOP, "%s: more than %d redirects", r->ref.host, REG_REDIRECTS);
			struct target next;
			if (parse_url(resp->location, &t, &next, e) < 0)
				return err_prefix(e, "%s: redirect: ", r->ref.host);
			if (t.tls && !next.tls)
				return err_set(e, EACCES, "%s: a redirect from https to http refused: %.200s", r->ref.host, resp->location);
			t = next;
			continue;
		}
		*out = c;
		return 0;
	}
}

int reg_manifest(struct reg *r, char *buf, size_t cap, size_t *len, char digest[72], struct err *e)
{
	char path[REF_REPO_MAX + REF_TAG_MAX + 32], what[REF_REPO_MAX + REF_TAG_MAX + 32];
	const char *ref = r->ref.digest[0] ? r->ref.digest : r->ref.tag;
	snprintf(path, sizeof path, "/v2/%s/manifests/%s", r->ref.repo, ref);
	snprintf(what, sizeof what, "%s%s%s", r->ref.repo, r->ref.digest[0] ? "@" : ":", ref);
	struct http_resp resp;
	struct http_conn *c;
	if (reg_get(r, path, OCI_MT_MANIFEST, 0, &resp, &c, e) < 0)
		return -1;
	if (resp.status != 200)
		return status_error(r, c, &resp, what, e);
	if (resp.length > (int64_t)cap) {
		http_close(c);
		return err_set(e, E2BIG, "%s: %s: manifest of %lld bytes, more than the %zu this keel reads", r->ref.host, what,
			       (long long)resp.length, cap);
	}
	size_t n = 0;
	for (;;) {
		if (n == cap) {
			uint8_t one;
			if (http_body(c, &one, 1, e) == 0)
				break;
			http_close(c);
			return err_set(e, E2BIG, "%s: %s: a manifest over the %zu bytes this keel reads", r->ref.host, what, cap);
		}
		ssize_t k = http_body(c, buf + n, cap - n, e);
		if (k < 0)
			return err_prefix(e, "%s: ", what);
		if (!k)
			break;
		n += (size_t)k;
	}
	r->received += n;
	http_done(c, &resp);
	uint8_t d[DIGEST_LEN];
	br_sha256_context sha;
	br_sha256_init(&sha);
	br_sha256_update(&sha, buf, n);
	br_sha256_out(&sha, d);
	memcpy(digest, DIGEST_PREFIX, 7);
	digest_to_hex(d, digest + 7);
	if (r->ref.digest[0] && strcmp(r->ref.digest, digest))
		return err_set(e, EPROTO, "%s: %s: the manifest received hashes to %s", r->ref.host, what, digest);
	if (resp.docker_digest[0] && strcmp(resp.docker_digest, digest))
		return err_set(e, EPROTO, "%s: %s: the manifest received hashes to %s, the registry says %.72s", r->ref.host,
			       what, digest, resp.docker_digest);
	*len = n;
	return 0;
}

int reg_blob(struct reg *r, const char *digest, uint64_t offset, uint64_t expect, uint64_t *from,
	     int (*sink)(void *ctx, const uint8_t *p, size_t n, struct err *e), void *ctx, struct err *e)
{
	char path[REF_REPO_MAX + 96];
	snprintf(path, sizeof path, "/v2/%s/blobs/%s", r->ref.repo, digest);
	struct http_resp resp;
	struct http_conn *c;
	if (reg_get(r, path, NULL, offset, &resp, &c, e) < 0)
		return -1;
	*from = offset;
	if (resp.status == 200) {
		*from = 0;
	} else if (resp.status == 206) {
		uint64_t first, last, total;
		if (http_parse_content_range(resp.content_range, &first, &last, &total) < 0 || first != offset ||
		    (expect && total != UINT64_MAX && total != expect)) {
			http_close(c);
			return err_set(e, EPROTO, "%s: blob %.19s: a partial answer for the wrong range ('%.60s', asked from %llu)",
				       r->ref.host, digest, resp.content_range, (unsigned long long)offset);
		}
	} else {
		char what[96];
		snprintf(what, sizeof what, "blob %.19s", digest);
		return status_error(r, c, &resp, what, e);
	}
	/* a 200 to a Range request sends the whole blob: the bytes we hold are skipped, not written again
	 * (the caller's digest over everything catches a server that changed them) */
	uint64_t skip = offset - *from, at = *from;
	uint8_t *buf = r->scratch;
	for (;;) {
		ssize_t k = http_body(c, buf, sizeof r->scratch, e);
		if (k < 0)
			return -1;
		if (!k)
			break;
		r->received += (uint64_t)k;
		at += (uint64_t)k;
		if (expect && at > expect) {
			http_close(c);
			return err_set(e, EPROTO, "%s: blob %.19s: more than the %llu bytes the manifest says", r->ref.host, digest,
				       (unsigned long long)expect);
		}
		size_t drop = skip < (uint64_t)k ? (size_t)skip : (size_t)k;
		skip -= drop;
		if ((size_t)k > drop && sink(ctx, buf + drop, (size_t)k - drop, e) < 0) {
			http_close(c);
			return -1;
		}
	}
	http_done(c, &resp);
	return 0;
}
