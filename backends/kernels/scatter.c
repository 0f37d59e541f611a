#include "kernels/scatter.h"

#include <string.h>

#include "kernels/axis_gather.h"

bool ol_scatter_reduction_supported(ol_dtype dtype, ol_scatter_reduction reduction)
{
    if (reduction == OL_SCATTER_NONE)
        return ol_elem_size(dtype) != 0;
    switch (dtype) {
    case OL_FLOAT: case OL_DOUBLE: case OL_BOOL:
    case OL_INT8: case OL_INT16: case OL_INT32: case OL_INT64:
    case OL_UINT8: case OL_UINT16: case OL_UINT32: case OL_UINT64:
        return true;
    default:
        return false;
    }
}

#define REDUCE_N(type, op)                                                                        \
    do {                                                                                          \
        type *d = dst;                                                                            \
        const type *s = src;                                                                      \
        for (int64_t k = 0; k < n; k++)                                                           \
            op(type, d[k], s[k]);                                                                 \
    } while (0)

#define OP_ADD(type, a, b) a = (a) + (b)
#define OP_MUL(type, a, b) a = (a) * (b)
/* Integers wrap: the arithmetic runs in uint64_t, where overflow is defined. */
#define OP_IADD(type, a, b) a = (type)((uint64_t)(a) + (uint64_t)(b))
#define OP_IMUL(type, a, b) a = (type)((uint64_t)(a) * (uint64_t)(b))
#define OP_MAX(type, a, b) a = (b) > (a) ? (b) : (a)
#define OP_MIN(type, a, b) a = (b) < (a) ? (b) : (a)
/* bool: add is or, mul is and; max/min likewise on 0/1 */
#define OP_OR(type, a, b) a = (a) || (b)
#define OP_AND(type, a, b) a = (a) && (b)

#define REDUCE_TYPED(type, add, mul)                                                               \
    switch (reduction) {                                                                          \
    case OL_SCATTER_ADD: REDUCE_N(type, add); break;                                              \
    case OL_SCATTER_MUL: REDUCE_N(type, mul); break;                                              \
    case OL_SCATTER_MAX: REDUCE_N(type, OP_MAX); break;                                           \
    case OL_SCATTER_MIN: REDUCE_N(type, OP_MIN); break;                                           \
    default: break;                                                                               \
    }

/* dst[k] = dst[k] (reduction) src[k] for k < n. Integers wrap around; max/min keep the current
 * value when the update is NaN. */
static void combine(void *dst, const void *src, int64_t n, ol_dtype dtype, ol_scatter_reduction reduction)
{
    if (reduction == OL_SCATTER_NONE) {
        memcpy(dst, src, (size_t)n * ol_elem_size(dtype));
        return;
    }
    switch (dtype) {
    case OL_FLOAT: REDUCE_TYPED(float, OP_ADD, OP_MUL); break;
    case OL_DOUBLE: REDUCE_TYPED(double, OP_ADD, OP_MUL); break;
    case OL_INT8: REDUCE_TYPED(int8_t, OP_IADD, OP_IMUL); break;
    case OL_INT16: REDUCE_TYPED(int16_t, OP_IADD, OP_IMUL); break;
    case OL_INT32: REDUCE_TYPED(int32_t, OP_IADD, OP_IMUL); break;
    case OL_INT64: REDUCE_TYPED(int64_t, OP_IADD, OP_IMUL); break;
    case OL_UINT8: REDUCE_TYPED(uint8_t, OP_IADD, OP_IMUL); break;
    case OL_UINT16: REDUCE_TYPED(uint16_t, OP_IADD, OP_IMUL); break;
    case OL_UINT32: REDUCE_TYPED(uint32_t, OP_IADD, OP_IMUL); break;
    case OL_UINT64: REDUCE_TYPED(uint64_t, OP_IADD, OP_IMUL); break;
    case OL_BOOL:
        if (reduction == OL_SCATTER_ADD || reduction == OL_SCATTER_MAX)
            REDUCE_N(uint8_t, OP_OR);
        else
            REDUCE_N(uint8_t, OP_AND);
        break;
    default:
        break;
    }
}

static void copy_data(const ol_ktensor *data, ol_ktensor *y)
{
    if (y->data != data->data)
        memcpy(y->data, data->data, ol_ktensor_nbytes(data));
}

void ol_scatter_elements(const ol_ktensor *data, int axis, const int64_t *indices,
                         const ol_ktensor *updates, ol_scatter_reduction reduction, ol_ktensor *y)
{
    copy_data(data, y);
    size_t es = ol_elem_size(data->dtype);
    int64_t n = ol_ktensor_numel(updates);
    int64_t ys[OL_KMAX_RANK], coord[OL_KMAX_RANK] = {0};
    ol_ktensor_strides(data, ys);
    const uint8_t *src = updates->data;
    uint8_t *dst = y->data;
    for (int64_t i = 0; i < n; i++) {
        int64_t offset = 0;
        for (int d = 0; d < updates->rank; d++)
            offset += (d == axis ? indices[i] : coord[d]) * ys[d];
        combine(dst + (size_t)offset * es, src + (size_t)i * es, 1, data->dtype, reduction);
        for (int d = updates->rank - 1; d >= 0; d--) {
            if (++coord[d] < updates->dims[d])
                break;
            coord[d] = 0;
        }
    }
}

void ol_scatter_nd(const ol_ktensor *data, const int64_t *indices, int64_t n_tuples, int depth,
                   const ol_ktensor *updates, ol_scatter_reduction reduction, ol_ktensor *y)
{
    copy_data(data, y);
    size_t es = ol_elem_size(data->dtype);
    int64_t ys[OL_KMAX_RANK];
    ol_ktensor_strides(data, ys);
    int64_t slice = 1;
    for (int d = depth; d < data->rank; d++)
        slice *= data->dims[d];
    const uint8_t *src = updates->data;
    uint8_t *dst = y->data;
    for (int64_t t = 0; t < n_tuples; t++) {
        int64_t offset = 0;
        for (int j = 0; j < depth; j++)
            offset += indices[t * depth + j] * ys[j];
        combine(dst + (size_t)offset * es, src + (size_t)(t * slice) * es, slice, data->dtype, reduction);
    }
}
