/* Loop: runs the body while the trip count and the condition allow, threading the loop-carried
 * values through and stacking the scan outputs along a new first axis. */
#include <stdlib.h>
#include <string.h>

#include "exec/ops/control_internal.h"
#include "util/mem.h"

/* A scan output being stacked: the shape of one iteration and the bytes so far. */
typedef struct scan {
    ol_ktensor first;   /* dtype and dims of iteration 0 (data unused) */
    uint8_t *bytes;
    size_t size, cap;
} scan;

static ol_status append_scan(ol_op_ctx *ctx, scan *s, size_t k, int64_t iteration, const ol_ktensor *t)
{
    if (iteration == 0) {
        s->first = *t;
    } else {
        bool same = t->dtype == s->first.dtype && t->rank == s->first.rank;
        for (int d = 0; same && d < t->rank; d++)
            same = t->dims[d] == s->first.dims[d];
        if (!same)
            return ol_op_fail(ctx, OL_ERR_INVALID, "scan output %zu changes type or shape in iteration "
                              "%lld", k, (long long)iteration);
    }
    size_t n = ol_ktensor_nbytes(t);
    if (s->size + n > s->cap) {
        size_t cap = s->cap ? s->cap : 64;
        while (cap < s->size + n)
            cap *= 2;
        uint8_t *grown = realloc(s->bytes, cap);
        if (!grown)
            return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory stacking scan output %zu", k);
        s->bytes = grown;
        s->cap = cap;
    }
    if (n)
        memcpy(s->bytes + s->size, t->data, n);
    s->size += n;
    return OL_OK;
}

/* Shape [iterations, ...per-iteration dims]. Without iterations the per-iteration shape comes
 * from the body's declared output type (unknown dims become 0). */
static ol_status finish_scan(ol_op_ctx *ctx, scan *s, size_t k, size_t out, int64_t iterations,
                             const ol_value *declared)
{
    int64_t dims[OL_KMAX_RANK];
    ol_ktensor shape = s->first;
    if (iterations == 0) {
        const ol_type *ty = &declared->type;
        if (ty->kind != OL_TYPE_TENSOR || ty->elem == OL_UNDEFINED)
            return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "scan output %zu ran no iteration and its type "
                              "is not declared", k);
        shape.dtype = ty->elem;
        shape.rank = ty->rank < 0 ? 0 : ty->rank;
        for (int d = 0; d < shape.rank && d < OL_KMAX_RANK; d++)
            shape.dims[d] = ty->dims[d].value > 0 ? ty->dims[d].value : 0;
    }
    if (shape.rank + 1 > OL_KMAX_RANK)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "scan output %zu would have rank %d", k, shape.rank + 1);
    dims[0] = iterations;
    memcpy(dims + 1, shape.dims, sizeof(int64_t) * (size_t)shape.rank);
    if (!s->bytes && !(s->bytes = malloc(1)))
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    uint8_t *bytes = s->bytes;
    s->bytes = NULL;
    return ol_op_adopt_output(ctx, out, shape.dtype, shape.rank + 1, dims, bytes);
}

typedef struct loop_state {
    size_t n_carried, n_scans;
    ol_ktensor *carried;   /* owned copies: the current loop-carried values */
    scan *scans;
    ol_ktensor *results;   /* one body run's outputs */
} loop_state;

static void loop_state_free(loop_state *ls)
{
    for (size_t j = 0; ls->carried && j < ls->n_carried; j++)
        free(ls->carried[j].data);
    for (size_t k = 0; ls->scans && k < ls->n_scans; k++)
        free(ls->scans[k].bytes);
    free(ls->carried);
    free(ls->scans);
    free(ls->results);
}

/* Runs the body once; on success the carried values and scans are updated and *cond_out holds the
 * body's condition. */
