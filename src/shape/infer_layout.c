/* Ops that move data between axes or join and cut tensors: Transpose, Concat, Split, Pad,
 * DepthToSpace and SpaceToDepth. */
#include <string.h>

#include "shape/infer_internal.h"

ol_status infer_transpose(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    const int64_t *perm;
    size_t n;
    if ((st = infer_attr_ints(c, "perm", &perm, &n)) != OL_OK)
        return st;
    int rank = infer_in_rank(c, 0);
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, perm && n <= OL_MAX_RANK ? (int)n : -1);
    if (perm && n != (size_t)rank)
        return infer_fail(c, "perm has %zu values for an input of rank %d", n, rank);
    bool used[OL_MAX_RANK] = {false};
    ol_dim out[OL_MAX_RANK];
    for (int d = 0; d < rank; d++) {
        int64_t p = perm ? perm[d] : rank - 1 - d;
        if (p < 0 || p >= rank || used[p])
            return infer_fail(c, "perm is not a permutation of 0..%d (value %lld at position %d)",
                              rank - 1, (long long)p, d);
        used[p] = true;
        out[d] = infer_in_dims(c, 0)[p];
    }
    known_ints k;
    if (rank <= 1 && infer_in_known(c, 0, &k))
        infer_out_set_known(c, 0, &k);
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}

/* Concat of 1-D integer values (shape vectors being assembled); unknown parts stay unknown. */
static void propagate_concat(infer_ctx *c)
{
    known_ints all = {.rank = 1, .n = 0}, k;
    for (size_t i = 0; i < infer_in_count(c); i++) {
        if (!infer_in_known_partial(c, i, &k) || k.rank != 1 || all.n + k.n > KNOWN_MAX_ELEMS)
            return;
        memcpy(&all.v[all.n], k.v, k.n * sizeof *k.v);
        all.n += k.n;
    }
    infer_out_set_known(c, 0, &all);
}

ol_status infer_concat(infer_ctx *c)
{
    size_t n = infer_in_count(c);
    if (n == 0)
        return infer_fail(c, "needs at least one input");
    ol_status st;
    for (size_t i = 0; i < n; i++)
        if ((st = infer_in_require(c, i)) != OL_OK)
            return st;
    ol_dtype elem = OL_UNDEFINED;
    int rank = -1;
    bool some_rank_unknown = false;
    for (size_t i = 0; i < n; i++) {
        ol_dtype e = infer_in_elem(c, i);
        if (e != OL_UNDEFINED && elem != OL_UNDEFINED && e != elem)
            return infer_fail(c, "input %zu is %s but an earlier input is %s", i, ol_dtype_name(e),
                              ol_dtype_name(elem));
        if (e != OL_UNDEFINED)
            elem = e;
        int r = infer_in_rank(c, i);
        if (r < 0)
            some_rank_unknown = true;
        else if (rank >= 0 && r != rank)
            return infer_fail(c, "input %zu has rank %d but an earlier input has rank %d", i, r, rank);
        else
            rank = r;
    }
    if (ol_node_attr(c->node, "axis") == NULL && c->opset >= 4)
        return infer_fail(c, "attribute 'axis' is required");
    int64_t axis;
    if ((st = infer_attr_int(c, "axis", 1, &axis)) != OL_OK)
        return st;
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    if (rank == 0)
        return infer_fail(c, "cannot concatenate scalars");
    int a;
    if ((st = infer_axis_normalize(c, axis, rank, "axis", &a)) != OL_OK)
        return st;
    ol_dim out[OL_MAX_RANK];
    for (int d = 0; d < rank; d++)
        out[d] = d == a ? dim_of(0) : dim_unknown();
    for (size_t i = 0; i < n; i++) {
        if (infer_in_rank(c, i) < 0)
            continue;
        const ol_dim *in = infer_in_dims(c, i);
        for (int d = 0; d < rank; d++) {
            if (d != a) {
                if ((st = infer_dim_unify(c, &out[d], &in[d], "inputs differ outside the concatenation axis",
                                          &out[d])) != OL_OK)
                    return st;
            } else if (dim_known(&out[d]) && dim_known(&in[d])) {
                if ((st = infer_checked_add(c, out[d].value, in[d].value, &out[d].value)) != OL_OK)
                    return st;
            } else if (dim_known(&out[d]) && out[d].value == 0 && in[d].param) {
                out[d] = in[d];  /* 0 + a symbol, so far */
            } else if (!(dim_known(&in[d]) && in[d].value == 0)) {
                out[d] = dim_unknown();
            }
        }
    }
    if (some_rank_unknown)
        out[a] = dim_unknown();
    propagate_concat(c);
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}

