/* Floating-point exception flags are never read here; see unary.c. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#include "kernels/cast.h"

#include <math.h>
#include <string.h>

#include "kernels/broadcast.h"

#define SIMD _Pragma("omp simd")

/* ---- float to integer ---- */

static inline int64_t float_to_i64(double v)
{
    if (v >= -9223372036854775808.0 && v < 9223372036854775808.0)
        return (int64_t)v;
    if (isnan(v) || isinf(v))
        return 0;
    return v < 0 ? INT64_MIN : INT64_MAX;
}

static inline uint64_t float_to_u64(double v)
{
    if (v >= 0 && v < 18446744073709551616.0)
        return (uint64_t)v;
    if (v >= 18446744073709551616.0 && !isinf(v))
        return UINT64_MAX;
    return (uint64_t)float_to_i64(v);   /* negatives wrap, as through int64 */
}

/* ---- the common dtypes: one typed loop per (from, to) pair ---- */

#define CONV_f32(x) ((float)(x))
#define CONV_f64(x) ((double)(x))
#define CONV_b8(x) ((uint8_t)((x) != 0))
#define CONV_INT(T, x) _Generic((x), float: (T)float_to_i64(x), double: (T)float_to_i64(x), default: (T)(x))
#define CONV_i8(x) CONV_INT(int8_t, x)
#define CONV_i16(x) CONV_INT(int16_t, x)
#define CONV_i32(x) CONV_INT(int32_t, x)
#define CONV_i64(x) CONV_INT(int64_t, x)
#define CONV_u8(x) CONV_INT(uint8_t, x)
#define CONV_u16(x) CONV_INT(uint16_t, x)
#define CONV_u32(x) CONV_INT(uint32_t, x)
#define CONV_u64(x) _Generic((x), float: float_to_u64(x), double: float_to_u64(x), default: (uint64_t)(x))

/* Two copies of the type list, because a macro cannot expand itself. */
#define FROM_TYPES(X)                                                                              \
    X(f32, float) X(f64, double) X(i8, int8_t) X(i16, int16_t) X(i32, int32_t) X(i64, int64_t)     \
    X(u8, uint8_t) X(u16, uint16_t) X(u32, uint32_t) X(u64, uint64_t) X(b8, uint8_t)
#define TO_TYPES(X, FS, FT)                                                                        \
    X(FS, FT, f32, float) X(FS, FT, f64, double) X(FS, FT, i8, int8_t) X(FS, FT, i16, int16_t)     \
    X(FS, FT, i32, int32_t) X(FS, FT, i64, int64_t) X(FS, FT, u8, uint8_t)                         \
    X(FS, FT, u16, uint16_t) X(FS, FT, u32, uint32_t) X(FS, FT, u64, uint64_t)                     \
    X(FS, FT, b8, uint8_t)

typedef void (*cast_fn)(const void *src, void *dst, int64_t start, int64_t end,
                        const ol_cast_params *params);

#define GEN_PAIR(FS, FT, TS, TT)                                                                   \
    static void cast_##FS##_##TS(const void *src, void *dst, int64_t start, int64_t end,           \
                                 const ol_cast_params *params)                                     \
    {                                                                                              \
        (void)params;                                                                              \
        const FT *a = src;                                                                         \
        TT *o = dst;                                                                               \
        SIMD for (int64_t i = start; i < end; i++) o[i] = CONV_##TS(a[i]);                         \
    }
#define GEN_FROM(FS, FT) TO_TYPES(GEN_PAIR, FS, FT)
FROM_TYPES(GEN_FROM)

enum { SLOT_f32, SLOT_f64, SLOT_i8, SLOT_i16, SLOT_i32, SLOT_i64, SLOT_u8, SLOT_u16, SLOT_u32,
       SLOT_u64, SLOT_b8, SLOT_COUNT };

#define TABLE_ENTRY(FS, FT, TS, TT) [SLOT_##TS] = cast_##FS##_##TS,
#define TABLE_ROW(FS, FT) [SLOT_##FS] = {TO_TYPES(TABLE_ENTRY, FS, FT)},
static const cast_fn TYPED[SLOT_COUNT][SLOT_COUNT] = {FROM_TYPES(TABLE_ROW)};

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

/* ---- float16 / bfloat16 to and from float32, common at the edges of half-precision models ---- */

static void cast_f16_f32(const void *src, void *dst, int64_t start, int64_t end,
                         const ol_cast_params *params)
{
    (void)params;
    ol_half_to_float_n((const uint16_t *)src + start, (float *)dst + start, (size_t)(end - start));
}

static void cast_f32_f16(const void *src, void *dst, int64_t start, int64_t end,
                         const ol_cast_params *params)
{
    (void)params;
    const float *a = src;
    uint16_t *o = dst;
    for (int64_t i = start; i < end; i++)
        o[i] = ol_float_to_half(a[i]);
}

