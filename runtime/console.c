/* The OCI terminal (process.terminal): a pty for the container's process, its slave the stdio
 * and controlling terminal, its master handed to the caller over a unix socket with SCM_RIGHTS
 * (runc's --console-socket protocol, which conmon speaks). */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

static int send_fd(int sock, int fd, struct err *e)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof u);
	char name[] = "/dev/ptmx";
	struct iovec iov = {.iov_base = name, .iov_len = sizeof name - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		return err_sys(e, errno, "terminal: send the pty to the console socket");
	return 0;
}

int console_setup(int console_fd, unsigned short rows, unsigned short cols, struct err *e)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return err_sys(e, errno, "terminal: open /dev/ptmx");
	int unlock = 0, rc = -1;
	/* TIOCGPTPEER: the slave of this very master, without a lookup by name in /dev/pts. */
	int slave = ioctl(master, TIOCSPTLCK, &unlock) < 0 ? -1 : ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		err_sys(e, errno, "terminal: open the pty's slave");
		goto out;
	}
	struct winsize ws = {.ws_row = rows, .ws_col = cols};
	if (rows && cols && ioctl(slave, TIOCSWINSZ, &ws) < 0) {
		err_sys(e, errno, "terminal: set its size");
		goto out;
	}
	/* /dev/console: the slave bound on it, as runc does; only where our /dev lets us make it. */
	char pts[64];
	snprintf(pts, sizeof pts, "/proc/self/fd/%d", slave);
	int fd = open("/dev/console", O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		close(fd);
		if (mount(pts, "/dev/console", NULL, MS_BIND, NULL) < 0) {
			err_sys(e, errno, "terminal: bind it on /dev/console");
			goto out;
		}
	}
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) {
		err_sys(e, errno, "terminal: make it the controlling terminal");
		goto out;
	}
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0) {
			err_sys(e, errno, "terminal: dup2");
			goto out;
		}
	rc = send_fd(console_fd, master, e);
out:
	if (slave >= 0)
		close(slave);
	close(master);
	close(console_fd);
	return rc;
}
