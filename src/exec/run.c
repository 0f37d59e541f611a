/* The execution loop: binds views to slots, gives each op planned or heap storage for its outputs,
 * and releases every activation right after its last reader. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/exec_internal.h"
#include "util/mem.h"

static const char *label(const ol_node *node)
{
    return node->name && *node->name ? node->name : "(unnamed)";
}

/* ---- storage ---- */

static void storage_release(ol_session *session, frame *fr, storage *st)
{
    if (!st || --st->refs > 0)
        return;
    if (st->kind == STORAGE_HEAP)
        free(st->data);
    if (fr->planned && (st->kind == STORAGE_HEAP || st->kind == STORAGE_ARENA) &&
        st->plan_index < session->plan.n_recording)
        session->plan.recording[st->plan_index].last = session->current_step;
    st->kind = STORAGE_NONE;
    st->data = NULL;
}

static void slot_release(ol_session *session, frame *fr, slot_rt *slot)
{
    if (!slot->set)
        return;
    storage_release(session, fr, slot->st);
    slot->st = NULL;
    slot->set = false;
}

void ol_exec_frame_release_all(frame *fr)
{
    if (!fr->slots)
        return;
    for (size_t s = 0; s < fr->eg->n_slots; s++) {
        slot_rt *slot = &fr->slots[s];
        if (slot->set && slot->st && --slot->st->refs <= 0 && slot->st->kind == STORAGE_HEAP)
            free(slot->st->data);
        if (slot->st && slot->st->refs <= 0)
            slot->st->kind = STORAGE_NONE;
        slot->set = false;
        slot->st = NULL;
    }
}

/* Bytes for a new activation: from the arena when the plan covers this allocation, else the heap
 * (and the run is recorded so the next one is planned). Graph outputs go to the heap, as they are
 * handed to the caller, unless the caller only borrows them (ol_session_run_borrowed). */
static ol_status allocate(ol_session *session, frame *fr, slot_rt *slot, bool to_caller, size_t size,
                          ol_error *err)
{
    storage *st = &slot->own;
    *st = (storage){.kind = STORAGE_HEAP, .size = size, .refs = 1, .plan_index = UINT32_MAX};
    memory_plan *plan = &session->plan;
    if (fr->planned && !to_caller) {
        size_t k = plan->cursor++;
        if (!OL_RESERVE(plan->recording, plan->cap_recording, k + 1))
            return ol_fail(err, OL_ERR_NOMEM, "out of memory recording the memory plan");
        plan->recording[k] = (alloc_record){.size = size, .first = session->current_step,
                                            .last = session->current_step};
        if (k + 1 > plan->n_recording)
            plan->n_recording = k + 1;
        st->plan_index = (uint32_t)k;
        if (plan->valid && k < plan->n_planned && size <= plan->planned[k].size) {
            st->kind = STORAGE_ARENA;
            st->data = plan->arena + plan->planned[k].offset;
        } else {
            plan->fallbacks++;
        }
    }
    if (st->kind == STORAGE_HEAP) {
        st->data = malloc(size ? size : 1);
        if (!st->data)
            return ol_fail(err, OL_ERR_NOMEM, "out of memory allocating %zu bytes", size);
    }
    slot->st = st;
    slot->t.data = st->data;
    slot->set = true;
    return OL_OK;
}

/* ---- op context ---- */

const ol_node *ol_op_node(const ol_op_ctx *ctx) { return ctx->step->node; }
int64_t ol_op_opset(const ol_op_ctx *ctx) { return ctx->step->node->opset; }
int ol_op_threads(const ol_op_ctx *ctx) { return ctx->session->options.threads; }
size_t ol_op_input_count(const ol_op_ctx *ctx) { return ctx->n_inputs; }
size_t ol_op_output_count(const ol_op_ctx *ctx) { return ctx->step->n_outputs; }
const ol_op_fusion *ol_op_fusion_of(const ol_op_ctx *ctx) { return ctx->step->fusion; }
ol_error *ol_op_error(ol_op_ctx *ctx) { return ctx->err; }

const ol_ktensor *ol_op_input(const ol_op_ctx *ctx, size_t i)
{
    return i < ctx->n_inputs ? ctx->inputs[i] : NULL;
}

bool ol_op_output_wanted(const ol_op_ctx *ctx, size_t i)
{
    return i < ctx->step->n_outputs && ctx->step->outputs[i] != OL_NO_SLOT;
}