/* Most outputs a Split can have for its sizes to be tracked. */
#define SPLIT_MAX 4096

/* Split sizes from the attribute (before opset 13) or input 1; *known false when not computable. */
static ol_status split_sizes(infer_ctx *c, int64_t *sizes, size_t *n, bool *given, bool *known)
{
    ol_status st;
    *given = *known = false;
    if (c->opset < 13) {
        if (infer_in_present(c, 1))
            return infer_fail(c, "takes 'split' as an attribute before opset 13, not as an input");
        const int64_t *v;
        if ((st = infer_attr_ints(c, "split", &v, n)) != OL_OK)
            return st;
        if (!v)
            return OL_OK;
        if (*n > SPLIT_MAX)
            return infer_fail(c, "attribute 'split' has %zu values", *n);
        *given = *known = true;
        memcpy(sizes, v, *n * sizeof *v);
        return OL_OK;
    }
    if (ol_node_attr(c->node, "split"))
        return infer_fail(c, "takes 'split' as an input from opset 13, not as an attribute");
    if (!infer_in_present(c, 1))
        return OL_OK;
    *given = true;
    *known = infer_in_const_ints(c, 1, sizes, SPLIT_MAX, n);
    known_ints k;
    if (!*known && infer_in_known(c, 1, &k)) {
        *known = true;
        *n = k.n;
        for (size_t i = 0; i < k.n; i++) {
            *known &= k.v[i].kind == SYM_VALUE;
            sizes[i] = k.v[i].value;
        }
    }
    return OL_OK;
}

ol_status infer_split(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    size_t n_out = c->node->n_outputs;
    int64_t axis, num_outputs;
    if ((st = infer_attr_int(c, "axis", 0, &axis)) != OL_OK ||
        (st = infer_attr_int(c, "num_outputs", 0, &num_outputs)) != OL_OK)
        return st;
    if (c->opset < 18 && ol_node_attr(c->node, "num_outputs"))
        return infer_fail(c, "attribute 'num_outputs' needs opset 18 (model has %lld)", (long long)c->opset);
    int64_t local_sizes[SPLIT_MAX];
    size_t n_sizes = 0;
    bool given, known;
    if ((st = split_sizes(c, local_sizes, &n_sizes, &given, &known)) != OL_OK)
        return st;
    if (given && ol_node_attr(c->node, "num_outputs"))
        return infer_fail(c, "takes either 'split' or 'num_outputs', not both");
    if (ol_node_attr(c->node, "num_outputs") && (num_outputs < 1 || (uint64_t)num_outputs != n_out))
        return infer_fail(c, "num_outputs is %lld but the node has %zu outputs", (long long)num_outputs,
                          n_out);
    if (c->opset >= 18 && !given && !ol_node_attr(c->node, "num_outputs"))
        return infer_fail(c, "needs either the 'split' input or the 'num_outputs' attribute");
    if (known && n_sizes != n_out)
        return infer_fail(c, "split has %zu sizes for %zu outputs", n_sizes, n_out);
    int rank = infer_in_rank(c, 0);
    if (rank < 0) {
        for (size_t o = 0; o < n_out; o++)
            if ((st = infer_out_tensor(c, o, elem, -1)) != OL_OK)
                return st;
        return OL_OK;
    }
    int a;
    if ((st = infer_axis_normalize(c, axis, rank, "axis", &a)) != OL_OK)
        return st;
    const ol_dim *in = infer_in_dims(c, 0);
    int64_t total = 0;
    if (known) {
        for (size_t o = 0; o < n_sizes; o++) {
            if (local_sizes[o] < 0)
                return infer_fail(c, "split size %lld is negative", (long long)local_sizes[o]);
            if ((st = infer_checked_add(c, total, local_sizes[o], &total)) != OL_OK)
                return st;
        }
        if (dim_known(&in[a]) && total != in[a].value)
            return infer_fail(c, "split sizes add up to %lld but axis %d has %lld", (long long)total, a,
                              (long long)in[a].value);
    } else if (!given && dim_known(&in[a]) && n_out > 0 && n_out <= SPLIT_MAX) {
        /* Equal parts; from opset 18 the last one may be smaller. */
        int64_t dim = in[a].value, parts = (int64_t)n_out, chunk = dim / parts;
        if (dim % parts != 0) {
            if (c->opset < 18)
                return infer_fail(c, "axis %d of size %lld does not split into %zu equal parts", a,
                                  (long long)dim, n_out);
            chunk++;
        }
        int64_t last;
        if ((st = infer_checked_mul(c, chunk, parts - 1, &last)) != OL_OK)
            return st;
        last = dim - last;
        if (last < 0)
            return infer_fail(c, "axis %d of size %lld cannot be split into %zu parts", a,
                              (long long)dim, n_out);
        for (size_t o = 0; o < n_out; o++)
            local_sizes[o] = o + 1 == n_out ? last : chunk;
        known = true;
    }
    ol_dim out[OL_MAX_RANK];
    memcpy(out, in, (size_t)rank * sizeof *out);
    for (size_t o = 0; o < n_out; o++) {
        if (!infer_out_present(c, o))
            continue;
        out[a] = known ? dim_of(local_sizes[o]) : dim_unknown();
        if ((st = infer_out_tensor_dims(c, o, elem, rank, out)) != OL_OK)
            return st;
    }
    known_ints k;
    if (known && rank == 1 && infer_in_known(c, 0, &k)) {
        size_t pos = 0;
        for (size_t o = 0; o < n_out && pos + (size_t)local_sizes[o] <= k.n; o++) {
            known_ints part = {.rank = 1, .n = (size_t)local_sizes[o]};
            memcpy(part.v, &k.v[pos], part.n * sizeof *part.v);
            pos += part.n;
            infer_out_set_known(c, o, &part);
        }
    }
    return OL_OK;
}

