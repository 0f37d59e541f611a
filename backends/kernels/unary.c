/* Floating-point exception flags are never read by these kernels. Without this GCC will not
 * if-convert (and so not vectorize) loops whose ?: arms compute, e.g. the clamps in fastmath.h. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#include "kernels/unary.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/broadcast.h"
#include "kernels/fastmath.h"

#define SIMD _Pragma("omp simd")
#define SCALAR

/* Row functions share broadcast.h's signature; unary rows always advance their input. */
#define ROW_SIGNATURE(NAME)                                                                        \
    static void NAME(void *out, const void *const *in, const int64_t *s, int64_t n,                \
                     const void *params)

/* Float rows see the parameters as locals of their type (hoisted out of the loop). */
#define DEFINE_FLOAT_ROW(NAME, T, TO, LOOP, EXPR)                                                  \
    ROW_SIGNATURE(NAME)                                                                            \
    {                                                                                              \
        (void)s;                                                                                   \
        const ol_unary_params *p = params;                                                         \
        const T alpha = (T)p->alpha, beta = (T)p->beta, gamma = (T)p->gamma;                       \
        (void)alpha, (void)beta, (void)gamma;                                                      \
        TO *o = out;                                                                               \
        const T *a = in[0];                                                                        \
        LOOP for (int64_t i = 0; i < n; i++)                                                       \
        {                                                                                          \
            const T x = a[i];                                                                      \
            o[i] = (TO)(EXPR);                                                                     \
        }                                                                                          \
    }

#define DEFINE_PLAIN_ROW(NAME, T, LOOP, EXPR)                                                      \
    ROW_SIGNATURE(NAME)                                                                            \
    {                                                                                              \
        (void)s, (void)params;                                                                     \
        T *o = out;                                                                                \
        const T *a = in[0];                                                                        \
        LOOP for (int64_t i = 0; i < n; i++)                                                       \
        {                                                                                          \
            const T x = a[i];                                                                      \
            o[i] = (T)(EXPR);                                                                      \
        }                                                                                          \
    }

#define F32(fn) fn##f
#define F64(fn) fn

/* Conditionals whose arms compute are written as pick(c, a, b): both arms are evaluated first, so
 * the compiler may turn the choice into a vector select (it will not speculate arithmetic that
 * could raise a floating-point exception out of a ?: arm). */
static inline float pick_f32(int c, float a, float b)
{
    return c ? a : b;
}
static inline double pick_f64(int c, double a, double b)
{
    return c ? a : b;
}

static inline float unit_clamp_f32(float v)
{
    v = v < 0 ? 0.0f : v;
    return v > 1 ? 1.0f : v;
}
static inline double unit_clamp_f64(double v)
{
    v = v < 0 ? 0.0 : v;
    return v > 1 ? 1.0 : v;
}

