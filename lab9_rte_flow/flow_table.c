/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule table: rules validated then created on the port with rte_flow
 * (hardware mode) or kept for the CPU (software mode), the reservation of
 * queue 0 for classified traffic, --probe, and rte_flow_error reporting.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_rwlock.h>

#include "flow_lab.h"
#include "lab_log.h"

/* Limits the software table shares with TAP so a rule means the same on both. */
#define FLOW_SOFT_MAX_PRIORITY 4094
#define FLOW_SOFT_MAX_GROUP 15
/*
 * The lab's own catch-all rules: the lowest priorities TAP can express
 * (it adds 17 to the priority inside a 12-bit field).
 */
#define FLOW_RESERVE_PRIORITY 4000
#define FLOW_RESERVE_SPREAD_BITS 4   /* 16 source-address buckets over queues 1-3 */
#define FLOW_MAX_RESERVE_RULES ((1 << FLOW_RESERVE_SPREAD_BITS) + 1)
#define FLOW_SOFT_RETA_SIZE 128

struct flow_table {
	uint16_t port_id;
	uint16_t nb_queues;
	enum flow_mode mode;
	enum flow_reserve_method method;   /* what the port allows */
	bool reserved;                     /* in force now */
	char driver[32];
	uint16_t reta_size;
	struct flow_table_entry entries[FLOW_MAX_RULES];   /* index = id */
	unsigned int nb_entries;
	struct rte_flow *reserve_flows[FLOW_MAX_RESERVE_RULES];
	struct flow_rule *reserve_rules[FLOW_MAX_RESERVE_RULES];
	unsigned int nb_reserve;
	/* Software mode: what the rx lcores evaluate, swapped under the lock. */
	rte_rwlock_t soft_lock;
	struct flow_soft_rule soft_rules[FLOW_MAX_RULES];
	unsigned int nb_soft_rules;
	uint16_t soft_reta[FLOW_SOFT_RETA_SIZE];
};

static struct flow_table table;

static const char * const flow_error_names[] = {
	[RTE_FLOW_ERROR_TYPE_NONE] = "NONE",
	[RTE_FLOW_ERROR_TYPE_UNSPECIFIED] = "UNSPECIFIED",
	[RTE_FLOW_ERROR_TYPE_HANDLE] = "HANDLE",
	[RTE_FLOW_ERROR_TYPE_ATTR_GROUP] = "ATTR_GROUP",
	[RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY] = "ATTR_PRIORITY",
	[RTE_FLOW_ERROR_TYPE_ATTR_INGRESS] = "ATTR_INGRESS",
	[RTE_FLOW_ERROR_TYPE_ATTR_EGRESS] = "ATTR_EGRESS",
	[RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER] = "ATTR_TRANSFER",
	[RTE_FLOW_ERROR_TYPE_ATTR] = "ATTR",
	[RTE_FLOW_ERROR_TYPE_ITEM_NUM] = "ITEM_NUM",
	[RTE_FLOW_ERROR_TYPE_ITEM_SPEC] = "ITEM_SPEC",
	[RTE_FLOW_ERROR_TYPE_ITEM_LAST] = "ITEM_LAST",
	[RTE_FLOW_ERROR_TYPE_ITEM_MASK] = "ITEM_MASK",
	[RTE_FLOW_ERROR_TYPE_ITEM] = "ITEM",
	[RTE_FLOW_ERROR_TYPE_ACTION_NUM] = "ACTION_NUM",
	[RTE_FLOW_ERROR_TYPE_ACTION_CONF] = "ACTION_CONF",
	[RTE_FLOW_ERROR_TYPE_ACTION] = "ACTION",
	[RTE_FLOW_ERROR_TYPE_STATE] = "STATE",
};

static const char *
flow_error_type_name(enum rte_flow_error_type type)
{
	if ((unsigned int)type < RTE_DIM(flow_error_names) && flow_error_names[type] != NULL)
		return flow_error_names[type];
	return "UNKNOWN";
}

static bool
flow_ptr_in(const void *p, const void *base, size_t size)
{
	return (const char *)p >= (const char *)base && (const char *)p < (const char *)base + size;
}

