/* `keel ctl logs NAME --boot N`: a boot's persistent log files read by the client itself, from
 * /data/keel/log (keel-logd writes them; PID 1 is not asked). Boot 0 is this boot, -1 the one
 * before, and so on; NAME keel.init is PID 1's own lines. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../format/rules.h"
#include "../lib/file.h"
#include "commands.h"

#define MAX_BOOTS 4096

static int cmp_desc(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

static int cat(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	char buf[8192];
	ssize_t n;
	int rc = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			rc = -1;
	close(fd);
	return n < 0 ? -1 : rc;
}

int logs_boot(const char *dir, const char *name, int boot)
{
	if (strcmp(name, KEEL_LOG_INIT_NAME) && cfg_rule_name(name)) {
		fprintf(stderr, "keel ctl: logs: '%s': expected a service name or %s\n", name, KEEL_LOG_INIT_NAME);
		return 2;
	}
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "keel ctl: %s: %s (no persistent logs: log_persist in keel.conf(5))\n", dir, strerror(errno));
		return 1;
	}
	unsigned *boots = malloc(MAX_BOOTS * sizeof *boots), n = 0;
	struct dirent *de;
	while (boots && (de = readdir(d)) && n < MAX_BOOTS)
		if (log_boot_number(de->d_name))
			boots[n++] = log_boot_number(de->d_name);
	closedir(d);
	if (!boots)
		return 3;
	qsort(boots, n, sizeof *boots, cmp_desc);
	/* This boot is the directory holding this kernel's boot id; none yet: it would be the next. */
	char id[64] = "", path[4200], have[64];
	ssize_t k = file_read_small(AT_FDCWD, "/proc/sys/kernel/random/boot_id", 0, id, sizeof id);
	id[k > 0 ? strcspn(id, "\n") : 0] = '\0';
	int current = -1;
	for (unsigned i = 0; i < n && current < 0; i++) {
		snprintf(path, sizeof path, "%s/%u/boot_id", dir, boots[i]);
		k = file_read_small(AT_FDCWD, path, 0, have, sizeof have);
		if (k > 0 && (have[k] = '\0', !strcmp(have, id)))
			current = (int)i;
	}
	/* Boot 0 is current; -1 is one further down the list (when there is no current one, -1 is
	 * the newest directory). */
	long at = (current < 0 ? -1 : current) - boot;
	if (boot > 0 || at < 0 || at >= (long)n) {
		fprintf(stderr, "keel ctl: logs: no boot %d in %s (%u kept)\n", boot, dir, n);
		free(boots);
		return 1;
	}
	unsigned b = boots[at];
	free(boots);
	snprintf(path, sizeof path, "%s/%u/%s.log", dir, b, name);
	if (access(path, F_OK) < 0) {
		fprintf(stderr, "keel ctl: logs: %s: %s\n", path, strerror(errno));
		return 1;
	}
	int rc = 0;
	snprintf(path, sizeof path, "%s/%u/%s.log.1", dir, b, name); /* the older half first */
	rc |= cat(path);
	snprintf(path, sizeof path, "%s/%u/%s.log", dir, b, name);
	rc |= cat(path);
	if (rc || fflush(stdout)) {
		fprintf(stderr, "keel ctl: logs: %s: %s\n", path, strerror(errno));
		return 3;
	}
	return 0;
}
