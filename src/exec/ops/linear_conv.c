/* Conv and ConvTranspose (all opsets: the semantics did not change, newer versions only add
 * types) and com.microsoft FusedConv (Conv + activation + optional residual sum, what a graph
 * optimizer makes of Conv -> Add -> Relu): attributes and shapes here, the arithmetic in
 * kernels/conv. */
#include <stdlib.h>
#include <string.h>

#include "exec/ops/linear_ops.h"
#include "kernels/binary.h"
#include "kernels/broadcast.h"
#include "kernels/conv.h"

static bool conv_dtype(ol_dtype t)
{
    return t == OL_FLOAT || t == OL_DOUBLE;
}

/* X, W and the optional B: same float type, W of X's rank, B a vector of `channels`. */
static ol_status check_operands(ol_op_ctx *ctx, const ol_ktensor *x, const ol_ktensor *w, const ol_ktensor *b)
{
    if (!x || !w)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs inputs X and W");
    if (!conv_dtype(x->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "input type %s is not supported", ol_dtype_name(x->dtype));
    if (w->dtype != x->dtype || (b && b->dtype != x->dtype))
        return ol_op_fail(ctx, OL_ERR_INVALID, "X, W and B must share one type");
    if (x->rank < 3 || w->rank != x->rank)
        return ol_op_fail(ctx, OL_ERR_INVALID, "X (rank %d) and W (rank %d) need equal ranks of at least 3",
                          x->rank, w->rank);
    if (b && b->rank != 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "B must be a vector");
    return OL_OK;
}

static ol_status read_group(ol_op_ctx *ctx, int64_t channels, int64_t *group)
{
    *group = ol_node_attr_int(ol_op_node(ctx), "group", 1);
    if (*group < 1 || channels % *group != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "group %lld does not divide the %lld input channels",
                          (long long)*group, (long long)channels);
    return OL_OK;
}

/* FusedConv's activation attribute (com.microsoft): its name and activation_params. */
static ol_status read_activation(ol_op_ctx *ctx, ol_conv_params *p)
{
    static const struct {
        const char *name;
        ol_conv_activation act;
        int params;          /* activation_params it needs */
        float alpha, beta;   /* defaults when not given */
    } acts[] = {
        {"Relu", OL_CONV_ACT_RELU, 0, 0, 0},
        {"Clip", OL_CONV_ACT_CLIP, 2, 0, 0},
        {"LeakyRelu", OL_CONV_ACT_LEAKY_RELU, 1, 0.01f, 0},
        {"Sigmoid", OL_CONV_ACT_SIGMOID, 0, 0, 0},
        {"Tanh", OL_CONV_ACT_TANH, 0, 0, 0},
        {"HardSigmoid", OL_CONV_ACT_HARD_SIGMOID, 2, 0.2f, 0.5f},
    };
    const ol_node *node = ol_op_node(ctx);
    size_t len;
    const char *name = ol_node_attr_string(node, "activation", &len);
    if (!name)
        return OL_OK;   /* plain convolution, possibly with a sum input */
    const ol_attr *params = ol_node_attr(node, "activation_params");
    size_t n = params && params->type == OL_ATTR_FLOATS ? params->n : 0;
    for (size_t i = 0; i < sizeof acts / sizeof *acts; i++) {
        if (strlen(acts[i].name) != len || memcmp(acts[i].name, name, len) != 0)
            continue;
        p->activation = acts[i].act;
        p->alpha = n > 0 ? params->floats[0] : acts[i].alpha;
        p->beta = n > 1 ? params->floats[1] : acts[i].beta;
        if (acts[i].act == OL_CONV_ACT_CLIP && n < 2)
            return ol_op_fail(ctx, OL_ERR_INVALID, "Clip needs activation_params [min, max]");
        return OL_OK;
    }
    return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "activation '%.*s' is not supported", (int)(len > 32 ? 32 : len),
                      name);
}