/* Which part of the rule an error is about: from the cause pointer, else the type. */
static void
flow_error_part(const struct rte_flow_error *e, const struct flow_rule *r, char *buf, size_t len)
{
	unsigned int i;

	if (r != NULL && e->cause != NULL) {
		for (i = 0; i < r->nb_items; i++)
			if (e->cause == &r->pattern[i] ||
			    flow_ptr_in(e->cause, &r->spec[i], sizeof(r->spec[i])) ||
			    flow_ptr_in(e->cause, &r->mask[i], sizeof(r->mask[i]))) {
				snprintf(buf, len, "pattern item %u (%s)", i,
					flow_item_name(r->pattern[i].type));
				return;
			}
		for (i = 0; i < r->nb_actions; i++)
			if (e->cause == &r->actions[i] ||
			    flow_ptr_in(e->cause, &r->conf[i], sizeof(r->conf[i]))) {
				snprintf(buf, len, "action %u (%s)", i,
					flow_action_name(r->actions[i].type));
				return;
			}
		if (flow_ptr_in(e->cause, &r->attr, sizeof(r->attr))) {
			snprintf(buf, len, "attributes");
			return;
		}
	}
	switch (e->type) {
	case RTE_FLOW_ERROR_TYPE_ATTR_GROUP:
		snprintf(buf, len, "attribute group %u", r ? r->attr.group : 0);
		break;
	case RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY:
		snprintf(buf, len, "attribute priority %u", r ? r->attr.priority : 0);
		break;
	case RTE_FLOW_ERROR_TYPE_ATTR_INGRESS:
	case RTE_FLOW_ERROR_TYPE_ATTR_EGRESS:
	case RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER:
	case RTE_FLOW_ERROR_TYPE_ATTR:
		snprintf(buf, len, "attributes");
		break;
	case RTE_FLOW_ERROR_TYPE_ITEM_NUM:
	case RTE_FLOW_ERROR_TYPE_ITEM_SPEC:
	case RTE_FLOW_ERROR_TYPE_ITEM_LAST:
	case RTE_FLOW_ERROR_TYPE_ITEM_MASK:
	case RTE_FLOW_ERROR_TYPE_ITEM:
		snprintf(buf, len, "pattern");
		break;
	case RTE_FLOW_ERROR_TYPE_ACTION_NUM:
	case RTE_FLOW_ERROR_TYPE_ACTION_CONF:
	case RTE_FLOW_ERROR_TYPE_ACTION:
		snprintf(buf, len, "actions");
		break;
	default:
		snprintf(buf, len, "the rule as a whole");
		break;
	}
}

/* Prints "rte_flow_error TYPE_NAME: message (concerns: pattern item 2 (tcp))". */
static void
flow_error_print(FILE *out, const char *what, int ret, const struct rte_flow_error *error,
		const struct flow_rule *rule)
{
	char part[64];

	flow_error_part(error, rule, part, sizeof(part));
	fprintf(out, "%s: FAILED (%s): rte_flow_error %s: %s [concerns %s]\n", what,
		strerror(-ret), flow_error_type_name(error->type),
		error->message ? error->message : "(no message)", part);
}

static void
flow_error_set(struct rte_flow_error *e, int err, enum rte_flow_error_type type,
		const void *cause, const char *msg)
{
	e->type = type;
	e->cause = cause;
	e->message = msg;
	rte_errno = err;
}

