/* keelc's allocation helpers and the model's destructor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "keelc: out of memory\n");
		exit(1);
	}
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xrealloc(NULL, n), s, n);
}

static void strvec_free(strvec *v)
{
	for (uint32_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
}

static void refvec_free(refvec *v)
{
	for (uint32_t i = 0; i < v->n; i++)
		free(v->v[i].name);
	free(v->v);
}

void svc_image_free(struct svc_image *si)
{
	free(si->name);
	free(si->user);
	strvec_free(&si->args);
	strvec_free(&si->entrypoint);
}

static void service_free(struct h_service *s)
{
	svc_image_free(&s->img);
	free(s->name);
	free(s->workdir);
	free(s->hostname);
	free(s->cpuset_cpus);
	free(s->network.name);
	strvec_free(&s->argv);
	strvec_free(&s->env);
	refvec_free(&s->depends);
	refvec_free(&s->after);
	free(s->layers.v);
	free(s->groups.v);
	for (uint32_t i = 0; i < s->syscalls.n; i++)
		free(s->syscalls.v[i].name);
	free(s->syscalls.v);
	free(s->idmaps.v);
	free(s->rlimits.v);
	for (uint32_t i = 0; i < s->mounts.n; i++) {
		free(s->mounts.v[i].source);
		free(s->mounts.v[i].target);
	}
	free(s->mounts.v);
	for (uint32_t i = 0; i < s->devices.n; i++)
		free(s->devices.v[i].path);
	free(s->devices.v);
	free(s->ports.v);
	free(s->ports_at.v);
	for (uint32_t i = 0; i < s->io_max.n; i++)
		free(s->io_max.v[i].device);
	free(s->io_max.v);
	free(s->join.name);
	for (uint32_t i = 0; i < s->talks.n; i++)
		free(s->talks.v[i].service.name);
	free(s->talks.v);
	free(s->egress.v);
	strvec_free(&s->health);
	free(s->env_file);
	free(s->success_exit.v);
	free(s->prevent_exit.v);
	for (uint32_t i = 0; i < s->secrets.n; i++) {
		free(s->secrets.v[i].source);
		free(s->secrets.v[i].target);
	}
	free(s->secrets.v);
}

void model_free(struct model *m)
{
	struct h_system *s = &m->system;
	free(s->hostname);
	free(s->watchdog_device);
	free(s->data_device);
	free(s->data_fstype);
	free(s->data_options);
	strvec_free(&s->modules);
	strvec_free(&s->sysctls);
	strvec_free(&s->volume_roots);
	free(s->syslog_ca);
	free(s->syslog_server_name);
	free(s->metrics_file);
	for (uint32_t i = 0; i < m->networks.n; i++) {
		free(m->networks.v[i].name);
		free(m->networks.v[i].bridge);
		free(m->networks.v[i].uplink);
	}
	free(m->networks.v);
	for (uint32_t i = 0; i < m->services.n; i++)
		service_free(&m->services.v[i]);
	free(m->services.v);
	free(m->verity.v);
	struct h_update *u = &m->update;
	free(u->source);
	free(u->ca);
	free(u->credentials);
	for (uint32_t i = 0; i < u->hosts.n; i++)
		free(u->hosts.v[i].name);
	free(u->hosts.v);
	memset(m, 0, sizeof *m);
}
