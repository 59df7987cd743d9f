/* A service's `image =` (an image entry of keel-pack's index, format/layer_index.h) resolved into
 * the service's own fields as `docker run` resolves an image: argv from Entrypoint and Cmd, Env
 * under the service's env, WorkingDir, User with its groups from the image's /etc/passwd and
 * /etc/group, StopSignal, and the image's layers under the service's. The binary config holds the
 * resulting values only: the device never sees an image, and `keel check` prints what will run. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/rules.h"
#include "format/text.h"
#include "model.h"

#define DOCKER_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" /* Docker's default */

static int fail(char *msg, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Set NAME=value in v: replace the entry with the same NAME in place, or append. */
static void env_set(strvec *v, const char *kv)
{
	size_t k = strcspn(kv, "=");
	for (uint32_t i = 0; i < v->n; i++)
		if (!strncmp(v->v[i], kv, k) && v->v[i][k] == '=') {
			free(v->v[i]);
			v->v[i] = xstrdup(kv);
			return;
		}
	VEC_PUSH(*v, xstrdup(kv));
}

static int env_has(const strvec *v, const char *name)
{
	size_t k = strlen(name);
	for (uint32_t i = 0; i < v->n; i++)
		if (!strncmp(v->v[i], name, k) && v->v[i][k] == '=')
			return 1;
	return 0;
}

/* A decimal id 0..4294967294, as Docker reads the numeric forms of User. */
static int numeric(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	if (!*s || strlen(s) > 10)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = (uint32_t)v;
	return v < UINT32_MAX;
}

static void add_group(struct h_service *s, uint32_t g)
{
	for (uint32_t i = 0; i < s->groups.n; i++)
		if (s->groups.v[i] == g)
			return;
	VEC_PUSH(s->groups, g);
}

/* User in Docker's forms (uid, uid:gid, name, name:group, and mixes) through the image's own
 * /etc/passwd and /etc/group, as runc does: a user found there brings its gid, its home and,
 * unless a group is given, the groups that list it as a member; a uid not found there runs with
 * gid 0. The service's `groups =` come on top (like --group-add). */
static int resolve_user(struct h_service *s, const struct layer_image *im, const char *spec, const char **home,
			char *msg, size_t n)
{
	char u[LAYER_STR_MAX + 1];
	snprintf(u, sizeof u, "%s", spec[0] ? spec : "0"); /* no User: uid 0, looked up like "0" */
	char *g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	uint32_t uid, gid = 0, id;
	const struct layer_user *pw = NULL;
	int by_uid = numeric(u, &uid);
	for (uint32_t i = 0; i < im->nusers && !pw; i++)
		if (by_uid ? im->users[i].uid == uid : !strcmp(im->users[i].name, u))
			pw = &im->users[i];
	if (!by_uid && !pw)
		return fail(msg, n, "user '%.60s' is not in the image's /etc/passwd", u);
	if (pw) {
		uid = pw->uid;
		gid = pw->gid;
	}
	VEC(uint32_t) extra = {NULL, 0, 0};
	for (uint32_t i = 0; i < s->groups.n; i++)
		VEC_PUSH(extra, s->groups.v[i]);
	s->groups.n = 0;
	if (g && numeric(g, &id)) {
		gid = id;
	} else if (g) {
		uint32_t i = 0;
		while (i < im->ngroups && strcmp(im->groups[i].name, g))
			i++;
		if (i == im->ngroups) {
			free(extra.v);
			return fail(msg, n, "group '%.60s' is not in the image's /etc/group", g);
		}
		gid = im->groups[i].gid;
	} else if (pw) {
		for (uint32_t i = 0; i < im->ngroups; i++)
			for (uint32_t k = 0; k < im->groups[i].members.n; k++)
				if (!strcmp(im->groups[i].members.v[k], pw->name))
					add_group(s, im->groups[i].gid);
	}
	for (uint32_t i = 0; i < extra.n; i++)
		add_group(s, extra.v[i]);
	free(extra.v);
	s->r.uid = uid;
	s->r.gid = gid;
	*home = pw ? pw->home : "/";
	return 0;
}

static void push_all(strvec *to, char *const *v, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++)
		VEC_PUSH(*to, xstrdup(v[i]));
}