/* The software table's own validation: what a NIC with these limits would refuse. */
static int
flow_soft_validate(const struct flow_rule *r, struct rte_flow_error *e)
{
	const struct rte_flow_action *a;
	const struct rte_flow_action_rss *rss;
	unsigned int fates = 0, i;

	if (!r->attr.ingress || r->attr.egress || r->attr.transfer) {
		flow_error_set(e, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR, &r->attr,
			"software classifier: ingress rules only");
		return -ENOTSUP;
	}
	if (r->attr.priority > FLOW_SOFT_MAX_PRIORITY) {
		flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY, NULL,
			"priority value too big (software table: 0-4094, as TAP)");
		return -EINVAL;
	}
	if (r->attr.group > FLOW_SOFT_MAX_GROUP) {
		flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR_GROUP, NULL,
			"group value too big: cannot exceed 15 (software table, as TAP)");
		return -EINVAL;
	}
	for (a = r->actions; a->type != RTE_FLOW_ACTION_TYPE_END; a++) {
		switch (a->type) {
		case RTE_FLOW_ACTION_TYPE_QUEUE:
			if (((const struct rte_flow_action_queue *)a->conf)->index >=
					table.nb_queues) {
				flow_error_set(e, ERANGE, RTE_FLOW_ERROR_TYPE_ACTION, a,
					"queue index out of range");
				return -ERANGE;
			}
			fates++;
			break;
		case RTE_FLOW_ACTION_TYPE_RSS:
			rss = a->conf;
			for (i = 0; i < rss->queue_num; i++)
				if (rss->queue[i] >= table.nb_queues) {
					flow_error_set(e, ERANGE, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
						a->conf, "rss queue index out of range");
					return -ERANGE;
				}
			fates++;
			break;
		case RTE_FLOW_ACTION_TYPE_JUMP:
			if (((const struct rte_flow_action_jump *)a->conf)->group <=
					r->attr.group) {
				flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, a,
					"jump must go to a higher group (no loops)");
				return -EINVAL;
			}
			if (((const struct rte_flow_action_jump *)a->conf)->group >
					FLOW_SOFT_MAX_GROUP) {
				flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, a,
					"jump group value too big: cannot exceed 15");
				return -EINVAL;
			}
			fates++;
			break;
		case RTE_FLOW_ACTION_TYPE_DROP:
			fates++;
			break;
		default:
			break;
		}
		if (fates > 1) {
			flow_error_set(e, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
				"more than one fate action (queue/drop/rss/jump) in one rule");
			return -ENOTSUP;
		}
	}
	return 0;
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
static void
flow_tap_missing_modules(char *buf, size_t len)
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

/*
 * TAP in DPDK 22.11 crashes when it is asked for an RSS action on a kernel
 * without cls_bpf (it does not check that the BPF classifier was created);
 * with cls_bpf it fails cleanly. Refuse before the PMD gets there.
 */
static int
flow_guard_tap_rss(const struct flow_rule *r, struct rte_flow_error *e)
{
	if (strcmp(table.driver, "net_tap") != 0 ||
	    !flow_rule_has_action(r, RTE_FLOW_ACTION_TYPE_RSS) ||
	    flow_kernel_has_module("cls_bpf"))
		return 0;
	flow_error_set(e, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, NULL,
		"not sent to the PMD: TAP's RSS action needs the kernel's cls_bpf "
		"(and DPDK 22.11's BPF program still fails on current kernels)");
	return -ENOTSUP;
}

static int
flow_do_validate(const struct flow_rule *r, struct rte_flow_error *e)
{
	int ret;

	memset(e, 0, sizeof(*e));
	if (table.mode == FLOW_MODE_SOFTWARE)
		return flow_soft_validate(r, e);
	ret = flow_guard_tap_rss(r, e);
	if (ret < 0)
		return ret;
	ret = rte_flow_validate(table.port_id, &r->attr, r->pattern, r->actions, e);
	return ret < 0 ? ret : 0;
}

static struct rte_flow *
flow_do_create(const struct flow_rule *r, struct rte_flow_error *e, int *ret)
{
	struct rte_flow *f;

	memset(e, 0, sizeof(*e));
	*ret = flow_guard_tap_rss(r, e);
	if (*ret < 0)
		return NULL;
	f = rte_flow_create(table.port_id, &r->attr, r->pattern, r->actions, e);
	if (f == NULL)
		*ret = rte_errno ? -rte_errno : -EIO;
	return f;
}

