/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * This machine's topology as the EAL sees it, plus what only sysfs knows:
 * the firmware's distance matrix (ACPI SLIT), the hugepages reserved on
 * each node, each node's CPUs (for the plan) and the cache sizes.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ethdev.h>

#include "lab_log.h"
#include "lab_port.h"
#include "numa_check.h"

#define NUMA_SYSFS_NODE "/sys/devices/system/node"

/* First line of a small sysfs file, newline stripped; -errno when unreadable. */
static int
numa_sysfs_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -errno;
	if (fgets(buf, (int)len, f) == NULL) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* "0-3,8" into ids, without the option-style error messages. */
static int
numa_sysfs_list(const char *text, unsigned int *ids, unsigned int max, unsigned int *count)
{
	const char *p = text;
	unsigned int n = 0;

	while (*p != '\0') {
		char *end;
		unsigned long a, b;

		a = strtoul(p, &end, 10);
		if (end == p)
			return -EINVAL;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				return -EINVAL;
		}
		for (; a <= b; a++) {
			if (n == max)
				return -ENOSPC;
			ids[n++] = (unsigned int)a;
		}
		p = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return -EINVAL;
	}
	*count = n;
	return 0;
}

static uint64_t
numa_sysfs_u64(const char *path)
{
	char buf[64];

	if (numa_sysfs_read(path, buf, sizeof(buf)) < 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

uint64_t
numa_cache_bytes(unsigned int cpu, unsigned int level)
{
	uint64_t best = 0;
	unsigned int idx;

	for (idx = 0; idx < 16; idx++) {
		char path[160], buf[64];
		char *end;
		uint64_t size;

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/cache/index%u/level",
			cpu, idx);
		if (numa_sysfs_read(path, buf, sizeof(buf)) < 0)
			break;
		if (strtoul(buf, NULL, 10) != level)
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/cache/index%u/type",
			cpu, idx);
		if (numa_sysfs_read(path, buf, sizeof(buf)) == 0 &&
		    strcmp(buf, "Instruction") == 0)
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/cache/index%u/size",
			cpu, idx);
		if (numa_sysfs_read(path, buf, sizeof(buf)) < 0)
			continue;
		size = strtoull(buf, &end, 10);
		if (*end == 'K')
			size <<= 10;
		else if (*end == 'M')
			size <<= 20;
		if (size > best)
			best = size;
	}
	return best;
}

uint64_t
numa_llc_bytes(unsigned int cpu)
{
	unsigned int level;

	for (level = 4; level >= 1; level--) {
		uint64_t size = numa_cache_bytes(cpu, level);

		if (size > 0)
			return size;
	}
	return 0;
}

/* Each socket's row of the firmware matrix, ordered as the online nodes are. */
static void
numa_eal_distances(struct numa_topology *topo)
{
	unsigned int online[NUMA_MAX_SOCKETS * 2];
	unsigned int nb_online, i, j, k;
	char buf[512];

	if (numa_sysfs_read(NUMA_SYSFS_NODE "/online", buf, sizeof(buf)) < 0 ||
	    numa_sysfs_list(buf, online, RTE_DIM(online), &nb_online) < 0)
		return;
	for (i = 0; i < topo->nb_sockets; i++) {
		unsigned int row[RTE_DIM(online)];
		unsigned int nb_row = 0;
		char path[96];
		char *p = buf, *end;

		snprintf(path, sizeof(path), NUMA_SYSFS_NODE "/node%d/distance",
			topo->socket_ids[i]);
		if (numa_sysfs_read(path, buf, sizeof(buf)) < 0)
			return;
		while (nb_row < RTE_DIM(row)) {
			unsigned long v = strtoul(p, &end, 10);

			if (end == p)
				break;
			row[nb_row++] = (unsigned int)v;
			p = end;
		}
		if (nb_row != nb_online)
			return;
		for (j = 0; j < topo->nb_sockets; j++) {
			for (k = 0; k < nb_online; k++)
				if ((int)online[k] == topo->socket_ids[j])
					break;
			if (k == nb_online)
				return;
			topo->distances[i][j] = row[k];
		}
	}
	topo->has_distances = true;
}

