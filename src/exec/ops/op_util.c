#include "exec/ops/op_util.h"

#include "kernels/element.h"

bool ol_op_axis(int64_t axis, int rank, int *out)
{
    if (axis < -rank || axis >= (rank ? rank : 1))
        return false;
    *out = (int)(axis < 0 ? axis + rank : axis);
    return true;
}

int64_t ol_op_dims_product(const ol_ktensor *t, int from, int to)
{
    int64_t p = 1;
    for (int d = from; d < to; d++)
        p *= t->dims[d];
    return p;
}

bool ol_op_read_ints(const ol_ktensor *t, int64_t *values, size_t max, size_t *n)
{
    if (!t || t->rank > 1 || (t->dtype != OL_INT64 && t->dtype != OL_INT32))
        return false;
    int64_t count = ol_ktensor_numel(t);
    if (count < 0 || (size_t)count > max)
        return false;
    for (int64_t i = 0; i < count; i++)
        values[i] = ol_elem_get_i64(t->data, t->dtype, i);
    *n = (size_t)count;
    return true;
}
