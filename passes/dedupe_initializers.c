/* dedupe-initializers: initializers with the same type, shape and bytes are one tensor; the first in
 * file order is kept and the readers of the others read it. Initializers that are also graph inputs
 * (defaults a caller may override) or graph outputs keep their identity. Each graph is deduplicated
 * on its own.
 *
 * Reading every weight byte would make this pass cost as much as writing the model, so tensors are
 * bucketed by a hash of their type, shape and a fixed sample of their bytes (both ends and evenly
 * spaced words). Only tensors that share a bucket get a hash of all their bytes, computed once each,
 * and only equal full hashes are compared byte for byte: a model without duplicates is deduplicated
 * without reading its weights, and many tensors that agree on the sample (zero-filled with a few
 * differences) still cost one pass over their bytes, not a comparison of every pair. */
#include <stdlib.h>
#include <string.h>

#include "pass_util.h"
#include "pass/builtin_passes.h"

#define HASH_PRIME 0x100000001b3ull
#define SAMPLE_EDGE 256     /* bytes hashed at each end */
#define SAMPLE_WORDS 64     /* 8-byte words hashed at evenly spaced offsets in between */

static uint64_t mix(uint64_t h, uint64_t word)
{
    h = (h ^ word) * HASH_PRIME;
    return h ^ (h >> 29);
}

static uint64_t load_word(const uint8_t *p, size_t n)
{
    uint64_t w = 0;
    memcpy(&w, p, n < 8 ? n : 8);
    return w;
}

static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 8)
        h = mix(h, load_word(p + i, n - i));
    return mix(h, n);
}

static uint64_t header_hash(const ol_tensor *t)
{
    uint64_t h = mix(0xcbf29ce484222325ull, (uint64_t)t->dtype);
    for (int d = 0; d < t->rank; d++)
        h = mix(h, (uint64_t)t->dims[d]);
    return h;
}

/* Type, shape and a bounded sample of the contents. */
static uint64_t sample_hash(const ol_tensor *t)
{
    uint64_t h = header_hash(t);
    if (t->dtype == OL_STRING) {
        h = mix(h, t->n_strings);
        return t->n_strings ? hash_bytes(h, t->strings[0].data, t->strings[0].size) : h;
    }
    const uint8_t *p = t->data;
    size_t n = t->nbytes;
    if (n <= 2 * SAMPLE_EDGE + 8 * SAMPLE_WORDS)
        return hash_bytes(h, p, n);
    h = hash_bytes(h, p, SAMPLE_EDGE);
    h = hash_bytes(h, p + n - SAMPLE_EDGE, SAMPLE_EDGE);
    size_t span = n - 2 * SAMPLE_EDGE - 8, step = span / SAMPLE_WORDS;
    for (size_t k = 0; k < SAMPLE_WORDS; k++)
        h = mix(h, load_word(p + SAMPLE_EDGE + k * step, 8));
    return mix(h, n);
}

static uint64_t full_hash(const ol_tensor *t)
{
    uint64_t h = header_hash(t);
    if (t->dtype != OL_STRING)
        return hash_bytes(h, t->data, t->nbytes);
    for (size_t i = 0; i < t->n_strings; i++)
        h = hash_bytes(h, t->strings[i].data, t->strings[i].size);
    return h;
}

typedef struct entry {
    ol_value *value;
    uint64_t sample;
    uint64_t full;
    bool has_full;
} entry;

static uint64_t entry_full_hash(entry *e)
{
    if (!e->has_full) {
        e->full = full_hash(e->value->constant);
        e->has_full = true;
    }
    return e->full;
}

static bool eligible(const ol_value *v)
{
    return !v->erased && v->constant && !v->is_input && !v->is_output && !v->sparse.size;
}

/* The earlier initializer `e` duplicates, or NULL; open addressing over `cap` (a power of two)
 * slots, where `e` is inserted when it is new. */
static ol_value *find_or_insert(entry *slots, size_t cap, entry *e)
{
    size_t slot = e->sample & (cap - 1);
    for (; slots[slot].value; slot = (slot + 1) & (cap - 1)) {
        entry *other = &slots[slot];
        if (other->sample == e->sample && entry_full_hash(other) == entry_full_hash(e) &&
            ol_tensor_equal(other->value->constant, e->value->constant))
            return other->value;
    }
    slots[slot] = *e;
    return NULL;
}

static ol_status dedupe_graph(ol_graph *graph, void *ctx, bool *changed, ol_error *err)
{
    (void)ctx;
    size_t cap = 16;
    while (cap < 2 * graph->n_initializers)
        cap *= 2;
    entry *slots = calloc(cap, sizeof *slots);
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
        entry e = {.value = v, .sample = sample_hash(v->constant)};
        ol_value *first = find_or_insert(slots, cap, &e);
        if (!first)
            continue;
        st = ol_value_replace_all_uses(v, first, err);
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
