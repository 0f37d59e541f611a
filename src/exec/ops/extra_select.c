/* Ops that select or rearrange whole elements of any byte-sized dtype: Compress (opset 9+), Unique
 * (opset 11+), CenterCropPad (opset 18+) and ReverseSequence (opset 10+). The first three are index
 * maps for kernels/axis_gather. */
#include <string.h>

#include "exec/ops/extra_ops.h"
#include "exec/ops/op_util.h"
#include "kernels/axis_gather.h"
#include "kernels/element.h"
#include "kernels/reverse_sequence.h"
#include "kernels/unique.h"

static const uint8_t ZERO_ELEMENT[16];

static size_t byte_sized(ol_op_ctx *ctx, const ol_ktensor *x)
{
    size_t esize = ol_elem_size(x->dtype);
    if (esize == 0)
        ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "elements of type %s are not supported", ol_dtype_name(x->dtype));
    return esize;
}

/* Identity index maps for y's axes, written into buf (sum of y's dims entries). */
static void identity_maps(int64_t *buf, const ol_ktensor *y, const int64_t **maps)
{
    for (int d = 0; d < y->rank; d++) {
        maps[d] = buf;
        for (int64_t i = 0; i < y->dims[d]; i++)
            buf[i] = i;
        buf += y->dims[d];
    }
}

static int64_t dims_sum(const int64_t *dims, int rank)
{
    int64_t sum = 0;
    for (int d = 0; d < rank; d++)
        sum += dims[d];
    return sum;
}

/* y = x gathered along `axis` by `picks` (other axes unchanged), y's shape already set. */
static ol_status gather_axis(ol_op_ctx *ctx, const ol_ktensor *x, ol_ktensor *y, int axis, const int64_t *picks,
                             int64_t *maps_buf)
{
    const int64_t *maps[OL_KMAX_RANK];
    identity_maps(maps_buf, y, maps);
    maps[axis] = picks;
    ol_status st = ol_axis_gather(x, y, maps, NULL);
    if (st != OL_OK)
        return ol_op_fail(ctx, st, "out of memory gathering the output");
    return OL_OK;
}

