/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_flow_error in words: the error type's name, the part of the rule the
 * PMD blamed (from the cause pointer), and the PMD's message.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_flow.h>

#include "flow_lab.h"

static const char * const flow_error_names[] = {
	[RTE_FLOW_ERROR_TYPE_NONE] = "NONE",
	[RTE_FLOW_ERROR_TYPE_UNSPECIFIED] = "UNSPECIFIED",
	[RTE_FLOW_ERROR_TYPE_HANDLE] = "HANDLE",
	[RTE_FLOW_ERROR_TYPE_ATTR_GROUP] = "ATTR_GROUP",
	[RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY] = "ATTR_PRIORITY",
	[RTE_FLOW_ERROR_TYPE_ATTR_INGRESS] = "ATTR_INGRESS",
	[RTE_FLOW_ERROR_TYPE_ATTR_EGRESS] = "ATTR_EGRESS",
	[RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER] = "ATTR_TRANSFER",
	[RTE_FLOW_ERROR_TYPE_ATTR] = "ATTR",
	[RTE_FLOW_ERROR_TYPE_ITEM_NUM] = "ITEM_NUM",
	[RTE_FLOW_ERROR_TYPE_ITEM_SPEC] = "ITEM_SPEC",
	[RTE_FLOW_ERROR_TYPE_ITEM_LAST] = "ITEM_LAST",
	[RTE_FLOW_ERROR_TYPE_ITEM_MASK] = "ITEM_MASK",
	[RTE_FLOW_ERROR_TYPE_ITEM] = "ITEM",
	[RTE_FLOW_ERROR_TYPE_ACTION_NUM] = "ACTION_NUM",
	[RTE_FLOW_ERROR_TYPE_ACTION_CONF] = "ACTION_CONF",
	[RTE_FLOW_ERROR_TYPE_ACTION] = "ACTION",
	[RTE_FLOW_ERROR_TYPE_STATE] = "STATE",
};

const char *
flow_error_type_name(enum rte_flow_error_type type)
{
	if ((unsigned int)type < RTE_DIM(flow_error_names) && flow_error_names[type] != NULL)
		return flow_error_names[type];
	return "UNKNOWN";
}

static bool
flow_ptr_in(const void *p, const void *base, size_t size)
{
	return (const char *)p >= (const char *)base && (const char *)p < (const char *)base + size;
}

/* Which part of the rule an error is about: from the cause pointer, else the type. */
static void
flow_error_part(const struct rte_flow_error *e, const struct flow_rule *r, char *buf, size_t len)
{
	unsigned int i;

	if (r != NULL && e->cause != NULL) {
		for (i = 0; i < r->nb_items; i++)
			if (e->cause == &r->pattern[i] ||
			    flow_ptr_in(e->cause, &r->spec[i], sizeof(r->spec[i])) ||
			    flow_ptr_in(e->cause, &r->mask[i], sizeof(r->mask[i]))) {
				snprintf(buf, len, "pattern item %u (%s)", i,
					flow_item_name(r->pattern[i].type));
				return;
			}
		for (i = 0; i < r->nb_actions; i++)
			if (e->cause == &r->actions[i] ||
			    flow_ptr_in(e->cause, &r->conf[i], sizeof(r->conf[i]))) {
				snprintf(buf, len, "action %u (%s)", i,
					flow_action_name(r->actions[i].type));
				return;
			}
		if (flow_ptr_in(e->cause, &r->attr, sizeof(r->attr))) {
			snprintf(buf, len, "attributes");
			return;
		}
	}
	switch (e->type) {
	case RTE_FLOW_ERROR_TYPE_ATTR_GROUP:
		snprintf(buf, len, "attribute group %u", r ? r->attr.group : 0);
		break;
	case RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY:
		snprintf(buf, len, "attribute priority %u", r ? r->attr.priority : 0);
		break;
	case RTE_FLOW_ERROR_TYPE_ATTR_INGRESS:
	case RTE_FLOW_ERROR_TYPE_ATTR_EGRESS:
	case RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER:
	case RTE_FLOW_ERROR_TYPE_ATTR:
		snprintf(buf, len, "attributes");
		break;
	case RTE_FLOW_ERROR_TYPE_ITEM_NUM:
	case RTE_FLOW_ERROR_TYPE_ITEM_SPEC:
	case RTE_FLOW_ERROR_TYPE_ITEM_LAST:
	case RTE_FLOW_ERROR_TYPE_ITEM_MASK:
	case RTE_FLOW_ERROR_TYPE_ITEM:
		snprintf(buf, len, "pattern");
		break;
	case RTE_FLOW_ERROR_TYPE_ACTION_NUM:
	case RTE_FLOW_ERROR_TYPE_ACTION_CONF:
	case RTE_FLOW_ERROR_TYPE_ACTION:
		snprintf(buf, len, "actions");
		break;
	default:
		snprintf(buf, len, "the rule as a whole");
		break;
	}
}

/* Prints "rte_flow_error TYPE_NAME: message (concerns: pattern item 2 (tcp))". */
void
flow_error_print(FILE *out, const char *what, int ret, const struct rte_flow_error *error,
		const struct flow_rule *rule)
{
	char part[64];

	flow_error_part(error, rule, part, sizeof(part));
	fprintf(out, "%s: FAILED (%s): rte_flow_error %s: %s [concerns %s]\n", what,
		strerror(-ret), flow_error_type_name(error->type),
		error->message ? error->message : "(no message)", part);
}

void
flow_error_set(struct rte_flow_error *e, int err, enum rte_flow_error_type type,
		const void *cause, const char *msg)
{
	e->type = type;
	e->cause = cause;
	e->message = msg;
	rte_errno = err;
}
