/* Scan: runs the body once per position of the scan inputs, threading the state variables through
 * and stacking the body's scan outputs. Opset 8 has a leading batch axis (each batch element is
 * scanned on its own along axis 1, with optional per-batch lengths); opset 9 and later scan any axis
 * in either direction. */
#include <stdlib.h>
#include <string.h>

#include "exec/ops/extra_ops.h"
#include "exec/ops/op_util.h"

/* A tensor walked along one axis, as [outer][seq][inner bytes]. */
typedef struct scan_seq {
    uint8_t *data;
    int64_t outer, seq;
    size_t inner;
    bool reverse;
} scan_seq;

typedef struct scan_state {
    const ol_graph *body;
    size_t n_state, n_in, n_out;
    ol_ktensor *state;         /* owned current values of the state variables */
    scan_seq *in;
    ol_ktensor *slice;         /* per scan input: the current slice (shape set up front) */
    uint8_t **slice_copy;      /* per scan input: buffer for slices that are not contiguous */
    const ol_ktensor **body_in;
    ol_ktensor *body_out;      /* one body run's outputs; the scan parts are freed by the caller */
    ol_ktensor *first;         /* per scan output: type and shape of the first iteration */
    scan_seq *out;
    bool started;              /* a body run has happened (outputs are allocated) */
} scan_state;

static void scan_state_free(scan_state *s)
{
    for (size_t j = 0; s->state && j < s->n_state; j++)
        free(s->state[j].data);
    for (size_t i = 0; s->slice_copy && i < s->n_in; i++)
        free(s->slice_copy[i]);
    for (size_t k = 0; s->body_out && k < s->n_state + s->n_out; k++)
        free(s->body_out[k].data);
    free(s->state);
    free(s->in);
    free(s->slice);
    free(s->slice_copy);
    free(s->body_in);
    free(s->body_out);
    free(s->first);
    free(s->out);
}

static ol_status scan_state_init(ol_op_ctx *ctx, scan_state *s, const ol_graph *body, size_t n_state, size_t n_in)
{
    *s = (scan_state){.body = body, .n_state = n_state, .n_in = n_in};
    if (body->n_inputs != n_state + n_in || body->n_outputs < n_state)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the body takes %zu inputs and gives %zu outputs for %zu states "
                          "and %zu scan inputs", body->n_inputs, body->n_outputs, n_state, n_in);
    s->n_out = body->n_outputs - n_state;
    size_t n_body = n_state + n_in + s->n_out + 1;
    s->state = calloc(n_state + 1, sizeof *s->state);
    s->in = calloc(n_in + 1, sizeof *s->in);
    s->slice = calloc(n_in + 1, sizeof *s->slice);
    s->slice_copy = calloc(n_in + 1, sizeof *s->slice_copy);
    s->body_in = calloc(n_body, sizeof *s->body_in);
    s->body_out = calloc(n_body, sizeof *s->body_out);
    s->first = calloc(s->n_out + 1, sizeof *s->first);
    s->out = calloc(s->n_out + 1, sizeof *s->out);
    if (!s->state || !s->in || !s->slice || !s->slice_copy || !s->body_in || !s->body_out || !s->first || !s->out)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    return OL_OK;
}

static size_t element_bytes(ol_op_ctx *ctx, ol_dtype dtype, bool *ok)
{
    unsigned bits = ol_dtype_bits(dtype);
    if (bits == 0 || bits % 8 != 0) {
        *ok = false;
        ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "scanning %s tensors is not supported", ol_dtype_name(dtype));
        return 0;
    }
    return bits / 8;
}

/* Describes `t` walked along `axis` into *seq and its slice's shape into *slice (a copy buffer is
 * allocated when the slice is not contiguous). */
