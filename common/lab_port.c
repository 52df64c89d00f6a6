/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_version.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "lab_log.h"
#include "lab_port.h"

void
lab_port_conf_default(struct lab_port_conf *conf, uint16_t nb_queues)
{
	memset(conf, 0, sizeof(*conf));
	conf->nb_rxq = nb_queues;
	conf->nb_txq = nb_queues;
	conf->rss_hf = LAB_RSS_HF_DEFAULT;
	conf->link_wait_ms = 2000;
}

int
lab_port_check(uint16_t port_id)
{
	if (rte_eth_dev_is_valid_port(port_id))
		return 0;
	LAB_LOG(ERR, "port %u does not exist: %u port(s) probed. Name a device with "
		"--vdev=net_tap0 or -a <PCI address>", port_id, rte_eth_dev_count_avail());
	return -ENODEV;
}

int
lab_port_info_get(uint16_t port_id, struct rte_eth_dev_info *info)
{
	int ret = lab_port_check(port_id);

	if (ret < 0)
		return ret;
	ret = rte_eth_dev_info_get(port_id, info);
	if (ret < 0)
		LAB_LOG(ERR, "port %u: cannot get device info: %s", port_id, strerror(-ret));
	return ret;
}

static int
lab_port_configure(uint16_t port_id, const struct lab_port_conf *conf, uint64_t rss_hf)
{
	struct rte_eth_conf port_conf;

	memset(&port_conf, 0, sizeof(port_conf));
	if (rss_hf != 0 && conf->nb_rxq > 1) {
		port_conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		port_conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
	}
	return rte_eth_dev_configure(port_id, conf->nb_rxq, conf->nb_txq, &port_conf);
}

