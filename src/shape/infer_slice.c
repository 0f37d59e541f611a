/* Slice, and the ops that turn a shape into data: Shape and Size. These start and edit the shape
 * computations of exported models, so they also record the known contents of their outputs. */
#include <string.h>

#include "shape/infer_internal.h"

/* An end this large means "to the end" in exported models (PyTorch writes INT64_MAX, others
 * INT32_MAX); no real dimension reaches it, so a symbolic dim sliced that far keeps its symbol. */
#define SLICE_TO_END ((int64_t)INT32_MAX)

ol_status infer_slice_length(infer_ctx *c, int64_t dim, int64_t start, int64_t end, int64_t step,
                             int64_t *first, int64_t *len)
{
    if (step == 0)
        return infer_fail(c, "slice step must not be 0");
    if (start < 0)
        start += dim;  /* cannot overflow: dim >= 0 > start */
    if (end < 0)
        end += dim;
    if (step > 0) {
        start = start < 0 ? 0 : start > dim ? dim : start;
        end = end < 0 ? 0 : end > dim ? dim : end;
        *len = end > start ? (end - start - 1) / step + 1 : 0;
    } else {
        start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
        end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
        /* -step overflows for INT64_MIN; any step that large takes one element at most. */
        int64_t stride = step == INT64_MIN ? INT64_MAX : -step;
        *len = start > end ? (start - end - 1) / stride + 1 : 0;
    }
    *first = start;
    return OL_OK;
}

/* Slicing a symbolic dim: only the whole range (forwards or reversed) keeps its symbol. */
static ol_dim slice_symbolic(const ol_dim *dim, const sym_int *start, const sym_int *end, int64_t step)
{
    bool start_zero = start->kind == SYM_VALUE && start->value == 0;
    bool end_all = (end->kind == SYM_VALUE && end->value >= SLICE_TO_END) ||
                   (end->kind == SYM_PARAM && strcmp(end->param, dim->param) == 0);
    if (step == 1 && start_zero && end_all)
        return *dim;
    bool start_last = start->kind == SYM_VALUE && (start->value == -1 || start->value >= SLICE_TO_END);
    bool end_before = end->kind == SYM_VALUE && end->value <= -SLICE_TO_END;
    if (step == -1 && start_last && end_before)
        return *dim;
    return dim_unknown();
}

typedef struct slice_args {
    known_ints starts, ends;
    bool have_starts, have_ends;
    int64_t axes[OL_MAX_RANK];
    size_t n_axes;
    bool axes_known, axes_default;
    int64_t steps[OL_MAX_RANK];
    bool steps_known;
} slice_args;

static void known_from_attr(const int64_t *v, size_t n, known_ints *k)
{
    k->rank = 1;
    k->n = n;
    for (size_t i = 0; i < n; i++)
        k->v[i] = (sym_int){.kind = SYM_VALUE, .value = v[i]};
}

static ol_status read_slice_args(infer_ctx *c, slice_args *s)
{
    ol_status st;
    *s = (slice_args){.axes_known = true, .axes_default = true, .steps_known = true};
    const int64_t *v;
    size_t n;
    if (c->opset < 10) {
        if (infer_in_count(c) > 1)
            return infer_fail(c, "takes starts/ends as attributes before opset 10, not as inputs");
        static const char *const names[] = {"starts", "ends"};
        known_ints *dst[] = {&s->starts, &s->ends};
        for (int i = 0; i < 2; i++) {
            if ((st = infer_attr_ints(c, names[i], &v, &n)) != OL_OK)
                return st;
            if (!v)
                return infer_fail(c, "attribute '%s' is required", names[i]);
            if (n > OL_MAX_RANK)
                return infer_fail(c, "attribute '%s' has %zu values", names[i], n);
            known_from_attr(v, n, dst[i]);
        }
        s->have_starts = s->have_ends = true;
        if ((st = infer_attr_ints(c, "axes", &v, &n)) != OL_OK)
            return st;
        if (v) {
            if (n > OL_MAX_RANK)
                return infer_fail(c, "attribute 'axes' has %zu values", n);
            s->axes_default = false;
            s->n_axes = n;
            memcpy(s->axes, v, n * sizeof *v);
        }
        for (size_t i = 0; i < OL_MAX_RANK; i++)
            s->steps[i] = 1;
        return OL_OK;
    }
    if ((st = infer_attr_forbidden(c, "starts", "starts are input 1 from opset 10")) != OL_OK ||
        (st = infer_attr_forbidden(c, "ends", "ends are input 2 from opset 10")) != OL_OK ||
        (st = infer_in_require(c, 1)) != OL_OK || (st = infer_in_require(c, 2)) != OL_OK)
        return st;
    s->have_starts = infer_in_known(c, 1, &s->starts);
    s->have_ends = infer_in_known(c, 2, &s->ends);
    known_ints k;
    if (infer_in_present(c, 3)) {
        s->axes_default = false;
        s->axes_known = infer_in_known(c, 3, &k);
        s->n_axes = s->axes_known ? k.n : 0;
        for (size_t i = 0; s->axes_known && i < k.n; i++) {
            s->axes_known &= k.v[i].kind == SYM_VALUE;
            s->axes[i] = k.v[i].value;
        }
    }
    for (size_t i = 0; i < OL_MAX_RANK; i++)
        s->steps[i] = 1;
    if (infer_in_present(c, 4)) {
        s->steps_known = infer_in_known(c, 4, &k);
        for (size_t i = 0; s->steps_known && i < k.n; i++) {
            s->steps_known &= k.v[i].kind == SYM_VALUE;
            s->steps[i] = k.v[i].value;
        }
        if (s->steps_known && s->have_starts && k.n != s->starts.n)
            return infer_fail(c, "steps has %zu values but starts has %zu", k.n, s->starts.n);
    }
    return OL_OK;
}