static ol_status iterate(ol_op_ctx *ctx, const ol_graph *body, loop_state *ls, int64_t i, bool cond,
                         bool *cond_out)
{
    size_t n_in = 2 + ls->n_carried, n_out = 1 + ls->n_carried + ls->n_scans;
    ol_ktensor iter = {.data = &i, .dtype = OL_INT64, .rank = 0};
    uint8_t cond_byte = cond;
    ol_ktensor cond_t = {.data = &cond_byte, .dtype = OL_BOOL, .rank = 0};
    const ol_ktensor *small[16];
    const ol_ktensor **inputs = n_in <= 16 ? small : malloc(n_in * sizeof *inputs);
    if (!inputs)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    inputs[0] = &iter;
    inputs[1] = &cond_t;
    for (size_t j = 0; j < ls->n_carried; j++)
        inputs[2 + j] = &ls->carried[j];
    memset(ls->results, 0, n_out * sizeof *ls->results);
    ol_status st = ol_op_run_subgraph(ctx, body, inputs, n_in, ls->results, n_out);
    if (inputs != small)
        free(inputs);
    if (st != OL_OK)
        return st;
    st = control_truth(ctx, &ls->results[0], "the body's condition output", cond_out);
    for (size_t j = 0; j < ls->n_carried; j++) {
        free(ls->carried[j].data);
        ls->carried[j] = ls->results[1 + j];
        ls->results[1 + j].data = NULL;
    }
    for (size_t k = 0; st == OL_OK && k < ls->n_scans; k++)
        st = append_scan(ctx, &ls->scans[k], k, i, &ls->results[1 + ls->n_carried + k]);
    for (size_t k = 0; k < n_out; k++)
        free(ls->results[k].data);
    return st;
}

/* Inputs (M, cond, v_initial...); body (iteration_num, cond, v...) -> (cond, v..., scan...).
 * Without M and cond the loop only ends by failing, as ONNX specifies; without cond the body's
 * condition output is ignored. */
ol_status control_loop(ol_op_ctx *ctx)
{
    const ol_graph *body = control_subgraph(ctx, "body");
    if (!body)
        return ol_op_error(ctx)->status;
    size_t n_inputs = ol_op_input_count(ctx);
    if (n_inputs < 2)
        return ol_op_fail(ctx, OL_ERR_INVALID, "Loop takes at least 2 inputs (M, cond), got %zu", n_inputs);
    loop_state ls = {.n_carried = n_inputs - 2};
    if (body->n_inputs != 2 + ls.n_carried || body->n_outputs < 1 + ls.n_carried)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the body takes %zu inputs and gives %zu outputs for %zu "
                          "loop-carried values", body->n_inputs, body->n_outputs, ls.n_carried);
    ls.n_scans = body->n_outputs - 1 - ls.n_carried;
    if (ol_op_output_count(ctx) > ls.n_carried + ls.n_scans)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the node has %zu outputs, the body makes %zu",
                          ol_op_output_count(ctx), ls.n_carried + ls.n_scans);
    const ol_ktensor *m_t = ol_op_input(ctx, 0), *cond_t = ol_op_input(ctx, 1);
    int64_t trip_limit = INT64_MAX;
    bool cond = true;
    if (m_t) {
        if (m_t->dtype != OL_INT64 || ol_ktensor_numel(m_t) != 1)
            return ol_op_fail(ctx, OL_ERR_INVALID, "M must be one int64");
        trip_limit = *(const int64_t *)m_t->data;
    }
    if (cond_t && control_truth(ctx, cond_t, "cond", &cond) != OL_OK)
        return ol_op_error(ctx)->status;

    ol_status st = OL_OK;
    ls.carried = calloc(ls.n_carried + 1, sizeof *ls.carried);
    ls.scans = calloc(ls.n_scans + 1, sizeof *ls.scans);
    ls.results = calloc(body->n_outputs, sizeof *ls.results);
    if (!ls.carried || !ls.scans || !ls.results)
        st = ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    for (size_t j = 0; st == OL_OK && j < ls.n_carried; j++) {
        const ol_ktensor *v = ol_op_input(ctx, 2 + j);
        if (!v) {
            st = ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "loop-carried value %zu has no initial value", j);
            break;
        }
        size_t bytes = ol_ktensor_nbytes(v);
        ls.carried[j] = *v;
        ls.carried[j].data = malloc(bytes ? bytes : 1);
        if (!ls.carried[j].data)
            st = ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
        else if (bytes)
            memcpy(ls.carried[j].data, v->data, bytes);
    }
    int64_t i = 0;
    for (; st == OL_OK && i < trip_limit && cond; i++) {
        bool next;
        st = iterate(ctx, body, &ls, i, cond, &next);
        if (cond_t)
            cond = next;
    }
    size_t n_out = ol_op_output_count(ctx);
    for (size_t j = 0; st == OL_OK && j < ls.n_carried && j < n_out; j++) {
        ol_ktensor *v = &ls.carried[j];
        st = ol_op_adopt_output(ctx, j, v->dtype, v->rank, v->dims, v->data);
        v->data = NULL;
    }
    for (size_t k = 0; st == OL_OK && k < ls.n_scans && ls.n_carried + k < n_out; k++)
        st = finish_scan(ctx, &ls.scans[k], k, ls.n_carried + k, i,
                         body->outputs[1 + ls.n_carried + k]);
    loop_state_free(&ls);
    return st;
}
