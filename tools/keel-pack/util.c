/* keel-pack's small helpers: run a tool, extract a tar, remove a temporary tree, hash a file. */
#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int pathf(struct err *e, char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= n)
		return err_set(e, ENAMETOOLONG, "path too long: %.80s...", buf);
	return 0;
}

/* The tool's stderr is collected so that a failure is still one line: ours, ending with the
 * tool's first line of complaint. On success whatever it said is passed on. */
int run_cmd(char *const argv[], struct err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return err_sys(e, errno, "pipe for %s", argv[0]);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return err_sys(e, errno, "fork for %s", argv[0]);
	}
	if (pid == 0) {
		dup2(p[1], 2);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	char msg[1024];
	size_t len = 0;
	for (;;) {
		char chunk[4096];
		ssize_t n = read(p[0], chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t take = (size_t)n < sizeof msg - 1 - len ? (size_t)n : sizeof msg - 1 - len;
		memcpy(msg + len, chunk, take);
		len += take;
	}
	close(p[0]);
	msg[len] = '\0';
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return err_sys(e, errno, "wait for %s", argv[0]);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		fputs(msg, stderr);
		return 0;
	}
	msg[strcspn(msg, "\n")] = '\0';
	if (WIFEXITED(st))
		return err_set(e, 0, "%s failed (exit status %d)%s%s", argv[0], WEXITSTATUS(st),
			       msg[0] ? ": " : "", msg);
	return err_set(e, 0, "%s killed by signal %d", argv[0], WTERMSIG(st));
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	if (type == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

int rm_rf(const char *path)
{
	return nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* GNU tar as root keeps numeric owners, modes, device nodes and every xattr, recognises the
 * compression by its magic, and refuses absolute and ".." member names. */
int tar_extract(const char *tar, const char *dir, struct err *e)
{
	char *argv[] = {"tar", "-x", "--numeric-owner", "--same-owner", "--same-permissions",
			"--xattrs", "--xattrs-include=*", "-f", (char *)tar,
			"-C", (char *)dir, NULL};
	if (run_cmd(argv, e) != 0)
		return err_prefix(e, "%s: extract: ", tar);
	return 0;
}

int hash_file(const char *path, uint8_t out[DIGEST_LEN], uint64_t *size, struct err *e)
{
	enum { BUFLEN = 256 << 10 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "%s", path);
	uint8_t *buf = malloc(BUFLEN);
	int rc = buf ? digest_fd(fd, buf, BUFLEN, out, size, e) : err_set(e, ENOMEM, "out of memory");
	free(buf);
	close(fd);
	if (rc != 0)
		return err_prefix(e, "%s: ", path);
	return 0;
}
