/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for common/lab_pkt: arbitrary bytes as a one-segment
 * mbuf and as a chain of up to three segments, each segment in a heap
 * buffer of exactly its size so AddressSanitizer sees any read past it.
 * Invariants: both layouts parse to the same result; every offset the
 * parser claims lies inside the packet; the class agrees with the fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "lab_pkt.h"

#define MAX_SEGS 3

/* Builds a chain over data split at the given lengths; no mempool or EAL needed. */
static void
build_chain(struct rte_mbuf *segs, const uint8_t *data, const size_t *lens, unsigned int n)
{
	unsigned int i;
	size_t pos = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = &segs[i];

		memset(m, 0, sizeof(*m));
		/* malloc(0) may return NULL: keep one byte, never counted as data. */
		m->buf_addr = malloc(lens[i] ? lens[i] : 1);
		if (m->buf_addr == NULL)
			abort();
		memcpy(m->buf_addr, data + pos, lens[i]);
		m->buf_len = (uint16_t)lens[i];
		m->data_len = (uint16_t)lens[i];
		m->nb_segs = 1;
		m->next = i + 1 < n ? &segs[i + 1] : NULL;
		pos += lens[i];
	}
	segs[0].nb_segs = (uint16_t)n;
	segs[0].pkt_len = (uint32_t)pos;
}

static void
free_chain(struct rte_mbuf *segs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		free(segs[i].buf_addr);
}

static void
check_info(int ret, const struct lab_pkt_info *info, size_t len)
{
	enum lab_pkt_class cls = lab_pkt_class_of(ret, info);

	if (info->has_ipv4 && (info->l3_offset != 14 && info->l3_offset != 18))
		abort();
	if (info->has_ipv4 && (size_t)info->l3_offset + 20 > len)
		abort();
	if (info->has_l4 && (size_t)info->l4_offset + (info->ip_proto == 6 ? 20 : 8) > len)
		abort();
	if (info->has_l4 && !info->has_ipv4)
		abort();
	if ((cls == LAB_CLASS_MALFORMED) != (ret < 0))
		abort();
	if (cls == LAB_CLASS_HTTPS && !(info->has_l4 && info->ip_proto == 6 &&
			info->dst_port == 443))
		abort();
	if (cls == LAB_CLASS_SPOOFED && (info->src_ip >> 24) != 10)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf one[1], chain[MAX_SEGS];
	struct lab_pkt_info info_one, info_chain;
	size_t lens[MAX_SEGS];
	int ret_one, ret_chain;

	/* The first two bytes choose the split points; the rest is the frame. */
	if (size < 2 || size - 2 > UINT16_MAX)
		return 0;
	lens[0] = data[0] % (size - 1);
	lens[1] = data[1] % (size - 1 - lens[0]);
	lens[2] = size - 2 - lens[0] - lens[1];
	data += 2;
	size -= 2;

	build_chain(one, data, &size, 1);
	ret_one = lab_pkt_parse(one, &info_one);
	check_info(ret_one, &info_one, size);

	build_chain(chain, data, lens, MAX_SEGS);
	ret_chain = lab_pkt_parse(chain, &info_chain);
	check_info(ret_chain, &info_chain, size);

	if (ret_one != ret_chain || memcmp(&info_one, &info_chain, sizeof(info_one)) != 0)
		abort();
	free_chain(one, 1);
	free_chain(chain, MAX_SEGS);
	return 0;
}
