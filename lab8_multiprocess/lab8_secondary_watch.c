/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab 8 secondary: is the primary alive? Checked before attaching, then
 * every LAB8_WATCH_MS by the main loop and by a watch thread, which makes
 * the process leave (exit code 3) as soon as the primary is gone.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_common.h>

#include "lab_compat.h"
#include "lab_eal.h"
#include "lab_log.h"
#include "lab8_shared.h"
#include "lab8_secondary.h"

/* The primary marks itself RUNNING after its port is up (link wait up to 2 s). */
#define RUNNING_WAIT_MS 5000

/*
 * <runtime dir>/config, built once. rte_eal_primary_proc_alive(NULL) formats
 * that path into one static buffer (snprintf first writes a NUL there) on
 * every call, so the watch thread and the main loop calling it at once
 * could open an empty path and take a live primary for dead.
 */
static char config_path[PATH_MAX];

uint64_t
lab8_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
lab8_primary_lock_path_init(void)
{
	snprintf(config_path, sizeof(config_path), "%s/config", rte_eal_get_runtime_dir());
}

bool
lab8_primary_alive(void)
{
	return rte_eal_primary_proc_alive(config_path) != 0;
}

bool
lab8_primary_files_orphaned(void)
{
	/* The runtime folder is set early in rte_eal_init(), even when it fails later. */
	return rte_eal_get_runtime_dir()[0] != '\0' && access(config_path, F_OK) == 0 &&
		!lab8_primary_alive();
}

void
lab8_beat_init(struct lab8_beat *beat, const struct lab8_info *info)
{
	beat->hb = __atomic_load_n(&info->heartbeat, __ATOMIC_ACQUIRE);
	beat->changed_ms = lab8_now_ms();
}

const char *
lab8_primary_check(const struct lab8_info *info, struct lab8_beat *beat)
{
	uint64_t hb, now = lab8_now_ms();

	if (!lab8_primary_alive())
		return "is gone (its lock on the runtime config is released: it exited or was "
			"killed)";
	if (__atomic_load_n(&info->primary_state, __ATOMIC_ACQUIRE) == LAB8_PRIMARY_STOPPING)
		return "is stopping (SIGINT/SIGTERM)";
	hb = __atomic_load_n(&info->heartbeat, __ATOMIC_ACQUIRE);
	if (hb != beat->hb) {
		beat->hb = hb;
		beat->changed_ms = now;
	} else if (now - beat->changed_ms > LAB8_HEARTBEAT_TIMEOUT_MS) {
		return "has stopped beating (stopped or wedged)";
	}
	return NULL;
}

int
lab8_primary_ready(const struct lab8_info *info)
{
	uint64_t deadline = lab8_now_ms() + RUNNING_WAIT_MS;
	uint64_t last_hb;

	while (__atomic_load_n(&info->primary_state, __ATOMIC_ACQUIRE) ==
			LAB8_PRIMARY_STARTING) {
		if (lab8_now_ms() > deadline || !lab8_primary_alive()) {
			LAB_LOG(ERR, "the primary (pid %d) never finished starting: see its "
				"terminal", info->primary_pid);
			return -ENOENT;
		}
		usleep(10 * 1000);
	}
	if (!lab8_pid_alive(info->primary_pid)) {
		LAB_LOG(ERR, "the primary of --file-prefix=%s (pid %d) is dead: its files are "
			"stale. Restart lab8_primary, or ./scripts/labenv.sh clean %s",
			lab_file_prefix(), info->primary_pid, lab_file_prefix());
		return -ENOENT;
	}
	last_hb = __atomic_load_n(&info->heartbeat, __ATOMIC_ACQUIRE);
	deadline = lab8_now_ms() + LAB8_HEARTBEAT_TIMEOUT_MS;
	while (__atomic_load_n(&info->heartbeat, __ATOMIC_ACQUIRE) == last_hb) {
		if (lab8_now_ms() > deadline) {
			LAB_LOG(ERR, "the primary (pid %d) is alive but its heartbeat has not "
				"moved for %u ms: is it stopped (SIGSTOP, debugger)?",
				info->primary_pid, LAB8_HEARTBEAT_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		usleep(5 * 1000);
	}
	if (__atomic_load_n(&info->primary_state, __ATOMIC_ACQUIRE) == LAB8_PRIMARY_STOPPING) {
		LAB_LOG(ERR, "the primary (pid %d) is stopping: start it again first",
			info->primary_pid);
		return -ENOENT;
	}
	return 0;
}

/*
 * Control threads go to the CPUs no lcore uses, so this thread is the
 * back-up: it matters when the main loop is blocked (a stuck write).
 */
static LAB_CTRL_THREAD_RET
watch_main(void *arg)
{
	struct lab8_watch *w = arg;
	struct lab8_beat beat;
	const char *why = NULL;

	lab8_beat_init(&beat, w->info);
	while (!w->stop) {
		usleep(LAB8_WATCH_MS * 1000);
		if (w->stop)
			break;
		why = lab8_primary_check(w->info, &beat);
		if (why != NULL)
			break;
	}
	if (why == NULL)
		return LAB_CTRL_THREAD_DONE;
	w->gone = why;
	/* The main loop notices within a burst; if it is stuck (a blocked write), leave anyway. */
	usleep(3 * LAB8_WATCH_MS * 1000);
	if (!w->loop_done) {
		/* The stuck main thread may hold stdout's lock: no stdio on this path. */
		char msg[256];
		int len = snprintf(msg, sizeof(msg), "lab8_secondary %s: the primary %s and the "
			"main loop is stuck (blocked output?); exit code %d.\n",
			w->role, why, LAB8_EXIT_PRIMARY_GONE);

		if (write(STDERR_FILENO, msg, RTE_MIN((size_t)len, sizeof(msg) - 1)) < 0) {
			/* Nothing more can be said: leave all the same. */
		}
		_exit(LAB8_EXIT_PRIMARY_GONE);
	}
	return LAB_CTRL_THREAD_DONE;
}

int
lab8_watch_start(struct lab8_watch *w, const struct lab8_info *info, const char *role)
{
	int ret;

	w->info = info;
	w->role = role;
	ret = lab_ctrl_thread_create(&w->thread, "lab8-watch", watch_main, w);
	if (ret != 0)
		LAB_LOG(ERR, "cannot start the primary-death watch thread: %s", strerror(-ret));
	return ret;
}

void
lab8_watch_stop(struct lab8_watch *w)
{
	int ret;

	w->stop = true;
	ret = lab_ctrl_thread_join(&w->thread);
	if (ret != 0)
		LAB_LOG(WARNING, "cannot join the primary-death watch thread: %s", strerror(-ret));
}
