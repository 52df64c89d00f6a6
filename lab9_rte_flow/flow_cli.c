/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --interactive: a prompt built on DPDK's cmdline library, as testpmd's is.
 * "flow ..." takes the rest of the line and hands it to the same executor
 * --rules FILE uses, so a rule behaves the same wherever it was typed.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_string.h>
#include <cmdline_rdline.h>
#include <cmdline_socket.h>

#include "flow_lab.h"
#include "lab_eal.h"
#include "lab_log.h"

volatile bool flow_cli_quit;

/* Skips spaces; returns the start of the next word and its length in *len. */
static const char *
next_word(const char **s, size_t *len)
{
	const char *w;

	while (isspace((unsigned char)**s))
		(*s)++;
	w = *s;
	while (**s != '\0' && !isspace((unsigned char)**s))
		(*s)++;
	*len = (size_t)(*s - w);
	return w;
}

static bool
word_is(const char *w, size_t len, const char *what)
{
	return len == strlen(what) && strncmp(w, what, len) == 0;
}

/* An optional port number (testpmd's "flow create 0 ..."): the port the lab drives. */
static int
skip_port(const char **s, FILE *out)
{
	const char *save = *s, *w;
	size_t len;
	char *end;
	long v;

	w = next_word(s, &len);
	if (len == 0 || !isdigit((unsigned char)w[0])) {
		*s = save;
		return 0;
	}
	v = strtol(w, &end, 10);
	if (end != w + len || v != flow_table_port()) {
		fprintf(out, "port %.*s: this program drives port %u only (--port)\n", (int)len, w,
			flow_table_port());
		return -EINVAL;
	}
	return 0;
}

/* "flow query ID count", or testpmd's "flow query 0 ID count". */
static int
flow_cli_query(const char *s, FILE *out)
{
	const char *w[4];
	size_t len[4];
	unsigned int n, first;
	char *end;
	long id;

	for (n = 0; n < RTE_DIM(w); n++) {
		w[n] = next_word(&s, &len[n]);
		if (len[n] == 0)
			break;
	}
	first = n == 3 ? 1 : 0;   /* "0 ID count": the port first */
	if ((n != 2 && n != 3) || !word_is(w[first + 1], len[first + 1], "count")) {
		fprintf(out, "flow query: expected 'flow query ID count' or 'flow query 0 ID "
			"count' (COUNT is the only action that can be queried)\n");
		return -EINVAL;
	}
	if (n == 3 && (strtol(w[0], &end, 10) != flow_table_port() || end != w[0] + len[0])) {
		fprintf(out, "flow query: this program drives port %u only (--port)\n",
			flow_table_port());
		return -EINVAL;
	}
	id = strtol(w[first], &end, 10);
	/* Bounded before the cast: a huge id must not wrap round to a real one. */
	if (end != w[first] + len[first] || id < 0 || id >= FLOW_MAX_RULES) {
		fprintf(out, "flow query: '%.*s' is not a rule id (see 'flow list')\n",
			(int)len[first], w[first]);
		return -EINVAL;
	}
	return flow_table_query_count((int)id, out);
}

static int
flow_cli_flow(const char *s, FILE *out)
{
	struct flow_rule *r;
	const char *w;
	size_t len;
	char *end;
	long id;
	int ret;

	w = next_word(&s, &len);
	if (word_is(w, len, "validate") || word_is(w, len, "create")) {
		bool create = word_is(w, len, "create");

		if (skip_port(&s, out) < 0)
			return -EINVAL;
		r = flow_rule_parse(s, create ? "flow create" : "flow validate", out);
		if (r == NULL)
			return -EINVAL;
		if (create)
			return flow_table_create(r, out);
		ret = flow_table_validate(r, out);
		free(r);
		return ret;
	}
	if (word_is(w, len, "destroy")) {
		/* "flow destroy ID" or testpmd's "flow destroy 0 rule ID". */
		const char *a = next_word(&s, &len);
		size_t alen = len;
		const char *b = next_word(&s, &len);

		if (word_is(b, len, "rule")) {
			if (strtol(a, &end, 10) != flow_table_port() || end != a + alen) {
				fprintf(out, "flow destroy: this program drives port %u "
					"only (--port)\n", flow_table_port());
				return -EINVAL;
			}
			a = next_word(&s, &alen);
		} else if (len != 0) {
			fprintf(out, "flow destroy: expected 'flow destroy ID' or 'flow destroy 0 "
				"rule ID'\n");
			return -EINVAL;
		}
		id = alen ? strtol(a, &end, 10) : -1;
		if (alen == 0 || end != a + alen || id < 0 || id >= FLOW_MAX_RULES) {
			fprintf(out, "flow destroy: '%.*s' is not a rule id (see 'flow list')\n",
				(int)alen, a);
			return -EINVAL;
		}
		return flow_table_destroy((int)id, out);
	}
	if (word_is(w, len, "query"))
		return flow_cli_query(s, out);
	if (word_is(w, len, "list") || word_is(w, len, "flush")) {
		bool list = word_is(w, len, "list");

		if (skip_port(&s, out) < 0)
			return -EINVAL;
		if (list) {
			flow_table_list(out);
			return 0;
		}
		return flow_table_flush(out);
	}
	fprintf(out, "flow: unknown subcommand '%.*s' (validate, create, destroy, query, list, "
		"flush)\n", (int)len, w);
	return -EINVAL;
}

