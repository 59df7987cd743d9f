/* A minimal test harness for C unit tests: each CHECK prints one PASS/FAIL line. */
#ifndef KEEL_TEST_H
#define KEEL_TEST_H
#include <stdio.h>

static int test_failed;
#define CHECK(name, cond, ...)                                                                  \
	do {                                                                                    \
		if (cond) {                                                                     \
			printf("PASS %s\n", name);                                              \
		} else {                                                                        \
			printf("FAIL %s: ", name);                                              \
			printf(__VA_ARGS__);                                                    \
			printf(" (%s:%d)\n", __FILE__, __LINE__);                               \
			test_failed = 1;                                                        \
		}                                                                               \
	} while (0)
#define TEST_EXIT() return test_failed ? 1 : 0
#endif
