/* cse: common subexpression elimination. Two default-domain nodes of the same op reading the same
 * values in the same order with equal attributes compute the same outputs; the later one (in
 * topological order, so the choice is deterministic) is removed and its readers read the earlier
 * one's outputs. Random ops, nodes with subgraphs and other domains are never merged. Constant
 * nodes with equal tensors are merged like any other node. */
#include <stdlib.h>
#include <string.h>

#include "pass_attrs.h"
#include "pass_util.h"
#include "pass/builtin_passes.h"

static bool nondeterministic(const ol_node *node)
{
    static const char *const ops[] = {
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
        "Bernoulli", "Dropout",   /* Dropout is random in training mode */
    };
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(node->op_type, ops[i]) == 0)
            return true;
    return false;
}

static bool candidate(const ol_node *node)
{
    return !node->erased && pass_is_onnx(node) && !nondeterministic(node) && !pass_has_subgraphs(node) &&
           node->n_outputs > 0;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

/* Hash of what makes two nodes equal (attributes by name only; equality checks their values). */
static uint64_t node_hash(const ol_node *node)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = node->op_type; *p; p++)
        h = mix(h, (unsigned char)*p);
    h = mix(h, node->n_inputs);
    h = mix(h, node->n_outputs);
    for (size_t i = 0; i < node->n_inputs; i++)
        h = mix(h, node->inputs[i] ? node->inputs[i]->id + 1 : 0);
    for (size_t a = 0; a < node->n_attrs; a++)
        for (const char *p = node->attrs[a].name; *p; p++)
            h = mix(h, (unsigned char)*p);
    return h;
}

static bool same_computation(const ol_node *a, const ol_node *b)
{
    if (strcmp(a->op_type, b->op_type) != 0 || a->n_inputs != b->n_inputs || a->n_outputs != b->n_outputs ||
        a->opset != b->opset)
        return false;
    for (size_t i = 0; i < a->n_inputs; i++)
        if (a->inputs[i] != b->inputs[i])
            return false;
    for (size_t k = 0; k < a->n_outputs; k++)
        if ((a->outputs[k] == NULL) != (b->outputs[k] == NULL))
            return false;
    return pass_attrs_equal(a, b);
}

/* `dup`'s outputs can all be replaced by `keep`'s. */
static bool replaceable(const ol_node *dup, const ol_node *keep)
{
    for (size_t k = 0; k < dup->n_outputs; k++)
        if (dup->outputs[k] && !pass_can_replace(dup->outputs[k], keep->outputs[k]))
            return false;
    return true;
}

typedef struct table {
    ol_node **slots;
    size_t cap;
} table;

static ol_status cse_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    (void)ctx;
    table t = {.cap = 16};
    while (t.cap < 2 * graph->n_nodes)
        t.cap *= 2;
    t.slots = calloc(t.cap, sizeof *t.slots);
    if (!t.slots)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    ol_status st = OL_OK;
    for (size_t i = 0; i < graph->n_nodes && st == OL_OK; i++) {
        ol_node *node = graph->nodes[i];
        if (!candidate(node))
            continue;
        /* Open addressing; hashed after earlier merges redirected this node's inputs. */
        size_t slot = node_hash(node) & (t.cap - 1);
        ol_node *keep = NULL;
        for (; t.slots[slot]; slot = (slot + 1) & (t.cap - 1))
            if (!t.slots[slot]->erased && same_computation(t.slots[slot], node) &&
                replaceable(node, t.slots[slot])) {
                keep = t.slots[slot];
                break;
            }
        if (!keep) {
            t.slots[slot] = node;
            continue;
        }
        for (size_t k = 0; k < node->n_outputs && st == OL_OK; k++)
            if (node->outputs[k])
                st = ol_value_replace_all_uses(node->outputs[k], keep->outputs[k], err);
        if (st == OL_OK)
            st = pass_erase_node(graph, node, err);
        *changed = true;
    }
    free(t.slots);
    return st;
}

static ol_status run_cse(ol_model *model, const ol_option_values *options, bool *changed, ol_error *err)
{
    (void)options;
    return pass_for_each_graph(model, cse_graph, NULL, changed, err);
}

const ol_pass_def ol_pass_cse = {
    OL_PASS_DEF_VERSION,
    .name = "cse",
    .description = "merge nodes of the same op with the same inputs and attributes (common "
                   "subexpression elimination)",
    .flags = OL_PASS_LOSSLESS | OL_PASS_PRESERVES_SHAPES,
    .run = run_cse,
};
