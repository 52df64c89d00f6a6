/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab 9's rule syntax tables, shared by the parser (flow_parse.c) and the
 * formatter (flow_format.c); defined in flow_syntax.c.
 */
#ifndef FLOW_SYNTAX_H
#define FLOW_SYNTAX_H

#include <stddef.h>
#include <stdint.h>

#include <rte_flow.h>

enum flow_field_kind {
	FIELD_MAC,
	FIELD_IPV4,
	FIELD_IPV6,
	FIELD_INT,          /* big-endian integer of size bytes */
};

struct flow_field {
	const char *name;
	enum flow_field_kind kind;
	size_t offset;       /* in the item struct, which mirrors the header */
	size_t size;
	uint64_t full_mask;  /* FIELD_INT: what "is" masks with */
};

struct flow_item_desc {
	const char *name;
	enum rte_flow_item_type type;
	const struct flow_field *fields;
};

extern const struct flow_item_desc flow_item_descs[];
extern const unsigned int flow_nb_item_descs;

/* The descriptor of an item type, NULL for one the syntax does not take. */
const struct flow_item_desc *flow_item_desc_find(enum rte_flow_item_type type);
/* Writes v as a big-endian integer of size bytes. */
void flow_put_be(uint8_t *dst, uint64_t v, size_t size);
/* The mask "is" and "spec" use: every bit of the field that is its value. */
void flow_full_mask(const struct flow_field *f, uint8_t *out);
/* The mask of a /bits prefix over size bytes. */
void flow_prefix_mask(size_t size, unsigned int bits, uint8_t *out);

#endif /* FLOW_SYNTAX_H */