ol_status ol_op_fail(ol_op_ctx *ctx, ol_status status, const char *fmt, ...)
{
    char message[OL_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return ol_fail(ctx->err, status, "node '%s' (%s): %s", label(ctx->step->node), ctx->step->label, message);
}

static slot_rt *output_slot(ol_op_ctx *ctx, size_t i, bool *to_caller)
{
    if (i >= ctx->step->n_outputs)
        return NULL;
    uint32_t s = ctx->step->outputs[i];
    if (s == OL_NO_SLOT) {
        *to_caller = true;   /* heap, freed after the step */
        return &ctx->discard[i];
    }
    *to_caller = ctx->fr->eg->slots[s].is_output && !ctx->fr->borrow_outputs;
    return &ctx->fr->slots[s];
}

static ol_status check_shape(ol_op_ctx *ctx, ol_dtype dtype, int rank, const int64_t *dims, size_t *bytes)
{
    if (rank < 0 || rank > OL_KMAX_RANK)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "output rank %d is outside 0..%d", rank, OL_KMAX_RANK);
    int64_t n = 1;
    for (int d = 0; d < rank; d++)
        if (dims[d] < 0 || !ol_mul_i64(n, dims[d], &n))
            return ol_op_fail(ctx, OL_ERR_INVALID, "output dimension %d is negative or overflows", d);
    *bytes = ol_dtype_storage_bytes(dtype, n);
    if (*bytes == SIZE_MAX)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "cannot store %s outputs", ol_dtype_name(dtype));
    return OL_OK;
}

ol_ktensor *ol_op_output(ol_op_ctx *ctx, size_t i, ol_dtype dtype, int rank, const int64_t *dims)
{
    bool to_caller;
    size_t bytes;
    slot_rt *slot = output_slot(ctx, i, &to_caller);
    if (!slot) {
        ol_op_fail(ctx, OL_ERR_INTERNAL, "asked for output %zu of %zu", i, ctx->step->n_outputs);
        return NULL;
    }
    if (check_shape(ctx, dtype, rank, dims, &bytes) != OL_OK)
        return NULL;
    if (slot->set) {
        ol_op_fail(ctx, OL_ERR_INTERNAL, "output %zu was produced twice", i);
        return NULL;
    }
    ol_ktensor_set_shape(&slot->t, dtype, rank, dims);
    if (allocate(ctx->session, ctx->fr, slot, to_caller, bytes, ctx->err) != OL_OK)
        return NULL;
    return &slot->t;
}

ol_status ol_op_alias_output(ol_op_ctx *ctx, size_t i, size_t in, int rank, const int64_t *dims)
{
    bool to_caller;
    size_t bytes;
    slot_rt *slot = output_slot(ctx, i, &to_caller);
    const ol_ktensor *src = ol_op_input(ctx, in);
    if (!slot || !src)
        return ol_op_fail(ctx, OL_ERR_INTERNAL, "alias of a missing input or output");
    if (check_shape(ctx, src->dtype, rank, dims, &bytes) != OL_OK)
        return ctx->err->status;
    if (bytes != ol_ktensor_nbytes(src))
        return ol_op_fail(ctx, OL_ERR_INTERNAL, "alias changes the byte size");
    uint32_t s = ctx->step->inputs[in];
    slot_rt *from = s == OL_NO_SLOT ? NULL : &ctx->fr->slots[s];
    /* Converted (float16) inputs live only for this step, and outputs for the caller must own their
     * bytes: both get a copy instead of an alias. */
    if (to_caller || !from || from->t.data != src->data) {
        ol_ktensor *out = ol_op_output(ctx, i, src->dtype, rank, dims);
        if (!out)
            return ctx->err->status;
        if (bytes)   /* an empty input may have no data pointer at all */
            memcpy(out->data, src->data, bytes);
        return OL_OK;
    }
    ol_ktensor_set_shape(&slot->t, src->dtype, rank, dims);
    slot->t.data = src->data;
    slot->st = from->st;   /* NULL for constants and inputs: their bytes outlive the frame */
    if (slot->st)
        slot->st->refs++;
    slot->set = true;
    return OL_OK;
}