static ol_status describe_input(ol_op_ctx *ctx, scan_state *s, size_t i, const ol_ktensor *t, int axis,
                                bool reverse)
{
    bool ok = true;
    size_t esize = element_bytes(ctx, t->dtype, &ok);
    if (!ok)
        return ol_op_error(ctx)->status;
    scan_seq *q = &s->in[i];
    *q = (scan_seq){.data = t->data, .outer = ol_op_dims_product(t, 0, axis), .seq = t->dims[axis],
                    .inner = esize * (size_t)ol_op_dims_product(t, axis + 1, t->rank), .reverse = reverse};
    ol_ktensor *slice = &s->slice[i];
    slice->dtype = t->dtype;
    slice->rank = t->rank - 1;
    for (int d = 0, k = 0; d < t->rank; d++)
        if (d != axis)
            slice->dims[k++] = t->dims[d];
    if (q->outer > 1 && !(s->slice_copy[i] = malloc(q->inner * (size_t)q->outer)))
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    return OL_OK;
}

/* Position of iteration t among `len` valid positions. */
static int64_t position(const scan_seq *q, int64_t t, int64_t len)
{
    return q->reverse ? len - 1 - t : t;
}

/* Runs iteration t (of `len`): slices the scan inputs, runs the body and takes over the new state. */
static ol_status scan_step(ol_op_ctx *ctx, scan_state *s, int64_t t, int64_t len)
{
    for (size_t i = 0; i < s->n_in; i++) {
        const scan_seq *q = &s->in[i];
        int64_t at = position(q, t, len);
        if (!s->slice_copy[i]) {
            s->slice[i].data = q->data + (size_t)at * q->inner;
        } else {
            for (int64_t o = 0; o < q->outer; o++)
                memcpy(s->slice_copy[i] + (size_t)o * q->inner, q->data + (size_t)(o * q->seq + at) * q->inner,
                       q->inner);
            s->slice[i].data = s->slice_copy[i];
        }
        s->body_in[s->n_state + i] = &s->slice[i];
    }
    for (size_t j = 0; j < s->n_state; j++)
        s->body_in[j] = &s->state[j];
    size_t n_body_out = s->n_state + s->n_out;
    memset(s->body_out, 0, n_body_out * sizeof *s->body_out);
    ol_status st = ol_op_run_subgraph(ctx, s->body, s->body_in, s->n_state + s->n_in, s->body_out, n_body_out);
    if (st != OL_OK)
        return st;
    for (size_t j = 0; j < s->n_state; j++) {
        free(s->state[j].data);
        s->state[j] = s->body_out[j];
        s->body_out[j].data = NULL;
    }
    return OL_OK;
}

static bool same_shape(const ol_ktensor *a, const ol_ktensor *b)
{
    if (a->dtype != b->dtype || a->rank != b->rank)
        return false;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d])
            return false;
    return true;
}

/* Copies the scan outputs of iteration t into their places, `first_row` rows into each output, and
 * frees them. */
static ol_status place_outputs(ol_op_ctx *ctx, scan_state *s, int64_t t, int64_t len, int64_t first_row)
{
    ol_status st = OL_OK;
    for (size_t k = 0; k < s->n_out; k++) {
        ol_ktensor *r = &s->body_out[s->n_state + k];
        if (st == OL_OK && !same_shape(r, &s->first[k]))
            st = ol_op_fail(ctx, OL_ERR_INVALID, "scan output %zu changes type or shape in iteration %lld", k,
                            (long long)t);
        const scan_seq *q = &s->out[k];
        if (st == OL_OK && q->data) {
            int64_t at = position(q, t, len);
            for (int64_t o = 0; o < q->outer; o++)
                memcpy(q->data + (size_t)(first_row + o * q->seq + at) * q->inner,
                       (uint8_t *)r->data + (size_t)o * q->inner, q->inner);
        }
        free(r->data);
        r->data = NULL;
    }
    return st;
}

