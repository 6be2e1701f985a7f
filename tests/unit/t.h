/* t.h - the smallest unit-test harness that does the job.
 *
 * A test file defines `static void test_xxx(void)` functions and lists them in
 * main() with T_RUN(test_xxx). Each test prints one line: "PASS: name",
 * "FAIL: name: file:line: what" or "SKIP: name: why"; tests/run-tests counts
 * them. A test fails at its first failed check and goes on to the next test.
 */
#ifndef PD_T_H
#define PD_T_H

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jmp_buf t_jmp __attribute__((unused));
static int t_failed __attribute__((unused)), t_skipped __attribute__((unused));
static char t_msg[1024] __attribute__((unused));

#define T_FAIL_(...) do { \
        snprintf(t_msg, sizeof t_msg, __VA_ARGS__); \
        longjmp(t_jmp, 1); \
    } while (0)

#define T_CHECK(cond) do { if (!(cond)) \
        T_FAIL_("%s:%d: check failed: %s", __FILE__, __LINE__, #cond); } while (0)
#define T_CHECKF(cond, ...) do { if (!(cond)) { \
        char t_b_[768]; snprintf(t_b_, sizeof t_b_, __VA_ARGS__); \
        T_FAIL_("%s:%d: %s: %s", __FILE__, __LINE__, #cond, t_b_); } } while (0)
#define T_EQ_INT(a, b) do { long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
        if (t_a_ != t_b_) T_FAIL_("%s:%d: %s == %lld, expected %s == %lld", \
            __FILE__, __LINE__, #a, t_a_, #b, t_b_); } while (0)
#define T_EQ_STR(a, b) do { const char *t_a_ = (a), *t_b_ = (b); \
        if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) \
            T_FAIL_("%s:%d: %s is \"%s\", expected \"%s\"", __FILE__, __LINE__, \
                #a, t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)"); } while (0)
#define T_NEAR(a, b, tol) do { double t_a_ = (a), t_b_ = (b); \
        if (!(fabs(t_a_ - t_b_) <= (tol))) T_FAIL_("%s:%d: %s = %.9g, expected %.9g (tol %g)", \
            __FILE__, __LINE__, #a, t_a_, t_b_, (double)(tol)); } while (0)
/* Skip the current test (e.g. the oracle directory is absent). */
#define T_SKIP(...) do { snprintf(t_msg, sizeof t_msg, __VA_ARGS__); \
        longjmp(t_jmp, 2); } while (0)

#define T_RUN(fn) do { \
        int t_r_ = setjmp(t_jmp); \
        if (t_r_ == 0) { fn(); printf("PASS: %s\n", #fn); } \
        else if (t_r_ == 1) { t_failed++; printf("FAIL: %s: %s\n", #fn, t_msg); } \
        else { t_skipped++; printf("SKIP: %s: %s\n", #fn, t_msg); } \
        fflush(stdout); \
    } while (0)

#define T_DONE() return t_failed ? 1 : 0

/* Paths the runner exports: the source tree (fixtures) and the oracle. */
static inline const char *t_srcdir(void)
{
    const char *s = getenv("PONDER_SRCDIR");
    return s ? s : ".";
}
static inline const char *t_oracle(void)
{
    return getenv("PONDER_ORACLE");
}

#endif