ol_status ol_op_adopt_output(ol_op_ctx *ctx, size_t i, ol_dtype dtype, int rank, const int64_t *dims,
                             void *data)
{
    bool to_caller;
    size_t bytes;
    slot_rt *slot = output_slot(ctx, i, &to_caller);
    if (!slot) {
        free(data);
        return ol_op_fail(ctx, OL_ERR_INTERNAL, "adopting output %zu that does not exist", i);
    }
    if (check_shape(ctx, dtype, rank, dims, &bytes) != OL_OK) {
        free(data);
        return ctx->err->status;
    }
    ol_ktensor_set_shape(&slot->t, dtype, rank, dims);
    slot->own = (storage){.kind = STORAGE_HEAP, .data = data, .size = bytes, .refs = 1,
                          .plan_index = UINT32_MAX};
    slot->st = &slot->own;
    slot->t.data = data;
    slot->set = true;
    return OL_OK;
}

void *ol_op_scratch(ol_op_ctx *ctx, size_t bytes)
{
    ol_session *s = ctx->session;
    int d = ctx->fr->depth;
    if (bytes > s->scratch_size[d]) {
        free(s->scratch[d]);
        s->scratch[d] = malloc(bytes);
        s->scratch_size[d] = s->scratch[d] ? bytes : 0;
        if (!s->scratch[d]) {
            ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory for %zu bytes of scratch", bytes);
            return NULL;
        }
    }
    if (bytes > s->scratch_peak)
        s->scratch_peak = bytes;
    return s->scratch[d];
}

bool ol_op_input_is_fixed(const ol_op_ctx *ctx, size_t i)
{
    uint32_t s = i < ctx->step->n_inputs ? ctx->step->inputs[i] : OL_NO_SLOT;
    return s != OL_NO_SLOT && ol_exec_fixed_constant(ctx->fr->eg->slots[s].value) != NULL;
}

static exec_prepared *prepared_of(const ol_op_ctx *ctx)
{
    const exec_graph *eg = ctx->fr->eg;
    return &eg->prepared[ctx->step - eg->steps];
}

void *ol_op_prepared(const ol_op_ctx *ctx)
{
    return prepared_of(ctx)->data;
}

void ol_op_set_prepared(ol_op_ctx *ctx, void *data, void (*destroy)(void *data))
{
    exec_prepared *p = prepared_of(ctx);
    if (p->data && p->destroy)
        p->destroy(p->data);
    *p = (exec_prepared){data, destroy};
}

/* ---- float16 through float32 ---- */

static bool is_half(ol_dtype t)
{
    return t == OL_FLOAT16 || t == OL_BFLOAT16;
}

static void half_to_float(const ol_ktensor *src, float *dst)
{
    size_t n = (size_t)ol_ktensor_numel(src);
    const uint16_t *h = src->data;
    if (src->dtype == OL_FLOAT16)
        ol_half_to_float_n(h, dst, n);
    else
        for (size_t i = 0; i < n; i++)
            dst[i] = ol_bf16_to_float(h[i]);
}

/* Converts a float32 output to `half` in place (the half data is smaller and written forwards). */
static void float_to_half_in_place(ol_ktensor *t, ol_dtype half)
{
    size_t n = (size_t)ol_ktensor_numel(t);
    const float *f = t->data;
    uint16_t *h = t->data;
    for (size_t i = 0; i < n; i++) {
        float v = f[i];
        h[i] = half == OL_FLOAT16 ? ol_float_to_half(v) : ol_float_to_bf16(v);
    }
    t->dtype = half;
}

/* ---- the loop ---- */