/* Copies the state variables into owned buffers; `batch` >= 0 takes that slice of a batched state. */
static ol_status init_states(ol_op_ctx *ctx, scan_state *s, size_t first_input, int64_t batch)
{
    for (size_t j = 0; j < s->n_state; j++) {
        const ol_ktensor *v = ol_op_input(ctx, first_input + j);
        if (!v)
            return ol_op_fail(ctx, OL_ERR_INVALID, "state variable %zu has no initial value", j);
        bool ok = true;
        size_t esize = element_bytes(ctx, v->dtype, &ok);
        if (!ok)
            return ol_op_error(ctx)->status;
        if (batch >= 0 && (v->rank < 1 || v->dims[0] <= batch))
            return ol_op_fail(ctx, OL_ERR_INVALID, "state variable %zu lacks batch element %lld", j,
                              (long long)batch);
        ol_ktensor *st = &s->state[j];
        free(st->data);
        *st = *v;
        const uint8_t *src = v->data;
        if (batch >= 0) {
            st->rank = v->rank - 1;
            memmove(st->dims, v->dims + 1, sizeof(int64_t) * (size_t)st->rank);
        }
        size_t bytes = esize * (size_t)ol_ktensor_numel(st);
        if (batch >= 0)
            src += bytes * (size_t)batch;
        st->data = malloc(bytes ? bytes : 1);
        if (!st->data)
            return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
        if (bytes)
            memcpy(st->data, src, bytes);
    }
    return OL_OK;
}

/* Per-iteration type of scan output k from the body's declaration, for scans without iterations. */
static ol_status declared_slice(ol_op_ctx *ctx, const scan_state *s, size_t k, ol_ktensor *out)
{
    const ol_type *ty = &s->body->outputs[s->n_state + k]->type;
    if (ty->kind != OL_TYPE_TENSOR || ty->elem == OL_UNDEFINED || ty->rank < 0 || ty->rank >= OL_KMAX_RANK)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "scan output %zu ran no iteration and its type is not declared",
                          k);
    *out = (ol_ktensor){.dtype = ty->elem, .rank = ty->rank};
    for (int d = 0; d < ty->rank; d++) {
        if (ty->dims[d].value < 0)
            return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "scan output %zu ran no iteration and its shape is not "
                              "static", k);
        out->dims[d] = ty->dims[d].value;
    }
    return OL_OK;
}

/* ---- opset 9 and later ---- */

static ol_status read_axes(ol_op_ctx *ctx, const char *name, size_t n, int64_t *out, int64_t dflt)
{
    size_t len = 0;
    const int64_t *v = ol_node_attr_ints(ol_op_node(ctx), name, &len);
    if (v && len != n)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s has %zu entries for %zu tensors", name, len, n);
    for (size_t i = 0; i < n; i++)
        out[i] = v ? v[i] : dflt;
    return OL_OK;
}

/* Allocates scan output k once its per-iteration shape is known (`slice`), inserting the scan axis. */
static ol_status allocate_output9(ol_op_ctx *ctx, scan_state *s, size_t k, const ol_ktensor *slice, int64_t axis,
                                  bool reverse, int64_t seq)
{
    int axis_n;
    if (!ol_op_axis(axis, slice->rank + 1, &axis_n))
        return ol_op_fail(ctx, OL_ERR_INVALID, "scan_output_axes[%zu] = %lld is out of range", k, (long long)axis);
    if (slice->rank + 1 > OL_KMAX_RANK)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "scan output %zu would have rank %d", k, slice->rank + 1);
    s->first[k] = *slice;
    s->first[k].data = NULL;
    size_t index = s->n_state + k;
    if (index >= ol_op_output_count(ctx))
        return OL_OK;
    bool ok = true;
    size_t esize = element_bytes(ctx, slice->dtype, &ok);
    if (!ok)
        return ol_op_error(ctx)->status;
    int64_t dims[OL_KMAX_RANK];
    for (int d = 0, j = 0; d <= slice->rank; d++)
        dims[d] = d == axis_n ? seq : slice->dims[j++];
    ol_ktensor *out = ol_op_output(ctx, index, slice->dtype, slice->rank + 1, dims);
    if (!out)
        return ol_op_error(ctx)->status;
    s->out[k] = (scan_seq){.data = out->data, .outer = ol_op_dims_product(slice, 0, axis_n), .seq = seq,
                           .inner = esize * (size_t)ol_op_dims_product(slice, axis_n, slice->rank),
                           .reverse = reverse};
    return OL_OK;
}

