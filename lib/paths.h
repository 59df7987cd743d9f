/* keel's contract with the device's file system: every path PID 1, the commands and the helpers
 * agree on, spelled once. Three trees: /etc/keel (the factory image: read-only), /run/keel (this
 * boot: tmpfs), /data/keel (kept across boots: updates, logs). docs/architecture.md lists them. */
#ifndef KEEL_LIB_PATHS_H
#define KEEL_LIB_PATHS_H

/* The factory image. */
#define KEEL_ETC_DIR "/etc/keel"
#define KEEL_FACTORY_CONFIG KEEL_ETC_DIR "/config.bin" /* the config the device was built with */
#define KEEL_KEYS_DIR KEEL_ETC_DIR "/keys"             /* *.pub: keys a config must be signed with */
#define KEEL_FACTORY_LAYERS KEEL_ETC_DIR "/layers"     /* layer store: sha256/<hex>.img */

/* This boot. */
#define KEEL_RUN_DIR "/run/keel"
#define KEEL_CTL_SOCKET KEEL_RUN_DIR "/ctl"            /* PID 1's control socket (root only) */
#define KEEL_STATUS_DIR KEEL_RUN_DIR "/status"         /* status.txt: the services' table */
#define KEEL_NOTIFY_DIR KEEL_RUN_DIR "/notify"         /* <service>/notify: readiness sockets */
#define KEEL_CHOICE_NAME "config-choice"               /* in KEEL_RUN_DIR: which config runs, why */
#define KEEL_NET_DIR_NAME "net"                         /* in a run dir: <service>/{hosts,resolv.conf} */
#define KEEL_DHCP_RESOLV "resolv.conf"                  /* in <run dir>/net: the DNS servers DHCP gave */
#define KEEL_DHCP_NAME "keel-dhcp"                      /* the DHCP helper, beside keel */
#define KEEL_OCI_ROOT KEEL_RUN_DIR "/oci"              /* the OCI runtime's state: <id>/ (--root) */

/* Kept across boots: A/B config slots, the update layer store. */
#define KEEL_DATA_DIR "/data/keel"
#define KEEL_ACTIVE_CONFIG KEEL_DATA_DIR "/active/config.bin"
#define KEEL_PREVIOUS_CONFIG KEEL_DATA_DIR "/previous/config.bin"
#define KEEL_DATA_LAYERS KEEL_DATA_DIR "/layers"
#define KEEL_LOG_DIR KEEL_DATA_DIR "/log"              /* BOOT/NAME.log: keel-logd's files */
#define KEEL_LOG_INIT_NAME "keel.init"                 /* PID 1's own lines: BOOT/keel.init.log */

/* cgroup v2: every service's cgroup under KEEL_CGROUP_ROOT, PID 1 in its own leaf. */
#define KEEL_CGROUP_ROOT "/sys/fs/cgroup/keel"
#define KEEL_CGROUP_INIT "/sys/fs/cgroup/keel.init"

/* keel's programs beside PID 1 (make-image installs them there). */
#define KEEL_CMD_PATH "/bin/keel-cmd"                  /* the commands; the metrics file's writer */
#define KEEL_LOGD_PATH "/bin/keel-logd"                /* the log writer */
#define KEEL_LOGD_ROOT KEEL_RUN_DIR "/logd"            /* keel-logd's tmpfs root, in its namespace */

/* The console shell and the rescue shell. */
#define KEEL_SHELL "/bin/sh"

#include <stddef.h>
#include <stdint.h>

/* A layer store (KEEL_FACTORY_LAYERS, KEEL_DATA_LAYERS, keel-pack's OUT/layers) keeps each layer
 * image as STORE/sha256/<64 hex>.img, named by its SHA-256. Writes that path into buf (lib/paths.c);
 * -1 with errno ENAMETOOLONG when it does not fit. */
#define LAYER_PATH_MAX 4096
/* KEEL_LOG_DIR holds a directory per boot named by its number (1, 2, ...: digits, no leading 0);
 * the number of such a name, 0 for any other. keel-logd writes them, keel ctl logs --boot reads. */
unsigned log_boot_number(const char *name);
int layer_path(char *buf, size_t size, const char *store, const uint8_t digest[32]);
/* Its dm-verity hash tree beside it, STORE/sha256/<64 hex>.verity (the device builds it when
 * missing; keel-pack writes it, so factory images ship it). */
int layer_tree_path(char *buf, size_t size, const char *store, const uint8_t digest[32]);

#endif