/* An activation the executor fused into a Conv step (see src/exec/fuse.c). */
static void take_fusion(const ol_op_fusion *f, ol_conv_params *p)
{
    static const ol_conv_activation acts[] = {
        [OL_FUSED_NONE] = OL_CONV_ACT_NONE, [OL_FUSED_RELU] = OL_CONV_ACT_RELU,
        [OL_FUSED_CLIP] = OL_CONV_ACT_CLIP, [OL_FUSED_LEAKY_RELU] = OL_CONV_ACT_LEAKY_RELU,
        [OL_FUSED_SIGMOID] = OL_CONV_ACT_SIGMOID, [OL_FUSED_TANH] = OL_CONV_ACT_TANH,
        [OL_FUSED_HARD_SIGMOID] = OL_CONV_ACT_HARD_SIGMOID, [OL_FUSED_HARD_SWISH] = OL_CONV_ACT_HARD_SWISH,
        [OL_FUSED_SWISH] = OL_CONV_ACT_SWISH,
    };
    p->activation = acts[f->activation];
    p->alpha = f->alpha;
    p->beta = f->beta;
}

/* A fused residual Add whose other input does not have the convolution's shape (it broadcasts):
 * the convolution goes to a temporary, the Add broadcasts into the step's output, and the
 * activation runs over that. Rare; the common residual has the same shape and is summed in the
 * convolution's last pass. */
static ol_status run_broadcast_sum(ol_op_ctx *ctx, const ol_conv_params *p, const ol_ktensor *x,
                                   const ol_ktensor *w, const ol_ktensor *b, const ol_ktensor *sum,
                                   const int64_t *dims)
{
    ol_conv_params plain = *p;
    plain.activation = OL_CONV_ACT_NONE;
    ol_ktensor conv;
    ol_ktensor_set_shape(&conv, x->dtype, x->rank, dims);
    const ol_ktensor *both[2] = {&conv, sum};
    int rank;
    int64_t out_dims[OL_KMAX_RANK];
    if (sum->dtype != x->dtype || ol_broadcast_shapes(2, both, &rank, out_dims) != -1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "the fused Add's inputs do not broadcast");
    size_t bytes = ol_conv_scratch_bytes(&plain, x, w, &conv);
    void *scratch = NULL;
    if (bytes && !(scratch = ol_op_scratch(ctx, bytes)))
        return ol_op_error(ctx)->status;
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, rank, out_dims);
    if (!y)
        return ol_op_error(ctx)->status;
    conv.data = malloc(ol_ktensor_nbytes(&conv) + 1);
    if (!conv.data)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    ol_conv(&plain, x, w, b, NULL, &conv, scratch);
    bool ok = ol_binary(OL_BINARY_ADD, &conv, sum, y, ol_op_threads(ctx));
    free(conv.data);
    if (!ok)
        return ol_op_fail(ctx, OL_ERR_INTERNAL, "the fused Add failed");
    ol_conv_params act = *p;
    int64_t n = ol_ktensor_numel(y);
    if (y->dtype == OL_FLOAT)
        ol_conv_epilogue_f32(&act, 0.0f, NULL, y->data, n);
    else
        ol_conv_epilogue_f64(&act, 0.0, NULL, y->data, n);
    return OL_OK;
}

/* What a Conv step keeps between runs when its weights are fixed (ol_op_prepared): the weights and
 * bias with a fused per-channel scale and shift folded in, and the filters transformed for the
 * kernel's path, so neither is redone on every run. */
typedef struct conv_prepared {
    ol_ktensor w, b;           /* folded weights and bias (data NULL when nothing was folded) */
    ol_conv_packed packed;
} conv_prepared;

static void conv_prepared_destroy(void *data)
{
    conv_prepared *cp = data;
    free(cp->w.data);
    free(cp->b.data);
    ol_conv_packed_free(&cp->packed);
    free(cp);
}

/* A fused per-channel constant (one value or one per channel): its value for channel m. */
static float channel_value(const ol_ktensor *t, int64_t m, float missing)
{
    if (!t)
        return missing;
    const float *v = t->data;
    return ol_ktensor_numel(t) == 1 ? v[0] : v[m];
}

