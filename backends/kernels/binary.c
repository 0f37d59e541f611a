/* Floating-point exception flags are never read by these kernels. Without this GCC will not
 * if-convert (and so not vectorize) loops whose ?: arms compute, such as PRelu's. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#include "kernels/binary.h"

#include <math.h>
#include <string.h>

#include "kernels/broadcast.h"
#include "kernels/element.h"

/* ---- row functions ----
 * One per (op, dtype), for the four ways a row can read its inputs: both advance, one repeats, or
 * both repeat. `omp simd` lets the compiler vectorize the float and plain integer loops at -O2;
 * loops that divide stay scalar so a guarded division is never executed speculatively. */

#define SIMD _Pragma("omp simd")
#define SCALAR

#define DEFINE_ROW(NAME, TI, TO, LOOP, EXPR)                                                       \
    static void NAME(void *out, const void *const *in, const int64_t *s, int64_t n,                \
                     const void *params)                                                           \
    {                                                                                              \
        (void)params;                                                                              \
        TO *o = out;                                                                               \
        const TI *a = in[0], *b = in[1];                                                           \
        if (s[0] && s[1]) {                                                                        \
            LOOP for (int64_t i = 0; i < n; i++)                                                   \
            {                                                                                      \
                const TI x = a[i], y = b[i];                                                       \
                o[i] = (TO)(EXPR);                                                                 \
            }                                                                                      \
        } else if (s[0]) {                                                                         \
            const TI y = b[0];                                                                     \
            LOOP for (int64_t i = 0; i < n; i++)                                                   \
            {                                                                                      \
                const TI x = a[i];                                                                 \
                o[i] = (TO)(EXPR);                                                                 \
            }                                                                                      \
        } else if (s[1]) {                                                                         \
            const TI x = a[0];                                                                     \
            LOOP for (int64_t i = 0; i < n; i++)                                                   \
            {                                                                                      \
                const TI y = b[i];                                                                 \
                o[i] = (TO)(EXPR);                                                                 \
            }                                                                                      \
        } else {                                                                                   \
            const TI x = a[0], y = b[0];                                                           \
            const TO v = (TO)(EXPR);                                                               \
            for (int64_t i = 0; i < n; i++)                                                        \
                o[i] = v;                                                                          \
        }                                                                                          \
    }

/* Type lists: X(A, suffix, C type, type arithmetic is done in). Small and signed integers compute
 * in an unsigned type so overflow wraps instead of being undefined. */
#define SIGNED_TYPES(X, A)                                                                         \
    X(A, i8, int8_t, uint32_t) X(A, i16, int16_t, uint32_t) X(A, i32, int32_t, uint32_t)           \
    X(A, i64, int64_t, uint64_t)
#define UNSIGNED_TYPES(X, A)                                                                       \
    X(A, u8, uint8_t, uint32_t) X(A, u16, uint16_t, uint32_t) X(A, u32, uint32_t, uint32_t)        \
    X(A, u64, uint64_t, uint64_t)
#define FLOAT_TYPES(X, A) X(A, f32, float, float) X(A, f64, double, double)
#define BOOL_TYPE(X, A) X(A, b8, uint8_t, uint32_t)
#define INT_TYPES(X, A) SIGNED_TYPES(X, A) UNSIGNED_TYPES(X, A)
#define NUMERIC_TYPES(X, A) INT_TYPES(X, A) FLOAT_TYPES(X, A)

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

