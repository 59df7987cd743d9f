/* The OCI runtime CLI (docs/keel-oci.1.md): runc's global options, then one of the verbs of the
 * runtime spec's lifecycle (runtime.md) over the state kept in <root>/<id> (oci_state.c).
 * `create` leaves the container set up and waiting on its exec.fifo, a child of the caller (a
 * subreaper such as conmon adopts it when we exit); `start` releases it; `delete` removes what
 * is left. */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>

#include "../format/syscall_abis.h"
#include "../format/text.h"
#include "../lib/file.h"
#include "../lib/paths.h"
#include "../runtime/exec.h"
#include "commands.h"

struct global {
	const char *root;
	const char *log;
	bool log_json;
	bool systemd;
	const char *verb;
};

static void say(const struct global *g, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(const struct global *g, const char *level, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX + 128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "keel: %s\n", msg);
	if (!g || !g->log)
		return;
	FILE *f = fopen(g->log, "ae");
	if (!f)
		return;
	time_t now = time(NULL);
	struct tm tm;
	char ts[40];
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	if (g->log_json) {
		fprintf(f, "{\"level\":\"%s\",\"msg\":", level);
		oci_json_string(f, msg);
		fprintf(f, ",\"time\":\"%s\"}\n", ts);
	} else {
		fprintf(f, "time=\"%s\" level=%s msg=", ts, level);
		oci_json_string(f, msg);
		fputc('\n', f);
	}
	fclose(f);
}

static int fail(const struct global *g, struct err *e)
{
	say(g, "error", "%s: %s", g->verb, e->msg);
	return 1;
}

static int usage_error(const struct global *g, const char *fmt, const char *arg)
{
	char m[512];
	snprintf(m, sizeof m, fmt, arg);
	say(g, "error", "%s: %s (try keel %s --help)", g->verb, m, g->verb);
	return 2;
}

/* "--name value", "--name=value" or "-n value": the value, advancing *i; NULL when argv[*i] is
 * not this option. *missing is set when the value is absent. */
static const char *opt_value(int argc, char **argv, int *i, const char *lng, const char *shrt, int *missing)
{
	const char *a = argv[*i];
	size_t n = strlen(lng);
	if (!strncmp(a, lng, n) && a[n] == '=')
		return a + n + 1;
	if (strcmp(a, lng) && (!shrt || strcmp(a, shrt)))
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

static bool is_flag(const char *a, const char *lng, const char *shrt)
{
	return !strcmp(a, lng) || (shrt && !strcmp(a, shrt));
}

static void now_rfc3339(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
}

/* The pid file, whole or not at all (conmon reads it as soon as we exit). */
static int write_pid_file(const char *path, pid_t pid, struct err *e)
{
	char dir[4096], val[24];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	const char *name = path;
	if (slash) {
		*slash = '\0';
		name = slash + 1;
		if (!*dir)
			strcpy(dir, "/");
	} else {
		strcpy(dir, ".");
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(e, errno, "--pid-file %s", path);
	int n = snprintf(val, sizeof val, "%d", (int)pid);
	int rc = file_put_volatile_at(dfd, dir, name, val, (size_t)n, 0644, e);
	close(dfd);
	return rc;
}

static int connect_console(const char *path, struct err *e)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof a.sun_path)
		return err_set(e, ENAMETOOLONG, "--console-socket %s: too long", path);
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(e, errno, "--console-socket: socket");
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		int err = errno;
		close(fd);
		return err_sys(e, err, "--console-socket %s: connect", path);
	}
	return fd;
}

/* ---- create --------------------------------------------------------------------------------- */

struct create_ctx {
	struct oci_config *c;
	int fifo, console;
};

static int hook_before_pivot(void *arg, pid_t pid, struct err *e)
{
	struct create_ctx *x = arg;
	if (oci_hooks_run(x->c, OCI_HOOK_PRESTART, pid, "created", e) < 0 ||
	    oci_hooks_run(x->c, OCI_HOOK_CREATE_RUNTIME, pid, "created", e) < 0)
		return -1;
	return 0;
}

static int hook_child_before_pivot(void *arg, pid_t pid, struct err *e)
{
	struct create_ctx *x = arg;
	return oci_hooks_run(x->c, OCI_HOOK_CREATE_CONTAINER, pid, "created", e);
}