/* W * scale and B * scale + shift per output channel: (conv(X, W) + B) * scale + shift without a
 * pass over the result. */
static ol_status fold_scale_shift(ol_op_ctx *ctx, conv_prepared *cp, const ol_ktensor *w, const ol_ktensor *b)
{
    const ol_ktensor *scale = ol_op_input(ctx, 4), *shift = ol_op_input(ctx, 5);
    int64_t M = w->dims[0], per = M ? ol_ktensor_numel(w) / M : 0;
    for (int k = 0; k < 2; k++) {
        const ol_ktensor *t = k ? shift : scale;
        int64_t n = t ? ol_ktensor_numel(t) : 1;
        if (t && (t->dtype != OL_FLOAT || (n != 1 && n != M)))
            return ol_op_fail(ctx, OL_ERR_INVALID, "the fused %s does not hold one float per output channel",
                              k ? "Add" : "Mul");
    }
    if (w->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_INVALID, "a fused per-channel Mul/Add needs float weights");
    cp->w = *w;
    cp->w.data = malloc(ol_ktensor_nbytes(w) + 1);
    ol_ktensor_set_shape(&cp->b, OL_FLOAT, 1, &M);
    cp->b.data = malloc((size_t)M * sizeof(float) + 1);
    if (!cp->w.data || !cp->b.data)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory folding the fused Mul/Add");
    const float *wv = w->data;
    float *fw = cp->w.data, *fb = cp->b.data;
    for (int64_t m = 0; m < M; m++) {
        float s = channel_value(scale, m, 1.0f), t = channel_value(shift, m, 0.0f);
        for (int64_t i = 0; i < per; i++)
            fw[m * per + i] = wv[m * per + i] * s;
        fb[m] = (b ? ((const float *)b->data)[m] : 0.0f) * s + t;
    }
    return OL_OK;
}

/* The step's prepared weights, made on its first run: NULL when the weights are not fixed (they
 * may change from run to run) and nothing was fused that needs them. */
static ol_status prepare(ol_op_ctx *ctx, const ol_op_fusion *fusion, const ol_ktensor *w, const ol_ktensor *b,
                         conv_prepared **out)
{
    *out = ol_op_prepared(ctx);
    bool scale_shift = fusion && fusion->scale_shift;
    if (*out || !(scale_shift || (ol_op_input_is_fixed(ctx, 1) && (!b || ol_op_input_is_fixed(ctx, 2)))))
        return OL_OK;
    conv_prepared *cp = calloc(1, sizeof *cp);
    if (!cp)
        return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory");
    ol_status st = scale_shift ? fold_scale_shift(ctx, cp, w, b) : OL_OK;
    if (st != OL_OK) {
        conv_prepared_destroy(cp);
        return st;
    }
    ol_op_set_prepared(ctx, cp, conv_prepared_destroy);
    *out = cp;
    return OL_OK;
}

/* Conv, and com.microsoft FusedConv: activation(conv(X, W) + B + Z) with the optional sum input Z.
 * A Conv step may carry what the executor fused into it: a Pad before, a per-channel scale and
 * shift, a residual and an activation after. */
