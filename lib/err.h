/* The error object every fallible keel function fills: an errno-style code and one line of context. */
#ifndef KEEL_LIB_ERR_H
#define KEEL_LIB_ERR_H

#include <stdarg.h>

#define ERR_MSG_MAX 512

/* Callers own the object (usually on the stack); nothing here allocates. A message that does not
 * fit is cut, never overflowed. Context is added on the way up with err_prefix():
 *   "config.bin: " + "service 'web': " + "memory_max: expected bytes, got 'lots'". */
struct err {
	int code;               /* errno value, or 0 when the failure has no errno */
	char msg[ERR_MSG_MAX];  /* one line, no trailing newline */
};

/* Set the message (printf-style) and code; returns -1 so callers can `return err_set(...)`. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* As err_set, then append ": strerror(code)". */
int err_sys(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prepend context: "<prefix><old message>"; returns -1. */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(struct err *e);

#endif