static void record_time(ol_session *session, const char *op_type, double ms)
{
    for (size_t i = 0; i < session->n_op_times; i++)
        if (strcmp(session->op_times[i].op_type, op_type) == 0) {
            session->op_times[i].total_ms += ms;
            session->op_times[i].calls++;
            return;
        }
    ol_op_time *grown = realloc(session->op_times, (session->n_op_times + 1) * sizeof *grown);
    if (!grown)
        return;   /* profiling is best effort */
    session->op_times = grown;
    session->op_times[session->n_op_times++] = (ol_op_time){op_type, ms, 1};
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static ol_status run_step(ol_session *session, frame *fr, const exec_step *step, ol_error *err)
{
    const ol_node *node = step->node;
    size_t n_in = step->n_inputs, n_out = step->n_outputs;
    const ol_ktensor *views_small[16];
    slot_rt discard_small[8];
    const ol_ktensor **views = n_in <= 16 ? views_small : calloc(n_in, sizeof *views);
    slot_rt *discard = n_out <= 8 ? discard_small : calloc(n_out, sizeof *discard);
    ol_ktensor *converted = NULL;
    ol_status st = OL_OK;
    if (!views || !discard) {
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
        goto done;
    }
    memset(discard, 0, n_out * sizeof *discard);
    ol_dtype half = OL_UNDEFINED;
    for (size_t k = 0; k < n_in; k++) {
        uint32_t s = step->inputs[k];
        views[k] = NULL;
        if (s == OL_NO_SLOT)
            continue;
        if (!fr->slots[s].set) {
            st = ol_fail(err, OL_ERR_INTERNAL, "node '%s' (%s): input '%s' has no value", label(node),
                         step->label, fr->eg->slots[s].value->name);
            goto done;
        }
        views[k] = &fr->slots[s].t;
        if ((step->def->flags & OL_OP_F16_VIA_F32) && is_half(views[k]->dtype))
            half = views[k]->dtype;
    }
    if (half != OL_UNDEFINED) {
        converted = calloc(n_in, sizeof *converted);
        if (!converted) {
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (size_t k = 0; k < n_in; k++) {
            if (!views[k] || !is_half(views[k]->dtype))
                continue;
            converted[k] = *views[k];
            converted[k].dtype = OL_FLOAT;
            converted[k].data = malloc(ol_ktensor_nbytes(&converted[k]) + 1);
            if (!converted[k].data) {
                st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
                goto done;
            }
            half_to_float(views[k], converted[k].data);
            views[k] = &converted[k];
        }
    }
    ol_op_ctx ctx = {.session = session, .fr = fr, .step = step, .inputs = views, .n_inputs = n_in,
                     .discard = discard, .err = err};
    double t0 = session->options.profile ? now_ms() : 0;
    st = step->def->run(&ctx);
    if (st == OL_OK) {
        for (size_t k = 0; k < n_out; k++) {
            uint32_t s = step->outputs[k];
            if (s != OL_NO_SLOT && !fr->slots[s].set) {
                st = ol_fail(err, OL_ERR_INTERNAL, "node '%s' (%s) did not produce output '%s'",
                             label(node), step->label, fr->eg->slots[s].value->name);
                break;
            }
            if (half != OL_UNDEFINED && s != OL_NO_SLOT && fr->slots[s].t.dtype == OL_FLOAT) {
                const ol_type *declared = &fr->eg->slots[s].value->type;
                ol_dtype target = declared->kind == OL_TYPE_TENSOR && declared->elem != OL_UNDEFINED
                                      ? declared->elem : half;
                if (is_half(target))
                    float_to_half_in_place(&fr->slots[s].t, target);
            }
        }
    } else if (err->status == OL_OK) {
        ol_fail(err, st, "node '%s' (%s) failed", label(node), step->label);
    }
    if (session->options.profile)
        record_time(session, step->label, now_ms() - t0);
done:
    for (size_t k = 0; discard && k < n_out; k++)
        if (discard[k].set && discard[k].own.kind == STORAGE_HEAP)
            free(discard[k].own.data);
    for (size_t k = 0; converted && k < n_in; k++)
        free(converted[k].data);
    free(converted);
    if (views != views_small)
        free(views);
    if (discard != discard_small)
        free(discard);
    return st;
}

ol_status ol_exec_run_frame(ol_session *session, frame *fr, ol_error *err)
{
    const exec_graph *eg = fr->eg;
    for (size_t i = 0; i < eg->n_steps; i++) {
        const exec_step *step = &eg->steps[i];
        if (fr->planned)
            session->current_step = (uint32_t)i;
        ol_status st = run_step(session, fr, step, err);
        if (st != OL_OK)
            return st;
        for (size_t r = 0; r < step->n_release; r++)
            slot_release(session, fr, &fr->slots[step->release[r]]);
    }
    return OL_OK;
}

ol_status ol_exec_take_output(frame *fr, uint32_t s, ol_ktensor *out, ol_error *err)
{
    slot_rt *slot = &fr->slots[s];
    if (!slot->set)
        return ol_fail(err, OL_ERR_INVALID, "output '%s' was not computed", fr->eg->slots[s].value->name);
    *out = slot->t;
    /* An exclusively owned heap buffer is handed over; anything else is copied. */
    if (slot->st == &slot->own && slot->own.kind == STORAGE_HEAP && slot->own.refs == 1) {
        slot->own.kind = STORAGE_NONE;
        slot->own.refs = 0;
        slot->st = NULL;
        slot->set = false;
        return OL_OK;
    }
    size_t bytes = ol_ktensor_nbytes(&slot->t);
    out->data = malloc(bytes ? bytes : 1);
    if (!out->data)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory copying an output");
    if (bytes)
        memcpy(out->data, slot->t.data, bytes);
    return OL_OK;
}
