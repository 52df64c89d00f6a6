/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For each port, the objects of the course's allocation table, created the
 * way a lab creates them (common/ helpers for the pool and the queues), then
 * read back from the objects themselves: the socket DPDK recorded and the
 * socket of the memory segment the object really sits in.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memory.h>
#include <rte_memzone.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "lab_eal.h"
#include "lab_log.h"
#include "lab_mempool.h"
#include "lab_port.h"
#include "numa_check.h"

#define NUMA_RING_SIZE 1024
#define NUMA_TABLE_BYTES (64 * 1024)
#define NUMA_PORT_DESC 256

struct numa_port_objects {
	struct rte_mempool *pool;
	struct rte_ring *ring;
	const struct rte_memzone *table;
	bool started;
};

static struct numa_port_objects numa_objects[NUMA_MAX_PORTS];

/* The socket of the hugepage segment holding addr: where it really is. */
static int
numa_memory_socket(const void *addr)
{
	const struct rte_memseg *ms;

	if (addr == NULL)
		return NUMA_SOCKET_UNKNOWN;
	ms = rte_mem_virt2memseg(addr, NULL);
	return ms != NULL ? ms->socket_id : NUMA_SOCKET_UNKNOWN;
}

static int
numa_pool_memory_socket(const struct rte_mempool *mp)
{
	const struct rte_mempool_memhdr *hdr = STAILQ_FIRST(&mp->mem_list);

	return hdr != NULL ? numa_memory_socket(hdr->addr) : NUMA_SOCKET_UNKNOWN;
}

/* A socket other than `avoid` whose heap can hold a pool, or UNKNOWN. */
static int
numa_wrong_socket(const struct numa_topology *topo, int avoid, char *why, size_t len)
{
	unsigned int i;

	if (topo->nb_sockets < 2) {
		snprintf(why, len, "this machine has one NUMA socket (%d): there is no other "
			"socket to put the pool on, so it stays on socket %d", avoid, avoid);
		return NUMA_SOCKET_UNKNOWN;
	}
	for (i = 1; i <= topo->nb_sockets; i++) {
		unsigned int idx = (numa_socket_index(topo, avoid) + i) % topo->nb_sockets;

		if (topo->socket_ids[idx] == avoid)
			continue;
		if (!topo->has_hugepages || topo->hugepage_free[idx] > 0 ||
		    topo->heap_bytes[idx] > 0)
			return topo->socket_ids[idx];
	}
	snprintf(why, len, "no socket other than %d has free hugepages: reserve some with "
		"echo N > /sys/devices/system/node/nodeX/hugepages/hugepages-2048kB/nr_hugepages",
		avoid);
	return NUMA_SOCKET_UNKNOWN;
}

/*
 * The port's mbuf pool: on the port's socket as every lab does, or with
 * --wrong-socket deliberately on another one where there is one.
 */
static int
numa_port_pool_create(struct numa_topology *topo, struct numa_port *port,
		struct numa_port_objects *obj, unsigned int nb_queues, bool wrong_socket,
		struct numa_findings *f)
{
	char name[RTE_MEMZONE_NAMESIZE];
	int home = numa_port_home_socket(topo, port);
	unsigned int nb_mbufs;

	/* Enough for every rx descriptor plus the per-lcore caches. */
	nb_mbufs = 2047 + nb_queues * 2 * NUMA_PORT_DESC;
	snprintf(name, sizeof(name), "NUMA_POOL_P%u", port->port_id);
	if (wrong_socket) {
		char why[192] = "";
		int other = numa_wrong_socket(topo, home, why, sizeof(why));

		if (other == NUMA_SOCKET_UNKNOWN) {
			/* Said once: on one socket it holds for every port alike. */
			if (port == &topo->ports[0] || topo->nb_sockets > 1)
				numa_finding_add(f, NUMA_INFO, "--wrong-socket: %s", why);
			obj->pool = lab_mbuf_pool_create(name, nb_mbufs, port->port_id);
		} else {
			numa_finding_add(f, NUMA_INFO, "--wrong-socket: port %u's pool "
				"deliberately created on socket %d instead of %d", port->port_id,
				other, home);
			obj->pool = lab_mbuf_pool_create_on(name, nb_mbufs, other);
		}
	} else {
		/* The helper every lab uses: the port's socket, or ours for SOCKET_ID_ANY. */
		obj->pool = lab_mbuf_pool_create(name, nb_mbufs, port->port_id);
	}
	if (obj->pool == NULL)
		return -rte_errno ? -rte_errno : -ENOMEM;
	/* The object says where it was asked to be; its memory says where it is. */
	port->actual.pool_socket = numa_pool_memory_socket(obj->pool);
	if (port->actual.pool_socket == NUMA_SOCKET_UNKNOWN)
		port->actual.pool_socket = obj->pool->socket_id;
	return 0;
}

