/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For test_lab8_stuck_lock.py only, never run by a student: a secondary that
 * takes DPDK's shared memory lock and dies holding it. On 22.11 a
 * dpdk-dumpcap that cannot map the primary's memory does the same by
 * accident: its clean-up takes the lock, unmaps where the primary's memory
 * would be and dies of SIGSEGV (docs/lab9.md, Troubleshooting).
 */
#include <signal.h>
#include <stdio.h>

#include <rte_eal.h>
#include <rte_eal_memconfig.h>
#include <rte_errno.h>

int
main(int argc, char **argv)
{
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "lab8_lock_and_die: rte_eal_init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	rte_mcfg_mem_write_lock();
	printf("lab8_lock_and_die: holding the shared memory lock; SIGKILL now\n");
	fflush(stdout);
	raise(SIGKILL);
	return 1;
}
