/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL start-up shared by every lab program: rte_eal_init, the program's
 * log type, SIGINT/SIGTERM handling, the capture server for DPDK's
 * dpdk-dumpcap and dpdk-pdump in a primary that owns a port, and the
 * platform banner that every benchmark prints beside its figures.
 */
#ifndef LAB_EAL_H
#define LAB_EAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

/* Set by SIGINT/SIGTERM; every main loop polls it and then prints its counters. */
extern volatile sig_atomic_t lab_force_quit;

/*
 * Runs rte_eal_init(), registers "user.lab.<log_name>" and installs the
 * signal handlers. In a primary with at least one probed port it also calls
 * rte_pdump_init(), so that dpdk-dumpcap and dpdk-pdump can capture its
 * ports. Returns the number of arguments the EAL consumed (as
 * rte_eal_init() does), or a negative errno with a message already logged.
 */
int lab_eal_init(int argc, char **argv, const char *log_name);

/*
 * rte_pdump_uninit() if lab_eal_init() started the capture server, then
 * rte_eal_cleanup(); failures are logged. Close the ports first.
 * Returns rte_eal_cleanup()'s result. Arms lab_cleanup_deadline().
 */
int lab_eal_cleanup(void);

/*
 * From the first call on, the process has 10 s to finish its clean-up; past
 * that it prints why it is stuck (a process of its prefix died holding DPDK's
 * shared memory lock) and exits with EXIT_FAILURE. Call it where the
 * program's clean-up begins (before closing its ports and freeing its
 * memory); lab_eal_cleanup() calls it too.
 */
void lab_cleanup_deadline(void);

/* "primary" or "secondary", as the EAL decided (useful with --proc-type=auto). */
const char *lab_proc_type_name(void);

/* The --file-prefix in use, read back from the EAL's runtime directory. */
const char *lab_file_prefix(void);

/*
 * Logs why a named shared object was not found, naming the prefix, so a
 * student can tell a missing primary from a mistyped --file-prefix.
 */
void lab_report_missing(const char *kind, const char *name);

/*
 * The first CPU an lcore runs on. Not rte_lcore_to_cpu_id(): that is the
 * core id within its socket, which differs from the CPU on SMT or
 * multi-socket machines. -1 for an lcore with no CPU.
 */
int lab_lcore_cpu(unsigned int lcore_id);

/* DPDK version, CPU model, lcores in use and NUMA node count, one line each. */
void lab_print_platform(FILE *f);

#endif /* LAB_EAL_H */
