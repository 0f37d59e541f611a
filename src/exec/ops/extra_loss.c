/* NegativeLogLikelihoodLoss (opset 12+) and SoftmaxCrossEntropyLoss (opset 12+): float32 (float16
 * through the executor) and float64 inputs, int32/int64 targets. */
#include <string.h>

#include "exec/ops/extra_ops.h"
#include "exec/ops/op_util.h"
#include "kernels/loss.h"

typedef struct loss_setup {
    ol_nll_params params;
    const ol_ktensor *x, *weight;
    const int64_t *target;
    int64_t target_dims[OL_KMAX_RANK];
    int target_rank;
} loss_setup;

static ol_status read_reduction(ol_op_ctx *ctx, ol_loss_reduction *out)
{
    size_t len = 0;
    const char *s = ol_node_attr_string(ol_op_node(ctx), "reduction", &len);
    if (!s || (len == 4 && memcmp(s, "mean", 4) == 0))
        *out = OL_LOSS_MEAN;
    else if (len == 3 && memcmp(s, "sum", 3) == 0)
        *out = OL_LOSS_SUM;
    else if (len == 4 && memcmp(s, "none", 4) == 0)
        *out = OL_LOSS_NONE;
    else
        return ol_op_fail(ctx, OL_ERR_INVALID, "reduction '%.*s' is not none, sum or mean", (int)len, s);
    return OL_OK;
}

/* Checks x [N, C, d...], target [N, d...] and weight [C]; int32 targets are widened into scratch,
 * after `reserve` bytes of scratch for the caller (*reserved). */
static ol_status setup(ol_op_ctx *ctx, loss_setup *ls, size_t reserve, void **reserved)
{
    const ol_ktensor *x = ol_op_input(ctx, 0), *target = ol_op_input(ctx, 1), *weight = ol_op_input(ctx, 2);
    if (!x || !target)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs scores and target");
    if (x->dtype != OL_FLOAT && x->dtype != OL_DOUBLE)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "scores of type %s are not supported", ol_dtype_name(x->dtype));
    if (target->dtype != OL_INT64 && target->dtype != OL_INT32)
        return ol_op_fail(ctx, OL_ERR_INVALID, "target must be int32 or int64, is %s",
                          ol_dtype_name(target->dtype));
    if (x->rank < 2 || target->rank != x->rank - 1 || target->dims[0] != x->dims[0])
        return ol_op_fail(ctx, OL_ERR_INVALID, "scores must be [N, C, d...] and target [N, d...]");
    for (int i = 1; i < target->rank; i++)
        if (target->dims[i] != x->dims[i + 1])
            return ol_op_fail(ctx, OL_ERR_INVALID, "target dim %d is %lld, scores have %lld", i,
                              (long long)target->dims[i], (long long)x->dims[i + 1]);
    if (weight && (weight->dtype != x->dtype || weight->rank != 1 || weight->dims[0] != x->dims[1]))
        return ol_op_fail(ctx, OL_ERR_INVALID, "weight must be a %s vector of %lld classes",
                          ol_dtype_name(x->dtype), (long long)x->dims[1]);
    const ol_attr *ignore = ol_node_attr(ol_op_node(ctx), "ignore_index");
    *ls = (loss_setup){.x = x, .weight = weight, .target_rank = target->rank,
                       .params = {.n = x->dims[0], .c = x->dims[1], .d = ol_op_dims_product(x, 2, x->rank),
                                  .has_ignore_index = ignore != NULL, .ignore_index = ignore ? ignore->i : 0}};
    memcpy(ls->target_dims, target->dims, sizeof(int64_t) * (size_t)target->rank);
    if (read_reduction(ctx, &ls->params.reduction) != OL_OK)
        return ol_op_error(ctx)->status;
    ls->target = target->data;
    int64_t n = target->dtype == OL_INT32 ? ol_ktensor_numel(target) : 0;
    reserve = (reserve + 7) / 8 * 8;
    if (reserve + (size_t)n == 0)
        return OL_OK;
    uint8_t *scratch = ol_op_scratch(ctx, reserve + sizeof(int64_t) * (size_t)n);
    if (!scratch)
        return ol_op_error(ctx)->status;
    *reserved = scratch;
    if (n) {
        int64_t *wide = (int64_t *)(scratch + reserve);
        const int32_t *narrow = target->data;
        for (int64_t i = 0; i < n; i++)
            wide[i] = narrow[i];
        ls->target = wide;
    }
    return OL_OK;
}

/* Runs the NLL kernel on `scores` (x itself, or its log-softmax) into output 0. */
static ol_status nll(ol_op_ctx *ctx, const loss_setup *ls, const void *scores)
{
    bool none = ls->params.reduction == OL_LOSS_NONE;
    ol_ktensor *loss = ol_op_output(ctx, 0, ls->x->dtype, none ? ls->target_rank : 0, ls->target_dims);
    if (!loss)
        return ol_op_error(ctx)->status;
    const void *w = ls->weight ? ls->weight->data : NULL;
    int64_t bad = ls->x->dtype == OL_FLOAT ? ol_nll_loss_f32(&ls->params, scores, ls->target, w, loss->data)
                                           : ol_nll_loss_f64(&ls->params, scores, ls->target, w, loss->data);
    if (bad >= 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "target %lld at index %lld is not a class in [0, %lld)",
                          (long long)ls->target[bad], (long long)bad, (long long)ls->params.c);
    return OL_OK;
}

ol_status ol_run_nll_loss(ol_op_ctx *ctx)
{
    loss_setup ls;
    void *unused;
    if (setup(ctx, &ls, 0, &unused) != OL_OK)
        return ol_op_error(ctx)->status;
    return nll(ctx, &ls, ls.x->data);
}

ol_status ol_run_softmax_cross_entropy(ol_op_ctx *ctx)
{
    /* log_prob is output 1 (same shape as the scores) when the node has it, else scratch. */
    const ol_ktensor *x = ol_op_input(ctx, 0);
    bool has_output = ol_op_output_count(ctx) > 1;
    size_t reserve = x && !has_output ? ol_ktensor_nbytes(x) : 0;
    loss_setup ls;
    void *log_prob = NULL;
    if (setup(ctx, &ls, reserve, &log_prob) != OL_OK)
        return ol_op_error(ctx)->status;
    if (has_output) {
        ol_ktensor *out = ol_op_output(ctx, 1, x->dtype, x->rank, x->dims);
        if (!out)
            return ol_op_error(ctx)->status;
        log_prob = out->data;
    }
    const ol_nll_params *p = &ls.params;
    if (x->dtype == OL_FLOAT)
        ol_log_softmax_classes_f32(x->data, log_prob, p->n, p->c, p->d);
    else
        ol_log_softmax_classes_f64(x->data, log_prob, p->n, p->c, p->d);
    return nll(ctx, &ls, log_prob);
}
