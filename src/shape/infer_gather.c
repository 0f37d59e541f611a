/* Indexing ops: Gather (also on known shape vectors), GatherElements, GatherND, the Scatter family,
 * OneHot, NonZero and TopK. */
#include <math.h>
#include <string.h>

#include "shape/infer_internal.h"

/* Gather on a known 1-D value, the Shape -> Gather idiom that picks one dimension. */
static void propagate_gather(infer_ctx *c, int axis)
{
    known_ints data, idx, out;
    if (axis != 0 || !infer_in_known(c, 0, &data) || data.rank != 1 || !infer_in_known(c, 1, &idx))
        return;
    out.rank = idx.rank;
    out.n = idx.n;
    for (size_t i = 0; i < idx.n; i++) {
        if (idx.v[i].kind != SYM_VALUE)
            return;
        int64_t k = idx.v[i].value;
        if (k < 0)
            k += (int64_t)data.n;
        if (k < 0 || k >= (int64_t)data.n)
            return;  /* out of range: the run will fail, there is nothing to propagate */
        out.v[i] = data.v[k];
    }
    infer_out_set_known(c, 0, &out);
}

ol_status infer_gather(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    ol_dtype ie = infer_in_elem(c, 1);
    if (ie != OL_UNDEFINED && ie != OL_INT32 && ie != OL_INT64)
        return infer_fail(c, "indices must be int32 or int64, not %s", ol_dtype_name(ie));
    int64_t axis;
    if ((st = infer_attr_int(c, "axis", 0, &axis)) != OL_OK)
        return st;
    int r = infer_in_rank(c, 0), q = infer_in_rank(c, 1);
    if (r == 0)
        return infer_fail(c, "cannot gather from a scalar");
    int a = 0;
    if (r > 0 && (st = infer_axis_normalize(c, axis, r, "axis", &a)) != OL_OK)
        return st;
    if (r < 0 || q < 0)
        return infer_out_tensor(c, 0, elem, -1);
    propagate_gather(c, a);
    ol_dim out[OL_MAX_RANK * 2];
    int n = 0;
    const ol_dim *data = infer_in_dims(c, 0), *indices = infer_in_dims(c, 1);
    for (int d = 0; d < a; d++)
        out[n++] = data[d];
    for (int d = 0; d < q; d++)
        out[n++] = indices[d];
    for (int d = a + 1; d < r; d++)
        out[n++] = data[d];
    return infer_out_tensor_dims(c, 0, elem, n, out);
}

ol_status infer_gather_elements(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    int64_t axis;
    if ((st = infer_attr_int(c, "axis", 0, &axis)) != OL_OK)
        return st;
    int r = infer_in_rank(c, 0), q = infer_in_rank(c, 1);
    if (r >= 0 && q >= 0 && r != q)
        return infer_fail(c, "data has rank %d but indices have rank %d", r, q);
    int a;
    if (r >= 1 && (st = infer_axis_normalize(c, axis, r, "axis", &a)) != OL_OK)
        return st;
    /* The output has the indices' shape and the data's element type. */
    return infer_out_shape_of_input(c, 0, 1, infer_in_elem(c, 0));
}

ol_status infer_gather_nd(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int64_t batch_dims;
    if ((st = infer_attr_int(c, "batch_dims", 0, &batch_dims)) != OL_OK)
        return st;
    int r = infer_in_rank(c, 0), q = infer_in_rank(c, 1);
    if (r < 0 || q < 0)
        return infer_out_tensor(c, 0, elem, -1);
    if (r < 1 || q < 1)
        return infer_fail(c, "data and indices need rank >= 1 (have %d and %d)", r, q);
    if (batch_dims < 0 || batch_dims >= r || batch_dims >= q)
        return infer_fail(c, "batch_dims %lld must be below both ranks (%d and %d)",
                          (long long)batch_dims, r, q);
    const ol_dim *last = &infer_in_dims(c, 1)[q - 1];
    if (!dim_known(last))
        return infer_out_tensor(c, 0, elem, -1);
    int64_t m = last->value;
    if (m < 1 || m > r - batch_dims)
        return infer_fail(c, "index tuples of length %lld do not fit data of rank %d with %lld batch "
                          "dims", (long long)m, r, (long long)batch_dims);
    ol_dim out[OL_MAX_RANK * 2];
    int n = 0;
    for (int d = 0; d < q - 1; d++)
        out[n++] = infer_in_dims(c, 1)[d];
    for (int d = (int)(batch_dims + m); d < r; d++)
        out[n++] = infer_in_dims(c, 0)[d];
    return infer_out_tensor_dims(c, 0, elem, n, out);
}