ol_status infer_pad(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int rank = infer_in_rank(c, 0);
    sym_int pads[2 * OL_MAX_RANK];
    size_t n_pads = 0;
    bool pads_known = false;
    if (c->opset < 11) {
        /* The attribute was named 'paddings' in Pad-1 and 'pads' from Pad-2. */
        const char *name = c->opset < 2 ? "paddings" : "pads";
        const int64_t *v;
        if ((st = infer_attr_ints(c, name, &v, &n_pads)) != OL_OK)
            return st;
        if (!v)
            return infer_fail(c, "attribute '%s' is required", name);
        if (n_pads > 2 * OL_MAX_RANK)
            return infer_fail(c, "attribute '%s' has %zu values", name, n_pads);
        for (size_t i = 0; i < n_pads; i++)
            pads[i] = (sym_int){.kind = SYM_VALUE, .value = v[i]};
        pads_known = true;
    } else {
        if ((st = infer_attr_forbidden(c, "pads", "pads are input 1 from opset 11")) != OL_OK ||
            (st = infer_in_require(c, 1)) != OL_OK)
            return st;
        known_ints k;
        if (infer_in_known(c, 1, &k)) {
            n_pads = k.n;
            memcpy(pads, k.v, k.n * sizeof *k.v);
            pads_known = true;
        }
    }
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    /* Which axes the pads refer to: all of them, or the 'axes' input (opset 18). */
    int64_t axes[OL_MAX_RANK];
    size_t n_axes = (size_t)rank;
    for (int d = 0; d < rank; d++)
        axes[d] = d;
    if (infer_in_present(c, 3)) {
        if (c->opset < 18)
            return infer_fail(c, "input 'axes' needs opset 18 (model has %lld)", (long long)c->opset);
        known_ints k;
        if (!infer_in_known(c, 3, &k))
            return infer_out_tensor(c, 0, elem, rank);
        n_axes = k.n;
        for (size_t i = 0; i < k.n; i++) {
            if (k.v[i].kind != SYM_VALUE)
                return infer_out_tensor(c, 0, elem, rank);
            axes[i] = k.v[i].value;
        }
        bool mask[OL_MAX_RANK];
        if ((st = infer_axes_to_mask(c, axes, n_axes, rank, "axes", mask)) != OL_OK)
            return st;
    }
    if (!pads_known)
        return infer_out_tensor(c, 0, elem, rank);
    if (n_pads != 2 * n_axes)
        return infer_fail(c, "pads has %zu values for %zu axes (needs %zu)", n_pads, n_axes, 2 * n_axes);
    ol_dim out[OL_MAX_RANK];
    memcpy(out, infer_in_dims(c, 0), (size_t)rank * sizeof *out);
    for (size_t i = 0; i < n_axes; i++) {
        int d = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
        const sym_int *begin = &pads[i], *end = &pads[n_axes + i];
        if (begin->kind != SYM_VALUE || end->kind != SYM_VALUE) {
            out[d] = dim_unknown();
            continue;
        }
        int64_t total;
        if ((st = infer_checked_add(c, begin->value, end->value, &total)) != OL_OK)
            return st;
        if (!dim_known(&out[d])) {
            if (total != 0 || begin->value != 0)
                out[d] = dim_unknown();
            continue;
        }
        if ((st = infer_checked_add(c, out[d].value, total, &out[d].value)) != OL_OK)
            return st;
        if (out[d].value < 0)
            return infer_fail(c, "padding makes axis %d negative (%lld)", d, (long long)out[d].value);
    }
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}

