/* PID 1's console log: one line per event, stamped with the time since boot. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "pid1.h"

/* CLOCK_BOOTTIME starts at 0 when the kernel boots, so a stamp reads as "seconds into the boot"
 * and a test can take the time to PID 1 and to poweroff straight from the console. */
int64_t boot_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A busy console gets up to this long per line to take it: a serial line at 115200 baud moves
 * about 11 KB/s, so a burst of boot lines or a chatty log_console service fills the tty's buffer,
 * and while the console shell writes (blocking, when the buffer is full) the tty refuses every
 * other non-blocking writer with EAGAIN. tty poll says POLLOUT once the tty is not write-locked
 * and fewer than 256 characters wait, so the line then goes in one write, whole. Past the budget
 * the line (or its rest) is dropped: a stuck console costs PID 1 at most this much per line. */
#define CONSOLE_WAIT_MS 20

/* One write() per line so the line never interleaves with what the console shell prints. */
void klog(const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		ts.tv_sec = ts.tv_nsec = 0;
	int n = snprintf(line, sizeof line, "keel: [%5lld.%03ld] ", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	if (n < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2; /* cut, never overflow: keep room for the newline */
	line[len++] = '\n';
	int64_t give_up = boot_ms() + CONSOLE_WAIT_MS;
	for (size_t off = 0; off < len;) {
		struct pollfd pf = {.fd = STDOUT_FILENO, .events = POLLOUT};
		int64_t left = give_up - boot_ms();
		if (poll(&pf, 1, left > 0 ? (int)left : 0) == 0)
			return; /* still busy: the line (or its rest) is dropped, PID 1 goes on */
		ssize_t w = write(STDOUT_FILENO, line + off, len - off);
		if (w < 0 && (errno == EINTR || (errno == EAGAIN && left > 0)))
			continue;
		if (w <= 0)
			return; /* no console, or it stayed busy */
		off += (size_t)w;
	}
}