static void cast_bf16_f32(const void *src, void *dst, int64_t start, int64_t end,
                          const ol_cast_params *params)
{
    (void)params;
    const uint16_t *a = src;
    float *o = dst;
    for (int64_t i = start; i < end; i++)
        o[i] = ol_bf16_to_float(a[i]);
}

static void cast_f32_bf16(const void *src, void *dst, int64_t start, int64_t end,
                          const ol_cast_params *params)
{
    (void)params;
    const float *a = src;
    uint16_t *o = dst;
    for (int64_t i = start; i < end; i++)
        o[i] = ol_float_to_bf16(a[i]);
}

/* ---- everything else, one element at a time through a double or an integer ---- */

typedef struct value {
    bool is_int;       /* i holds it (as uint64 bits when is_u64), else f */
    bool is_u64;
    int64_t i;
    double f;
} value;

static bool is_packed(ol_dtype t)
{
    return t == OL_INT4 || t == OL_UINT4 || t == OL_INT2 || t == OL_UINT2 || t == OL_FLOAT4E2M1;
}

/* Packed elements: element i sits at bit (i * bits) % 8 of byte (i * bits) / 8, low bits first. */
static unsigned packed_get(const uint8_t *data, int64_t i, unsigned bits)
{
    unsigned per_byte = 8 / bits;
    return (data[i / per_byte] >> ((unsigned)(i % per_byte) * bits)) & ((1u << bits) - 1);
}

static void packed_put(uint8_t *data, int64_t i, unsigned bits, unsigned code)
{
    unsigned per_byte = 8 / bits;
    data[i / per_byte] |= (uint8_t)((code & ((1u << bits) - 1)) << ((unsigned)(i % per_byte) * bits));
}

static int64_t sign_extend(unsigned code, unsigned bits)
{
    return (int64_t)code - ((code >> (bits - 1)) ? (int64_t)1 << bits : 0);
}

static value read_value(const void *src, ol_dtype t, int64_t i)
{
    value v = {0};
    v.is_int = true;
    switch (t) {
    case OL_FLOAT: v.is_int = false; v.f = ((const float *)src)[i]; break;
    case OL_DOUBLE: v.is_int = false; v.f = ((const double *)src)[i]; break;
    case OL_FLOAT16: v.is_int = false; v.f = ol_half_to_float(((const uint16_t *)src)[i]); break;
    case OL_BFLOAT16: v.is_int = false; v.f = ol_bf16_to_float(((const uint16_t *)src)[i]); break;
    case OL_FLOAT8E4M3FN:
    case OL_FLOAT8E4M3FNUZ:
    case OL_FLOAT8E5M2:
    case OL_FLOAT8E5M2FNUZ:
    case OL_FLOAT8E8M0:
        v.is_int = false;
        v.f = ol_minifloat_to_float(((const uint8_t *)src)[i], t);
        break;
    case OL_FLOAT4E2M1:
        v.is_int = false;
        v.f = ol_minifloat_to_float((uint8_t)packed_get(src, i, 4), t);
        break;
    case OL_INT8: v.i = ((const int8_t *)src)[i]; break;
    case OL_INT16: v.i = ((const int16_t *)src)[i]; break;
    case OL_INT32: v.i = ((const int32_t *)src)[i]; break;
    case OL_INT64: v.i = ((const int64_t *)src)[i]; break;
    case OL_UINT8: v.i = ((const uint8_t *)src)[i]; break;
    case OL_UINT16: v.i = ((const uint16_t *)src)[i]; break;
    case OL_UINT32: v.i = ((const uint32_t *)src)[i]; break;
    case OL_UINT64: v.i = (int64_t)((const uint64_t *)src)[i]; v.is_u64 = true; break;
    case OL_BOOL: v.i = ((const uint8_t *)src)[i] != 0; break;
    case OL_INT4: v.i = sign_extend(packed_get(src, i, 4), 4); break;
    case OL_UINT4: v.i = packed_get(src, i, 4); break;
    case OL_INT2: v.i = sign_extend(packed_get(src, i, 2), 2); break;
    case OL_UINT2: v.i = packed_get(src, i, 2); break;
    default: break;
    }
    return v;
}

static double as_double(value v)
{
    if (!v.is_int)
        return v.f;
    return v.is_u64 ? (double)(uint64_t)v.i : (double)v.i;
}

static int64_t as_int(value v)
{
    return v.is_int ? v.i : float_to_i64(v.f);
}