static void
numa_eal_hugepages(struct numa_topology *topo)
{
	unsigned int i;

	for (i = 0; i < topo->nb_sockets; i++) {
		struct rte_malloc_socket_stats st;
		char dir_path[128];
		struct dirent *de;
		DIR *dir;

		if (rte_malloc_get_socket_stats(topo->socket_ids[i], &st) == 0)
			topo->heap_bytes[i] = st.heap_totalsz_bytes;
		snprintf(dir_path, sizeof(dir_path), NUMA_SYSFS_NODE "/node%d/hugepages",
			topo->socket_ids[i]);
		dir = opendir(dir_path);
		if (dir == NULL)
			continue;
		topo->has_hugepages = true;
		while ((de = readdir(dir)) != NULL) {
			char path[sizeof(dir_path) + 256 + 32];
			uint64_t kb;

			if (sscanf(de->d_name, "hugepages-%" SCNu64 "kB", &kb) != 1)
				continue;
			snprintf(path, sizeof(path), "%s/%s/nr_hugepages", dir_path, de->d_name);
			topo->hugepage_total[i] += numa_sysfs_u64(path) * kb * 1024;
			snprintf(path, sizeof(path), "%s/%s/free_hugepages", dir_path, de->d_name);
			topo->hugepage_free[i] += numa_sysfs_u64(path) * kb * 1024;
		}
		closedir(dir);
	}
}

/* Every online CPU of every socket: what a suggested -l list may use. */
static void
numa_eal_cpus(struct numa_topology *topo)
{
	unsigned int i, j;

	topo->nb_cpus = 0;
	for (i = 0; i < topo->nb_sockets; i++) {
		unsigned int ids[4096], n;
		char path[96], buf[1024];

		snprintf(path, sizeof(path), NUMA_SYSFS_NODE "/node%d/cpulist",
			topo->socket_ids[i]);
		if (numa_sysfs_read(path, buf, sizeof(buf)) < 0 ||
		    numa_sysfs_list(buf, ids, RTE_DIM(ids), &n) < 0)
			goto fallback;
		for (j = 0; j < n && topo->nb_cpus < NUMA_MAX_LCORES; j++) {
			/* -l takes lcore ids below RTE_MAX_LCORE only. */
			if (ids[j] >= NUMA_MAX_LCORES)
				continue;
			topo->cpus[topo->nb_cpus].lcore_id = ids[j];
			topo->cpus[topo->nb_cpus].socket = topo->socket_ids[i];
			topo->nb_cpus++;
		}
	}
	if (topo->nb_cpus > 0)
		return;
fallback:
	memcpy(topo->cpus, topo->lcores, sizeof(topo->lcores));
	topo->nb_cpus = topo->nb_lcores;
}

int
numa_topology_from_eal(struct numa_topology *topo)
{
	unsigned int i, lcore;
	uint16_t port_id;

	memset(topo, 0, sizeof(*topo));
	snprintf(topo->source, sizeof(topo->source), "EAL");
	topo->nb_sockets = rte_socket_count();
	if (topo->nb_sockets == 0 || topo->nb_sockets > NUMA_MAX_SOCKETS) {
		LAB_LOG(ERR, "the EAL reports %u sockets", topo->nb_sockets);
		return -EINVAL;
	}
	for (i = 0; i < topo->nb_sockets; i++) {
		int id = rte_socket_id_by_idx(i);

		if (id < 0) {
			LAB_LOG(ERR, "rte_socket_id_by_idx(%u) failed: %s", i,
				rte_strerror(rte_errno));
			return -EINVAL;
		}
		topo->socket_ids[i] = id;
	}
	topo->main_lcore = rte_get_main_lcore();
	RTE_LCORE_FOREACH(lcore) {
		topo->lcores[topo->nb_lcores].lcore_id = lcore;
		topo->lcores[topo->nb_lcores].socket = (int)rte_lcore_to_socket_id(lcore);
		topo->nb_lcores++;
	}
	RTE_ETH_FOREACH_DEV(port_id) {
		struct numa_port *port = &topo->ports[topo->nb_ports];
		struct rte_eth_dev_info info;
		int ret;

		if (topo->nb_ports == NUMA_MAX_PORTS)
			break;
		memset(port, 0, sizeof(*port));
		port->port_id = port_id;
		/* -1 (SOCKET_ID_ANY) is a valid answer for a virtual device. */
		port->socket = rte_eth_dev_socket_id(port_id);
		ret = rte_eth_dev_get_name_by_port(port_id, port->name);
		if (ret < 0) {
			LAB_LOG(ERR, "port %u: cannot get its name: %s", port_id, strerror(-ret));
			return ret;
		}
		ret = lab_port_info_get(port_id, &info);
		if (ret < 0)
			return ret;
		port->is_virtual = lab_port_is_virtual(&info);
		port->actual.pool_socket = NUMA_SOCKET_UNKNOWN;
		port->actual.rxq_socket = NUMA_SOCKET_UNKNOWN;
		port->actual.txq_socket = NUMA_SOCKET_UNKNOWN;
		port->actual.ring_socket = NUMA_SOCKET_UNKNOWN;
		port->actual.table_socket = NUMA_SOCKET_UNKNOWN;
		topo->nb_ports++;
	}
	numa_eal_cpus(topo);
	numa_eal_distances(topo);
	numa_eal_hugepages(topo);
	return 0;
}
