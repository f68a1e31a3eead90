/* test_rt_mathf: the f32 exp, log, erf and tanh of runtime/bp_mathf.inc (the
 * vectorisable math generated f32 models carry) against libm in double. Each
 * function is swept over every ±2^k, a window of floats around each special
 * boundary, and 10^6 random bit patterns; an error above the function's
 * bound (in float ulps of the correctly rounded result; denormal results in
 * ulps of 2^-149) fails, and so does any wrong special value. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define BPM_STATIC static inline
#define BPM(name) tm_##name
#include "bp_mathf.inc"

typedef float (*FnF)(float);
typedef double (*FnD)(double);

static float from_bits(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }

/* The error of got against the exact value ref, in ulps of the float ref rounds to. */
static double ulps(float got, double ref)
{
    const float r = (float)ref;
    if (isnan(ref))
        return isnan(got) ? 0 : INFINITY;
    if (isinf(r) || isinf(got))
        return got == r ? 0 : INFINITY;
    double ulp = fabs(r) < FLT_MIN ? 0x1p-149 : (double)nextafterf(fabsf(r), INFINITY) - (double)fabsf(r);
    return fabs((double)got - ref) / ulp;
}

typedef struct {
    const char *name;
    FnF f;
    FnD ref;
    double bound;   /* max ulps */
    double worst;
    float at;
} Case;

static void one(Case *c, float x)
{
    const double e = ulps(c->f(x), c->ref((double)x));
    if (e > c->worst || isnan(e)) {
        c->worst = e;
        c->at = x;
    }
}

/* x and the n floats either side of it */
static void around(Case *c, float x, int n)
{
    float lo = x, hi = x;
    one(c, x);
    for (int i = 0; i < n; i++) {
        lo = nextafterf(lo, -INFINITY);
        hi = nextafterf(hi, INFINITY);
        one(c, lo);
        one(c, hi);
    }
}

static void sweep(Case *c, const float *edges, int nedges)
{
    for (int k = -149; k <= 127; k++) {
        around(c, ldexpf(1.0f, k), 2);
        around(c, -ldexpf(1.0f, k), 2);
    }
    for (int i = 0; i < nedges; i++)
        around(c, edges[i], 2000);
    uint64_t s = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 1000000; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        one(c, from_bits((uint32_t)(s >> 16)));
    }
    for (float x = -20; x <= 20; x += 0.001f)   /* the range models use, densely */
        one(c, x);
    print_message("%s: max error %.3f ulp at %a (bound %g)\n", c->name, c->worst, (double)c->at, c->bound);
    assert_true(c->worst <= c->bound);
}

static void test_exp(void **state)
{
    (void)state;
    Case c = { "expf", tm_expf, exp, 1.5, 0, 0 };
    const float edges[] = { 0, 88.72283935546875f, 88.7228317f, -87.33654475f, -103.972084f, -103.278931f, 0.34657359f, -0.34657359f, 1, -1, 104, -104, 89, -89 };
    sweep(&c, edges, (int)(sizeof edges / sizeof *edges));
    assert_true(tm_expf(-INFINITY) == 0 && !signbit(tm_expf(-INFINITY)));
    assert_true(isinf(tm_expf(INFINITY)) && tm_expf(INFINITY) > 0);
    assert_true(isinf(tm_expf(88.7229f)) && isinf(tm_expf(1e30f)));
    assert_true(tm_expf(88.72283f) == FLT_MAX || !isinf(tm_expf(88.72283f)));
    assert_true(isnan(tm_expf(NAN)) && isnan(tm_expf(-NAN)));
    assert_true(tm_expf(0) == 1 && tm_expf(-0.0f) == 1);
    assert_true(tm_expf(-1e30f) == 0 && tm_expf(-103.3f) > 0);
}

static void test_log(void **state)
{
    (void)state;
    Case c = { "logf", tm_logf, log, 1.5, 0, 0 };
    const float edges[] = { 1, 0.70710677f, 1.4142135f, 2, 0.5f, FLT_MIN, 0x1p-149f, FLT_MAX, 0x1p-130f };
    sweep(&c, edges, (int)(sizeof edges / sizeof *edges));
    assert_true(isinf(tm_logf(0.0f)) && tm_logf(0.0f) < 0);
    assert_true(isinf(tm_logf(-0.0f)) && tm_logf(-0.0f) < 0);
    assert_true(isnan(tm_logf(-1.0f)) && isnan(tm_logf(-0x1p-149f)) && isnan(tm_logf(-INFINITY)));
    assert_true(isinf(tm_logf(INFINITY)) && tm_logf(INFINITY) > 0);
    assert_true(isnan(tm_logf(NAN)));
    assert_true(tm_logf(1.0f) == 0 && !signbit(tm_logf(1.0f)));
}

static void test_erf(void **state)
{
    (void)state;
    Case c = { "erff", tm_erff, erf, 3, 0, 0 };
    const float edges[] = { 0, 1, -1, 4, -4, 3.9192059f, -3.9192059f, 0.5f, 2, 0x1p-126f, 0x1p-149f };
    sweep(&c, edges, (int)(sizeof edges / sizeof *edges));
    assert_true(tm_erff(INFINITY) == 1 && tm_erff(-INFINITY) == -1);
    assert_true(tm_erff(-0.0f) == 0 && signbit(tm_erff(-0.0f)));
    assert_true(tm_erff(0.0f) == 0 && !signbit(tm_erff(0.0f)));
    assert_true(isnan(tm_erff(NAN)));
    assert_true(tm_erff(FLT_MAX) == 1 && tm_erff(-FLT_MAX) == -1);
}

static void test_tanh(void **state)
{
    (void)state;
    Case c = { "tanhf", tm_tanhf, tanh, 2.5, 0, 0 };
    const float edges[] = { 0, 0.625f, -0.625f, 9.01f, -9.01f, 1, -1, 0x1p-126f, 0x1p-149f, 44.4f };
    sweep(&c, edges, (int)(sizeof edges / sizeof *edges));
    assert_true(tm_tanhf(INFINITY) == 1 && tm_tanhf(-INFINITY) == -1);
    assert_true(tm_tanhf(20.0f) == 1 && tm_tanhf(-20.0f) == -1 && tm_tanhf(FLT_MAX) == 1);
    assert_true(tm_tanhf(-0.0f) == 0 && signbit(tm_tanhf(-0.0f)));
    assert_true(isnan(tm_tanhf(NAN)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp),
        cmocka_unit_test(test_log),
        cmocka_unit_test(test_erf),
        cmocka_unit_test(test_tanh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
