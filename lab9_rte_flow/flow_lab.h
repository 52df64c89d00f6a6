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

#include <rte_acl.h>
#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "lab_pkt.h"

#define FLOW_DEFAULT_QUEUES 4     /* --rxq: rx and tx alike (TAP refuses unequal counts) */
#define FLOW_MAX_QUEUES 8         /* the course's SASE-DP port: queues 0-7 */
#define FLOW_BURST 32             /* packets per rx burst, classified together */
#define FLOW_MAX_ITEMS 8
#define FLOW_MAX_ACTIONS 8
#define FLOW_MAX_RSS_QUEUES 16
#define FLOW_RULE_TEXT 512
#define FLOW_MAX_RULES 1024        /* bench-lab9.sh --rules 1024 */
#define FLOW_MAX_JUMPS 8           /* JUMPs one packet may take in software */
#define FLOW_SOFT_MAX_GROUP 15     /* software groups 0-15, as TAP */

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

/* flow_parse.c (the parser), flow_format.c (the writer), flow_syntax.c (their tables) */

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

static inline void
flow_soft_verdict_init(struct flow_soft_verdict *v)
{
	v->drop = false;
	v->marked = false;
	v->mark = 0;
	v->queue = -1;
	v->rule_id = -1;
}

/*
 * Applies the actions of r, which matched m, to v. Returns true when the
 * search ends there, false to go on with the group's next rule (PASSTHRU);
 * a JUMP sets *group and *jumped.
 */
bool flow_soft_apply(const struct flow_rule *r, const struct rte_mbuf *m,
		struct flow_soft_verdict *v, uint32_t *group, bool *jumped);

/* Toeplitz hash of the IPv4 addresses and L4 ports with the default RSS key. */
uint32_t flow_soft_rss_hash(const struct rte_mbuf *m);

/* What a NIC with the software table's limits (TAP's) would refuse; 0 or -errno, e set. */
int flow_soft_validate(const struct flow_rule *r, uint16_t nb_queues, struct rte_flow_error *e);

/* Sorts rules as they are evaluated: group, then priority, then creation order (id). */
void flow_soft_sort(struct flow_soft_rule *rules, unsigned int nb_rules);

/*
 * flow_acl.c: the same rules compiled into one rte_acl context per group,
 * classified a burst at a time, with flow_soft_classify()'s decisions.
 */

#define FLOW_ACL_MAX_PASSTHRU 15   /* per group: a category each, rte_acl has 16 */

struct flow_acl;

/*
 * What rte_acl cannot express exactly in r, beside the rules of the table
 * (0, or -ENOTSUP/-EINVAL/-ENOSPC with e saying what and why): patterns out
 * of header order, more than 2 VLAN items, masks on fields the syntax does
 * not name, more than 15 PASSTHRU rules in one group.
 */
int flow_acl_check(const struct flow_rule *r, const struct flow_soft_rule *rules,
		unsigned int nb_rules, struct rte_flow_error *e);
/*
 * Compiles rules (sorted by flow_soft_sort(); they must stay in place, and
 * their hits are counted there) with the widest classify method the CPU
 * and EAL allow. NULL with rte_errno set on failure.
 */
struct flow_acl *flow_acl_build(struct flow_soft_rule *rules, unsigned int nb_rules);
/* flow_soft_classify() for n packets at once. */
void flow_acl_classify_burst(const struct flow_acl *acl, struct rte_mbuf *const *pkts,
		uint16_t n, struct flow_soft_verdict *v);
/* The classify method in use, and another one (-ENOTSUP when it cannot run here). */
enum rte_acl_classify_alg flow_acl_alg(const struct flow_acl *acl);
int flow_acl_set_alg(struct flow_acl *acl, enum rte_acl_classify_alg alg);
const char *flow_acl_alg_name(enum rte_acl_classify_alg alg);
void flow_acl_free(struct flow_acl *acl);

/* flow_error.c: rte_flow_error in words. */

const char *flow_error_type_name(enum rte_flow_error_type type);
/* Prints "WHAT: FAILED (errno): rte_flow_error TYPE: message [concerns PART]". */
void flow_error_print(FILE *out, const char *what, int ret, const struct rte_flow_error *error,
		const struct flow_rule *rule);
