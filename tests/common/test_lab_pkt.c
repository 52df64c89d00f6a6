/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of common/lab_pkt: the parser and classifier on valid,
 * truncated, zero-length, wrong-IHL, IPv6, VLAN and multi-segment packets.
 * Frames are built byte by byte so that each test says exactly what the
 * wire carries.
 */
#include <stdint.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lab_check.h"
#include "lab_pkt.h"

#define FRAME_MAX 256

/* DPDK 22.11's RTE_IPV4() shifts an int: undefined (UBSan says so) for a >= 128. */
#define IPV4(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static struct rte_mempool *pool;

/* A frame under construction: Ethernet, optional VLAN, IPv4, TCP or UDP. */
struct frame {
	uint8_t b[FRAME_MAX];
	uint16_t len;
};

static uint16_t
put_eth(struct frame *f, uint16_t ether_type, int vlan_id)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->b;
	uint16_t off = sizeof(*eth);

	memset(f, 0, sizeof(*f));
	eth->dst_addr.addr_bytes[0] = 0x02;
	eth->src_addr.addr_bytes[0] = 0x02;
	if (vlan_id >= 0) {
		struct rte_vlan_hdr *vlan = (struct rte_vlan_hdr *)(f->b + off);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vlan->vlan_tci = rte_cpu_to_be_16((uint16_t)vlan_id);
		vlan->eth_proto = rte_cpu_to_be_16(ether_type);
		off += sizeof(*vlan);
	} else {
		eth->ether_type = rte_cpu_to_be_16(ether_type);
	}
	f->len = off;
	return off;
}

/* IPv4 + TCP/UDP to dport from src; returns the IPv4 header offset. */
static uint16_t
build_l4(struct frame *f, int vlan_id, uint8_t proto, uint32_t src, uint16_t dport)
{
	uint16_t l3 = put_eth(f, RTE_ETHER_TYPE_IPV4, vlan_id);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f->b + l3);
	uint16_t l4 = l3 + sizeof(*ip);
	uint16_t l4_len;

	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(f->b + l4);

		tcp->src_port = rte_cpu_to_be_16(40000);
		tcp->dst_port = rte_cpu_to_be_16(dport);
		tcp->data_off = 5 << 4;
		l4_len = sizeof(*tcp);
	} else {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(f->b + l4);

		l4_len = sizeof(*udp) + 12;
		udp->src_port = rte_cpu_to_be_16(40000);
		udp->dst_port = rte_cpu_to_be_16(dport);
		udp->dgram_len = rte_cpu_to_be_16(l4_len);
	}
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + l4_len);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(IPV4(198, 51, 100, 1));
	f->len = l4 + l4_len;
	return l3;
}

