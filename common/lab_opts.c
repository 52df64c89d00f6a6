/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lab_log.h"
#include "lab_opts.h"

/* Options are parsed before and after EAL init alike, so errors go to stderr too. */
static int
lab_opt_number_error(const char *opt, const char *value, uint64_t min, uint64_t max)
{
	LAB_LOG(ERR, "%s: '%s' is not a number from %" PRIu64 " to %" PRIu64,
		opt, value ? value : "", min, max);
	return -EINVAL;
}

static int
lab_parse_u64_prefix(const char *value, uint64_t *out, char **end)
{
	unsigned long long v;

	if (value == NULL || !isdigit((unsigned char)value[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(value, end, 10);
	if (errno != 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int
lab_parse_u64(const char *opt, const char *value, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t v;

	if (lab_parse_u64_prefix(value, &v, &end) < 0 || *end != '\0' || v < min || v > max)
		return lab_opt_number_error(opt, value, min, max);
	*out = v;
	return 0;
}

int
lab_parse_range(const char *opt, const char *value, uint64_t min, uint64_t max,
		uint64_t *first, uint64_t *last)
{
	char *end;
	uint64_t a, b;

	if (lab_parse_u64_prefix(value, &a, &end) < 0)
		goto bad;
	b = a;
	if (*end == '-' && lab_parse_u64_prefix(end + 1, &b, &end) < 0)
		goto bad;
	if (*end != '\0' || a < min || b > max || a > b)
		goto bad;
	*first = a;
	*last = b;
	return 0;
bad:
	LAB_LOG(ERR, "%s: '%s' is not a range A-B with %" PRIu64 " <= A <= B <= %" PRIu64,
		opt, value ? value : "", min, max);
	return -EINVAL;
}

int
lab_check_readable(const char *opt, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0 || access(path, R_OK) != 0) {
		LAB_LOG(ERR, "%s: cannot read '%s': %s", opt, path, strerror(errno));
		return -EINVAL;
	}
	if (S_ISDIR(st.st_mode)) {
		LAB_LOG(ERR, "%s: '%s' is a folder, not a file", opt, path);
		return -EINVAL;
	}
	return 0;
}

int
lab_check_writable(const char *opt, const char *path)
{
	char folder[4096];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			LAB_LOG(ERR, "%s: '%s' is a folder, not a file", opt, path);
			return -EINVAL;
		}
		if (access(path, W_OK) != 0) {
			LAB_LOG(ERR, "%s: cannot write '%s': %s", opt, path, strerror(errno));
			return -EINVAL;
		}
		return 0;
	}
	/* A new file: its folder must exist and take it. */
	if (path[0] == '\0') {
		LAB_LOG(ERR, "%s: the file name is empty", opt);
		return -EINVAL;
	}
	if (slash == NULL)
		snprintf(folder, sizeof(folder), ".");
	else if (slash == path)
		snprintf(folder, sizeof(folder), "/");
	else
		snprintf(folder, sizeof(folder), "%.*s", (int)(slash - path), path);
	if (stat(folder, &st) != 0 || access(folder, W_OK | X_OK) != 0) {
		LAB_LOG(ERR, "%s: cannot write '%s': %s", opt, path, strerror(errno));
		return -EINVAL;
	}
	if (!S_ISDIR(st.st_mode)) {
		LAB_LOG(ERR, "%s: cannot write '%s': '%s' is not a folder", opt, path, folder);
		return -EINVAL;
	}
	return 0;
}

int
lab_opt_error(int getopt_ret, char **argv)
{
	const char *arg = argv[optind - 1];
	char name[64];

	/*
	 * A long option is the argument getopt just passed (cut at any '=');
	 * a short one is optopt, since in a cluster like -xy optind may not
	 * have moved past it.
	 */
	if (strncmp(arg, "--", 2) == 0)
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(name, sizeof(name), "-%c", optopt);
	if (getopt_ret == ':')
		LAB_LOG(ERR, "%s needs a value (see --help)", name);
	else
		LAB_LOG(ERR, "unknown option '%s' (see --help)", name);
	return -EINVAL;
}

int
lab_opt_no_extra(int argc, char **argv)
{
	if (optind >= argc)
		return 0;
	LAB_LOG(ERR, "unexpected argument '%s' (see --help)", argv[optind]);
	return -EINVAL;
}