/* Starts the port with lab_port_init(), then reads back where its queues are. */
static int
numa_port_queues_start(struct numa_port *port, struct numa_port_objects *obj,
		unsigned int nb_queues)
{
	struct lab_port_conf conf;
	void *q;
	int ret;

	lab_port_conf_default(&conf, (uint16_t)nb_queues);
	conf.nb_rxd = NUMA_PORT_DESC;
	conf.nb_txd = NUMA_PORT_DESC;
	conf.link_wait_ms = 0;
	ret = lab_port_init(port->port_id, &conf, obj->pool, NULL);
	if (ret < 0)
		return ret;
	obj->started = true;
	/* The PMD's queue structures, as the fast path sees them. */
	q = rte_eth_fp_ops[port->port_id].rxq.data[0];
	port->actual.rxq_socket = numa_memory_socket(q);
	q = rte_eth_fp_ops[port->port_id].txq.data[0];
	port->actual.txq_socket = numa_memory_socket(q);
	return 0;
}

/* The port's ring on the users' socket, or on any where that one has no memory. */
static int
numa_port_ring_create(struct numa_port *port, struct numa_port_objects *obj, int users)
{
	char name[RTE_MEMZONE_NAMESIZE];

	snprintf(name, sizeof(name), "NUMA_RING_P%u", port->port_id);
	obj->ring = rte_ring_create(name, NUMA_RING_SIZE, users, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (obj->ring == NULL && rte_errno == ENOMEM) {
		/* No hugepages there: take any socket, and let the audit say where. */
		LAB_LOG(WARNING, "no memory for ring %s on socket %d: creating it on any socket",
			name, users);
		obj->ring = rte_ring_create(name, NUMA_RING_SIZE, SOCKET_ID_ANY,
			RING_F_SP_ENQ | RING_F_SC_DEQ);
	}
	if (obj->ring == NULL) {
		LAB_LOG(ERR, "cannot create ring %s on socket %d: %s", name, users,
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	port->actual.ring_socket = numa_memory_socket(obj->ring);
	if (port->actual.ring_socket == NUMA_SOCKET_UNKNOWN)
		port->actual.ring_socket = obj->ring->memzone->socket_id;
	return 0;
}

/* A lookup table in a named memzone, as the course shares FLOW_TABLE. */
static int
numa_port_table_reserve(struct numa_port *port, struct numa_port_objects *obj, int users)
{
	char name[RTE_MEMZONE_NAMESIZE];

	snprintf(name, sizeof(name), "NUMA_TABLE_P%u", port->port_id);
	obj->table = rte_memzone_reserve(name, NUMA_TABLE_BYTES, users, 0);
	if (obj->table == NULL && rte_errno == ENOMEM) {
		LAB_LOG(WARNING, "no memory for table %s on socket %d: reserving it on any "
			"socket", name, users);
		obj->table = rte_memzone_reserve(name, NUMA_TABLE_BYTES, SOCKET_ID_ANY, 0);
	}
	if (obj->table == NULL) {
		LAB_LOG(ERR, "cannot reserve memzone %s on socket %d: %s", name, users,
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	port->actual.table_socket = obj->table->socket_id;
	return 0;
}

static int
numa_port_objects_create(struct numa_topology *topo, struct numa_port *port, bool wrong_socket,
		struct numa_findings *f)
{
	struct numa_port_objects *obj = &numa_objects[port->port_id];
	struct rte_eth_dev_info info;
	int users = numa_port_poller_socket(topo, port);
	unsigned int nb_queues = port->nb_pollers ? port->nb_pollers : 1;
	int ret;

	/* Rings and tables are created for their users: on the pollers' socket. */
	if (users < 0)
		users = numa_port_home_socket(topo, port);
	ret = lab_port_info_get(port->port_id, &info);
	if (ret < 0)
		return ret;
	nb_queues = RTE_MIN(nb_queues, (unsigned int)RTE_MIN(info.max_rx_queues,
		info.max_tx_queues));
	if (nb_queues == 0)
		nb_queues = 1;

	ret = numa_port_pool_create(topo, port, obj, nb_queues, wrong_socket, f);
	if (ret < 0)
		return ret;
	ret = numa_port_queues_start(port, obj, nb_queues);
	if (ret < 0)
		return ret;
	ret = numa_port_ring_create(port, obj, users);
	if (ret < 0)
		return ret;
	ret = numa_port_table_reserve(port, obj, users);
	if (ret < 0)
		return ret;
	port->actual.read_back = true;
	return 0;
}

int
numa_placement_create(struct numa_topology *topo, bool wrong_socket, struct numa_findings *f)
{
	unsigned int i;
	int ret;

	for (i = 0; i < topo->nb_ports; i++) {
		ret = numa_port_objects_create(topo, &topo->ports[i], wrong_socket, f);
		if (ret < 0) {
			LAB_LOG(ERR, "port %u (%s): cannot create its pool, queues, ring and "
				"table: %s", topo->ports[i].port_id, topo->ports[i].name,
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void
numa_placement_release(struct numa_topology *topo)
{
	unsigned int i;

	/* Freeing memory can wait on a lock a dead process holds: 10 s at most. */
	lab_cleanup_deadline();
	for (i = 0; i < topo->nb_ports; i++) {
		struct numa_port_objects *obj = &numa_objects[topo->ports[i].port_id];
		int ret;

		if (obj->started)
			lab_port_close(topo->ports[i].port_id);
		if (obj->table != NULL) {
			ret = rte_memzone_free(obj->table);
			if (ret < 0)
				LAB_LOG(WARNING, "cannot free memzone %s: %s", obj->table->name,
					strerror(-ret));
		}
		rte_ring_free(obj->ring);
		rte_mempool_free(obj->pool);
		memset(obj, 0, sizeof(*obj));
	}
}