/* One mbuf per segment, split at the given offsets (ascending, 0 ends). */
static struct rte_mbuf *
to_mbuf(const struct frame *f, uint16_t len, const uint16_t *splits)
{
	struct rte_mbuf *head = rte_pktmbuf_alloc(pool);
	struct rte_mbuf *seg = head;
	uint16_t pos = 0;

	if (head == NULL)
		return NULL;
	for (;;) {
		uint16_t end = (splits != NULL && *splits != 0 && *splits < len) ? *splits : len;
		char *dst = rte_pktmbuf_append(head, end - pos);

		if (dst == NULL && end > pos)
			goto fail;
		memcpy(dst, f->b + pos, end - pos);
		pos = end;
		if (pos >= len)
			break;
		splits++;
		seg = rte_pktmbuf_alloc(pool);
		if (seg == NULL || rte_pktmbuf_chain(head, seg) != 0)
			goto fail;
	}
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

static enum lab_pkt_class
classify_frame(const struct frame *f, uint16_t len, const uint16_t *splits,
		struct lab_pkt_info *info)
{
	struct rte_mbuf *m = to_mbuf(f, len, splits);
	enum lab_pkt_class cls;

	if (m == NULL) {
		CHECK(0, "mbuf allocation for a %u-byte frame", len);
		return LAB_CLASS_MAX;
	}
	cls = lab_pkt_class_of(lab_pkt_parse(m, info), info);
	rte_pktmbuf_free(m);
	return cls;
}

static void
test_classes(void)
{
	static const struct {
		uint8_t proto;
		uint32_t src;
		uint16_t dport;
		enum lab_pkt_class want;
	} cases[] = {
		{ IPPROTO_TCP, IPV4(192, 0, 2, 1), 443, LAB_CLASS_HTTPS },
		{ IPPROTO_TCP, IPV4(192, 0, 2, 1), 80, LAB_CLASS_HTTP },
		{ IPPROTO_UDP, IPV4(192, 0, 2, 1), 53, LAB_CLASS_DNS },
		{ IPPROTO_UDP, IPV4(192, 0, 2, 1), 443, LAB_CLASS_OTHER },
		{ IPPROTO_TCP, IPV4(192, 0, 2, 1), 53, LAB_CLASS_OTHER },
		{ IPPROTO_UDP, IPV4(192, 0, 2, 1), 5060, LAB_CLASS_VOIP },
		{ IPPROTO_TCP, IPV4(192, 0, 2, 1), 5060, LAB_CLASS_OTHER },
		{ IPPROTO_UDP, IPV4(192, 0, 2, 1), 4789, LAB_CLASS_OTHER },   /* no VXLAN flag */
		{ IPPROTO_UDP, IPV4(192, 0, 2, 1), 2152, LAB_CLASS_OTHER },   /* no GTP-U header */
		{ IPPROTO_TCP, IPV4(10, 1, 2, 3), 443, LAB_CLASS_SPOOFED },
		{ IPPROTO_UDP, IPV4(10, 255, 255, 255), 53, LAB_CLASS_SPOOFED },
		{ IPPROTO_TCP, IPV4(9, 255, 255, 255), 443, LAB_CLASS_HTTPS },
		{ IPPROTO_TCP, IPV4(11, 0, 0, 0), 80, LAB_CLASS_HTTP },
	};
	struct lab_pkt_info info;
	struct frame f;
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		enum lab_pkt_class got;

		build_l4(&f, -1, cases[i].proto, cases[i].src, cases[i].dport);
		got = classify_frame(&f, f.len, NULL, &info);
		CHECK(got == cases[i].want, "case %u: class %s, want %s", i,
			lab_pkt_class_name(got), lab_pkt_class_name(cases[i].want));
		CHECK(info.src_ip == cases[i].src && info.dst_port == cases[i].dport &&
			info.src_port == 40000 && info.ip_proto == cases[i].proto,
			"case %u: fields parsed back", i);
		CHECK(info.l3_offset == 14 && info.l4_offset == 34, "case %u: offsets %u/%u", i,
			info.l3_offset, info.l4_offset);
	}
	CHECK(strcmp(lab_pkt_class_name(LAB_CLASS_MALFORMED), "malformed") == 0, "class names");
	CHECK(strcmp(lab_pkt_class_name(LAB_CLASS_MAX), "invalid") == 0, "out-of-range name");
}

static void
test_non_ipv4(void)
{
	struct lab_pkt_info info;
	struct frame f;

	put_eth(&f, RTE_ETHER_TYPE_ARP, -1);
	f.len = 60;
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_ARP && !info.has_ipv4 &&
		info.ether_type == RTE_ETHER_TYPE_ARP, "ARP is ARP");

	/* An IPv6 TCP/443 packet: not parsed past Ethernet, so OTHER. */
	put_eth(&f, RTE_ETHER_TYPE_IPV6, -1);
	f.b[14] = 0x60;
	f.len = 14 + 40 + 20;
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_OTHER &&
		info.ether_type == RTE_ETHER_TYPE_IPV6, "IPv6 is OTHER");
}

/* UDP to dport with an 8-byte tunnel header h after it (the frame has 12 bytes of payload). */
static enum lab_pkt_class
classify_tunnel(uint16_t dport, const uint8_t h[8], uint16_t udp_payload,
		struct lab_pkt_info *info)
{
	struct frame f;
	uint16_t l3 = build_l4(&f, -1, IPPROTO_UDP, IPV4(100, 64, 0, 7), dport);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(f.b + l3 + 20);

	memcpy(f.b + l3 + 20 + sizeof(*udp), h, 8);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + udp_payload);
	return classify_frame(&f, f.len, NULL, info);
}

