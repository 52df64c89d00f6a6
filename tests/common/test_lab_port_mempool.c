/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of common/: EAL start-up, the NUMA-correct mempool helper and
 * port set-up on a net_null virtual device, and option parsing.
 * Run as: test_lab_port_mempool --no-huge -m 128 --no-pci --vdev=net_null0 ...
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "lab_check.h"
#include "lab_eal.h"
#include "lab_mempool.h"
#include "lab_opts.h"
#include "lab_port.h"

static void
test_mempool(void)
{
	struct rte_mempool *mp, *again;
	int socket;

	socket = lab_port_numa_socket(0);
	/* net_null reports no socket of its own: the helper falls back to ours. */
	CHECK(socket == rte_eth_dev_socket_id(0) ||
		(rte_eth_dev_socket_id(0) == SOCKET_ID_ANY && socket == (int)rte_socket_id()),
		"pool socket %d for a port on socket %d", socket, rte_eth_dev_socket_id(0));
	mp = lab_mbuf_pool_create("TEST_POOL", 2047, 0);
	CHECK(mp != NULL, "pool created: %s", rte_strerror(rte_errno));
	if (mp == NULL)
		return;
	CHECK(mp->socket_id == socket, "pool on socket %d, want %d", mp->socket_id, socket);
	CHECK(mp->size == 2047 && rte_mempool_avail_count(mp) == 2047, "pool size");
	CHECK(rte_mempool_lookup("TEST_POOL") == mp, "lookup finds the same pool");

	again = lab_mbuf_pool_create("TEST_POOL", 2047, 0);
	CHECK(again == NULL && rte_errno == EEXIST, "second create refused with EEXIST");
	CHECK(rte_mempool_lookup("NO_SUCH_POOL") == NULL, "missing pool: NULL");
	CHECK(lab_mbuf_pool_create("BAD_PORT_POOL", 511, 99) == NULL && rte_errno == ENODEV,
		"pool for a port that does not exist: ENODEV");
}

static void
test_port(void)
{
	struct rte_mempool *mp = rte_mempool_lookup("TEST_POOL");
	struct rte_mbuf *pkts[32];
	struct lab_port_state st;
	struct lab_port_conf conf;
	uint16_t q, nb_rx = 0;
	unsigned int baseline;

	CHECK(lab_port_check(0) == 0, "port 0 exists");
	CHECK(lab_port_check(7) == -ENODEV, "port 7 does not");
	if (mp == NULL)
		return;

	lab_port_conf_default(&conf, 0);
	CHECK(lab_port_init(0, &conf, mp, &st) == -EINVAL, "0 queues refused");
	lab_port_conf_default(&conf, 4);
	CHECK(lab_port_init(7, &conf, mp, &st) == -ENODEV, "port 7 refused");
	conf.nb_rxq = 4096;
	CHECK(lab_port_init(0, &conf, mp, &st) == -EINVAL, "4096 rx queues refused");

	lab_port_conf_default(&conf, 4);
	conf.nb_rxd = 60000;
	CHECK(lab_port_init(0, &conf, mp, &st) == 0, "port 0 started with 4 queues");
	CHECK(st.nb_rxd > 0 && st.nb_rxd <= 60000, "rx descriptors clamped: %u", st.nb_rxd);
	CHECK((st.rss_hf & ~LAB_RSS_HF_DEFAULT) == 0, "RSS limited to what was asked");
	CHECK(st.link_up, "net_null link comes up");
	baseline = rte_mempool_in_use_count(mp);
	for (q = 0; q < 4; q++) {
		uint16_t n = rte_eth_rx_burst(0, q, pkts, 8);

		nb_rx += n;
		rte_pktmbuf_free_bulk(pkts, n);
	}
	CHECK(nb_rx == 32, "net_null delivers 8 packets on each of 4 queues (%u)", nb_rx);
	CHECK(rte_mempool_in_use_count(mp) == baseline,
		"every received mbuf handed back: %u in use, %u before",
		rte_mempool_in_use_count(mp), baseline);
	lab_port_close(0);
}

static void
test_opts(void)
{
	uint64_t v = 0, a = 0, b = 0;

	CHECK(lab_parse_u64("--n", "42", 1, 100, &v) == 0 && v == 42, "42");
	CHECK(lab_parse_u64("--n", "0", 1, 100, &v) == -EINVAL, "below min");
	CHECK(lab_parse_u64("--n", "101", 1, 100, &v) == -EINVAL, "above max");
	CHECK(lab_parse_u64("--n", "-1", 0, 100, &v) == -EINVAL, "negative");
	CHECK(lab_parse_u64("--n", "12abc", 0, 100, &v) == -EINVAL, "trailing junk");
	CHECK(lab_parse_u64("--n", "", 0, 100, &v) == -EINVAL, "empty");
	CHECK(lab_parse_u64("--n", NULL, 0, 100, &v) == -EINVAL, "missing");
	CHECK(lab_parse_u64("--n", "99999999999999999999999", 0, UINT64_MAX, &v) == -EINVAL,
		"overflow");
	CHECK(lab_parse_range("--q", "0-1", 0, 3, &a, &b) == 0 && a == 0 && b == 1, "0-1");
	CHECK(lab_parse_range("--q", "2", 0, 3, &a, &b) == 0 && a == 2 && b == 2, "2");
	CHECK(lab_parse_range("--q", "3-1", 0, 3, &a, &b) == -EINVAL, "reversed");
	CHECK(lab_parse_range("--q", "0-4", 0, 3, &a, &b) == -EINVAL, "past max");
	CHECK(lab_parse_range("--q", "0-", 0, 3, &a, &b) == -EINVAL, "open range");
}

int
main(int argc, char **argv)
{
	int ret = lab_eal_init(argc, argv, "test");

	if (ret < 0)
		return 1;
	CHECK(strcmp(lab_proc_type_name(), "primary") == 0, "primary process");
	CHECK(strncmp(lab_file_prefix(), "lt_", 3) == 0, "file prefix read back: %s",
		lab_file_prefix());
	test_mempool();
	test_port();
	test_opts();
	ret = lab_check_summary("test_lab_port_mempool");
	rte_eal_cleanup();
	return ret;
}
