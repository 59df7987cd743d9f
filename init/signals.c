/* PID 1's signals (signals.h): the signalfd source, the reaper, and what each stop signal means. */
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console_shell.h"
#include "helpers.h"
#include "klog.h"
#include "net.h"
#include "update_poll.h"
#include "pid1.h"
#include "modules.h"
#include "supervisor.h"
#include "loop.h"

/* Orphans are re-parented to PID 1: collect every exit there is, never block. */
void reap_children(struct pid1 *p)
{
	for (;;) {
		/* Look first (WNOWAIT): a service's container is collected through its pidfd by the
		 * supervisor, which needs the status; everything else is reaped here. */
		siginfo_t si;
		memset(&si, 0, sizeof si);
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			return; /* ECHILD: no children */
		}
		if (si.si_pid == 0)
			return; /* children left but none exited */
		if (modules_child_exited(p, si.si_pid) || supervisor_child_exited(p, si.si_pid))
			continue;
		int status;
		pid_t pid = waitpid(si.si_pid, &status, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		if (pid == p->shell_pid)
			console_shell_reaped(p, pid, status);
		else if (!helpers_reaped(p, pid, status) && !update_poll_reaped(p, pid, status))
			net_child_exited(p, pid, status);
	}
}

/* As busybox init: SIGTERM reboots, SIGUSR1 halts, SIGUSR2 powers off, SIGINT (ctrl-alt-del once
 * RB_DISABLE_CAD is set) does what the config says. A second request while stopping is ignored. */
static void on_stop_signal(struct pid1 *p, int sig, pid_t from)
{
	enum pid1_stop what = STOP_NONE;
	const char *why = "";
	switch (sig) {
	case SIGTERM: what = STOP_REBOOT; why = "SIGTERM"; break;
	case SIGUSR1: what = STOP_HALT; why = "SIGUSR1"; break;
	case SIGUSR2: what = STOP_POWEROFF; why = "SIGUSR2"; break;
	case SIGINT: {
		uint32_t act = p->cfg_ok ? p->cfg.system->ctrl_alt_del : CFG_ACT_REBOOT;
		why = "ctrl-alt-del";
		if (act == CFG_ACT_IGNORE) {
			klog("signal: ctrl-alt-del ignored (config)");
			return;
		}
		what = act == CFG_ACT_POWEROFF ? STOP_POWEROFF : act == CFG_ACT_HALT ? STOP_HALT : STOP_REBOOT;
		break;
	}
	}
	if (what == STOP_NONE)
		return;
	if (p->stopping) {
		klog("signal: %s ignored: already shutting down", why);
		return;
	}
	static const char *const names[] = {"", "reboot", "poweroff", "halt"};
	klog("signal: %s from pid %d: %s", why, (int)from, names[what]);
	p->stopping = what;
}

static void on_signals(struct pid1 *p, struct loop_source *s, uint32_t events)
{
	(void)events;
	struct signalfd_siginfo si[16];
	for (;;) {
		ssize_t n = read(s->fd, si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EAGAIN: drained */
		for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++) {
			int sig = (int)si[i].ssi_signo;
			if (sig == SIGCHLD)
				reap_children(p);
			else if (sig == SIGTERM || sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGINT)
				on_stop_signal(p, sig, (pid_t)si[i].ssi_pid);
			else
				klog("signal: %s from pid %d ignored", strsignal(sig), (int)si[i].ssi_pid);
		}
	}
}

int signals_init(struct pid1 *p, struct err *e)
{
	/* Everything blocked and read from the signalfd: no handler ever runs in the middle of PID 1's
	 * code. Children get an empty mask back before exec (console_shell.c). */
	sigset_t all;
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
		return err_sys(e, errno, "signals: sigprocmask");
	p->sig.fd = signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
	if (p->sig.fd < 0)
		return err_sys(e, errno, "signals: signalfd");
	p->sig.ready = on_signals;
	return loop_add(p, &p->sig, e);
}

