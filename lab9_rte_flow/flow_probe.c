/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the port can do with rte_flow: whether it creates rules at all
 * (a harmless rule validated, created and destroyed), and --probe, the
 * course's rule patterns and each action tried one by one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include "flow_lab.h"
#include "lab_port.h"

int
flow_probe_support(uint16_t port_id, FILE *out)
{
	static const char probe_text[] = "ingress priority 4002 pattern eth type is 0x88b5 / "
		"end actions queue index 1 / end";
	struct rte_eth_dev_info info;
	struct rte_flow_error e;
	struct rte_flow *f;
	struct flow_rule *r;
	char missing[128];
	int ret, vret;

	ret = lab_port_info_get(port_id, &info);
	if (ret < 0)
		return ret;
	r = flow_rule_parse(probe_text, "probe", out);
	if (r == NULL)
		return -EINVAL;
	memset(&e, 0, sizeof(e));
	ret = rte_flow_validate(port_id, &r->attr, r->pattern, r->actions, &e);
	vret = ret;
	if (ret == -ENOSYS || ret == -ENOTSUP) {
		fprintf(out, "port %u (%s) has no rte_flow support: rte_flow_validate() returns "
			"%s (%s). This driver cannot classify in hardware.\n", port_id,
			info.driver_name, ret == -ENOSYS ? "ENOSYS" : "ENOTSUP", strerror(-ret));
		free(r);
		return ret;
	}
	f = rte_flow_create(port_id, &r->attr, r->pattern, r->actions, &e);
	if (f == NULL) {
		ret = rte_errno ? -rte_errno : -EIO;
		fprintf(out, "port %u (%s) cannot create flow rules: rte_flow_validate() says %s, "
			"rte_flow_create() fails: rte_flow_error %s: %s\n", port_id,
			info.driver_name, vret == 0 ? "OK" : "no", flow_error_type_name(e.type),
			e.message ? e.message : "(no message)");
		if (strcmp(info.driver_name, "net_tap") == 0) {
			flow_kernel_tap_missing(missing, sizeof(missing));
			fprintf(out, "TAP turns rules into Linux tc flower filters; at start-up it "
				"logged \"Disabling rte flow support\" if it could not set up its "
				"qdiscs. The running kernel (%s) lacks: %s. Load them (modprobe) "
				"or run the lab inside ./scripts/labenv.sh uml-run.\n",
				missing[0] ? "modules not found" : "modules look present",
				missing[0] ? missing : "nothing detectable");
		}
		free(r);
		return ret < 0 ? ret : -EIO;
	}
	ret = rte_flow_destroy(port_id, f, &e);
	free(r);
	if (ret < 0) {
		fprintf(out, "port %u: destroying the probe rule failed: %s\n", port_id,
			e.message ? e.message : strerror(-ret));
		return ret;
	}
	return 0;
}

int
flow_probe_mode(uint16_t port_id, bool fallback_software, FILE *out, enum flow_mode *mode)
{
	struct rte_eth_dev_info info;
	int ret;

	*mode = FLOW_MODE_HARDWARE;
	ret = lab_port_info_get(port_id, &info);
	if (ret < 0)
		return ret;
	ret = flow_probe_support(port_id, out);
	if (ret == 0) {
		fprintf(out, "flow mode: hardware (rte_flow on %s)\n", info.driver_name);
		return 0;
	}
	if (!fallback_software) {
		fprintf(out, "no hardware flow support on port %u: run with --fallback software "
			"to apply the same rules on the CPU\n", port_id);
		return ret;
	}
	fprintf(out, "flow mode: software (--fallback software): the rules run on the CPU; "
		"a match's queue is their verdict\n");
	*mode = FLOW_MODE_SOFTWARE;
	return 0;
}

struct flow_probe_case {
	const char *label;
	const char *text;
};