static ol_status run_conv(ol_op_ctx *ctx, bool fused)
{
    const ol_ktensor *x = ol_op_input(ctx, 0), *w = ol_op_input(ctx, 1), *b = ol_op_input(ctx, 2);
    const ol_op_fusion *fusion = fused ? NULL : ol_op_fusion_of(ctx);
    const ol_ktensor *sum = fused || (fusion && fusion->sum) ? ol_op_input(ctx, 3) : NULL;
    ol_status st = check_operands(ctx, x, w, b);
    if (st != OL_OK)
        return st;
    conv_prepared *cp = NULL;
    if (!fused && (st = prepare(ctx, fusion, w, b, &cp)) != OL_OK)
        return st;
    if (cp && cp->w.data) {
        w = &cp->w;
        b = &cp->b;
    }
    int spatial = x->rank - 2;
    ol_conv_params p = {.threads = ol_op_threads(ctx)};
    if (fused && (st = read_activation(ctx, &p)) != OL_OK)
        return st;
    if (fusion)
        take_fusion(fusion, &p);
    ol_auto_pad mode;
    bool pads_given;
    if ((st = read_group(ctx, x->dims[1], &p.group)) != OL_OK ||
        (st = ol_linear_read_window(ctx, spatial, w->dims + 2, &p.win, &mode, &pads_given)) != OL_OK)
        return st;
    if (fusion && fusion->padded)
        for (int d = 0; d < spatial; d++) {
            p.win.pad_begin[d] += fusion->pads[2 + d];
            p.win.pad_end[d] += fusion->pads[x->rank + 2 + d];
        }
    int64_t M = w->dims[0];
    if (w->dims[1] * p.group != x->dims[1] || M % p.group != 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "W [%lld, %lld, ...] does not fit %lld input channels in %lld groups",
                          (long long)M, (long long)w->dims[1], (long long)x->dims[1], (long long)p.group);
    if (b && b->dims[0] != M)
        return ol_op_fail(ctx, OL_ERR_INVALID, "B has %lld values for %lld output channels",
                          (long long)b->dims[0], (long long)M);
    int64_t dims[OL_KMAX_RANK] = {x->dims[0], M};
    if (!ol_window_resolve(&p.win, x->dims + 2, mode, false, dims + 2))
        return ol_op_fail(ctx, OL_ERR_INVALID, "the kernel does not fit the padded input");
    int64_t out_size = 1, k_size = w->dims[1];
    for (int d = 0; d < spatial; d++) {
        out_size *= dims[2 + d];
        k_size *= w->dims[2 + d];
    }
    int64_t blas[] = {M / p.group, k_size, out_size};
    if ((st = ol_linear_check_blas_dims(ctx, blas, 3)) != OL_OK)
        return st;
    if (sum && fusion && (sum->dtype != x->dtype || sum->rank != x->rank ||
                          memcmp(sum->dims, dims, (size_t)x->rank * sizeof *dims) != 0))
        return run_broadcast_sum(ctx, &p, x, w, b, sum, dims);
    if (sum && (sum->dtype != x->dtype || sum->rank != x->rank ||
                memcmp(sum->dims, dims, (size_t)x->rank * sizeof *dims) != 0))
        return ol_op_fail(ctx, OL_ERR_INVALID, "the sum input Z must have the output's type and shape");
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (cp) {
        if (!ol_conv_pack(&p, x, w, &cp->packed))
            return ol_op_fail(ctx, OL_ERR_NOMEM, "out of memory transforming the weights");
        p.packed = &cp->packed;
    }
    size_t bytes = ol_conv_scratch_bytes(&p, x, w, y);
    void *scratch = NULL;
    if (bytes && !(scratch = ol_op_scratch(ctx, bytes)))
        return ol_op_error(ctx)->status;
    ol_conv(&p, x, w, b, sum, y, scratch);
    return OL_OK;
}

ol_status ol_run_conv(ol_op_ctx *ctx)
{
    return run_conv(ctx, false);
}

ol_status ol_run_fused_conv(ol_op_ctx *ctx)
{
    return run_conv(ctx, true);
}

/* Floor division, as the ONNX reference splits a (possibly negative) total padding. */
static int64_t floor_half(int64_t v)
{
    return v >= 0 ? v / 2 : -((-v + 1) / 2);
}

