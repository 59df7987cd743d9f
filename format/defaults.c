/* The values a config record takes for every key the text leaves out (keelc and keel check agree). */
#include "text.h"

#include <string.h>

void cfg_system_defaults(struct cfg_system *s)
{
	memset(s, 0, sizeof *s);
	s->console_log_level = CFG_U32_UNSET;
	s->ctrl_alt_del = CFG_ACT_REBOOT;
	s->log_buffer = 64u << 10;
}

void cfg_network_defaults(struct cfg_network *n)
{
	memset(n, 0, sizeof *n);
}

void cfg_service_defaults(struct cfg_service *s)
{
	memset(s, 0, sizeof *s);
	s->flags = CFG_SVC_NO_NEW_PRIVS | CFG_SVC_REAPER;
	s->restart = CFG_RESTART_ALWAYS;
	s->backoff_initial_ms = 100;
	s->backoff_max_ms = 30000;
	s->backoff_reset_s = 60;
	s->readiness = CFG_READY_STARTED;
	s->stop_signal = 15; /* SIGTERM on every Linux arch keel builds for */
	s->stop_timeout_ms = 10000;
	s->seccomp = CFG_SECCOMP_DEFAULT;
	s->namespaces = CFG_NS_DEFAULT;
	s->cpu_max_quota_us = CFG_U64_UNSET;
	s->memory_max = CFG_U64_UNSET;
	s->memory_high = CFG_U64_UNSET;
	s->memory_swap_max = CFG_U64_UNSET;
	s->pids_max = CFG_U64_UNSET;
}