static void strvec_clear(strvec *v)
{
	for (uint32_t i = 0; i < v->n; i++)
		free(v->v[i]);
	v->n = 0;
}

/* argv as Docker builds it: Entrypoint + Cmd; `args =` replaces Cmd; `entrypoint =` replaces the
 * Entrypoint and, unless it is empty, drops the image's Cmd (docker run --entrypoint); `exec =`
 * replaces both. A program named without a '/' is where keel-pack found it along the image's PATH. */
static int make_argv(struct h_service *s, const struct layer_image *im, const char *img, char *msg, size_t n)
{
	struct svc_image *si = &s->img;
	strvec argv = {NULL, 0, 0};
	/* entrypoint = "" is Docker's --entrypoint "": no entrypoint */
	uint32_t ep_n = si->entrypoint.n == 1 && !si->entrypoint.v[0][0] ? 0 : si->entrypoint.n;
	if (si->has_entrypoint)
		push_all(&argv, si->entrypoint.v, ep_n);
	else
		push_all(&argv, im->entrypoint.v, im->entrypoint.n);
	if (si->has_args)
		push_all(&argv, si->args.v, si->args.n);
	else if (!(si->has_entrypoint && ep_n))
		push_all(&argv, im->cmd.v, im->cmd.n);
	if (!argv.n || !argv.v[0][0]) {
		strvec_clear(&argv);
		free(argv.v);
		return fail(msg, n, "image '%s' gives no program (Entrypoint and Cmd %s): give exec = or args =", img,
			    im->entrypoint.set || im->cmd.set ? "are empty" : "are null");
	}
	const char *prog = argv.v[0];
	if (prog[0] != '/' && strchr(prog, '/')) {
		/* ./run.sh: relative to the working directory, as execve would take it there */
		const char *wd = s->workdir ? s->workdir : "/";
		size_t len = strlen(wd) + strlen(prog) + 2;
		char *abs = xrealloc(NULL, len);
		snprintf(abs, len, "%s%s%s", wd, wd[strlen(wd) - 1] == '/' ? "" : "/", prog);
		free(argv.v[0]);
		argv.v[0] = abs;
	} else if (prog[0] != '/') {
		uint32_t i = 0;
		while (i + 1 < im->which.n && strcmp(im->which.v[i], prog))
			i += 2;
		if (i + 1 >= im->which.n) {
			int r = fail(msg, n, "program '%.60s' is not an absolute path and keel-pack did not find it "
					     "along image '%s''s PATH: give its path", prog, img);
			strvec_clear(&argv);
			free(argv.v);
			return r;
		}
		free(argv.v[0]);
		argv.v[0] = xstrdup(im->which.v[i + 1]);
	}
	const char *why = cfg_rule_abspath(argv.v[0]);
	if (why) {
		int r = fail(msg, n, "program '%.60s': %s", argv.v[0], why);
		strvec_clear(&argv);
		free(argv.v);
		return r;
	}
	strvec_clear(&s->argv);
	free(s->argv.v);
	s->argv = argv;
	return 0;
}

