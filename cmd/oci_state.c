/* What an OCI container leaves between invocations of the runtime: a directory <root>/<id> with
 * the state file (pid, its start time, bundle, cgroup, creation time), a copy of config.json
 * (hooks and annotations for later verbs) and, until `start`, the exec.fifo the container waits
 * on. Its status is read from the process itself: a pid whose start time differs is another
 * process, the container is stopped. */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/file.h"

static int valid_id(const char *id)
{
	if (!*id || strlen(id) > 255 || !strcmp(id, ".") || !strcmp(id, ".."))
		return 0;
	for (const char *c = id; *c; c++)
		if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') && !(*c >= '0' && *c <= '9') &&
		    !strchr("_+-.", *c))
			return 0;
	return 1;
}

static int prepare(struct oci_state *s, const char *root, const char *id, struct err *e)
{
	memset(s, 0, sizeof *s);
	s->dirfd = -1;
	if (!valid_id(id))
		return err_set(e, EINVAL, "container id '%s': expected letters, digits and _+-. only", id);
	if ((size_t)snprintf(s->dir, sizeof s->dir, "%s/%s", root, id) >= sizeof s->dir)
		return err_set(e, ENAMETOOLONG, "--root %s: too long", root);
	return 0;
}

static int lock(struct oci_state *s, struct err *e)
{
	s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return err_sys(e, errno, "open %s", s->dir);
	if (flock(s->dirfd, LOCK_EX) < 0) {
		err_sys(e, errno, "lock %s", s->dir);
		close(s->dirfd);
		s->dirfd = -1;
		return -1;
	}
	return 0;
}

int oci_state_create(struct oci_state *s, const char *root, const char *id, struct err *e)
{
	if (prepare(s, root, id, e) < 0 || mkdir_p(root, 0700, e) < 0)
		return -1;
	if (mkdir(s->dir, 0700) < 0)
		return errno == EEXIST ? err_set(e, EEXIST, "container '%s' exists already", id)
				       : err_sys(e, errno, "mkdir %s", s->dir);
	return lock(s, e);
}

int oci_state_open(struct oci_state *s, const char *root, const char *id, struct err *e)
{
	if (prepare(s, root, id, e) < 0)
		return -1;
	if (access(s->dir, F_OK) < 0)
		return errno == ENOENT ? err_set(e, ENOENT, "container '%s' does not exist", id)
				       : err_sys(e, errno, "%s", s->dir);
	if (lock(s, e) < 0)
		return -1;
	char buf[16384];
	ssize_t n = file_read_small(s->dirfd, "state", 0, buf, sizeof buf);
	if (n < 0)
		return 0; /* being created, or the creator died first: no process to speak of */
	for (char *line = buf, *next; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(line, "pid"))
			s->pid = (pid_t)atoi(eq);
		else if (!strcmp(line, "start"))
			s->start = strtoull(eq, NULL, 10);
		else if (!strcmp(line, "bundle"))
			snprintf(s->bundle, sizeof s->bundle, "%s", eq);
		else if (!strcmp(line, "cgroup"))
			snprintf(s->cgroup, sizeof s->cgroup, "%s", eq);
		else if (!strcmp(line, "created"))
			snprintf(s->created, sizeof s->created, "%s", eq);
		else if (!strcmp(line, "hooks"))
			s->hooks = (unsigned)strtoul(eq, NULL, 10);
	}
	return 0;
}

int oci_state_save(struct oci_state *s, struct err *e)
{
	char buf[16384];
	int n = snprintf(buf, sizeof buf, "pid=%d\nstart=%llu\nbundle=%s\ncgroup=%s\ncreated=%s\nhooks=%u\n", (int)s->pid,
			 s->start, s->bundle, s->cgroup, s->created, s->hooks);
	if (n < 0 || (size_t)n >= sizeof buf)
		return err_set(e, E2BIG, "%s/state: too long", s->dir);
	return file_put_volatile_at(s->dirfd, s->dir, "state", buf, (size_t)n, 0600, e);
}

void oci_state_close(struct oci_state *s)
{
	/* Unlocked explicitly: a container created meanwhile holds a copy of the descriptor until
	 * it execs, and a flock lives as long as any copy does. */
	if (s->dirfd >= 0) {
		flock(s->dirfd, LOCK_UN);
		close(s->dirfd);
	}
	s->dirfd = -1;
}

unsigned long long oci_proc_start(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (file_read_small(AT_FDCWD, path, 0, buf, sizeof buf) < 0)
		return 0;
	/* comm may hold spaces and parentheses: count fields after the last ')'. State is field 3,
	 * the start time field 22. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return 0; /* exited: not running whatever it was */
	for (int f = 3; f < 22 && p; f++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

const char *oci_state_status(const struct oci_state *s)
{
	if (s->pid <= 0)
		return "creating";
	if (oci_proc_start(s->pid) != s->start || !s->start)
		return "stopped";
	return faccessat(s->dirfd, "exec.fifo", F_OK, 0) == 0 ? "created" : "running";
}

int oci_state_pidfd(const struct oci_state *s)
{
	if (s->pid <= 0)
		return -1;
	int fd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	/* Opened, then checked: a pid reused before the open would show another start time. */
	if (fd >= 0 && oci_proc_start(s->pid) != s->start) {
		close(fd);
		return -1;
	}
	return fd;
}

int oci_state_remove(struct oci_state *s, struct err *e)
{
	static const char *const files[] = {"state", "config.json", "exec.fifo"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		if (unlinkat(s->dirfd, files[i], 0) < 0 && errno != ENOENT)
			return err_sys(e, errno, "%s/%s", s->dir, files[i]);
	if (rmdir(s->dir) < 0)
		return err_sys(e, errno, "rmdir %s", s->dir);
	oci_state_close(s);
	return 0;
}

void oci_state_write(FILE *f, const char *version, const char *id, const char *status, pid_t pid,
		     const char *bundle, const char *created, const char *annotations)
{
	fprintf(f, "{\n  \"ociVersion\": ");
	oci_json_string(f, version);
	fprintf(f, ",\n  \"id\": ");
	oci_json_string(f, id);
	fprintf(f, ",\n  \"status\": \"%s\",\n  \"pid\": %d,\n  \"bundle\": ", status,
		strcmp(status, "stopped") ? (int)pid : 0);
	oci_json_string(f, bundle);
	if (created) {
		fprintf(f, ",\n  \"created\": ");
		oci_json_string(f, created);
	}
	fprintf(f, ",\n  \"annotations\": %s\n}\n", annotations && *annotations ? annotations : "{}");
}