static ol_status adopt_states(ol_op_ctx *ctx, scan_state *s)
{
    for (size_t j = 0; j < s->n_state && j < ol_op_output_count(ctx); j++) {
        ol_ktensor *v = &s->state[j];
        ol_status st = ol_op_adopt_output(ctx, j, v->dtype, v->rank, v->dims, v->data);
        v->data = NULL;
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

static ol_status scan9(ol_op_ctx *ctx, scan_state *s, int64_t n_scan_inputs)
{
    size_t n_in = (size_t)n_scan_inputs, n_state = s->n_state;
    int64_t *attrs = calloc(2 * n_in + 2 * s->n_out + 1, sizeof *attrs);
    if (!attrs)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    int64_t *in_axes = attrs, *in_dirs = attrs + n_in, *out_axes = in_dirs + n_in, *out_dirs = out_axes + s->n_out;
    ol_status st = read_axes(ctx, "scan_input_axes", n_in, in_axes, 0);
    if (st == OL_OK)
        st = read_axes(ctx, "scan_input_directions", n_in, in_dirs, 0);
    if (st == OL_OK)
        st = read_axes(ctx, "scan_output_axes", s->n_out, out_axes, 0);
    if (st == OL_OK)
        st = read_axes(ctx, "scan_output_directions", s->n_out, out_dirs, 0);
    int64_t seq = -1;
    for (size_t i = 0; st == OL_OK && i < n_in; i++) {
        const ol_ktensor *t = ol_op_input(ctx, n_state + i);
        int axis;
        if (!t)
            st = ol_op_fail(ctx, OL_ERR_INVALID, "scan input %zu is missing", i);
        else if (!ol_op_axis(in_axes[i], t->rank, &axis))
            st = ol_op_fail(ctx, OL_ERR_INVALID, "scan_input_axes[%zu] = %lld is out of range for rank %d", i,
                            (long long)in_axes[i], t->rank);
        else if (seq >= 0 && t->dims[axis] != seq)
            st = ol_op_fail(ctx, OL_ERR_INVALID, "scan inputs have different lengths (%lld and %lld)",
                            (long long)seq, (long long)t->dims[axis]);
        else {
            seq = t->dims[axis];
            st = describe_input(ctx, s, i, t, axis, in_dirs[i] != 0);
        }
    }
    if (st == OL_OK && seq < 0)
        st = ol_op_fail(ctx, OL_ERR_INVALID, "Scan needs at least one scan input");
    if (st == OL_OK)
        st = init_states(ctx, s, 0, -1);
    for (int64_t t = 0; st == OL_OK && t < seq; t++) {
        st = scan_step(ctx, s, t, seq);
        for (size_t k = 0; st == OL_OK && t == 0 && k < s->n_out; k++)
            st = allocate_output9(ctx, s, k, &s->body_out[n_state + k], out_axes[k], out_dirs[k] != 0, seq);
        if (st == OL_OK)
            st = place_outputs(ctx, s, t, seq, 0);
    }
    for (size_t k = 0; st == OL_OK && seq == 0 && k < s->n_out; k++) {
        ol_ktensor slice;
        st = declared_slice(ctx, s, k, &slice);
        if (st == OL_OK)
            st = allocate_output9(ctx, s, k, &slice, out_axes[k], out_dirs[k] != 0, 0);
    }
    if (st == OL_OK)
        st = adopt_states(ctx, s);
    free(attrs);
    return st;
}

/* ---- opset 8: [batch, sequence, ...] ---- */

/* Allocates scan output k as [batch, seq, slice...], zero-filled so that positions beyond a batch
 * element's sequence length read as zeros. */
static ol_status allocate_output8(ol_op_ctx *ctx, scan_state *s, size_t k, const ol_ktensor *slice, int64_t batch,
                                  int64_t seq)
{
    if (slice->rank + 2 > OL_KMAX_RANK)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "scan output %zu would have rank %d", k, slice->rank + 2);
    s->first[k] = *slice;
    s->first[k].data = NULL;
    size_t index = s->n_state + k;
    if (index >= ol_op_output_count(ctx))
        return OL_OK;
    bool ok = true;
    size_t esize = element_bytes(ctx, slice->dtype, &ok);
    if (!ok)
        return ol_op_error(ctx)->status;
    int64_t dims[OL_KMAX_RANK] = {batch, seq};
    memcpy(dims + 2, slice->dims, sizeof(int64_t) * (size_t)slice->rank);
    ol_ktensor *out = ol_op_output(ctx, index, slice->dtype, slice->rank + 2, dims);
    if (!out)
        return ol_op_error(ctx)->status;
    memset(out->data, 0, ol_ktensor_nbytes(out));
    s->out[k] = (scan_seq){.data = out->data, .outer = 1, .seq = seq,
                           .inner = esize * (size_t)ol_ktensor_numel(slice)};
    return OL_OK;
}

/* Final states of all batch elements, stacked as [batch, ...]. */
typedef struct batched_states {
    ol_ktensor **out;  /* per state: the output (NULL when not produced) */
    ol_ktensor *shape; /* per state: shape of batch element 0 */
} batched_states;

static ol_status store_states8(ol_op_ctx *ctx, scan_state *s, batched_states *bs, int64_t b, int64_t batch)
{
    for (size_t j = 0; j < s->n_state; j++) {
        const ol_ktensor *v = &s->state[j];
        if (b == 0) {
            bs->shape[j] = *v;
            if (v->rank + 1 > OL_KMAX_RANK)
                return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "state %zu would have rank %d", j, v->rank + 1);
            if (j < ol_op_output_count(ctx)) {
                int64_t dims[OL_KMAX_RANK] = {batch};
                memcpy(dims + 1, v->dims, sizeof(int64_t) * (size_t)v->rank);
                if (!(bs->out[j] = ol_op_output(ctx, j, v->dtype, v->rank + 1, dims)))
                    return ol_op_error(ctx)->status;
            }
        } else if (!same_shape(v, &bs->shape[j])) {
            return ol_op_fail(ctx, OL_ERR_INVALID, "final state %zu differs in shape between batch elements", j);
        }
        if (bs->out[j]) {
            size_t bytes = ol_ktensor_nbytes(v);
            if (bytes)
                memcpy((uint8_t *)bs->out[j]->data + bytes * (size_t)b, v->data, bytes);
        }
    }
    return OL_OK;
}

