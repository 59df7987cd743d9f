/* keel's own version, spelled once: `keel --version`, the config's min_keel check ([update]
 * min_keel: the oldest keel that understands a config), keelc's default for it, and the build time
 * the device clock never runs behind. */
#ifndef KEEL_LIB_VERSION_H
#define KEEL_LIB_VERSION_H
#include <stdint.h>

#define KEEL_VERSION_MAJOR 0
#define KEEL_VERSION_MINOR 2
#define KEEL_VERSION_PATCH 0
#define KEEL_VERSION "0.2.0"
/* A version as one number that compares in order: major << 16 | minor << 8 | patch. */
#define KEEL_VERSION_CODE_OF(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))
#define KEEL_VERSION_CODE KEEL_VERSION_CODE_OF(KEEL_VERSION_MAJOR, KEEL_VERSION_MINOR, KEEL_VERSION_PATCH)
/* The oldest keel that reads every section this tree's keelc writes (0.2.0 added the release
 * section): keelc's min_keel when the text names none. A change that adds a REQUIRED section
 * raises it to the version that brings the section. */
#define KEEL_FORMAT_FLOOR KEEL_VERSION_CODE_OF(0, 2, 0)

/* Seconds since the epoch when this tree was committed (the Makefile passes git's commit time as
 * KEEL_BUILD_TIME to lib/version.c only; 0 outside a git tree): the device's clock never starts
 * earlier (docs/update.md, "The clock"). */
extern const int64_t keel_build_time;

/* "1.2.3" -> its code; -1 on anything else (each part 0..255). */
int64_t keel_version_parse(const char *s);
/* A code -> "1.2.3" into out (at least 12 bytes). */
void keel_version_str(uint32_t code, char out[12]);
#endif
