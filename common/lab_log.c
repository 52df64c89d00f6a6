/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include <rte_log.h>

#include "lab_log.h"

/* Until a program registers its own type, messages go to the user1 type. */
int lab_logtype = RTE_LOGTYPE_USER1;
const char *lab_log_name = "lab";

int
lab_log_register(const char *name)
{
	static char type_name[64];
	int ret;

	snprintf(type_name, sizeof(type_name), "user.lab.%s", name);
	/* Picks up any --log-level pattern the EAL saved while parsing. */
	ret = rte_log_register_type_and_pick_level(type_name, RTE_LOG_INFO);
	if (ret < 0)
		return ret;
	lab_logtype = ret;
	lab_log_name = name;
	return 0;
}
