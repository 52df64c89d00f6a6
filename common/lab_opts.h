/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Option value parsing with the messages every lab gives for bad input:
 * one line naming the option and what it takes.
 */
#ifndef LAB_OPTS_H
#define LAB_OPTS_H

#include <stdint.h>

/*
 * Parses a decimal number in [min, max] given to option opt.
 * Returns 0, or -EINVAL after logging "--opt: 'value' is not ...".
 */
int lab_parse_u64(const char *opt, const char *value, uint64_t min, uint64_t max,
		uint64_t *out);

/* "A-B" or "A" with min <= A <= B <= max. Returns 0 or -EINVAL, as above. */
int lab_parse_range(const char *opt, const char *value, uint64_t min, uint64_t max,
		uint64_t *first, uint64_t *last);

/*
 * A file option's path checked while the options are parsed, so a bad path
 * is one line naming the option before any set-up, not a failure after a
 * run. Readable: an existing file (not a folder) this process may read.
 * Writable: an existing file, or a new one in an existing folder, this
 * process may write; nothing is created. Returns 0 or -EINVAL, as above.
 */
int lab_check_readable(const char *opt, const char *path);
int lab_check_writable(const char *opt, const char *path);

/*
 * The one line for what getopt_long() returned for a bad option: ':' (a
 * value is missing) or '?' (unknown option). Needs opterr = 0 and an
 * optstring that starts with ':'. Always returns -EINVAL.
 */
int lab_opt_error(int getopt_ret, char **argv);

/* Refuses anything left after the options (argv[optind] on): 0 or -EINVAL. */
int lab_opt_no_extra(int argc, char **argv);

#endif /* LAB_OPTS_H */
