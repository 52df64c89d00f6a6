/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the running kernel gives the TAP PMD: TAP turns rte_flow rules into
 * tc flower filters, so whether a rule can be created depends on kernel
 * modules (sch_multiq, cls_flower, act_skbedit, ...), not on DPDK.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_flow.h>

#include "flow_lab.h"

/* Loaded as a module, or built in, in the kernel that runs this program. */
static bool
flow_kernel_has_module(const char *name)
{
	char path[256], line[256];
	struct utsname u;
	struct stat st;
	FILE *f;
	bool found = false;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	if (stat(path, &st) == 0)
		return true;
	f = fopen("/proc/modules", "r");
	if (f != NULL) {
		while (!found && fgets(line, sizeof(line), f) != NULL)
			found = strncmp(line, name, strlen(name)) == 0 &&
				line[strlen(name)] == ' ';
		fclose(f);
	}
	if (found || uname(&u) != 0)
		return found;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.builtin", u.release);
	f = fopen(path, "r");
	if (f != NULL) {
		char want[64];

		snprintf(want, sizeof(want), "/%s.ko", name);
		while (!found && fgets(line, sizeof(line), f) != NULL)
			found = strstr(line, want) != NULL;
		fclose(f);
	}
	return found;
}

/* "sch_multiq cls_flower" or "" when every module TAP's flow support uses is there. */
void
flow_kernel_tap_missing(char *buf, size_t len)
{
	static const char * const needed[] = {
		"sch_ingress", "sch_multiq", "cls_flower", "act_skbedit", "act_gact",
	};
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < RTE_DIM(needed); i++)
		if (!flow_kernel_has_module(needed[i])) {
			if (buf[0] != '\0')
				strncat(buf, " ", len - strlen(buf) - 1);
			strncat(buf, needed[i], len - strlen(buf) - 1);
		}
}

static bool
flow_rule_has_action(const struct flow_rule *r, enum rte_flow_action_type type)
{
	unsigned int i;

	for (i = 0; i < r->nb_actions; i++)
		if (r->actions[i].type == type)
			return true;
	return false;
}

/* The actions TAP's rte_flow lacks, named after it refused a rule that has them. */
void
flow_kernel_tap_hint(const char *driver, const struct flow_rule *r, FILE *out)
{
	static const struct {
		enum rte_flow_action_type type;
		const char *what;
	} missing[] = {
		{ RTE_FLOW_ACTION_TYPE_COUNT, "COUNT (no tc counter is read back)" },
		{ RTE_FLOW_ACTION_TYPE_MARK, "MARK (no mark reaches the mbuf)" },
		{ RTE_FLOW_ACTION_TYPE_JUMP, "JUMP (one tc chain only)" },
	};
	unsigned int i;

	if (strcmp(driver, "net_tap") != 0)
		return;
	for (i = 0; i < RTE_DIM(missing); i++)
		if (flow_rule_has_action(r, missing[i].type))
			fprintf(out, "TAP's rte_flow has no %s: this rule can run only with "
				"--fallback software (the CPU applies it)\n", missing[i].what);
}

/*
 * TAP in DPDK 22.11 crashes when it is asked for an RSS action on a kernel
 * without cls_bpf (it does not check that the BPF classifier was created);
 * with cls_bpf it fails cleanly. Refuse before the PMD gets there.
 */
int
flow_kernel_tap_rss_guard(const char *driver, const struct flow_rule *r,
		struct rte_flow_error *e)
{
	if (strcmp(driver, "net_tap") != 0 ||
	    !flow_rule_has_action(r, RTE_FLOW_ACTION_TYPE_RSS) ||
	    flow_kernel_has_module("cls_bpf"))
		return 0;
	flow_error_set(e, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, NULL,
		"not sent to the PMD: TAP's RSS action needs the kernel's cls_bpf "
		"(and DPDK 22.11's BPF program still fails on current kernels)");
	return -ENOTSUP;
}
