/* Control flow. If infers both branches and gives each output what the branches agree on (or infers
 * only the taken branch when the condition is known). Loop types its body's inputs the way ONNX does
 * (iteration count, condition, and the element types of the loop-carried values, whose shapes may
 * change between iterations), infers the body, and gives the carried outputs what the initial values
 * and the body outputs agree on; scan outputs gain a leading dim for the iterations. */
#include <string.h>

#include "shape/infer_internal.h"

static ol_status graph_attr(infer_ctx *c, const char *name, ol_graph **out)
{
    const ol_attr *a = ol_node_attr(c->node, name);
    if (!a)
        return infer_fail(c, "attribute '%s' is required", name);
    if (a->type != OL_ATTR_GRAPH || !a->g)
        return infer_fail(c, "attribute '%s' must be a graph", name);
    *out = a->g;
    return OL_OK;
}

/* Output o becomes the most precise type that both `a` and `b` satisfy. */
static ol_status out_union(infer_ctx *c, size_t o, const ol_type *a, const ol_type *b)
{
    if (a->kind == OL_TYPE_OTHER || b->kind == OL_TYPE_OTHER) {
        if (ol_type_equal(a, b))
            return ol_type_copy(&c->out[o], a) == 0 ? OL_OK : infer_nomem(c);
        return OL_OK;
    }
    if (a->kind != OL_TYPE_TENSOR && b->kind != OL_TYPE_TENSOR)
        return OL_OK;
    ol_dtype ea = a->kind == OL_TYPE_TENSOR ? a->elem : OL_UNDEFINED;
    ol_dtype eb = b->kind == OL_TYPE_TENSOR ? b->elem : OL_UNDEFINED;
    if (ea != OL_UNDEFINED && eb != OL_UNDEFINED && ea != eb)
        return infer_fail(c, "output %zu is %s on one path and %s on the other", o, ol_dtype_name(ea),
                          ol_dtype_name(eb));
    ol_dtype elem = ea != OL_UNDEFINED ? ea : eb;
    if (a->kind != OL_TYPE_TENSOR || b->kind != OL_TYPE_TENSOR || a->rank < 0 || a->rank != b->rank)
        return infer_out_tensor(c, o, elem, -1);
    ol_dim dims[OL_MAX_RANK];
    for (int d = 0; d < a->rank && d < OL_MAX_RANK; d++)
        dims[d] = infer_dim_same(&a->dims[d], &b->dims[d]) ? a->dims[d] : dim_unknown();
    return infer_out_tensor_dims(c, o, elem, a->rank, dims);
}

static const ol_type *value_type(const ol_value *v)
{
    return &infer_value_type_source(v)->type;
}

ol_status infer_if(infer_ctx *c)
{
    ol_status st;
    ol_graph *then_g = NULL, *else_g = NULL;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = graph_attr(c, "then_branch", &then_g)) != OL_OK ||
        (st = graph_attr(c, "else_branch", &else_g)) != OL_OK)
        return st;
    size_t n = c->node->n_outputs;
    if (then_g->n_outputs != n || else_g->n_outputs != n)
        return infer_fail(c, "has %zu outputs but its branches have %zu and %zu", n, then_g->n_outputs,
                          else_g->n_outputs);
    /* A branch that cannot run (its condition is known) may not even fit these shapes: a function
     * body expanded for the 2-D case slicing a 3-D shape. Only the taken branch is inferred then. */
    known_ints cond;
    bool decided = infer_in_known(c, 0, &cond) && cond.n == 1 && cond.v[0].kind == SYM_VALUE;
    if ((!decided || cond.v[0].value) && (st = infer_graph(c->session, then_g)) != OL_OK)
        return st;
    if ((!decided || !cond.v[0].value) && (st = infer_graph(c->session, else_g)) != OL_OK)
        return st;
    for (size_t o = 0; o < n; o++) {
        const ol_type *t = value_type(then_g->outputs[o]), *e = value_type(else_g->outputs[o]);
        if (decided)
            e = t = cond.v[0].value ? t : e;
        if ((st = out_union(c, o, t, e)) != OL_OK)
            return st;
    }
    return OL_OK;
}

/* Gives a body input without a declared type the type the loop feeds it. */
static ol_status type_body_input(infer_ctx *c, ol_value *v, ol_dtype elem, int rank)
{
    if (v->type.kind != OL_TYPE_UNKNOWN || elem == OL_UNDEFINED)
        return OL_OK;
    if (ol_type_set_tensor(&v->type, elem, rank, NULL) != 0)
        return infer_nomem(c);
    return OL_OK;
}

ol_status infer_loop(infer_ctx *c)
{
    ol_status st;
    ol_graph *body = NULL;
    if ((st = graph_attr(c, "body", &body)) != OL_OK)
        return st;
    size_t n_inputs = infer_in_count(c);
    if (n_inputs < 2)
        return infer_fail(c, "needs the M and cond inputs (possibly empty), has %zu inputs", n_inputs);
    size_t carried = n_inputs - 2;
    if (body->n_inputs != carried + 2)
        return infer_fail(c, "body takes %zu inputs but the loop carries %zu values (needs %zu)",
                          body->n_inputs, carried, carried + 2);
    if (body->n_outputs < carried + 1)
        return infer_fail(c, "body has %zu outputs; it needs cond and %zu carried values",
                          body->n_outputs, carried);
    size_t scans = body->n_outputs - 1 - carried;
    if (c->node->n_outputs > carried + scans)
        return infer_fail(c, "has %zu outputs but the body gives %zu", c->node->n_outputs,
                          carried + scans);
    if ((st = type_body_input(c, body->inputs[0], OL_INT64, 0)) != OL_OK ||
        (st = type_body_input(c, body->inputs[1], OL_BOOL, 0)) != OL_OK)
        return st;
    for (size_t i = 0; i < carried; i++)
        if ((st = type_body_input(c, body->inputs[2 + i], infer_in_elem(c, 2 + i), -1)) != OL_OK)
            return st;
    if ((st = infer_graph(c->session, body)) != OL_OK)
        return st;
    ol_type none = {.kind = OL_TYPE_UNKNOWN, .rank = -1};
    for (size_t o = 0; o < c->node->n_outputs; o++) {
        const ol_type *from_body = value_type(body->outputs[1 + o]);
        if (o < carried) {
            /* Zero iterations return the initial value, others what the body computed. */
            const ol_type *initial = infer_in_present(c, 2 + o) ? infer_in_type(c, 2 + o) : &none;
            if ((st = out_union(c, o, initial, from_body)) != OL_OK)
                return st;
            continue;
        }
        if (from_body->kind != OL_TYPE_TENSOR)
            continue;
        if (from_body->rank < 0 || from_body->rank + 1 > OL_MAX_RANK) {
            if ((st = infer_out_tensor(c, o, from_body->elem, -1)) != OL_OK)
                return st;
            continue;
        }
        ol_dim dims[OL_MAX_RANK];
        dims[0] = dim_unknown();  /* one slice per iteration */
        memcpy(&dims[1], from_body->dims, (size_t)from_body->rank * sizeof *dims);
        if ((st = infer_out_tensor_dims(c, o, from_body->elem, from_body->rank + 1, dims)) != OL_OK)
            return st;
    }
    return OL_OK;
}