ol_status infer_scatter(infer_ctx *c)
{
    ol_status st;
    for (size_t i = 0; i < 3; i++)
        if ((st = infer_in_require(c, i)) != OL_OK)
            return st;
    size_t idx[2] = {0, 2};
    ol_dtype elem;
    if ((st = infer_common_elem(c, idx, 2, &elem)) != OL_OK)
        return st;
    return infer_out_like_input(c, 0, 0, elem);
}

ol_status infer_one_hot(infer_ctx *c)
{
    ol_status st;
    for (size_t i = 0; i < 3; i++)
        if ((st = infer_in_require(c, i)) != OL_OK)
            return st;
    ol_dtype elem = infer_in_elem(c, 2);
    int64_t axis;
    if ((st = infer_attr_int(c, "axis", -1, &axis)) != OL_OK)
        return st;
    int r = infer_in_rank(c, 0);
    if (r < 0)
        return infer_out_tensor(c, 0, elem, -1);
    if (r + 1 > OL_MAX_RANK)
        return infer_fail(c, "output rank %d is above the limit of %d", r + 1, OL_MAX_RANK);
    int a;
    if ((st = infer_axis_normalize(c, axis, r + 1, "axis", &a)) != OL_OK)
        return st;
    ol_dim depth = dim_unknown();
    known_ints k;
    double f;
    size_t n;
    if (infer_in_known(c, 1, &k) && k.n == 1) {
        depth = infer_dim_from_sym(&k.v[0]);
    } else if (infer_in_const_floats(c, 1, &f, 1, &n) && n == 1 && f >= 0 && f < 9.2e18) {
        depth = dim_of((int64_t)floor(f));  /* a float depth is truncated to an integer */
    }
    if (infer_in_known(c, 1, &k) && k.n == 1 && k.v[0].kind == SYM_VALUE && k.v[0].value < 0)
        return infer_fail(c, "depth %lld is negative", (long long)k.v[0].value);
    ol_dim out[OL_MAX_RANK];
    for (int d = 0, i = 0; d <= r; d++)
        out[d] = d == a ? depth : infer_in_dims(c, 0)[i++];
    return infer_out_tensor_dims(c, 0, elem, r + 1, out);
}

ol_status infer_nonzero(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    int r = infer_in_rank(c, 0);
    /* One row per input axis; how many elements are non-zero is only known at run time. */
    ol_dim out[2] = {r >= 0 ? dim_of(r) : dim_unknown(), dim_unknown()};
    return infer_out_tensor_dims(c, 0, OL_INT64, 2, out);
}

ol_status infer_topk(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int64_t axis;
    if ((st = infer_attr_int(c, "axis", -1, &axis)) != OL_OK)
        return st;
    ol_dim k = dim_unknown();
    if (c->opset < 10) {
        int64_t kv;
        if (!ol_node_attr(c->node, "k"))
            return infer_fail(c, "attribute 'k' is required before opset 10");
        if ((st = infer_attr_int(c, "k", 0, &kv)) != OL_OK)
            return st;
        if (kv < 0)
            return infer_fail(c, "k %lld is negative", (long long)kv);
        k = dim_of(kv);
    } else {
        if ((st = infer_attr_forbidden(c, "k", "k is input 1 from opset 10")) != OL_OK ||
            (st = infer_in_require(c, 1)) != OL_OK)
            return st;
        known_ints kk;
        if (infer_in_known(c, 1, &kk) && kk.n == 1) {
            if (kk.v[0].kind == SYM_VALUE && kk.v[0].value < 0)
                return infer_fail(c, "k %lld is negative", (long long)kk.v[0].value);
            k = infer_dim_from_sym(&kk.v[0]);
        }
    }
    int r = infer_in_rank(c, 0);
    if (r < 0) {
        if ((st = infer_out_tensor(c, 0, elem, -1)) != OL_OK)
            return st;
        return infer_out_tensor(c, 1, OL_INT64, -1);
    }
    int a;
    if ((st = infer_axis_normalize(c, axis, r, "axis", &a)) != OL_OK)
        return st;
    const ol_dim *in = infer_in_dims(c, 0);
    if (dim_known(&k) && dim_known(&in[a]) && k.value > in[a].value)
        return infer_fail(c, "k %lld is larger than axis %d of size %lld", (long long)k.value, a,
                          (long long)in[a].value);
    ol_dim out[OL_MAX_RANK];
    memcpy(out, in, (size_t)r * sizeof *out);
    out[a] = k;
    if ((st = infer_out_tensor_dims(c, 0, elem, r, out)) != OL_OK)
        return st;
    return infer_out_tensor_dims(c, 1, OL_INT64, r, out);
}

