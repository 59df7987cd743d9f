/* keel-pack's updates of the layer index (format/layer_index.h): names added under a lock, so two
 * keel-packs writing one store (a parallel build) do not lose each other's names. */
#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

int index_update(const char *layers_dir, const struct layer_index_entry *adds, size_t nadds,
		 const struct layer_tree *trees, size_t ntrees, struct err *e)
{
	char lock[4096];
	if (pathf(e, lock, sizeof lock, "%s/.index.lock", layers_dir) != 0)
		return -1;
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd < 0 || flock(lfd, LOCK_EX) != 0) {
		err_sys(e, errno, "lock %s", lock);
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	struct layer_index ix;
	int rc = layer_index_load(&ix, layers_dir, e);
	if (rc < 0 && e->code == ENOENT)
		rc = 0; /* a new store: an empty index */
	for (size_t i = 0; rc == 0 && i < nadds; i++)
		rc = layer_index_put(&ix, &adds[i], e);
	for (size_t i = 0; rc == 0 && i < ntrees; i++)
		rc = layer_index_put_tree(&ix, &trees[i], e);
	if (rc == 0)
		rc = layer_index_write(&ix, layers_dir, e);
	layer_index_free(&ix);
	close(lfd);
	return rc;
}
