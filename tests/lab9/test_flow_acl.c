/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rte_acl matcher (flow_acl.c) against the rule-by-rule one
 * (flow_soft.c), its reference: random rule sets in the lab's syntax
 * (every item and field the parser takes, priorities, groups, JUMP,
 * PASSTHRU, MARK, COUNT, RSS) and random packets drawn from the same small
 * value pools (tags, truncations, IPv4 options, tunnels, two segments), so
 * that rules overlap and match often. Every packet must get the same
 * verdict from both, with every classify method this CPU runs, and every
 * rule the same hit count. Rules rte_acl cannot express must be refused by
 * flow_acl_check() with a message. The seed is printed; give another as
 * the first argument after "--". Run with --no-huge (run_unit.py).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_acl.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_thash.h>

#include "flow_lab.h"
#include "lab_check.h"

#define NB_SETS 400
#define MAX_SET_RULES 64
#define NB_PKTS 192
#define NB_QUEUES 8
#define FRAME_MAX 160

static struct rte_mempool *pool;
static uint64_t rng_state;
static uint64_t nb_matched, nb_jumped;   /* packets some rule matched; via a JUMP */

/* xorshift64*: the same sequence for the same seed on every machine. */
static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32) % n;
}

#define PICK(a) ((a)[rnd(RTE_DIM(a))])

static const char *const macs[] = { "02:00:00:00:00:01", "02:00:00:00:00:02",
	"ff:ff:ff:ff:ff:ff" };
static const char *const mac_masks[] = { "ff:ff:ff:ff:ff:ff", "ff:ff:ff:00:00:00",
	"00:00:00:00:00:03", "01:00:00:00:00:00" };
static const uint16_t types[] = { 0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806 };
static const char *const ip4s[] = { "10.0.0.1", "10.0.0.2", "10.1.0.1", "192.168.1.1" };
static const char *const ip4_masks[] = { "255.255.255.255", "255.0.0.0", "0.255.0.3" };
static const char *const ip6s[] = { "2001:db8::1", "2001:db8::2", "2001:db8:1::1" };
static const uint16_t ports[] = { 53, 80, 443, 4789, 2152, 5060 };
static const uint8_t protos[] = { 6, 17, 1 };

/* One "FIELD is V", "FIELD spec V FIELD mask M" or "... prefix N" clause. */
static void
gen_clause(char *b, size_t len, const char *field, const char *value, const char *mask,
		unsigned int bits)
{
	size_t n = strlen(b);

	switch (rnd(3)) {
	case 0:
		snprintf(b + n, len - n, " %s is %s", field, value);
		break;
	case 1:
		snprintf(b + n, len - n, " %s spec %s %s mask %s", field, value, field, mask);
		break;
	default:
		snprintf(b + n, len - n, " %s spec %s %s prefix %u", field, value, field,
			rnd(bits + 1));
		break;
	}
}

static void
gen_int_clause(char *b, size_t len, const char *field, unsigned int v, unsigned int bits)
{
	char value[16], mask[16];
	/* bits is up to 32 (a GTP-U TEID): the full mask without shifting by 32. */
	uint32_t full = UINT32_MAX >> (32 - bits);
	uint32_t some = bits < 32 ? rnd(full + 1) : rnd(1u << 16) << 16 | rnd(1u << 16);

	snprintf(value, sizeof(value), "%u", v);
	snprintf(mask, sizeof(mask), "0x%x", rnd(2) ? full : some);
	gen_clause(b, len, field, value, mask, bits);
}

static void
cat(char *b, size_t len, const char *s)
{
	size_t n = strlen(b);

	snprintf(b + n, len - n, "%s", s);
}

