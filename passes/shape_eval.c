/* Element-wise symbolic evaluation of shape arithmetic. Each op below only propagates what it can
 * prove; anything else leaves its output unknown, which is always safe. */
#include "shape_eval.h"

#include <stdlib.h>
#include <string.h>

#include "pass_tensor.h"
#include "pass_util.h"

static const sym_vec unknown_vec = {0};

const sym_vec *shape_eval_get(const shape_eval *eval, const ol_value *value)
{
    if (!value || value->graph != eval->graph || value->id >= eval->n_vecs)
        return &unknown_vec;
    return &eval->vecs[value->id];
}

bool sym_vec_static(const sym_vec *vec)
{
    if (!vec->known)
        return false;
    for (size_t i = 0; i < vec->n; i++)
        if (vec->e[i].kind != SYM_INT)
            return false;
    return true;
}

bool sym_elem_is_dim(const sym_elem *e, const ol_value *value, int axis)
{
    if (e->kind != SYM_DIM)
        return false;
    if (e->of == value && e->axis == axis)
        return true;
    /* Two dims with the same symbolic name are equal: that is what shape inference's names mean. */
    const ol_type *t = &value->type;
    return e->param && t->kind == OL_TYPE_TENSOR && axis < t->rank && t->dims[axis].param &&
           strcmp(e->param, t->dims[axis].param) == 0;
}

static sym_elem sym_int(int64_t v)
{
    return (sym_elem){.kind = SYM_INT, .value = v};
}

/* The constant, if the value is a small int32/int64 tensor of rank 0 or 1. */
static bool from_constant(const ol_value *value, sym_vec *out)
{
    const ol_tensor *c = pass_constant(value);
    int64_t ints[OL_MAX_RANK];
    size_t n;
    if (!c || c->rank > 1 || !pass_tensor_ints(c, ints, OL_MAX_RANK, &n))
        return false;
    *out = (sym_vec){.known = true, .dtype = c->dtype, .rank = c->rank, .n = n};
    for (size_t i = 0; i < n; i++)
        out->e[i] = sym_int(ints[i]);
    return true;
}

/* Constant ints of node input i (axes, indices, starts...). */
static bool const_ints(const ol_node *node, size_t i, int64_t *out, size_t *n)
{
    return pass_tensor_ints(pass_constant(pass_input(node, i)), out, OL_MAX_RANK, n);
}

static bool eval_shape(const ol_node *node, sym_vec *out)
{
    const ol_value *x = pass_input(node, 0);
    const ol_tensor *c = pass_constant(x);
    int rank = c ? c->rank : (x && x->type.kind == OL_TYPE_TENSOR ? x->type.rank : -1);
    if (rank < 0 || rank > OL_MAX_RANK)
        return false;
    int64_t start = 0, end = rank;
    if (node->opset >= 15) {
        start = ol_node_attr_int(node, "start", 0);
        end = ol_node_attr_int(node, "end", rank);
    }
    start = start < 0 ? start + rank : start;
    end = end < 0 ? end + rank : end;
    start = start < 0 ? 0 : start > rank ? rank : start;
    end = end < 0 ? 0 : end > rank ? rank : end;
    *out = (sym_vec){.known = true, .dtype = OL_INT64, .rank = 1};
    for (int64_t a = start; a < end; a++) {
        if (c) {
            out->e[out->n++] = sym_int(c->dims[a]);
            continue;
        }
        const ol_dim *d = &x->type.dims[a];
        out->e[out->n++] = d->value >= 0 ? sym_int(d->value)
                                         : (sym_elem){.kind = SYM_DIM, .of = x, .axis = (int)a,
                                                      .param = d->param};
    }
    return true;
}

static bool eval_gather(const ol_node *node, const sym_vec *data, sym_vec *out)
{
    int64_t axis = ol_node_attr_int(node, "axis", 0), idx[OL_MAX_RANK];
    size_t n;
    const ol_tensor *indices = pass_constant(pass_input(node, 1));
    if (!data->known || data->rank != 1 || (axis != 0 && axis != -1) || !indices ||
        indices->rank > 1 || !const_ints(node, 1, idx, &n))
        return false;
    *out = (sym_vec){.known = true, .dtype = data->dtype, .rank = indices->rank, .n = n};
    for (size_t i = 0; i < n; i++) {
        int64_t k = idx[i] < 0 ? idx[i] + (int64_t)data->n : idx[i];
        if (k < 0 || k >= (int64_t)data->n)
            return false;
        out->e[i] = data->e[k];
    }
    return true;
}

