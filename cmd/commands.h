/* The multi-call CLI's commands: one function each, in its own file, dispatched by cmd/main.c. */
#ifndef KEEL_CMD_COMMANDS_H
#define KEEL_CMD_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"
#include "../lib/paths.h"

#define KEEL_VERSION "0.2.0"

/* Each returns the process exit status. argv[0] is the command name ("check", "run", ...). */
int cmd_check(int argc, char **argv);   /* cmd/check.c: validate a binary config, print it as text */
int cmd_run(int argc, char **argv);     /* cmd/run.c: run one service in the foreground */
int cmd_net_up(int argc, char **argv);  /* cmd/net_up.c: every network of a config up */
int cmd_ctl(int argc, char **argv);     /* cmd/ctl.c: a request to the running PID 1 */
int cmd_update(int argc, char **argv);  /* cmd/update.c: install an update bundle */
/* cmd/oci_main.c: the OCI runtime CLI; argv[0] is the first of runc's global options or the verb
 * (create, start, state, kill, delete, run, exec, features, --version). */
int cmd_oci(int argc, char **argv);
/* Whether `keel run ARGS` is the OCI verb (one container id, or runc's options) rather than
 * `keel run CONFIG.bin SERVICE`. */
int cmd_oci_run_is_oci(int argc, char **argv);

/* cmd/ctl.c: one request line to PID 1's control socket, the answer's body on stdout; the
 * exit status as keel ctl's (0 OK, 1 refused with the reason on stderr, 3 not reached). */
int ctl_call(const char *path, const char *req);
/* The same, the body into buf (NUL-terminated; an error when it does not fit). */
int ctl_fetch(const char *path, const char *req, char *buf, size_t cap);
/* cmd/metrics.c: `keel ctl metrics` to stdout, or to textfile (atomically) every interval seconds
 * (0: once). Returns the exit status. */
int metrics_cmd(const char *sock, const char *textfile, unsigned interval);
/* cmd/logs_boot.c: `keel ctl logs NAME --boot N` from the persistent files under dir; exit status. */
int logs_boot(const char *dir, const char *name, int boot);

#endif