/* Items in header order, fields from the pools, 40 % of them constrained. */
static void
gen_pattern(char *b, size_t len)
{
	unsigned int i, tags = rnd(5) == 0 ? 1 + rnd(2) : 0, l3 = rnd(8), l4 = rnd(3);
	bool eth = rnd(5) != 0;

	if (eth) {
		cat(b, len, " eth");
		if (rnd(5) < 2)
			gen_clause(b, len, rnd(2) ? "dst" : "src", PICK(macs),
				PICK(mac_masks), 48);
		if (rnd(5) == 0)
			gen_int_clause(b, len, "type", PICK(types), 16);
		cat(b, len, " /");
	}
	for (i = 0; i < tags; i++) {
		cat(b, len, " vlan");
		if (rnd(5) < 2)
			gen_int_clause(b, len, "vid", 1 + rnd(3), 12);
		if (rnd(5) == 0)
			gen_int_clause(b, len, "inner_type", PICK(types), 16);
		cat(b, len, " /");
	}
	if (l3 == 0)
		return;
	if (l3 < 6) {
		cat(b, len, " ipv4");
		if (rnd(5) < 2)
			gen_clause(b, len, "src", PICK(ip4s), PICK(ip4_masks), 32);
		if (rnd(5) < 2)
			gen_clause(b, len, "dst", PICK(ip4s), PICK(ip4_masks), 32);
		if (rnd(5) == 0)
			gen_int_clause(b, len, "proto", PICK(protos), 8);
	} else {
		cat(b, len, " ipv6");
		if (rnd(5) < 2)
			gen_clause(b, len, rnd(2) ? "src" : "dst", PICK(ip6s), "ffff:ffff::", 128);
	}
	cat(b, len, " /");
	if (l4 == 0)
		return;
	cat(b, len, l4 == 1 ? " tcp" : " udp");
	if (rnd(5) < 2)
		gen_int_clause(b, len, rnd(2) ? "src" : "dst", PICK(ports), 16);
	cat(b, len, " /");
	if (l4 == 2 && rnd(3) == 0) {
		cat(b, len, rnd(2) ? " vxlan" : " gtpu");
		if (rnd(2))
			gen_int_clause(b, len, strstr(b, "vxlan") ? "vni" : "teid", 1 + rnd(3),
				strstr(b, "vxlan") ? 24 : 32);
		cat(b, len, " /");
	}
}

static void
gen_actions(char *b, size_t len, unsigned int group)
{
	char s[64];
	unsigned int fate = rnd(6);

	if (rnd(3) == 0) {
		snprintf(s, sizeof(s), " mark id %u /", 1 + rnd(4));
		cat(b, len, s);
	}
	if (rnd(3) == 0)
		cat(b, len, " count /");
	if (rnd(4) == 0)
		cat(b, len, " passthru /");
	if (fate == 0)
		snprintf(s, sizeof(s), " drop /");
	else if (fate == 1)
		snprintf(s, sizeof(s), " rss queues %u %u end /", rnd(NB_QUEUES), rnd(NB_QUEUES));
	else if (fate == 2 && group < 15)
		snprintf(s, sizeof(s), " jump group %u /", group + 1 + rnd(3));
	else if (fate == 3 && b[strlen(b) - 1] == '/')
		s[0] = '\0';    /* no fate: MARK, COUNT or PASSTHRU alone */
	else
		snprintf(s, sizeof(s), " queue index %u /", rnd(NB_QUEUES));
	cat(b, len, s);
}