static int hook_child_after_pivot(void *arg, const struct container_spec *s, struct err *e)
{
	struct create_ctx *x = arg;
	(void)s;
	return x->console >= 0 ? console_setup(x->console, x->c->rows, x->c->cols, e) : 0;
}

static int hook_child_before_exec(void *arg, int sync, pid_t pid, struct err *e)
{
	struct create_ctx *x = arg;
	if (container_child_ready(sync, e) < 0)
		return -1;
	char b;
	ssize_t r;
	do
		r = read(x->fifo, &b, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(1); /* deleted before it was started */
	/* The fifo stays open until execve closes it (O_CLOEXEC): `start` waits for that. */
	return oci_hooks_run(x->c, OCI_HOOK_START_CONTAINER, pid, "created", e);
}

struct create_opts {
	const char *bundle, *pid_file, *console;
	unsigned preserve_fds;
	bool detach;
};

/* Everything of `create`; on success the container waits for its start and *ct is our child. */
static int do_create(const struct global *g, const char *id, const struct create_opts *o, struct container *ct,
		     struct err *e)
{
	struct oci_state st;
	struct oci_config c;
	struct cgroup cg = {.fd = -1};
	int fifo = -1, console = -1, rc = -1;
	if (oci_state_create(&st, g->root, id, e) < 0)
		return -1;
	if (oci_config_load(&c, o->bundle, NULL, id, false, e) < 0)
		goto out_state;
	if (c.terminal && !o->console) {
		err_set(e, EINVAL, "config.json: process.terminal is true: --console-socket is required");
		goto out_config;
	}
	if (!c.terminal && o->console) {
		err_set(e, EINVAL, "--console-socket given, but config.json's process.terminal is false");
		goto out_config;
	}
	if (file_put_volatile_at(st.dirfd, st.dir, "config.json", c.doc.text, c.doc.len, 0600, e) < 0)
		goto out_config;
	if (mkfifoat(st.dirfd, "exec.fifo", 0600) < 0 || (fifo = openat(st.dirfd, "exec.fifo", O_RDWR | O_CLOEXEC)) < 0) {
		err_sys(e, errno, "%s/exec.fifo", st.dir);
		goto out_config;
	}
	char cgpath[4096];
	if (oci_cgroup_path(&c, g->systemd, cgpath, sizeof cgpath, e) < 0 || oci_cgroup_setup(&c, cgpath, &cg, e) < 0)
		goto out_fifo;
	if (o->console && (console = connect_console(o->console, e)) < 0)
		goto out_cgroup;
	struct create_ctx x = {.c = &c, .fifo = fifo, .console = console};
	struct container_hooks hooks = {
		.before_pivot = c.nhooks[OCI_HOOK_PRESTART] || c.nhooks[OCI_HOOK_CREATE_RUNTIME] ? hook_before_pivot : NULL,
		.child_before_pivot = c.nhooks[OCI_HOOK_CREATE_CONTAINER] ? hook_child_before_pivot : NULL,
		.child_after_pivot = hook_child_after_pivot,
		.child_before_exec = hook_child_before_exec,
		.arg = &x,
	};
	c.spec.hooks = &hooks;
	c.spec.cgroup_fd = cg.fd;
	c.spec.detach = o->detach;
	c.proc.preserve_fds = o->preserve_fds;
	if (container_start(&c.spec, ct, e) < 0)
		goto out_cgroup;
	st.pid = ct->pid;
	st.start = oci_proc_start(ct->pid);
	snprintf(st.bundle, sizeof st.bundle, "%s", c.bundle);
	snprintf(st.cgroup, sizeof st.cgroup, "%s", cgpath);
	now_rfc3339(st.created, sizeof st.created);
	for (int k = 0; k < OCI_HOOK_KINDS; k++)
		st.hooks |= c.nhooks[k] ? 1u << k : 0;
	if (oci_state_save(&st, e) < 0 || (o->pid_file && write_pid_file(o->pid_file, ct->pid, e) < 0)) {
		container_kill(ct);
		goto out_cgroup;
	}
	rc = 0;
	goto out_fifo;
out_cgroup:
	cgroup_remove(&cg, &(struct err){0});
out_fifo:
	if (console >= 0)
		close(console);
	if (fifo >= 0)
		close(fifo);
	if (cg.fd >= 0 && rc == 0)
		close(cg.fd);
out_config:
	oci_config_free(&c);
out_state:
	if (rc < 0)
		oci_state_remove(&st, &(struct err){0});
	oci_state_close(&st);
	return rc;
}

static int parse_create(const struct global *g, int argc, char **argv, struct create_opts *o, bool run,
			const char **id)
{
	*o = (struct create_opts){.bundle = ".", .detach = !run};
	int i = 1, missing = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *v;
		char *end;
		if ((v = opt_value(argc, argv, &i, "--bundle", "-b", &missing)))
			o->bundle = v;
		else if ((v = opt_value(argc, argv, &i, "--pid-file", NULL, &missing)))
			o->pid_file = v;
		else if ((v = opt_value(argc, argv, &i, "--console-socket", NULL, &missing)))
			o->console = v;
		else if ((v = opt_value(argc, argv, &i, "--preserve-fds", NULL, &missing))) {
			unsigned long n = strtoul(v, &end, 10);
			if (*end || n > 1024)
				return usage_error(g, "--preserve-fds %s: expected a number", v);
			o->preserve_fds = (unsigned)n;
		} else if (is_flag(argv[i], "--no-new-keyring", NULL))
			; /* keel never makes a session keyring */
		else if (run && is_flag(argv[i], "--detach", "-d"))
			o->detach = true;
		else if (is_flag(argv[i], "--no-pivot", NULL))
			return usage_error(g, "%s: not supported (keel always pivots into the root)", argv[i]);
		else if (missing)
			return usage_error(g, "%s: missing value", argv[i]);
		else
			return usage_error(g, "unknown option '%s'", argv[i]);
		if (missing)
			return usage_error(g, "%s: missing value", argv[i]);
	}
	if (missing)
		return usage_error(g, "%s: missing value", argv[i]);
	if (argc - i != 1)
		return usage_error(g, "expected one container id%s", "");
	*id = argv[i];
	return 0;
}