/* Arithmetic that wraps for integers (W is T itself for floats). */
#define GEN_ARITH(A, S, T, W)                                                                      \
    DEFINE_ROW(add_##S, T, T, SIMD, (W)x + (W)y)                                                   \
    DEFINE_ROW(sub_##S, T, T, SIMD, (W)x - (W)y)                                                   \
    DEFINE_ROW(mul_##S, T, T, SIMD, (W)x * (W)y)
NUMERIC_TYPES(GEN_ARITH, _)

#define GEN_FLOAT_ONLY(A, S, T, W)                                                                 \
    DEFINE_ROW(div_##S, T, T, SIMD, x / y)                                                         \
    DEFINE_ROW(fmod_##S, T, T, SCALAR, fmod(x, y))                                                 \
    DEFINE_ROW(mod_##S, T, T, SCALAR, py_fmod(x, y))                                               \
    DEFINE_ROW(max_##S, T, T, SIMD, ((x > y) | (x != x)) ? x : y)                                  \
    DEFINE_ROW(min_##S, T, T, SIMD, ((x < y) | (x != x)) ? x : y)                                  \
    DEFINE_ROW(prelu_##S, T, T, SIMD, pick_##S(x < 0, x * y, x))                                   \
    DEFINE_ROW(pow_##S, T, T, SCALAR, pow(x, y))

/* Both arms evaluated first, so the choice can become a vector select (see unary.c). */
static inline float pick_f32(int c, float a, float b)
{
    return c ? a : b;
}
static inline double pick_f64(int c, double a, double b)
{
    return c ? a : b;
}

static double py_fmod(double x, double y)
{
    double r = fmod(x, y);
    if (r != 0 && (r < 0) != (y < 0))
        r += y;
    return r;
}
FLOAT_TYPES(GEN_FLOAT_ONLY, _)

/* Signed: INT_MIN / -1 overflows (and traps on x86), so -1 is a negation that wraps. */
#define GEN_SIGNED(A, S, T, W)                                                                     \
    DEFINE_ROW(div_##S, T, T, SCALAR, y == 0 ? 0 : y == -1 ? (T)(0 - (W)x) : x / y)                \
    DEFINE_ROW(fmod_##S, T, T, SCALAR, (y == 0 || y == -1) ? 0 : x % y)                            \
    DEFINE_ROW(mod_##S, T, T, SCALAR, (y == 0 || y == -1) ? 0 : py_mod_i64(x, y))                  \
    DEFINE_ROW(prelu_##S, T, T, SIMD, x < 0 ? (T)((W)x * (W)y) : x)                                \
    DEFINE_ROW(pow_##S, T, T, SCALAR, ipow_signed(x, y))

static int64_t py_mod_i64(int64_t x, int64_t y)
{
    int64_t r = x % y;
    if (r != 0 && (r < 0) != (y < 0))
        r += y;
    return r;
}

/* Exponentiation by squaring, wrapping like repeated multiplication. */
static uint64_t ipow_u64(uint64_t base, uint64_t exp)
{
    uint64_t r = 1;
    while (exp) {
        if (exp & 1)
            r *= base;
        base *= base;
        exp >>= 1;
    }
    return r;
}

/* Negative exponents: the truncated value of the real power (0 unless |x| is 1). */
static int64_t ipow_signed(int64_t x, int64_t y)
{
    if (y < 0)
        return x == 1 ? 1 : x == -1 ? ((y & 1) ? -1 : 1) : 0;
    return (int64_t)ipow_u64((uint64_t)x, (uint64_t)y);
}
SIGNED_TYPES(GEN_SIGNED, _)

#define GEN_UNSIGNED(A, S, T, W)                                                                   \
    DEFINE_ROW(div_##S, T, T, SCALAR, y == 0 ? 0 : x / y)                                          \
    DEFINE_ROW(fmod_##S, T, T, SCALAR, y == 0 ? 0 : x % y)                                         \
    DEFINE_ROW(prelu_##S, T, T, SIMD, ((void)y, x))                                                \
    DEFINE_ROW(pow_##S, T, T, SCALAR, ipow_u64(x, y))                                              \
    DEFINE_ROW(shl_##S, T, T, SIMD, y >= sizeof(T) * 8 ? 0 : (W)x << y)                            \
    DEFINE_ROW(shr_##S, T, T, SIMD, y >= sizeof(T) * 8 ? 0 : x >> y)
UNSIGNED_TYPES(GEN_UNSIGNED, _)

#define GEN_INT(A, S, T, W)                                                                        \
    DEFINE_ROW(max_##S, T, T, SIMD, x > y ? x : y)                                                 \
    DEFINE_ROW(min_##S, T, T, SIMD, x < y ? x : y)                                                 \
    DEFINE_ROW(band_##S, T, T, SIMD, x & y)                                                        \
    DEFINE_ROW(bor_##S, T, T, SIMD, x | y)                                                         \
    DEFINE_ROW(bxor_##S, T, T, SIMD, x ^ y)
INT_TYPES(GEN_INT, _)

#define GEN_COMPARE(A, S, T, W)                                                                    \
    DEFINE_ROW(eq_##S, T, uint8_t, SIMD, x == y)                                                   \
    DEFINE_ROW(gt_##S, T, uint8_t, SIMD, x > y)                                                    \
    DEFINE_ROW(ge_##S, T, uint8_t, SIMD, x >= y)                                                   \
    DEFINE_ROW(lt_##S, T, uint8_t, SIMD, x < y)                                                    \
    DEFINE_ROW(le_##S, T, uint8_t, SIMD, x <= y)
NUMERIC_TYPES(GEN_COMPARE, _)
BOOL_TYPE(GEN_COMPARE, _)

DEFINE_ROW(and_b8, uint8_t, uint8_t, SIMD, (x != 0) & (y != 0))
DEFINE_ROW(or_b8, uint8_t, uint8_t, SIMD, (x != 0) | (y != 0))
DEFINE_ROW(xor_b8, uint8_t, uint8_t, SIMD, (x != 0) ^ (y != 0))

/* Python-style remainder of unsigned numbers is the plain remainder. */
#define mod_u8 fmod_u8
#define mod_u16 fmod_u16
#define mod_u32 fmod_u32
#define mod_u64 fmod_u64

/* ---- dispatch ---- */

#define ENTRY(F, S, T, W) [SLOT_##S] = F##_##S,

static const ol_bcast_row_fn ROWS[OL_BINARY_OP_COUNT][SLOT_COUNT] = {
    [OL_BINARY_ADD] = {NUMERIC_TYPES(ENTRY, add)},
    [OL_BINARY_SUB] = {NUMERIC_TYPES(ENTRY, sub)},
    [OL_BINARY_MUL] = {NUMERIC_TYPES(ENTRY, mul)},
    [OL_BINARY_DIV] = {NUMERIC_TYPES(ENTRY, div)},
    [OL_BINARY_POW] = {NUMERIC_TYPES(ENTRY, pow)},
    [OL_BINARY_MOD] = {NUMERIC_TYPES(ENTRY, mod)},
    [OL_BINARY_FMOD] = {NUMERIC_TYPES(ENTRY, fmod)},
    [OL_BINARY_MAX] = {NUMERIC_TYPES(ENTRY, max)},
    [OL_BINARY_MIN] = {NUMERIC_TYPES(ENTRY, min)},
    [OL_BINARY_BIT_AND] = {INT_TYPES(ENTRY, band)},
    [OL_BINARY_BIT_OR] = {INT_TYPES(ENTRY, bor)},
    [OL_BINARY_BIT_XOR] = {INT_TYPES(ENTRY, bxor)},
    [OL_BINARY_SHIFT_LEFT] = {UNSIGNED_TYPES(ENTRY, shl)},
    [OL_BINARY_SHIFT_RIGHT] = {UNSIGNED_TYPES(ENTRY, shr)},
    [OL_BINARY_AND] = {BOOL_TYPE(ENTRY, and)},
    [OL_BINARY_OR] = {BOOL_TYPE(ENTRY, or)},
    [OL_BINARY_XOR] = {BOOL_TYPE(ENTRY, xor)},
    [OL_BINARY_EQUAL] = {NUMERIC_TYPES(ENTRY, eq) BOOL_TYPE(ENTRY, eq)},
    [OL_BINARY_GREATER] = {NUMERIC_TYPES(ENTRY, gt) BOOL_TYPE(ENTRY, gt)},
    [OL_BINARY_GREATER_EQUAL] = {NUMERIC_TYPES(ENTRY, ge) BOOL_TYPE(ENTRY, ge)},
    [OL_BINARY_LESS] = {NUMERIC_TYPES(ENTRY, lt) BOOL_TYPE(ENTRY, lt)},
    [OL_BINARY_LESS_EQUAL] = {NUMERIC_TYPES(ENTRY, le) BOOL_TYPE(ENTRY, le)},
    [OL_BINARY_PRELU] = {NUMERIC_TYPES(ENTRY, prelu)},
};

/* Pow with an exponent of another dtype: through double, converted back to the base's dtype
 * (integers truncated and wrapped, as numpy's power(...).astype does). */
typedef struct mixed_pow_params {
    ol_dtype base, exponent;
} mixed_pow_params;

static void pow_mixed(void *out, const void *const *in, const int64_t *s, int64_t n,
                      const void *params)
{
    const mixed_pow_params *p = params;
    for (int64_t i = 0; i < n; i++) {
        double x = ol_elem_get_f64(in[0], p->base, i * s[0]);
        double y = ol_elem_get_f64(in[1], p->exponent, i * s[1]);
        ol_elem_set_f64(out, p->base, i, pow(x, y));
    }
}

/* Float32 powers by a constant 2 or 0.5 (layer norms, distances) skip the libm call. */
static void square_f32(void *out, const void *const *in, const int64_t *s, int64_t n,
                       const void *params)
{
    (void)params;
    float *o = out;
    const float *a = in[0];
    if (s[0]) {
        SIMD for (int64_t i = 0; i < n; i++) o[i] = a[i] * a[i];
    } else {
        for (int64_t i = 0; i < n; i++)
            o[i] = a[0] * a[0];
    }
}

static void sqrt_f32(void *out, const void *const *in, const int64_t *s, int64_t n,
                     const void *params)
{
    (void)params;
    float *o = out;
    const float *a = in[0];
    for (int64_t i = 0; i < n; i++) {
        float x = a[i * s[0]];
        /* pow(-0, .5) is +0 and pow(-inf, .5) is +inf where sqrt gives -0 and NaN. */
        o[i] = x == -INFINITY ? INFINITY : sqrtf(x) + 0.0f;
    }
}

bool ol_binary_supported(ol_binary_op op, ol_dtype a, ol_dtype b)
{
    if ((unsigned)op >= OL_BINARY_OP_COUNT)
        return false;
    int sa = slot_of(a), sb = slot_of(b);
    if (sa < 0 || sb < 0)
        return false;
    if (op == OL_BINARY_POW && a != b)
        return sa != SLOT_b8 && sb != SLOT_b8;
    return a == b && ROWS[op][sa] != NULL;
}

ol_dtype ol_binary_result_dtype(ol_binary_op op, ol_dtype a)
{
    switch (op) {
    case OL_BINARY_EQUAL:
    case OL_BINARY_GREATER:
    case OL_BINARY_GREATER_EQUAL:
    case OL_BINARY_LESS:
    case OL_BINARY_LESS_EQUAL:
        return OL_BOOL;
    default:
        return a;
    }
}

static bool is_scalar_value(const ol_ktensor *t, double v)
{
    return t->dtype == OL_FLOAT && ol_ktensor_numel(t) == 1 && ((const float *)t->data)[0] == v;
}

bool ol_binary(ol_binary_op op, const ol_ktensor *a, const ol_ktensor *b, ol_ktensor *out,
               int threads)
{
    if (!ol_binary_supported(op, a->dtype, b->dtype) ||
        out->dtype != ol_binary_result_dtype(op, a->dtype))
        return false;
    ol_bcast_plan plan;
    const ol_ktensor *ins[2] = {a, b};
    if (!ol_bcast_plan_tensors(&plan, 2, ins, out))
        return false;
    ol_bcast_row_fn fn = ROWS[op][slot_of(a->dtype)];
    mixed_pow_params mixed = {a->dtype, b->dtype};
    const void *params = NULL;
    if (op == OL_BINARY_POW && a->dtype != b->dtype) {
        fn = pow_mixed;
        params = &mixed;
    } else if (op == OL_BINARY_POW && a->dtype == OL_FLOAT && is_scalar_value(b, 2.0)) {
        fn = square_f32;
    } else if (op == OL_BINARY_POW && a->dtype == OL_FLOAT && is_scalar_value(b, 0.5)) {
        fn = sqrt_f32;
    }
    const void *data[2] = {a->data, b->data};
    size_t sizes[2] = {ol_dtype_bits(a->dtype) / 8, ol_dtype_bits(b->dtype) / 8};
    ol_bcast_run(&plan, out->data, ol_dtype_bits(out->dtype) / 8, data, sizes, fn, params, threads);
    return true;
}

bool ol_binary_fold(ol_binary_op op, size_t n, const ol_ktensor *const *in, ol_ktensor *out,
                    int threads)
{
    if (n == 0)
        return false;
    for (size_t k = 0; k < n; k++)
        if (!ol_binary_supported(op, in[k]->dtype, out->dtype) ||
            !ol_broadcasts_to(in[k]->rank, in[k]->dims, out->rank, out->dims))
            return false;
    if (n == 1) {
        /* Max/Min/Sum of one input: the input itself, broadcast to out (x op x would be wrong for
         * Sum). */
        ol_bcast_plan plan;
        if (!ol_bcast_plan_tensors(&plan, 1, in, out))
            return false;
        size_t elem = ol_dtype_bits(out->dtype) / 8;
        int64_t len = ol_bcast_row_length(&plan), rows = plan.numel / (len ? len : 1);
        ol_bcast_cursor c;
        ol_bcast_cursor_seek(&plan, &c, 0);
        for (int64_t r = 0; r < rows && len; r++, ol_bcast_cursor_next(&plan, &c)) {
            char *dst = (char *)out->data + (size_t)(r * len) * elem;
            const char *src = (const char *)in[0]->data + (size_t)c.offset[0] * elem;
            if (ol_bcast_inner_stride(&plan, 0))
                memcpy(dst, src, (size_t)len * elem);
            else
                for (int64_t i = 0; i < len; i++)
                    memcpy(dst + (size_t)i * elem, src, elem);
        }
        return true;
    }
    if (!ol_binary(op, in[0], in[1], out, threads))
        return false;
    for (size_t k = 2; k < n; k++)
        if (!ol_binary(op, out, in[k], out, threads))
            return false;
    return true;
}

bool ol_mean(size_t n, const ol_ktensor *const *in, ol_ktensor *out, int threads)
{
    if (out->dtype != OL_FLOAT && out->dtype != OL_DOUBLE)
        return false;
    if (!ol_binary_fold(OL_BINARY_ADD, n, in, out, threads))
        return false;
    int64_t count = ol_ktensor_numel(out);
    if (out->dtype == OL_FLOAT) {
        float *o = out->data, d = (float)n;
        SIMD for (int64_t i = 0; i < count; i++) o[i] /= d;
    } else {
        double *o = out->data, d = (double)n;
        SIMD for (int64_t i = 0; i < count; i++) o[i] /= d;
    }
    return true;
}
