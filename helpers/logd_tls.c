/* keel-logd's syslog over TLS: not yet built (it reuses helpers/tls.c, issue 17's TLS client). */
#include "logd_tls.h"

#include <errno.h>

#include "logd_syslog.h"

int slog_tls_init(struct slog *s, struct err *e)
{
	(void)s;
	return err_set(e, ENOSYS, "syslog over tls: not in this build yet");
}
void slog_tls_start(struct slog *s) { (void)s; }
void slog_tls_reset(struct slog *s) { (void)s; }
int slog_tls_ready(struct slog *s) { (void)s; return 0; }
int slog_tls_wants_write(struct slog *s) { (void)s; return 0; }
ssize_t slog_tls_write(struct slog *s, const char *b, size_t n) { (void)s; (void)b; (void)n; errno = EIO; return -1; }
ssize_t slog_tls_read(struct slog *s) { (void)s; return 0; }
int slog_tls_pump(struct slog *s) { (void)s; return -1; }
