/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lab_pkt.h"

static const char * const lab_class_names[LAB_CLASS_MAX] = {
	[LAB_CLASS_HTTPS] = "https",
	[LAB_CLASS_HTTP] = "http",
	[LAB_CLASS_DNS] = "dns",
	[LAB_CLASS_SPOOFED] = "spoofed",
	[LAB_CLASS_VOIP] = "voip",
	[LAB_CLASS_ARP] = "arp",
	[LAB_CLASS_VXLAN] = "vxlan",
	[LAB_CLASS_GTPU] = "gtpu",
	[LAB_CLASS_OTHER] = "other",
	[LAB_CLASS_MALFORMED] = "malformed",
};

const char *
lab_pkt_class_name(enum lab_pkt_class cls)
{
	return cls < LAB_CLASS_MAX ? lab_class_names[cls] : "invalid";
}

/*
 * Bytes the parser may read: pkt_len, unless the segments hold fewer (a
 * chain whose lengths disagree is treated as cut where its data ends).
 */
static uint32_t
lab_pkt_avail(const struct rte_mbuf *m)
{
	const struct rte_mbuf *seg;
	uint32_t held = 0;

	if (m->nb_segs == 1)
		return RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)rte_pktmbuf_data_len(m));
	for (seg = m; seg != NULL && held < rte_pktmbuf_pkt_len(m); seg = seg->next)
		held += rte_pktmbuf_data_len(seg);
	return RTE_MIN(rte_pktmbuf_pkt_len(m), held);
}

/*
 * A pointer to len bytes at off: into the first segment when they lie
 * there, else copied into buf from the following segments; NULL when they
 * run past what the packet holds.
 */
static const void *
lab_pkt_header(const struct rte_mbuf *m, uint32_t avail, uint32_t off, uint32_t len, void *buf)
{
	if (off + len > avail)
		return NULL;
	return rte_pktmbuf_read(m, off, len, buf);
}

/*
 * The 8-byte header over UDP/4789 (VXLAN: flags with the I bit 0x08, VNI in
 * bytes 4-6) or UDP/2152 (GTP-U: version 1, protocol type GTP, message 0xff
 * G-PDU, TEID in bytes 4-7), read as bytes: their structs differ between
 * DPDK versions. Anything else there, or too short, is plain UDP, not an error.
 */
static void
lab_pkt_parse_tunnel(const struct rte_mbuf *m, uint32_t avail, struct lab_pkt_info *info,
		uint32_t off, uint32_t udp_end)
{
	uint8_t buf[LAB_TUNNEL_HDR_LEN];
	const uint8_t *h;

	if (info->dst_port != LAB_VXLAN_PORT && info->dst_port != LAB_GTPU_PORT)
		return;
	if (off + sizeof(buf) > udp_end)
		return;
	h = lab_pkt_header(m, avail, off, sizeof(buf), buf);
	if (h == NULL)
		return;
	if (info->dst_port == LAB_VXLAN_PORT && (h[0] & 0x08) != 0) {
		info->has_vxlan = true;
		info->tunnel_id = (uint32_t)h[4] << 16 | (uint32_t)h[5] << 8 | h[6];
	} else if (info->dst_port == LAB_GTPU_PORT && (h[0] >> 5) == 1 && (h[0] & 0x10) != 0 &&
		   h[1] == 0xff) {
		info->has_gtpu = true;
		info->tunnel_id = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 |
			(uint32_t)h[6] << 8 | h[7];
	}
}

static int
lab_pkt_parse_l4(const struct rte_mbuf *m, uint32_t avail, struct lab_pkt_info *info,
		uint32_t l3_end)
{
	uint32_t off = info->l4_offset;

	if (info->ip_proto == IPPROTO_TCP) {
		struct rte_tcp_hdr buf;
		const struct rte_tcp_hdr *tcp;
		uint32_t hlen;

		if (off + sizeof(*tcp) > l3_end)
			return -EINVAL;
		tcp = lab_pkt_header(m, avail, off, sizeof(*tcp), &buf);
		if (tcp == NULL)
			return -EINVAL;
		hlen = (tcp->data_off >> 4) * 4u;
		if (hlen < sizeof(*tcp) || off + hlen > l3_end)
			return -EINVAL;
		info->src_port = rte_be_to_cpu_16(tcp->src_port);
		info->dst_port = rte_be_to_cpu_16(tcp->dst_port);
	} else if (info->ip_proto == IPPROTO_UDP) {
		struct rte_udp_hdr buf;
		const struct rte_udp_hdr *udp;
		uint32_t dlen;

		if (off + sizeof(*udp) > l3_end)
			return -EINVAL;
		udp = lab_pkt_header(m, avail, off, sizeof(*udp), &buf);
		if (udp == NULL)
			return -EINVAL;
		dlen = rte_be_to_cpu_16(udp->dgram_len);
		if (dlen < sizeof(*udp) || off + dlen > l3_end)
			return -EINVAL;
		info->src_port = rte_be_to_cpu_16(udp->src_port);
		info->dst_port = rte_be_to_cpu_16(udp->dst_port);
		lab_pkt_parse_tunnel(m, avail, info, off + sizeof(*udp), off + dlen);
	} else {
		return 0;
	}
	info->has_l4 = true;
	return 0;
}