/* The axes of Squeeze/Unsqueeze: an attribute before opset 13, an input since. */
static bool axes_of(const ol_node *node, int64_t *axes, size_t *n)
{
    if (node->opset < 13) {
        const int64_t *a = ol_node_attr_ints(node, "axes", n);
        if (!a) {
            *n = 0;
            return true;
        }
        if (*n > OL_MAX_RANK)
            return false;
        memcpy(axes, a, *n * sizeof *a);
        return true;
    }
    if (!pass_input(node, 1)) {
        *n = 0;
        return true;
    }
    return const_ints(node, 1, axes, n);
}

static bool eval_unsqueeze(const ol_node *node, const sym_vec *in, sym_vec *out)
{
    int64_t axes[OL_MAX_RANK];
    size_t n;
    if (!in->known || in->rank != 0 || !axes_of(node, axes, &n) || n != 1 || (axes[0] != 0 && axes[0] != -1))
        return false;
    *out = *in;
    out->rank = 1;
    return true;
}

static bool eval_squeeze(const ol_node *node, const sym_vec *in, sym_vec *out)
{
    int64_t axes[OL_MAX_RANK];
    size_t n;
    if (!in->known || in->rank != 1 || in->n != 1 || !axes_of(node, axes, &n) ||
        (n != 0 && (n != 1 || (axes[0] != 0 && axes[0] != -1))))
        return false;
    *out = *in;
    out->rank = 0;
    return true;
}

