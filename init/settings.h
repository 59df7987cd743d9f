/* The config's system settings (settings.c): hostname, console log level, sysctls. */
#ifndef KEEL_INIT_SETTINGS_H
#define KEEL_INIT_SETTINGS_H


struct pid1;

void settings_apply(const struct pid1 *p);

#endif
