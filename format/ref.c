/* Image references: REGISTRY[:PORT]/REPO[:TAG|@sha256:HEX] (format/ref.h). */
#include "ref.h"

#include <string.h>

#include "../lib/digest.h"

#define EXPECT "expected REGISTRY[:PORT]/REPO[:TAG] or REGISTRY[:PORT]/REPO@sha256:HEX"

static int lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A repository path: components of [a-z0-9] separated by '.', '_', '__', '-'s, joined by '/'
 * (the distribution spec's grammar, without its rarely used corners). */
static int repo_ok(const char *s, size_t n)
{
	if (!n || n > REF_REPO_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (lower_alnum(c))
			continue;
		if (c != '/' && c != '.' && c != '_' && c != '-')
			return 0;
		/* a separator sits between two alphanumerics, except '-' and '__' runs */
		if (!i || i + 1 == n || (!lower_alnum(s[i - 1]) && !(c == '-' && s[i - 1] == '-') &&
					 !(c == '_' && s[i - 1] == '_' && i >= 2 && lower_alnum(s[i - 2]))))
			return 0;
		if (c == '/' && !lower_alnum(s[i + 1]))
			return 0;
	}
	return 1;
}

/* A host name as cfg_rule_hostname has it (not called: format/rules.c calls this file). */
static int host_ok(const char *s)
{
	for (; *s; s++)
		if (!lower_alnum(*s) && !(*s >= 'A' && *s <= 'Z') && *s != '-' && *s != '.')
			return 0;
	return 1;
}

static int tag_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > REF_TAG_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (; *s; s++)
		if (!lower_alnum(*s) && !(*s >= 'A' && *s <= 'Z') && *s != '_' && *s != '.' && *s != '-')
			return 0;
	return 1;
}

const char *ref_parse(const char *s, struct oci_ref *r)
{
	memset(r, 0, sizeof *r);
	if (!strncmp(s, "docker://", 9))
		s += 9;
	size_t len = strlen(s);
	if (len > REF_MAX)
		return EXPECT " (at most 256 characters)";
	const char *slash = strchr(s, '/');
	if (!slash)
		return EXPECT;
	/* the registry: host[:port] */
	const char *colon = memchr(s, ':', (size_t)(slash - s));
	size_t hn = (size_t)((colon ? colon : slash) - s);
	if (!hn || hn > REF_HOST_MAX)
		return EXPECT " (a registry host name)";
	memcpy(r->host, s, hn);
	if (!host_ok(r->host))
		return EXPECT " (a registry host name)";
	if (colon) {
		unsigned port = 0;
		const char *p = colon + 1;
		if (p == slash)
			return EXPECT " (a port 1..65535)";
		for (; p < slash; p++) {
			if (*p < '0' || *p > '9' || port > 6553)
				return EXPECT " (a port 1..65535)";
			port = port * 10 + (unsigned)(*p - '0');
		}
		if (port < 1 || port > 65535)
			return EXPECT " (a port 1..65535)";
		r->port = (uint16_t)port;
	}
	const char *repo = slash + 1, *at = strchr(repo, '@'), *end = at ? at : repo + strlen(repo);
	/* a tag's ':' is after the last '/' */
	const char *last = memrchr(repo, '/', (size_t)(end - repo));
	const char *tc = memchr(last ? last : repo, ':', (size_t)(end - (last ? last : repo)));
	if (at && tc)
		return EXPECT " (a tag or a digest, not both)";
	const char *rend = tc ? tc : end;
	if (!repo_ok(repo, (size_t)(rend - repo)))
		return EXPECT " (a repository: lowercase letters, digits, '/', '.', '_', '-')";
	memcpy(r->repo, repo, (size_t)(rend - repo));
	if (at) {
		uint8_t d[DIGEST_LEN];
		if (strlen(at + 1) >= sizeof r->digest || digest_parse(at + 1, d) < 0)
			return EXPECT " (sha256: and 64 hex digits after '@')";
		digest_to_hex(d, r->digest + 7);
		memcpy(r->digest, DIGEST_PREFIX, 7);
		return NULL;
	}
	const char *tag = tc ? tc + 1 : "latest";
	if (!tag_ok(tag))
		return EXPECT " (a tag: letters, digits, '_', '.', '-'; 1..128)";
	memcpy(r->tag, tag, strlen(tag) + 1);
	return NULL;
}

const char *cfg_rule_source(const char *s)
{
	struct oci_ref r;
	return ref_parse(s, &r);
}
