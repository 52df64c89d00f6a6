/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
	LAB_LOG(INFO, "mbuf pool %s: %u mbufs on socket %d, handler %s (entry %d of this "
		"process's table)", name, nb_mbufs, mp->socket_id, lab_mempool_ops_name(mp),
		mp->ops_index);
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

const char *
lab_mempool_ops_name(const struct rte_mempool *mp)
{
	if (mp->ops_index < 0 || (unsigned int)mp->ops_index >= rte_mempool_ops_table.num_ops)
		return "?";
	return rte_mempool_ops_table.ops[mp->ops_index].name;
}

/* Where this process's table has a handler of that name, -1 if nowhere. */
static int
lab_mempool_ops_find(const char *ops_name)
{
	unsigned int i;

	for (i = 0; i < rte_mempool_ops_table.num_ops; i++)
		if (strcmp(rte_mempool_ops_table.ops[i].name, ops_name) == 0)
			return (int)i;
	return -1;
}

int
lab_mempool_ops_check(const struct rte_mempool *mp, const char *primary_ops)
{
	const char *here = lab_mempool_ops_name(mp);

	if (strcmp(here, primary_ops) == 0)
		return 0;
	LAB_LOG(ERR, "mempool %s: the primary runs it with handler '%s' (entry %d of its "
		"handler table), but entry %d of this process's table is '%s' ('%s' is entry %d "
		"here, of %u). A mempool stores its handler as that index, and each process "
		"fills its own table in the order its mempool drivers register: drivers linked "
		"into the program first, then the EAL's plugins. This program and the primary "
		"are linked differently, so every get and put here would run '%s' on the "
		"primary's '%s' pool. Refusing to attach: build both the same way, linking no "
		"DPDK driver directly (docs/lab8.md, 'One handler table')",
		mp->name, primary_ops, mp->ops_index, mp->ops_index, here, primary_ops,
		lab_mempool_ops_find(primary_ops), rte_mempool_ops_table.num_ops, here,
		primary_ops);
	return -EPROTO;
}

unsigned int
lab_mempool_ops_linked(void)
{
	/* Constructors of linked drivers have run; the EAL has loaded no plugin yet. */
	return rte_mempool_ops_table.num_ops;
}

void
lab_mempool_ops_warn_linked(unsigned int nb_linked)
{
	char names[256] = "";
	unsigned int i;
	size_t pos = 0;

	if (nb_linked == 0)
		return;
	for (i = 0; i < nb_linked && pos < sizeof(names); i++) {
		int n = snprintf(names + pos, sizeof(names) - pos, "%s%s", i ? ", " : "",
			rte_mempool_ops_table.ops[i].name);

		if (n < 0)
			break;
		pos += (size_t)n;
	}
	LAB_LOG(WARNING, "%u mempool handler(s) registered before the EAL loaded its driver "
		"plugins (%s): a mempool driver is linked into this program (or preloaded), so "
		"its handler table starts differently from that of dpdk-dumpcap, dpdk-pdump, "
		"dpdk-proc-info and the lab programs, which link none. Pools shared with them "
		"(MBUF_POOL, a capture pool) would run the wrong handler. Link no DPDK driver "
		"directly (docs/lab8.md)", nb_linked, names);
}
