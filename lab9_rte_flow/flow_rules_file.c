/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --rules FILE and --fallback, for every program that takes lab 9's rules
 * (lab9's classifier, lab8_primary): one rule or one prompt command ("flow create
 * 0 ...") per line, # comments, each validated and created in turn with
 * the table's messages. The first line refused stops the load.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "flow_lab.h"
#include "lab_log.h"

int
flow_fallback_parse(const char *arg, bool *software)
{
	if (strcmp(arg, "software") != 0 && strcmp(arg, "none") != 0) {
		LAB_LOG(ERR, "--fallback: '%s' is not 'software' or 'none'", arg);
		return -EINVAL;
	}
	*software = strcmp(arg, "software") == 0;
	return 0;
}

/* Strips the line's end and leading blanks; NULL for a blank or comment line. */
static char *
flow_rules_line(char *line)
{
	size_t len = strlen(line);

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	return *line == '\0' || *line == '#' ? NULL : line;
}

int
flow_rules_file_load(const char *path, FILE *out)
{
	char line[FLOW_RULE_TEXT + 64], origin[300];
	unsigned int lineno = 0;
	FILE *f;
	int ret = 0, compiled;

	f = fopen(path, "r");
	if (f == NULL) {
		ret = -errno;
		LAB_LOG(ERR, "--rules: cannot open %s: %s", path, strerror(-ret));
		return ret;
	}
	/* One rte_acl build for the whole file, not one per line (1,024 rules: seconds). */
	flow_table_batch_begin();
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = flow_rules_line(line);

		lineno++;
		if (s == NULL)
			continue;
		snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
		if (strncmp(s, "flow ", 5) == 0) {
			ret = flow_cli_execute(s, out);
		} else {
			struct flow_rule *r = flow_rule_parse(s, origin, out);

			ret = r == NULL ? -EINVAL : flow_table_create(r, out);
		}
		if (ret < 0) {
			fprintf(out, "%s: rule refused; stopping (fix the line or remove it)\n",
				origin);
			break;
		}
	}
	fclose(f);
	compiled = flow_table_batch_end(out);
	if (ret < 0)
		return ret;
	return compiled < 0 ? compiled : 0;
}