static ol_status scan8(ol_op_ctx *ctx, scan_state *s, int64_t n_scan_inputs)
{
    size_t n_in = (size_t)n_scan_inputs, first_state = 1, first_scan = 1 + s->n_state;
    const ol_ktensor *lens = ol_op_input(ctx, 0);
    int64_t *dirs = calloc(n_in + 1, sizeof *dirs);
    batched_states bs = {calloc(s->n_state + 1, sizeof *bs.out), calloc(s->n_state + 1, sizeof *bs.shape)};
    ol_status st = OL_OK;
    if (!dirs || !bs.out || !bs.shape)
        st = ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    if (st == OL_OK)
        st = read_axes(ctx, "directions", n_in, dirs, 0);
    int64_t batch = -1, seq = -1;
    for (size_t i = 0; st == OL_OK && i < n_in; i++) {
        const ol_ktensor *t = ol_op_input(ctx, first_scan + i);
        if (!t || t->rank < 2)
            st = ol_op_fail(ctx, OL_ERR_INVALID, "scan input %zu must be [batch, sequence, ...]", i);
        else if (batch >= 0 && (t->dims[0] != batch || t->dims[1] != seq))
            st = ol_op_fail(ctx, OL_ERR_INVALID, "scan inputs differ in batch or sequence length");
        else {
            batch = t->dims[0];
            seq = t->dims[1];
        }
    }
    if (st == OL_OK && batch < 0)
        st = ol_op_fail(ctx, OL_ERR_INVALID, "Scan needs at least one scan input");
    if (st == OL_OK && lens && (lens->dtype != OL_INT64 || ol_ktensor_numel(lens) != batch))
        st = ol_op_fail(ctx, OL_ERR_INVALID, "sequence_lens must be int64 with one length per batch element");
    for (int64_t b = 0; st == OL_OK && b < batch; b++) {
        int64_t len = lens ? ((const int64_t *)lens->data)[b] : seq;
        if (len < 0 || len > seq) {
            st = ol_op_fail(ctx, OL_ERR_INVALID, "sequence length %lld is outside [0, %lld]", (long long)len,
                            (long long)seq);
            break;
        }
        for (size_t i = 0; st == OL_OK && i < n_in; i++) {
            ol_ktensor t = *ol_op_input(ctx, first_scan + i);
            t.rank--;
            memmove(t.dims, t.dims + 1, sizeof(int64_t) * (size_t)t.rank);
            free(s->slice_copy[i]);
            s->slice_copy[i] = NULL;
            st = describe_input(ctx, s, i, &t, 0, dirs[i] != 0);
            s->in[i].data += s->in[i].inner * (size_t)(seq * b);
        }
        if (st == OL_OK)
            st = init_states(ctx, s, first_state, b);
        for (int64_t t = 0; st == OL_OK && t < len; t++) {
            st = scan_step(ctx, s, t, len);
            for (size_t k = 0; st == OL_OK && !s->started && k < s->n_out; k++)
                st = allocate_output8(ctx, s, k, &s->body_out[s->n_state + k], batch, seq);
            s->started = true;
            if (st == OL_OK)
                st = place_outputs(ctx, s, t, len, b * seq);   /* batch element b's rows */
        }
        if (st == OL_OK)
            st = store_states8(ctx, s, &bs, b, batch);
    }
    for (size_t k = 0; st == OL_OK && !s->started && k < s->n_out; k++) {
        ol_ktensor slice;
        st = declared_slice(ctx, s, k, &slice);
        if (st == OL_OK)
            st = allocate_output8(ctx, s, k, &slice, batch, seq);
    }
    for (size_t j = 0; st == OL_OK && batch == 0 && j < s->n_state && j < ol_op_output_count(ctx); j++) {
        /* No batch element: the states keep their [0, ...] initial shape. */
        const ol_ktensor *v = ol_op_input(ctx, first_state + j);
        if (!ol_op_output(ctx, j, v->dtype, v->rank, v->dims))
            st = ol_op_error(ctx)->status;
    }
    free(dirs);
    free(bs.out);
    free(bs.shape);
    return st;
}

