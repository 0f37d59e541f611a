/* dedupe-initializers: initializers with the same type, shape and bytes are one tensor; the first in
 * file order is kept and the readers of the others read it. Initializers that are also graph inputs
 * (defaults a caller may override) or graph outputs keep their identity. Each graph is deduplicated
 * on its own. */
#include <stdlib.h>
#include <string.h>

#include "pass_util.h"
#include "pass/builtin_passes.h"

static uint64_t tensor_hash(const ol_tensor *t)
{
    uint64_t h = 1469598103934665603ull;
    h = (h ^ (uint64_t)t->dtype) * 1099511628211ull;
    for (int d = 0; d < t->rank; d++)
        h = (h ^ (uint64_t)t->dims[d]) * 1099511628211ull;
    if (t->dtype == OL_STRING) {
        for (size_t i = 0; i < t->n_strings; i++)
            for (size_t k = 0; k < t->strings[i].size; k++)
                h = (h ^ t->strings[i].data[k]) * 1099511628211ull;
        return h;
    }
    const uint8_t *p = t->data;
    for (size_t i = 0; i < t->nbytes; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static bool eligible(const ol_value *v)
{
    return !v->erased && v->constant && !v->is_input && !v->is_output && !v->sparse.size;
}

static ol_status dedupe_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    (void)ctx;
    size_t cap = 16;
    while (cap < 2 * graph->n_initializers)
        cap *= 2;
    ol_value **slots = calloc(cap, sizeof *slots);
    /* Snapshot: erasing a duplicate edits graph->initializers. */
    size_t n = graph->n_initializers;
    ol_value **order = malloc((n ? n : 1) * sizeof *order);
    if (!slots || !order) {
        free(slots);
        free(order);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    if (n)
        memcpy(order, graph->initializers, n * sizeof *order);
    ol_status st = OL_OK;
    for (size_t i = 0; i < n && st == OL_OK; i++) {
        ol_value *v = order[i];
        if (!eligible(v))
            continue;
        size_t slot = tensor_hash(v->constant) & (cap - 1);
        while (slots[slot] && !ol_tensor_equal(slots[slot]->constant, v->constant))
            slot = (slot + 1) & (cap - 1);
        if (!slots[slot]) {
            slots[slot] = v;
            continue;
        }
        st = ol_value_replace_all_uses(v, slots[slot], err);
        if (st == OL_OK)
            st = ol_graph_erase_value(graph, v, err);
        *changed = true;
    }
    free(slots);
    free(order);
    return st;
}

static ol_status run_dedupe(ol_model *model, const ol_option_values *options, bool *changed, ol_error *err)
{
    (void)options;
    return pass_for_each_graph(model, dedupe_graph, NULL, changed, err);
}

const ol_pass_def ol_pass_dedupe_initializers = {
    OL_PASS_DEF_VERSION,
    .name = "dedupe-initializers",
    .description = "keep one copy of initializers with identical type, shape and contents",
    .flags = OL_PASS_LOSSLESS | OL_PASS_PRESERVES_SHAPES,
    .run = run_dedupe,
};
