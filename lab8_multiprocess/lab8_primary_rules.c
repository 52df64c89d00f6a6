/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab 8 primary, --rules FILE: the SASE-DP steering rules ("enterprise
 * VPN subnet -> queue 0, GTP-U -> queue 4"), with lab 9's code (the
 * lab9_flow library) and lab 9's messages. On a port with rte_flow
 * (net_tap where the kernel has tc flower) they are created on the port
 * and the NIC's queue picks the role. With --fallback software they run
 * here, on the CPU, on every packet received: the queue the rules pick is
 * virtual, and its role's ring takes the packet.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "flow_lab.h"
#include "lab_log.h"
#include "lab8_shared.h"
#include "lab8_primary.h"

int
lab8_rules_setup(struct lab8_primary *p, const char *path, bool fallback_software,
		uint16_t nb_queues)
{
	enum flow_mode mode;
	int ret;

	ret = flow_probe_mode(p->info->port_id, fallback_software, stdout, &mode);
	if (ret < 0)
		return ret;
	if (mode == FLOW_MODE_HARDWARE && p->nb_rxq < nb_queues) {
		printf("lab8_primary: port %u has %u rx queues: hardware mode needs %u (--rxq)\n",
			p->info->port_id, p->nb_rxq, nb_queues);
		return -EINVAL;
	}
	ret = flow_table_init(p->info->port_id, mode, nb_queues);
	if (ret < 0)
		return ret;
	p->soft_rules = mode == FLOW_MODE_SOFTWARE;
	p->nb_rule_queues = nb_queues;
	ret = flow_rules_file_load(path, stdout);
	if (ret < 0) {
		printf("lab8_primary: --rules %s: not starting (a rule asked for would not be in "
			"force)\n", path);
		flow_table_fini();
		return ret;
	}
	printf("lab8_primary: %u rule(s) from %s in force, %s: queues 0-%u -> enterprise, "
		"%u-%u -> mobility\n", flow_table_count(), path, p->soft_rules ?
		"on the CPU (--fallback software), a rule's queue picks the ring" :
		"on the port (rte_flow)", (nb_queues + 1) / 2 - 1, (nb_queues + 1) / 2,
		nb_queues - 1);
	return 0;
}

void
lab8_rules_classify(struct lab8_primary *p, uint16_t rx_queue, struct rte_mbuf **pkts,
		uint16_t n, struct rte_mbuf *by_role[][LAB8_BURST], uint16_t *nb_by_role)
{
	struct lab8_primary_counters *pc = &p->info->primary;
	struct flow_soft_verdict v[LAB8_BURST];
	unsigned int role;
	uint16_t i;

	for (role = 0; role < LAB8_ROLE_MAX; role++)
		nb_by_role[role] = 0;
	/* Holds the rules steady for the burst (lab 9's prompt could change them). */
	flow_table_soft_begin();
	flow_table_soft_match_burst(pkts, n, v);
	flow_table_soft_spread_burst(pkts, n, rx_queue, v);
	flow_table_soft_end();
	for (i = 0; i < n; i++) {
		if (v[i].drop) {
			rte_pktmbuf_free(pkts[i]);
			pc->rule_drops++;
			continue;
		}
		/* No rule: the RSS spread gave a queue (v[i].queue >= 0). */
		pc->rule_queue[v[i].queue]++;
		role = lab8_queue_role((uint16_t)v[i].queue, p->nb_rule_queues);
		by_role[role][nb_by_role[role]++] = pkts[i];
	}
}

void
lab8_rules_fini(void)
{
	flow_table_fini();
}
