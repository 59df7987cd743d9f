/* keel-logd's input (logd_record.c): PID 1's records, one a line, "SEV MS PID NAME TEXT"
 * (init/logd.c writes them). PID 1 is trusted, the text is not: it is whatever a service printed. */
#ifndef KEEL_HELPERS_LOGD_RECORD_H
#define KEEL_HELPERS_LOGD_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define LOGD_NAME_MAX 32          /* a service name's bytes ([a-z0-9_-]) */
#define LOGD_INIT_NAME "keel"     /* NAME "-": PID 1's own; syslog APP-NAME "keel" */

struct logd_rec {
	unsigned sev;             /* syslog severity 0..7 */
	int64_t ms;               /* boot time (CLOCK_BOOTTIME) of the line, ms */
	int pid;                  /* 0: unknown */
	char name[LOGD_NAME_MAX + 1]; /* a service's name, or "" for PID 1's own */
	const char *text;         /* into the caller's buffer, not NUL-terminated */
	size_t len;
};

/* One record of n bytes, without its newline. 0, or -1 when it is malformed (then r is unset). A
 * name becomes a file name: only [a-z0-9_-]{1,32} or "-" pass. */
int logd_record_parse(const char *b, size_t n, struct logd_rec *r);

#endif
