/* Ops that rearrange a tensor's dims without reordering its data: Reshape, Flatten, Squeeze,
 * Unsqueeze; and the repeating ones: Expand and Tile. Their shape operands are often computed in
 * the graph, so they read them through the known-contents table. */
#include <string.h>

#include "shape/infer_internal.h"

/* Removes from `from` one occurrence of each symbol of `cancel`; false when one is missing. */
static bool cancel_symbols(dim_product *from, const dim_product *cancel)
{
    for (int i = 0; i < cancel->n_params; i++) {
        int found = -1;
        for (int j = 0; j < from->n_params && found < 0; j++)
            if (strcmp(from->params[j], cancel->params[i]) == 0)
                found = j;
        if (found < 0)
            return false;
        from->params[found] = from->params[--from->n_params];
    }
    return true;
}

/* Solves input_elements = other_target_elements * x for the -1 entry of a Reshape target, cancelling
 * symbols that appear on both sides ([batch, seq, 12, 64] -> [batch, seq, -1] gives 768). */
static ol_status solve_inferred_dim(infer_ctx *c, const dim_product *in, const dim_product *rest,
                                    ol_dim *out)
{
    dim_product left = *in;
    *out = dim_unknown();
    if (in->unknown || rest->unknown || rest->value == 0 || !cancel_symbols(&left, rest))
        return OL_OK;
    if (left.n_params == 0) {
        if (left.value % rest->value != 0)
            return infer_fail(c, "cannot reshape %lld elements into a shape with a multiple of %lld",
                              (long long)left.value, (long long)rest->value);
        *out = dim_of(left.value / rest->value);
    } else if (left.n_params == 1 && left.value == rest->value) {
        *out = (ol_dim){.value = -1, .param = (char *)left.params[0]};
    }
    return OL_OK;
}

/* Fails when both element counts are fully determined (after cancelling symbols) and differ. */
static ol_status check_same_count(infer_ctx *c, const dim_product *in, const dim_product *out)
{
    dim_product left = *in;
    if (in->unknown || out->unknown || !cancel_symbols(&left, out) || left.n_params != 0)
        return OL_OK;
    if (left.value != out->value)
        return infer_fail(c, "input has %lld elements%s but the target shape has %lld",
                          (long long)left.value, out->n_params ? " (besides common symbols)" : "",
                          (long long)out->value);
    return OL_OK;
}

/* Reshape of a known 0-D/1-D integer value keeps its contents. */
static void propagate_reshape(infer_ctx *c, int rank, const ol_dim *dims)
{
    known_ints k;
    if (rank > 1 || !infer_in_known(c, 0, &k))
        return;
    if ((rank == 0 && k.n == 1) || (rank == 1 && dim_known(&dims[0]) && (size_t)dims[0].value == k.n)) {
        k.rank = rank;
        infer_out_set_known(c, 0, &k);
    }
}

ol_status infer_reshape(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int64_t allow_zero;
    if ((st = infer_attr_int(c, "allowzero", 0, &allow_zero)) != OL_OK)
        return st;
    known_ints target;
    if (c->opset < 5) {
        /* Reshape-1 took the target shape as an attribute. */
        const int64_t *v;
        size_t n;
        if ((st = infer_attr_ints(c, "shape", &v, &n)) != OL_OK)
            return st;
        if (!v)
            return infer_out_tensor(c, 0, elem, -1);
        if (n > KNOWN_MAX_ELEMS)
            return infer_fail(c, "target shape has %zu dims, above the limit of %d", n, OL_MAX_RANK);
        target.rank = 1;
        target.n = n;
        for (size_t i = 0; i < n; i++)
            target.v[i] = (sym_int){.kind = SYM_VALUE, .value = v[i]};
    } else {
        if ((st = infer_in_require(c, 1)) != OL_OK)
            return st;
        int rs = infer_in_rank(c, 1);
        if (rs > 1)
            return infer_fail(c, "shape input must be 1-D, not rank %d", rs);
        if (!infer_in_known(c, 1, &target)) {
            bool len_known = rs == 1 && dim_known(&infer_in_dims(c, 1)[0]);
            return infer_out_tensor(c, 0, elem, len_known ? (int)infer_in_dims(c, 1)[0].value : -1);
        }
    }
    int rin = infer_in_rank(c, 0);
    const ol_dim *in = infer_in_dims(c, 0);
    int rank = (int)target.n, infer_at = -1;
    ol_dim out[OL_MAX_RANK];
    for (int i = 0; i < rank; i++) {
        const sym_int *t = &target.v[i];
        if (t->kind != SYM_VALUE) {
            out[i] = infer_dim_from_sym(t);
        } else if (t->value == -1) {
            if (infer_at >= 0)
                return infer_fail(c, "target shape has more than one -1 (positions %d and %d)",
                                  infer_at, i);
            infer_at = i;
            out[i] = dim_unknown();
        } else if (t->value < -1) {
            return infer_fail(c, "target shape has invalid value %lld at position %d",
                              (long long)t->value, i);
        } else if (t->value == 0 && !allow_zero) {
            if (rin >= 0 && i >= rin)
                return infer_fail(c, "target shape copies dim %d (0) but the input has rank %d", i, rin);
            out[i] = rin >= 0 ? in[i] : dim_unknown();
        } else {
            out[i] = dim_of(t->value);
        }
    }
    if (allow_zero && infer_at >= 0)
        for (int i = 0; i < rank; i++)
            if (dim_known(&out[i]) && out[i].value == 0)
                return infer_fail(c, "target shape has both 0 and -1 while allowzero is set");
    if (rin >= 0) {
        dim_product pin, pout;
        if ((st = infer_dims_product(c, in, 0, rin, &pin)) != OL_OK)
            return st;
        if (infer_at >= 0) {
            ol_dim rest[OL_MAX_RANK];
            int n = 0;
            for (int i = 0; i < rank; i++)
                if (i != infer_at)
                    rest[n++] = out[i];
            if ((st = infer_dims_product(c, rest, 0, n, &pout)) != OL_OK ||
                (st = solve_inferred_dim(c, &pin, &pout, &out[infer_at])) != OL_OK)
                return st;
        } else {
            if ((st = infer_dims_product(c, out, 0, rank, &pout)) != OL_OK ||
                (st = check_same_count(c, &pin, &pout)) != OL_OK)
                return st;
        }
    }
    propagate_reshape(c, rank, out);
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}

