/* Tiny text helpers for reading kernel tables such as /proc/self/mountinfo without scanf. */
#ifndef KEEL_LIB_TEXT_H
#define KEEL_LIB_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Copy the idx-th (0-based) space-separated field of line into out (NUL-terminated). False when
 * the line has fewer fields or the field does not fit in outlen bytes. */
bool text_field(const char *line, unsigned idx, char *out, size_t outlen);

#endif