static int cmd_create(const struct global *g, int argc, char **argv)
{
	struct create_opts o;
	const char *id;
	int r = parse_create(g, argc, argv, &o, false, &id);
	if (r)
		return r;
	struct err e = {0};
	struct container ct;
	if (do_create(g, id, &o, &ct, &e) < 0)
		return fail(g, &e);
	close(ct.pidfd);
	return 0;
}

/* ---- start, state, kill, delete --------------------------------------------------------------- */

static int load_light(const struct oci_state *st, const char *id, struct oci_config *c, struct err *e)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/config.json", st->dir);
	return oci_config_load(c, st->bundle, path, id, true, e);
}

static int do_start(const struct global *g, const char *id, struct err *e)
{
	(void)g;
	struct oci_state st;
	if (oci_state_open(&st, g->root, id, e) < 0)
		return -1;
	int rc = -1;
	const char *status = oci_state_status(&st);
	if (strcmp(status, "created")) {
		err_set(e, EINVAL, "container '%s' is %s, not created", id, status);
		goto out;
	}
	int fd = openat(st.dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err_sys(e, errno, "container '%s' is not waiting for its start: %s/exec.fifo", id, st.dir);
		goto out;
	}
	ssize_t w = write(fd, "s", 1);
	int err = errno;
	unlinkat(st.dirfd, "exec.fifo", 0);
	if (w != 1) {
		close(fd);
		err_sys(e, err, "container '%s': release", id);
		goto out;
	}
	/* The container holds the fifo open until its execve (or its exit) closes it; then our end
	 * reports POLLERR. So start returns, and poststart runs, once the program runs (bounded: a
	 * startContainer hook has its own timeout). */
	struct pollfd pl = {.fd = fd, .events = 0};
	poll(&pl, 1, 30000);
	close(fd);
	struct oci_config c;
	if ((st.hooks & 1u << OCI_HOOK_POSTSTART) && load_light(&st, id, &c, e) == 0) {
		oci_hooks_warn(&c, OCI_HOOK_POSTSTART, st.pid, "running");
		oci_config_free(&c);
	}
	rc = 0;
out:
	oci_state_close(&st);
	return rc;
}

static int one_id(const struct global *g, int argc, char **argv, const char **id)
{
	if (argc != 2 || argv[1][0] == '-')
		return usage_error(g, "expected one container id%s", "");
	*id = argv[1];
	return 0;
}

