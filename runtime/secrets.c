/* A service's env_file and secrets (format 1.2): opened as the host's root, held to "root's alone",
 * the secrets copied into a small tmpfs of the service's own, the env_file's lines added to its
 * environment. All of it runs in the container's child, at each start. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"

#define SECRET_MAX (64u << 10) /* bytes of one secret or env_file */

/* Opened by descriptor beneath its volume root and checked on that descriptor: what is checked is
 * what is read. */
static int open_private(const struct cfg *c, const char *what, const char *path, struct err *e)
{
	const char *root;
	int fd = mounts_open_beneath(c, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, &root);
	if (fd < 0) {
		if (errno == ELOOP)
			return err_set(e, ELOOP, "%s %s: a symlink in the path (none is followed)", what, path);
		return err_sys(e, errno, "%s %s", what, path);
	}
	struct stat st;
	const char *why = NULL;
	if (fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_uid != 0 || (st.st_mode & 077))
		why = "readable or writable by others than root (want owner root, mode 0600 or 0400)";
	else if (st.st_size > SECRET_MAX)
		why = "larger than 64 KiB";
	if (why) {
		close(fd);
		return err_set(e, EPERM, "%s %s: owner %u, mode %04o: %s", what, path, (unsigned)st.st_uid,
			       (unsigned)(st.st_mode & 07777), why);
	}
	return fd;
}

int secrets_open(const struct cfg *c, const struct cfg_service *svc, struct secret_files *f, struct err *e)
{
	const struct cfg_service_ops *o = cfg_service_ops(c, svc);
	f->env = -1;
	f->n = 0;
	f->env_path = cfg_str(c, o->env_file);
	if (o->env_file && (f->env = open_private(c, "env_file", f->env_path, e)) < 0)
		return -1;
	for (uint32_t i = 0; i < o->secrets.count && i < CFG_MAX_SECRETS; i++) {
		const struct cfg_secret *x = cfg_secret(c, o->secrets, i);
		int fd = open_private(c, "secret", cfg_str(c, x->source), e);
		if (fd < 0) {
			secrets_close(f);
			return -1;
		}
		f->target[f->n] = cfg_str(c, x->target);
		f->fd[f->n++] = fd;
	}
	return 0;
}

int secrets_open_env(const struct cfg *c, const struct cfg_service *svc, struct secret_files *f, struct err *e)
{
	const struct cfg_service_ops *o = cfg_service_ops(c, svc);
	f->env = -1;
	f->n = 0;
	f->env_path = cfg_str(c, o->env_file);
	return o->env_file && (f->env = open_private(c, "env_file", f->env_path, e)) < 0 ? -1 : 0;
}

void secrets_close(struct secret_files *f)
{
	if (f->env >= 0)
		close(f->env);
	for (uint32_t i = 0; i < f->n; i++)
		close(f->fd[i]);
	f->env = -1;
	f->n = 0;
}

/* The whole file (at most SECRET_MAX, checked at open) into a malloc'd buffer, NUL-terminated. */
static char *slurp(int fd, size_t *len)
{
	char *b = malloc(SECRET_MAX + 1);
	size_t n = 0;
	ssize_t r;
	while (b && n < SECRET_MAX && ((r = read(fd, b + n, SECRET_MAX - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	if (b)
		b[n] = '\0';
	*len = n;
	return b;
}

static int copy_one(int from, const char *path, uid_t uid, gid_t gid, struct err *e)
{
	size_t n;
	char *b = slurp(from, &n);
	int fd = b ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400) : -1; /* in the
		fresh tmpfs, after the pivot: nothing there to follow */
	int rc = fd < 0 || write(fd, b, n) != (ssize_t)n || fchown(fd, uid, gid) < 0 ? -1 : 0;
	int saved = errno;
	free(b);
	if (fd >= 0)
		close(fd);
	return rc < 0 ? err_sys(e, saved, "secret %s", path) : 0;
}

int secrets_install(const struct secret_files *f, uid_t uid, gid_t gid, struct err *e)
{
	const char *dir = CFG_SECRETS_DIR;
	for (uint32_t i = 0; i < f->n; i++)
		if (copy_one(f->fd[i], f->target[i], uid, gid, e) < 0)
			return -1;
	/* The service owns its copies (it may read them) but may not change them. */
	if (mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return err_sys(e, errno, "secrets: remount %s read-only", dir);
	return 0;
}

int secrets_env(const struct secret_files *f, char **envp, int n, int max, struct err *e)
{
	size_t len;
	char *b = slurp(f->env, &len); /* kept: envp points into it until execve */
	if (!b)
		return err_set(e, ENOMEM, "env_file %s: out of memory", f->env_path);
	return secrets_env_parse(f->env_path, b, len, envp, n, max, e);
}

int secrets_env_parse(const char *path, char *b, size_t len, char **envp, int n, int max, struct err *e)
{
	if (memchr(b, '\0', len))
		return err_set(e, EINVAL, "env_file %s: a NUL byte", path);
	int line = 0;
	for (char *l = b, *next; l < b + len; l = next) {
		char *nl = memchr(l, '\n', (size_t)(b + len - l));
		next = nl ? nl + 1 : b + len;
		if (nl)
			*nl = '\0';
		line++;
		l += strspn(l, " \t");
		size_t k = strlen(l);
		if (k && l[k - 1] == '\r')
			l[--k] = '\0';
		if (!*l || *l == '#')
			continue;
		/* The message names the line, never what it holds: it may be a secret. */
		if (cfg_rule_env(l))
			return err_set(e, EINVAL, "env_file %s: line %d: expected NAME=value", path, line);
		size_t name = (size_t)(strchr(l, '=') - l) + 1;
		int at = n;
		for (int i = 0; i < n; i++)
			if (!strncmp(envp[i], l, name))
				at = i;
		if (at == n && n == max)
			return err_set(e, E2BIG, "env_file %s: more than %d environment entries in all", path, max);
		envp[at] = l;
		n += at == n;
	}
	return n;
}