/* Slice of a known 1-D integer value: the Shape -> Slice idiom. */
static ol_status propagate_slice(infer_ctx *c, const slice_args *s)
{
    known_ints in, out = {.rank = 1};
    if (!infer_in_known(c, 0, &in) || in.rank != 1 || !s->have_starts || !s->have_ends || !s->steps_known ||
        !s->axes_known || s->starts.n != 1 || s->ends.n != 1)
        return OL_OK;
    if (s->starts.v[0].kind != SYM_VALUE || s->ends.v[0].kind != SYM_VALUE)
        return OL_OK;
    int64_t first, len;
    ol_status st = infer_slice_length(c, (int64_t)in.n, s->starts.v[0].value, s->ends.v[0].value,
                                      s->steps[0], &first, &len);
    if (st != OL_OK)
        return st;
    out.n = (size_t)len;
    for (int64_t i = 0; i < len; i++)
        out.v[i] = in.v[first + i * s->steps[0]];
    infer_out_set_known(c, 0, &out);
    return OL_OK;
}

ol_status infer_slice(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem = infer_in_elem(c, 0);
    slice_args s;
    if ((st = read_slice_args(c, &s)) != OL_OK)
        return st;
    int rank = infer_in_rank(c, 0);
    if (rank < 0)
        return infer_out_tensor(c, 0, elem, -1);
    if (s.have_starts && s.have_ends && s.starts.n != s.ends.n)
        return infer_fail(c, "starts has %zu values but ends has %zu", s.starts.n, s.ends.n);
    if (!s.axes_known)
        return infer_out_tensor(c, 0, elem, rank);
    if (s.axes_default) {
        size_t n = s.have_starts ? s.starts.n : s.have_ends ? s.ends.n : 0;
        if (!s.have_starts && !s.have_ends)
            return infer_out_tensor(c, 0, elem, rank);
        if (n > (size_t)rank)
            return infer_fail(c, "starts has %zu values for an input of rank %d", n, rank);
        s.n_axes = n;
        for (size_t i = 0; i < n; i++)
            s.axes[i] = (int64_t)i;
    }
    bool mask[OL_MAX_RANK];
    if ((st = infer_axes_to_mask(c, s.axes, s.n_axes, rank, "axes", mask)) != OL_OK)
        return st;
    if ((s.have_starts && s.starts.n != s.n_axes) || (s.have_ends && s.ends.n != s.n_axes))
        return infer_fail(c, "starts/ends have %zu/%zu values for %zu axes", s.starts.n, s.ends.n,
                          s.n_axes);
    ol_dim out[OL_MAX_RANK];
    memcpy(out, infer_in_dims(c, 0), (size_t)rank * sizeof *out);
    for (size_t i = 0; i < s.n_axes; i++) {
        int d = (int)(s.axes[i] < 0 ? s.axes[i] + rank : s.axes[i]);
        const ol_dim *dim = &infer_in_dims(c, 0)[d];
        if (s.steps_known && s.steps[i] == 0)
            return infer_fail(c, "slice step must not be 0");
        if (!s.have_starts || !s.have_ends || !s.steps_known) {
            out[d] = dim_unknown();
            continue;
        }
        const sym_int *start = &s.starts.v[i], *end = &s.ends.v[i];
        if (!dim_known(dim)) {
            out[d] = dim->param ? slice_symbolic(dim, start, end, s.steps[i]) : dim_unknown();
            continue;
        }
        if (start->kind != SYM_VALUE || end->kind != SYM_VALUE) {
            out[d] = dim_unknown();
            continue;
        }
        int64_t first, len;
        st = infer_slice_length(c, dim->value, start->value, end->value, s.steps[i], &first, &len);
        if (st != OL_OK)
            return st;
        out[d] = dim_of(len);
    }
    if ((st = propagate_slice(c, &s)) != OL_OK)
        return st;
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}

ol_status infer_shape(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    int64_t start, end;
    if ((st = infer_attr_int(c, "start", 0, &start)) != OL_OK ||
        (st = infer_attr_int(c, "end", INT64_MAX, &end)) != OL_OK)
        return st;
    int rank = infer_in_rank(c, 0);
    if (rank < 0)
        return infer_out_tensor(c, 0, OL_INT64, 1);
    /* start/end clamp like Slice's, to [0, rank]. */
    if (start < 0)
        start += rank;
    if (end < 0)
        end += rank;
    start = start < 0 ? 0 : start > rank ? rank : start;
    end = end < 0 ? 0 : end > rank ? rank : end;
    int64_t len = end > start ? end - start : 0;
    known_ints k = {.rank = 1, .n = (size_t)len};
    for (int64_t i = 0; i < len; i++)
        k.v[i] = infer_sym_from_dim(c, &infer_in_dims(c, 0)[start + i]);
    infer_out_set_known(c, 0, &k);
    ol_dim d = dim_of(len);
    return infer_out_tensor_dims(c, 0, OL_INT64, 1, &d);
}

ol_status infer_size(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    int rank = infer_in_rank(c, 0);
    if (rank >= 0) {
        dim_product p;
        if ((st = infer_dims_product(c, infer_in_dims(c, 0), 0, rank, &p)) != OL_OK)
            return st;
        ol_dim n = infer_dim_product_as_dim(&p);
        known_ints k = {.rank = 0, .n = 1, .v = {infer_sym_from_dim(c, &n)}};
        infer_out_set_known(c, 0, &k);
    }
    return infer_out_tensor(c, 0, OL_INT64, 0);
}
