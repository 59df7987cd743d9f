/* An image's config (OCI image config, as Docker and podman write it too) -> what keelc needs of
 * it: Entrypoint, Cmd, Env, WorkingDir, User, StopSignal, and a check of its platform.
 *
 * Fields keel does not use yet (Healthcheck, ExposedPorts, Volumes, Labels, OnBuild, Shell) are
 * left alone; docs/keel.conf.5.md lists them. */
#include "pack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The variant an architecture has when none is written (as containerd normalises it). */
static const char *default_variant(const char *arch)
{
	return !strcmp(arch, "arm64") ? "v8" : NULL;
}

int platform_match(const char *want, json_t *platform)
{
	const char *a = json_string_value(json_object_get(platform, "architecture"));
	const char *v = json_string_value(json_object_get(platform, "variant"));
	const char *slash = strchr(want, '/');
	size_t alen = slash ? (size_t)(slash - want) : strlen(want);
	if (!a || strlen(a) != alen || strncmp(a, want, alen) != 0)
		return 0;
	if (!slash)
		return 1; /* no variant asked for: any */
	if (!v || !v[0])
		v = default_variant(a);
	return v && !strcmp(v, slash + 1);
}

/* A list of strings, or null/absent (l->set stays 0). */
static int get_strs(json_t *c, const char *key, struct layer_strs *l, struct err *e)
{
	json_t *v = json_object_get(c, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return err_set(e, EINVAL, "config: %s: expected an array of strings or null", key);
	l->set = 1;
	size_t i;
	json_t *s;
	char what[64];
	snprintf(what, sizeof what, "config: %s", key);
	json_array_foreach(v, i, s) {
		if (!json_is_string(s))
			return err_set(e, EINVAL, "config: %s[%zu]: expected a string", key, i);
		if (layer_strs_add(l, json_string_value(s), json_string_length(s), what, e))
			return -1;
	}
	return 0;
}

/* A string; absent, null and "" leave *out NULL (Docker reads them all as "not set"). */
static int get_str(json_t *c, const char *key, char **out, struct err *e)
{
	json_t *v = json_object_get(c, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return err_set(e, EINVAL, "config: %s: expected a string", key);
	if (!json_string_length(v))
		return 0;
	char what[64];
	snprintf(what, sizeof what, "config: %s", key);
	*out = layer_str_dup(json_string_value(v), json_string_length(v), what, e);
	return *out ? 0 : -1;
}

int imgcfg_read(const char *path, const char *arch, struct layer_image *im, struct err *e)
{
	json_t *j = json_file(path, "config", e);
	if (!j)
		return -1;
	int rc = -1;
	const char *os = json_string_value(json_object_get(j, "os"));
	const char *a = json_string_value(json_object_get(j, "architecture"));
	const char *v = json_string_value(json_object_get(j, "variant"));
	json_t *c = json_object_get(j, "config");
	if (os && strcmp(os, "linux") != 0) {
		err_set(e, EINVAL, "config: os '%.40s', expected linux", os);
	} else if (!a || !a[0]) {
		err_set(e, EINVAL, "config: no architecture");
	} else if (!platform_match(arch, j)) {
		err_set(e, EINVAL, "config: the image is for %.40s%s%.20s, expected %s (see --arch)", a, v && v[0] ? "/" : "",
			v ? v : "", arch);
	} else if (c && !json_is_null(c) && !json_is_object(c)) {
		err_set(e, EINVAL, "config: config: expected an object");
	} else if (asprintf(&im->arch, "%.40s%s%.20s", a, v && v[0] ? "/" : "", v ? v : "") < 0) {
		im->arch = NULL;
		err_set(e, ENOMEM, "out of memory");
	} else if (!get_strs(c, "Entrypoint", &im->entrypoint, e) && !get_strs(c, "Cmd", &im->cmd, e) &&
		   !get_strs(c, "Env", &im->env, e) && !get_str(c, "WorkingDir", &im->workdir, e) &&
		   !get_str(c, "User", &im->user, e) && !get_str(c, "StopSignal", &im->stop_signal, e)) {
		rc = 0;
	}
	json_decref(j);
	return rc;
}
