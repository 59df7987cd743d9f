/* keelc's in-memory config: what the text parser fills and the binary writer lays out. */
#ifndef KEELC_MODEL_H
#define KEELC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "format/layer_index.h"
#include "format/layout.h"
#include "lib/err.h"

/* A growable array; keelc is a short-lived host tool, so it allocates freely and dies on OOM. */
#define VEC(T) struct { T *v; uint32_t n, cap; }
#define VEC_PUSH(vec, item)                                                                        \
	do {                                                                                       \
		if ((vec).n == (vec).cap) {                                                        \
			(vec).cap = (vec).cap ? (vec).cap * 2 : 4;                                 \
			(vec).v = xrealloc((vec).v, (size_t)(vec).cap * sizeof *(vec).v);          \
		}                                                                                  \
		(vec).v[(vec).n++] = (item);                                                       \
	} while (0)

void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

struct loc {
	int line, col;
};

typedef VEC(char *) strvec;
typedef VEC(uint32_t) u32vec;

/* A name another record refers to, with where it was written, checked after the whole file is read. */
struct nameref {
	char *name;
	struct loc at;
};
typedef VEC(struct nameref) refvec;

struct h_system {
	struct cfg_system r;            /* scalars; string refs and ranges are filled by the writer */
	struct cfg_system_ext x;
	char *hostname, *watchdog_device, *data_device, *data_fstype, *data_options;
	strvec modules, sysctls, volume_roots; /* no volume_roots: CFG_DATA_ROOT */
	struct cfg_firewall fw;
	struct cfg_ops o;               /* 1.2: written only when something in it is set */
	char *syslog_ca, *syslog_server_name, *metrics_file;
};

struct h_network {
	struct cfg_network r;
	struct cfg_network_ext x;
	char *name, *bridge, *uplink;
	struct loc at;
};

struct h_talk { struct cfg_talk r; struct nameref service; };

struct h_mount { struct cfg_mount r; char *source, *target; struct loc at; };
struct h_syscall { struct cfg_syscall_rule r; char *name; };
struct h_iolimit { struct cfg_io_limit r; char *device; };
struct h_device { struct cfg_device r; char *path; };
struct digest { uint8_t b[32]; };
struct h_secret { char *source, *target; struct loc at; };

/* What a service says about its image (`image =`, `args =`, `entrypoint =`, `user =`), resolved
 * into the service's fields when its section ends (image.c). */
struct svc_image {
	const struct layer_image *im;   /* NULL: no image */
	char *name;                     /* the image's name */
	char *user;                     /* `user =` as written; NULL: not given */
	struct loc at, user_at, args_at, entrypoint_at;
	int has_args, has_entrypoint;
	strvec args, entrypoint;
};

struct h_service {
	struct cfg_service r;
	struct svc_image img;
	char *name, *workdir, *hostname, *cpuset_cpus;
	struct nameref network;
	struct loc at, address_at;
	strvec argv, env;
	refvec depends, after;
	VEC(struct digest) layers;
	VEC(uint32_t) groups;
	VEC(struct h_syscall) syscalls;
	VEC(struct cfg_idmap) idmaps;
	VEC(struct cfg_rlimit) rlimits;
	VEC(struct h_mount) mounts;
	VEC(struct h_device) devices;
	VEC(struct cfg_port) ports;
	VEC(struct loc) ports_at;       /* where each publish line's port pair is, for errors */
	VEC(struct h_iolimit) io_max;
	struct cfg_service_ext x;       /* 1.2: address6, egress_mode, join_ns; lists and refs below */
	struct nameref join;            /* network/ipc/uts = service:NAME */
	struct loc address6_at, egress_at;
	int namespaces_given;
	VEC(struct h_talk) talks;
	VEC(struct cfg_cidr) egress;
	/* 1.2: operations (a SERVICE_OPS section is written when any service sets one) */
	struct cfg_service_ops o;
	strvec health;
	char *env_file;
	struct loc env_file_at;
	u32vec success_exit, prevent_exit;
	VEC(struct h_secret) secrets;
};

struct h_host { struct cfg_update_host r; char *name; };

/* [update]: the release (always written) and the registry (written when any of its keys is). */
struct h_update {
	struct cfg_release rel;
	struct cfg_update r;
	char *source, *ca, *credentials;
	VEC(struct h_host) hosts;
	int registry;                   /* a registry key was given: write the UPDATE section */
	struct loc at;                  /* the [update] line */
};

struct model {
	struct h_system system;
	struct h_update update;
	VEC(struct h_network) networks;
	VEC(struct h_service) services;
	VEC(struct cfg_verity) verity;  /* [layer] sections, then the index's trees; sorted at the end */
};

/* Layer names resolve through keel-pack's index (format/layer_index.h; dir NULL: none given). */

/* image.c: fill the service's argv, env, workdir, user, groups, stop signal and layers from its
 * image wherever it did not say (given[] tells which keys it gave: exec, workdir, stop), and resolve
 * `user =` by name. -1 with msg (one line) and where the error points (*at, *key). */
enum { GIVEN_EXEC, GIVEN_WORKDIR, GIVEN_STOP, GIVEN_N };
int image_apply(struct h_service *s, const int given[GIVEN_N], struct loc *at, const char **key, char *msg,
		size_t msglen);
void svc_image_free(struct svc_image *si);

/* Parse the text config; errors are "FILE:LINE:COL: service 'web': key: message". */
int model_parse(struct model *m, const char *file, const char *text, size_t len, const struct layer_index *ix,
		struct err *e);

/* Free everything the parser allocated (also after a failed parse). */
void model_free(struct model *m);

/* Lay the model out as a binary config (unsigned); *out is malloc'd. Deterministic. */
int model_write(const struct model *m, uint8_t **out, size_t *out_len, struct err *e);

/* Signing (sign.c). */
int key_load_private(const char *pem_file, uint8_t *priv, size_t *priv_len, int *curve, struct err *e);
int key_public_point(const uint8_t *priv, size_t priv_len, uint8_t point[65], struct err *e);
/* Set CFG_F_SIGNED, recompute the digest, append the trailer. *buf is realloc'd. */
int config_sign(uint8_t **buf, size_t *len, const char *pem_file, struct err *e);
/* Recompute header.digest over the buffer. */
void config_digest(uint8_t *buf);

#endif
