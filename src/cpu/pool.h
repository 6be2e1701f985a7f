/* pool.h - a persistent pthread pool: the caller plus up to n-1 workers run
 * one job at a time, each call of the job getting its own thread index.
 * Jobs take their work (rows, heads, experts) from a shared atomic counter,
 * never by thread index: a worker that is not on a core when the job starts
 * is not waited for. Results never depend on which thread computed what,
 * because every output element is computed with the same arithmetic. */
#ifndef PD_CPU_POOL_H
#define PD_CPU_POOL_H

#include "ponder.h"

typedef struct pd_pool pd_pool;

/* job(arg, ith, nth): ith in [0, nth) names the thread (for per-thread
 * scratch); a job may run on any subset of the threads, the caller always
 * (ith 0), and a thread may call it again after it returned. */
typedef void (*pd_pool_job)(void *arg, int ith, int nth);

pd_status pd_pool_new(int n_threads, pd_pool **out);
void pd_pool_free(pd_pool *p);
int pd_pool_threads(const pd_pool *p);
/* Run job on the caller and on the workers ready to join it; return when
 * all of those are done. */
void pd_pool_run(pd_pool *p, pd_pool_job job, void *arg);

/* The number of online CPUs (at least 1). */
int pd_cpu_count(void);

#endif /* PD_CPU_POOL_H */
