/* keel as an OCI runtime (docs/keel-oci.1.md): the CLI verbs runc and crun spell, over a bundle's
 * config.json mapped onto the same runtime/ every keel service runs on. The pieces: oci_main.c
 * (options and verbs), oci_json.c (reading config.json's fields, writing JSON), oci_spec.c
 * (config.json -> container_spec), oci_seccomp.c (a seccomp profile -> BPF), oci_cgroup.c
 * (cgroupsPath and linux.resources), oci_state.c (what survives between invocations), oci_hooks.c
 * (the lifecycle hooks). */
#ifndef KEEL_CMD_OCI_H
#define KEEL_CMD_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/err.h"
#include "../lib/json.h"
#include "../runtime/cgroup.h"
#include "../runtime/container.h"

#define OCI_SPEC_VERSION "1.2.0"   /* the runtime-spec version keel implements */
#define OCI_MAX_CONFIG (4u << 20) /* config.json and process.json are refused above this */

/* ---- oci_json.c: reading -------------------------------------------------------------------- */

/* A parsed document and an arena its decoded strings live in (all freed by oci_doc_free). */
struct oci_doc {
	char *text;
	size_t len;
	struct json j;
	struct json_tok *tok;
	char *arena;
	size_t used, cap;
	const char *file;               /* "config.json": every message starts with it */
};

int oci_doc_load(struct oci_doc *d, const char *path, const char *file, struct err *e);
/* The same over text already read (malloc'd: the doc owns and frees it, on failure too). */
int oci_doc_parse(struct oci_doc *d, char *text, size_t len, const char *file, struct err *e);
void oci_doc_free(struct oci_doc *d);

/* The members of object `obj` (at JSON path `path`, e.g. "linux.resources") by name: out[i] is the
 * value of names[i], JSON_NONE when absent or null. names lists every property the runtime spec
 * defines there; another member is not the spec's and is ignored with a warning line on stderr,
 * as the spec requires. A non-object or a member given twice is an error. */
int oci_fields(struct oci_doc *d, uint32_t obj, const char *path, const char *const *names, unsigned n,
	       uint32_t *out, struct err *e);