ol_status ol_run_compress(ol_op_ctx *ctx)
{
    const ol_ktensor *input = ol_op_input(ctx, 0), *cond = ol_op_input(ctx, 1);
    if (!input || !cond)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs input and condition");
    if (!byte_sized(ctx, input))
        return ol_op_error(ctx)->status;
    if (cond->dtype != OL_BOOL || cond->rank != 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "condition must be a 1-D bool tensor");
    /* Without an axis the input is flattened. */
    ol_ktensor x = *input;
    const ol_attr *axis_attr = ol_node_attr(ol_op_node(ctx), "axis");
    int axis = 0;
    if (!axis_attr) {
        x.rank = 1;
        x.dims[0] = ol_ktensor_numel(input);
    } else if (!ol_op_axis(axis_attr->i, input->rank, &axis)) {
        return ol_op_fail(ctx, OL_ERR_INVALID, "axis %lld is out of range for rank %d", (long long)axis_attr->i,
                          input->rank);
    }
    const uint8_t *keep = cond->data;
    int64_t len = x.dims[axis], kept = 0;
    for (int64_t a = 0; a < cond->dims[0]; a++)
        if (keep[a]) {
            if (a >= len)
                return ol_op_fail(ctx, OL_ERR_INVALID, "condition selects position %lld of an axis of %lld",
                                  (long long)a, (long long)len);
            kept++;
        }
    int64_t dims[OL_KMAX_RANK];
    memcpy(dims, x.dims, sizeof(int64_t) * (size_t)x.rank);
    dims[axis] = kept;
    int64_t *buf = ol_op_scratch(ctx, sizeof(int64_t) * (size_t)(dims_sum(dims, x.rank) + kept + 1));
    if (!buf)
        return ol_op_error(ctx)->status;
    int64_t *picks = buf, k = 0;
    for (int64_t a = 0; a < cond->dims[0]; a++)
        if (keep[a])
            picks[k++] = a;
    ol_ktensor *y = ol_op_output(ctx, 0, x.dtype, x.rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    return gather_axis(ctx, &x, y, axis, picks, buf + kept);
}

ol_status ol_run_unique(ol_op_ctx *ctx)
{
    const ol_ktensor *input = ol_op_input(ctx, 0);
    if (!input)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing input");
    if (!ol_elem_numeric(input->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "elements of type %s are not supported",
                          ol_dtype_name(input->dtype));
    const ol_node *node = ol_op_node(ctx);
    bool sorted = ol_node_attr_int(node, "sorted", 1) != 0;
    ol_ktensor x = *input;
    const ol_attr *axis_attr = ol_node_attr(node, "axis");
    int axis = 0;
    if (!axis_attr) {
        x.rank = 1;
        x.dims[0] = ol_ktensor_numel(input);
    } else if (!ol_op_axis(axis_attr->i, input->rank, &axis)) {
        return ol_op_fail(ctx, OL_ERR_INVALID, "axis %lld is out of range for rank %d", (long long)axis_attr->i,
                          input->rank);
    }
    int64_t len = x.dims[axis];
    /* first, counts, inverse, the kernel's work (3 len) and the gather maps. */
    int64_t *buf = ol_op_scratch(ctx, sizeof(int64_t) * (size_t)(6 * len + dims_sum(x.dims, x.rank) + 1));
    if (!buf)
        return ol_op_error(ctx)->status;
    int64_t *first = buf, *counts = buf + len, *inverse = buf + 2 * len;
    int64_t k = ol_unique(&x, ol_op_dims_product(&x, 0, axis), len, ol_op_dims_product(&x, axis + 1, x.rank),
                          sorted, first, counts, inverse, buf + 3 * len);
    int64_t dims[OL_KMAX_RANK];
    memcpy(dims, x.dims, sizeof(int64_t) * (size_t)x.rank);
    dims[axis] = k;
    ol_ktensor *y = ol_op_output(ctx, 0, x.dtype, x.rank, dims);
    if (!y || gather_axis(ctx, &x, y, axis, first, buf + 6 * len) != OL_OK)
        return ol_op_error(ctx)->status;
    const int64_t *parts[3] = {first, inverse, counts};
    int64_t sizes[3] = {k, len, k};
    for (size_t i = 0; i < 3 && i + 1 < ol_op_output_count(ctx); i++) {
        if (!ol_op_output_wanted(ctx, i + 1))
            continue;
        ol_ktensor *out = ol_op_output(ctx, i + 1, OL_INT64, 1, &sizes[i]);
        if (!out)
            return ol_op_error(ctx)->status;
        memcpy(out->data, parts[i], sizeof(int64_t) * (size_t)sizes[i]);
    }
    return OL_OK;
}

ol_status ol_run_center_crop_pad(ol_op_ctx *ctx)
{
    const ol_ktensor *x = ol_op_input(ctx, 0), *shape = ol_op_input(ctx, 1);
    if (!x || !shape)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs input_data and shape");
    if (!byte_sized(ctx, x))
        return ol_op_error(ctx)->status;
    int64_t sizes[OL_KMAX_RANK];
    size_t n_sizes = 0, n_axes = 0;
    if (!ol_op_read_ints(shape, sizes, OL_KMAX_RANK, &n_sizes))
        return ol_op_fail(ctx, OL_ERR_INVALID, "shape must be a 1-D integer tensor of at most %d values",
                          OL_KMAX_RANK);
    const int64_t *axes = ol_node_attr_ints(ol_op_node(ctx), "axes", &n_axes);
    if (!axes)
        n_axes = (size_t)x->rank;
    if (n_axes != n_sizes)
        return ol_op_fail(ctx, OL_ERR_INVALID, "shape has %zu values for %zu axes", n_sizes, n_axes);
    int64_t dims[OL_KMAX_RANK];
    memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
    bool seen[OL_KMAX_RANK] = {false};
    int axis_of[OL_KMAX_RANK];
    for (size_t i = 0; i < n_axes; i++) {
        int axis = (int)i;
        if (axes && !ol_op_axis(axes[i], x->rank, &axis))
            return ol_op_fail(ctx, OL_ERR_INVALID, "axis %lld is out of range for rank %d", (long long)axes[i],
                              x->rank);
        if (seen[axis] || sizes[i] < 0)
            return ol_op_fail(ctx, OL_ERR_INVALID, "axes repeat or a size is negative");
        seen[axis] = true;
        axis_of[i] = axis;
        dims[axis] = sizes[i];
    }
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    int64_t *buf = ol_op_scratch(ctx, sizeof(int64_t) * (size_t)(dims_sum(dims, x->rank) + 1));
    if (!buf)
        return ol_op_error(ctx)->status;
    const int64_t *maps[OL_KMAX_RANK];
    identity_maps(buf, y, maps);
    /* A smaller size keeps the centered window (the extra element goes to the end); a larger one
     * centers the input with zeros around it (the extra zero goes to the end). */
    for (size_t i = 0; i < n_axes; i++) {
        int a = axis_of[i];
        int64_t *map = (int64_t *)maps[a], shift = x->dims[a] >= dims[a] ? (x->dims[a] - dims[a]) / 2
                                                                         : -((dims[a] - x->dims[a]) / 2);
        for (int64_t o = 0; o < dims[a]; o++)
            map[o] = o + shift >= 0 && o + shift < x->dims[a] ? o + shift : -1;
    }
    ol_status st = ol_axis_gather(x, y, maps, ZERO_ELEMENT);
    if (st != OL_OK)
        return ol_op_fail(ctx, st, "out of memory gathering the output");
    return OL_OK;
}

ol_status ol_run_reverse_sequence(ol_op_ctx *ctx)
{
    const ol_ktensor *x = ol_op_input(ctx, 0), *lens = ol_op_input(ctx, 1);
    if (!x || !lens)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs input and sequence_lens");
    size_t esize = byte_sized(ctx, x);
    if (!esize)
        return ol_op_error(ctx)->status;
    const ol_node *node = ol_op_node(ctx);
    int batch_axis, time_axis;
    if (!ol_op_axis(ol_node_attr_int(node, "batch_axis", 1), x->rank, &batch_axis) ||
        !ol_op_axis(ol_node_attr_int(node, "time_axis", 0), x->rank, &time_axis) || batch_axis == time_axis ||
        x->rank < 2)
        return ol_op_fail(ctx, OL_ERR_INVALID, "batch_axis and time_axis must be two distinct axes of the input");
    int64_t batch = x->dims[batch_axis], time = x->dims[time_axis];
    if (lens->dtype != OL_INT64 || lens->rank != 1 || lens->dims[0] != batch)
        return ol_op_fail(ctx, OL_ERR_INVALID, "sequence_lens must be int64 [%lld]", (long long)batch);
    const int64_t *len = lens->data;
    for (int64_t b = 0; b < batch; b++)
        if (len[b] < 0 || len[b] > time)
            return ol_op_fail(ctx, OL_ERR_INVALID, "sequence length %lld is outside [0, %lld]", (long long)len[b],
                              (long long)time);
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, x->dims);
    if (!y)
        return ol_op_error(ctx)->status;
    int a0 = batch_axis < time_axis ? batch_axis : time_axis, a1 = batch_axis ^ time_axis ^ a0;
    ol_reverse_sequence(x->data, ol_op_dims_product(x, 0, a0), x->dims[a0], ol_op_dims_product(x, a0 + 1, a1),
                        x->dims[a1], ol_op_dims_product(x, a1 + 1, x->rank), esize, time_axis < batch_axis, len,
                        y->data);
    return OL_OK;
}
