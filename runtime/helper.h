/* Starting one of keel's helper programs (helpers/: keel-dhcp) as PID 1 and `keel net-up --dhcp`
 * both do: from beside the running binary, as nobody, holding only the capabilities it needs, its
 * output (one line per message) in a pipe for the caller's loop. */
#ifndef KEEL_RUNTIME_HELPER_H
#define KEEL_RUNTIME_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/err.h"

#define HELPER_UID 65534u               /* nobody */

/* `name` beside /proc/self/exe into buf. */
int helper_path(char *buf, size_t n, const char *name, struct err *e);
/* Fork and exec `path` with argv: stdin /dev/null, stdout and stderr into a pipe whose read end
 * (O_NONBLOCK, O_CLOEXEC) goes to *out; every signal default and unblocked; uid and gid nobody,
 * no supplementary groups; the capabilities in `keep` (bit n = CAP n) permitted, effective and
 * ambient, all others out of its bounding set too; no_new_privs. Returns its pid. */
pid_t helper_spawn(const char *path, char *const argv[], uint64_t keep, int *out, struct err *e);

/* Lines from a helper's pipe: bytes appended, whole lines handed out one at a time. */
struct helper_lines {
	char buf[1024];
	size_t len;
};
/* Read what the pipe holds (non-blocking). 0: more may come; 1: end of file; -1: error. */
int helper_read(int fd, struct helper_lines *l);
/* The next whole line (NUL-terminated, without its newline), or NULL. An over-long line is cut. */
char *helper_line(struct helper_lines *l, size_t *consumed);
void helper_consume(struct helper_lines *l, size_t consumed);

#endif
