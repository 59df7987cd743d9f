/* What the text config shares between keelc (parser) and `keel check` (printer): names and defaults. */
#ifndef KEEL_FORMAT_TEXT_H
#define KEEL_FORMAT_TEXT_H

#include <stdint.h>

#include "layout.h"

/* Name <-> number tables. Lookups are case-insensitive; *_name returns NULL for unknown numbers. */
int cfg_cap_number(const char *name);          /* "NET_ADMIN" or "net_admin" (no CAP_), -1 if unknown */
const char *cfg_cap_name(unsigned n);          /* upper case, no CAP_ */
#define CFG_CAP_LAST 40                        /* CAP_CHECKPOINT_RESTORE */
int cfg_signal_number(const char *name);       /* "SIGTERM", "TERM" or "15"; -1 if unknown */
const char *cfg_signal_name(unsigned n);       /* "SIGTERM" */
int cfg_rlimit_number(const char *name);       /* "nofile"; -1 if unknown */
const char *cfg_rlimit_name(unsigned n);
int cfg_errno_number(const char *name);        /* "EPERM" or "1"; -1 if unknown */
const char *cfg_errno_name(unsigned n);

/* The values a record holds when the text config does not mention a key. The printer leaves out
 * what equals these, so both sides must agree: they live here, once. */
void cfg_system_defaults(struct cfg_system *s);
void cfg_network_defaults(struct cfg_network *n);
void cfg_service_defaults(struct cfg_service *s);
#define CFG_MOUNT_DEFAULT_FLAGS CFG_MOUNT_EXEC
#define CFG_TMPFS_DEFAULT_MODE 01777u
#define CFG_DEVICE_DEFAULT_MODE 0660u

#endif
