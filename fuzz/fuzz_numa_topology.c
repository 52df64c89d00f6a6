/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for numa_demo's --topology reader (numa_topo_file.c).
 * The input is the file's content, handed over as an in-memory file
 * (memfd) so the reader runs exactly as numa_check runs it, by path.
 * Invariants: a topology either loads consistently (every index and
 * socket the audit and the plan use is in range, lists sorted and unique)
 * and then goes through numa_check's own steps without trouble, or it is
 * refused with -EINVAL and a "--topology" message. ASan/LSan see the rest.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_log.h>

#include "lab_log.h"
#include "numa_check.h"

static struct numa_topology topo;
static struct numa_findings findings;
static struct numa_plan plan;
static char *log_buf;
static size_t log_len;
static FILE *log_stream;

static void
check(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_numa_topology: invariant broken: %s\n", what);
		abort();
	}
}

static bool
socket_ok(int socket)
{
	return socket >= 0 && (unsigned int)socket < topo.nb_sockets;
}

static bool
lcore_listed(unsigned int lcore_id)
{
	unsigned int i;

	for (i = 0; i < topo.nb_lcores; i++)
		if (topo.lcores[i].lcore_id == lcore_id)
			return true;
	return false;
}

static void
check_placement(const struct numa_placement *a, bool modelled)
{
	const int s[] = { a->pool_socket, a->rxq_socket, a->txq_socket, a->ring_socket,
		a->table_socket };
	unsigned int i;

	for (i = 0; i < RTE_DIM(s); i++)
		check(socket_ok(s[i]) || (!modelled && s[i] == NUMA_SOCKET_UNKNOWN),
			"port object socket out of range");
}

static void
check_loaded(void)
{
	unsigned int i, j;

	check(topo.nb_sockets >= 1 && topo.nb_sockets <= NUMA_MAX_SOCKETS, "socket count");
	for (i = 0; i < topo.nb_sockets; i++)
		check(topo.socket_ids[i] == (int)i, "socket ids are 0..sockets-1");
	check(topo.nb_lcores >= 1 && topo.nb_lcores <= NUMA_MAX_LCORES, "lcore count");
	for (i = 0; i < topo.nb_lcores; i++) {
		check(topo.lcores[i].lcore_id < NUMA_MAX_LCORES, "lcore id range");
		check(socket_ok(topo.lcores[i].socket), "lcore socket < sockets");
		for (j = 0; j < i; j++)
			check(topo.lcores[j].lcore_id != topo.lcores[i].lcore_id, "lcore unique");
	}
	check(lcore_listed(topo.main_lcore), "main lcore is one of the lcores");
	check(topo.nb_cpus == topo.nb_lcores &&
		memcmp(topo.cpus, topo.lcores, sizeof(topo.cpus)) == 0, "cpus = lcores");
	check(topo.nb_ports <= NUMA_MAX_PORTS, "port count");
	for (i = 0; i < topo.nb_ports; i++) {
		const struct numa_port *p = &topo.ports[i];

		check(p->port_id < NUMA_MAX_PORTS, "port id range");
		for (j = 0; j < i; j++)
			check(topo.ports[j].port_id != p->port_id, "port unique");
		check(socket_ok(p->socket) || p->socket == NUMA_SOCKET_ANY, "port socket");
		check(p->is_virtual == (p->socket == NUMA_SOCKET_ANY), "virtual = no socket");
		check(memchr(p->name, '\0', sizeof(p->name)) != NULL, "port name terminated");
		check(p->nb_pollers <= NUMA_MAX_LCORES, "poller count");
		for (j = 0; j < p->nb_pollers; j++) {
			check(lcore_listed(p->pollers[j]), "poller is one of the lcores");
			check(j == 0 || p->pollers[j - 1] < p->pollers[j],
				"pollers sorted, unique");
		}
		check_placement(&p->actual, false);
	}
	for (i = 0; i < NUMA_MAX_SOCKETS; i++)
		for (j = 0; j < NUMA_MAX_SOCKETS; j++) {
			bool inside = topo.has_distances && i < topo.nb_sockets &&
				j < topo.nb_sockets;

			check(inside ? topo.distances[i][j] >= 1 && topo.distances[i][j] <= 255 :
				topo.distances[i][j] == 0, "distances: square matrix of 1-255");
		}
	for (i = 0; i < NUMA_MAX_SOCKETS; i++) {
		bool inside = topo.has_hugepages && i < topo.nb_sockets;

		check(inside || topo.hugepage_total[i] == 0, "hugepages one per socket");
		check(topo.hugepage_free[i] == topo.hugepage_total[i], "hugepages free = total");
	}
}

/* What numa_check does next with a file topology, then what the plan promises. */
static void
check_consumers(void)
{
	unsigned int i, q;

	numa_pollers_default(&topo);
	for (i = 0; i < topo.nb_ports; i++) {
		check(topo.ports[i].nb_pollers >= 1, "every port has a poller after defaults");
		numa_placement_model(&topo, &topo.ports[i]);
		check_placement(&topo.ports[i].actual, true);
	}
	memset(&findings, 0, sizeof(findings));
	numa_audit(&topo, &findings);
	check(findings.count <= NUMA_MAX_FINDINGS && findings.warnings <= findings.count,
		"finding counts");
	check(numa_plan_make(&topo, 0, &plan) == 0, "a loaded topology can be planned");
	check(plan.main_lcore == topo.main_lcore && plan.nb_ports == topo.nb_ports, "plan");
	check(memchr(plan.lcore_list, '\0', sizeof(plan.lcore_list)) != NULL, "plan list");
	for (i = 0; i < plan.nb_ports; i++) {
		check(plan.ports[i].nb_queues >= 1 &&
			plan.ports[i].nb_queues <= NUMA_MAX_PLAN_QUEUES, "plan queue count");
		for (q = 0; q < plan.ports[i].nb_queues; q++)
			check(lcore_listed(plan.ports[i].queue_lcore[q]),
				"plan chooses listed lcores");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd, ret;

	if (log_stream == NULL) {
		/* The reader's refusals go to the log: keep them to check one was given. */
		log_stream = open_memstream(&log_buf, &log_len);
		if (log_stream == NULL || rte_openlog_stream(log_stream) != 0)
			abort();
	}
	fd = memfd_create("topology.json", 0);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	rewind(log_stream);
	fflush(log_stream);
	ret = numa_topology_from_file(path, &topo);
	fflush(log_stream);
	close(fd);
	if (ret == 0) {
		check(log_len == 0, "a loaded topology logs no error");
		check(strcmp(topo.source, path) == 0, "source names the file");
		check_loaded();
		check_consumers();
	} else {
		check(ret == -EINVAL, "refused with -EINVAL");
		check(memmem(log_buf, log_len, "--topology ", 11) != NULL,
			"a refusal says why, naming --topology");
	}
	return 0;
}
