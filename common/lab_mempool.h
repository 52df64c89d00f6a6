/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NUMA-correct mbuf pools: created on the socket of the port whose DMA
 * fills them. Secondaries find them with rte_mempool_lookup() themselves
 * (lab8_secondary.c), where a student looks for it.
 */
#ifndef LAB_MEMPOOL_H
#define LAB_MEMPOOL_H

#include <stdint.h>

#include <rte_mempool.h>

#define LAB_MBUF_CACHE 256

/*
 * Creates an mbuf pool of nb_mbufs on lab_port_numa_socket(port_id) (lab_port.h).
 * Returns the pool, or NULL with rte_errno set and a message logged.
 */
struct rte_mempool *lab_mbuf_pool_create(const char *name, unsigned int nb_mbufs,
		uint16_t port_id);

/* As above on an explicit socket (numa_demo's --wrong-socket). */
struct rte_mempool *lab_mbuf_pool_create_on(const char *name, unsigned int nb_mbufs,
		int socket_id);


#endif /* LAB_MEMPOOL_H */
