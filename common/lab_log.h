/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One registered log type per program ("user.lab.<name>"), so that
 * --log-level=user.lab.*:debug works like it does for DPDK's own types.
 */
#ifndef LAB_LOG_H
#define LAB_LOG_H

#include <rte_log.h>

extern int lab_logtype;
extern const char *lab_log_name;

/* Registers "user.lab.<name>" with INFO as its default level. */
int lab_log_register(const char *name);

#define LAB_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, lab_logtype, "%s: " fmt "\n", lab_log_name, ##__VA_ARGS__)

#endif /* LAB_LOG_H */
