/* The data partition (data.c): /data from the config's device, else a tmpfs with a warning. */
#ifndef KEEL_INIT_DATA_H
#define KEEL_INIT_DATA_H


struct pid1;

void data_mount(const struct pid1 *p);

#endif
