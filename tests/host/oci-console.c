/* Test helper for tests/host/60-oci-lifecycle.test: the receiving end of runc's --console-socket
 * protocol, as conmon is. Listens on a unix socket, takes one pty master sent with SCM_RIGHTS,
 * and copies what the container writes to its terminal to stdout until the pty closes.
 *   oci-console SOCKET      (the socket exists once it listens) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", argv[1]);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1) < 0)
		return perror("listen"), 1;
	int c = accept(s, NULL, NULL);
	if (c < 0)
		return perror("accept"), 1;
	char name[64], ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = name, .iov_len = sizeof name};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	if (recvmsg(c, &mh, 0) < 0)
		return perror("recvmsg"), 1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return fprintf(stderr, "no fd received\n"), 1;
	int master;
	memcpy(&master, CMSG_DATA(cm), sizeof master);
	char buf[4096];
	ssize_t n;
	/* EIO once every slave descriptor is closed: the container has exited. */
	while ((n = read(master, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
			return 1;
	return 0;
}