ol_status ol_run_scan(ol_op_ctx *ctx)
{
    const ol_attr *body_attr = ol_node_attr(ol_op_node(ctx), "body");
    if (!body_attr || body_attr->type != OL_ATTR_GRAPH || !body_attr->g)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the body graph attribute is missing");
    int64_t n_scan = ol_node_attr_int(ol_op_node(ctx), "num_scan_inputs", 0);
    bool batched = ol_op_opset(ctx) < 9;
    size_t leading = batched ? 1 : 0, n_inputs = ol_op_input_count(ctx);
    if (n_scan < 1 || (size_t)n_scan + leading > n_inputs)
        return ol_op_fail(ctx, OL_ERR_INVALID, "num_scan_inputs %lld does not fit %zu inputs", (long long)n_scan,
                          n_inputs);
    scan_state s;
    size_t n_state = n_inputs - leading - (size_t)n_scan;
    ol_status st = scan_state_init(ctx, &s, body_attr->g, n_state, (size_t)n_scan);
    if (st == OL_OK && ol_op_output_count(ctx) > n_state + s.n_out)
        st = ol_op_fail(ctx, OL_ERR_INVALID, "the node has %zu outputs, the body makes %zu", ol_op_output_count(ctx),
                        n_state + s.n_out);
    if (st == OL_OK)
        st = batched ? scan8(ctx, &s, n_scan) : scan9(ctx, &s, n_scan);
    scan_state_free(&s);
    return st;
}