static bool
lab_port_wait_link(uint16_t port_id, unsigned int wait_ms)
{
	struct rte_eth_link link;
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * wait_ms / 1000;

	do {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(port_id, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return true;
		rte_delay_ms(50);
	} while (rte_get_timer_cycles() < deadline);
	return false;
}

/* 0 when the device allows conf's queue counts, -EINVAL with a message otherwise. */
static int
lab_port_check_queues(uint16_t port_id, const struct lab_port_conf *conf,
		const struct rte_eth_dev_info *info)
{
	if (conf->nb_rxq == 0 || conf->nb_rxq > info->max_rx_queues ||
	    conf->nb_txq == 0 || conf->nb_txq > info->max_tx_queues) {
		LAB_LOG(ERR, "port %u (%s): %u rx / %u tx queues asked, "
			"the device allows 1-%u / 1-%u",
			port_id, info->driver_name, conf->nb_rxq, conf->nb_txq,
			info->max_rx_queues, info->max_tx_queues);
		return -EINVAL;
	}
	/*
	 * TAP hands its queue fds to secondaries in one multi-process message of
	 * at most RTE_MP_MAX_FD_NUM fds: 8 up to 24.07, where 22.11's TAP with
	 * more queues overflows that message's array at start (stack smashing,
	 * abort); 253 from 24.11, whose TAP checks it. Refuse before the PMD does.
	 */
	if (strcmp(info->driver_name, "net_tap") == 0 &&
	    conf->nb_rxq + conf->nb_txq > RTE_MP_MAX_FD_NUM) {
		LAB_LOG(ERR, "port %u (net_tap): %u rx + %u tx queues, but TAP in %s shares "
			"at most %d queue fds with secondaries (RTE_MP_MAX_FD_NUM) and overflows "
			"past that: use %d queue pairs or fewer here", port_id, conf->nb_rxq,
			conf->nb_txq, rte_version(), RTE_MP_MAX_FD_NUM, RTE_MP_MAX_FD_NUM / 2);
		return -EINVAL;
	}
	return 0;
}

/*
 * Configures the port with the hash types the device has, falling back to
 * no RSS where the PMD refuses it; st->rss_hf says what is in force.
 */
static int
lab_port_configure_rss(uint16_t port_id, const struct lab_port_conf *conf,
		const struct rte_eth_dev_info *info, struct lab_port_state *st)
{
	int ret;

	/* Asking for a hash type the device lacks makes configure fail outright. */
	st->rss_hf = conf->rss_hf & info->flow_type_rss_offloads;
	if (conf->rss_hf != 0 && st->rss_hf != conf->rss_hf)
		LAB_LOG(INFO, "port %u (%s): RSS hash types 0x%" PRIx64 " masked to 0x%" PRIx64
			" by the device", port_id, info->driver_name, conf->rss_hf, st->rss_hf);
	if (conf->nb_rxq < 2)
		st->rss_hf = 0;
	ret = lab_port_configure(port_id, conf, st->rss_hf);
	if (ret < 0 && st->rss_hf != 0) {
		LAB_LOG(WARNING, "port %u (%s): configure with RSS failed (%s); "
			"retrying without RSS",
			port_id, info->driver_name, strerror(-ret));
		st->rss_hf = 0;
		ret = lab_port_configure(port_id, conf, 0);
	}
	if (ret < 0)
		LAB_LOG(ERR, "port %u (%s): configure %u rx / %u tx queues failed: %s",
			port_id, info->driver_name, conf->nb_rxq, conf->nb_txq, strerror(-ret));
	return ret;
}

/* Fits the descriptor counts to the device, then sets up every rx and tx queue. */
static int
lab_port_setup_queues(uint16_t port_id, const struct lab_port_conf *conf,
		struct rte_mempool *pool, struct lab_port_state *st)
{
	uint16_t q;
	int ret;

	st->nb_rxd = conf->nb_rxd ? conf->nb_rxd : LAB_PORT_RXD;
	st->nb_txd = conf->nb_txd ? conf->nb_txd : LAB_PORT_TXD;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &st->nb_rxd, &st->nb_txd);
	if (ret < 0) {
		LAB_LOG(ERR, "port %u: cannot fit %u/%u descriptors to the device limits: %s",
			port_id, st->nb_rxd, st->nb_txd, strerror(-ret));
		return ret;
	}

	/* Queue descriptors belong on the NIC's socket (SOCKET_ID_ANY for most vdevs). */
	st->socket_id = rte_eth_dev_socket_id(port_id);
	for (q = 0; q < conf->nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(port_id, q, st->nb_rxd, st->socket_id, NULL, pool);
		if (ret < 0) {
			LAB_LOG(ERR, "port %u: rx queue %u setup failed: %s",
				port_id, q, strerror(-ret));
			return ret;
		}
	}
	for (q = 0; q < conf->nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(port_id, q, st->nb_txd, st->socket_id, NULL);
		if (ret < 0) {
			LAB_LOG(ERR, "port %u: tx queue %u setup failed: %s",
				port_id, q, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Starts the port, then asks for promiscuous mode and waits for the link. */
static int
lab_port_start(uint16_t port_id, const struct lab_port_conf *conf,
		const struct rte_eth_dev_info *info, struct lab_port_state *st)
{
	int ret;

	ret = rte_eth_dev_start(port_id);
	if (ret < 0) {
		LAB_LOG(ERR, "port %u (%s): start failed: %s", port_id, info->driver_name,
			strerror(-ret));
		return ret;
	}
	ret = rte_eth_promiscuous_enable(port_id);
	st->promiscuous = ret == 0;
	if (ret < 0 && ret != -ENOTSUP)
		LAB_LOG(WARNING, "port %u: promiscuous mode failed: %s", port_id, strerror(-ret));
	st->link_up = conf->link_wait_ms == 0 || lab_port_wait_link(port_id, conf->link_wait_ms);
	if (!st->link_up)
		LAB_LOG(WARNING, "port %u: link still down after %u ms; carrying on",
			port_id, conf->link_wait_ms);
	return 0;
}

int
lab_port_init(uint16_t port_id, const struct lab_port_conf *conf,
		struct rte_mempool *pool, struct lab_port_state *state)
{
	struct lab_port_state st;
	struct rte_eth_dev_info info;
	int ret;

	memset(&st, 0, sizeof(st));
	ret = lab_port_info_get(port_id, &info);
	if (ret < 0)
		return ret;
	ret = lab_port_check_queues(port_id, conf, &info);
	if (ret < 0)
		return ret;
	ret = lab_port_configure_rss(port_id, conf, &info, &st);
	if (ret < 0)
		return ret;
	ret = lab_port_setup_queues(port_id, conf, pool, &st);
	if (ret < 0)
		return ret;
	ret = lab_port_start(port_id, conf, &info, &st);
	if (ret < 0)
		return ret;

	LAB_LOG(INFO, "port %u (%s) started: %u rx / %u tx queues, %u/%u descriptors, RSS %s "
		"(0x%" PRIx64 "), socket %d%s", port_id, info.driver_name, conf->nb_rxq,
		conf->nb_txq, st.nb_rxd, st.nb_txd, st.rss_hf ? "on" : "off", st.rss_hf,
		st.socket_id, st.socket_id == SOCKET_ID_ANY ? " (any: virtual device)" : "");
	if (state != NULL)
		*state = st;
	return 0;
}

void
lab_port_close(uint16_t port_id)
{
	int ret;

	ret = rte_eth_dev_stop(port_id);
	if (ret < 0)
		LAB_LOG(WARNING, "port %u: stop failed: %s", port_id, strerror(-ret));
	ret = rte_eth_dev_close(port_id);
	if (ret < 0)
		LAB_LOG(WARNING, "port %u: close failed: %s", port_id, strerror(-ret));
}

bool
lab_port_is_virtual(const struct rte_eth_dev_info *info)
{
	return info->device != NULL &&
		strcmp(rte_bus_name(rte_dev_bus(info->device)), "vdev") == 0;
}

int
lab_port_numa_socket(uint16_t port_id)
{
	int socket = rte_eth_dev_socket_id(port_id);

	if (socket >= 0) {
		LAB_LOG(DEBUG, "port %u is on socket %d", port_id, socket);
		return socket;
	}
	/* Virtual devices have no socket: the lcore that polls them decides. */
	LAB_LOG(DEBUG, "port %u reports SOCKET_ID_ANY (virtual device): using lcore %u's "
		"socket %u", port_id, rte_lcore_id(), rte_socket_id());
	return (int)rte_socket_id();
}
