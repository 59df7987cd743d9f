/* The hardware watchdog: opened with the config's timeout and petted from PID 1's loop (a timerfd
 * at half the timeout), so a wedged supervisor gets the machine reset; magic close on shutdown. */
#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "pid1.h"
#include "klog.h"
#include "loop.h"

static void on_tick(struct pid1 *p, struct loop_source *s, uint32_t events)
{
	(void)events;
	uint64_t ticks;
	if (read(s->fd, &ticks, sizeof ticks) < 0)
		return;
	if (ioctl(p->wdt_fd, WDIOC_KEEPALIVE, 0) < 0)
		klog("watchdog: keepalive: %s", strerror(errno));
}

void watchdog_start(struct pid1 *p)
{
	p->wdt_fd = p->wdt_tick.fd = -1;
	const char *dev = cfg_str(&p->cfg, p->cfg.system->watchdog_device);
	if (!*dev)
		return;
	int timeout = (int)p->cfg.system->watchdog_timeout_s;
	p->wdt_fd = open(dev, O_WRONLY | O_CLOEXEC);
	if (p->wdt_fd < 0) {
		klog("watchdog: %s: %s; running without one", dev, strerror(errno));
		return;
	}
	if (timeout > 0 && ioctl(p->wdt_fd, WDIOC_SETTIMEOUT, &timeout) < 0)
		klog("watchdog: %s: set timeout %d s: %s", dev, timeout, strerror(errno));
	if (ioctl(p->wdt_fd, WDIOC_GETTIMEOUT, &timeout) < 0 || timeout <= 0)
		timeout = 2; /* unknown: pet often enough for any real timeout */
	/* Half the timeout: one late tick (a slow start, a long log burst) does not reset us. */
	long half_ms = timeout * 500L;
	struct itimerspec it = {
		.it_interval = {.tv_sec = half_ms / 1000, .tv_nsec = (half_ms % 1000) * 1000000},
		.it_value = {.tv_sec = half_ms / 1000, .tv_nsec = (half_ms % 1000) * 1000000},
	};
	struct err e;
	err_clear(&e);
	p->wdt_tick.ready = on_tick;
	p->wdt_tick.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (p->wdt_tick.fd < 0 || timerfd_settime(p->wdt_tick.fd, 0, &it, NULL) < 0 || loop_add(p, &p->wdt_tick, &e) < 0) {
		/* Without a tick the device would reset a healthy system: close it magically instead. */
		klog("watchdog: tick timer: %s; watchdog closed", e.msg[0] ? e.msg : strerror(errno));
		watchdog_close(p);
		return;
	}
	klog("watchdog: %s, timeout %d s, petted every %ld ms", dev, timeout, half_ms);
}

void watchdog_close(struct pid1 *p)
{
	if (p->wdt_fd < 0)
		return;
	/* The magic close: 'V' then close disarms a driver without nowayout. */
	if (write(p->wdt_fd, "V", 1) != 1)
		klog("watchdog: magic close: %s", strerror(errno));
	close(p->wdt_fd);
	p->wdt_fd = -1;
	if (p->wdt_tick.fd >= 0) {
		close(p->wdt_tick.fd);
		p->wdt_tick.fd = -1;
	}
	klog("watchdog: closed");
}
