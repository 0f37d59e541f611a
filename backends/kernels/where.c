#include "kernels/where.h"

#include <stdint.h>

#include "kernels/broadcast.h"

#define SIMD _Pragma("omp simd")

/* Rows where every input advances (the common, vectorizable case) and the general form. */
#define GEN_WHERE(BYTES, T)                                                                        \
    static void where_##BYTES(void *out, const void *const *in, const int64_t *s, int64_t n,       \
                              const void *params)                                                  \
    {                                                                                              \
        (void)params;                                                                              \
        const uint8_t *c = in[0];                                                                  \
        const T *x = in[1], *y = in[2];                                                            \
        T *o = out;                                                                                \
        if (s[0] && s[1] && s[2]) {                                                                \
            SIMD for (int64_t i = 0; i < n; i++) o[i] = c[i] ? x[i] : y[i];                        \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++)                                                        \
                o[i] = c[i * s[0]] ? x[i * s[1]] : y[i * s[2]];                                    \
        }                                                                                          \
    }
GEN_WHERE(1, uint8_t)
GEN_WHERE(2, uint16_t)
GEN_WHERE(4, uint32_t)
GEN_WHERE(8, uint64_t)

static ol_bcast_row_fn row_for(ol_dtype t)
{
    unsigned bits = ol_dtype_bits(t);
    if (t == OL_STRING || bits % 8 != 0)
        return NULL;
    switch (bits / 8) {
    case 1: return where_1;
    case 2: return where_2;
    case 4: return where_4;
    case 8: return where_8;
    default: return NULL;
    }
}

bool ol_where_supported(ol_dtype dtype)
{
    return row_for(dtype) != NULL;
}

bool ol_where(const ol_ktensor *cond, const ol_ktensor *x, const ol_ktensor *y, ol_ktensor *out,
              int threads)
{
    ol_bcast_row_fn fn = row_for(x->dtype);
    if (!fn || cond->dtype != OL_BOOL || y->dtype != x->dtype || out->dtype != x->dtype)
        return false;
    const ol_ktensor *ins[3] = {cond, x, y};
    ol_bcast_plan plan;
    if (!ol_bcast_plan_tensors(&plan, 3, ins, out))
        return false;
    size_t elem = ol_dtype_bits(x->dtype) / 8;
    const void *data[3] = {cond->data, x->data, y->data};
    size_t sizes[3] = {1, elem, elem};
    ol_bcast_run(&plan, out->data, elem, data, sizes, fn, NULL, threads);
    return true;
}