static void
test_tunnels(void)
{
	static const uint8_t vxlan[8] = { 0x08, 0, 0, 0, 0x00, 0x00, 0x64, 0 };      /* VNI 100 */
	static const uint8_t gtpu[8] = { 0x30, 0xff, 0, 4, 0x00, 0x00, 0x04, 0xd2 }; /* TEID 1234 */
	static const uint8_t gtp_v2[8] = { 0x48, 0xff, 0, 4, 0, 0, 0x04, 0xd2 };
	static const uint8_t gtp_echo[8] = { 0x30, 0x01, 0, 4, 0, 0, 0x04, 0xd2 };
	struct lab_pkt_info info;

	CHECK(classify_tunnel(LAB_VXLAN_PORT, vxlan, 12, &info) == LAB_CLASS_VXLAN &&
		info.has_vxlan && info.tunnel_id == 100, "VXLAN, VNI %u read", info.tunnel_id);
	CHECK(classify_tunnel(LAB_GTPU_PORT, gtpu, 12, &info) == LAB_CLASS_GTPU &&
		info.has_gtpu && info.tunnel_id == 1234, "GTP-U, TEID %u read", info.tunnel_id);
	CHECK(classify_tunnel(LAB_GTPU_PORT, gtp_v2, 12, &info) == LAB_CLASS_OTHER &&
		!info.has_gtpu, "GTP version 2 on 2152 is not GTP-U");
	CHECK(classify_tunnel(LAB_GTPU_PORT, gtp_echo, 12, &info) == LAB_CLASS_OTHER,
		"a GTP-U echo request (not a G-PDU) is OTHER");
	CHECK(classify_tunnel(LAB_VXLAN_PORT, vxlan, 4, &info) == LAB_CLASS_OTHER &&
		!info.has_vxlan, "a VXLAN header cut by the UDP length is OTHER, not read");
	CHECK(classify_tunnel(LAB_GTPU_PORT, vxlan, 12, &info) == LAB_CLASS_OTHER,
		"a VXLAN header on the GTP-U port is OTHER");
	CHECK(classify_tunnel(5060, vxlan, 12, &info) == LAB_CLASS_VOIP && !info.has_vxlan,
		"tunnel headers are read only on their ports");
}

static void
test_vlan(void)
{
	struct lab_pkt_info info;
	struct frame f;

	build_l4(&f, 100, IPPROTO_TCP, IPV4(192, 0, 2, 9), 443);
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_HTTPS, "VLAN HTTPS");
	CHECK(info.has_vlan && info.vlan_id == 100 && info.l3_offset == 18 &&
		info.l4_offset == 38, "VLAN id %u and offsets %u/%u", info.vlan_id,
		info.l3_offset, info.l4_offset);
	/* Cut inside the VLAN tag. */
	CHECK(classify_frame(&f, 16, NULL, &info) == LAB_CLASS_MALFORMED, "truncated VLAN tag");
}

static void
test_malformed(void)
{
	struct lab_pkt_info info;
	struct frame f = { .len = 0 };
	uint16_t l3, len;

	CHECK(classify_frame(&f, 0, NULL, &info) == LAB_CLASS_MALFORMED, "zero-length frame");
	build_l4(&f, -1, IPPROTO_TCP, IPV4(192, 0, 2, 1), 443);
	CHECK(classify_frame(&f, 13, NULL, &info) == LAB_CLASS_MALFORMED, "13-byte frame");
	/* Every cut inside the IPv4 or TCP header is caught, at every length. */
	for (len = 14; len < f.len; len++)
		CHECK(classify_frame(&f, len, NULL, &info) == LAB_CLASS_MALFORMED,
			"HTTPS frame cut to %u bytes", len);

	l3 = build_l4(&f, -1, IPPROTO_TCP, IPV4(192, 0, 2, 1), 443);
	f.b[l3] = 0x44;
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_MALFORMED, "IHL 4");
	f.b[l3] = 0x4f;
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_MALFORMED,
		"IHL 15 past total length");
	f.b[l3] = 0x65;
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_MALFORMED, "version 6 in IPv4");

	l3 = build_l4(&f, -1, IPPROTO_TCP, IPV4(192, 0, 2, 1), 443);
	((struct rte_ipv4_hdr *)(f.b + l3))->total_length = rte_cpu_to_be_16(1000);
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_MALFORMED,
		"total length past the frame");
	((struct rte_ipv4_hdr *)(f.b + l3))->total_length = rte_cpu_to_be_16(30);
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_MALFORMED,
		"total length cuts the TCP header");
	((struct rte_ipv4_hdr *)(f.b + l3))->total_length = rte_cpu_to_be_16(10);
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_MALFORMED,
		"total length below IHL");

	l3 = build_l4(&f, -1, IPPROTO_TCP, IPV4(192, 0, 2, 1), 443);
	f.b[l3 + 20 + 12] = 4 << 4;
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_MALFORMED, "TCP data offset 4");
	f.b[l3 + 20 + 12] = 15 << 4;
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_MALFORMED,
		"TCP data offset past the packet");

	l3 = build_l4(&f, -1, IPPROTO_UDP, IPV4(192, 0, 2, 1), 53);
	((struct rte_udp_hdr *)(f.b + l3 + 20))->dgram_len = rte_cpu_to_be_16(4);
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_MALFORMED, "UDP length 4");
	((struct rte_udp_hdr *)(f.b + l3 + 20))->dgram_len = rte_cpu_to_be_16(200);
	CHECK(classify_frame(&f, f.len, NULL, &info) == LAB_CLASS_MALFORMED,
		"UDP length past the IP packet");
}