ol_status infer_nonmax_suppression(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    /* One (batch, class, box) triple per selected box; how many is decided at run time. */
    ol_dim out[2] = {dim_unknown(), dim_of(3)};
    return infer_out_tensor_dims(c, 0, OL_INT64, 2, out);
}

/* Dims of input 0 with axis `a` unknown, or a 1-D unknown length when there is no axis. */
static ol_status out_selected(infer_ctx *c, size_t o, ol_dtype elem, bool has_axis, int a)
{
    if (!has_axis)
        return infer_out_tensor(c, o, elem, 1);
    ol_dim out[OL_MAX_RANK];
    int r = infer_in_rank(c, 0);
    memcpy(out, infer_in_dims(c, 0), (size_t)r * sizeof *out);
    out[a] = dim_unknown();
    return infer_out_tensor_dims(c, o, elem, r, out);
}

/* Reads the optional 'axis' of Compress and Unique against input 0's rank. */
static ol_status optional_axis(infer_ctx *c, bool *has_axis, int *a)
{
    int64_t axis;
    ol_status st = infer_attr_int(c, "axis", 0, &axis);
    *has_axis = ol_node_attr(c->node, "axis") != NULL;
    *a = 0;
    if (st != OL_OK || !*has_axis || infer_in_rank(c, 0) < 0)
        return st;
    return infer_axis_normalize(c, axis, infer_in_rank(c, 0), "axis", a);
}

ol_status infer_compress(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    bool has_axis;
    int a;
    if ((st = optional_axis(c, &has_axis, &a)) != OL_OK)
        return st;
    if (has_axis && infer_in_rank(c, 0) < 0)
        return infer_out_tensor(c, 0, infer_in_elem(c, 0), -1);
    return out_selected(c, 0, infer_in_elem(c, 0), has_axis, a);
}

ol_status infer_unique(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    bool has_axis;
    int a;
    if ((st = optional_axis(c, &has_axis, &a)) != OL_OK)
        return st;
    int r = infer_in_rank(c, 0);
    if (has_axis && r < 0) {
        if ((st = infer_out_tensor(c, 0, infer_in_elem(c, 0), -1)) != OL_OK)
            return st;
    } else if ((st = out_selected(c, 0, infer_in_elem(c, 0), has_axis, a)) != OL_OK) {
        return st;
    }
    /* inverse_indices has one entry per input element (or per slice along the axis). */
    ol_dim inverse = dim_unknown();
    if (r >= 0 && has_axis) {
        inverse = infer_in_dims(c, 0)[a];
    } else if (r >= 0) {
        dim_product p;
        if ((st = infer_dims_product(c, infer_in_dims(c, 0), 0, r, &p)) != OL_OK)
            return st;
        inverse = infer_dim_product_as_dim(&p);
    }
    if ((st = infer_out_tensor(c, 1, OL_INT64, 1)) != OL_OK ||
        (st = infer_out_tensor_dims(c, 2, OL_INT64, 1, &inverse)) != OL_OK)
        return st;
    return infer_out_tensor(c, 3, OL_INT64, 1);
}