static const struct flow_probe_case probe_patterns[] = {
	{ "drop by source IP", "ingress pattern eth / ipv4 src is 1.2.3.4 / end "
		"actions drop / end" },
	{ "UDP 5060 -> queue 2", "ingress pattern eth / ipv4 / udp dst is 5060 / end "
		"actions queue index 2 / end" },
	{ "ARP count + queue 0", "ingress pattern eth type is 0x0806 / end "
		"actions count / queue index 0 / end" },
	{ "VXLAN VNI 100 -> queue 3", "ingress pattern eth / ipv4 / udp dst is 4789 / "
		"vxlan vni is 100 / end actions queue index 3 / end" },
	{ "GTP-U TEID 1234 -> queue 3", "ingress pattern eth / ipv4 / udp dst is 2152 / "
		"gtpu teid is 1234 / end actions queue index 3 / end" },
	{ "TCP 443 mark + RSS", "ingress pattern eth / ipv4 / tcp dst is 443 / end "
		"actions mark id 1 / rss queues 0 1 end / end" },
	{ "action QUEUE", "ingress pattern eth / ipv4 / end actions queue index 1 / end" },
	{ "action DROP", "ingress pattern eth / ipv4 src is 192.0.2.1 / end actions drop / end" },
	{ "action RSS", "ingress pattern eth / ipv4 / end actions rss queues 1 2 3 end / end" },
	{ "action MARK", "ingress pattern eth / ipv4 / end actions mark id 7 / "
		"queue index 1 / end" },
	{ "action COUNT", "ingress pattern eth / ipv4 / end actions count / queue index 1 / end" },
	{ "action JUMP", "ingress pattern eth / end actions jump group 1 / end" },
};

void
flow_probe_table(uint16_t port_id, FILE *out)
{
	struct rte_eth_dev_info info;
	struct rte_flow_error e;
	struct rte_flow *f;
	struct flow_rule *r;
	unsigned int i;
	int ret;

	if (rte_eth_dev_info_get(port_id, &info) < 0)
		info.driver_name = "?";
	fprintf(out, "probe of port %u (%s), flow mode %s:\n", port_id, info.driver_name,
		flow_table_mode() == FLOW_MODE_SOFTWARE ? "software" : "hardware");
	fprintf(out, "%-28s %-10s %-10s %s\n", "case", "validate", "create", "message");
	for (i = 0; i < RTE_DIM(probe_patterns); i++) {
		const char *vmsg = "", *cmsg = "", *create = "-";
		char vbuf[160] = "", cbuf[160] = "";

		r = flow_rule_parse(probe_patterns[i].text, probe_patterns[i].label, out);
		if (r == NULL)
			continue;
		ret = flow_table_try_validate(r, &e);
		if (ret < 0) {
			snprintf(vbuf, sizeof(vbuf), "validate: %s: %s",
				flow_error_type_name(e.type),
				e.message ? e.message : strerror(-ret));
			vmsg = vbuf;
		}
		if (flow_table_mode() == FLOW_MODE_SOFTWARE) {
			create = ret < 0 ? "-" : "OK (sw)";
		} else {
			f = flow_table_try_create(r, &e, &ret);
			if (f == NULL) {
				create = "FAILED";
				snprintf(cbuf, sizeof(cbuf), "create: %s: %s",
					flow_error_type_name(e.type),
					e.message ? e.message : strerror(-ret));
				cmsg = cbuf;
			} else {
				create = "OK";
				ret = rte_flow_destroy(port_id, f, &e);
				if (ret < 0) {
					snprintf(cbuf, sizeof(cbuf), "destroy failed: %s",
						e.message ? e.message : strerror(-ret));
					cmsg = cbuf;
				}
			}
			/* Validate passed if vmsg is empty: the result column shows both. */
		}
		fprintf(out, "%-28s %-10s %-10s %s%s%s\n", probe_patterns[i].label,
			vmsg[0] ? "FAILED" : "OK", create, vmsg, vmsg[0] && cmsg[0] ? "; " : "",
			cmsg);
		free(r);
	}
}
