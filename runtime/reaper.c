/* The container's PID 1 when the service is not: forwards signals to the service, reaps every
 * orphan, and exits with the service's status (128+n when a signal killed it), as tini does. */
#include "container.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

void reaper_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

/* The signals stay blocked and are taken with sigwaitinfo: a blocked signal is delivered to a
 * namespace's init even with no handler, where a default-action one would be dropped. */
_Noreturn void reaper_run(pid_t service, const sigset_t *blocked)
{
	/* Without a pid namespace we are not PID 1: become the subreaper of what the service forks. */
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(blocked, &si);
		if (sig < 0)
			continue; /* EINTR */
		if (sig != SIGCHLD) {
			kill(service, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);
			if (p <= 0)
				break; /* none left to reap now (0) or no children (ECHILD) */
			if (p == service)
				_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		}
	}
}
