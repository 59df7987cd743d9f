/* The kernel modules' dependency table an image carries, /lib/modules/<release>/modules.keel:
 * written by board/common/make-image from modinfo on the build host, so the device parses no
 * text (no modules.dep) and a config names only the modules it needs.
 *
 *   header  16 bytes: magic "KEELMOD1", u32 count (<= 64), u32 0
 *   record  64 bytes each, dependencies before what needs them:
 *           name[48] (the kernel's spelling, NUL-padded), u64 deps (bit j: needs record j, j < i),
 *           u32 flags (MODDEP_NET: only networking needs it), u32 0 */
#ifndef KEEL_FORMAT_MODDEPS_H
#define KEEL_FORMAT_MODDEPS_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

#define MODDEPS_MAGIC "KEELMOD1"
#define MODDEPS_MAX 64
#define MODDEP_NET 0x1u /* under kernel/net or drivers/net, and needed by no other kind of module */

struct moddep {                     /* 64 bytes */
	char name[48];
	uint64_t deps;
	uint32_t flags;
	uint32_t reserved;
};

struct moddeps {
	const struct moddep *rec;       /* points into the caller's buffer (8-byte aligned) */
	uint32_t n;
};

/* Check the whole table (sizes, names by the config's module rule, unique, deps only on earlier
 * records, flags) and point m at it; errors are one line "modules.keel: record 3: ...". */
int moddeps_parse(const uint8_t *buf, size_t len, struct moddeps *m, struct err *e);
/* The record index of `name` ('-' and '_' alike), or -1. */
int moddeps_find(const struct moddeps *m, const char *name);

#endif
