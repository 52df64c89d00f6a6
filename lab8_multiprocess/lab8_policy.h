/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FLOW_TABLE, the course's SASE-DP policy table: an rte_hash keyed by IPv4
 * source address, created by the primary from --policy FILE and found by
 * name by the enterprise secondary (lab8_policy.c; both programs link it).
 */
#ifndef LAB8_POLICY_H
#define LAB8_POLICY_H

#include <stdint.h>

#include <rte_hash.h>

#include "lab8_shared.h"

#define LAB8_FLOW_TABLE "FLOW_TABLE"

const char *lab8_verdict_name(enum lab8_verdict v);

/*
 * Parses one policy line: "A.B.C.D allow|deny", '#' starts a comment.
 * Returns 0 with *addr (host order) and *v set, 1 for a blank or comment
 * line, -EINVAL with what is wrong in why.
 */
int lab8_policy_parse_line(const char *line, uint32_t *addr, enum lab8_verdict *v,
		char *why, size_t len);

/*
 * Primary: reads path and creates FLOW_TABLE on socket. NULL on any error,
 * which names the file, the line and what is wrong. *nb gets the entries.
 */
struct rte_hash *lab8_policy_load(const char *path, int socket, unsigned int *nb);

/*
 * Both sides: the verdict for a source address (host order). The signature
 * is computed here, in the calling process, never through the table's own
 * hash function pointer (see lab8_policy.c).
 */
enum lab8_verdict lab8_policy_lookup(const struct rte_hash *h, uint32_t src);

#endif /* LAB8_POLICY_H */