static int
flow_soft_rule_cmp(const void *a, const void *b)
{
	const struct flow_soft_rule *x = a, *y = b;

	if (x->rule->attr.group != y->rule->attr.group)
		return x->rule->attr.group < y->rule->attr.group ? -1 : 1;
	if (x->rule->attr.priority != y->rule->attr.priority)
		return x->rule->attr.priority < y->rule->attr.priority ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Rebuilds what the rx lcores evaluate; hit counts move back to the entries. */
static void
flow_soft_publish(void)
{
	unsigned int i, n = 0;

	rte_rwlock_write_lock(&table.soft_lock);
	for (i = 0; i < table.nb_soft_rules; i++) {
		int id = table.soft_rules[i].id;

		if (table.entries[id].rule == table.soft_rules[i].rule)
			table.entries[id].hits = table.soft_rules[i].hits;
	}
	for (i = 0; i < FLOW_MAX_RULES; i++) {
		if (table.entries[i].rule == NULL)
			continue;
		table.soft_rules[n].id = (int)i;
		table.soft_rules[n].rule = table.entries[i].rule;
		table.soft_rules[n].hits = table.entries[i].hits;
		n++;
	}
	qsort(table.soft_rules, n, sizeof(table.soft_rules[0]), flow_soft_rule_cmp);
	table.nb_soft_rules = n;
	rte_rwlock_write_unlock(&table.soft_lock);
}

static void
flow_soft_reta_fill(bool reserve)
{
	unsigned int i;

	rte_rwlock_write_lock(&table.soft_lock);
	for (i = 0; i < FLOW_SOFT_RETA_SIZE; i++)
		table.soft_reta[i] = reserve && table.nb_queues > 1 ?
			(uint16_t)(1 + i % (table.nb_queues - 1)) : (uint16_t)(i % table.nb_queues);
	rte_rwlock_write_unlock(&table.soft_lock);
}

static int
flow_reta_fill(bool reserve)
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 /
		RTE_ETH_RETA_GROUP_SIZE];
	unsigned int i;

	if (table.reta_size == 0 || table.reta_size > RTE_ETH_RSS_RETA_SIZE_512)
		return -ENOTSUP;
	memset(reta, 0, sizeof(reta));
	for (i = 0; i < table.reta_size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= UINT64_C(1) << (i %
			RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			reserve ? (uint16_t)(1 + i % (table.nb_queues - 1)) :
			(uint16_t)(i % table.nb_queues);
	}
	return rte_eth_dev_rss_reta_update(table.port_id, reta, table.reta_size);
}

static void
flow_catchall_remove(void)
{
	struct rte_flow_error e;
	unsigned int i;
	int ret;

	for (i = 0; i < table.nb_reserve; i++) {
		if (table.reserve_flows[i] != NULL) {
			ret = rte_flow_destroy(table.port_id, table.reserve_flows[i], &e);
			if (ret < 0)
				flow_error_print(stdout, "destroy of the lab's catch-all rule", ret,
					&e, table.reserve_rules[i]);
		}
		free(table.reserve_rules[i]);
		table.reserve_flows[i] = NULL;
		table.reserve_rules[i] = NULL;
	}
	table.nb_reserve = 0;
}

/*
 * Without a usable RETA (TAP), the rest of the traffic is spread over
 * queues 1-3 by the low bits of the IPv4 source, and anything else goes
 * to queue 1, by rules below every rule the student writes.
 */
static int
flow_catchall_install(FILE *out)
{
	char text[FLOW_RULE_TEXT];
	unsigned int buckets = 1u << FLOW_RESERVE_SPREAD_BITS, i;
	struct rte_flow_error e;
	struct flow_rule *r;
	int ret;

	for (i = 0; i <= buckets; i++) {
		if (i < buckets)
			snprintf(text, sizeof(text), "ingress priority %u pattern eth / ipv4 src "
				"spec 0.0.0.%u src mask 0.0.0.%u / end actions queue index %u / end",
				FLOW_RESERVE_PRIORITY, i, buckets - 1,
				1 + i % (table.nb_queues - 1));
		else
			snprintf(text, sizeof(text), "ingress priority %u pattern eth / end "
				"actions queue index 1 / end", FLOW_RESERVE_PRIORITY + 1);
		r = flow_rule_parse(text, "catch-all", out);
		if (r == NULL)
			goto fail;
		table.reserve_rules[table.nb_reserve] = r;
		table.reserve_flows[table.nb_reserve] = flow_do_create(r, &e, &ret);
		table.nb_reserve++;
		if (table.reserve_flows[table.nb_reserve - 1] == NULL) {
			flow_error_print(out, "catch-all rule", ret, &e, r);
			goto fail;
		}
	}
	return 0;
fail:
	flow_catchall_remove();
	return -EIO;
}

