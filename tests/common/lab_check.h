/* SPDX-License-Identifier: BSD-3-Clause */
/* A minimal check harness for the C unit tests: count, report, never stop early. */
#ifndef LAB_CHECK_H
#define LAB_CHECK_H

#include <stdio.h>

static unsigned int lab_checks_run;
static unsigned int lab_checks_failed;

#define CHECK(cond, ...) do { \
	lab_checks_run++; \
	if (!(cond)) { \
		lab_checks_failed++; \
		printf("FAIL %s:%d: ", __FILE__, __LINE__); \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} \
} while (0)

/* Exit status for main(): 1 on any failure or when nothing was checked. */
static inline int
lab_check_summary(const char *name)
{
	printf("%s: %u checks, %u failed\n", name, lab_checks_run, lab_checks_failed);
	return lab_checks_failed != 0 || lab_checks_run == 0;
}

#endif /* LAB_CHECK_H */
