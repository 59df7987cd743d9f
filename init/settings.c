/* PID 1 applies the config's system settings: hostname, console log level, sysctls. */
#include "settings.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>

#include "../lib/file.h"
#include "pid1.h"
#include "klog.h"

/* "net.ipv4.ip_forward=1" -> write "1" to /proc/sys/net/ipv4/ip_forward. */
static int sysctl_write(const char *entry, struct err *e)
{
	const char *eq = strchr(entry, '=');
	if (!eq || eq == entry)
		return err_set(e, EINVAL, "sysctl '%s': expected key=value", entry);
	char path[PATH_MAX];
	size_t klen = (size_t)(eq - entry);
	if (klen + sizeof "/proc/sys/" > sizeof path)
		return err_set(e, ENAMETOOLONG, "sysctl '%s': key too long", entry);
	memcpy(path, "/proc/sys/", 10);
	for (size_t i = 0; i < klen; i++)
		path[10 + i] = entry[i] == '.' ? '/' : entry[i];
	path[10 + klen] = '\0';
	if (strstr(path, "/../") || strstr(path, "//"))
		return err_set(e, EINVAL, "sysctl '%s': bad key", entry);
	int r = file_write(AT_FDCWD, path, eq + 1, strlen(eq + 1));
	if (r == -1)
		return err_sys(e, errno, "sysctl %.*s: open %s", (int)klen, entry, path);
	if (r < 0)
		return err_sys(e, errno, "sysctl %.*s: write '%s'", (int)klen, entry, eq + 1);
	return 0;
}

void settings_apply(const struct pid1 *p)
{
	const struct cfg *c = &p->cfg;
	const struct cfg_system *s = c->system;
	const char *host = cfg_str(c, s->hostname);
	if (*host) {
		if (sethostname(host, strlen(host)) < 0)
			klog("hostname: %s: %s", host, strerror(errno));
		else
			klog("hostname: %s", host);
	}
	if (s->console_log_level != CFG_U32_UNSET) {
		/* SYSLOG_ACTION_CONSOLE_LEVEL: which kernel messages reach the console from now on. */
		if (klogctl(8, NULL, (int)s->console_log_level) < 0)
			klog("console log level %u: %s", s->console_log_level, strerror(errno));
		else
			klog("console log level: %u", s->console_log_level);
	}
	uint32_t ok = 0;
	for (uint32_t i = 0; i < s->sysctls.count; i++) {
		struct err e;
		err_clear(&e);
		if (sysctl_write(cfg_strlist(c, s->sysctls, i), &e) < 0)
			klog("%s", e.msg);
		else
			ok++;
	}
	if (s->sysctls.count)
		klog("sysctl: %u of %u applied", ok, s->sysctls.count);
}
