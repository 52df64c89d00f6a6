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

/*
 * The name of mp's handler (ring_mp_mc, stack, ...) as THIS process resolves
 * it: a mempool keeps only an index (mp->ops_index) into each process's own
 * handler table, rte_mempool_ops_table. "?" when the index has no entry here.
 */
const char *lab_mempool_ops_name(const struct rte_mempool *mp);

/*
 * For a pool another process created and named its handler primary_ops
 * (lab_mempool_ops_name() there): 0 when this process's table resolves
 * mp->ops_index to the same name, -EPROTO with what differs and why logged.
 */
int lab_mempool_ops_check(const struct rte_mempool *mp, const char *primary_ops);

/*
 * Mempool handlers registered before rte_eal_init() loaded the driver
 * plugins, i.e. by drivers linked into (or preloaded with) the program.
 * Call before rte_eal_init(); lab_mempool_ops_warn_linked() reports them.
 */
unsigned int lab_mempool_ops_linked(void);

/*
 * After rte_eal_init(): warns, naming them, when nb_linked handlers were
 * registered ahead of the plugins, since then this process's table differs
 * from that of DPDK's own tools and of the other lab programs.
 */
void lab_mempool_ops_warn_linked(unsigned int nb_linked);


#endif /* LAB_MEMPOOL_H */