ol_status ol_run_conv_transpose(ol_op_ctx *ctx)
{
    const ol_ktensor *x = ol_op_input(ctx, 0), *w = ol_op_input(ctx, 1), *b = ol_op_input(ctx, 2);
    ol_status st = check_operands(ctx, x, w, b);
    if (st != OL_OK)
        return st;
    const ol_node *node = ol_op_node(ctx);
    int spatial = x->rank - 2;
    ol_conv_params p = {.threads = ol_op_threads(ctx)};
    ol_auto_pad mode;
    bool pads_given;
    if ((st = read_group(ctx, x->dims[1], &p.group)) != OL_OK ||
        (st = ol_linear_read_window(ctx, spatial, w->dims + 2, &p.win, &mode, &pads_given)) != OL_OK)
        return st;
    if (w->dims[0] != x->dims[1])
        return ol_op_fail(ctx, OL_ERR_INVALID, "W has %lld input channels, X has %lld", (long long)w->dims[0],
                          (long long)x->dims[1]);
    int64_t M = w->dims[1] * p.group;
    if (b && b->dims[0] != M)
        return ol_op_fail(ctx, OL_ERR_INVALID, "B has %lld values for %lld output channels",
                          (long long)b->dims[0], (long long)M);
    size_t n_out_pad = 0, n_shape = 0;
    const int64_t *out_pad = ol_node_attr_ints(node, "output_padding", &n_out_pad);
    const int64_t *shape = ol_node_attr_ints(node, "output_shape", &n_shape);
    if (out_pad && n_out_pad != (size_t)spatial)
        return ol_op_fail(ctx, OL_ERR_INVALID, "output_padding has %zu values for %d axes", n_out_pad, spatial);
    /* output_shape may also be given with the batch and channel dims. */
    if (shape && n_shape == (size_t)spatial + 2)
        shape += 2;
    else if (shape && n_shape != (size_t)spatial)
        return ol_op_fail(ctx, OL_ERR_INVALID, "output_shape has %zu values for %d axes", n_shape, spatial);
    bool same = mode == OL_AUTO_PAD_SAME_UPPER || mode == OL_AUTO_PAD_SAME_LOWER;
    int64_t dims[OL_KMAX_RANK] = {x->dims[0], M};
    for (int d = 0; d < spatial; d++) {
        int64_t in = x->dims[2 + d], s = p.win.stride[d], extra = out_pad ? out_pad[d] : 0;
        int64_t full = s * (in - 1) + extra + ol_window_extent(&p.win, d);
        if (same && !pads_given) {
            /* Pads follow from the requested size (input * stride by default). */
            int64_t out = shape ? shape[d] : in * s, total = full - out, half = floor_half(total);
            p.win.pad_begin[d] = mode == OL_AUTO_PAD_SAME_UPPER ? half : total - half;
            p.win.pad_end[d] = total - p.win.pad_begin[d];
            dims[2 + d] = out;
        } else {
            if (mode == OL_AUTO_PAD_VALID)
                p.win.pad_begin[d] = p.win.pad_end[d] = 0;
            else if (p.win.pad_begin[d] < 0 || p.win.pad_end[d] < 0)
                return ol_op_fail(ctx, OL_ERR_INVALID, "pads must not be negative");
            dims[2 + d] = shape ? shape[d] : full - p.win.pad_begin[d] - p.win.pad_end[d];
        }
        if (dims[2 + d] < 0 || in < 1)
            return ol_op_fail(ctx, OL_ERR_INVALID, "output size %lld along spatial axis %d is invalid",
                              (long long)dims[2 + d], d);
    }
    int64_t in_size = 1, rows = w->dims[1];
    for (int d = 0; d < spatial; d++) {
        in_size *= x->dims[2 + d];
        rows *= w->dims[2 + d];
    }
    int64_t blas[] = {rows, in_size, x->dims[1] / p.group};
    if ((st = ol_linear_check_blas_dims(ctx, blas, 3)) != OL_OK)
        return st;
    ol_ktensor *y = ol_op_output(ctx, 0, x->dtype, x->rank, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    size_t bytes = ol_conv_transpose_scratch_bytes(&p, x, w);
    void *scratch = NULL;
    if (bytes && !(scratch = ol_op_scratch(ctx, bytes)))
        return ol_op_error(ctx)->status;
    ol_conv_transpose(&p, x, w, b, y, scratch);
    return OL_OK;
}
