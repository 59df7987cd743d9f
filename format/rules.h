/* The rules a config's values follow, written once: keelc checks them with FILE:LINE:COL, the
 * device's reader (cfg_open) with offsets, so the device enforces every rule keelc does.
 *
 * Each string rule returns NULL when the value follows it, else what was expected ("expected an
 * absolute path (no '..')"); callers add where and what was written. */
#ifndef KEEL_FORMAT_RULES_H
#define KEEL_FORMAT_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

/* ---- numeric fields: one table per record kind ------------------------------------------------ */

enum cfg_rec {
	CFG_REC_SYSTEM, CFG_REC_SYSTEM_EXT, CFG_REC_NETWORK, CFG_REC_SERVICE, CFG_REC_MOUNT, CFG_REC_IDMAP,
	CFG_REC_RLIMIT, CFG_REC_SYSCALL, CFG_REC_IOLIMIT, CFG_REC_PORT, CFG_REC_DEVICE, CFG_REC_KINDS
};

#define CFG_NUM_ZERO 0x01u      /* 0 is also allowed (the field is unset) */
#define CFG_NUM_UNSET 0x02u     /* all ones is also allowed (CFG_U32_UNSET, CFG_U64_UNSET) */
#define CFG_NUM_MAX 0x04u       /* CFG_U64_MAX ("max") is also allowed */
#define CFG_NUM_FLAGS 0x08u     /* a flag word; hi = the known bits (unknown ones: see strict) */
#define CFG_NUM_RESERVED 0x10u  /* `size` bytes that must be 0 (see strict) */
#define CFG_NUM_BITS 0x20u      /* a set of bits; hi = the bits allowed, in every minor */

struct cfg_num_rule {
	uint16_t off;               /* in the record */
	uint8_t size;               /* 2, 4 or 8 (RESERVED: any) */
	uint8_t how;                /* CFG_NUM_* */
	uint32_t lo;
	uint64_t hi;
	const char *field;
};

/* The first numeric field of `rec` (a record of kind k) that breaks its rule, or NULL. strict: the
 * file's minor is not newer than this reader's, so an unknown flag bit or a non-zero reserved byte
 * is refused; in a newer minor's file they are ignored (a newer minor gives them only meanings
 * that are safe to ignore). */
const struct cfg_num_rule *cfg_rule_nums(enum cfg_rec k, const void *rec, int strict);
/* The rule of the field at byte `off` of a record of kind k (keelc's ranges), or NULL. */
const struct cfg_num_rule *cfg_num_rule_at(enum cfg_rec k, size_t off);
uint64_t cfg_num_get(const struct cfg_num_rule *r, const void *rec);

/* ---- strings ---------------------------------------------------------------------------------- */

#define CFG_DATA_ROOT "/data"           /* the volume root when [system] names none (and in 1.0) */
#define CFG_KEEL_DIR "/data/keel"       /* keel's own state (slots, markers): never a volume */
#define CFG_MAX_VOLUME_ROOTS 16u

const char *cfg_rule_volume_root(const char *s);

#endif
