/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The course's rules exist twice: built field by field in C
 * (lab9_rte_flow/flow_blocks.c) and as text (FLOW_BLOCK_*_TEXT, what
 * "flow create 0 ..." and docs/lab9.md show). This test parses the text and
 * requires the same rule, field for field: attributes, every item's type,
 * spec, mask and last, every action's type and configuration. It also
 * checks that the docs show the text verbatim, and that the comparison can
 * fail. Usage: test_flow_blocks DOCS_LAB9_MD. No EAL needed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_lab.h"
#include "lab_check.h"

/* Both sides come from calloc(): whole unions compare, padding included. */
static bool
same_data(const void *a, const void *b, size_t size)
{
	if (a == NULL || b == NULL)
		return a == b;
	return memcmp(a, b, size) == 0;
}

#define SAY(name, ...) do { if ((name) != NULL) printf(__VA_ARGS__); } while (0)

/* Compares two rules field by field; says on stdout where they differ (name NULL: quiet). */
static bool
same_rule(const struct flow_rule *c, const struct flow_rule *t, const char *name)
{
	const size_t item_size = sizeof(union flow_item_data);
	unsigned int i;
	bool same = true;

	if (memcmp(&c->attr, &t->attr, sizeof(c->attr)) != 0) {
		SAY(name, "  %s: attributes differ (priority %u/%u, group %u/%u)\n", name,
			c->attr.priority, t->attr.priority, c->attr.group, t->attr.group);
		same = false;
	}
	if (c->nb_items != t->nb_items || c->nb_actions != t->nb_actions) {
		SAY(name, "  %s: %u/%u items, %u/%u actions\n", name, c->nb_items, t->nb_items,
			c->nb_actions, t->nb_actions);
		return false;
	}
	for (i = 0; i <= c->nb_items; i++) {
		const struct rte_flow_item *a = &c->pattern[i], *b = &t->pattern[i];

		if (a->type != b->type || !same_data(a->spec, b->spec, item_size) ||
		    !same_data(a->mask, b->mask, item_size) ||
		    !same_data(a->last, b->last, item_size)) {
			SAY(name, "  %s: item %u (%s / %s) differs\n", name, i,
				flow_item_name(a->type), flow_item_name(b->type));
			same = false;
		}
	}
	for (i = 0; i <= c->nb_actions; i++) {
		const struct rte_flow_action *a = &c->actions[i], *b = &t->actions[i];

		if (a->type != b->type ||
		    !same_data(a->conf, b->conf, sizeof(union flow_action_data))) {
			SAY(name, "  %s: action %u (%s / %s) differs\n", name, i,
				flow_action_name(a->type), flow_action_name(b->type));
			same = false;
		}
	}
	return same;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = calloc(1, (size_t)n + 1)) == NULL) {
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		const char *text;
		struct flow_rule *(*build)(void);
	} rules[] = {
		{ "HTTPS -> queue 0", FLOW_BLOCK_HTTPS_TEXT, flow_block_https_to_queue0 },
		{ "10/8 -> drop", FLOW_BLOCK_DROP_TEXT, flow_block_drop_spoofed },
	};
	char *docs = argc > 1 ? read_file(argv[1]) : NULL;
	unsigned int i;

	CHECK(docs != NULL, "docs/lab9.md readable (argv[1] '%s')", argc > 1 ? argv[1] : "");
	for (i = 0; i < RTE_DIM(rules); i++) {
		struct flow_rule *c = rules[i].build();
		struct flow_rule *t = flow_rule_parse(rules[i].text, rules[i].name, stdout);

		CHECK(c != NULL && t != NULL, "%s: built in C and parsed from its text",
			rules[i].name);
		if (c == NULL || t == NULL) {
			free(c);
			free(t);
			continue;
		}
		CHECK(same_rule(c, t, rules[i].name), "%s: the C rule equals the parsed text '%s'",
			rules[i].name, rules[i].text);
		CHECK(strcmp(c->text, rules[i].text) == 0, "%s: the C rule lists as its text",
			rules[i].name);
		CHECK(docs != NULL && strstr(docs, rules[i].text) != NULL,
			"%s: docs/lab9.md shows the text verbatim", rules[i].name);
		/* The comparison must be able to fail: one byte of the spec changed. */
		((uint8_t *)c->pattern[c->nb_items - 1].spec)[0] ^= 1;
		CHECK(!same_rule(c, t, NULL), "%s: a changed spec byte is caught",
			rules[i].name);
		free(c);
		free(t);
	}
	free(docs);
	return lab_check_summary("test_flow_blocks");
}
