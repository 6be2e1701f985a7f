/* test_pool.c - the thread pool: every unit of a job done exactly once and
 * finished when pd_pool_run returns, thread indices never shared by two
 * concurrent calls, with more threads than cores and many tiny jobs (the
 * shape of decode), and one-thread pools. */
#include "t.h"
#include "cpu/pool.h"

#include <stdatomic.h>

#define UNITS 64
#define MAX_THREADS 8

typedef struct count_job {
    atomic_int next;
    atomic_int done[UNITS];
    atomic_int inside[MAX_THREADS];   /* calls running per thread index */
    atomic_int clash;                 /* an index used by two calls at once */
    atomic_int bad_index;
} count_job;

static void count_units(void *arg, int ith, int nth)
{
    count_job *j = arg;
    if (ith < 0 || ith >= nth || nth > MAX_THREADS) {
        atomic_fetch_add(&j->bad_index, 1);
        return;
    }
    if (atomic_fetch_add(&j->inside[ith], 1) != 0)
        atomic_fetch_add(&j->clash, 1);
    for (;;) {
        const int u = atomic_fetch_add(&j->next, 1);
        if (u >= UNITS)
            break;
        atomic_fetch_add(&j->done[u], 1);
    }
    atomic_fetch_sub(&j->inside[ith], 1);
}

static void run_many(int threads, int jobs)
{
    pd_pool *p = NULL;
    T_CHECKF(pd_pool_new(threads, &p) == PD_OK, "%s", pd_errmsg());
    T_EQ_INT(pd_pool_threads(p), threads);
    count_job j;
    for (int k = 0; k < jobs; k++) {
        memset(&j, 0, sizeof j);
        pd_pool_run(p, count_units, &j);
        for (int u = 0; u < UNITS; u++)
            T_CHECKF(atomic_load(&j.done[u]) == 1, "job %d unit %d done %d times", k, u,
                     atomic_load(&j.done[u]));
        T_EQ_INT(atomic_load(&j.clash), 0);
        T_EQ_INT(atomic_load(&j.bad_index), 0);
    }
    pd_pool_free(p);
}

static void test_units_once_one_thread(void) { run_many(1, 100); }
static void test_units_once_two_threads(void) { run_many(2, 20000); }
static void test_units_once_oversubscribed(void) { run_many(MAX_THREADS, 5000); }

static void test_bad_thread_count(void)
{
    pd_pool *p = NULL;
    T_CHECK(pd_pool_new(100000, &p) != PD_OK && p == NULL);
    T_CHECK(strstr(pd_errmsg(), "--threads") != NULL);
}

int main(void)
{
    T_RUN(test_units_once_one_thread);
    T_RUN(test_units_once_two_threads);
    T_RUN(test_units_once_oversubscribed);
    T_RUN(test_bad_thread_count);
    T_DONE();
}