static int
lab_pkt_parse_ipv4(const struct rte_mbuf *m, uint32_t avail, struct lab_pkt_info *info)
{
	struct rte_ipv4_hdr buf;
	const struct rte_ipv4_hdr *ip;
	uint32_t ihl, total;

	ip = lab_pkt_header(m, avail, info->l3_offset, sizeof(*ip), &buf);
	if (ip == NULL)
		return -EINVAL;
	ihl = (ip->version_ihl & 0x0f) * 4u;
	total = rte_be_to_cpu_16(ip->total_length);
	/* Ethernet padding may make the frame longer than total_length, never shorter. */
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || total < ihl ||
	    info->l3_offset + total > avail)
		return -EINVAL;
	info->has_ipv4 = true;
	info->src_ip = rte_be_to_cpu_32(ip->src_addr);
	info->dst_ip = rte_be_to_cpu_32(ip->dst_addr);
	info->ip_proto = ip->next_proto_id;
	info->l4_offset = info->l3_offset + ihl;
	/* A non-first fragment carries no L4 header. */
	if ((rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) != 0)
		return 0;
	return lab_pkt_parse_l4(m, avail, info, info->l3_offset + total);
}

int
lab_pkt_parse(const struct rte_mbuf *m, struct lab_pkt_info *info)
{
	struct rte_ether_hdr eth_buf;
	struct rte_vlan_hdr vlan_buf;
	const struct rte_ether_hdr *eth;
	const struct rte_vlan_hdr *vlan;
	uint32_t avail = lab_pkt_avail(m);

	memset(info, 0, sizeof(*info));
	eth = lab_pkt_header(m, avail, 0, sizeof(*eth), &eth_buf);
	if (eth == NULL)
		return -EINVAL;
	info->ether_type = rte_be_to_cpu_16(eth->ether_type);
	info->l3_offset = sizeof(*eth);
	if (info->ether_type == RTE_ETHER_TYPE_VLAN) {
		vlan = lab_pkt_header(m, avail, info->l3_offset, sizeof(*vlan), &vlan_buf);
		if (vlan == NULL)
			return -EINVAL;
		info->has_vlan = true;
		info->vlan_id = rte_be_to_cpu_16(vlan->vlan_tci) & 0x0fff;
		info->ether_type = rte_be_to_cpu_16(vlan->eth_proto);
		info->l3_offset += sizeof(*vlan);
	}
	if (info->ether_type != RTE_ETHER_TYPE_IPV4)
		return 0;
	return lab_pkt_parse_ipv4(m, avail, info);
}

enum lab_pkt_class
lab_pkt_class_of(int parse_ret, const struct lab_pkt_info *info)
{
	if (parse_ret < 0)
		return LAB_CLASS_MALFORMED;
	if (info->ether_type == RTE_ETHER_TYPE_ARP)
		return LAB_CLASS_ARP;
	if (!info->has_ipv4)
		return LAB_CLASS_OTHER;
	/* Spoofing trumps the service: a spoofed packet to 443 is still spoofed. */
	if ((info->src_ip & 0xff000000u) == 0x0a000000u)
		return LAB_CLASS_SPOOFED;
	if (!info->has_l4)
		return LAB_CLASS_OTHER;
	if (info->ip_proto == IPPROTO_TCP && info->dst_port == 443)
		return LAB_CLASS_HTTPS;
	if (info->ip_proto == IPPROTO_TCP && info->dst_port == 80)
		return LAB_CLASS_HTTP;
	if (info->ip_proto == IPPROTO_UDP && info->dst_port == 53)
		return LAB_CLASS_DNS;
	if (info->ip_proto == IPPROTO_UDP && info->dst_port == 5060)
		return LAB_CLASS_VOIP;
	if (info->has_vxlan)
		return LAB_CLASS_VXLAN;
	if (info->has_gtpu)
		return LAB_CLASS_GTPU;
	return LAB_CLASS_OTHER;
}

enum lab_pkt_class
lab_pkt_classify(const struct rte_mbuf *m)
{
	struct lab_pkt_info info;

	return lab_pkt_class_of(lab_pkt_parse(m, &info), &info);
}

const char *
lab_ipv4_str(uint32_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
		(addr >> 8) & 0xff, addr & 0xff);
	return buf;
}
