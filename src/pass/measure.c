/* The pass manager's before/after statistics, measured on the model itself.
 *
 * Measuring runs after every pass that changed the model, so it must cost neither a copy of the
 * weights nor a pass over their bytes: the statistics are computed in place, with the types every
 * value had saved first and put back afterwards (binding input dims and inferring shapes changes
 * nothing else), and the serialized size is counted by streaming the serialization through a
 * counter (and zlib, with `gzip`) instead of writing it to memory. */
#include "pass/measure.h"

#include <stdlib.h>
#include <zlib.h>

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

typedef struct size_counter {
    uint64_t bytes;
    z_stream *z;            /* NULL without gzip */
    uint64_t gzip_bytes;
    bool failed;
    unsigned char window[1 << 16];
} size_counter;

/* Runs deflate over what it has been given (flush Z_NO_FLUSH) or to the end (Z_FINISH), counting
 * the compressed bytes through a window: they are not kept. */
static void deflate_count(size_counter *c, int flush)
{
    for (;;) {
        c->z->next_out = c->window;
        c->z->avail_out = sizeof c->window;
        int rc = deflate(c->z, flush);
        c->gzip_bytes += sizeof c->window - c->z->avail_out;
        if (rc == Z_STREAM_END || (rc == Z_BUF_ERROR && flush == Z_NO_FLUSH))
            return;
        if (rc != Z_OK) {
            c->failed = true;
            return;
        }
        if (flush == Z_NO_FLUSH && c->z->avail_in == 0 && c->z->avail_out != 0)
            return;
    }
}

static void count_bytes(void *user, const uint8_t *data, size_t size)
{
    size_counter *c = user;
    c->bytes += size;
    while (c->z && !c->failed && size) {
        size_t chunk = size < (1u << 30) ? size : (1u << 30);
        c->z->next_in = (unsigned char *)data;   /* zlib does not write its input */
        c->z->avail_in = (uInt)chunk;
        deflate_count(c, Z_NO_FLUSH);
        data += chunk;
        size -= chunk;
    }
}

/* Serialized size of the model and, with `gzip`, its size gzip-compressed at zlib's default level
 * (what `gzip FILE` gives, give or take the header's file name). */
static ol_status serialized_sizes(const ol_model *model, bool gzip, uint64_t *bytes, uint64_t *gzip_bytes,
                                  ol_error *err)
{
    size_counter *c = calloc(1, sizeof *c);
    z_stream z = {0};
    if (!c)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    /* 15 + 16: a gzip wrapper around a 32 KiB window, as gzip(1) writes. */
    if (gzip && deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(c);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory starting zlib");
    }
    c->z = gzip ? &z : NULL;
    ol_status st = ol_model_write_stream(model, count_bytes, c, err);
    if (st == OL_OK && gzip && !c->failed) {
        z.next_in = NULL;
        z.avail_in = 0;
        deflate_count(c, Z_FINISH);
    }
    if (st == OL_OK && c->failed)
        st = ol_fail(err, OL_ERR_INTERNAL, "zlib failed compressing the model");
    *bytes = c->bytes;
    *gzip_bytes = c->gzip_bytes;
    if (gzip)
        deflateEnd(&z);
    free(c);
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
