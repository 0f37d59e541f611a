/* Dimension algebra shared by the operator families: axes, overflow-checked arithmetic, symbolic
 * products and numpy broadcasting. A dim is a number (value >= 0), a symbol (param) or unknown. */
#include <string.h>

#include "shape/infer_internal.h"

ol_status infer_axis_normalize(infer_ctx *c, int64_t axis, int rank, const char *what, int *out)
{
    *out = 0;
    if (axis < -(int64_t)rank || axis >= rank)
        return infer_fail(c, "%s %lld is out of range for rank %d", what, (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return OL_OK;
}

ol_status infer_axes_to_mask(infer_ctx *c, const int64_t *axes, size_t n, int rank, const char *what,
                             bool *mask)
{
    for (int d = 0; d < rank; d++)
        mask[d] = false;
    for (size_t k = 0; k < n; k++) {
        int a;
        ol_status st = infer_axis_normalize(c, axes[k], rank, what, &a);
        if (st != OL_OK)
            return st;
        if (mask[a])
            return infer_fail(c, "%s lists axis %lld twice", what, (long long)axes[k]);
        mask[a] = true;
    }
    return OL_OK;
}

bool infer_dim_same(const ol_dim *a, const ol_dim *b)
{
    if (dim_known(a) || dim_known(b))
        return a->value == b->value;
    return a->param && b->param && strcmp(a->param, b->param) == 0;
}

ol_status infer_dim_unify(infer_ctx *c, const ol_dim *a, const ol_dim *b, const char *what, ol_dim *out)
{
    if (dim_known(a) && dim_known(b) && a->value != b->value)
        return infer_fail(c, "%s: %lld vs %lld", what, (long long)a->value, (long long)b->value);
    if (dim_known(a) || (!dim_known(b) && a->param))
        *out = *a;
    else
        *out = *b;
    return OL_OK;
}

ol_status infer_checked_add(infer_ctx *c, int64_t a, int64_t b, int64_t *out)
{
    if (__builtin_add_overflow(a, b, out))
        return infer_fail(c, "dimension arithmetic overflows int64 (%lld + %lld)", (long long)a,
                          (long long)b);
    return OL_OK;
}

ol_status infer_checked_sub(infer_ctx *c, int64_t a, int64_t b, int64_t *out)
{
    if (__builtin_sub_overflow(a, b, out))
        return infer_fail(c, "dimension arithmetic overflows int64 (%lld - %lld)", (long long)a,
                          (long long)b);
    return OL_OK;
}

ol_status infer_checked_mul(infer_ctx *c, int64_t a, int64_t b, int64_t *out)
{
    if (__builtin_mul_overflow(a, b, out))
        return infer_fail(c, "dimension arithmetic overflows int64 (%lld * %lld)", (long long)a,
                          (long long)b);
    return OL_OK;
}

ol_status infer_dims_product(infer_ctx *c, const ol_dim *dims, int from, int to, dim_product *p)
{
    *p = (dim_product){.value = 1};
    for (int d = from; d < to; d++) {
        if (dim_known(&dims[d])) {
            ol_status st = infer_checked_mul(c, p->value, dims[d].value, &p->value);
            if (st != OL_OK)
                return st;
        } else if (dims[d].param) {
            p->params[p->n_params++] = dims[d].param;
        } else {
            p->unknown = true;
        }
    }
    return OL_OK;
}

ol_dim infer_dim_product_as_dim(const dim_product *p)
{
    if (p->value == 0)
        return dim_of(0);  /* a zero factor wins over anything unknown */
    if (p->unknown)
        return dim_unknown();
    if (p->n_params == 0)
        return dim_of(p->value);
    if (p->n_params == 1 && p->value == 1)
        return (ol_dim){.value = -1, .param = (char *)p->params[0]};
    return dim_unknown();
}

/* One broadcast dim. A symbol may stand for 1 at run time, so two different symbols (or a symbol
 * and an unknown) broadcast to an unknown dim, while a number other than 1 decides the result. */
static ol_status broadcast_one(infer_ctx *c, const ol_dim *a, const ol_dim *b, int axis, ol_dim *out)
{
    if (dim_known(a) && dim_known(b)) {
        if (a->value != b->value && a->value != 1 && b->value != 1)
            return infer_fail(c, "cannot broadcast dimension %lld with %lld (output axis %d)",
                              (long long)a->value, (long long)b->value, axis);
        *out = a->value == 1 ? *b : *a;
        return OL_OK;
    }
    if (dim_known(a)) {
        *out = a->value == 1 ? *b : *a;
        return OL_OK;
    }
    if (dim_known(b)) {
        *out = b->value == 1 ? *a : *b;
        return OL_OK;
    }
    *out = infer_dim_same(a, b) ? *a : dim_unknown();
    return OL_OK;
}

ol_status infer_broadcast_dims(infer_ctx *c, const ol_dim *a, int ra, const ol_dim *b, int rb, ol_dim *out,
                               int *rout)
{
    int r = ra > rb ? ra : rb;
    if (r > OL_MAX_RANK)
        return infer_fail(c, "broadcast rank %d is above the limit of %d", r, OL_MAX_RANK);
    for (int k = 0; k < r; k++) {
        /* Align from the right: axis k of the result is axis k - (r - ra) of a. */
        int ia = k - (r - ra), ib = k - (r - rb);
        ol_dim one = dim_of(1);
        const ol_dim *da = ia >= 0 ? &a[ia] : &one;
        const ol_dim *db = ib >= 0 ? &b[ib] : &one;
        ol_status st = broadcast_one(c, da, db, k, &out[k]);
        if (st != OL_OK)
            return st;
    }
    *rout = r;
    return OL_OK;
}

ol_status infer_broadcast_inputs(infer_ctx *c, const size_t *inputs, size_t n, ol_dim *out, int *rank)
{
    int r = 0;
    bool rank_unknown = false;
    for (size_t k = 0; k < n; k++) {
        if (!infer_in_present(c, inputs[k]))
            continue;
        int ri = infer_in_rank(c, inputs[k]);
        if (ri < 0) {
            rank_unknown = true;
            continue;
        }
        ol_dim acc[OL_MAX_RANK];
        memcpy(acc, out, (size_t)r * sizeof *acc);
        ol_status st = infer_broadcast_dims(c, acc, r, infer_in_dims(c, inputs[k]), ri, out, &r);
        if (st != OL_OK)
            return st;
    }
    *rank = rank_unknown ? -1 : r;
    return OL_OK;
}

ol_status infer_common_elem(infer_ctx *c, const size_t *inputs, size_t n, ol_dtype *out)
{
    *out = OL_UNDEFINED;
    size_t first = 0;
    for (size_t k = 0; k < n; k++) {
        ol_dtype e = infer_in_elem(c, inputs[k]);
        if (e == OL_UNDEFINED)
            continue;
        if (*out != OL_UNDEFINED && *out != e)
            return infer_fail(c, "inputs %zu and %zu have different element types (%s vs %s)",
                              first, inputs[k], ol_dtype_name(*out), ol_dtype_name(e));
        if (*out == OL_UNDEFINED)
            first = inputs[k];
        *out = e;
    }
    return OL_OK;
}

ol_status infer_read_axes(infer_ctx *c, int64_t input_since, size_t input, axes_arg *axes)
{
    *axes = (axes_arg){.count = -1};
    ol_status st;
    if (c->opset < input_since) {
        if (infer_in_present(c, input))
            return infer_fail(c, "takes axes as an attribute before opset %lld, not as input %zu "
                              "(opset %lld)", (long long)input_since, input, (long long)c->opset);
        const int64_t *v;
        size_t n;
        if ((st = infer_attr_ints(c, "axes", &v, &n)) != OL_OK)
            return st;
        if (!v)
            return OL_OK;
        if (n > OL_MAX_RANK)
            return infer_fail(c, "attribute 'axes' has %zu values", n);
        axes->given = axes->known = true;
        axes->count = (int64_t)n;
        memcpy(axes->values, v, n * sizeof *v);
        return OL_OK;
    }
    if (ol_node_attr(c->node, "axes"))
        return infer_fail(c, "takes axes as input %zu from opset %lld, not as an attribute (opset %lld)",
                          input, (long long)input_since, (long long)c->opset);
    if (!infer_in_present(c, input))
        return OL_OK;
    axes->given = true;
    known_ints k;
    if (infer_in_known(c, input, &k)) {
        axes->count = (int64_t)k.n;
        axes->known = true;
        for (size_t i = 0; i < k.n; i++) {
            if (k.v[i].kind != SYM_VALUE)
                axes->known = false;
            axes->values[i] = k.v[i].value;
        }
        return OL_OK;
    }
    int r = infer_in_rank(c, input);
    if (r == 0)
        axes->count = 1;
    else if (r == 1 && dim_known(&infer_in_dims(c, input)[0]))
        axes->count = infer_in_dims(c, input)[0].value;
    return OL_OK;
}
