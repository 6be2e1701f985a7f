/* pool.c - persistent worker threads woken per job. Workers spin briefly
 * on the job counter (decode issues many small jobs) and then sleep on a
 * condition variable so idle threads cost nothing.
 *
 * A job is open while the caller works on it: a worker joins only while it
 * is open, and the caller waits only for the workers that joined. On a
 * machine busier than its cores a worker may not get a core for
 * milliseconds; decode runs hundreds of jobs per token, and waiting for
 * every worker at every job made it 5x slower there than one thread. */
#include "cpu/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SPIN_ITERS 20000   /* the caller waiting for workers to leave a job */
/* How long an idle worker spins before it sleeps: longer than the serial
 * gaps of a decode step, since waking a sleeping thread costs the caller a
 * syscall and the job tens of microseconds on a VM (perf: ~2 % of decode in
 * futex wakes with 20000 spins, ~10 us); short enough that an idle REPL
 * sleeps at once, and no slower on a machine busier than its cores (eval of
 * the demo model beside two busy loops: the same tokens/s). */
#define SPIN_US 300

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax(void) { _mm_pause(); }
#else
static inline void cpu_relax(void) { }
#endif

struct pd_pool {
    int n;                       /* threads including the caller */
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_cond_t done_cv;
    atomic_uint gen;             /* job generation */
    atomic_int state;            /* OPEN while the caller runs the job | workers inside it */
    pd_pool_job job;
    void *arg;
    bool stop;
};

#define OPEN 0x40000000

typedef struct worker { pd_pool *p; int ith; } worker;

/* Join the current job if it is still open; the last worker out of a
 * closed job wakes the caller. A worker may join the job after the one
 * that woke it, or join one job twice: jobs take their work from shared
 * counters, so a late or second run finds what is left, maybe nothing. */
static void join_job(pd_pool *p, int ith)
{
    int s = atomic_load_explicit(&p->state, memory_order_acquire);
    while (s & OPEN) {
        if (!atomic_compare_exchange_weak_explicit(&p->state, &s, s + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;
        p->job(p->arg, ith, p->n);
        if (atomic_fetch_sub_explicit(&p->state, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done_cv);
            pthread_mutex_unlock(&p->mu);
        }
        return;
    }
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

/* Wait up to SPIN_US for the job generation to move past seen. */
static unsigned spin_for_job(pd_pool *p, unsigned seen)
{
    const double t0 = now_us();
    unsigned g;
    for (int i = 1; (g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen; i++) {
        cpu_relax();
        if (i % 64 == 0 && now_us() - t0 > SPIN_US)
            break;
    }
    return g;
}

static void *worker_main(void *a)
{
    worker w = *(worker *)a;
    free(a);
    pd_pool *p = w.p;
    unsigned seen = 0;
    for (;;) {
        unsigned g = spin_for_job(p, seen);
        if (g == seen) {
            pthread_mutex_lock(&p->mu);
            while ((g = atomic_load(&p->gen)) == seen && !p->stop)
                pthread_cond_wait(&p->wake, &p->mu);
            bool stop = p->stop;
            pthread_mutex_unlock(&p->mu);
            if (stop)
                return NULL;
        }
        seen = g;
        join_job(p, w.ith);
    }
}

int pd_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

pd_status pd_pool_new(int n_threads, pd_pool **out)
{
    *out = NULL;
    if (n_threads <= 0)
        n_threads = pd_cpu_count();
    if (n_threads > 256)
        return pd_fail(PD_EARG, "--threads %d: at most 256", n_threads);
    pd_pool *p = calloc(1, sizeof *p);
    if (!p)
        return pd_fail(PD_ENOMEM, "thread pool: out of memory");
    p->n = n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    p->th = calloc((size_t)n_threads, sizeof *p->th);
    if (!p->th) {
        free(p);
        return pd_fail(PD_ENOMEM, "thread pool: out of memory");
    }
    for (int i = 1; i < n_threads; i++) {
        worker *w = malloc(sizeof *w);
        if (w) {
            w->p = p;
            w->ith = i;
        }
        if (!w || pthread_create(&p->th[i], NULL, worker_main, w) != 0) {
            free(w);
            p->n = i;           /* free() joins only the started ones */
            pd_pool_free(p);
            return pd_fail(PD_ENOMEM, "thread pool: cannot start thread %d", i);
        }
    }
    *out = p;
    return PD_OK;
}

void pd_pool_free(pd_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++)
        pthread_join(p->th[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done_cv);
    free(p->th);
    free(p);
}

int pd_pool_threads(const pd_pool *p)
{
    return p->n;
}

void pd_pool_run(pd_pool *p, pd_pool_job job, void *arg)
{
    if (p->n == 1) {
        job(arg, 0, 1);
        return;
    }
    p->job = job;
    p->arg = arg;
    atomic_store(&p->state, OPEN);   /* after job and arg: a joiner reads them */
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    job(arg, 0, p->n);
    atomic_fetch_and_explicit(&p->state, ~OPEN, memory_order_acq_rel);
    int spins = 0;
    while (atomic_load_explicit(&p->state, memory_order_acquire) > 0 && spins < SPIN_ITERS)
        spins++;
    if (atomic_load(&p->state) > 0) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->state) > 0)
            pthread_cond_wait(&p->done_cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}
