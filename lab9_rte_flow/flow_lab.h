/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab 9's shared names: the parsed form of a rule written in testpmd's
 * "flow create" syntax, the rule table (hardware rte_flow or the software
 * fallback), and the per-queue x class matrix the rx lcores fill.
 */
#ifndef FLOW_LAB_H
#define FLOW_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_flow.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "lab_pkt.h"

#define FLOW_NB_QUEUES 4          /* rx and tx: TAP refuses unequal counts */
#define FLOW_MAX_ITEMS 8
#define FLOW_MAX_ACTIONS 8
#define FLOW_MAX_RSS_QUEUES 16
#define FLOW_RULE_TEXT 512
#define FLOW_MAX_RULES 256

/* Storage for one item's spec or mask: the largest item the subset parses. */
union flow_item_data {
	struct rte_flow_item_eth eth;
	struct rte_flow_item_vlan vlan;
	struct rte_flow_item_ipv4 ipv4;
	struct rte_flow_item_ipv6 ipv6;
	struct rte_flow_item_tcp tcp;
	struct rte_flow_item_udp udp;
	struct rte_flow_item_vxlan vxlan;
	struct rte_flow_item_gtp gtp;
};

union flow_action_data {
	struct rte_flow_action_queue queue;
	struct rte_flow_action_mark mark;
	struct rte_flow_action_jump jump;
	struct rte_flow_action_rss rss;
};

/*
 * A rule as rte_flow takes it. The item and action arrays point into the
 * same struct (spec/mask/conf), so a rule lives on the heap and never moves.
 */
struct flow_rule {
	struct rte_flow_attr attr;
	struct rte_flow_item pattern[FLOW_MAX_ITEMS + 1];
	struct rte_flow_action actions[FLOW_MAX_ACTIONS + 1];
	union flow_item_data spec[FLOW_MAX_ITEMS];
	union flow_item_data mask[FLOW_MAX_ITEMS];
	union flow_action_data conf[FLOW_MAX_ACTIONS];
	uint16_t rss_queues[FLOW_MAX_RSS_QUEUES];
	unsigned int nb_items;
	unsigned int nb_actions;
	char text[FLOW_RULE_TEXT];  /* as written, for lists and the report */
};

/* flow_parse.c */

/*
 * Parses "[ingress] [priority N] [group N] pattern ITEM / ... / end
 * actions ACTION / ... / end". On a syntax error prints, to err, what was
 * expected and the rule with a caret under the offending token, prefixed
 * by origin ("--rule", "rules.txt:3", "flow create"), and returns NULL.
 */
struct flow_rule *flow_rule_parse(const char *text, const char *origin, FILE *err);

/*
 * Writes rule back in the syntax flow_rule_parse() reads, canonically (one
 * clause per field: "is", then "mask" or "prefix" where the mask is not
 * full), so that parsing it gives the same rule. Returns the length, or
 * -ENOSPC when it does not fit in len bytes (buf is then "").
 */
int flow_rule_format(const struct flow_rule *rule, char *buf, size_t len);

/* Item and action names in testpmd's spelling ("ipv4", "queue"). */
const char *flow_item_name(enum rte_flow_item_type type);
const char *flow_action_name(enum rte_flow_action_type type);

/* flow_soft.c: the same rules applied on the CPU. */

/* What the software classifier decided for one packet. */
struct flow_soft_verdict {
	bool drop;
	bool marked;
	uint32_t mark;
	int16_t queue;    /* -1: no fate action matched; the RSS spread decides */
	int rule_id;      /* the last rule that matched, -1 for none */
};

struct flow_soft_rule {
	int id;
	const struct flow_rule *rule;
	uint64_t hits;    /* COUNT, and every match for "flow list" */
};

/*
 * Applies the rules (sorted: group, then priority, then creation order)
 * to m. Semantics of rte_flow: the first matching rule of the current
 * group wins, JUMP moves to another group, PASSTHRU continues with the
 * next rule, MARK and COUNT combine with a fate action.
 */
void flow_soft_classify(struct flow_soft_rule *rules, unsigned int nb_rules,
		const struct rte_mbuf *m, struct flow_soft_verdict *v);

