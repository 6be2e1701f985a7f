/* pool.h - a persistent pthread pool: the caller plus n-1 workers run one
 * job at a time, each call of the job getting its thread index. Jobs split
 * their own work (by rows, heads, experts); results never depend on the
 * number of threads because every output element is computed by exactly one
 * thread with the same arithmetic. */
#ifndef PD_CPU_POOL_H
#define PD_CPU_POOL_H

#include "ponder.h"

typedef struct pd_pool pd_pool;

/* job(arg, ith, nth) for ith in [0, nth). */
typedef void (*pd_pool_job)(void *arg, int ith, int nth);

pd_status pd_pool_new(int n_threads, pd_pool **out);
void pd_pool_free(pd_pool *p);
int pd_pool_threads(const pd_pool *p);
/* Run job on every thread and wait for all of them. */
void pd_pool_run(pd_pool *p, pd_pool_job job, void *arg);

/* The number of online CPUs (at least 1). */
int pd_cpu_count(void);

#endif /* PD_CPU_POOL_H */
