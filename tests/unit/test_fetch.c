/* The fetcher's parsers of what the network sends (helpers/http.c, manifest.c) and its CA file
 * reader (helpers/tls.c): what each accepts, and that each refusal says what was expected. */
#include <stdlib.h>
#include <string.h>

#include "format/ref.h"
#include "helpers/http.h"
#include "helpers/manifest.h"
#include "helpers/tls.h"
#include "test.h"

static struct err e;

static int head(const char *s, struct http_resp *r)
{
	return http_parse_head(s, strlen(s), r, &e);
}

static void test_heads(void)
{
	struct http_resp r;
	int rc = head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nDocker-Content-Digest: sha256:ab\r\nX-Other: y\r\n\r\nbody", &r);
	CHECK("http_head_ok", !rc && r.status == 200 && r.length == 12 && !r.chunked && !r.close &&
		!strcmp(r.docker_digest, "sha256:ab") && r.head_len == strlen("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nDocker-Content-Digest: sha256:ab\r\nX-Other: y\r\n\r\n"),
	      "%s", rc ? e.msg : "fields");
	rc = head("HTTP/1.1 206 Partial\r\ntransfer-encoding: gzip, chunked\r\nContent-Length: 5\r\n\r\n", &r);
	CHECK("http_head_te_wins", !rc && r.chunked && r.length == -1 && r.close, "%s", rc ? e.msg : "framing");
	rc = head("HTTP/1.0 200 OK\r\n\r\n", &r);
	CHECK("http_head_10_closes", !rc && r.close, "%s", rc ? e.msg : "not close");
	rc = head("HTTP/1.1 200 OK\r\n\r\n", &r);
	CHECK("http_head_no_length_until_close", !rc && r.close && r.length == -1, "%s", rc ? e.msg : "framing");
	rc = head("HTTP/1.1 307 Temporary Redirect\nLocation: https://blobs.test/x?sig=1\nContent-Length: 0\n\n", &r);
	CHECK("http_head_bare_lf", !rc && r.status == 307 && !strcmp(r.location, "https://blobs.test/x?sig=1"), "%s", rc ? e.msg : r.location);
	static const struct { const char *name, *text, *want; } bad[] = {
		{"http_bad_not_http", "SSH-2.0-x\r\n\r\n", "not an HTTP/1.x response"},
		{"http_bad_status", "HTTP/1.1 2x0 OK\r\n\r\n", "a status that is not 3 digits"},
		{"http_bad_no_end", "HTTP/1.1 200 OK\r\nA: b\r\n", "the head has no end"},
		{"http_bad_folded", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", "a folded header line"},
		{"http_bad_two_lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "two different Content-Length"},
		{"http_bad_length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length: expected a number"},
		{"http_bad_te", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "expected chunked last"},
		{"http_bad_name", "HTTP/1.1 200 OK\r\nA b: c\r\n\r\n", "a header name with a space"},
		{"http_bad_ctl", "HTTP/1.1 200 OK\r\nA: b\001c\r\n\r\n", "a control byte in a header value"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rc = head(bad[i].text, &r);
		CHECK(bad[i].name, rc == -1 && strstr(e.msg, bad[i].want), "rc %d: %s", rc, e.msg);
	}
	char many[8192] = "HTTP/1.1 200 OK\r\n";
	for (int i = 0; i < 101; i++)
		strcat(many, "A: b\r\n");
	strcat(many, "\r\n");
	rc = head(many, &r);
	CHECK("http_bad_many_headers", rc == -1 && strstr(e.msg, "more than 100 headers"), "%s", e.msg);
	char longloc[2048] = "HTTP/1.1 302 Found\r\nLocation: /";
	memset(longloc + strlen(longloc), 'a', 1100);
	strcat(longloc, "\r\n\r\n");
	rc = head(longloc, &r);
	CHECK("http_bad_long_location", rc == -1 && strstr(e.msg, "Location: 1101 bytes, at most 1023"), "%s", e.msg);
}

static void test_range_challenge(void)
{
	uint64_t a, b, c;
	CHECK("range_ok", !http_parse_content_range("bytes 100-199/200", &a, &b, &c) && a == 100 && b == 199 && c == 200, "parse");
	CHECK("range_star", !http_parse_content_range("bytes 0-9/*", &a, &b, &c) && c == UINT64_MAX, "parse");
	CHECK("range_bad", http_parse_content_range("bytes 5-4/10", &a, &b, &c) && http_parse_content_range("bytes 0-10/10", &a, &b, &c) &&
		http_parse_content_range("items 0-1/2", &a, &b, &c), "accepted");
	struct http_challenge ch;
	int rc = http_parse_challenge("Bearer realm=\"https://auth.test/token\",service=\"registry.test\",scope=\"repository:a/b:pull\"", &ch, &e);
	CHECK("challenge_bearer", !rc && !strcmp(ch.scheme, "Bearer") && !strcmp(ch.realm, "https://auth.test/token") &&
		!strcmp(ch.service, "registry.test") && !strcmp(ch.scope, "repository:a/b:pull"), "%s", rc ? e.msg : ch.realm);
	rc = http_parse_challenge("Basic realm=\"a \\\"q\\\"\", charset=UTF-8", &ch, &e);
	CHECK("challenge_basic_quoted", !rc && !strcmp(ch.scheme, "Basic") && !strcmp(ch.realm, "a \"q\""), "%s", rc ? e.msg : ch.realm);
	rc = http_parse_challenge("Bearer realm=\"unterminated", &ch, &e);
	CHECK("challenge_bad", rc == -1 && strstr(e.msg, "unterminated"), "%s", e.msg);
}

static void test_chunked(void)
{
	const char *body = "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nNEXT";
	size_t n = strlen(body);
	/* fed one byte at a time */
	struct http_chunked ch;
	memset(&ch, 0, sizeof ch);
	char out[64] = "";
	size_t o = 0, in = 0;
	bool done = false;
	while (in < n && !done) {
		uint8_t b = (uint8_t)body[in];
		size_t used;
		ssize_t k = http_chunked_feed(&ch, &b, 1, &used, &done, &e);
		if (k < 0)
			break;
		if (k)
			out[o++] = (char)b;
		in += used;
	}
	out[o] = '\0';
	CHECK("chunked_bytewise", done && !strcmp(out, "Wikipedia in\r\n\r\nchunks.") && !strcmp(body + in, "NEXT"), "'%s', rest '%s'", out,
	      body + in);
	uint8_t buf[128];
	memcpy(buf, body, n);
	memset(&ch, 0, sizeof ch);
	size_t used;
	ssize_t k = http_chunked_feed(&ch, buf, n, &used, &done, &e);
	CHECK("chunked_whole", k == 23 && done && used == n - 4 && !memcmp(buf, "Wikipedia in\r\n\r\nchunks.", 23), "k %zd used %zu", k, used);
	memset(&ch, 0, sizeof ch);
	memcpy(buf, "1234567890abcdef0\r\n", 19);
	k = http_chunked_feed(&ch, buf, 19, &used, &done, &e);
	CHECK("chunked_bad_size", k == -1 && strstr(e.msg, "over 15 hex digits"), "%s", e.msg);
	memset(&ch, 0, sizeof ch);
	memcpy(buf, "2\r\nabX\r\n", 8);
	k = http_chunked_feed(&ch, buf, 8, &used, &done, &e);
	CHECK("chunked_bad_crlf", k == -1 && strstr(e.msg, "expected CRLF after a chunk"), "%s", e.msg);
}

static void test_manifest(void)
{
	static struct json_tok tok[MANIFEST_TOKENS];
	static struct manifest m;
	const char *good = "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST "\",\"config\":{\"mediaType\":\"" KEEL_MT_CONFIG
			   "\",\"digest\":\"sha256:2972fb5bbdfbbcb0f6e6211b553783bcd56e5a09051f4a2ac31769e1d3d32063\",\"size\":696},"
			   "\"layers\":[{\"mediaType\":\"" KEEL_MT_LAYER "\",\"digest\":\"sha256:c32a4989b76a64a9edbbab9d19e8a68b24f98d34dd0cb90956cd8352d753483c\","
			   "\"size\":303104}],\"annotations\":{\"io.keel.serial\":\"3\"}}";
	int rc = manifest_parse(good, strlen(good), tok, MANIFEST_TOKENS, &m, &e);
	CHECK("manifest_good", !rc && m.nlayers == 1 && m.config.size == 696 && m.layers[0].size == 303104 &&
		!strcmp(m.layers[0].digest, "sha256:c32a4989b76a64a9edbbab9d19e8a68b24f98d34dd0cb90956cd8352d753483c"),
	      "%s", rc ? e.msg : "fields");
	static const struct { const char *name, *text, *want; } bad[] = {
		{"manifest_bad_json", "{\"schemaVersion\":2,", "manifest: line 1"},
		{"manifest_bad_version", "{\"schemaVersion\":1}", "schemaVersion: expected 2"},
		{"manifest_bad_type", "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\"}",
		 "mediaType: expected application/vnd.oci.image.manifest.v1+json"},
		{"manifest_not_keel", "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:00\",\"size\":1},\"layers\":[]}",
		 "config.mediaType: expected application/vnd.keel.config.v1 (not a keel update)"},
		{"manifest_bad_digest", "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" KEEL_MT_CONFIG "\",\"digest\":\"sha512:00\",\"size\":1},\"layers\":[]}",
		 "config.digest: expected sha256: and 64 hex digits"},
		{"manifest_upper_hex", "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" KEEL_MT_CONFIG
		 "\",\"digest\":\"sha256:2972FB5BBDFBBCB0F6E6211B553783BCD56E5A09051F4A2AC31769E1D3D32063\",\"size\":1},\"layers\":[]}",
		 "expected lowercase hex"},
		{"manifest_big_config", "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" KEEL_MT_CONFIG
		 "\",\"digest\":\"sha256:2972fb5bbdfbbcb0f6e6211b553783bcd56e5a09051f4a2ac31769e1d3d32063\",\"size\":99999999},\"layers\":[]}",
		 "config.size: 99999999, expected 1.."},
		{"manifest_dup_key", "{\"schemaVersion\":2,\"schemaVersion\":2}", "manifest: "},
		{"manifest_no_layers", "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" KEEL_MT_CONFIG
		 "\",\"digest\":\"sha256:2972fb5bbdfbbcb0f6e6211b553783bcd56e5a09051f4a2ac31769e1d3d32063\",\"size\":1}}",
		 "layers: expected an array"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rc = manifest_parse(bad[i].text, strlen(bad[i].text), tok, MANIFEST_TOKENS, &m, &e);
		CHECK(bad[i].name, rc == -1 && strstr(e.msg, bad[i].want), "rc %d: %s", rc, e.msg);
	}
	char *big = malloc(MANIFEST_MAX + 2);
	memset(big, ' ', MANIFEST_MAX + 1);
	rc = manifest_parse(big, MANIFEST_MAX + 1, tok, MANIFEST_TOKENS, &m, &e);
	CHECK("manifest_too_big", rc == -1 && strstr(e.msg, "more than the 262144 this keel reads"), "%s", e.msg);
	free(big);
}

static void test_trust(void)
{
	static struct tls_trust t;
	int rc = tls_trust_parse(&t, "none.pem", (const uint8_t *)"just text\n", 10, &e);
	CHECK("trust_none", rc == -1 && !strcmp(e.msg, "none.pem: no CERTIFICATE in it"), "%s", e.msg);
	const char *cut = "-----BEGIN CERTIFICATE-----\nMIIB\n";
	rc = tls_trust_parse(&t, "cut.pem", (const uint8_t *)cut, strlen(cut), &e);
	CHECK("trust_cut", rc == -1 && strstr(e.msg, "cut.pem: "), "%s", e.msg);
	rc = tls_trust_load(&t, "tests/unit/data/ca.pem", &e);
	CHECK("trust_two_cas", !rc && t.n == 2 && t.ta[0].flags == BR_X509_TA_CA && t.ta[0].pkey.key_type == BR_KEYTYPE_EC &&
		t.ta[1].pkey.key_type == BR_KEYTYPE_RSA, "%s", rc ? e.msg : "anchors");
}

int main(void)
{
	test_heads();
	test_range_challenge();
	test_chunked();
	test_manifest();
	test_trust();
	TEST_EXIT();
}