static void write_value(void *dst, ol_dtype t, int64_t i, value v, const ol_cast_params *p)
{
    switch (t) {
    case OL_FLOAT: ((float *)dst)[i] = (float)as_double(v); return;
    case OL_DOUBLE: ((double *)dst)[i] = as_double(v); return;
    case OL_FLOAT16: ((uint16_t *)dst)[i] = ol_double_to_half(as_double(v)); return;
    case OL_BFLOAT16: ((uint16_t *)dst)[i] = ol_float_to_bf16((float)as_double(v)); return;
    case OL_FLOAT8E4M3FN:
    case OL_FLOAT8E4M3FNUZ:
    case OL_FLOAT8E5M2:
    case OL_FLOAT8E5M2FNUZ:
        ((uint8_t *)dst)[i] = ol_minifloat_from_double(as_double(v), t, p->saturate);
        return;
    case OL_FLOAT8E8M0:
        ((uint8_t *)dst)[i] = ol_float_to_e8m0((float)as_double(v), p->saturate, p->e8m0_round);
        return;
    case OL_FLOAT4E2M1:
        packed_put(dst, i, 4, ol_minifloat_from_double(as_double(v), t, true));
        return;
    case OL_BOOL: ((uint8_t *)dst)[i] = v.is_int ? v.i != 0 : v.f != 0; return;
    case OL_UINT64:
        ((uint64_t *)dst)[i] = v.is_int ? (uint64_t)v.i : float_to_u64(v.f);
        return;
    default: break;
    }
    int64_t k = as_int(v);
    switch (t) {
    case OL_INT8: ((int8_t *)dst)[i] = (int8_t)k; return;
    case OL_INT16: ((int16_t *)dst)[i] = (int16_t)k; return;
    case OL_INT32: ((int32_t *)dst)[i] = (int32_t)k; return;
    case OL_INT64: ((int64_t *)dst)[i] = k; return;
    case OL_UINT8: ((uint8_t *)dst)[i] = (uint8_t)k; return;
    case OL_UINT16: ((uint16_t *)dst)[i] = (uint16_t)k; return;
    case OL_UINT32: ((uint32_t *)dst)[i] = (uint32_t)k; return;
    case OL_INT4:
    case OL_UINT4: packed_put(dst, i, 4, (unsigned)(uint64_t)k); return;
    case OL_INT2:
    case OL_UINT2: packed_put(dst, i, 2, (unsigned)(uint64_t)k); return;
    default: return;
    }
}

/* ---- driver ---- */

static bool convertible(ol_dtype t)
{
    return slot_of(t) >= 0 || t == OL_FLOAT16 || t == OL_BFLOAT16 || ol_minifloat_dtype(t) ||
           is_packed(t);
}

bool ol_cast_supported(ol_dtype from, ol_dtype to)
{
    return convertible(from) && convertible(to);
}

typedef struct cast_job {
    cast_fn typed;           /* NULL: element by element */
    const void *src;
    void *dst;
    ol_dtype from, to;
    const ol_cast_params *params;
} cast_job;

static void cast_range(int64_t start, int64_t end, void *arg)
{
    const cast_job *j = arg;
    if (j->typed) {
        j->typed(j->src, j->dst, start, end, j->params);
        return;
    }
    if (is_packed(j->to)) {
        /* Pieces start on byte boundaries (align 8), so each clears only its own bytes. */
        unsigned bits = ol_dtype_bits(j->to);
        size_t first = (size_t)start * bits / 8, last = ((size_t)end * bits + 7) / 8;
        memset((uint8_t *)j->dst + first, 0, last - first);
    }
    for (int64_t i = start; i < end; i++)
        write_value(j->dst, j->to, i, read_value(j->src, j->from, i), j->params);
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

bool ol_cast(const ol_ktensor *x, ol_ktensor *out, const ol_cast_params *params, int threads)
{
    if (!ol_cast_supported(x->dtype, out->dtype) || !same_shape(x, out))
        return false;
    static const ol_cast_params defaults = {.saturate = true, .e8m0_round = OL_E8M0_ROUND_UP};
    if (!params)
        params = &defaults;
    if (x->dtype == out->dtype) {
        memcpy(out->data, x->data, ol_ktensor_nbytes(x));
        return true;
    }
    cast_job job = {NULL, x->data, out->data, x->dtype, out->dtype, params};
    int from = slot_of(x->dtype), to = slot_of(out->dtype);
    if (from >= 0 && to >= 0)
        job.typed = TYPED[from][to];
    else if (x->dtype == OL_FLOAT16 && out->dtype == OL_FLOAT)
        job.typed = cast_f16_f32;
    else if (x->dtype == OL_FLOAT && out->dtype == OL_FLOAT16)
        job.typed = cast_f32_f16;
    else if (x->dtype == OL_BFLOAT16 && out->dtype == OL_FLOAT)
        job.typed = cast_bf16_f32;
    else if (x->dtype == OL_FLOAT && out->dtype == OL_BFLOAT16)
        job.typed = cast_f32_bf16;
    ol_parallel_ranges(ol_ktensor_numel(x), 8, threads, cast_range, &job);
    return true;
}