static bool eval_concat(const shape_eval *eval, const ol_node *node, sym_vec *out)
{
    int64_t axis = ol_node_attr_int(node, "axis", 0);
    if (axis != 0 && axis != -1)
        return false;
    *out = (sym_vec){.known = true, .rank = 1};
    for (size_t i = 0; i < node->n_inputs; i++) {
        const sym_vec *in = shape_eval_get(eval, node->inputs[i]);
        if (!in->known || in->rank != 1 || out->n + in->n > OL_MAX_RANK ||
            (out->dtype && in->dtype != out->dtype))
            return false;
        out->dtype = in->dtype;
        memcpy(&out->e[out->n], in->e, in->n * sizeof *in->e);
        out->n += in->n;
    }
    return out->dtype != OL_UNDEFINED;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static bool eval_slice(const ol_node *node, const sym_vec *in, sym_vec *out)
{
    int64_t starts[OL_MAX_RANK], ends[OL_MAX_RANK], axes[OL_MAX_RANK], steps[OL_MAX_RANK];
    size_t ns, ne, na = 0, nt = 0;
    if (node->opset < 10 || !in->known || in->rank != 1 || !const_ints(node, 1, starts, &ns) ||
        !const_ints(node, 2, ends, &ne) || ns != 1 || ne != 1 ||
        (pass_input(node, 3) &&
         (!const_ints(node, 3, axes, &na) || na != 1 || (axes[0] != 0 && axes[0] != -1))) ||
        (pass_input(node, 4) && (!const_ints(node, 4, steps, &nt) || nt != 1)))
        return false;
    int64_t n = (int64_t)in->n, step = nt ? steps[0] : 1;
    if (step == 0)
        return false;
    int64_t start = starts[0] < 0 ? starts[0] + n : starts[0];
    int64_t end = ends[0] < 0 && ends[0] != INT64_MIN ? ends[0] + n : ends[0];
    *out = (sym_vec){.known = true, .dtype = in->dtype, .rank = 1};
    if (step > 0) {
        start = clamp(start, 0, n);
        end = clamp(end, 0, n);
        for (int64_t i = start; i < end; i += step)
            out->e[out->n++] = in->e[i];
    } else {
        start = clamp(start, -1, n - 1);
        end = ends[0] == INT64_MIN ? -1 : clamp(end, -1, n - 1);
        for (int64_t i = start; i > end; i += step)
            out->e[out->n++] = in->e[i];
    }
    return true;
}

static bool eval_cast(const ol_node *node, const sym_vec *in, sym_vec *out)
{
    int64_t to = ol_node_attr_int(node, "to", 0);
    if (!in->known || !pass_dtype_is_index((ol_dtype)to))
        return false;
    *out = *in;
    out->dtype = (ol_dtype)to;
    for (size_t i = 0; i < out->n; i++)   /* int64 -> int32 wraps beyond 2^31: not a shape any more */
        if (to == OL_INT32 && out->e[i].kind == SYM_INT && (int32_t)out->e[i].value != out->e[i].value)
            out->e[i].kind = SYM_UNKNOWN;
    return true;
}

/* x op y on numbers; false on overflow or division by zero. Integer Div truncates toward zero, as
 * the runtimes compute it. */
static bool int_arith(const char *op, int64_t x, int64_t y, int64_t *r)
{
    if (strcmp(op, "Add") == 0)
        return !__builtin_add_overflow(x, y, r);
    if (strcmp(op, "Sub") == 0)
        return !__builtin_sub_overflow(x, y, r);
    if (strcmp(op, "Mul") == 0)
        return !__builtin_mul_overflow(x, y, r);
    if (y == 0 || (x == INT64_MIN && y == -1))
        return false;
    *r = x / y;
    return true;
}

/* One element of Add/Sub/Mul/Div. */
static sym_elem arith(const char *op, const sym_elem *a, const sym_elem *b)
{
    sym_elem none = {0};
    int64_t r;
    if (a->kind == SYM_INT && b->kind == SYM_INT)
        return int_arith(op, a->value, b->value, &r) ? sym_int(r) : none;
    /* x * 1, 1 * x, x + 0, 0 + x, x - 0, x / 1 keep a symbolic dim as it is. */
    bool mul = strcmp(op, "Mul") == 0, add = strcmp(op, "Add") == 0;
    int64_t unit = mul || strcmp(op, "Div") == 0 ? 1 : 0;
    if (b->kind == SYM_INT && b->value == unit)
        return *a;
    if ((mul || add) && a->kind == SYM_INT && a->value == unit)
        return *b;
    return none;
}

static bool eval_arith(const shape_eval *eval, const ol_node *node, sym_vec *out)
{
    const sym_vec *a = shape_eval_get(eval, pass_input(node, 0));
    const sym_vec *b = shape_eval_get(eval, pass_input(node, 1));
    if (!a->known || !b->known || a->dtype != b->dtype || node->n_inputs != 2)
        return false;
    /* Broadcasting between shape-sized tensors: equal lengths, or one of them a single element. */
    size_t n = a->n > b->n ? a->n : b->n;
    if ((a->n != n && a->n != 1) || (b->n != n && b->n != 1))
        return false;
    *out = (sym_vec){.known = true, .dtype = a->dtype, .rank = a->rank > b->rank ? a->rank : b->rank,
                     .n = n};
    for (size_t i = 0; i < n; i++)
        out->e[i] = arith(node->op_type, &a->e[a->n == 1 ? 0 : i], &b->e[b->n == 1 ? 0 : i]);
    return true;
}

static bool eval_node(const shape_eval *eval, const ol_node *node, sym_vec *out)
{
    if (!pass_is_onnx(node) || node->n_outputs < 1)
        return false;
    const char *op = node->op_type;
    const sym_vec *in = shape_eval_get(eval, pass_input(node, 0));
    if (strcmp(op, "Shape") == 0)
        return eval_shape(node, out);
    if (strcmp(op, "Gather") == 0)
        return eval_gather(node, in, out);
    if (strcmp(op, "Unsqueeze") == 0)
        return eval_unsqueeze(node, in, out);
    if (strcmp(op, "Squeeze") == 0)
        return eval_squeeze(node, in, out);
    if (strcmp(op, "Concat") == 0)
        return eval_concat(eval, node, out);
    if (strcmp(op, "Slice") == 0)
        return eval_slice(node, in, out);
    if (strcmp(op, "Cast") == 0)
        return eval_cast(node, in, out);
    if (strcmp(op, "Identity") == 0 && in->known) {
        *out = *in;
        return true;
    }
    if (strcmp(op, "Add") == 0 || strcmp(op, "Sub") == 0 || strcmp(op, "Mul") == 0 ||
        strcmp(op, "Div") == 0)
        return eval_arith(eval, node, out);
    return false;
}

ol_status shape_eval_run(shape_eval *eval, const ol_graph *graph, ol_error *err)
{
    *eval = (shape_eval){.graph = graph, .n_vecs = graph->next_value_id};
    eval->vecs = calloc(eval->n_vecs ? eval->n_vecs : 1, sizeof *eval->vecs);
    if (!eval->vecs)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory evaluating shape computations");
    for (size_t i = 0; i < graph->n_values; i++) {
        const ol_value *v = graph->values[i];
        if (!v->erased && !v->producer && v->id < eval->n_vecs)
            from_constant(v, &eval->vecs[v->id]);
    }
    for (size_t i = 0; i < graph->n_nodes; i++) {
        const ol_node *node = graph->nodes[i];
        const ol_value *out = node->n_outputs ? node->outputs[0] : NULL;
        if (node->erased || !out || out->id >= eval->n_vecs)
            continue;
        sym_vec result;
        if (from_constant(out, &result) || eval_node(eval, node, &result))
            eval->vecs[out->id] = result;
    }
    return OL_OK;
}

void shape_eval_clear(shape_eval *eval)
{
    free(eval->vecs);
    *eval = (shape_eval){0};
}
