/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port set-up for the labs: N rx / N tx queues, RSS limited to what the
 * device can hash, descriptor counts the device accepts, a bounded link
 * wait, promiscuous mode where the device has it.
 */
#ifndef LAB_PORT_H
#define LAB_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

struct lab_port_conf {
	uint16_t nb_rxq;
	uint16_t nb_txq;
	uint16_t nb_rxd;          /* 0: LAB_PORT_RXD, clamped to the device limits */
	uint16_t nb_txd;          /* 0: LAB_PORT_TXD, likewise */
	uint64_t rss_hf;          /* wanted hash types; 0: no RSS */
	unsigned int link_wait_ms; /* 0: do not wait for the link */
};

/* What the port really got, which may be less than was asked for. */
struct lab_port_state {
	uint16_t nb_rxd;
	uint16_t nb_txd;
	uint64_t rss_hf;          /* hash types in force; 0 when RSS is off */
	bool promiscuous;
	bool link_up;
	int socket_id;            /* rte_eth_dev_socket_id(); SOCKET_ID_ANY for most vdevs */
};

#define LAB_PORT_RXD 1024
#define LAB_PORT_TXD 1024
#define LAB_RSS_HF_DEFAULT (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)

/* Fills conf with the labs' defaults: n queues each way, RSS on, 2 s link wait. */
void lab_port_conf_default(struct lab_port_conf *conf, uint16_t nb_queues);

/* 0 when port_id names a probed port, -ENODEV with a message otherwise. */
int lab_port_check(uint16_t port_id);

/*
 * Configures and starts the port. Where the PMD refuses RSS, retries
 * without it and says so. Returns 0 or a negative errno; state may be NULL.
 */
int lab_port_init(uint16_t port_id, const struct lab_port_conf *conf,
		struct rte_mempool *pool, struct lab_port_state *state);

/* Stops and closes the port, logging (not failing on) errors. */
void lab_port_close(uint16_t port_id);

/*
 * The socket an object serving this port belongs on: the port's own, or,
 * for a device that reports SOCKET_ID_ANY (virtual devices), the calling
 * lcore's socket. Says which, once per call, at DEBUG level.
 */
int lab_port_numa_socket(uint16_t port_id);

/*
 * True for a device on the vdev bus (net_null, net_tap, net_pcap...): its
 * socket is where it was probed from, and what it says of RSS is emulated.
 */
bool lab_port_is_virtual(const struct rte_eth_dev_info *info);

/* lab_port_check(), then rte_eth_dev_info_get(), failures logged; 0 or a negative errno. */
int lab_port_info_get(uint16_t port_id, struct rte_eth_dev_info *info);

#endif /* LAB_PORT_H */
