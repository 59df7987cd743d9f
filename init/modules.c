/* PID 1 loads the kernel modules the config names, in its order, with finit_module(2). */
#include "modules.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "pid1.h"
#include "../lib/clock.h"
#include "klog.h"

/* finit_module says ENOENT for a module whose symbols are missing: its dependencies are not loaded
 * yet. The module's own "depends=" (in .modinfo) names them; list those not in /sys/module, so the
 * message says what to put earlier in `modules =`. Only on this error path. */
static void missing_deps(int fd, char *out, size_t size)
{
	out[0] = '\0';
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size <= 0)
		return;
	size_t len = (size_t)st.st_size;
	const char *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return;
	static const char key[] = "\0depends=";
	const char *at = memmem(m, len, key, sizeof key - 1);
	size_t used = 0;
	if (at) {
		const char *p = at + sizeof key - 1, *end = m + len;
		while (p < end && *p) {
			const char *q = p;
			while (q < end && *q && *q != ',')
				q++;
			char path[96];
			if (q > p && snprintf(path, sizeof path, "/sys/module/%.*s", (int)(q - p), p) < (int)sizeof path &&
			    access(path, F_OK) < 0) {
				int w = snprintf(out + used, size - used, "%s%.*s", used ? " " : "", (int)(q - p), p);
				if (w > 0 && (size_t)w < size - used)
					used += (size_t)w;
			}
			p = q < end && *q == ',' ? q + 1 : q;
		}
	}
	munmap((void *)m, len);
}

/* The image keeps modules flat, as /lib/modules/<release>/<name>.ko with the kernel's spelling of
 * the name ('_', not '-'), so no modules.dep is needed: the config's order is the load order. */
static int module_load(const char *release, const char *name, struct err *e)
{
	char canon[NAME_MAX];
	size_t n = strlen(name);
	if (n == 0 || n >= sizeof canon - 3 || strchr(name, '/'))
		return err_set(e, EINVAL, "modules: '%s': not a module name", name);
	for (size_t i = 0; i <= n; i++)
		canon[i] = name[i] == '-' ? '_' : name[i];
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "/lib/modules/%s/%s.ko", release, canon) >= (int)sizeof path)
		return err_set(e, ENAMETOOLONG, "modules: %s: path too long", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "modules: %s: open %s", name, path);
	long r = syscall(SYS_finit_module, fd, "", 0);
	int saved = errno;
	char deps[256] = "";
	if (r < 0 && saved == ENOENT)
		missing_deps(fd, deps, sizeof deps);
	close(fd);
	if (r < 0 && *deps)
		return err_set(e, saved, "modules: %s: unknown symbols: load %s before it (config modules =)", name, deps);
	if (r < 0 && saved != EEXIST) /* EEXIST: already loaded (or built in), which is what we want */
		return err_sys(e, saved, "modules: %s: finit_module %s", name, path);
	return 0;
}

void modules_load(const struct pid1 *p)
{
	const struct cfg *c = &p->cfg;
	struct cfg_range mods = c->system->modules;
	if (mods.count == 0)
		return;
	struct utsname u;
	if (uname(&u) < 0) {
		klog("modules: uname: %s", strerror(errno));
		return;
	}
	int64_t t0 = boot_ms();
	char names[512];
	size_t used = 0;
	uint32_t ok = 0;
	names[0] = '\0';
	for (uint32_t i = 0; i < mods.count; i++) {
		const char *name = cfg_strlist(c, mods, i);
		struct err e;
		err_clear(&e);
		if (module_load(u.release, name, &e) < 0) {
			klog("%s", e.msg);
			continue;
		}
		ok++;
		int w = snprintf(names + used, sizeof names - used, "%s%s", used ? " " : "", name);
		if (w > 0 && (size_t)w < sizeof names - used)
			used += (size_t)w;
		else if (sizeof names - used > 4)
			memcpy(names + used, " ...", 5), used = sizeof names - 1; /* the list is cut, not the count */
	}
	klog("modules: loaded %u of %u in %lld ms (%s)", ok, mods.count, (long long)(boot_ms() - t0), names);
}