/* Keeps queue 0 for classified traffic while at least one rule is installed. */
static void
flow_reserve_update(FILE *out)
{
	bool want = table.nb_entries > 0;
	int ret = 0;

	if (want == table.reserved || table.nb_queues < 2)
		return;
	switch (table.method) {
	case FLOW_RESERVE_RETA:
		ret = flow_reta_fill(want);
		if (ret < 0)
			LAB_LOG(WARNING, "port %u: RETA update failed: %s", table.port_id,
				strerror(-ret));
		break;
	case FLOW_RESERVE_CATCHALL:
		if (want)
			ret = flow_catchall_install(out);
		else
			flow_catchall_remove();
		break;
	case FLOW_RESERVE_SOFTWARE:
		flow_soft_reta_fill(want);
		break;
	default:
		return;
	}
	if (ret == 0) {
		table.reserved = want;
		fprintf(out, "queue 0 %s (%s)\n", want ? "reserved for classified traffic" :
			"back in the plain RSS spread: reservation removed",
			flow_reserve_method_name());
	} else {
		fprintf(out, "could not keep unclassified traffic off queue 0 (%s)\n",
			flow_reserve_method_name());
	}
}

int
flow_table_init(uint16_t port_id, enum flow_mode mode, uint16_t nb_queues)
{
	struct rte_eth_dev_info info;
	int ret;

	memset(&table, 0, sizeof(table));
	rte_rwlock_init(&table.soft_lock);
	table.port_id = port_id;
	table.mode = mode;
	table.nb_queues = nb_queues;
	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret < 0) {
		LAB_LOG(ERR, "port %u: cannot get device info: %s", port_id, strerror(-ret));
		return ret;
	}
	snprintf(table.driver, sizeof(table.driver), "%s", info.driver_name);
	table.reta_size = info.reta_size;
	flow_soft_reta_fill(false);
	if (mode == FLOW_MODE_SOFTWARE)
		table.method = FLOW_RESERVE_SOFTWARE;
	else if (info.reta_size > 0 && flow_reta_fill(false) == 0)
		table.method = FLOW_RESERVE_RETA;
	else if (strcmp(info.driver_name, "net_tap") == 0)
		table.method = FLOW_RESERVE_CATCHALL;
	else
		table.method = FLOW_RESERVE_UNAVAILABLE;
	return 0;
}

enum flow_mode
flow_table_mode(void)
{
	return table.mode;
}

uint16_t
flow_table_port(void)
{
	return table.port_id;
}

const char *
flow_reserve_method_name(void)
{
	switch (table.method) {
	case FLOW_RESERVE_RETA:
		return "RSS redirection table (RETA) lists queues 1-3 only";
	case FLOW_RESERVE_CATCHALL:
		return "lowest-priority catch-all rules spread the rest over queues 1-3 "
			"(TAP has no RETA)";
	case FLOW_RESERVE_SOFTWARE:
		return "software RETA lists virtual queues 1-3 only";
	case FLOW_RESERVE_UNAVAILABLE:
		return "unavailable on this port (no RETA, no catch-all method)";
	default:
		return "none";
	}
}

unsigned int
flow_table_count(void)
{
	return table.nb_entries;
}

int
flow_table_validate(const struct flow_rule *rule, FILE *out)
{
	struct rte_flow_error e;
	int ret;

	ret = flow_do_validate(rule, &e);
	if (ret < 0)
		flow_error_print(out, "validate", ret, &e, rule);
	else
		fprintf(out, "validate: OK%s\n", table.mode == FLOW_MODE_SOFTWARE ?
			" (software classifier)" : "");
	return ret;
}