static void
flow_cli_help(FILE *out)
{
	fprintf(out,
		"flow validate 0 RULE    check a rule without installing it\n"
		"flow create 0 RULE      validate, then create; prints the rule id\n"
		"flow destroy ID         remove one rule (also: flow destroy 0 rule ID)\n"
		"flow query ID count     a COUNT rule's hits (also: flow query 0 ID count)\n"
		"flow list               installed rules\n"
		"flow flush              remove every rule\n"
		"course create           the course's two rules, built in C (flow_blocks.c)\n"
		"course destroy          destroy them (rte_flow_destroy)\n"
		"show matrix             packets per queue and class, and the checks\n"
		"reset                   zero the counters\n"
		"quit                    print the matrix, write --report, exit\n"
		"RULE: [ingress] [priority N] [group N] pattern eth / ipv4 / tcp dst is 443 / end "
		"actions queue index 0 / end\n");
}

int
flow_cli_execute(const char *line, FILE *out)
{
	const char *s = line, *w;
	size_t len;

	w = next_word(&s, &len);
	if (len == 0 || w[0] == '#')
		return 0;
	if (word_is(w, len, "flow"))
		return flow_cli_flow(s, out);
	if (word_is(w, len, "show")) {
		w = next_word(&s, &len);
		if (!word_is(w, len, "matrix")) {
			fprintf(out, "show: only 'show matrix'\n");
			return -EINVAL;
		}
		flow_matrix_print(out);
		return 0;
	}
	if (word_is(w, len, "course")) {
		w = next_word(&s, &len);
		if (word_is(w, len, "create"))
			return flow_blocks_create(out);
		if (word_is(w, len, "destroy"))
			return flow_blocks_destroy(out);
		fprintf(out, "course: 'course create' or 'course destroy'\n");
		return -EINVAL;
	}
	if (word_is(w, len, "reset")) {
		flow_matrix_reset();
		fprintf(out, "counters zeroed\n");
		return 0;
	}
	if (word_is(w, len, "quit") || word_is(w, len, "exit")) {
		flow_cli_quit = true;
		return 0;
	}
	if (word_is(w, len, "help")) {
		flow_cli_help(out);
		return 0;
	}
	fprintf(out, "unknown command '%.*s' (type 'help')\n", (int)len, w);
	return -EINVAL;
}

/* cmdline glue: every command is a first word plus the rest of the line. */
struct cmd_line_result {
	cmdline_fixed_string_t word;
	cmdline_multi_string_t rest;
};

static void
cmd_line_parsed(void *parsed, struct cmdline *cl, void *data)
{
	struct cmd_line_result *res = parsed;
	/* The rest token holds up to a whole cmdline buffer. */
	char line[sizeof(res->word) + sizeof(res->rest) + 2];

	RTE_SET_USED(data);
	snprintf(line, sizeof(line), "%s %s", res->word, res->rest);
	flow_cli_execute(line, stdout);
	fflush(stdout);
	if (flow_cli_quit)
		cmdline_quit(cl);
}

static cmdline_parse_token_string_t cmd_flow_word =
	TOKEN_STRING_INITIALIZER(struct cmd_line_result, word,
		"flow#course#show#reset#quit#exit#help");
static cmdline_parse_token_string_t cmd_rest =
	TOKEN_STRING_INITIALIZER(struct cmd_line_result, rest, TOKEN_STRING_MULTI);

static cmdline_parse_inst_t cmd_line = {
	.f = cmd_line_parsed,
	.data = NULL,
	.help_str = "flow validate|create|destroy|list|flush ..., course create|destroy, "
		"show matrix, reset, quit",
	.tokens = {
		(void *)&cmd_flow_word,
		(void *)&cmd_rest,
		NULL,
	},
};

static void
cmd_word_parsed(void *parsed, struct cmdline *cl, void *data)
{
	struct cmd_line_result *res = parsed;

	RTE_SET_USED(data);
	flow_cli_execute(res->word, stdout);
	fflush(stdout);
	if (flow_cli_quit)
		cmdline_quit(cl);
}

/* A command word alone ("reset", "quit"): the multi-string token needs text. */
static cmdline_parse_inst_t cmd_word_only = {
	.f = cmd_word_parsed,
	.data = NULL,
	.help_str = "reset, quit, help",
	.tokens = {
		(void *)&cmd_flow_word,
		NULL,
	},
};

static cmdline_parse_ctx_t cli_ctx[] = {
	(cmdline_parse_inst_t *)&cmd_line,
	(cmdline_parse_inst_t *)&cmd_word_only,
	NULL,
};

int
flow_cli_run(void)
{
	struct cmdline *cl;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };

	cl = cmdline_stdin_new(cli_ctx, "lab9> ");
	if (cl == NULL) {
		LAB_LOG(ERR, "cannot create the prompt: "
			"cmdline_stdin_new() failed (out of memory?)");
		return -ENOMEM;
	}
	flow_cli_help(stdout);
	/*
	 * Polled, not cmdline_interact(): SIGINT/SIGTERM must end the prompt too.
	 * cmdline_in() takes the bytes read (cmdline_poll() is gone in 23.11) and
	 * returns -1 at end of input (Ctrl-D) or once a command called cmdline_quit().
	 */
	while (!lab_force_quit && !flow_cli_quit) {
		char buf[128];
		ssize_t n;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0 || cmdline_in(cl, buf, (int)n) < 0)
			break;
	}
	cmdline_stdin_exit(cl);
	printf("\n");
	return 0;
}