/* A rule of the lab's syntax, in order or (1 in 25) out of header order. */
static struct flow_rule *
gen_rule(void)
{
	static const char *const odd[] = { " eth / tcp /", " ipv4 / ipv4 /", " udp /",
		" eth / vlan / vlan / vlan /", " eth / ipv4 / udp / vxlan / ipv4 /",
		" vlan / eth /", " eth / ipv6 / udp / gtpu / udp /" };
	char b[FLOW_RULE_TEXT] = "";
	unsigned int group = rnd(4);

	snprintf(b, sizeof(b), "ingress priority %u group %u pattern", rnd(4), group);
	if (rnd(25) == 0)
		cat(b, sizeof(b), PICK(odd));
	else
		gen_pattern(b, sizeof(b));
	cat(b, sizeof(b), " end actions");
	gen_actions(b, sizeof(b), group);
	cat(b, sizeof(b), " end");
	return flow_rule_parse(b, "generated", stdout);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A frame the rules may match: values from the same pools; some broken. */
static uint16_t
gen_frame(uint8_t *f)
{
	uint16_t off = 14, type = rnd(8) ? (rnd(4) ? 0x0800 : 0x86dd) : PICK(types), l4off;
	unsigned int i, tags = rnd(3) == 0 ? 1 + rnd(3) : 0;
	uint8_t proto = PICK(protos);
	uint16_t dport = PICK(ports);

	memset(f, 0, FRAME_MAX);
	for (i = 0; i < 6; i++) {
		f[i] = (uint8_t)(rnd(4) ? (i == 0 ? 2 : i == 5 ? 1 + rnd(2) : 0) : 0xff);
		f[6 + i] = (uint8_t)(i == 0 ? 2 : i == 5 ? 1 + rnd(2) : 0);
	}
	for (i = 0; i < tags; i++) {
		put16(f + off - 2, rnd(3) ? 0x8100 : 0x88a8);
		put16(f + off, (uint16_t)(1 + rnd(3)));
		off += 4;
	}
	put16(f + off - 2, type);
	l4off = off + 20;
	if (type == 0x0800) {
		f[off] = rnd(10) ? (rnd(4) ? 0x45 : 0x46) : (rnd(2) ? 0x44 : 0x65);
		f[off + 9] = proto;
		CHECK(inet_pton(AF_INET, PICK(ip4s), f + off + 12) == 1 &&
			inet_pton(AF_INET, PICK(ip4s), f + off + 16) == 1, "IPv4 pool address");
		l4off = off + (f[off] & 0x0f) * 4;
	} else if (type == 0x86dd) {
		f[off + 6] = proto;
		memcpy(f + off + 8, (const uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8 }, 4);
		f[off + 23] = (uint8_t)(1 + rnd(2));
		memcpy(f + off + 24, f + off + 8, 16);
		l4off = off + 40;
	}
	put16(f + l4off, PICK(ports));
	put16(f + l4off + 2, proto == 17 && rnd(2) ? (rnd(2) ? 4789 : 2152) : dport);
	f[l4off + 12] = 0x50;    /* TCP data offset 5 */
	f[l4off + 8 + 6] = (uint8_t)(1 + rnd(3));      /* VNI */
	f[l4off + 8 + 7] = (uint8_t)(1 + rnd(3));      /* TEID low byte */
	return rnd(8) ? (uint16_t)(l4off + 24) : (uint16_t)rnd(l4off + 24);
}

/* The frame in one mbuf, or (1 in 4) split in two after a random byte. */
static struct rte_mbuf *
to_mbuf(const uint8_t *f, uint16_t len)
{
	struct rte_mbuf *head = rte_pktmbuf_alloc(pool), *tail;
	uint16_t cut = rnd(4) == 0 && len > 1 ? (uint16_t)(1 + rnd(len - 1)) : len;
	char *p;

	if (head == NULL)
		return NULL;
	p = rte_pktmbuf_append(head, cut);
	if (p == NULL && cut > 0)
		goto fail;
	memcpy(p, f, cut);
	if (cut == len)
		return head;
	tail = rte_pktmbuf_alloc(pool);
	if (tail == NULL || rte_pktmbuf_chain(head, tail) != 0 ||
	    (p = rte_pktmbuf_append(head, len - cut)) == NULL) {
		rte_pktmbuf_free(tail);
		goto fail;
	}
	memcpy(p, f + cut, len - cut);
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

static bool
same_verdict(const struct flow_soft_verdict *a, const struct flow_soft_verdict *b)
{
	return a->drop == b->drop && a->marked == b->marked && a->mark == b->mark &&
		a->queue == b->queue && a->rule_id == b->rule_id;
}

struct rule_set {
	struct flow_rule *rules[MAX_SET_RULES];
	struct flow_soft_rule linear[MAX_SET_RULES], acl[MAX_SET_RULES];
	unsigned int nb;
};

/* Rules both matchers take: flow_soft_validate() then flow_acl_check(), as the table does. */
static void
gen_set(struct rule_set *rs, unsigned int want, unsigned int *refused)
{
	struct rte_flow_error e;
	unsigned int tries;

	rs->nb = 0;
	for (tries = 0; rs->nb < want && tries < 4 * want; tries++) {
		struct flow_rule *r = gen_rule();

		CHECK(r != NULL, "a generated rule parses");
		if (r == NULL)
			continue;
		if (flow_soft_validate(r, NB_QUEUES, &e) < 0 ||
		    flow_acl_check(r, rs->acl, rs->nb, &e) < 0) {
			CHECK(e.message != NULL && strlen(e.message) > 10,
				"a refused rule is told why: %s", r->text);
			(*refused)++;
			free(r);
			continue;
		}
		rs->rules[rs->nb] = r;
		rs->linear[rs->nb] = (struct flow_soft_rule){ .id = (int)rs->nb, .rule = r };
		rs->acl[rs->nb] = rs->linear[rs->nb];
		rs->nb++;
	}
	flow_soft_sort(rs->linear, rs->nb);
	flow_soft_sort(rs->acl, rs->nb);
}

static void
print_set(const struct rule_set *rs)
{
	unsigned int i;

	for (i = 0; i < rs->nb; i++)
		printf("  rule %u: %s\n", i, rs->rules[i]->text);
}

/* One classify method over the packets, in random bursts: same verdicts, same hits. */
static unsigned int
compare_alg(struct flow_acl *acl, struct rule_set *rs, struct rte_mbuf **pkts,
		const struct flow_soft_verdict *ref, enum rte_acl_classify_alg alg)
{
	struct flow_soft_verdict v[NB_PKTS];
	unsigned int i, j, bad = 0;
	uint16_t done, n;

	if (flow_acl_set_alg(acl, alg) < 0)
		return 0;
	for (i = 0; i < rs->nb; i++)
		rs->acl[i].hits = 0;
	for (done = 0; done < NB_PKTS; done += n) {
		n = (uint16_t)RTE_MIN(1 + rnd(64), (unsigned int)(NB_PKTS - done));
		flow_acl_classify_burst(acl, pkts + done, n, v + done);
	}
	for (j = 0; j < NB_PKTS; j++)
		if (!same_verdict(&v[j], &ref[j]) && bad++ < 3)
			printf("  packet %u (%u bytes): linear drop=%d queue=%d mark=%d/%u "
				"rule %d, rte_acl %s drop=%d queue=%d mark=%d/%u rule %d\n", j,
				rte_pktmbuf_pkt_len(pkts[j]), ref[j].drop, ref[j].queue,
				ref[j].marked, ref[j].mark, ref[j].rule_id, flow_acl_alg_name(alg),
				v[j].drop, v[j].queue, v[j].marked, v[j].mark, v[j].rule_id);
	for (i = 0; i < rs->nb; i++)
		if (rs->acl[i].hits != rs->linear[i].hits && bad++ < 3)
			printf("  rule %d: %" PRIu64 " hits linear, %" PRIu64 " rte_acl %s\n",
				rs->acl[i].id, rs->linear[i].hits, rs->acl[i].hits,
				flow_acl_alg_name(alg));
	return bad;
}

/* flow_soft_rss_hash()'s table against rte_softrss() bit by bit, with the default key. */
static unsigned int
rss_differences(struct rte_mbuf **pkts, unsigned int n)
{
	static const uint8_t key[40] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
		0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
		0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
	};
	struct lab_pkt_info info;
	unsigned int i, bad = 0;
	uint32_t t[3], want;

	for (i = 0; i < n; i++) {
		if (lab_pkt_parse(pkts[i], &info) < 0 || !info.has_ipv4) {
			want = 0;
		} else {
			t[0] = info.src_ip;
			t[1] = info.dst_ip;
			t[2] = (uint32_t)info.src_port << 16 | info.dst_port;
			want = rte_softrss(t, info.has_l4 ? 3 : 2, key);
		}
		bad += flow_soft_rss_hash(pkts[i]) != want;
	}
	return bad;
}

/* Returns how many classify methods were compared. */
static unsigned int
run_set(unsigned int set, unsigned int want, unsigned int *refused, uint64_t *packets)
{
	static const enum rte_acl_classify_alg algs[] = { RTE_ACL_CLASSIFY_SCALAR,
		RTE_ACL_CLASSIFY_SSE, RTE_ACL_CLASSIFY_AVX2, RTE_ACL_CLASSIFY_AVX512X16,
		RTE_ACL_CLASSIFY_AVX512X32 };
	struct flow_soft_verdict ref[NB_PKTS];
	struct rte_mbuf *pkts[NB_PKTS];
	uint8_t f[FRAME_MAX];
	struct rule_set rs;
	struct flow_acl *acl;
	unsigned int i, bad = 0, nb_algs = 0;

	gen_set(&rs, want, refused);
	for (i = 0; i < NB_PKTS; i++) {
		pkts[i] = to_mbuf(f, gen_frame(f));
		CHECK(pkts[i] != NULL, "mbuf for packet %u", i);
		if (pkts[i] == NULL)
			return 0;
		flow_soft_classify(rs.linear, rs.nb, pkts[i], &ref[i]);
		nb_matched += ref[i].rule_id >= 0;
		nb_jumped += ref[i].rule_id >= 0 && rs.rules[ref[i].rule_id]->attr.group > 0;
	}
	i = rss_differences(pkts, NB_PKTS);
	CHECK(i == 0, "set %u: the RSS hash table gives rte_softrss()'s hash (%u differ)", set, i);
	acl = flow_acl_build(rs.acl, rs.nb);
	CHECK(acl != NULL, "set %u: %u rules compile into rte_acl (%s)", set, rs.nb,
		rte_strerror(rte_errno));
	for (i = 0; acl != NULL && i < RTE_DIM(algs); i++) {
		unsigned int b = compare_alg(acl, &rs, pkts, ref, algs[i]);

		nb_algs += flow_acl_alg(acl) == algs[i];
		bad += b;
	}
	CHECK(bad == 0, "set %u: rte_acl decides as the linear matcher (%u differences)", set, bad);
	if (bad != 0)
		print_set(&rs);
	*packets += NB_PKTS;
	flow_acl_free(acl);
	rte_pktmbuf_free_bulk(pkts, NB_PKTS);
	for (i = 0; i < rs.nb; i++)
		free(rs.rules[i]);
	return nb_algs;
}

/* What rte_acl cannot express is refused with a reason, never compiled. */
static void
test_refusals(void)
{
	static const struct {
		const char *pattern, *reason;
	} odd[] = {
		{ "eth / tcp dst is 80 /", "tcp or udp needs an ipv4" },
		{ "ipv4 / ipv4 /", "one ipv4 or ipv6 item" },
		{ "eth / vlan / vlan / vlan /", "at most 2 vlan" },
		{ "eth / ipv4 / udp / vxlan / ipv4 /", "nothing may follow" },
		{ "vlan / eth /", "eth must be the first" },
		{ "eth / ipv4 / tcp / gtpu /", "need a udp item" },
	};
	char text[FLOW_RULE_TEXT];
	struct rte_flow_error e;
	struct flow_rule *r;
	unsigned int i;

	for (i = 0; i < RTE_DIM(odd); i++) {
		snprintf(text, sizeof(text), "ingress pattern %s end actions drop / end",
			odd[i].pattern);
		r = flow_rule_parse(text, "refusal", stdout);
		CHECK(r != NULL && flow_acl_check(r, NULL, 0, &e) < 0 && e.message != NULL &&
			strstr(e.message, odd[i].reason) != NULL, "'%s' refused: %s", text,
			r != NULL && e.message != NULL ? e.message : "(accepted)");
		free(r);
	}
	/* A rule built in C may mask bytes the syntax has no name for: TTL here. */
	r = flow_rule_parse("ingress pattern eth / ipv4 src is 10.0.0.1 / end actions drop / end",
		"refusal", stdout);
	if (r == NULL)
		return;
	r->mask[1].ipv4.hdr.time_to_live = 0xff;
	CHECK(flow_acl_check(r, NULL, 0, &e) < 0 && strstr(e.message, "header byte 8") != NULL,
		"a TTL mask is refused: %s", e.message != NULL ? e.message : "(accepted)");
	free(r);
}

/* The comparison sees a difference when there is one: a rule only rte_acl has. */
static void
test_can_fail(void)
{
	uint8_t f[FRAME_MAX] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45 };
	struct flow_soft_verdict ref, v;
	struct flow_soft_rule sr = { .id = 0 };
	struct flow_rule *https;
	struct rte_mbuf *m;
	struct flow_acl *acl;

	f[14 + 9] = 6;
	put16(f + 14 + 20 + 2, 443);
	f[14 + 20 + 12] = 0x50;
	https = flow_rule_parse(FLOW_BLOCK_HTTPS_TEXT, "https", stdout);
	sr.rule = https;
	m = to_mbuf(f, 14 + 20 + 20);
	acl = sr.rule != NULL ? flow_acl_build(&sr, 1) : NULL;
	CHECK(m != NULL && acl != NULL, "HTTPS rule compiled, HTTPS packet built");
	if (m != NULL && acl != NULL) {
		flow_soft_classify(NULL, 0, m, &ref);
		flow_acl_classify_burst(acl, &m, 1, &v);
		CHECK(!same_verdict(&ref, &v) && v.queue == 0 && v.rule_id == 0 && sr.hits == 1,
			"HTTPS goes to queue 0 by rule 0 (queue %d rule %d), unlike no rules",
			v.queue, v.rule_id);
	}
	flow_acl_free(acl);
	rte_pktmbuf_free(m);
	free(https);
}