static void
test_padding_and_fragments(void)
{
	struct lab_pkt_info info;
	struct frame f;
	uint16_t l3;

	/* 54-byte TCP frame padded to the 60-byte Ethernet minimum: still valid. */
	build_l4(&f, -1, IPPROTO_TCP, IPV4(192, 0, 2, 1), 80);
	CHECK(classify_frame(&f, 60, NULL, &info) == LAB_CLASS_HTTP, "padded frame");

	/* A non-first fragment carries no TCP header: OTHER, not malformed. */
	l3 = build_l4(&f, -1, IPPROTO_TCP, IPV4(192, 0, 2, 1), 443);
	((struct rte_ipv4_hdr *)(f.b + l3))->fragment_offset = rte_cpu_to_be_16(100);
	((struct rte_ipv4_hdr *)(f.b + l3))->total_length = rte_cpu_to_be_16(24);
	CHECK(classify_frame(&f, 14 + 24, NULL, &info) == LAB_CLASS_OTHER && !info.has_l4,
		"non-first fragment");
}

static void
test_multi_segment(void)
{
	struct lab_pkt_info info, want;
	struct frame f;
	uint16_t split[3];
	struct rte_mbuf *m;

	build_l4(&f, 7, IPPROTO_TCP, IPV4(192, 0, 2, 77), 443);
	classify_frame(&f, f.len, NULL, &want);
	/* Every split point, two and three segments: the same answer as one segment. */
	for (split[0] = 1; split[0] < f.len; split[0]++) {
		split[1] = 0;
		CHECK(classify_frame(&f, f.len, split, &info) == LAB_CLASS_HTTPS &&
			memcmp(&info, &want, sizeof(info)) == 0, "split at %u", split[0]);
		split[1] = split[0] + 5;
		split[2] = 0;
		CHECK(classify_frame(&f, f.len, split, &info) == LAB_CLASS_HTTPS &&
			memcmp(&info, &want, sizeof(info)) == 0, "split at %u and %u",
			split[0], split[1]);
	}

	/* A chain whose segments hold less than pkt_len claims: cut where the data ends. */
	split[0] = 20;
	split[1] = 0;
	m = to_mbuf(&f, f.len, split);
	CHECK(m != NULL, "two-segment mbuf");
	if (m != NULL) {
		m->next->data_len -= 30;
		CHECK(lab_pkt_class_of(lab_pkt_parse(m, &info), &info) == LAB_CLASS_MALFORMED,
			"segments shorter than pkt_len");
		m->next->data_len += 30;
		m->data_len = 10;
		m->nb_segs = 1;
		CHECK(lab_pkt_class_of(lab_pkt_parse(m, &info), &info) == LAB_CLASS_MALFORMED,
			"single segment with data_len short of pkt_len");
		m->data_len = 20;
		m->nb_segs = 2;
		rte_pktmbuf_free(m);
	}
}

static void
test_ipv4_str(void)
{
	char buf[16];

	CHECK(strcmp(lab_ipv4_str(IPV4(10, 0, 0, 255), buf, sizeof(buf)), "10.0.0.255") == 0,
		"10.0.0.255");
	CHECK(strcmp(lab_ipv4_str(0xffffffffu, buf, sizeof(buf)), "255.255.255.255") == 0,
		"255.255.255.255 fits 16 bytes");
}

int
main(int argc, char **argv)
{
	int ret = rte_eal_init(argc, argv);

	if (ret < 0) {
		printf("EAL init failed: run with --no-huge -m 64 --no-pci\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("TEST_PKT_POOL", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			SOCKET_ID_ANY);
	if (pool == NULL) {
		printf("cannot create the test mbuf pool\n");
		return 1;
	}
	test_classes();
	test_non_ipv4();
	test_vlan();
	test_malformed();
	test_tunnels();
	test_padding_and_fragments();
	test_multi_segment();
	test_ipv4_str();
	CHECK(rte_mempool_in_use_count(pool) == 0, "every test mbuf freed (%u in use)",
		rte_mempool_in_use_count(pool));
	ret = lab_check_summary("test_lab_pkt");
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return ret;
}