ol_status infer_flatten(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    int64_t axis;
    if ((st = infer_attr_int(c, "axis", 1, &axis)) != OL_OK)
        return st;
    int rank = infer_in_rank(c, 0);
    if (rank < 0)
        return infer_out_tensor(c, 0, infer_in_elem(c, 0), 2);
    /* Unlike most axes, Flatten's may equal the rank (everything goes into the first dim). */
    if (axis < -(int64_t)rank || axis > rank)
        return infer_fail(c, "axis %lld is out of range for rank %d", (long long)axis, rank);
    int a = (int)(axis < 0 ? axis + rank : axis);
    dim_product outer, inner;
    if ((st = infer_dims_product(c, infer_in_dims(c, 0), 0, a, &outer)) != OL_OK ||
        (st = infer_dims_product(c, infer_in_dims(c, 0), a, rank, &inner)) != OL_OK)
        return st;
    ol_dim out[2] = {infer_dim_product_as_dim(&outer), infer_dim_product_as_dim(&inner)};
    return infer_out_tensor_dims(c, 0, infer_in_elem(c, 0), 2, out);
}

ol_status infer_squeeze(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    axes_arg axes;
    if ((st = infer_read_axes(c, 13, 1, &axes)) != OL_OK)
        return st;
    int rank = infer_in_rank(c, 0);
    const ol_dim *in = infer_in_dims(c, 0);
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    bool mask[OL_MAX_RANK];
    if (!axes.given || axes.count == 0) {
        /* Without axes every size-1 dim goes: unknowable while some dim is not a number. */
        for (int d = 0; d < rank; d++) {
            if (!dim_known(&in[d]))
                return infer_out_tensor(c, 0, elem, -1);
            mask[d] = in[d].value == 1;
        }
    } else if (!axes.known) {
        bool count_known = axes.count >= 0 && axes.count <= rank;
        return infer_out_tensor(c, 0, elem, count_known ? rank - (int)axes.count : -1);
    } else if ((st = infer_axes_to_mask(c, axes.values, (size_t)axes.count, rank, "axes", mask)) != OL_OK) {
        return st;
    }
    ol_dim out[OL_MAX_RANK];
    int r = 0;
    for (int d = 0; d < rank; d++) {
        if (!mask[d]) {
            out[r++] = in[d];
        } else if (dim_known(&in[d]) && in[d].value != 1) {
            return infer_fail(c, "cannot squeeze axis %d of size %lld", d, (long long)in[d].value);
        }
    }
    known_ints k;
    if (r == 0 && infer_in_known(c, 0, &k) && k.n == 1) {
        k.rank = 0;
        infer_out_set_known(c, 0, &k);
    }
    return infer_out_tensor_dims(c, 0, elem, r, out);
}

