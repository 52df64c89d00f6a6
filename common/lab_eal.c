/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_version.h>

#include <rte_ethdev.h>
#include <rte_pdump.h>

#include "lab_eal.h"
#include "lab_log.h"
#include "lab_mempool.h"

volatile sig_atomic_t lab_force_quit;

/* This process serves dpdk-dumpcap and dpdk-pdump: lab_eal_cleanup() stops it. */
static bool lab_pdump_on;

static void
lab_signal_handler(int signum)
{
	(void)signum;
	lab_force_quit = 1;
}

static int
lab_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lab_signal_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -errno;
	return 0;
}

/*
 * A primary that owns a port answers DPDK's capture tools: dpdk-dumpcap and
 * dpdk-pdump are secondaries that ask the primary, over the multi-process
 * socket, to put rx/tx callbacks on its queues that copy every packet into
 * their ring. Without rte_pdump_init() nobody answers: 'Packet dump enable
 * failed: Operation not permitted'. Only the primary serves (it owns the
 * callbacks); a process with no port has nothing to capture.
 */
static int
lab_pdump_start(void)
{
	if (rte_eal_process_type() != RTE_PROC_PRIMARY || rte_eth_dev_count_avail() == 0)
		return 0;
	if (rte_pdump_init() < 0) {
		LAB_LOG(ERR, "cannot serve dpdk-dumpcap/dpdk-pdump (rte_pdump_init): %s. "
			"Reserve more hugepages: ./scripts/labenv.sh hugepages",
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	lab_pdump_on = true;
	LAB_LOG(INFO, "capture: dpdk-dumpcap --file-prefix=%s -i 0 (or dpdk-pdump) can copy "
		"what %u port(s) receive and send", lab_file_prefix(), rte_eth_dev_count_avail());
	return 0;
}

int
lab_eal_init(int argc, char **argv, const char *log_name)
{
	unsigned int nb_linked_ops = lab_mempool_ops_linked();
	int consumed;
	int ret;

	consumed = rte_eal_init(argc, argv);
	if (consumed < 0) {
		ret = -rte_errno;
		fprintf(stderr, "%s: EAL initialisation failed: %s. Check the EAL options, "
			"hugepages (./scripts/labenv.sh hugepages) and --file-prefix.\n",
			log_name, rte_strerror(rte_errno));
		return ret < 0 ? ret : -EINVAL;
	}
	ret = lab_log_register(log_name);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot register log type: %s\n", log_name, strerror(-ret));
		return ret;
	}
	lab_mempool_ops_warn_linked(nb_linked_ops);
	ret = lab_signals_install();
	if (ret < 0) {
		LAB_LOG(ERR, "cannot install signal handlers: %s", strerror(-ret));
		return ret;
	}
	ret = lab_pdump_start();
	if (ret < 0)
		return ret;
	LAB_LOG(INFO, "%s process, file prefix '%s', main lcore %u", lab_proc_type_name(),
		lab_file_prefix(), rte_get_main_lcore());
	return consumed;
}

/*
 * Clean-up takes DPDK's shared memory lock (freeing a memzone, detaching the
 * memory). A process of the same prefix that died holding it blocks that for
 * ever: on 22.11 a dpdk-dumpcap that cannot map the primary's memory dies so
 * (docs/lab9.md, Troubleshooting). After LAB_CLEANUP_TIMEOUT_S the process
 * says so and leaves without the rest of its clean-up.
 */
#define LAB_CLEANUP_TIMEOUT_S 10

static char lab_stuck_msg[512];
static size_t lab_stuck_len;

static void
lab_cleanup_stuck(int signum)
{
	ssize_t n;

	(void)signum;
	/* Only async-signal-safe calls here: the message was made when armed. */
	n = write(STDERR_FILENO, lab_stuck_msg, lab_stuck_len);
	(void)n;
	_exit(EXIT_FAILURE);
}

void
lab_cleanup_deadline(void)
{
	static bool armed;
	struct sigaction sa;
	int len;

	if (armed)
		return;
	armed = true;
	len = snprintf(lab_stuck_msg, sizeof(lab_stuck_msg), "%s: clean-up still blocked "
		"after %u s: a process of --file-prefix=%s died holding DPDK's shared memory "
		"lock (a dpdk-dumpcap that could not map this process's memory does). Leaving "
		"without it; then ./scripts/labenv.sh clean %s, and start the primary with "
		"--base-virtaddr=0x200000000000\n", lab_log_name, LAB_CLEANUP_TIMEOUT_S,
		lab_file_prefix(), lab_file_prefix());
	lab_stuck_len = len < 0 ? 0 : RTE_MIN((size_t)len, sizeof(lab_stuck_msg) - 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lab_cleanup_stuck;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0) {
		LAB_LOG(WARNING, "no clean-up deadline (sigaction SIGALRM): %s", strerror(errno));
		return;
	}
	alarm(LAB_CLEANUP_TIMEOUT_S);
}

int
lab_eal_cleanup(void)
{
	int ret;

	lab_cleanup_deadline();
	if (lab_pdump_on) {
		/* Unregisters the capture server and frees its statistics memzone. */
		ret = rte_pdump_uninit();
		if (ret < 0)
			LAB_LOG(WARNING, "rte_pdump_uninit failed: %s", rte_strerror(rte_errno));
		lab_pdump_on = false;
	}
	ret = rte_eal_cleanup();
	if (ret < 0)
		LAB_LOG(WARNING, "rte_eal_cleanup failed: %s", strerror(-ret));
	alarm(0);
	return ret;
}

const char *
lab_proc_type_name(void)
{
	return rte_eal_process_type() == RTE_PROC_PRIMARY ? "primary" : "secondary";
}

const char *
lab_file_prefix(void)
{
	/* The runtime directory is <run dir>/dpdk/<file prefix>. */
	const char *dir = rte_eal_get_runtime_dir();
	const char *slash = strrchr(dir, '/');

	return slash != NULL ? slash + 1 : dir;
}

void
lab_report_missing(const char *kind, const char *name)
{
	LAB_LOG(ERR, "Cannot find %s %s: is the primary running with --file-prefix=%s?",
		kind, name, lab_file_prefix());
}

static void
lab_cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f;

	snprintf(buf, len, "unknown");
	f = fopen("/proc/cpuinfo", "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || colon == NULL)
			continue;
		colon += 2;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

int
lab_lcore_cpu(unsigned int lcore_id)
{
	rte_cpuset_t set = rte_lcore_cpuset(lcore_id);
	int cpu;

	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			return cpu;
	return -1;
}

void
lab_print_platform(FILE *f)
{
	char model[128];
	unsigned int lcore;
	int pos = 0;
	char lcores[256] = "";

	lab_cpu_model(model, sizeof(model));
	RTE_LCORE_FOREACH(lcore) {
		if (pos < (int)sizeof(lcores))
			pos += snprintf(lcores + pos, sizeof(lcores) - pos, "%s%u@cpu%d",
				pos ? "," : "", lcore, lab_lcore_cpu(lcore));
	}
	fprintf(f, "# DPDK version : %s\n", rte_version());
	fprintf(f, "# CPU model    : %s\n", model);
	fprintf(f, "# lcores used  : %u (%s)\n", rte_lcore_count(), lcores);
	fprintf(f, "# NUMA nodes   : %u\n", rte_socket_count());
}