/* Ops whose float32 and float64 forms differ only in the libm function width. */
#define GEN_FLOAT_COMMON(S, T, M)                                                                  \
    DEFINE_FLOAT_ROW(neg_##S, T, T, SIMD, -x)                                                      \
    DEFINE_FLOAT_ROW(abs_##S, T, T, SIMD, M(fabs)(x))                                              \
    DEFINE_FLOAT_ROW(sign_##S, T, T, SIMD, pick_##S(x > 0, 1, pick_##S(x < 0, -1, x)))             \
    DEFINE_FLOAT_ROW(relu_##S, T, T, SIMD, x < 0 ? (T)0 : x)                                       \
    DEFINE_FLOAT_ROW(shrink_##S, T, T, SIMD, pick_##S(x < -alpha, x + beta, pick_##S(x > alpha, x - beta, 0))) \
    DEFINE_FLOAT_ROW(reciprocal_##S, T, T, SIMD, (T)1 / x)                                         \
    DEFINE_FLOAT_ROW(floor_##S, T, T, SCALAR, M(floor)(x))                                         \
    DEFINE_FLOAT_ROW(ceil_##S, T, T, SCALAR, M(ceil)(x))                                           \
    DEFINE_FLOAT_ROW(round_##S, T, T, SCALAR, M(nearbyint)(x))                                     \
    DEFINE_FLOAT_ROW(sqrt_##S, T, T, SCALAR, M(sqrt)(x))                                           \
    DEFINE_FLOAT_ROW(log_##S, T, T, SCALAR, M(log)(x))                                             \
    DEFINE_FLOAT_ROW(sin_##S, T, T, SCALAR, M(sin)(x))                                             \
    DEFINE_FLOAT_ROW(cos_##S, T, T, SCALAR, M(cos)(x))                                             \
    DEFINE_FLOAT_ROW(tan_##S, T, T, SCALAR, M(tan)(x))                                             \
    DEFINE_FLOAT_ROW(asin_##S, T, T, SCALAR, M(asin)(x))                                           \
    DEFINE_FLOAT_ROW(acos_##S, T, T, SCALAR, M(acos)(x))                                           \
    DEFINE_FLOAT_ROW(atan_##S, T, T, SCALAR, M(atan)(x))                                           \
    DEFINE_FLOAT_ROW(sinh_##S, T, T, SCALAR, M(sinh)(x))                                           \
    DEFINE_FLOAT_ROW(cosh_##S, T, T, SCALAR, M(cosh)(x))                                           \
    DEFINE_FLOAT_ROW(asinh_##S, T, T, SCALAR, M(asinh)(x))                                         \
    DEFINE_FLOAT_ROW(acosh_##S, T, T, SCALAR, M(acosh)(x))                                         \
    DEFINE_FLOAT_ROW(atanh_##S, T, T, SCALAR, M(atanh)(x))                                         \
    DEFINE_FLOAT_ROW(leaky_relu_##S, T, T, SIMD, pick_##S(x < 0, alpha * x, x))                    \
    DEFINE_FLOAT_ROW(elu_##S, T, T, SCALAR, x < 0 ? alpha * M(expm1)(x) : x)                       \
    DEFINE_FLOAT_ROW(selu_##S, T, T, SCALAR, x <= 0 ? gamma * (alpha * M(expm1)(x)) : gamma * x)   \
    DEFINE_FLOAT_ROW(celu_##S, T, T, SCALAR, x > 0 ? x : alpha * M(expm1)(x / alpha))              \
    DEFINE_FLOAT_ROW(hard_sigmoid_##S, T, T, SIMD, unit_clamp_##S(alpha * x + beta))               \
    DEFINE_FLOAT_ROW(hard_swish_##S, T, T, SIMD, x * unit_clamp_##S(x * (T)(1.0 / 6) + (T)0.5))    \
    DEFINE_FLOAT_ROW(softplus_##S, T, T, SCALAR,                                                   \
                     x > 0 ? x + M(log1p)(M(exp)(-x)) : M(log1p)(M(exp)(x)))                       \
    DEFINE_FLOAT_ROW(softsign_##S, T, T, SIMD, x / (1 + M(fabs)(x)))                               \
    DEFINE_FLOAT_ROW(thresholded_relu_##S, T, T, SIMD, x > alpha ? x : (T)0)                       \
    DEFINE_FLOAT_ROW(is_nan_##S, T, uint8_t, SIMD, x != x)
GEN_FLOAT_COMMON(f32, float, F32)
GEN_FLOAT_COMMON(f64, double, F64)

/* sqrt(2 / pi), for the tanh form of Gelu. */
#define SQRT_2_OVER_PI 0.7978845608028654
#define GELU_TANH_ARG(x) (SQRT_2_OVER_PI * ((x) + 0.044715 * (x) * (x) * (x)))

/* Float32 forms of the hot activations use the vectorizable fastmath.h functions. */
DEFINE_FLOAT_ROW(exp_f32, float, float, SIMD, ol_fast_expf(x))
DEFINE_FLOAT_ROW(erf_f32, float, float, SIMD, ol_fast_erff(x))
DEFINE_FLOAT_ROW(sigmoid_f32, float, float, SIMD, ol_fast_sigmoidf(x))
DEFINE_FLOAT_ROW(tanh_f32, float, float, SIMD, ol_fast_tanhf(x))
DEFINE_FLOAT_ROW(swish_f32, float, float, SIMD, x * ol_fast_sigmoidf(alpha * x))
/* 0.5 x (1 + tanh(u)) = x sigmoid(2u), which does not cancel for negative x. */
DEFINE_FLOAT_ROW(gelu_tanh_f32, float, float, SIMD,
                 x * ol_fast_sigmoidf(2.0f * (float)GELU_TANH_ARG(x)))
/* tanh(softplus(x)) = n / (n + 2) with n = e^x (e^x + 2); beyond 20 it is 1 in float. */
static inline float mish_f32_value(float x)
{
    float e = ol_fast_expf(x), m = e * (e + 2.0f);
    return pick_f32(x > 20.0f, x, x * m / (m + 2.0f));
}
DEFINE_FLOAT_ROW(mish_f32, float, float, SIMD, mish_f32_value(x))

DEFINE_FLOAT_ROW(exp_f64, double, double, SCALAR, exp(x))
DEFINE_FLOAT_ROW(erf_f64, double, double, SCALAR, erf(x))
DEFINE_FLOAT_ROW(sigmoid_f64, double, double, SCALAR, 1 / (1 + exp(-x)))
DEFINE_FLOAT_ROW(tanh_f64, double, double, SCALAR, tanh(x))
DEFINE_FLOAT_ROW(swish_f64, double, double, SCALAR, x / (1 + exp(-alpha * x)))
DEFINE_FLOAT_ROW(gelu_tanh_f64, double, double, SCALAR, x / (1 + exp(-2 * GELU_TANH_ARG(x))))
DEFINE_FLOAT_ROW(mish_f64, double, double, SCALAR, x * tanh(log1p(exp(x))))
/* x Phi(x) = x erfc(-x / sqrt 2) / 2 keeps its precision for negative x. */
DEFINE_FLOAT_ROW(gelu_f64, double, double, SCALAR, 0.5 * x * erfc(-x * M_SQRT1_2))

/* Exact Gelu in float32: the vectorized erf form, then libm's erfc for the few inputs below -3
 * where 1 + erf(x) cancels. Blocks keep a copy of x so the row may run in place. */
ROW_SIGNATURE(gelu_f32)
{
    (void)s, (void)params;
    enum { BLOCK = 256 };
    float *o = out;
    const float *a = in[0];
    for (int64_t i0 = 0; i0 < n; i0 += BLOCK) {
        int m = n - i0 < BLOCK ? (int)(n - i0) : BLOCK;
        float x[BLOCK];
        memcpy(x, a + i0, (size_t)m * sizeof *x);
        SIMD for (int j = 0; j < m; j++)
            o[i0 + j] = 0.5f * x[j] * (1.0f + ol_fast_erff(x[j] * (float)M_SQRT1_2));
        for (int j = 0; j < m; j++)
            if (x[j] < -3.0f)
                o[i0 + j] = (float)(0.5 * x[j] * erfc(-x[j] * M_SQRT1_2));
    }
}

#define GEN_IS_INF(S, T)                                                                           \
    ROW_SIGNATURE(is_inf_##S)                                                                      \
    {                                                                                              \
        (void)s;                                                                                   \
        const ol_unary_params *p = params;                                                         \
        const bool neg = p->detect_negative, pos = p->detect_positive;                             \
        uint8_t *o = out;                                                                          \
        const T *a = in[0];                                                                        \
        SIMD for (int64_t i = 0; i < n; i++) o[i] = (uint8_t)((pos & (a[i] == INFINITY)) |         \
                                                              (neg & (a[i] == -INFINITY)));        \
    }
GEN_IS_INF(f32, float)
GEN_IS_INF(f64, double)

/* Integer Shrink: computed in double (lambd and bias are floats), then truncated and wrapped to
 * the type. */
static inline int64_t shrink_int(double x, double lambd, double bias)
{
    double v = x < -lambd ? x + bias : x > lambd ? x - bias : 0;
    return isfinite(v) && fabs(v) < 9.2e18 ? (int64_t)v : 0;
}

#define DEFINE_INT_SHRINK(S, T)                                                                    \
    ROW_SIGNATURE(shrink_##S)                                                                      \
    {                                                                                              \
        (void)s;                                                                                   \
        const ol_unary_params *p = params;                                                         \
        const double lambd = p->alpha, bias = p->beta;                                             \
        T *o = out;                                                                                \
        const T *a = in[0];                                                                        \
        for (int64_t i = 0; i < n; i++)                                                            \
            o[i] = (T)shrink_int((double)a[i], lambd, bias);                                       \
    }

/* X(suffix, type, unsigned type arithmetic wraps in) */
#define SIGNED_TYPES(X)                                                                            \
    X(i8, int8_t, uint32_t) X(i16, int16_t, uint32_t) X(i32, int32_t, uint32_t)                    \
    X(i64, int64_t, uint64_t)
#define UNSIGNED_TYPES(X)                                                                          \
    X(u8, uint8_t, uint32_t) X(u16, uint16_t, uint32_t) X(u32, uint32_t, uint32_t)                 \
    X(u64, uint64_t, uint64_t)

#define GEN_SIGNED(S, T, W)                                                                        \
    DEFINE_PLAIN_ROW(neg_##S, T, SIMD, 0 - (W)x)                                                   \
    DEFINE_PLAIN_ROW(abs_##S, T, SIMD, x < 0 ? (T)(0 - (W)x) : x)                                  \
    DEFINE_PLAIN_ROW(sign_##S, T, SIMD, (x > 0) - (x < 0))                                         \
    DEFINE_PLAIN_ROW(relu_##S, T, SIMD, x < 0 ? 0 : x)                                             \
    DEFINE_PLAIN_ROW(bit_not_##S, T, SIMD, ~x)                                                     \
    DEFINE_INT_SHRINK(S, T)
SIGNED_TYPES(GEN_SIGNED)

#define GEN_UNSIGNED(S, T, W)                                                                      \
    DEFINE_PLAIN_ROW(abs_##S, T, SIMD, x)                                                          \
    DEFINE_PLAIN_ROW(sign_##S, T, SIMD, x > 0)                                                     \
    DEFINE_PLAIN_ROW(bit_not_##S, T, SIMD, ~x)                                                     \
    DEFINE_INT_SHRINK(S, T)
UNSIGNED_TYPES(GEN_UNSIGNED)

DEFINE_PLAIN_ROW(not_b8, uint8_t, SIMD, x == 0)

/* ---- dispatch ---- */

enum { SLOT_f32, SLOT_f64, SLOT_i8, SLOT_i16, SLOT_i32, SLOT_i64, SLOT_u8, SLOT_u16, SLOT_u32,
       SLOT_u64, SLOT_b8, SLOT_COUNT };

static int slot_of(ol_dtype t)
{
    switch (t) {
    case OL_FLOAT: return SLOT_f32;
    case OL_DOUBLE: return SLOT_f64;
    case OL_INT8: return SLOT_i8;
    case OL_INT16: return SLOT_i16;
    case OL_INT32: return SLOT_i32;
    case OL_INT64: return SLOT_i64;
    case OL_UINT8: return SLOT_u8;
    case OL_UINT16: return SLOT_u16;
    case OL_UINT32: return SLOT_u32;
    case OL_UINT64: return SLOT_u64;
    case OL_BOOL: return SLOT_b8;
    default: return -1;
    }
}

#define FLOATS(F) [SLOT_f32] = F##_f32, [SLOT_f64] = F##_f64
#define SIGNED(F) [SLOT_i8] = F##_i8, [SLOT_i16] = F##_i16, [SLOT_i32] = F##_i32, [SLOT_i64] = F##_i64
#define UNSIGNED(F) [SLOT_u8] = F##_u8, [SLOT_u16] = F##_u16, [SLOT_u32] = F##_u32, [SLOT_u64] = F##_u64

static const ol_bcast_row_fn ROWS[OL_UNARY_OP_COUNT][SLOT_COUNT] = {
    [OL_UNARY_NEG] = {FLOATS(neg), SIGNED(neg)},
    [OL_UNARY_ABS] = {FLOATS(abs), SIGNED(abs), UNSIGNED(abs)},
    [OL_UNARY_SIGN] = {FLOATS(sign), SIGNED(sign), UNSIGNED(sign)},
    [OL_UNARY_RELU] = {FLOATS(relu), SIGNED(relu)},
    [OL_UNARY_SHRINK] = {FLOATS(shrink), SIGNED(shrink), UNSIGNED(shrink)},
    [OL_UNARY_RECIPROCAL] = {FLOATS(reciprocal)},
    [OL_UNARY_FLOOR] = {FLOATS(floor)},
    [OL_UNARY_CEIL] = {FLOATS(ceil)},
    [OL_UNARY_ROUND] = {FLOATS(round)},
    [OL_UNARY_SQRT] = {FLOATS(sqrt)},
    [OL_UNARY_EXP] = {FLOATS(exp)},
    [OL_UNARY_LOG] = {FLOATS(log)},
    [OL_UNARY_SIN] = {FLOATS(sin)},
    [OL_UNARY_COS] = {FLOATS(cos)},
    [OL_UNARY_TAN] = {FLOATS(tan)},
    [OL_UNARY_ASIN] = {FLOATS(asin)},
    [OL_UNARY_ACOS] = {FLOATS(acos)},
    [OL_UNARY_ATAN] = {FLOATS(atan)},
    [OL_UNARY_SINH] = {FLOATS(sinh)},
    [OL_UNARY_COSH] = {FLOATS(cosh)},
    [OL_UNARY_ASINH] = {FLOATS(asinh)},
    [OL_UNARY_ACOSH] = {FLOATS(acosh)},
    [OL_UNARY_ATANH] = {FLOATS(atanh)},
    [OL_UNARY_ERF] = {FLOATS(erf)},
    [OL_UNARY_LEAKY_RELU] = {FLOATS(leaky_relu)},
    [OL_UNARY_ELU] = {FLOATS(elu)},
    [OL_UNARY_SELU] = {FLOATS(selu)},
    [OL_UNARY_CELU] = {FLOATS(celu)},
    [OL_UNARY_SIGMOID] = {FLOATS(sigmoid)},
    [OL_UNARY_HARD_SIGMOID] = {FLOATS(hard_sigmoid)},
    [OL_UNARY_HARD_SWISH] = {FLOATS(hard_swish)},
    [OL_UNARY_TANH] = {FLOATS(tanh)},
    [OL_UNARY_SOFTPLUS] = {FLOATS(softplus)},
    [OL_UNARY_SOFTSIGN] = {FLOATS(softsign)},
    [OL_UNARY_GELU] = {FLOATS(gelu)},
    [OL_UNARY_GELU_TANH] = {FLOATS(gelu_tanh)},
    [OL_UNARY_MISH] = {FLOATS(mish)},
    [OL_UNARY_SWISH] = {FLOATS(swish)},
    [OL_UNARY_THRESHOLDED_RELU] = {FLOATS(thresholded_relu)},
    [OL_UNARY_IS_NAN] = {FLOATS(is_nan)},
    [OL_UNARY_IS_INF] = {FLOATS(is_inf)},
    [OL_UNARY_BIT_NOT] = {SIGNED(bit_not), UNSIGNED(bit_not)},
    [OL_UNARY_NOT] = {[SLOT_b8] = not_b8},
};

bool ol_unary_supported(ol_unary_op op, ol_dtype dtype)
{
    int slot = slot_of(dtype);
    return (unsigned)op < OL_UNARY_OP_COUNT && slot >= 0 && ROWS[op][slot] != NULL;
}

ol_dtype ol_unary_result_dtype(ol_unary_op op, ol_dtype dtype)
{
    return op == OL_UNARY_IS_NAN || op == OL_UNARY_IS_INF ? OL_BOOL : dtype;
}

typedef struct unary_job {
    ol_bcast_row_fn fn;
    const char *in;
    char *out;
    size_t in_elem, out_elem;
    const void *params;
} unary_job;

static void unary_range(int64_t start, int64_t end, void *arg)
{
    const unary_job *j = arg;
    const void *src = j->in + (size_t)start * j->in_elem;
    const int64_t stride = 1;
    j->fn(j->out + (size_t)start * j->out_elem, &src, &stride, end - start, j->params);
}

static bool same_shape(const ol_ktensor *a, const ol_ktensor *b)
{
    if (a->rank != b->rank)
        return false;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d])
            return false;
    return true;
}

static void run_rows(ol_bcast_row_fn fn, const void *params, const ol_ktensor *x, ol_ktensor *out,
                     int threads)
{
    unary_job job = {fn, x->data, out->data, ol_dtype_bits(x->dtype) / 8,
                     ol_dtype_bits(out->dtype) / 8, params};
    ol_parallel_ranges(ol_ktensor_numel(x), 1, threads, unary_range, &job);
}

bool ol_unary(ol_unary_op op, const ol_unary_params *params, const ol_ktensor *x, ol_ktensor *out,
              int threads)
{
    if (!ol_unary_supported(op, x->dtype) || out->dtype != ol_unary_result_dtype(op, x->dtype) ||
        !same_shape(x, out))
        return false;
    static const ol_unary_params no_params;
    run_rows(ROWS[op][slot_of(x->dtype)], params ? params : &no_params, x, out, threads);
    return true;
}

/* ---- Clip ---- */

/* X(suffix, type, lowest, highest) */
#define CLIP_TYPES(X)                                                                              \
    X(f32, float, -INFINITY, INFINITY) X(f64, double, -INFINITY, INFINITY)                         \
    X(i8, int8_t, INT8_MIN, INT8_MAX) X(i16, int16_t, INT16_MIN, INT16_MAX)                        \
    X(i32, int32_t, INT32_MIN, INT32_MAX) X(i64, int64_t, INT64_MIN, INT64_MAX)                    \
    X(u8, uint8_t, 0, UINT8_MAX) X(u16, uint16_t, 0, UINT16_MAX)                                   \
    X(u32, uint32_t, 0, UINT32_MAX) X(u64, uint64_t, 0, UINT64_MAX)

/* Lower bound first, then upper: with lo > hi every element becomes hi, as numpy's clip does. */
#define GEN_CLIP(S, T, LOWEST, HIGHEST)                                                            \
    ROW_SIGNATURE(clip_##S)                                                                        \
    {                                                                                              \
        (void)s;                                                                                   \
        const T *bounds = params;                                                                  \
        const T lo = bounds[0], hi = bounds[1];                                                    \
        T *o = out;                                                                                \
        const T *a = in[0];                                                                        \
        SIMD for (int64_t i = 0; i < n; i++)                                                       \
        {                                                                                          \
            T v = a[i];                                                                            \
            v = v < lo ? lo : v;                                                                   \
            o[i] = v > hi ? hi : v;                                                                \
        }                                                                                          \
    }                                                                                              \
    static void clip_bounds_##S(void *buf, const void *lo, const void *hi)                         \
    {                                                                                              \
        T *b = buf;                                                                                \
        b[0] = lo ? *(const T *)lo : (T)(LOWEST);                                                  \
        b[1] = hi ? *(const T *)hi : (T)(HIGHEST);                                                 \
    }
CLIP_TYPES(GEN_CLIP)

typedef void (*clip_bounds_fn)(void *buf, const void *lo, const void *hi);

#define CLIP_ENTRY(S, T, LOWEST, HIGHEST) [SLOT_##S] = {clip_##S, clip_bounds_##S},

static const struct {
    ol_bcast_row_fn row;
    clip_bounds_fn bounds;
} CLIPS[SLOT_COUNT] = {CLIP_TYPES(CLIP_ENTRY)};

bool ol_clip_supported(ol_dtype dtype)
{
    int slot = slot_of(dtype);
    return slot >= 0 && CLIPS[slot].row != NULL;
}

bool ol_clip(const ol_ktensor *x, const void *lo, const void *hi, ol_ktensor *out, int threads)
{
    if (!ol_clip_supported(x->dtype) || out->dtype != x->dtype || !same_shape(x, out))
        return false;
    int slot = slot_of(x->dtype);
    uint64_t bounds[2];   /* two elements of up to 8 bytes, suitably aligned */
    CLIPS[slot].bounds(bounds, lo, hi);
    run_rows(CLIPS[slot].row, bounds, x, out, threads);
    return true;
}
