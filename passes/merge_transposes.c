/* merge-transposes: Transpose(Transpose(x, p1), p2) is Transpose(x, q) with q[i] = p1[p2[i]], and
 * disappears when q is the identity: the NHWC/NCHW ping-pong of TensorFlow exports. A chain of
 * layout-agnostic unary ops between the two (Relu, Sigmoid, Cast, Clip, ...) does not stop it: the
 * chain moves before the first Transpose, computing in x's layout, so the two meet and cancel. */
#include <string.h>

#include "pass_util.h"
#include "pass/builtin_passes.h"

/* The permutation of a Transpose: the reversal when the attribute is absent, of the input's rank, or
 * of `rank` when that is known (>= 0) from the other Transpose. */
static bool perm_of(const ol_node *t, int64_t *perm, size_t *n, int rank)
{
    const int64_t *p = ol_node_attr_ints(t, "perm", n);
    if (p) {
        if (*n > OL_MAX_RANK)
            return false;
        memcpy(perm, p, *n * sizeof *p);
    } else {
        const ol_value *in = pass_input(t, 0);
        if (rank < 0 && in && in->type.kind == OL_TYPE_TENSOR)
            rank = in->type.rank;
        if (rank < 0 || rank > OL_MAX_RANK)
            return false;
        *n = (size_t)rank;
        for (size_t i = 0; i < *n; i++)
            perm[i] = (int64_t)(*n - 1 - i);
    }
    bool seen[OL_MAX_RANK] = {false};
    for (size_t i = 0; i < *n; i++) {
        if (perm[i] < 0 || perm[i] >= (int64_t)*n || seen[perm[i]])
            return false;
        seen[perm[i]] = true;
    }
    return true;
}

static bool is_transpose(const ol_node *node)
{
    return pass_is_op(node, "Transpose") && node->n_inputs == 1 && node->n_outputs == 1 &&
           node->inputs[0] && node->outputs[0];
}

/* Ops computing each element from the element at the same index alone, so they commute with any
 * Transpose. Clip's extra inputs are scalars. */
static bool layout_agnostic_unary(const ol_node *node)
{
    static const char *const ops[] = {
        "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Selu", "Celu", "Softplus", "Softsign",
        "HardSigmoid", "HardSwish", "Gelu", "Mish", "Erf", "Exp", "Log", "Abs", "Neg", "Sqrt",
        "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Not", "Cast", "Clip", "ThresholdedRelu",
        "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
        "IsNaN", "IsInf",
    };
    if (node->erased || !pass_is_onnx(node) || node->n_outputs != 1 || !node->outputs[0] ||
        !pass_input(node, 0))
        return false;
    if (strcmp(node->op_type, "Clip") != 0 && node->n_inputs != 1)
        return false;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(node->op_type, ops[i]) == 0)
            return true;
    return false;
}

/* The longest chain of layout-agnostic unary ops ending at the outer Transpose's input, each read
 * only by the next; chain[0] is the one nearest the outer Transpose. */
#define MAX_CHAIN 16

static size_t unary_chain(const ol_node *outer, ol_node **chain)
{
    size_t n = 0;
    const ol_node *reader = outer;
    for (ol_value *v = outer->inputs[0]; n < MAX_CHAIN; v = chain[n - 1]->inputs[0]) {
        ol_node *p = v->producer;
        if (!p || !layout_agnostic_unary(p) || !pass_single_use_by(v, reader))
            break;
        chain[n++] = p;
        reader = p;
    }
    return n;
}

/* The chain now computes in x's layout: its outputs' types are permuted back through p1. */
static void permute_types_back(ol_node *const *chain, size_t n_chain, const int64_t *p1, size_t n)
{
    for (size_t c = 0; c < n_chain; c++) {
        ol_type *t = &chain[c]->outputs[0]->type;
        if (t->kind != OL_TYPE_TENSOR)
            continue;
        if (t->rank == (int)n) {
            ol_dim old[OL_MAX_RANK];
            memcpy(old, t->dims, n * sizeof *old);
            for (size_t i = 0; i < n; i++)
                t->dims[p1[i]] = old[i];
        } else if (t->rank >= 0) {
            ol_dtype elem = t->elem;
            ol_type_clear(t);
            *t = (ol_type){.kind = OL_TYPE_TENSOR, .elem = elem, .rank = -1};
        }
    }
}

/* T2(Un(...U1(T1(x)))) -> T2'(Un(...U1(x))) with T2' = T1 then T2, or without T2' when that is the
 * identity. */
static ol_status merge(ol_graph *graph, ol_node *outer, bool *changed, ol_error *err)
{
    int64_t p1[OL_MAX_RANK], p2[OL_MAX_RANK], q[OL_MAX_RANK];
    size_t n1, n2;
    ol_node *chain[MAX_CHAIN];
    if (!is_transpose(outer))
        return OL_OK;
    size_t n_chain = unary_chain(outer, chain);
    ol_value *y = n_chain ? chain[n_chain - 1]->inputs[0] : outer->inputs[0];
    ol_node *inner = y->producer;
    if (!is_transpose(inner) || !perm_of(inner, p1, &n1, -1) || !perm_of(outer, p2, &n2, (int)n1) ||
        n1 != n2 || (n_chain && !pass_single_use_by(y, chain[n_chain - 1])))
        return OL_OK;
    for (size_t i = 0; i < n2; i++)
        q[i] = p1[p2[i]];
    ol_value *x = inner->inputs[0];
    ol_status st = OL_OK;
    if (n_chain) {   /* the chain moves before T1: its first op reads x */
        st = ol_node_set_input(chain[n_chain - 1], 0, x, err);
        permute_types_back(chain, n_chain, p1, n1);
    }
    ol_value *source = n_chain ? chain[0]->outputs[0] : x;
    bool identity = true;
    for (size_t i = 0; i < n2; i++)
        identity = identity && q[i] == (int64_t)i;
    if (st == OL_OK && identity && pass_can_replace(outer->outputs[0], source)) {
        st = ol_value_replace_all_uses(outer->outputs[0], source, err);
        if (st == OL_OK)
            st = pass_erase_node(graph, outer, err);
    } else if (st == OL_OK) {
        ol_value *old = outer->inputs[0];
        st = ol_node_set_attr_ints(outer, "perm", q, n2, err);
        if (st == OL_OK)
            st = ol_node_set_input(outer, 0, source, err);
        if (st == OL_OK)
            st = pass_drop_if_unused(graph, old, err);
    }
    if (st == OL_OK)
        st = pass_drop_if_unused(graph, y, err);
    *changed = true;
    return st;
}

static ol_status merge_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    (void)ctx;
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_status st = merge(graph, graph->nodes[i], changed, err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static ol_status run_merge_transposes(ol_model *model, const ol_option_values *options, bool *changed,
                                      ol_error *err)
{
    (void)options;
    return pass_for_each_graph(model, merge_graph, NULL, changed, err);
}

const ol_pass_def ol_pass_merge_transposes = {
    OL_PASS_DEF_VERSION,
    .name = "merge-transposes",
    .description = "compose consecutive Transposes (also across layout-agnostic unary ops) and "
                   "cancel inverse pairs",
    .flags = OL_PASS_LOSSLESS | OL_PASS_FIXPOINT | OL_PASS_PRESERVES_SHAPES,
    .run = run_merge_transposes,
};