/* Fills e as a PMD would, and rte_errno. */
void flow_error_set(struct rte_flow_error *e, int err, enum rte_flow_error_type type,
		const void *cause, const char *msg);

/* flow_kernel.c: what the running kernel gives the TAP PMD. */

/* "sch_multiq cls_flower" or "" when every module TAP's flow support uses is there. */
void flow_kernel_tap_missing(char *buf, size_t len);
/*
 * 0, or -ENOTSUP with e set for an RSS rule on TAP without cls_bpf (DPDK
 * 22.11's TAP crashes there instead of failing).
 */
int flow_kernel_tap_rss_guard(const char *driver, const struct flow_rule *r,
		struct rte_flow_error *e);
/* After TAP refused r: names the actions of r TAP does not have, and the way out. */
void flow_kernel_tap_hint(const char *driver, const struct flow_rule *r, FILE *out);

enum flow_mode {
	FLOW_MODE_HARDWARE,
	FLOW_MODE_SOFTWARE,
};

/* flow_reserve.c: the queue-0 reservation. */

/* How traffic that no rule claims is kept off queue 0. */
enum flow_reserve_method {
	FLOW_RESERVE_NONE,      /* not needed: no rule installed */
	FLOW_RESERVE_RETA,      /* RSS redirection table lists queues 1..N-1 only */
	FLOW_RESERVE_CATCHALL,  /* lowest-priority rules spread the rest over 1..N-1 */
	FLOW_RESERVE_SOFTWARE,  /* the software RETA does it */
	FLOW_RESERVE_UNAVAILABLE,
};

/* Finds the method the port allows; nothing is reserved yet. */
int flow_reserve_init(uint16_t port_id, enum flow_mode mode, uint16_t nb_queues,
		const struct rte_eth_dev_info *info);
/* Reserves queue 0 when want (a rule is installed), releases it when not; says so on out. */
void flow_reserve_update(bool want, FILE *out);
bool flow_reserve_active(void);
/* Software mode on a NIC whose own RETA spreads what the rules do not match. */
bool flow_reserve_nic_reta(void);
const char *flow_reserve_method_name(void);
/*
 * Software mode: the virtual queue of a packet no rule claimed, from its RSS
 * hash, or the rx queue it came in on when the NIC's RETA does the spreading.
 */
uint16_t flow_reserve_soft_queue(uint32_t rss_hash, uint16_t rx_queue);
/*
 * Reads the port's RETA back: queues[q] is true when an entry points at q.
 * Returns the number of entries, or -ENOTSUP when no RETA is in use.
 */
int flow_reserve_reta_queues(bool queues[FLOW_MAX_QUEUES]);
/* Releases the reservation and removes the catch-all rules (at exit). */
void flow_reserve_fini(void);

/* flow_table.c: rules installed on the port, or in software. */

