/* The data partition: /data from the factory config's device, else a tmpfs with a warning, so
 * /data/keel (updated configs and layers) always exists. */
#include "data.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pid1.h"
#include "klog.h"

#define DEV_WAIT_MS 3000 /* the block driver was just loaded: its disk may appear a moment later */

/* "noatime,nodev" style words become flags; anything else goes to the file system as data. */
static unsigned long split_options(const char *opts, char *data, size_t size)
{
	static const struct { const char *name; unsigned long flag; } words[] = {
		{"ro", MS_RDONLY}, {"noatime", MS_NOATIME}, {"nodiratime", MS_NODIRATIME},
		{"relatime", MS_RELATIME}, {"noexec", MS_NOEXEC}, {"sync", MS_SYNCHRONOUS},
	};
	unsigned long flags = 0;
	size_t used = 0;
	data[0] = '\0';
	while (*opts) {
		size_t n = strcspn(opts, ", ");
		size_t i = 0;
		for (; i < sizeof words / sizeof words[0]; i++)
			if (strlen(words[i].name) == n && !strncmp(opts, words[i].name, n))
				break;
		if (i < sizeof words / sizeof words[0])
			flags |= words[i].flag;
		else if (n && used + n + 2 < size) {
			if (used)
				data[used++] = ',';
			memcpy(data + used, opts, n);
			used += n;
			data[used] = '\0';
		}
		opts += n;
		opts += strspn(opts, ", ");
	}
	return flags;
}

void data_mount(const struct pid1 *p)
{
	if (mkdir("/data", 0755) < 0 && errno != EEXIST)
		klog("data: mkdir /data: %s", strerror(errno));
	const char *dev = p->cfg_ok ? cfg_str(&p->cfg, p->cfg.system->data_device) : "";
	if (*dev) {
		const char *fs = cfg_str(&p->cfg, p->cfg.system->data_fstype);
		char data[256];
		unsigned long flags = split_options(cfg_str(&p->cfg, p->cfg.system->data_options), data, sizeof data);
		for (int waited = 0; access(dev, F_OK) < 0 && errno == ENOENT && waited < DEV_WAIT_MS; waited += 50)
			nanosleep(&(struct timespec){.tv_nsec = 50 * 1000000L}, NULL);
		/* nodev, nosuid: what lands on /data arrives by updates and volumes, never devices. */
		if (mount(dev, "/data", *fs ? fs : "ext4", flags | MS_NODEV | MS_NOSUID, data) == 0) {
			klog("data: %s (%s) on /data", dev, *fs ? fs : "ext4");
			if (mkdir(KEEL_DATA_DIR, 0700) < 0 && errno != EEXIST)
				klog("data: mkdir /data/keel: %s", strerror(errno));
			return;
		}
		klog("data: %s: mount %s: %s; WARNING: /data is a tmpfs, nothing written there survives a reboot",
		     dev, *fs ? fs : "ext4", strerror(errno));
	} else {
		klog("data: no data partition in the config; /data is a tmpfs");
	}
	if (mount("data", "/data", "tmpfs", MS_NODEV | MS_NOSUID, "mode=0755") < 0)
		klog("data: tmpfs on /data: %s", strerror(errno));
	if (mkdir(KEEL_DATA_DIR, 0700) < 0 && errno != EEXIST)
		klog("data: mkdir /data/keel: %s", strerror(errno));
}
