/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet parser and classifier every lab shares:
 * Ethernet (one optional VLAN tag) / IPv4 / TCP or UDP, and over UDP the
 * VXLAN and GTP-U headers (their VNI and TEID are read).
 * Every length is checked against the mbuf, so it never reads past a
 * packet, whatever arrives; headers split across segments are handled.
 */
#ifndef LAB_PKT_H
#define LAB_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

enum lab_pkt_class {
	LAB_CLASS_HTTPS,     /* TCP dport 443 */
	LAB_CLASS_HTTP,      /* TCP dport 80 */
	LAB_CLASS_DNS,       /* UDP dport 53 */
	LAB_CLASS_SPOOFED,   /* IPv4 source in 10.0.0.0/8, whatever it carries */
	LAB_CLASS_VOIP,      /* UDP dport 5060 (SIP) */
	LAB_CLASS_ARP,       /* EtherType 0x0806 */
	LAB_CLASS_VXLAN,     /* UDP dport 4789 with a VXLAN header (I flag set) */
	LAB_CLASS_GTPU,      /* UDP dport 2152 with a GTP-U G-PDU header (version 1) */
	LAB_CLASS_OTHER,     /* well formed, none of the above (IPv6, UDP/4789 without VXLAN...) */
	LAB_CLASS_MALFORMED, /* a header that is truncated or lies about its length */
	LAB_CLASS_MAX
};

#define LAB_VXLAN_PORT 4789
#define LAB_GTPU_PORT 2152
#define LAB_TUNNEL_HDR_LEN 8   /* VXLAN and GTP-U (without options) alike */

struct lab_pkt_info {
	uint16_t ether_type;  /* after any VLAN tag, host order */
	bool has_vlan;
	uint16_t vlan_id;
	bool has_ipv4;
	bool has_l4;          /* TCP or UDP header present and whole */
	uint8_t ip_proto;
	uint16_t l3_offset;   /* bytes from the start of the frame */
	uint16_t l4_offset;
	uint32_t src_ip;      /* host order */
	uint32_t dst_ip;
	uint16_t src_port;    /* host order */
	uint16_t dst_port;
	bool has_vxlan;       /* a VXLAN header follows UDP/4789 */
	bool has_gtpu;        /* a GTP-U G-PDU header follows UDP/2152 */
	uint32_t tunnel_id;   /* the VXLAN VNI (24 bits) or the GTP-U TEID, host order */
};

/*
 * Parses m into info. Returns 0, or -EINVAL when a header present is
 * malformed (info then holds what was parsed before the fault).
 */
int lab_pkt_parse(const struct rte_mbuf *m, struct lab_pkt_info *info);

/* Class of a parse result; parse_ret is what lab_pkt_parse() returned. */
enum lab_pkt_class lab_pkt_class_of(int parse_ret, const struct lab_pkt_info *info);

/* Parse and classify in one call, for code that needs only the class. */
enum lab_pkt_class lab_pkt_classify(const struct rte_mbuf *m);

/* "https", "http", "dns", "spoofed", "voip", "arp", "vxlan", "gtpu", "other", "malformed". */
const char *lab_pkt_class_name(enum lab_pkt_class cls);

/* Formats an IPv4 address in host order as A.B.C.D; buf needs 16 bytes. */
const char *lab_ipv4_str(uint32_t addr, char *buf, size_t len);

#endif /* LAB_PKT_H */