static ol_status read_blocksize(infer_ctx *c, int64_t *b)
{
    ol_status st = infer_attr_int(c, "blocksize", 0, b);
    if (st != OL_OK)
        return st;
    if (*b < 1)
        return infer_fail(c, "attribute 'blocksize' must be a positive integer");
    return OL_OK;
}

/* [N, C, H, W] -> [N, C / b^2, H * b, W * b] (DepthToSpace) or the inverse (SpaceToDepth). */
static ol_status block_rearrange(infer_ctx *c, bool to_space)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    int64_t b, bb;
    if ((st = read_blocksize(c, &b)) != OL_OK || (st = infer_checked_mul(c, b, b, &bb)) != OL_OK)
        return st;
    int rank = infer_in_rank(c, 0);
    if (rank < 0)
        return infer_out_tensor(c, 0, infer_in_elem(c, 0), 4);
    if (rank != 4)
        return infer_fail(c, "input must have rank 4, not %d", rank);
    const ol_dim *in = infer_in_dims(c, 0);
    ol_dim out[4] = {in[0], dim_unknown(), dim_unknown(), dim_unknown()};
    int64_t shrink = to_space ? bb : b;  /* divisor on the channel (to_space) or spatial axes */
    for (int d = 1; d < 4; d++) {
        if (!dim_known(&in[d]))
            continue;
        bool divide = to_space ? d == 1 : d > 1;
        int64_t v = in[d].value;
        if (divide) {
            if (v % shrink != 0)
                return infer_fail(c, "axis %d of size %lld is not a multiple of %lld", d, (long long)v,
                                  (long long)shrink);
            out[d] = dim_of(v / shrink);
        } else {
            int64_t grow = to_space ? b : bb;
            if ((st = infer_checked_mul(c, v, grow, &v)) != OL_OK)
                return st;
            out[d] = dim_of(v);
        }
    }
    return infer_out_tensor_dims(c, 0, infer_in_elem(c, 0), 4, out);
}

ol_status infer_depth_to_space(infer_ctx *c)
{
    return block_rearrange(c, true);
}

ol_status infer_space_to_depth(infer_ctx *c)
{
    return block_rearrange(c, false);
}

/* CenterCropPad: the listed axes (default all) take the sizes of the 'shape' input. */
ol_status infer_center_crop_pad(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int rank = infer_in_rank(c, 0);
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    const int64_t *axes;
    size_t n_axes;
    if ((st = infer_attr_ints(c, "axes", &axes, &n_axes)) != OL_OK)
        return st;
    int64_t all[OL_MAX_RANK];
    if (!axes) {
        for (int d = 0; d < rank; d++)
            all[d] = d;
        axes = all;
        n_axes = (size_t)rank;
    }
    bool mask[OL_MAX_RANK];
    if ((st = infer_axes_to_mask(c, axes, n_axes, rank, "axes", mask)) != OL_OK)
        return st;
    known_ints shape;
    bool known = infer_in_known(c, 1, &shape);
    if (known && shape.n != n_axes)
        return infer_fail(c, "shape has %zu values for %zu axes", shape.n, n_axes);
    ol_dim out[OL_MAX_RANK];
    memcpy(out, infer_in_dims(c, 0), (size_t)rank * sizeof *out);
    for (size_t i = 0; i < n_axes; i++) {
        int d = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
        if (known && shape.v[i].kind == SYM_VALUE && shape.v[i].value < 0)
            return infer_fail(c, "shape has negative value %lld", (long long)shape.v[i].value);
        out[d] = known ? infer_dim_from_sym(&shape.v[i]) : dim_unknown();
    }
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}