ol_status infer_unsqueeze(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    axes_arg axes;
    if ((st = infer_read_axes(c, 13, 1, &axes)) != OL_OK)
        return st;
    if (!axes.given)
        return infer_fail(c, "needs axes");
    int rank = infer_in_rank(c, 0);
    if (rank < 0 || axes.count < 0)
        return infer_out_tensor(c, 0, elem, -1);
    if (axes.count > OL_MAX_RANK - rank)
        return infer_fail(c, "%lld new axes on rank %d exceed the rank limit of %d",
                          (long long)axes.count, rank, OL_MAX_RANK);
    int out_rank = rank + (int)axes.count;
    if (!axes.known)
        return infer_out_tensor(c, 0, elem, out_rank);
    bool mask[OL_MAX_RANK];
    if ((st = infer_axes_to_mask(c, axes.values, (size_t)axes.count, out_rank, "axes", mask)) != OL_OK)
        return st;
    ol_dim out[OL_MAX_RANK];
    const ol_dim *in = infer_in_dims(c, 0);
    for (int d = 0, i = 0; d < out_rank; d++)
        out[d] = mask[d] ? dim_of(1) : in[i++];
    known_ints k;
    if (out_rank == 1 && infer_in_known(c, 0, &k) && k.n == 1) {
        k.rank = 1;
        infer_out_set_known(c, 0, &k);
    }
    return infer_out_tensor_dims(c, 0, elem, out_rank, out);
}

/* Dims of a shape operand: known contents, or as many unknown dims as its static length. */
static ol_status shape_operand(infer_ctx *c, size_t i, const char *what, ol_dim *dims, int *n)
{
    *n = -1;
    int r = infer_in_rank(c, i);
    if (r > 1)
        return infer_fail(c, "%s must be 1-D, not rank %d", what, r);
    known_ints k;
    if (infer_in_known(c, i, &k)) {
        *n = (int)k.n;
        for (size_t e = 0; e < k.n; e++) {
            if (k.v[e].kind == SYM_VALUE && k.v[e].value < 0)
                return infer_fail(c, "%s has negative value %lld", what, (long long)k.v[e].value);
            dims[e] = infer_dim_from_sym(&k.v[e]);
        }
        return OL_OK;
    }
    *n = -1;
    if (r == 1 && dim_known(&infer_in_dims(c, i)[0]) && infer_in_dims(c, i)[0].value <= OL_MAX_RANK) {
        *n = (int)infer_in_dims(c, i)[0].value;
        for (int e = 0; e < *n; e++)
            dims[e] = dim_unknown();
    }
    return OL_OK;
}

ol_status infer_expand(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    ol_dim target[OL_MAX_RANK], out[OL_MAX_RANK];
    int n, rank = infer_in_rank(c, 0);
    if ((st = shape_operand(c, 1, "shape", target, &n)) != OL_OK)
        return st;
    if (n < 0 || rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    int r;
    if ((st = infer_broadcast_dims(c, infer_in_dims(c, 0), rank, target, n, out, &r)) != OL_OK)
        return st;
    return infer_out_tensor_dims(c, 0, elem, r, out);
}

ol_status infer_tile(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int rank = infer_in_rank(c, 0);
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    const ol_dim *in = infer_in_dims(c, 0);
    int64_t repeats[OL_MAX_RANK];
    bool repeat_known[OL_MAX_RANK];
    known_ints k;
    if (c->opset < 6) {
        /* Tile-1: input 1 is the repeat count for the single axis given by input 2. */
        for (int d = 0; d < rank; d++) {
            repeats[d] = 1;
            repeat_known[d] = true;
        }
        known_ints axis;
        bool tiles_known = infer_in_known(c, 1, &k) && k.n == 1 && k.v[0].kind == SYM_VALUE;
        if (!infer_in_known(c, 2, &axis) || axis.n != 1 || axis.v[0].kind != SYM_VALUE)
            return infer_out_tensor(c, 0, elem, rank);
        int a;
        if ((st = infer_axis_normalize(c, axis.v[0].value, rank, "axis", &a)) != OL_OK)
            return st;
        repeats[a] = tiles_known ? k.v[0].value : 0;
        repeat_known[a] = tiles_known;
    } else {
        if (!infer_in_known(c, 1, &k))
            return infer_out_tensor(c, 0, elem, rank);
        if (k.n != (size_t)rank)
            return infer_fail(c, "repeats has %zu values for an input of rank %d", k.n, rank);
        for (int d = 0; d < rank; d++) {
            repeat_known[d] = k.v[d].kind == SYM_VALUE;
            repeats[d] = k.v[d].value;
        }
    }
    ol_dim out[OL_MAX_RANK];
    for (int d = 0; d < rank; d++) {
        if (repeat_known[d] && repeats[d] < 0)
            return infer_fail(c, "repeats has negative value %lld", (long long)repeats[d]);
        if (!repeat_known[d])
            out[d] = dim_unknown();
        else if (repeats[d] == 1)
            out[d] = in[d];
        else if (repeats[d] == 0)
            out[d] = dim_of(0);
        else if (!dim_known(&in[d]))
            out[d] = dim_unknown();
        else {
            int64_t v;
            if ((st = infer_checked_mul(c, in[d].value, repeats[d], &v)) != OL_OK)
                return st;
            out[d] = dim_of(v);
        }
    }
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}