/* Toeplitz hash of the IPv4 addresses and L4 ports with the default RSS key. */
uint32_t flow_soft_rss_hash(const struct rte_mbuf *m);

/* flow_table.c: rules installed on the port, or in software. */

enum flow_mode {
	FLOW_MODE_HARDWARE,
	FLOW_MODE_SOFTWARE,
};

/* How traffic that no rule claims is kept off queue 0. */
enum flow_reserve_method {
	FLOW_RESERVE_NONE,      /* not needed: no rule installed */
	FLOW_RESERVE_RETA,      /* RSS redirection table lists queues 1-3 only */
	FLOW_RESERVE_CATCHALL,  /* lowest-priority rules spread the rest over 1-3 */
	FLOW_RESERVE_SOFTWARE,  /* the software RETA does it */
	FLOW_RESERVE_UNAVAILABLE,
};

struct flow_table_entry {
	int id;
	struct flow_rule *rule;
	struct rte_flow *flow;      /* hardware handle; NULL in software mode */
	uint64_t hits;
};

/* Sets up the table for port_id in the given mode; nb_queues rx queues. */
int flow_table_init(uint16_t port_id, enum flow_mode mode, uint16_t nb_queues);

/* rte_flow_validate() (or the software check), verdict printed to out. */
int flow_table_validate(const struct flow_rule *rule, FILE *out);

/*
 * Validates, then creates; the result of each step is printed. Takes
 * ownership of rule (freed on failure). Returns the new rule id or -errno.
 */
int flow_table_create(struct flow_rule *rule, FILE *out);

int flow_table_destroy(int id, FILE *out);
int flow_table_flush(FILE *out);
void flow_table_list(FILE *out);
/* Removes every rule, the lab's own reservation rules included (at exit). */
void flow_table_fini(void);

enum flow_mode flow_table_mode(void);
uint16_t flow_table_port(void);
const char *flow_reserve_method_name(void);
unsigned int flow_table_count(void);
/* Rule texts for the report, in id order; returns how many were stored. */
unsigned int flow_table_texts(const char **texts, unsigned int max);

/*
 * Software mode: the virtual-queue verdict for one packet (rx lcores),
 * between flow_table_soft_begin() and _end(), which hold the table steady
 * for a burst while the prompt may change it.
 */
void flow_table_soft_begin(void);
void flow_table_soft_end(void);
void flow_table_soft_classify(const struct rte_mbuf *m, struct flow_soft_verdict *v);

/*
 * Checks whether the port can create rules at all: validate and create a
 * harmless rule, then destroy it. Returns 0, or -ENOSYS/-ENOTSUP/... with
 * a plain explanation naming what is missing printed to out.
 */
int flow_table_probe_support(uint16_t port_id, FILE *out);

/* --probe: the course's rule patterns and the actions, validated and created. */
void flow_table_probe_table(uint16_t port_id, FILE *out);

/* flow_classifier.c: the matrix. */

struct flow_queue_counts {
	uint64_t class_packets[LAB_CLASS_MAX];
	uint64_t marked;
	uint32_t last_mark;
};

struct flow_matrix {
	struct flow_queue_counts queue[FLOW_NB_QUEUES];
	uint64_t soft_dropped;      /* software mode: DROP verdicts */
	uint64_t classify_cycles;   /* software mode: cycles spent in the classifier */
	uint64_t classified;
	uint64_t rx_only_packets;   /* --bench: received and freed, nothing else */
	uint64_t generation;        /* reset requests this lcore has carried out */
} __rte_cache_aligned;

/* Asks every rx lcore to zero its block and waits until they have. */
void flow_matrix_reset(void);
/* The table and the PASS/FAIL checks; returns the number of failed checks. */
unsigned int flow_matrix_print(FILE *out);

/* flow_cli.c: --interactive. */

/* Runs the prompt until quit, end of input or a signal. */
int flow_cli_run(void);
/* One prompt line ("flow create 0 ...", "show matrix", ...) for --rules too. */
int flow_cli_execute(const char *line, FILE *out);
/* Set by "quit". */
extern volatile bool flow_cli_quit;

#endif /* FLOW_LAB_H */
