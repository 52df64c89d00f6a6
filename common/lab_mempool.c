/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "lab_log.h"
#include "lab_mempool.h"
#include "lab_port.h"

struct rte_mempool *
lab_mbuf_pool_create_on(const char *name, unsigned int nb_mbufs, int socket_id)
{
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create(name, nb_mbufs, LAB_MBUF_CACHE, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, socket_id);
	if (mp == NULL) {
		int err = rte_errno;

		LAB_LOG(ERR, "cannot create mbuf pool %s (%u mbufs) on socket %d: %s%s", name,
			nb_mbufs, socket_id, rte_strerror(err),
			err == EEXIST ?
				" (a primary already owns it: secondaries must look it up)" :
			err == ENOMEM ?
				" (reserve more hugepages: ./scripts/labenv.sh hugepages)" : "");
		rte_errno = err;
		return NULL;
	}
	LAB_LOG(INFO, "mbuf pool %s: %u mbufs on socket %d", name, nb_mbufs, mp->socket_id);
	return mp;
}

struct rte_mempool *
lab_mbuf_pool_create(const char *name, unsigned int nb_mbufs, uint16_t port_id)
{
	if (!rte_eth_dev_is_valid_port(port_id)) {
		LAB_LOG(ERR, "cannot create mbuf pool %s for port %u: no such port", name, port_id);
		rte_errno = ENODEV;
		return NULL;
	}
	return lab_mbuf_pool_create_on(name, nb_mbufs, lab_port_numa_socket(port_id));
}