static int cmd_start(const struct global *g, int argc, char **argv)
{
	const char *id;
	int r = one_id(g, argc, argv, &id);
	if (r)
		return r;
	struct err e = {0};
	return do_start(g, id, &e) < 0 ? fail(g, &e) : 0;
}

static int cmd_state(const struct global *g, int argc, char **argv)
{
	const char *id;
	int r = one_id(g, argc, argv, &id);
	if (r)
		return r;
	struct err e = {0};
	struct oci_state st;
	struct oci_config c;
	if (oci_state_open(&st, g->root, id, &e) < 0)
		return fail(g, &e);
	const char *status = oci_state_status(&st);
	const char *version = OCI_SPEC_VERSION, *annotations = "{}";
	bool loaded = *st.bundle && load_light(&st, id, &c, &e) == 0;
	if (loaded) {
		version = c.oci_version;
		annotations = c.annotations;
	}
	oci_state_write(stdout, version, id, status, st.pid, st.bundle, st.created, annotations);
	if (loaded)
		oci_config_free(&c);
	oci_state_close(&st);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int parse_signal(const char *s)
{
	int n = cfg_signal_number(s);
	if (n < 0) {
		char buf[32];
		snprintf(buf, sizeof buf, "SIG%s", s);
		n = cfg_signal_number(buf);
	}
	return n > 0 && n < 65 ? n : -1;
}

/* Every process of the cgroup (kill --all); SIGKILL through cgroup.kill. */
static int kill_all(const char *cg, int sig, struct err *e)
{
	int dfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(e, errno, "cgroup %s", cg);
	int rc = 0;
	if (sig == SIGKILL && file_write(dfd, "cgroup.kill", "1", 1) == 0) {
		close(dfd);
		return 0;
	}
	char buf[65536];
	if (file_read_small(dfd, "cgroup.procs", 0, buf, sizeof buf) < 0)
		rc = err_sys(e, errno, "%s/cgroup.procs", cg);
	for (char *p = buf; rc == 0 && *p;) {
		pid_t pid = (pid_t)strtol(p, &p, 10);
		if (pid > 0)
			kill(pid, sig);
		p += strspn(p, "\n");
	}
	close(dfd);
	return rc;
}

static int cmd_kill(const struct global *g, int argc, char **argv)
{
	int i = 1;
	bool all = false;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (is_flag(argv[i], "--all", "-a"))
			all = true;
		else
			return usage_error(g, "unknown option '%s'", argv[i]);
	}
	if (argc - i < 1 || argc - i > 2)
		return usage_error(g, "expected a container id and a signal%s", "");
	const char *id = argv[i];
	int sig = argc - i == 2 ? parse_signal(argv[i + 1]) : SIGTERM;
	if (sig < 0)
		return usage_error(g, "unknown signal '%s'", argv[i + 1]);
	struct err e = {0};
	struct oci_state st;
	if (oci_state_open(&st, g->root, id, &e) < 0)
		return fail(g, &e);
	const char *status = oci_state_status(&st);
	int rc = 0;
	if (strcmp(status, "created") && strcmp(status, "running")) {
		err_set(&e, EINVAL, "container '%s' is %s: no process to signal", id, status);
		rc = fail(g, &e);
	} else if (all && *st.cgroup) {
		if (kill_all(st.cgroup, sig, &e) < 0)
			rc = fail(g, &e);
	} else {
		int pfd = oci_state_pidfd(&st);
		if (pfd < 0 || syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0) {
			err_sys(&e, pfd < 0 ? ESRCH : errno, "container '%s': signal %d", id, sig);
			rc = fail(g, &e);
		}
		if (pfd >= 0)
			close(pfd);
	}
	oci_state_close(&st);
	return rc;
}