int
flow_table_create(struct flow_rule *rule, FILE *out)
{
	struct rte_flow_error e;
	struct rte_flow *f = NULL;
	int id, ret;

	for (id = 0; id < FLOW_MAX_RULES && table.entries[id].rule != NULL; id++)
		;
	if (id == FLOW_MAX_RULES) {
		fprintf(out, "create: FAILED: the table holds %d rules already\n", FLOW_MAX_RULES);
		free(rule);
		return -ENOSPC;
	}
	ret = flow_table_validate(rule, out);
	if (ret < 0) {
		free(rule);
		return ret;
	}
	if (table.mode == FLOW_MODE_HARDWARE) {
		/* On TAP, validate only checks the rule in software: the kernel may still refuse. */
		f = flow_do_create(rule, &e, &ret);
		if (f == NULL) {
			flow_error_print(out, "create", ret, &e, rule);
			free(rule);
			return ret;
		}
	}
	table.entries[id].id = id;
	table.entries[id].rule = rule;
	table.entries[id].flow = f;
	table.entries[id].hits = 0;
	table.nb_entries++;
	if (table.mode == FLOW_MODE_SOFTWARE)
		flow_soft_publish();
	fprintf(out, "create: OK: flow rule #%d created%s\n", id,
		table.mode == FLOW_MODE_SOFTWARE ? " (software)" : "");
	flow_reserve_update(out);
	return id;
}

static int
flow_entry_remove(int id, FILE *out)
{
	struct flow_table_entry *en = &table.entries[id];
	struct flow_rule *rule;
	struct rte_flow_error e;
	int ret;

	if (en->flow != NULL) {
		memset(&e, 0, sizeof(e));
		ret = rte_flow_destroy(table.port_id, en->flow, &e);
		if (ret < 0) {
			flow_error_print(out, "destroy", ret, &e, en->rule);
			return ret;
		}
	}
	rule = en->rule;
	memset(en, 0, sizeof(*en));
	table.nb_entries--;
	/*
	 * The rx lcores may be matching packets against this rule right now:
	 * republishing takes the write lock, so it returns once none can.
	 */
	if (table.mode == FLOW_MODE_SOFTWARE)
		flow_soft_publish();
	free(rule);
	return 0;
}

int
flow_table_destroy(int id, FILE *out)
{
	int ret;

	if (id < 0 || id >= FLOW_MAX_RULES || table.entries[id].rule == NULL) {
		fprintf(out, "destroy: no flow rule #%d (see 'flow list')\n", id);
		return -ENOENT;
	}
	ret = flow_entry_remove(id, out);
	if (ret < 0)
		return ret;
	fprintf(out, "destroy: flow rule #%d destroyed\n", id);
	flow_reserve_update(out);
	return 0;
}

int
flow_table_flush(FILE *out)
{
	unsigned int n = 0;
	int id, ret, err = 0;

	for (id = 0; id < FLOW_MAX_RULES; id++) {
		if (table.entries[id].rule == NULL)
			continue;
		ret = flow_entry_remove(id, out);
		if (ret < 0)
			err = ret;
		else
			n++;
	}
	fprintf(out, "flush: %u rule(s) destroyed\n", n);
	flow_reserve_update(out);
	return err;
}

void
flow_table_list(FILE *out)
{
	int id;

	if (table.mode == FLOW_MODE_SOFTWARE)
		flow_soft_publish();
	fprintf(out, "ID\tGroup\tPrio\tHits\tRule\n");
	for (id = 0; id < FLOW_MAX_RULES; id++) {
		const struct flow_table_entry *en = &table.entries[id];

		if (en->rule == NULL)
			continue;
		if (table.mode == FLOW_MODE_SOFTWARE)
			fprintf(out, "%d\t%u\t%u\t%" PRIu64 "\t%s\n", id, en->rule->attr.group,
				en->rule->attr.priority, en->hits, en->rule->text);
		else
			fprintf(out, "%d\t%u\t%u\t-\t%s\n", id, en->rule->attr.group,
				en->rule->attr.priority, en->rule->text);
	}
	fprintf(out, "%u rule(s); queue 0 reservation: %s (%s)\n", table.nb_entries,
		table.reserved ? "on" : "off", flow_reserve_method_name());
}

