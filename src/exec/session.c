/* Session lifetime, input checking, the main run and subgraph runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "exec/exec_internal.h"
#include "exec/session_qdq.h"

ol_status ol_session_create(const ol_model *model, const ol_session_options *options,
                            ol_session **out, ol_error *err)
{
    *out = NULL;
    if (!model->graph)
        return ol_fail(err, OL_ERR_INVALID, "model has no graph");
    ol_session *s = calloc(1, sizeof *s);
    if (!s)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    s->model = model;
    if (options)
        s->options = *options;
    /* One thread budget for both pools: OpenMP's idle threads spin, so leaving it at its default
     * while BLAS runs single-threaded steals the core the benchmark asked for. */
    if (s->options.threads > 0) {
        openblas_set_num_threads(s->options.threads);
        omp_set_num_threads(s->options.threads);
    }
    /* A QDQ model runs as its lowered copy, with integer kernels (session_qdq.c). */
    ol_status st = s->options.no_qdq_lowering ? OL_OK : ol_exec_lower_qdq(model, &s->lowered, err);
    if (s->lowered)
        s->model = s->lowered;
    if (st == OL_OK)
        st = ol_exec_compile(s, s->model->graph, &s->main, err);
    if (st != OL_OK) {
        ol_session_destroy(s);
        return st;
    }
    *out = s;
    return OL_OK;
}

void ol_session_destroy(ol_session *s)
{
    if (!s)
        return;
    ol_exec_graph_destroy(s->main);
    for (size_t i = 0; i < s->n_subgraphs; i++)
        ol_exec_graph_destroy(s->subgraphs[i]);
    free(s->subgraphs);
    free(s->plan.planned);
    free(s->plan.recording);
    free(s->plan.arena);
    for (int d = 0; d <= OL_MAX_SUBGRAPH_DEPTH; d++)
        free(s->scratch[d]);
    free(s->op_times);
    ol_model_destroy(s->lowered);
    free(s);
}

size_t ol_session_input_count(const ol_session *s) { return s->model->graph->n_inputs; }
const ol_value *ol_session_input(const ol_session *s, size_t i) { return s->model->graph->inputs[i]; }
size_t ol_session_output_count(const ol_session *s) { return s->model->graph->n_outputs; }
const ol_value *ol_session_output(const ol_session *s, size_t i) { return s->model->graph->outputs[i]; }

static void format_shape(char *buf, size_t size, ol_dtype dtype, int rank, const ol_dim *dims,
                         const int64_t *values)
{
    size_t len = (size_t)snprintf(buf, size, "%s[", ol_dtype_name(dtype));
    for (int d = 0; d < rank && len < size; d++) {
        if (dims && dims[d].param)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", d ? "," : "", dims[d].param);
        else if (dims && dims[d].value < 0)
            len += (size_t)snprintf(buf + len, size - len, "%s?", d ? "," : "");
        else
            len += (size_t)snprintf(buf + len, size - len, "%s%lld", d ? "," : "",
                                    (long long)(dims ? dims[d].value : values[d]));
    }
    if (len < size)
        snprintf(buf + len, size - len, "]");
}

static ol_status check_input(const ol_value *v, const ol_ktensor *t, ol_error *err)
{
    const ol_type *ty = &v->type;
    if (ty->kind != OL_TYPE_TENSOR)
        return OL_OK;
    bool ok = ty->elem == OL_UNDEFINED || ty->elem == t->dtype;
    if (ty->rank >= 0) {
        ok = ok && ty->rank == t->rank;
        for (int d = 0; ok && d < t->rank; d++)
            ok = ty->dims[d].value < 0 || ty->dims[d].value == t->dims[d];
    }
    if (ok)
        return OL_OK;
    char want[256], got[256];
    if (ty->rank >= 0)
        format_shape(want, sizeof want, ty->elem, ty->rank, ty->dims, NULL);
    else
        snprintf(want, sizeof want, "%s of any shape", ol_dtype_name(ty->elem));
    format_shape(got, sizeof got, t->dtype, t->rank, NULL, t->dims);
    return ol_fail(err, OL_ERR_ARG, "input '%s' expects %s, got %s", v->name, want, got);
}

static void bind_constant(slot_rt *slot, const ol_tensor *c)
{
    ol_ktensor_set_shape(&slot->t, c->dtype, c->rank, c->dims);
    slot->t.data = (void *)c->data;
    slot->st = NULL;
    slot->set = true;
}

