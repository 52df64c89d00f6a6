/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule table and the rte_flow calls: a rule is validated, then created
 * on the port with rte_flow_validate() / rte_flow_create() (hardware mode),
 * or kept for the CPU (software mode, flow_soft.c), and destroyed with
 * rte_flow_destroy(). Each change also moves the queue-0 reservation
 * (flow_reserve.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_rwlock.h>

#include "flow_lab.h"
#include "lab_log.h"
#include "lab_port.h"

struct flow_table {
	uint16_t port_id;
	uint16_t nb_queues;
	enum flow_mode mode;
	char driver[32];
	struct flow_table_entry entries[FLOW_MAX_RULES];   /* index = id */
	unsigned int nb_entries;
	unsigned int nb_created;           /* ever, for the matrix's checks */
	/*
	 * Software mode: what the rx lcores evaluate, the sorted rules and
	 * their rte_acl contexts (NULL: rule by rule). The next set is built
	 * in the other array, then swapped in under the lock.
	 */
	rte_rwlock_t soft_lock;
	struct flow_soft_rule soft_rules[2][FLOW_MAX_RULES];
	unsigned int soft_cur;
	unsigned int nb_soft_rules;
	struct flow_acl *acl;
	enum flow_soft_matcher matcher;
	bool batch;                        /* compile once at flow_table_batch_end() */
};

static struct flow_table table;

int
flow_table_try_validate(const struct flow_rule *r, struct rte_flow_error *e)
{
	int ret;

	memset(e, 0, sizeof(*e));
	if (table.mode == FLOW_MODE_SOFTWARE) {
		/* Both matchers take the same rules, so that they can be compared. */
		ret = flow_soft_validate(r, table.nb_queues, e);
		return ret < 0 ? ret : flow_acl_check(r, table.soft_rules[table.soft_cur],
			table.nb_soft_rules, e);
	}
	ret = flow_kernel_tap_rss_guard(table.driver, r, e);
	if (ret < 0)
		return ret;
	ret = rte_flow_validate(table.port_id, &r->attr, r->pattern, r->actions, e);
	return ret < 0 ? ret : 0;
}

struct rte_flow *
flow_table_try_create(const struct flow_rule *r, struct rte_flow_error *e, int *ret)
{
	struct rte_flow *f;

	memset(e, 0, sizeof(*e));
	*ret = flow_kernel_tap_rss_guard(table.driver, r, e);
	if (*ret < 0)
		return NULL;
	f = rte_flow_create(table.port_id, &r->attr, r->pattern, r->actions, e);
	if (f == NULL)
		*ret = rte_errno ? -rte_errno : -EIO;
	return f;
}

/* Hit counts move from what the rx lcores evaluate to the entries (write lock held). */
static void
flow_soft_sync_hits(void)
{
	const struct flow_soft_rule *cur = table.soft_rules[table.soft_cur];
	unsigned int i;

	for (i = 0; i < table.nb_soft_rules; i++)
		if (table.entries[cur[i].id].rule == cur[i].rule)
			table.entries[cur[i].id].hits = cur[i].hits;
}

static void
flow_soft_collect_hits(void)
{
	rte_rwlock_write_lock(&table.soft_lock);
	flow_soft_sync_hits();
	rte_rwlock_write_unlock(&table.soft_lock);
}

/*
 * Rebuilds what the rx lcores evaluate: the rules sorted and, with compile,
 * their rte_acl contexts, both made outside the lock (a build takes
 * milliseconds), then swapped in under it. Returns 0 or -errno (the old
 * set stays in force).
 */
static int
flow_soft_publish(bool compile)
{
	struct flow_soft_rule *next = table.soft_rules[!table.soft_cur];
	struct flow_acl *acl = NULL, *old;
	unsigned int i, n = 0;

	for (i = 0; i < FLOW_MAX_RULES; i++) {
		if (table.entries[i].rule == NULL)
			continue;
		next[n].id = (int)i;
		next[n].rule = table.entries[i].rule;
		next[n].hits = 0;
		n++;
	}
	flow_soft_sort(next, n);
	if (compile && table.matcher == FLOW_SOFT_ACL && n > 0) {
		acl = flow_acl_build(next, n);
		if (acl == NULL)
			return -rte_errno;
	}
	rte_rwlock_write_lock(&table.soft_lock);
	flow_soft_sync_hits();
	for (i = 0; i < n; i++)
		next[i].hits = table.entries[next[i].id].hits;
	table.soft_cur = !table.soft_cur;
	table.nb_soft_rules = n;
	old = table.acl;
	table.acl = acl;
	rte_rwlock_write_unlock(&table.soft_lock);
	flow_acl_free(old);
	return 0;
}

void
flow_table_batch_begin(void)
{
	table.batch = true;
}

int
flow_table_batch_end(FILE *out)
{
	int ret;

	table.batch = false;
	if (table.mode != FLOW_MODE_SOFTWARE)
		return 0;
	ret = flow_soft_publish(true);
	if (ret < 0)
		fprintf(out, "compiling %u rule(s) into rte_acl: FAILED (%d): %s\n",
			table.nb_entries, ret, rte_strerror(-ret));
	return ret;
}

void
flow_table_set_matcher(enum flow_soft_matcher matcher)
{
	table.matcher = matcher;
}

const char *
flow_table_matcher_name(void)
{
	static char name[32];

	if (table.matcher == FLOW_SOFT_LINEAR)
		return "linear (rule by rule)";
	snprintf(name, sizeof(name), "rte_acl (%s)", table.acl == NULL ? "no rules" :
		flow_acl_alg_name(flow_acl_alg(table.acl)));
	return name;
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
	ret = lab_port_info_get(port_id, &info);
	if (ret < 0)
		return ret;
	snprintf(table.driver, sizeof(table.driver), "%s", info.driver_name);
	return flow_reserve_init(port_id, mode, nb_queues, &info);
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

uint16_t
flow_table_nb_queues(void)
{
	return table.nb_queues;
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

	ret = flow_table_try_validate(rule, &e);
	if (ret < 0)
		flow_error_print(out, "validate", ret, &e, rule);
	else
		fprintf(out, "validate: OK%s\n", table.mode == FLOW_MODE_SOFTWARE ?
			" (software classifier)" : "");
	return ret;
}

/* A free id, or -ENOSPC (said on out). */
static int
flow_entry_free_id(FILE *out)
{
	int id;

	for (id = 0; id < FLOW_MAX_RULES && table.entries[id].rule != NULL; id++)
		;
	if (id < FLOW_MAX_RULES)
		return id;
	fprintf(out, "create: FAILED: the table holds %d rules already\n", FLOW_MAX_RULES);
	return -ENOSPC;
}

/* Enters a created rule (flow: its hardware handle, NULL in software mode) under id. */
static int
flow_entry_insert(int id, struct flow_rule *rule, struct rte_flow *flow, FILE *out)
{
	struct flow_table_entry *en = &table.entries[id];
	int ret;

	en->id = id;
	en->rule = rule;
	en->flow = flow;
	en->hits = 0;
	en->serial = ++table.nb_created;
	table.nb_entries++;
	ret = table.mode == FLOW_MODE_SOFTWARE ? flow_soft_publish(!table.batch) : 0;
	if (ret < 0) {
		fprintf(out, "create: FAILED (%d): compiling the rules into rte_acl: %s; "
			"the rule is not in force\n", ret, rte_strerror(-ret));
		memset(en, 0, sizeof(*en));
		table.nb_created--;
		table.nb_entries--;
		return ret;
	}
	fprintf(out, "create: OK: flow rule #%d created%s\n", id,
		table.mode == FLOW_MODE_SOFTWARE ? " (software)" : "");
	flow_reserve_update(table.nb_entries > 0, out);
	return id;
}

int
flow_table_create(struct flow_rule *rule, FILE *out)
{
	struct rte_flow_error e;
	struct rte_flow *f = NULL;
	int id, ret;

	id = flow_entry_free_id(out);
	ret = id < 0 ? id : flow_table_validate(rule, out);
	if (ret < 0) {
		if (id >= 0 && table.mode == FLOW_MODE_HARDWARE)
			flow_kernel_tap_hint(table.driver, rule, out);
		free(rule);
		return ret;
	}
	if (table.mode == FLOW_MODE_HARDWARE) {
		/* TAP's validate only checks the rule in software: the kernel may still refuse. */
		f = flow_table_try_create(rule, &e, &ret);
		if (f == NULL) {
			flow_error_print(out, "create", ret, &e, rule);
			flow_kernel_tap_hint(table.driver, rule, out);
			free(rule);
			return ret;
		}
	}
	ret = flow_entry_insert(id, rule, f, out);
	if (ret < 0)
		free(rule);
	return ret;
}

int
flow_table_adopt(struct flow_rule *rule, struct rte_flow *flow, FILE *out)
{
	int id = flow_entry_free_id(out);

	if (id < 0)
		return id;
	return flow_entry_insert(id, rule, flow, out);
}

/* Takes entry id out of the table; the rule is the caller's to free. */
static struct flow_rule *
flow_entry_unlink(int id)
{
	struct flow_table_entry *en = &table.entries[id];
	struct flow_rule *rule = en->rule;

	memset(en, 0, sizeof(*en));
	table.nb_entries--;
	/*
	 * The rx lcores may be matching packets against this rule right now:
	 * republishing takes the write lock, so it returns once none can.
	 */
	if (table.mode == FLOW_MODE_SOFTWARE && flow_soft_publish(!table.batch) < 0) {
		/* Out of memory for the new contexts: rule by rule, without this one. */
		LAB_LOG(WARNING, "rte_acl rebuild failed: the software rules run rule by rule");
		flow_soft_publish(false);
	}
	return rule;
}

static int
flow_entry_remove(int id, FILE *out)
{
	struct flow_table_entry *en = &table.entries[id];
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
	free(flow_entry_unlink(id));
	return 0;
}

const char *
flow_table_rule_text(int id)
{
	if (id < 0 || id >= FLOW_MAX_RULES || table.entries[id].rule == NULL)
		return NULL;
	return table.entries[id].rule->text;
}

unsigned int
flow_table_serial(int id)
{
	if (id < 0 || id >= FLOW_MAX_RULES || table.entries[id].rule == NULL)
		return 0;
	return table.entries[id].serial;
}

struct rte_flow *
flow_table_flow(int id)
{
	if (id < 0 || id >= FLOW_MAX_RULES || table.entries[id].rule == NULL)
		return NULL;
	return table.entries[id].flow;
}

int
flow_table_forget(int id, FILE *out)
{
	if (id < 0 || id >= FLOW_MAX_RULES || table.entries[id].rule == NULL)
		return -ENOENT;
	free(flow_entry_unlink(id));
	flow_reserve_update(table.nb_entries > 0, out);
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
	flow_reserve_update(table.nb_entries > 0, out);
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
	flow_reserve_update(table.nb_entries > 0, out);
	return err;
}

void
flow_table_list(FILE *out)
{
	int id;

	if (table.mode == FLOW_MODE_SOFTWARE)
		flow_soft_collect_hits();
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
		flow_reserve_active() ? "on" : "off", flow_reserve_method_name());
}

/* The rule's COUNT action, NULL when it has none. */
static const struct rte_flow_action *
flow_count_action(const struct flow_rule *r)
{
	unsigned int i;

	for (i = 0; i < r->nb_actions; i++)
		if (r->actions[i].type == RTE_FLOW_ACTION_TYPE_COUNT)
			return &r->actions[i];
	return NULL;
}

/*
 * Reads a COUNT rule's hits: rte_flow_query() on the port (as testpmd's
 * "flow query PORT ID count"), or in software mode the classifier's own
 * counter. Errors are said on out when out is not NULL.
 */
static int
flow_entry_count(int id, uint64_t *hits, FILE *out)
{
	const struct flow_table_entry *en = &table.entries[id];
	const struct rte_flow_action *count = flow_count_action(en->rule);
	struct rte_flow_query_count qc;
	struct rte_flow_error e;
	int ret;

	if (count == NULL) {
		if (out != NULL)
			fprintf(out, "query: flow rule #%d has no COUNT action: nothing counts its "
				"packets (add 'count /' before its fate action)\n", id);
		return -ENOTSUP;
	}
	if (table.mode == FLOW_MODE_SOFTWARE) {
		flow_soft_collect_hits();
		*hits = en->hits;
		return 0;
	}
	memset(&qc, 0, sizeof(qc));
	memset(&e, 0, sizeof(e));
	ret = rte_flow_query(table.port_id, en->flow, count, &qc, &e);
	if (ret != 0) {
		if (out != NULL)
			flow_error_print(out, "query", ret, &e, en->rule);
		return ret;
	}
	*hits = qc.hits;
	return qc.hits_set ? 0 : -ENOTSUP;
}

int
flow_table_query_count(int id, FILE *out)
{
	uint64_t hits = 0;
	int ret;

	if (id < 0 || id >= FLOW_MAX_RULES || table.entries[id].rule == NULL) {
		fprintf(out, "query: no flow rule #%d (see 'flow list')\n", id);
		return -ENOENT;
	}
	ret = flow_entry_count(id, &hits, out);
	if (ret == 0)
		fprintf(out, "COUNT: flow rule #%d: hits %" PRIu64 "%s\n", id, hits,
			table.mode == FLOW_MODE_SOFTWARE ? " (software counter)" : "");
	return ret;
}

unsigned int
flow_table_report_rules(struct flow_rule_report *rules, unsigned int max)
{
	unsigned int n = 0;
	int id;

	for (id = 0; id < FLOW_MAX_RULES && n < max; id++) {
		if (table.entries[id].rule == NULL)
			continue;
		rules[n].id = id;
		rules[n].text = table.entries[id].rule->text;
		rules[n].counted = flow_entry_count(id, &rules[n].hits, NULL) == 0;
		n++;
	}
	return n;
}

void
flow_table_fini(void)
{
	int id;

	for (id = 0; id < FLOW_MAX_RULES; id++)
		if (table.entries[id].rule != NULL)
			flow_entry_remove(id, stdout);
	flow_reserve_fini();
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
flow_table_soft_match_burst(struct rte_mbuf *const *pkts, uint16_t n,
		struct flow_soft_verdict *v)
{
	uint16_t i;

	if (table.acl != NULL)
		flow_acl_classify_burst(table.acl, pkts, n, v);
	else
		for (i = 0; i < n; i++)
			flow_soft_classify(table.soft_rules[table.soft_cur], table.nb_soft_rules,
				pkts[i], &v[i]);
}

void
flow_table_soft_spread_burst(struct rte_mbuf *const *pkts, uint16_t n, uint16_t rx_queue,
		struct flow_soft_verdict *v)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		if (v[i].queue < 0 && !v[i].drop)
			v[i].queue = (int16_t)flow_reserve_soft_queue(flow_soft_rss_hash(pkts[i]),
				rx_queue);
}

unsigned int
flow_table_created(void)
{
	return table.nb_created;
}
