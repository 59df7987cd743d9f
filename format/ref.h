/* An image reference as keel's [update] source and `keel update --from` take it:
 * REGISTRY[:PORT]/REPO[:TAG] or REGISTRY[:PORT]/REPO@sha256:HEX (docs/update.md, "The artifact").
 * The registry is named explicitly (no default registry, no "docker://" needed: it is accepted and
 * dropped). Used by the config rules, the fetcher and keel-pack bundle --push. */
#ifndef KEEL_FORMAT_REF_H
#define KEEL_FORMAT_REF_H
#include <stdint.h>

#define REF_MAX 256             /* the whole reference */
#define REF_HOST_MAX 64         /* a host name (cfg_rule_hostname's bound) */
#define REF_REPO_MAX 160
#define REF_TAG_MAX 128

struct oci_ref {
	char host[REF_HOST_MAX + 1];
	uint16_t port;              /* 0: the scheme's default */
	char repo[REF_REPO_MAX + 1];
	char tag[REF_TAG_MAX + 1];  /* "" when by digest */
	char digest[72];            /* "sha256:<64 hex>" or "" */
};

/* An update in a registry (docs/update.md, "The artifact"): an OCI image manifest whose config is
 * the signed config.bin and whose layers are keel's layer images, each by its SHA-256. */
#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define KEEL_MT_ARTIFACT "application/vnd.keel.update.v1"
#define KEEL_MT_CONFIG "application/vnd.keel.config.v1"
#define KEEL_MT_LAYER "application/vnd.keel.layer.v1"

/* Parse s; NULL when it is a reference, else what was expected. A reference without a tag or
 * digest gets the tag "latest". */
const char *ref_parse(const char *s, struct oci_ref *r);
/* cfg_rule_str's form: NULL or what was expected. */
const char *cfg_rule_source(const char *s);
#endif