/* After the container's process: its cgroup, the poststop hooks, the state. */
static int cleanup(struct oci_state *st, const char *id, struct err *e)
{
	if (*st->cgroup) {
		struct cgroup cg = {.fd = open(st->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
		snprintf(cg.path, sizeof cg.path, "%s", st->cgroup);
		if (cg.fd >= 0 && cgroup_remove(&cg, e) < 0)
			return -1;
	}
	struct oci_config c;
	struct err e2;
	if ((st->hooks & 1u << OCI_HOOK_POSTSTOP) && load_light(st, id, &c, &e2) == 0) {
		oci_hooks_warn(&c, OCI_HOOK_POSTSTOP, 0, "stopped");
		oci_config_free(&c);
	}
	return oci_state_remove(st, e);
}

static int do_delete(const struct global *g, const char *id, bool force, struct err *e)
{
	struct oci_state st;
	if (oci_state_open(&st, g->root, id, e) < 0)
		return -1;
	const char *status = oci_state_status(&st);
	if (strcmp(status, "stopped") && strcmp(status, "creating")) {
		if (!force) {
			oci_state_close(&st);
			return err_set(e, EBUSY, "container '%s' is %s, not stopped (--force kills it)", id, status);
		}
		int pfd = oci_state_pidfd(&st);
		if (*st.cgroup)
			kill_all(st.cgroup, SIGKILL, &(struct err){0});
		if (pfd >= 0) {
			syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
			/* Readable once it has exited, whoever reaps it; bounded. */
			struct pollfd p = {.fd = pfd, .events = POLLIN};
			poll(&p, 1, 10000);
			close(pfd);
		}
	}
	int rc = cleanup(&st, id, e);
	oci_state_close(&st);
	return rc;
}

static int cmd_delete(const struct global *g, int argc, char **argv)
{
	int i = 1;
	bool force = false;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (is_flag(argv[i], "--force", "-f"))
			force = true;
		else
			return usage_error(g, "unknown option '%s'", argv[i]);
	}
	if (argc - i != 1)
		return usage_error(g, "expected one container id%s", "");
	struct err e = {0};
	return do_delete(g, argv[i], force, &e) < 0 ? fail(g, &e) : 0;
}

/* ---- run ------------------------------------------------------------------------------------ */

static int cmd_run_oci(const struct global *g, int argc, char **argv)
{
	struct create_opts o;
	const char *id;
	int r = parse_create(g, argc, argv, &o, true, &id);
	if (r)
		return r;
	/* Held from the start so a signal during set-up reaches the container once it runs. */
	sigset_t fwd;
	reaper_signals(&fwd);
	if (!o.detach)
		sigprocmask(SIG_BLOCK, &fwd, NULL);
	struct err e = {0};
	struct container ct;
	if (do_create(g, id, &o, &ct, &e) < 0)
		return fail(g, &e);
	if (do_start(g, id, &e) < 0) {
		container_kill(&ct);
		do_delete(g, id, true, &(struct err){0});
		return fail(g, &e);
	}
	if (o.detach) {
		close(ct.pidfd);
		return 0;
	}
	int status = 1;
	if (container_wait(&ct, &status, &e) < 0)
		say(g, "error", "run: %s", e.msg);
	if (do_delete(g, id, true, &e) < 0)
		say(g, "error", "run: %s", e.msg);
	return status;
}

/* ---- exec ----------------------------------------------------------------------------------- */

struct exec_opts {
	const char *process, *console, *pid_file, *cwd, *user, *apparmor;
	bool detach, tty, nnp;
	unsigned preserve_fds;
	const char *env[64];
	unsigned nenv;
	const char *caps[64];
	unsigned ncaps;
};

static int cmd_exec(const struct global *g, int argc, char **argv)
{
	struct exec_opts o = {0};
	int i = 1, missing = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *v;
		char *end;
		if ((v = opt_value(argc, argv, &i, "--process", "-p", &missing)))
			o.process = v;
		else if ((v = opt_value(argc, argv, &i, "--console-socket", NULL, &missing)))
			o.console = v;
		else if ((v = opt_value(argc, argv, &i, "--pid-file", NULL, &missing)))
			o.pid_file = v;
		else if ((v = opt_value(argc, argv, &i, "--cwd", NULL, &missing)))
			o.cwd = v;
		else if ((v = opt_value(argc, argv, &i, "--user", "-u", &missing)))
			o.user = v;
		else if ((v = opt_value(argc, argv, &i, "--apparmor", NULL, &missing)))
			o.apparmor = v;
		else if ((v = opt_value(argc, argv, &i, "--env", "-e", &missing))) {
			if (o.nenv == 64)
				return usage_error(g, "%s: at most 64", "--env");
			o.env[o.nenv++] = v;
		} else if ((v = opt_value(argc, argv, &i, "--cap", "-c", &missing))) {
			if (o.ncaps == 64)
				return usage_error(g, "%s: at most 64", "--cap");
			o.caps[o.ncaps++] = v;
		} else if ((v = opt_value(argc, argv, &i, "--preserve-fds", NULL, &missing))) {
			unsigned long n = strtoul(v, &end, 10);
			if (*end || n > 1024)
				return usage_error(g, "--preserve-fds %s: expected a number", v);
			o.preserve_fds = (unsigned)n;
		} else if (is_flag(argv[i], "--detach", "-d"))
			o.detach = true;
		else if (is_flag(argv[i], "--tty", "-t"))
			o.tty = true;
		else if (is_flag(argv[i], "--no-new-privs", NULL))
			o.nnp = true;
		else if (missing)
			return usage_error(g, "%s: missing value", argv[i]);
		else if (is_flag(argv[i], "--process-label", NULL) || is_flag(argv[i], "--cgroup", NULL))
			return usage_error(g, "%s: not supported by keel", argv[i]);
		else
			return usage_error(g, "unknown option '%s'", argv[i]);
		if (missing)
			return usage_error(g, "%s: missing value", argv[i]);
	}
	if (missing)
		return usage_error(g, "%s: missing value", argv[i]);
	if (i >= argc)
		return usage_error(g, "expected a container id%s", "");
	const char *id = argv[i++];
	if (!o.process && i >= argc)
		return usage_error(g, "expected a command (or --process FILE)%s", "");
	if (o.process && i < argc)
		return usage_error(g, "a command and --process %s: give one", o.process);

	struct err e = {0};
	struct oci_state st;
	if (oci_state_open(&st, g->root, id, &e) < 0)
		return fail(g, &e);
	if (strcmp(oci_state_status(&st), "running")) {
		err_set(&e, EINVAL, "container '%s' is %s, not running", id, oci_state_status(&st));
		oci_state_close(&st);
		return fail(g, &e);
	}
	/* The container's config (its seccomp profile and namespaces) from the state dir. */
	struct oci_config c;
	char path[4200];
	snprintf(path, sizeof path, "%s/config.json", st.dir);
	if (oci_config_load(&c, st.bundle, path, id, false, &e) < 0) {
		oci_state_close(&st);
		return fail(g, &e);
	}
	struct ctr_process p = c.proc;
	struct oci_doc pd = {0};
	bool tty = o.tty;
	unsigned short rows = 0, cols = 0;
	int rc = 1, console = -1, cgfd = -1;
	if (o.process) {
		if (oci_doc_load(&pd, o.process, "process.json", &e) < 0 ||
		    oci_process(&pd, 0, "", &p, &tty, &rows, &cols, &e) < 0)
			goto out;
		p.filter = c.filter;
	} else {
		p.argv = argv + i;
		/* The container's environment, with --env entries replacing or adding. */
		unsigned ne = 0;
		while (c.proc.envp[ne])
			ne++;
		char **env = oci_alloc(&c.doc, (ne + o.nenv + 1) * sizeof *env, &e);
		if (!env)
			goto out;
		memcpy(env, c.proc.envp, ne * sizeof *env);
		for (unsigned k = 0; k < o.nenv; k++) {
			size_t kl = strcspn(o.env[k], "=");
			unsigned at = 0;
			while (at < ne && (strncmp(env[at], o.env[k], kl) || env[at][kl] != '='))
				at++;
			env[at] = (char *)o.env[k];
			if (at == ne)
				ne++;
		}
		p.envp = env;
		if (o.cwd)
			p.cwd = o.cwd;
		if (o.user) {
			char *colon;
			p.uid = (uid_t)strtoul(o.user, &colon, 10);
			p.gid = *colon == ':' ? (gid_t)strtoul(colon + 1, NULL, 10) : p.gid;
			p.ngroups = 0;
		}
		for (unsigned k = 0; k < o.ncaps; k++) {
			int cap = cfg_cap_number(o.caps[k]);
			if (cap < 0) {
				err_set(&e, EINVAL, "--cap %s: unknown capability", o.caps[k]);
				goto out;
			}
			uint64_t b = 1ULL << cap;
			p.cap_bounding |= b, p.cap_effective |= b, p.cap_permitted |= b, p.cap_inheritable |= b;
			p.cap_ambient |= p.uid ? b : 0;
		}
		if (o.nnp)
			p.no_new_privs = true;
		if (o.apparmor)
			p.apparmor = o.apparmor;
	}
	if (tty && !o.console) {
		err_set(&e, EINVAL, "a terminal needs --console-socket");
		goto out;
	}
	if (o.console && (console = connect_console(o.console, &e)) < 0)
		goto out;
	p.preserve_fds = o.preserve_fds;
	cgfd = *st.cgroup ? open(st.cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	pid_t target = st.pid;
	oci_state_close(&st);
	sigset_t fwd;
	reaper_signals(&fwd);
	if (!o.detach)
		sigprocmask(SIG_BLOCK, &fwd, NULL);
	struct exec_spec x = {
		.pid = target,
		.namespaces = c.ns_types,
		.cgroup_fd = cgfd,
		.proc = &p,
		.stdio = {-1, -1, -1},
		.detach = o.detach,
		.console_fd = tty ? console : -1,
		.console_rows = rows,
		.console_cols = cols,
	};
	struct container ct;
	if (exec_start(&x, &ct, &e) < 0)
		goto out;
	if (o.pid_file && write_pid_file(o.pid_file, ct.pid, &e) < 0) {
		container_kill(&ct);
		goto out;
	}
	if (o.detach) {
		close(ct.pidfd);
		rc = 0;
		goto out;
	}
	int status = 1;
	if (container_wait(&ct, &status, &e) < 0)
		goto out;
	rc = status;
	e.msg[0] = '\0';
out:
	if (e.msg[0] && rc == 1)
		fail(g, &e);
	if (console >= 0)
		close(console);
	if (cgfd >= 0)
		close(cgfd);
	if (pd.text)
		oci_doc_free(&pd);
	oci_config_free(&c);
	oci_state_close(&st);
	return rc;
}

/* ---- features, version, help ---------------------------------------------------------------- */

static int cmd_features(const struct global *g, int argc, char **argv)
{
	(void)g;
	(void)argc;
	(void)argv;
	printf("{\n"
	       "  \"ociVersionMin\": \"1.0.0\",\n"
	       "  \"ociVersionMax\": \"%s\",\n"
	       "  \"hooks\": [\"prestart\", \"createRuntime\", \"createContainer\", \"startContainer\", \"poststart\", \"poststop\"],\n"
	       "  \"mountOptions\": [\"defaults\", \"ro\", \"rw\", \"suid\", \"nosuid\", \"dev\", \"nodev\", \"exec\", \"noexec\", "
	       "\"sync\", \"async\", \"dirsync\", \"remount\", \"mand\", \"nomand\", \"atime\", \"noatime\", \"diratime\", "
	       "\"nodiratime\", \"relatime\", \"norelatime\", \"strictatime\", \"nostrictatime\", \"bind\", \"rbind\", "
	       "\"rro\", \"rrw\", \"rnosuid\", \"rsuid\", \"rnodev\", \"rdev\", \"rnoexec\", \"rexec\", \"private\", "
	       "\"rprivate\", \"shared\", \"rshared\", \"slave\", \"rslave\", \"unbindable\", \"runbindable\"],\n"
	       "  \"linux\": {\n"
	       "    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", \"user\", \"uts\"],\n"
	       "    \"capabilities\": [",
	       OCI_SPEC_VERSION);
	for (unsigned i = 0; i <= CFG_CAP_LAST; i++)
		printf("%s\"CAP_%s\"", i ? ", " : "", cfg_cap_name(i));
	printf("],\n"
	       "    \"cgroup\": {\"v1\": false, \"v2\": true, \"systemd\": true, \"systemdUser\": false, \"rdma\": true},\n"
	       "    \"seccomp\": {\n"
	       "      \"enabled\": true,\n"
	       "      \"actions\": [\"SCMP_ACT_ALLOW\", \"SCMP_ACT_ERRNO\", \"SCMP_ACT_KILL\", \"SCMP_ACT_KILL_PROCESS\", "
	       "\"SCMP_ACT_KILL_THREAD\", \"SCMP_ACT_LOG\", \"SCMP_ACT_TRACE\", \"SCMP_ACT_TRAP\"],\n"
	       "      \"operators\": [\"SCMP_CMP_EQ\", \"SCMP_CMP_GE\", \"SCMP_CMP_GT\", \"SCMP_CMP_LE\", \"SCMP_CMP_LT\", "
	       "\"SCMP_CMP_MASKED_EQ\", \"SCMP_CMP_NE\"],\n"
	       "      \"archs\": [");
	for (unsigned i = 0; i < seccomp_abi_count; i++)
		printf("%s\"%s\"", i ? ", " : "", seccomp_abis[i].spec_name);
	printf("],\n"
	       "      \"knownFlags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\n"
	       "      \"supportedFlags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]\n"
	       "    },\n"
	       "    \"apparmor\": {\"enabled\": true},\n"
	       "    \"selinux\": {\"enabled\": false},\n"
	       "    \"intelRdt\": {\"enabled\": false}\n"
	       "  },\n"
	       "  \"annotations\": {\"org.opencontainers.runtime-spec.features\": \"keel\"}\n"
	       "}\n");
	return fflush(stdout) == 0 ? 0 : 1;
}

/* The one usage text of the OCI verbs: docs/usage/keel-oci.txt. */
static const char usage_text[] =
#include "build/gen/usage/keel-oci.inc"
	;

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

int cmd_oci_run_is_oci(int argc, char **argv)
{
	/* keel's own `run CONFIG.bin SERVICE` takes two words and keel's options; the OCI verb one
	 * id and runc's options. */
	static const char *const oci_opts[] = {"--bundle", "-b", "--pid-file", "--console-socket", "--detach", "-d",
					       "--no-new-keyring", "--preserve-fds", "--no-pivot"};
	int words = 0;
	for (int i = 1; i < argc; i++) {
		for (size_t k = 0; k < sizeof oci_opts / sizeof oci_opts[0]; k++)
			if (!strncmp(argv[i], oci_opts[k], strlen(oci_opts[k])))
				return 1;
		if (argv[i][0] != '-')
			words++;
		else if (strcmp(argv[i], "--help") && strcmp(argv[i], "-h"))
			i++; /* keel run's options all take a value */
	}
	return words == 1;
}

int cmd_oci(int argc, char **argv)
{
	struct global g = {.root = KEEL_OCI_ROOT};
	int i = 0, missing = 0;
	/* keel-cmd's argv[0] is the first argument after the program: a global option or the verb. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *v;
		if ((v = opt_value(argc, argv, &i, "--root", NULL, &missing)))
			g.root = v;
		else if ((v = opt_value(argc, argv, &i, "--log", NULL, &missing)))
			g.log = v;
		else if ((v = opt_value(argc, argv, &i, "--log-format", NULL, &missing))) {
			if (strcmp(v, "json") && strcmp(v, "text")) {
				fprintf(stderr, "keel: --log-format %s: expected text or json\n", v);
				return 2;
			}
			g.log_json = !strcmp(v, "json");
		} else if (is_flag(argv[i], "--systemd-cgroup", NULL))
			g.systemd = true;
		else if (is_flag(argv[i], "--debug", NULL))
			; /* keel has no debug log: errors are all it writes */
		else if (is_flag(argv[i], "--version", "-v")) {
			printf("keel version %s\nspec: %s\n", KEEL_VERSION, OCI_SPEC_VERSION);
			return 0;
		} else if (is_flag(argv[i], "--help", "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "keel: unknown global option '%s'%s\n", argv[i],
				missing ? " (missing value)" : " (try keel --help)");
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	static const struct {
		const char *name;
		int (*fn)(const struct global *, int, char **);
	} verbs[] = {
		{"create", cmd_create}, {"start", cmd_start}, {"state", cmd_state}, {"kill", cmd_kill},
		{"delete", cmd_delete}, {"run", cmd_run_oci}, {"exec", cmd_exec}, {"features", cmd_features},
	};
	argc -= i;
	argv += i;
	g.verb = argv[0];
	for (int k = 1; k < argc; k++)
		if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
			usage(stdout);
			return 0;
		}
	for (size_t k = 0; k < sizeof verbs / sizeof verbs[0]; k++)
		if (!strcmp(argv[0], verbs[k].name))
			return verbs[k].fn(&g, argc, argv);
	fprintf(stderr, "keel: unknown command '%s' (try keel --help)\n", argv[0]);
	return 2;
}
