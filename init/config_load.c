/* PID 1 loads the factory config (/etc/keel/config.bin): read, validate, check the signature. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pid1.h"

/* Reads the whole file into a fresh malloc'd buffer (malloc's alignment satisfies the reader's
 * 8-byte rule). The size bound keeps a bogus file from eating the memory of a small device. */
static int read_file(const char *path, uint8_t **out, size_t *len, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "%s: open", path);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err_sys(e, errno, "%s: stat", path);
		close(fd);
		return -1;
	}
	size_t max = CFG_MAX_SIZE + 4096; /* the body plus a signature trailer */
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (size_t)st.st_size > max) {
		err_set(e, EINVAL, "%s: expected a regular file of 1..%zu bytes, got %lld bytes", path, max,
			(long long)st.st_size);
		close(fd);
		return -1;
	}
	uint8_t *buf = malloc((size_t)st.st_size);
	if (!buf) {
		err_sys(e, ENOMEM, "%s: %lld bytes", path, (long long)st.st_size);
		close(fd);
		return -1;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				err_sys(e, errno, "%s: read", path);
			else
				err_set(e, EIO, "%s: file shrank while reading (%zu bytes)", path, got);
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	*out = buf;
	*len = got;
	return 0;
}

void config_load(struct pid1 *p)
{
	struct err e;
	err_clear(&e);
	uint8_t *buf = NULL;
	size_t len = 0;
	p->cfg_ok = false;
	if (read_file(PID1_CONFIG_PATH, &buf, &len, &e) < 0) {
		klog("%s", e.msg);
		return;
	}
	/* The reader's messages start with the name we give it: "/etc/keel/config.bin: ...". */
	if (cfg_open(&p->cfg, buf, len, PID1_CONFIG_PATH, &e) < 0 ||
	    cfg_verify_signature(&p->cfg, PID1_KEYS_DIR, PID1_CONFIG_PATH, &e) < 0) {
		klog("%s", e.msg);
		free(buf);
		return;
	}
	p->cfg_buf = buf;
	p->cfg_ok = true;
	const char *host = cfg_str(&p->cfg, p->cfg.system->hostname);
	klog("config: %s loaded (%zu bytes, %s, %u services, %u networks%s%s)", PID1_CONFIG_PATH, len,
	     p->cfg.sig ? "signed" : "unsigned", cfg_service_count(&p->cfg), cfg_network_count(&p->cfg),
	     *host ? ", hostname " : "", host);
}