int
main(int argc, char **argv)
{
	unsigned int set, refused = 0, nb_algs = 0;
	uint64_t packets = 0, seed = 20261202;
	int ret = rte_eal_init(argc, argv);

	if (ret < 0) {
		printf("EAL init failed: run with --no-huge -m 256 --no-pci\n");
		return 1;
	}
	if (argc - ret > 1)
		seed = strtoull(argv[ret + 1], NULL, 0);
	rng_state = seed ? seed : 1;
	printf("test_flow_acl: seed %" PRIu64 " (give another: test_flow_acl EAL... -- SEED)\n",
		seed);
	pool = rte_pktmbuf_pool_create("TEST_ACL_POOL", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			SOCKET_ID_ANY);
	if (pool == NULL) {
		printf("cannot create the test mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	test_refusals();
	test_can_fail();
	for (set = 0; set < NB_SETS; set++)
		nb_algs += run_set(set, set % 10 == 9 ? MAX_SET_RULES : 1 + rnd(24), &refused,
			&packets);
	printf("test_flow_acl: %u rule sets, %" PRIu64 " packets (%.0f %% matched by a rule, "
		"%.0f %% last in a group reached by JUMP), %u rules refused, %.1f classify "
		"methods per set\n", NB_SETS, packets, 100.0 * nb_matched / packets,
		100.0 * nb_jumped / packets, refused, (double)nb_algs / NB_SETS);
	CHECK(nb_algs >= NB_SETS, "at least one classify method compared per set");
	CHECK(rte_mempool_in_use_count(pool) == 0, "every test mbuf freed (%u in use)",
		rte_mempool_in_use_count(pool));
	ret = lab_check_summary("test_flow_acl");
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return ret;
}
