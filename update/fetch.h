/* The trusted side's handle on keel-fetch (helpers/keel-fetch.c): it starts the fetcher in a
 * sandbox and talks to it over two pipes, one line each way.
 *
 * The sandbox: own mount, pid, ipc and uts namespaces (the device's network namespace: the
 * uplink), a read-only tmpfs root holding only /keel-fetch, /etc/ca.pem, /etc/resolv.conf and
 * /etc/hosts (when the device has them) and /staging (the one writable directory: <data>/staging,
 * nodev, nosuid, noexec), uid and gid KEEL_FETCH_UID, no supplementary groups, no capabilities,
 * no_new_privs, not dumpable, a seccomp allowlist (update/fetch_policy.c), at most 64 open files.
 *
 * The protocol (keel update -> keel-fetch, then its answers):
 *   auth USER:PASSWORD                         (no answer)
 *   resolve           -> manifest sha256:HEX BYTES, config sha256:HEX SIZE, layer sha256:HEX SIZE..., end
 *   get sha256:HEX SIZE -> ok sha256:HEX SIZE RESUMED_AT RECEIVED   (the blob is staging/<hex>)
 *   quit
 * Any command may be answered "error MESSAGE" instead. Every answer is untrusted: sizes only
 * bound the work, digests only name what to ask for; the bytes are checked by the caller. */
#ifndef KEEL_UPDATE_FETCH_H
#define KEEL_UPDATE_FETCH_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../lib/err.h"

#define KEEL_FETCH_UID 65532u           /* the fetcher's uid and gid: no file on the device has it */
#define FETCH_LINE_MAX 1024
#define FETCH_HOSTS_MAX 16

struct fetch_opts {
	const char *binary;             /* keel-fetch (beside keel-cmd) */
	const char *ref;
	const char *ca;                 /* NULL with plain_http */
	bool plain_http;
	const char *staging;            /* <data>/staging, owned by KEEL_FETCH_UID */
	const char *root;               /* an empty directory the sandbox's root is mounted on */
	char hosts[FETCH_HOSTS_MAX][96];/* "name=a.b.c.d" */
	unsigned nhosts;
	int64_t not_before;             /* the clock certificates are checked at is not earlier */
	uint64_t hold_after;            /* tests (--test-hooks): the fetcher holds after this many bytes */
};

struct fetch_proc {
	pid_t pid;
	int pidfd;
	FILE *to, *from;
};

/* Start the fetcher; nothing is left running on failure. */
int fetch_start(struct fetch_proc *p, const struct fetch_opts *o, struct err *e);
/* One command line (no newline in it). */
int fetch_send(struct fetch_proc *p, const char *line, struct err *e);
/* One answer line into buf (NUL-terminated, newline removed; control bytes shown as '?');
 * -1 when the fetcher ended or sent a line over FETCH_LINE_MAX. */
int fetch_recv(struct fetch_proc *p, char *buf, size_t cap, struct err *e);
/* Ask it to quit, wait (bounded; then killed), reap. Returns its exit status as a shell shows it. */
int fetch_stop(struct fetch_proc *p);
/* The syscalls the fetcher may make (update/fetch_policy.c). */
extern const char *const fetch_syscalls[];
extern const unsigned fetch_nsyscalls;
#endif