/* Typed values; each error names path. */
char *oci_str(struct oci_doc *d, uint32_t t, const char *path, struct err *e);        /* arena copy */
int oci_u64(struct oci_doc *d, uint32_t t, const char *path, uint64_t *v, struct err *e);
int oci_i64(struct oci_doc *d, uint32_t t, const char *path, int64_t *v, struct err *e);
int oci_bool(struct oci_doc *d, uint32_t t, const char *path, bool *v, struct err *e);
/* An array of strings as a NULL-terminated arena array (count in *n when n != NULL). */
char **oci_strv(struct oci_doc *d, uint32_t t, const char *path, unsigned *n, struct err *e);
/* Arena memory for n bytes (zeroed, 8-byte aligned); NULL with e set when the arena is full. */
void *oci_alloc(struct oci_doc *d, size_t n, struct err *e);
/* printf into the arena. */
char *oci_fmt(struct oci_doc *d, struct err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A member's path: "linux.resources" + "memory" into the arena. */
const char *oci_path(struct oci_doc *d, const char *path, const char *member);

/* ---- oci_json.c: writing -------------------------------------------------------------------- */

/* s as a JSON string, quotes included. */
void oci_json_string(FILE *f, const char *s);

/* ---- oci_seccomp.c -------------------------------------------------------------------------- */

/* linux.seccomp (object `t`) assembled into p for this architecture's ABIs: every listed
 * architecture this machine can run, argument comparisons, per-rule errno, defaultErrnoRet;
 * unknown syscall names are skipped as runc skips them. */
int oci_seccomp(struct oci_doc *d, uint32_t t, struct seccomp_prog *p, struct err *e);

/* ---- oci_spec.c ----------------------------------------------------------------------------- */

enum oci_hook_kind {
	OCI_HOOK_PRESTART, OCI_HOOK_CREATE_RUNTIME, OCI_HOOK_CREATE_CONTAINER, OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART, OCI_HOOK_POSTSTOP, OCI_HOOK_KINDS
};
struct oci_hook {
	char *path;
	char **args, **env;             /* NULL-terminated; args NULL: just the path */
	int timeout;                    /* seconds, 0: none */
};

/* A cgroup file the container's resources write, with the controller it needs. */
struct oci_cg_write {
	const char *ctrl;               /* NULL: none needed (cgroup.* files) */
	const char *file;
	const char *value;
	const char *key;                /* config.json's field, for messages */
};

struct oci_config {
	struct oci_doc doc;
	const char *bundle;             /* absolute */
	const char *id;
	const char *oci_version;
	struct container_spec spec;
	struct ctr_process proc;
	struct seccomp_prog *filter;    /* malloc'd; NULL: none */
	bool terminal;
	unsigned short rows, cols;
	struct oci_hook *hooks[OCI_HOOK_KINDS];
	unsigned nhooks[OCI_HOOK_KINDS];
	const char *cgroups_path;       /* linux.cgroupsPath, NULL when absent */
	struct oci_cg_write *cg_writes;
	unsigned ncg_writes;
	struct dev_rule *dev_rules;     /* the device program's rules, first match decides */
	unsigned ndev_rules;
	bool dev_default_allow;
	const char *annotations;        /* the JSON text of `annotations` ("{}" when absent) */
	uint64_t ns_types;              /* CLONE_NEW* the container has, new or joined */
	bool light;
};

/* Read and map config.json (file, or <bundle>/config.json when NULL). Every field keel cannot
 * apply is refused with one line naming it; nothing is left open on failure. `light` (the verbs
 * after create, which need hooks, annotations and namespaces): no seccomp program is assembled
 * and no namespace path opened. */
int oci_config_load(struct oci_config *c, const char *bundle, const char *file, const char *id, bool light,
		    struct err *e);
/* The mapping alone, over a parsed document (c->doc) and an absolute bundle path: what
 * oci_config_load does after reading, and what the fuzzer drives. */
int oci_config_map(struct oci_config *c, const char *bundle, const char *id, struct err *e);
void oci_config_free(struct oci_config *c);
/* A `process` object (config.json's, or exec's --process file) onto p; terminal and its size
 * into *terminal, *rows, *cols (may be NULL). */
int oci_process(struct oci_doc *d, uint32_t t, const char *path, struct ctr_process *p, bool *terminal,
		unsigned short *rows, unsigned short *cols, struct err *e);

/* ---- oci_cgroup.c --------------------------------------------------------------------------- */

/* linux.resources (object t, may be JSON_NONE) -> c->cg_writes, c->dev_rules. */
int oci_resources(struct oci_config *c, uint32_t t, struct err *e);
/* The container's cgroup directory path from cgroupsPath (systemd's slice:prefix:name form with
 * --systemd-cgroup) under the cgroup v2 mount. */
int oci_cgroup_path(const struct oci_config *c, bool systemd, char *out, size_t size, struct err *e);
/* Make it, enable the controllers and write the resources, attach the device program. */
int oci_cgroup_setup(const struct oci_config *c, const char *path, struct cgroup *cg, struct err *e);

/* ---- oci_state.c ---------------------------------------------------------------------------- */

struct oci_state {
	char dir[4096];                 /* <root>/<id> */
	pid_t pid;
	unsigned long long start;       /* the process's start time (/proc/PID/stat field 22) */
	char bundle[4096];
	char cgroup[4096];              /* "" when none */
	char created[40];               /* RFC 3339 */
	unsigned hooks;                 /* bit per enum oci_hook_kind the config has: later verbs read
	                                   config.json again only for hooks they must run */
	int dirfd;                      /* the state dir, locked (flock) while we work on it */
};

/* The state dir of `id` under root: made (create) or opened, and locked. */
int oci_state_create(struct oci_state *s, const char *root, const char *id, struct err *e);
int oci_state_open(struct oci_state *s, const char *root, const char *id, struct err *e);
int oci_state_save(struct oci_state *s, struct err *e);
void oci_state_close(struct oci_state *s);
/* "created", "running" or "stopped" (the process gone, or a new one holding its pid). */
const char *oci_state_status(const struct oci_state *s);
/* A pidfd of the container's process when it still is that process; -1 otherwise. */
int oci_state_pidfd(const struct oci_state *s);
/* Remove the state dir. */
int oci_state_remove(struct oci_state *s, struct err *e);
unsigned long long oci_proc_start(pid_t pid);
/* The runtime-spec state document (state.md); pid is left 0 when stopped, created may be NULL. */
void oci_state_write(FILE *f, const char *version, const char *id, const char *status, pid_t pid,
		     const char *bundle, const char *created, const char *annotations);

/* ---- oci_hooks.c ---------------------------------------------------------------------------- */

/* Run each hook of a kind in order, the state document on its stdin; a hook that fails or
 * outruns its timeout is an error naming it. */
int oci_hooks_run(const struct oci_config *c, enum oci_hook_kind k, pid_t pid, const char *status, struct err *e);
/* The same for poststart and poststop, whose failures are warnings (one line each on stderr) and
 * do not stop the rest. */
void oci_hooks_warn(const struct oci_config *c, enum oci_hook_kind k, pid_t pid, const char *status);

#endif
