/* Value syntax of the text config; each returns 0 or -1 (the caller writes the message). */
#ifndef KEELC_VALUES_H
#define KEELC_VALUES_H

#include <stdint.h>

int val_u64(const char *s, uint64_t *out);                         /* decimal */
int val_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
int val_size(const char *s, uint64_t *out);                        /* 64M: K/M/G/T are powers of 1024 */
int val_duration_ms(const char *s, uint64_t *out);                 /* 100ms 10s 5m 1h */
int val_bool(const char *s, int *out);                             /* yes/no/true/false */
int val_ipv4(const char *s, uint32_t *out);                        /* host order */
int val_cidr(const char *s, uint32_t *addr, uint32_t *prefix);     /* 10.0.0.1/24 */
int val_ipv6(const char *s, uint8_t a[16], uint32_t *prefix);     /* fd88::1/64; prefix NULL: no /N */
int val_syscall(const char *s);                                    /* a syscall of x86_64 or arm64 */

#endif