int image_apply(struct h_service *s, const int given[GIVEN_N], struct loc *at, const char **key, char *msg,
		size_t msglen)
{
	struct svc_image *si = &s->img;
	const struct layer_image *im = si->im;
	uint32_t id;
	*at = si->at;
	*key = "image";
	if (!im) {
		/* Without an image a user is numbers only (user = UID[:GID] was read as it came). */
		char u[32];
		snprintf(u, sizeof u, "%.*s", (int)strcspn(si->user ? si->user : "", ":"), si->user ? si->user : "");
		if (si->user && !numeric(u, &id)) {
			*at = si->user_at;
			*key = "user";
			return fail(msg, msglen, "'%s' is a name: names are looked up in an image's /etc/passwd "
						 "(give image =); without one write UID[:GID]", si->user);
		}
		if (si->has_args || si->has_entrypoint) {
			*at = si->has_args ? si->args_at : si->entrypoint_at;
			*key = si->has_args ? "args" : "entrypoint";
			return fail(msg, msglen, "needs image = (it replaces the image's %s)",
				    si->has_args ? "Cmd" : "Entrypoint");
		}
		return 0;
	}
	const char *img = si->name;
	if (given[GIVEN_EXEC] && (si->has_args || si->has_entrypoint))
		return fail(msg, msglen, "exec = replaces image '%s''s Entrypoint and Cmd: give args = or entrypoint = "
					 "instead, not with it", img);

	/* The image's layers lowest, the service's stacked over them. */
	VEC(struct digest) layers = {NULL, 0, 0};
	for (uint32_t i = 0; i < im->nlayers; i++) {
		struct digest d;
		memcpy(d.b, im->layers[i], sizeof d.b);
		VEC_PUSH(layers, d);
	}
	for (uint32_t i = 0; i < s->layers.n; i++)
		VEC_PUSH(layers, s->layers.v[i]);
	free(s->layers.v);
	s->layers.v = layers.v;
	s->layers.n = layers.n;
	s->layers.cap = layers.cap;

	if (!given[GIVEN_WORKDIR] && im->workdir) {
		char w[LAYER_STR_MAX + 2];
		snprintf(w, sizeof w, "%s%s", im->workdir[0] == '/' ? "" : "/", im->workdir);
		const char *why = cfg_rule_abspath(w);
		if (why)
			return fail(msg, msglen, "image '%s': WorkingDir '%.60s': %s", img, im->workdir, why);
		s->workdir = xstrdup(w);
	}
	if (!given[GIVEN_STOP] && im->stop_signal) {
		int sig = cfg_signal_number(im->stop_signal);
		if (sig < 0)
			return fail(msg, msglen, "image '%s': StopSignal '%.40s': expected a signal like SIGTERM", img,
				    im->stop_signal);
		s->r.stop_signal = (uint32_t)sig;
	}
	const char *home = "/";
	if (resolve_user(s, im, si->user ? si->user : im->user ? im->user : "", &home, msg, msglen)) {
		if (si->user) {
			*at = si->user_at;
			*key = "user";
		} else {
			char why[200];
			snprintf(why, sizeof why, "%s", msg);
			fail(msg, msglen, "image '%s': User '%.60s': %s", img, im->user, why);
		}
		return -1;
	}
	if (!given[GIVEN_EXEC] && make_argv(s, im, img, msg, msglen))
		return -1;

	/* Env: Docker's PATH, replaced by the image's Env, replaced by the service's; then HOME from
	 * the user's passwd entry unless set (as runc sets it). */
	strvec env = {NULL, 0, 0};
	env_set(&env, DOCKER_PATH);
	for (uint32_t i = 0; i < im->env.n; i++) {
		const char *why = cfg_rule_env(im->env.v[i]);
		if (why) {
			strvec_clear(&env);
			free(env.v);
			return fail(msg, msglen, "image '%s': Env '%.60s': %s", img, im->env.v[i], why);
		}
		env_set(&env, im->env.v[i]);
	}
	for (uint32_t i = 0; i < s->env.n; i++)
		env_set(&env, s->env.v[i]);
	if (!env_has(&env, "HOME")) {
		char h[LAYER_STR_MAX + 8];
		snprintf(h, sizeof h, "HOME=%s", home);
		if (!cfg_rule_env(h))
			env_set(&env, h);
	}
	strvec_clear(&s->env);
	free(s->env.v);
	s->env = env;
	return 0;
}
