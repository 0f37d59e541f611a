/* Elementwise ops: unary ops keep their input's shape; binary, variadic and Where broadcast numpy
 * style. On small integer values (shape arithmetic in exported models) they also compute contents. */
#include <string.h>

#include "shape/infer_internal.h"

static bool op_is(const infer_ctx *c, const char *name)
{
    return strcmp(c->node->op_type, name) == 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Arithmetic on known elements. A SYM_PARAM element is a dimension, hence >= 0; the rules below use
 * that (x * 1 = x, max(x, -1) = x, x == -1 is false) and give up (SYM_UNKNOWN) otherwise. */

typedef sym_int (*sym_binop)(sym_int a, sym_int b);

static sym_int sym_value(int64_t v) { return (sym_int){.kind = SYM_VALUE, .value = v}; }
static sym_int sym_unknown(void) { return (sym_int){.kind = SYM_UNKNOWN, .value = -1}; }
static bool both_values(sym_int a, sym_int b) { return a.kind == SYM_VALUE && b.kind == SYM_VALUE; }
static bool is_value(sym_int a, int64_t v) { return a.kind == SYM_VALUE && a.value == v; }
static bool same_param(sym_int a, sym_int b)
{
    return a.kind == SYM_PARAM && b.kind == SYM_PARAM && a.param == b.param;  /* interned */
}

static sym_int sym_add(sym_int a, sym_int b)
{
    int64_t r;
    if (both_values(a, b))
        return __builtin_add_overflow(a.value, b.value, &r) ? sym_unknown() : sym_value(r);
    if (is_value(b, 0))
        return a;
    if (is_value(a, 0))
        return b;
    return sym_unknown();
}

static sym_int sym_sub(sym_int a, sym_int b)
{
    int64_t r;
    if (both_values(a, b))
        return __builtin_sub_overflow(a.value, b.value, &r) ? sym_unknown() : sym_value(r);
    if (is_value(b, 0))
        return a;
    if (same_param(a, b))
        return sym_value(0);
    return sym_unknown();
}

static sym_int sym_mul(sym_int a, sym_int b)
{
    int64_t r;
    if (both_values(a, b))
        return __builtin_mul_overflow(a.value, b.value, &r) ? sym_unknown() : sym_value(r);
    if (is_value(a, 0) || is_value(b, 0))
        return sym_value(0);
    if (is_value(b, 1))
        return a;
    if (is_value(a, 1))
        return b;
    return sym_unknown();
}

/* Integer division and modulo only where truncating and flooring agree (non-negative operands). */
static sym_int sym_div(sym_int a, sym_int b)
{
    if (both_values(a, b) && a.value >= 0 && b.value > 0)
        return sym_value(a.value / b.value);
    if (is_value(b, 1))
        return a;
    return sym_unknown();
}

static sym_int sym_mod(sym_int a, sym_int b)
{
    if (both_values(a, b) && a.value >= 0 && b.value > 0)
        return sym_value(a.value % b.value);
    if (is_value(b, 1) && a.kind != SYM_UNKNOWN)
        return sym_value(0);
    return sym_unknown();
}

static sym_int sym_max(sym_int a, sym_int b)
{
    if (both_values(a, b))
        return sym_value(a.value > b.value ? a.value : b.value);
    if (same_param(a, b) || (a.kind == SYM_PARAM && b.kind == SYM_VALUE && b.value <= 0))
        return a;
    if (b.kind == SYM_PARAM && a.kind == SYM_VALUE && a.value <= 0)
        return b;
    return sym_unknown();
}

static sym_int sym_min(sym_int a, sym_int b)
{
    if (both_values(a, b))
        return sym_value(a.value < b.value ? a.value : b.value);
    if (same_param(a, b) || (a.kind == SYM_VALUE && b.kind == SYM_PARAM && a.value <= 0))
        return a;
    if (b.kind == SYM_VALUE && a.kind == SYM_PARAM && b.value <= 0)
        return b;
    return sym_unknown();
}

/* -1 when a < b for sure, 0 when equal, 1 when greater, 2 when it cannot be told. */
static int sym_order(sym_int a, sym_int b)
{
    if (both_values(a, b))
        return a.value < b.value ? -1 : a.value > b.value;
    if (same_param(a, b))
        return 0;
    if (a.kind == SYM_PARAM && b.kind == SYM_VALUE && b.value < 0)
        return 1;
    if (b.kind == SYM_PARAM && a.kind == SYM_VALUE && a.value < 0)
        return -1;
    return 2;
}

static sym_int sym_equal(sym_int a, sym_int b)
{
    int o = sym_order(a, b);
    return o == 2 ? sym_unknown() : sym_value(o == 0);
}

static sym_int sym_less(sym_int a, sym_int b)
{
    int o = sym_order(a, b);
    return o == 2 ? sym_unknown() : sym_value(o < 0);
}

static sym_int sym_greater(sym_int a, sym_int b)
{
    int o = sym_order(a, b);
    return o == 2 ? sym_unknown() : sym_value(o > 0);
}

static sym_int sym_less_equal(sym_int a, sym_int b)
{
    int o = sym_order(a, b);
    return o == 2 ? sym_unknown() : sym_value(o <= 0);
}

static sym_int sym_greater_equal(sym_int a, sym_int b)
{
    int o = sym_order(a, b);
    return o == 2 ? sym_unknown() : sym_value(o >= 0);
}

static sym_int sym_and(sym_int a, sym_int b)
{
    if (is_value(a, 0) || is_value(b, 0))
        return sym_value(0);
    return both_values(a, b) ? sym_value(1) : sym_unknown();
}

static sym_int sym_or(sym_int a, sym_int b)
{
    if ((a.kind == SYM_VALUE && a.value) || (b.kind == SYM_VALUE && b.value))
        return sym_value(1);
    return both_values(a, b) ? sym_value(0) : sym_unknown();
}

static sym_int sym_xor(sym_int a, sym_int b)
{
    return both_values(a, b) ? sym_value((a.value != 0) != (b.value != 0)) : sym_unknown();
}

static sym_binop binop_for(const infer_ctx *c)
{
    static const struct {
        const char *op;
        sym_binop fn;
    } ops[] = {
        {"Add", sym_add}, {"Sub", sym_sub}, {"Mul", sym_mul}, {"Div", sym_div}, {"Mod", sym_mod},
        {"Max", sym_max}, {"Min", sym_min}, {"Equal", sym_equal}, {"Less", sym_less},
        {"Greater", sym_greater}, {"LessOrEqual", sym_less_equal},
        {"GreaterOrEqual", sym_greater_equal}, {"And", sym_and}, {"Or", sym_or}, {"Xor", sym_xor},
    };
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (op_is(c, ops[i].op))
            return ops[i].fn;
    return NULL;
}

/* Broadcast length of two known operands: equal, or one of them has a single element. */
static bool known_pair_length(const known_ints *a, const known_ints *b, size_t *n)
{
    if (a->n != b->n && a->n != 1 && b->n != 1)
        return false;
    *n = a->n == 1 ? b->n : a->n;
    return true;
}

static void propagate_binary(infer_ctx *c, sym_binop op, size_t ia, size_t ib)
{
    known_ints a, b, r;
    size_t n;
    if (!op || !infer_in_known_partial(c, ia, &a) || !infer_in_known_partial(c, ib, &b) ||
        !known_pair_length(&a, &b, &n))
        return;
    r.rank = a.rank > b.rank ? a.rank : b.rank;
    r.n = n;
    for (size_t k = 0; k < n; k++)
        r.v[k] = op(a.v[a.n == 1 ? 0 : k], b.v[b.n == 1 ? 0 : k]);
    infer_out_set_known(c, 0, &r);
}

static void propagate_unary(infer_ctx *c)
{
    known_ints a;
    if (!infer_in_known(c, 0, &a))
        return;
    for (size_t k = 0; k < a.n; k++) {
        sym_int *v = &a.v[k];
        if (op_is(c, "Neg"))
            *v = v->kind == SYM_VALUE && v->value != INT64_MIN ? sym_value(-v->value)
                 : is_value(*v, 0) ? *v : sym_unknown();
        else if (op_is(c, "Abs"))
            *v = v->kind == SYM_VALUE ? (v->value == INT64_MIN ? sym_unknown()
                                         : sym_value(v->value < 0 ? -v->value : v->value))
                 : *v;
        else if (op_is(c, "Not"))
            *v = v->kind == SYM_VALUE ? sym_value(v->value == 0) : sym_unknown();
        else
            return;
    }
    infer_out_set_known(c, 0, &a);
}

/* ---------------------------------------------------------------------------------------------- */

ol_status infer_unary(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    propagate_unary(c);
    return infer_out_like_input(c, 0, 0, OL_UNDEFINED);
}

ol_status infer_unary_to_bool(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    return st != OL_OK ? st : infer_out_like_input(c, 0, 0, OL_BOOL);
}

ol_status infer_not(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    propagate_unary(c);
    return infer_out_like_input(c, 0, 0, OL_BOOL);
}

ol_status infer_softmax(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    int64_t axis;
    /* Before opset 13 these ops flattened the input at `axis` (default 1); later they act on one axis. */
    if ((st = infer_attr_int(c, "axis", c->opset < 13 ? 1 : -1, &axis)) != OL_OK)
        return st;
    int rank = infer_in_rank(c, 0);
    int a;
    if (rank >= 0 && (st = infer_axis_normalize(c, axis, rank, "axis", &a)) != OL_OK)
        return st;
    return infer_out_like_input(c, 0, 0, OL_UNDEFINED);
}

static ol_status infer_broadcast_op(infer_ctx *c, size_t n_inputs, ol_dtype elem)
{
    size_t idx[3] = {0, 1, 2};
    ol_dim dims[OL_MAX_RANK];
    int rank;
    ol_status st = infer_broadcast_inputs(c, idx, n_inputs, dims, &rank);
    if (st != OL_OK)
        return st;
    return infer_out_tensor_dims(c, 0, elem, rank, dims);
}

static ol_status require_two(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    return st != OL_OK ? st : infer_in_require(c, 1);
}

/* Two inputs of one element type, broadcast; the output has that type, or bool for comparisons. */
static ol_status binary_broadcast(infer_ctx *c, bool to_bool)
{
    ol_status st = require_two(c);
    if (st != OL_OK)
        return st;
    size_t idx[2] = {0, 1};
    ol_dtype elem;
    if ((st = infer_common_elem(c, idx, 2, &elem)) != OL_OK)
        return st;
    propagate_binary(c, binop_for(c), 0, 1);
    return infer_broadcast_op(c, 2, to_bool ? OL_BOOL : elem);
}

ol_status infer_binary(infer_ctx *c)
{
    return binary_broadcast(c, false);
}

ol_status infer_pow(infer_ctx *c)
{
    ol_status st = require_two(c);
    return st != OL_OK ? st : infer_broadcast_op(c, 2, infer_in_elem(c, 0));
}

ol_status infer_prelu(infer_ctx *c)
{
    ol_status st = require_two(c);
    if (st != OL_OK)
        return st;
    size_t idx[2] = {0, 1};
    ol_dtype elem;
    if ((st = infer_common_elem(c, idx, 2, &elem)) != OL_OK)
        return st;
    /* The slope broadcasts to X (one direction only), so Y has X's shape. */
    int rx = infer_in_rank(c, 0), rs = infer_in_rank(c, 1);
    if (rx >= 0 && rs >= 0) {
        ol_dim dims[OL_MAX_RANK];
        int r;
        st = infer_broadcast_dims(c, infer_in_dims(c, 0), rx, infer_in_dims(c, 1), rs, dims, &r);
        if (st != OL_OK)
            return st;
        if (r != rx)
            return infer_fail(c, "slope of rank %d does not broadcast to X of rank %d", rs, rx);
    }
    return infer_out_like_input(c, 0, 0, elem);
}

ol_status infer_compare(infer_ctx *c)
{
    return binary_broadcast(c, true);
}

ol_status infer_logical(infer_ctx *c)
{
    ol_status st = require_two(c);
    if (st != OL_OK)
        return st;
    propagate_binary(c, binop_for(c), 0, 1);
    return infer_broadcast_op(c, 2, OL_BOOL);
}

ol_status infer_variadic(infer_ctx *c)
{
    size_t n = infer_in_count(c);
    if (n == 0)
        return infer_fail(c, "needs at least one input");
    size_t idx[OL_MAX_RANK];
    if (n > OL_MAX_RANK)
        return infer_out_tensor(c, 0, infer_in_elem(c, 0), -1);
    for (size_t i = 0; i < n; i++) {
        ol_status st = infer_in_require(c, i);
        if (st != OL_OK)
            return st;
        idx[i] = i;
    }
    ol_dtype elem;
    ol_status st = infer_common_elem(c, idx, n, &elem);
    if (st != OL_OK)
        return st;
    if (n == 1) {
        known_ints k;
        if (infer_in_known(c, 0, &k))
            infer_out_set_known(c, 0, &k);
    } else if (n == 2) {
        propagate_binary(c, binop_for(c), 0, 1);
    }
    ol_dim dims[OL_MAX_RANK];
    int rank;
    if ((st = infer_broadcast_inputs(c, idx, n, dims, &rank)) != OL_OK)
        return st;
    return infer_out_tensor_dims(c, 0, elem, rank, dims);
}

/* Where(cond, x, y) on known contents: picks elementwise, broadcasting single elements. */
static void propagate_where(infer_ctx *c)
{
    known_ints k[3], r;
    size_t n = 1;
    for (size_t i = 0; i < 3; i++) {
        if (!infer_in_known_partial(c, i, &k[i]))
            return;
        if (k[i].n != 1) {
            if (n != 1 && n != k[i].n)
                return;
            n = k[i].n;
        }
    }
    r.rank = k[0].rank > k[1].rank ? k[0].rank : k[1].rank;
    r.rank = r.rank > k[2].rank ? r.rank : k[2].rank;
    r.n = n;
    for (size_t e = 0; e < n; e++) {
        const sym_int *cond = &k[0].v[k[0].n == 1 ? 0 : e];
        const sym_int *x = &k[1].v[k[1].n == 1 ? 0 : e];
        const sym_int *y = &k[2].v[k[2].n == 1 ? 0 : e];
        if (cond->kind == SYM_VALUE)
            r.v[e] = cond->value ? *x : *y;
        else if (sym_order(*x, *y) == 0)
            r.v[e] = *x;  /* either way the same */
        else
            r.v[e] = sym_unknown();
    }
    infer_out_set_known(c, 0, &r);
}

ol_status infer_where(infer_ctx *c)
{
    ol_status st;
    for (size_t i = 0; i < 3; i++)
        if ((st = infer_in_require(c, i)) != OL_OK)
            return st;
    size_t idx[2] = {1, 2};
    ol_dtype elem;
    if ((st = infer_common_elem(c, idx, 2, &elem)) != OL_OK)
        return st;
    if (infer_in_elem(c, 0) != OL_UNDEFINED && infer_in_elem(c, 0) != OL_BOOL)
        return infer_fail(c, "condition must be bool, not %s", ol_dtype_name(infer_in_elem(c, 0)));
    propagate_where(c);
    return infer_broadcast_op(c, 3, elem);
}
