/* PID 1's control socket (ctl_server.c), /run/keel/ctl: one request line per connection from root,
 * answered without blocking. The client side is cmd/ctl.c (keel ctl). */
#ifndef KEEL_INIT_CTL_SERVER_H
#define KEEL_INIT_CTL_SERVER_H


struct pid1;

/* Listen, and set the hooks through which svclog and reload reach ctl's clients (pid1.h). */
void ctl_init(struct pid1 *p);

#endif