/* Binds constants and outer references of a fresh frame. */
static ol_status bind_frame(frame *fr, ol_error *err)
{
    const exec_graph *eg = fr->eg;
    for (size_t s = 0; s < eg->n_slots; s++) {
        const slot_info *si = &eg->slots[s];
        if (si->kind == SLOT_CONST && !si->value->is_input) {
            if (si->value->constant->dtype == OL_STRING || si->value->constant->rank > OL_KMAX_RANK)
                continue;   /* ops that read it will find it unset and say so */
            bind_constant(&fr->slots[s], si->value->constant);
        } else if (si->kind == SLOT_OUTER) {
            const ol_value *outer = si->value->outer;
            frame *p = fr->parent;
            if (!p || p->eg->graph != outer->graph || !p->slots[outer->id].set)
                return ol_fail(err, OL_ERR_INTERNAL, "outer value '%s' is not available",
                               si->value->name);
            fr->slots[s].t = p->slots[outer->id].t;
            fr->slots[s].st = NULL;   /* the enclosing frame keeps it alive */
            fr->slots[s].set = true;
        }
    }
    return OL_OK;
}

static void replan(ol_session *s)
{
    memory_plan *plan = &s->plan;
    if (plan->valid && plan->fallbacks == 0 && plan->n_recording <= plan->n_planned)
        return;
    alloc_record *records = malloc((plan->n_recording ? plan->n_recording : 1) * sizeof *records);
    if (!records)
        return;   /* keep running from the heap */
    if (plan->n_recording)   /* recording is NULL when the graph made no allocation */
        memcpy(records, plan->recording, plan->n_recording * sizeof *records);
    size_t size = ol_plan_offsets(records, plan->n_recording);
    uint8_t *arena = size == SIZE_MAX ? NULL : aligned_alloc(64, (size + 63) / 64 * 64 + 64);
    if (!arena) {
        free(records);
        return;
    }
    free(plan->arena);
    free(plan->planned);
    plan->arena = arena;
    plan->arena_size = size;
    plan->planned = records;
    plan->n_planned = plan->n_recording;
    plan->activation_bytes = 0;
    for (size_t i = 0; i < plan->n_recording; i++)
        plan->activation_bytes += records[i].size;
    plan->valid = true;
}

/* Binds the inputs and runs the main graph in `fr`, whose slots the caller frees. */
static ol_status run_main(ol_session *s, const ol_ktensor *inputs, frame *fr, ol_error *err)
{
    const ol_graph *g = s->model->graph;
    ol_status st = OL_OK;
    fr->slots = calloc(s->main->n_slots ? s->main->n_slots : 1, sizeof *fr->slots);
    if (!fr->slots)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < g->n_inputs && st == OL_OK; i++) {
        const ol_value *v = g->inputs[i];
        slot_rt *slot = &fr->slots[v->id];
        if (inputs[i].data || ol_ktensor_numel(&inputs[i]) == 0) {
            if (inputs[i].rank < 0 || inputs[i].rank > OL_KMAX_RANK) {
                st = ol_fail(err, OL_ERR_ARG, "input '%s' has rank %d", v->name, inputs[i].rank);
                break;
            }
            st = check_input(v, &inputs[i], err);
            slot->t = inputs[i];
            slot->set = true;
        } else if (v->constant) {
            bind_constant(slot, v->constant);
        } else {
            st = ol_fail(err, OL_ERR_ARG, "input '%s' was not given", v->name);
        }
    }
    if (st == OL_OK)
        st = bind_frame(fr, err);
    s->plan.cursor = 0;
    s->plan.fallbacks = 0;
    if (st == OL_OK)
        st = ol_exec_run_frame(s, fr, err);
    return st;
}

ol_status ol_session_run(ol_session *s, const ol_ktensor *inputs, ol_ktensor *outputs, ol_error *err)
{
    const ol_graph *g = s->model->graph;
    frame fr = {.eg = s->main, .planned = true};
    size_t n_taken = 0;
    ol_status st = run_main(s, inputs, &fr, err);
    for (size_t i = 0; i < g->n_outputs && st == OL_OK; i++, n_taken++)
        st = ol_exec_take_output(&fr, g->outputs[i]->id, &outputs[i], err);
    if (st != OL_OK)
        for (size_t i = 0; i < n_taken; i++) {
            free(outputs[i].data);
            outputs[i].data = NULL;
        }
    ol_exec_frame_release_all(&fr);
    free(fr.slots);
    if (st == OL_OK)
        replan(s);
    return st;
}