struct flow_table_entry {
	int id;
	struct flow_rule *rule;
	struct rte_flow *flow;      /* hardware handle; NULL in software mode */
	uint64_t hits;
	unsigned int serial;        /* 1, 2, ... in creation order: tells apart rules of one id */
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

/*
 * For rules created on the port outside the table (flow_blocks.c, the
 * course's code): adopt enters one, with its rte_flow handle, and returns
 * its id; flow gives the handle back (NULL in software mode or for an empty
 * id) for the caller to rte_flow_destroy(), and forget then removes the
 * entry, once the NIC no longer has the rule. serial is 0 for an empty id.
 */
int flow_table_adopt(struct flow_rule *rule, struct rte_flow *flow, FILE *out);
struct rte_flow *flow_table_flow(int id);
int flow_table_forget(int id, FILE *out);
unsigned int flow_table_serial(int id);
/* The text of rule id as written, NULL for an empty id. */
const char *flow_table_rule_text(int id);
int flow_table_flush(FILE *out);
void flow_table_list(FILE *out);
/* Removes every rule, the lab's own reservation rules included (at exit). */
void flow_table_fini(void);

enum flow_mode flow_table_mode(void);
uint16_t flow_table_port(void);
/* The queues rules may name: the port's rx queues, or the software mode's virtual ones. */
uint16_t flow_table_nb_queues(void);
unsigned int flow_table_count(void);
/* Rules created since the start, destroyed ones included. */
unsigned int flow_table_created(void);
/*
 * One rule tried on the port without entering the table: validate (software
 * check in software mode), or create (hardware mode; the caller destroys it).
 */
int flow_table_try_validate(const struct flow_rule *r, struct rte_flow_error *e);
struct rte_flow *flow_table_try_create(const struct flow_rule *r, struct rte_flow_error *e,
		int *ret);
/* "flow query ID count": prints the hits of a COUNT rule; -ENOENT, -ENOTSUP, -errno said. */
int flow_table_query_count(int id, FILE *out);

/* A rule as the report shows it. */
struct flow_rule_report {
	int id;
	const char *text;
	bool counted;     /* false: no COUNT action, or the port cannot count */
	uint64_t hits;
};

/* The rules in id order, with their counters; returns how many were stored. */
unsigned int flow_table_report_rules(struct flow_rule_report *rules, unsigned int max);

/*
 * Software mode, on rx lcores: the virtual-queue verdicts for a burst, between
 * flow_table_soft_begin() and _end(), which hold the table steady while the
 * prompt may change it. In two halves: the rules (rte_acl classifies the burst
 * at once; queue -1 where none decided), then the RSS spread of the rest (the
 * NIC's own choice, rx_queue, when its RETA keeps queue 0 free).
 */
void flow_table_soft_begin(void);
void flow_table_soft_end(void);
void flow_table_soft_match_burst(struct rte_mbuf *const *pkts, uint16_t n,
		struct flow_soft_verdict *v);
void flow_table_soft_spread_burst(struct rte_mbuf *const *pkts, uint16_t n, uint16_t rx_queue,
		struct flow_soft_verdict *v);

/* Software mode: how the rules are applied. */
enum flow_soft_matcher {
	FLOW_SOFT_ACL,       /* compiled into rte_acl contexts (flow_acl.c), the default */
	FLOW_SOFT_LINEAR,    /* rule by rule (flow_soft.c), the reference */
};
/*
 * Many rules at once (--rules FILE): between begin and end, creates and
 * destroys do not recompile (the rules apply one by one meanwhile); end
 * compiles once. 0 or -errno, said on out.
 */
void flow_table_batch_begin(void);
int flow_table_batch_end(FILE *out);
/* Before the first rule is created (after flow_table_init()). */
void flow_table_set_matcher(enum flow_soft_matcher matcher);
/* "rte_acl (avx2)" or "linear (rule by rule)", for what students read. */
const char *flow_table_matcher_name(void);

/* flow_probe.c: what the port can do with rte_flow. */

/*
 * Checks whether the port can create rules at all: validate and create a
 * harmless rule, then destroy it. Returns 0, or -ENOSYS/-ENOTSUP/... with
 * a plain explanation naming what is missing printed to out.
 */
int flow_probe_support(uint16_t port_id, FILE *out);

/*
 * The mode for port_id, said on out: hardware when the port creates rules,
 * else software when fallback_software (the rules then run on the CPU),
 * else a negative errno (*mode is then FLOW_MODE_HARDWARE).
 */
int flow_probe_mode(uint16_t port_id, bool fallback_software, FILE *out, enum flow_mode *mode);

/* --probe: the course's rule patterns and the actions, validated and created. */
void flow_probe_table(uint16_t port_id, FILE *out);

/* flow_matrix.c: the queue x class matrix. */

struct flow_queue_counts {
	uint64_t class_packets[LAB_CLASS_MAX];
	uint64_t marked;
	uint32_t last_mark;
};

/*
 * Packets by the cycles per packet of the burst they were matched in, in
 * buckets 8 to an octave: the median is immune to the rare burst in which
 * the scheduler took the CPU away, which dominates a mean on a loaded host.
 */
#define FLOW_CYCLE_BUCKETS (8 * 26)

struct flow_matrix {
	struct flow_queue_counts queue[FLOW_MAX_QUEUES];
	uint64_t rx_queue[FLOW_MAX_QUEUES];   /* packets per port rx queue, as received */
	uint64_t soft_dropped;      /* software mode: DROP verdicts */
	uint64_t classify_cycles;   /* software mode: cycles spent matching the rules */
	uint64_t spread_cycles;     /* software mode: the RSS spread of what no rule decided */
	uint64_t match_hist[FLOW_CYCLE_BUCKETS];   /* packets by their burst's cycles/packet */
	uint64_t classified;
	uint64_t rx_only_packets;   /* --bench: received and freed, nothing else */
	uint64_t generation;        /* reset requests this lcore has carried out */
} __rte_cache_aligned;

/* An rx lcore's block, which flow_matrix_reset() waits for. */
void flow_matrix_register(unsigned int lcore);
/* The calling rx lcore's block, zeroed first if a reset was asked for. */
struct flow_matrix *flow_matrix_poll(unsigned int lcore);
/* Counts a received burst (its queue, or the software verdict) and frees it. */
void flow_matrix_count_burst(struct flow_matrix *mx, uint16_t queue, struct rte_mbuf **bufs,
		uint16_t n, bool software);
/* The sum over the rx lcores. */
void flow_matrix_total(struct flow_matrix *sum);
/* The median rule matching cost in cycles per packet (bucket resolution, 9 %), 0 if none. */
double flow_matrix_match_median(const struct flow_matrix *sum);
/* Asks every rx lcore to zero its block and waits until they have. */
void flow_matrix_reset(void);
/* The table and the PASS/FAIL checks; returns the number of failed checks. */
unsigned int flow_matrix_print(FILE *out);
/* --report FILE: the rules, the matrix and the checks as JSON. */
int flow_matrix_report(const char *path);

/* flow_blocks.c: the course's two rules built in C, and the course's calls. */

/* The same rules as text, in the syntax of "flow create 0 RULE" (and docs/lab9.md). */
#define FLOW_BLOCK_HTTPS_TEXT "ingress priority 1 pattern eth / ipv4 / tcp dst is 443 / end " \
	"actions queue index 0 / end"
#define FLOW_BLOCK_DROP_TEXT "ingress priority 0 pattern eth / ipv4 src spec 10.0.0.0 " \
	"src mask 255.0.0.0 / end actions drop / end"

/* Steps 2-3 of the course: ETH / IPV4 / TCP(dst 443) -> QUEUE 0. NULL when out of memory. */
struct flow_rule *flow_block_https_to_queue0(void);
/* Step 6: ETH / IPV4(src 10.0.0.0/8) -> DROP. */
struct flow_rule *flow_block_drop_spoofed(void);
/* "course create": both, rte_flow_validate() then rte_flow_create() (software: the table). */
int flow_blocks_create(FILE *out);
/* "course destroy" (step 7): rte_flow_destroy() on those still in force. */
int flow_blocks_destroy(FILE *out);
/*
 * Which of the two are installed (as C or as text), and how many other rules:
 * the steps 5-6 checks are those of the course's rules in force.
 */
unsigned int flow_blocks_in_table(bool *https, bool *drop);

/* flow_rules_file.c: --rules FILE. */

/*
 * Each line a rule or a prompt command ("flow create 0 ..."), # comments,
 * created in the table (flow_table_init() first) with its messages on out;
 * stops at the first line refused, saying which. 0 or a negative errno.
 */
int flow_rules_file_load(const char *path, FILE *out);
/* --fallback ARG: 'software' (*software = true) or 'none'; -EINVAL said otherwise. */
int flow_fallback_parse(const char *arg, bool *software);

/* flow_cli.c: --interactive. */

/* Runs the prompt until quit, end of input or a signal. */
int flow_cli_run(void);
/* One prompt line ("flow create 0 ...", "show matrix", ...) for --rules too. */
int flow_cli_execute(const char *line, FILE *out);
/* Set by "quit". */
extern volatile bool flow_cli_quit;

#endif /* FLOW_LAB_H */