unsigned int
flow_table_texts(const char **texts, unsigned int max)
{
	unsigned int n = 0;
	int id;

	for (id = 0; id < FLOW_MAX_RULES && n < max; id++)
		if (table.entries[id].rule != NULL)
			texts[n++] = table.entries[id].rule->text;
	return n;
}

void
flow_table_fini(void)
{
	int id;

	for (id = 0; id < FLOW_MAX_RULES; id++)
		if (table.entries[id].rule != NULL)
			flow_entry_remove(id, stdout);
	flow_reserve_update(stdout);
	flow_catchall_remove();
}

void
flow_table_soft_begin(void)
{
	rte_rwlock_read_lock(&table.soft_lock);
}

void
flow_table_soft_end(void)
{
	rte_rwlock_read_unlock(&table.soft_lock);
}

void
flow_table_soft_classify(const struct rte_mbuf *m, struct flow_soft_verdict *v)
{
	flow_soft_classify(table.soft_rules, table.nb_soft_rules, m, v);
	if (v->queue < 0 && !v->drop)
		v->queue = (int16_t)table.soft_reta[flow_soft_rss_hash(m) % FLOW_SOFT_RETA_SIZE];
}

int
flow_table_probe_support(uint16_t port_id, FILE *out)
{
	static const char probe_text[] = "ingress priority 4002 pattern eth type is 0x88b5 / "
		"end actions queue index 1 / end";
	struct rte_eth_dev_info info;
	struct rte_flow_error e;
	struct rte_flow *f;
	struct flow_rule *r;
	char missing[128];
	int ret, vret;

	ret = rte_eth_dev_info_get(port_id, &info);
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
	table.port_id = port_id;
	f = rte_flow_create(port_id, &r->attr, r->pattern, r->actions, &e);
	if (f == NULL) {
		ret = rte_errno ? -rte_errno : -EIO;
		fprintf(out, "port %u (%s) cannot create flow rules: rte_flow_validate() says %s, "
			"rte_flow_create() fails: rte_flow_error %s: %s\n", port_id, info.driver_name,
			vret == 0 ? "OK" : "no", flow_error_type_name(e.type),
			e.message ? e.message : "(no message)");
		if (strcmp(info.driver_name, "net_tap") == 0) {
			flow_tap_missing_modules(missing, sizeof(missing));
			fprintf(out, "TAP turns rules into Linux tc flower filters; at start-up it "
				"logged \"Disabling rte flow support\" if it could not set up its "
				"qdiscs. The running kernel (%s) lacks: %s. Load them (modprobe) or "
				"run the lab inside ./scripts/labenv.sh uml-run.\n",
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
flow_table_probe_table(uint16_t port_id, FILE *out)
{
	struct rte_flow_error e;
	struct rte_flow *f;
	struct flow_rule *r;
	unsigned int i;
	int ret;

	fprintf(out, "probe of port %u (%s), flow mode %s:\n", port_id, table.driver,
		table.mode == FLOW_MODE_SOFTWARE ? "software" : "hardware");
	fprintf(out, "%-28s %-10s %-10s %s\n", "case", "validate", "create", "message");
	for (i = 0; i < RTE_DIM(probe_patterns); i++) {
		const char *vmsg = "", *cmsg = "", *create = "-";
		char vbuf[160] = "", cbuf[160] = "";

		r = flow_rule_parse(probe_patterns[i].text, probe_patterns[i].label, out);
		if (r == NULL)
			continue;
		ret = flow_do_validate(r, &e);
		if (ret < 0) {
			snprintf(vbuf, sizeof(vbuf), "validate: %s: %s", flow_error_type_name(e.type),
				e.message ? e.message : strerror(-ret));
			vmsg = vbuf;
		}
		if (table.mode == FLOW_MODE_SOFTWARE) {
			create = ret < 0 ? "-" : "OK (sw)";
		} else {
			f = flow_do_create(r, &e, &ret);
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
