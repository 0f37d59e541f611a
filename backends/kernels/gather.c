#include "kernels/gather.h"

#include <string.h>

#include "kernels/axis_gather.h"

int64_t ol_indices_normalize(const ol_ktensor *indices, const int64_t *limits, int period, int64_t *out)
{
    int64_t n = ol_ktensor_numel(indices);
    for (int64_t i = 0; i < n; i++) {
        int64_t v = indices->dtype == OL_INT32 ? ((const int32_t *)indices->data)[i]
                                               : ((const int64_t *)indices->data)[i];
        int64_t limit = limits[i % period];
        if (v < -limit || v >= limit)
            return i;
        out[i] = v < 0 ? v + limit : v;
    }
    return -1;
}

void ol_gather(const ol_ktensor *x, int axis, const int64_t *indices, int64_t n_indices, ol_ktensor *y)
{
    size_t es = ol_elem_size(x->dtype);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++)
        inner *= x->dims[d];
    int64_t extent = x->dims[axis];
    size_t block = (size_t)inner * es;
    const uint8_t *src = x->data;
    uint8_t *dst = y->data;
    if (block == 0)
        return;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < n_indices; k++, dst += block)
            memcpy(dst, src + (size_t)(o * extent + indices[k]) * block, block);
}

void ol_gather_elements(const ol_ktensor *x, int axis, const int64_t *indices, ol_ktensor *y)
{
    size_t es = ol_elem_size(x->dtype);
    int64_t n = ol_ktensor_numel(y);
    if (n == 0)
        return;
    int64_t xs[OL_KMAX_RANK], coord[OL_KMAX_RANK] = {0};
    ol_ktensor_strides(x, xs);
    const uint8_t *src = x->data;
    uint8_t *dst = y->data;
    for (int64_t i = 0; i < n; i++) {
        int64_t offset = 0;
        for (int d = 0; d < y->rank; d++)
            offset += (d == axis ? indices[i] : coord[d]) * xs[d];
        memcpy(dst + (size_t)i * es, src + (size_t)offset * es, es);
        for (int d = y->rank - 1; d >= 0; d--) {
            if (++coord[d] < y->dims[d])
                break;
            coord[d] = 0;
        }
    }
}

void ol_gather_nd(const ol_ktensor *x, int batch_dims, const int64_t *indices, int64_t n_tuples,
                  int depth, ol_ktensor *y)
{
    size_t es = ol_elem_size(x->dtype);
    int64_t xs[OL_KMAX_RANK];
    ol_ktensor_strides(x, xs);
    int64_t batch = 1, slice = 1;
    for (int d = 0; d < batch_dims; d++)
        batch *= x->dims[d];
    for (int d = batch_dims + depth; d < x->rank; d++)
        slice *= x->dims[d];
    int64_t batch_stride = batch_dims > 0 ? xs[batch_dims - 1] : 0;
    size_t block = (size_t)slice * es;
    const uint8_t *src = x->data;
    uint8_t *dst = y->data;
    if (block == 0)
        return;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t t = 0; t < n_tuples; t++, dst += block) {
            const int64_t *tuple = indices + (b * n_tuples + t) * depth;
            int64_t offset = b * batch_stride;
            for (int j = 0; j < depth; j++)
                offset += tuple[j] * xs[batch_dims + j];
            memcpy(dst, src + (size_t)offset * es, block);
        }
}
