/* What an OCI process adds to a keel service's last steps (process.h), linked only by the OCI
 * CLI: its AppArmor profile, oom_score_adj and personality, and the PATH search for its program. */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_self(const char *file, const char *value, struct err *e)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, value, strlen(value));
	int err = errno;
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)strlen(value))
		return err_sys(e, err, "write '%s' to %s", value, file);
	return 0;
}

int process_oci_setup(const struct ctr_process *p, struct err *e)
{
	/* AppArmor: the profile the next execve enters, as runc sets it. */
	if (p->apparmor) {
		char v[300];
		snprintf(v, sizeof v, "exec %s", p->apparmor);
		const char *f = access("/proc/self/attr/apparmor/exec", F_OK) == 0 ? "/proc/self/attr/apparmor/exec"
										   : "/proc/self/attr/exec";
		if (write_self(f, v, e) < 0)
			return err_prefix(e, "apparmor profile '%s': ", p->apparmor);
	}
	if (p->personality >= 0 && personality((unsigned long)p->personality) < 0)
		return err_sys(e, errno, "personality 0x%lx", p->personality);
	if (p->set_oom_score_adj) {
		char v[16];
		snprintf(v, sizeof v, "%d", p->oom_score_adj);
		if (write_self("/proc/self/oom_score_adj", v, e) < 0)
			return -1;
	}
	return 0;
}

/* As runc words it: podman turns "executable file not found in $PATH" and "no such file or
 * directory" into exit code 127, "permission denied" into 126. */
int process_find_program(const struct ctr_process *p, char *out, size_t size, struct err *e)
{
	const char *prog = p->argv[0];
	struct stat st;
	if (strchr(prog, '/')) {
		snprintf(out, size, "%s", prog);
		if (stat(prog, &st) < 0)
			return err_set(e, errno, "exec: \"%s\": stat %s: %s", prog, prog,
				       errno == ENOENT ? "no such file or directory" : strerror(errno));
		if (!S_ISREG(st.st_mode) || access(prog, X_OK) < 0)
			return err_set(e, EACCES, "exec: \"%s\": permission denied", prog);
		return 0;
	}
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (char *const *v = p->envp; *v; v++)
		if (!strncmp(*v, "PATH=", 5))
			path = *v + 5;
	int denied = 0;
	for (const char *d = path;;) {
		size_t n = strcspn(d, ":");
		int k = snprintf(out, size, "%.*s/%s", (int)n, n ? d : ".", prog);
		if (k > 0 && (size_t)k < size && stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			denied = 1;
		}
		if (!d[n])
			break;
		d += n + 1;
	}
	if (denied)
		return err_set(e, EACCES, "exec: \"%s\": permission denied", prog);
	return err_set(e, ENOENT, "exec: \"%s\": executable file not found in $PATH", prog);
}