ol_status ol_session_run_borrowed(ol_session *s, const ol_ktensor *inputs, ol_session_output_fn use,
                                  void *user, ol_error *err)
{
    const ol_graph *g = s->model->graph;
    frame fr = {.eg = s->main, .planned = true, .borrow_outputs = true};
    ol_ktensor *outputs = calloc(g->n_outputs + 1, sizeof *outputs);
    ol_status st = outputs ? run_main(s, inputs, &fr, err) : ol_fail(err, OL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < g->n_outputs && st == OL_OK; i++) {
        const slot_rt *slot = &fr.slots[g->outputs[i]->id];
        if (!slot->set)
            st = ol_fail(err, OL_ERR_INVALID, "output '%s' was not computed", g->outputs[i]->name);
        else
            outputs[i] = slot->t;
    }
    if (st == OL_OK)
        st = use(user, outputs, err);
    /* Whatever the run still holds (the outputs, and storage they view) was alive up to its end:
     * the plan must not give those bytes to anything else. */
    for (size_t k = 0; fr.slots && k < s->main->n_slots; k++) {
        const slot_rt *slot = &fr.slots[k];
        if (slot->set && slot->st && (slot->st->kind == STORAGE_HEAP || slot->st->kind == STORAGE_ARENA) &&
            slot->st->plan_index < s->plan.n_recording)
            s->plan.recording[slot->st->plan_index].last = s->current_step;
    }
    ol_exec_frame_release_all(&fr);
    free(fr.slots);
    free(outputs);
    if (st == OL_OK)
        replan(s);
    return st;
}

ol_status ol_op_run_subgraph(ol_op_ctx *ctx, const ol_graph *graph, const ol_ktensor *const *inputs,
                             size_t n_inputs, ol_ktensor *outputs, size_t n_outputs)
{
    const exec_graph *eg = ol_exec_find_subgraph(ctx->session, graph);
    if (!eg)
        return ol_op_fail(ctx, OL_ERR_INTERNAL, "subgraph '%s' was not compiled", graph->name ? graph->name : "");
    if (ctx->fr->depth >= OL_MAX_SUBGRAPH_DEPTH)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "subgraphs nested deeper than %d", OL_MAX_SUBGRAPH_DEPTH);
    if (n_inputs != graph->n_inputs || n_outputs != graph->n_outputs)
        return ol_op_fail(ctx, OL_ERR_INVALID, "subgraph '%s' takes %zu inputs and %zu outputs, given "
                          "%zu and %zu", graph->name ? graph->name : "", graph->n_inputs,
                          graph->n_outputs, n_inputs, n_outputs);
    frame fr = {.eg = eg, .parent = ctx->fr, .depth = ctx->fr->depth + 1};
    fr.slots = calloc(eg->n_slots ? eg->n_slots : 1, sizeof *fr.slots);
    if (!fr.slots)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    ol_status st = OL_OK;
    for (size_t i = 0; i < n_inputs; i++) {
        slot_rt *slot = &fr.slots[graph->inputs[i]->id];
        if (inputs[i]) {
            slot->t = *inputs[i];
            slot->set = true;
        }
    }
    st = bind_frame(&fr, ctx->err);
    if (st == OL_OK)
        st = ol_exec_run_frame(ctx->session, &fr, ctx->err);
    size_t taken = 0;
    for (; taken < n_outputs && st == OL_OK; taken++)
        st = ol_exec_take_output(&fr, graph->outputs[taken]->id, &outputs[taken], ctx->err);
    if (st != OL_OK)
        for (size_t i = 0; i < taken; i++) {
            free(outputs[i].data);
            outputs[i].data = NULL;
        }
    ol_exec_frame_release_all(&fr);
    free(fr.slots);
    return st;
}

static int by_time_desc(const void *a, const void *b)
{
    const ol_op_time *x = a, *y = b;
    return x->total_ms < y->total_ms ? 1 : x->total_ms > y->total_ms ? -1 : strcmp(x->op_type, y->op_type);
}

void ol_session_get_stats(const ol_session *s, ol_session_stats *stats)
{
    if (s->n_op_times)   /* op_times is NULL without profiling, which qsort may not be given */
        qsort(s->op_times, s->n_op_times, sizeof *s->op_times, by_time_desc);
    *stats = (ol_session_stats){
        .arena_bytes = s->plan.arena_size,
        .activation_bytes = s->plan.activation_bytes,
        .heap_fallbacks = s->plan.fallbacks,
        .scratch_bytes = s->scratch_peak,
        .op_times = s->op_times,
        .n_op_times = s->n_op_times,
    };
}

void ol_session_reset_profile(ol_session *s)
{
    free(s->op_times);
    s->op_times = NULL;
    s->n_op_times = 0;
}
