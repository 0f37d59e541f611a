/* The pass manager's before/after statistics, measured on the model itself.
 *
 * Measuring runs after every pass that changed the model, so it must cost neither a copy of the
 * weights nor a pass over their bytes: the statistics are computed in place, with the types every
 * value had saved first and put back afterwards (binding input dims and inferring shapes changes
 * nothing else), and the serialized size is counted by streaming the serialization through a
 * counter (and a compressor, with `gzip`) instead of writing it to memory. */
#include "pass/measure.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/input_shapes.h"
#include "onnxlite/model_io.h"
#include "util/mem.h"

/* What inspect assumes for a dim the model leaves open, so both print the same MACs. */
#define ASSUMED_DIM 1

/* ---- saved types ---- */

typedef struct saved_type {
    ol_value *value;
    ol_type type;
} saved_type;

typedef struct saved_types {
    saved_type *items;
    size_t n, cap;
} saved_types;

/* Copies the type of every value of `graph` and its subgraphs. */
static bool save_types(ol_graph *graph, saved_types *saved)
{
    for (size_t i = 0; i < graph->n_values; i++) {
        ol_value *v = graph->values[i];
        if (v->erased)
            continue;
        if (!OL_RESERVE(saved->items, saved->cap, saved->n + 1))
            return false;
        saved_type *s = &saved->items[saved->n];
        s->value = v;
        s->type = (ol_type){0};
        if (ol_type_copy(&s->type, &v->type) != 0) {
            ol_type_clear(&s->type);
            return false;
        }
        saved->n++;
    }
    for (size_t i = 0; i < graph->n_nodes; i++) {
        const ol_node *node = graph->nodes[i];
        for (size_t a = 0; !node->erased && a < node->n_attrs; a++) {
            const ol_attr *attr = &node->attrs[a];
            if (attr->g && !save_types(attr->g, saved))
                return false;
            for (size_t k = 0; attr->graphs && k < attr->n; k++)
                if (attr->graphs[k] && !save_types(attr->graphs[k], saved))
                    return false;
        }
    }
    return true;
}

/* Puts every saved type back (when `restore`) and frees the copies. */
static void restore_types(saved_types *saved, bool restore)
{
    for (size_t i = 0; i < saved->n; i++) {
        saved_type *s = &saved->items[i];
        if (restore) {
            ol_type_clear(&s->value->type);
            s->value->type = s->type;
        } else {
            ol_type_clear(&s->type);
        }
    }
    free(saved->items);
    *saved = (saved_types){0};
}

/* ---- serialized size ---- */

/* The gzip size is that of the serialization cut into fixed blocks, each deflated on its own at
 * level 6 (gzip's default) by libdeflate, plus gzip's 18-byte header and trailer. Fixed blocks keep
 * the figure independent of the thread count, and let the blocks of a group compress in parallel;
 * each block only loses the 32 KiB of history before it, so on the zoo and the teacher the figure
 * is within 0.2% of `gzip -6`'s. zlib's streaming deflate gave the exact figure, but at 20-25 MB/s
 * on float weights it took longer than quantizing resnet18 (2 s of a 3.4 s run); libdeflate
 * level 6 runs at about 70 MB/s per thread. */
#define GZIP_LEVEL 6
#define GZIP_BLOCK (1u << 20)
#define GZIP_GROUP 8                /* blocks buffered, then compressed in parallel */
#define GZIP_WRAPPER_BYTES 18       /* gzip header (10) and CRC-32 + length trailer (8) */

typedef struct size_counter {
    uint64_t bytes;
    bool gzip;
    uint64_t gzip_bytes;
    bool failed;
    unsigned char *buffer;          /* GZIP_GROUP blocks of input */
    size_t filled;
} size_counter;

/* Deflates the buffered bytes block by block, the blocks in parallel, and counts the results. */
static void deflate_group(size_counter *c)
{
    size_t n_blocks = (c->filled + GZIP_BLOCK - 1) / GZIP_BLOCK;
    uint64_t total = 0;
    int failed = 0;
#pragma omp parallel reduction(+ : total, failed) if (n_blocks > 1)
    {
        struct libdeflate_compressor *z = libdeflate_alloc_compressor(GZIP_LEVEL);
        size_t cap = z ? libdeflate_deflate_compress_bound(z, GZIP_BLOCK) : 0;
        unsigned char *out = z ? malloc(cap) : NULL;
        failed += !out;
#pragma omp for schedule(static)
        for (size_t b = 0; b < n_blocks; b++) {
            size_t at = b * GZIP_BLOCK, len = c->filled - at < GZIP_BLOCK ? c->filled - at : GZIP_BLOCK;
            size_t got = out ? libdeflate_deflate_compress(z, c->buffer + at, len, out, cap) : 0;
            total += got;
            failed += out && got == 0;
        }
        free(out);
        libdeflate_free_compressor(z);
    }
    c->gzip_bytes += total;
    c->failed |= failed != 0;
    c->filled = 0;
}

static void count_bytes(void *user, const uint8_t *data, size_t size)
{
    size_counter *c = user;
    c->bytes += size;
    while (c->gzip && !c->failed && size) {
        size_t room = (size_t)GZIP_GROUP * GZIP_BLOCK - c->filled, chunk = size < room ? size : room;
        memcpy(c->buffer + c->filled, data, chunk);
        c->filled += chunk;
        data += chunk;
        size -= chunk;
        if (c->filled == (size_t)GZIP_GROUP * GZIP_BLOCK)
            deflate_group(c);
    }
}

/* Serialized size of the model and, with `gzip`, its gzip-compressed size (see GZIP_LEVEL). */
static ol_status serialized_sizes(const ol_model *model, bool gzip, uint64_t *bytes, uint64_t *gzip_bytes,
                                  ol_error *err)
{
    size_counter c = {.gzip = gzip};
    if (gzip && !(c.buffer = malloc((size_t)GZIP_GROUP * GZIP_BLOCK)))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    ol_status st = ol_model_write_stream(model, count_bytes, &c, err);
    if (st == OL_OK && gzip && !c.failed)
        deflate_group(&c);
    if (st == OL_OK && c.failed)
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory compressing the model to measure its gzip size");
    *bytes = c.bytes;
    *gzip_bytes = gzip ? c.gzip_bytes + GZIP_WRAPPER_BYTES : 0;
    free(c.buffer);
    return st;
}

ol_status ol_pass_measure(ol_model *model, bool gzip, ol_model_stats *out, ol_error *err)
{
    *out = (ol_model_stats){0};
    uint64_t file_bytes = 0, gzip_bytes = 0;
    ol_status st = serialized_sizes(model, gzip, &file_bytes, &gzip_bytes, err);
    saved_types saved = {0};
    ol_assumed_dims assumed = {0};
    bool have_saved = false;
    if (st == OL_OK) {
        have_saved = save_types(model->graph, &saved);
        if (!have_saved)
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    if (st == OL_OK)
        st = ol_model_bind_unknown_input_dims(model, ASSUMED_DIM, &assumed, err);
    if (st == OL_OK)
        st = ol_model_stats_compute(model, out, err);
    /* Costs point at nodes whose shapes are about to go back to the unbound ones. */
    free(out->costs);
    out->costs = NULL;
    out->n_costs = 0;
    restore_types(&saved, have_saved);
    ol_assumed_dims_clear(&assumed);
    if (st == OL_OK) {
        out->file_bytes = file_bytes;
        out->gzip_bytes = gzip_bytes;
    } else {
        ol_error_prefix(err, "measuring the model: ");
    }
    return st;
}
