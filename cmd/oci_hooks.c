/* The OCI lifecycle hooks (config.json's hooks): each a program run with its args and env, the
 * container's state document on its stdin, bounded by its timeout. Called from the runtime's
 * own namespaces (prestart, createRuntime, poststart, poststop) and from the container's
 * (createContainer, startContainer: the container's child side calls them). */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const kind_names[OCI_HOOK_KINDS] = {"prestart", "createRuntime", "createContainer",
						       "startContainer", "poststart", "poststop"};

static int run_one(const struct oci_hook *h, const char *what, const char *state, size_t len, struct err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, errno, "%s: pipe", what);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return err_sys(e, errno, "%s: fork", what);
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(p[0], STDIN_FILENO) < 0)
			_exit(127);
		char *const def_args[] = {h->path, NULL};
		static char *const no_env[] = {NULL};
		execve(h->path, h->args ? h->args : def_args, h->env ? h->env : no_env);
		dprintf(STDERR_FILENO, "keel: %s: execve %s: %s\n", what, h->path, strerror(errno));
		_exit(127);
	}
	close(p[0]);
	/* A hook that does not read its stdin must not block us: SIGPIPE is not ours to take. */
	signal(SIGPIPE, SIG_IGN);
	ssize_t w = write(p[1], state, len);
	(void)w;
	close(p[1]);
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pl = {.fd = pfd, .events = POLLIN};
	int r = pfd < 0 ? 1 : poll(&pl, 1, h->timeout > 0 ? h->timeout * 1000 : -1);
	if (pfd >= 0)
		close(pfd);
	if (r == 0)
		kill(pid, SIGKILL);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r == 0)
		return err_set(e, ETIMEDOUT, "%s (%s): timed out after %d s", what, h->path, h->timeout);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return err_set(e, ECHILD, "%s (%s): %s %d", what, h->path, WIFEXITED(st) ? "exited with" : "killed by signal",
			       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return 0;
}

int oci_hooks_run(const struct oci_config *c, enum oci_hook_kind k, pid_t pid, const char *status, struct err *e)
{
	if (!c->nhooks[k])
		return 0;
	char *state = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&state, &len);
	if (!f)
		return err_sys(e, errno, "hooks: open_memstream");
	oci_state_write(f, c->oci_version, c->id, status, pid, c->bundle, NULL, c->annotations);
	if (fclose(f) != 0) {
		free(state);
		return err_set(e, ENOMEM, "hooks: out of memory");
	}
	int rc = 0;
	for (unsigned i = 0; i < c->nhooks[k] && rc == 0; i++) {
		char what[64];
		snprintf(what, sizeof what, "hooks.%s[%u]", kind_names[k], i);
		rc = run_one(&c->hooks[k][i], what, state, len, e);
	}
	free(state);
	return rc;
}

void oci_hooks_warn(const struct oci_config *c, enum oci_hook_kind k, pid_t pid, const char *status)
{
	struct oci_config one = *c;
	for (unsigned i = 0; i < c->nhooks[k]; i++) {
		struct err e;
		one.hooks[k] = &c->hooks[k][i];
		one.nhooks[k] = 1;
		if (oci_hooks_run(&one, k, pid, status, &e) < 0)
			fprintf(stderr, "keel: warning: %s (hook %u of %u)\n", e.msg, i + 1, c->nhooks[k]);
	}
}
