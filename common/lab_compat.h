/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one place where DPDK versions differ for the labs, keyed on
 * RTE_VERSION. Tested: 22.11 LTS (Debian 12) and 24.11 LTS (Debian 13);
 * 23.11 LTS (Ubuntu 24.04, RHEL 9) takes the 24.11 branches and is expected
 * to work, untested. Labs call the lab_ names below, never an #if of their own.
 */
#ifndef LAB_COMPAT_H
#define LAB_COMPAT_H

#include <pthread.h>
#include <stdint.h>

#include <rte_lcore.h>
#include <rte_telemetry.h>
#include <rte_thread.h>
#include <rte_version.h>

/*
 * Control threads (unpinned from the data-plane lcores): 23.11 replaced
 * rte_ctrl_thread_create() (pthread, void * result) with
 * rte_thread_create_control() (rte_thread_t, uint32_t result) and removed
 * the old one. A thread body is declared
 *	static LAB_CTRL_THREAD_RET body(void *arg) { ...; return LAB_CTRL_THREAD_DONE; }
 */
#if RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0)
#define LAB_CTRL_THREAD_RET uint32_t
#define LAB_CTRL_THREAD_DONE 0
struct lab_ctrl_thread {
	rte_thread_t id;
};

/* 0 or a negative errno. */
static inline int
lab_ctrl_thread_create(struct lab_ctrl_thread *t, const char *name,
		LAB_CTRL_THREAD_RET (*body)(void *), void *arg)
{
	return rte_thread_create_control(&t->id, name, body, arg);
}

static inline int
lab_ctrl_thread_join(struct lab_ctrl_thread *t)
{
	return -rte_thread_join(t->id, NULL);
}
#else
#define LAB_CTRL_THREAD_RET void *
#define LAB_CTRL_THREAD_DONE NULL
struct lab_ctrl_thread {
	pthread_t id;
};

static inline int
lab_ctrl_thread_create(struct lab_ctrl_thread *t, const char *name,
		LAB_CTRL_THREAD_RET (*body)(void *), void *arg)
{
	return rte_ctrl_thread_create(&t->id, name, NULL, body, arg);
}

static inline int
lab_ctrl_thread_join(struct lab_ctrl_thread *t)
{
	return -pthread_join(t->id, NULL);
}
#endif

/* Telemetry: 23.03 renamed the unsigned dictionary value and deprecated the old name. */
#if RTE_VERSION >= RTE_VERSION_NUM(23, 3, 0, 0)
#define lab_tel_data_add_dict_uint rte_tel_data_add_dict_uint
#else
#define lab_tel_data_add_dict_uint rte_tel_data_add_dict_u64
#endif

#endif /* LAB_COMPAT_H */
