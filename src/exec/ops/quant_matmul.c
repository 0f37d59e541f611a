/* MatMulInteger and QLinearMatMul: numpy matmul shapes (1-D operands promoted, batch dimensions
 * broadcast) over ol_qgemm, with A's parameters per tensor or per row and B's per tensor or per
 * column ([M] / [N], or [batch..., M, 1] / [batch..., 1, N]). When B has no batch, A's batch folds
 * into the rows and one GEMM covers the whole product. */
#include <string.h>

#include "exec/ops/quant_ops.h"
#include "kernels/qgemm.h"
#include "kernels/qtypes.h"
#include "kernels/requant.h"

typedef struct mm_shape {
    int64_t m, k, n;
    int out_rank;
    int64_t out_dims[OL_KMAX_RANK];
    int batch_rank;
    int64_t batch_dims[OL_KMAX_RANK];     /* of the output */
    int64_t a_batch_dims[OL_KMAX_RANK];   /* right-aligned, 1 where A has none */
    int64_t b_batch_dims[OL_KMAX_RANK];
    int64_t batch, a_batch, b_batch;      /* products of the above */
} mm_shape;

static ol_status matmul_shape(ol_op_ctx *ctx, const ol_ktensor *a, const ol_ktensor *b, mm_shape *s)
{
    if (a->rank < 1 || b->rank < 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "matmul operands need rank >= 1");
    memset(s, 0, sizeof *s);
    s->m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
    s->k = a->dims[a->rank - 1];
    int64_t kb = b->rank >= 2 ? b->dims[b->rank - 2] : b->dims[0];
    s->n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    if (kb != s->k)
        return ol_op_fail(ctx, OL_ERR_INVALID, "inner dimensions differ: %lld and %lld", (long long)s->k,
                          (long long)kb);
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
    s->batch_rank = ra > rb ? ra : rb;
    s->batch = s->a_batch = s->b_batch = 1;
    for (int d = 0; d < s->batch_rank; d++) {
        int ia = d - (s->batch_rank - ra), ib = d - (s->batch_rank - rb);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return ol_op_fail(ctx, OL_ERR_INVALID, "batch dimensions %lld and %lld do not broadcast",
                              (long long)da, (long long)db);
        s->a_batch_dims[d] = da;
        s->b_batch_dims[d] = db;
        s->batch_dims[d] = da == 1 ? db : da;
        s->batch *= s->batch_dims[d];
        s->a_batch *= da;
        s->b_batch *= db;
    }
    memcpy(s->out_dims, s->batch_dims, (size_t)s->batch_rank * sizeof *s->out_dims);
    s->out_rank = s->batch_rank;
    if (a->rank >= 2)
        s->out_dims[s->out_rank++] = s->m;
    if (b->rank >= 2)
        s->out_dims[s->out_rank++] = s->n;
    return OL_OK;
}

/* Index of the operand's matrix that output batch t reads (broadcast dimensions repeat). */
static int64_t operand_batch(const mm_shape *s, const int64_t *operand_dims, int64_t t)
{
    int64_t index = 0, stride = 1;
    for (int d = s->batch_rank - 1; d >= 0; d--) {
        int64_t pos = t % s->batch_dims[d];
        t /= s->batch_dims[d];
        if (operand_dims[d] != 1)
            index += pos * stride;
        stride *= operand_dims[d];
    }
    return index;
}

/* Where a scale or zero point of one operand applies: one value per matrix (per_matrix 1) or one
 * per row of A / column of B, the same for every batch (batch_stride 0) or its own per batch. */
typedef struct param_layout {
    int64_t per_matrix;
    int64_t batch_stride;
} param_layout;

static ol_status read_param_layout(ol_op_ctx *ctx, const ol_ktensor *t, const ol_ktensor *operand,
                                   const mm_shape *s, bool of_a, const char *what, param_layout *out)
{
    int64_t length = of_a ? s->m : s->n, numel = ol_ktensor_numel(t);
    *out = (param_layout){1, 0};
    if (numel == 1)
        return OL_OK;
    if (t->rank == 1 && t->dims[0] == length) {
        out->per_matrix = length;
        return OL_OK;
    }
    /* [batch..., M, 1] for A, [batch..., 1, N] for B, the batch either A's (B's) own or all ones. */
    int r = t->rank;
    bool ok = r == operand->rank && r >= 2 && t->dims[r - 2] == (of_a ? s->m : 1) &&
              t->dims[r - 1] == (of_a ? 1 : s->n);
    bool all_ones = true, own = true;
    for (int d = 0; ok && d < r - 2; d++) {
        all_ones = all_ones && t->dims[d] == 1;
        own = own && t->dims[d] == operand->dims[d];
    }
    if (!ok || !(all_ones || own))
        return ol_op_fail(ctx, OL_ERR_INVALID,
                          "%s must be a scalar, a 1-D tensor of %lld or shaped [batch..., %s] like its operand",
                          what, (long long)length, of_a ? "M, 1" : "1, N");
    out->per_matrix = length;
    out->batch_stride = all_ones ? 0 : length;
    return OL_OK;
}

/* A's batch can fold into its rows when B is one matrix and A's parameters are per tensor or
 * follow A's batch (then they run on contiguously across the folded rows). */
static bool can_fold_batch(const mm_shape *s, const param_layout *a_params, int n_params)
{
    if (s->b_batch != 1 || s->a_batch != s->batch)
        return false;
    for (int i = 0; i < n_params; i++)
        if (a_params[i].batch_stride == 0 && a_params[i].per_matrix > 1 && s->batch > 1)
            return false;
    return true;
}

/* Everything both ops share: inputs A, B and their zero points; optional scales and the output. */
typedef struct mm_operands {
    const ol_ktensor *a, *b, *a_zp, *b_zp, *a_scale, *b_scale;
    param_layout a_zp_layout, b_zp_layout, a_scale_layout, b_scale_layout;
    int32_t *a_zp_values, *b_zp_values;
    float *a_scale_values, *b_scale_values;
} mm_operands;

static ol_status check_operands(ol_op_ctx *ctx, mm_operands *o, const mm_shape *s)
{
    if (!ol_qop_is_8bit(o->a->dtype) || !ol_qop_is_8bit(o->b->dtype))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "operand types %s and %s are not supported (uint8/int8)",
                          ol_dtype_name(o->a->dtype), ol_dtype_name(o->b->dtype));
    if ((o->a_zp && o->a_zp->dtype != o->a->dtype) || (o->b_zp && o->b_zp->dtype != o->b->dtype))
        return ol_op_fail(ctx, OL_ERR_INVALID, "a zero point's type differs from its operand's");
    ol_status st;
    if (o->a_zp && (st = read_param_layout(ctx, o->a_zp, o->a, s, true, "a_zero_point", &o->a_zp_layout)) != OL_OK)
        return st;
    if (o->b_zp && (st = read_param_layout(ctx, o->b_zp, o->b, s, false, "b_zero_point", &o->b_zp_layout)) != OL_OK)
        return st;
    if (o->a_scale &&
        (st = read_param_layout(ctx, o->a_scale, o->a, s, true, "a_scale", &o->a_scale_layout)) != OL_OK)
        return st;
    if (o->b_scale &&
        (st = read_param_layout(ctx, o->b_scale, o->b, s, false, "b_scale", &o->b_scale_layout)) != OL_OK)
        return st;
    return OL_OK;
}

static size_t reserve_params(ol_qop_scratch *sc, const mm_operands *o, size_t offsets[4])
{
    offsets[0] = ol_qop_scratch_reserve(sc, o->a_zp ? (size_t)ol_ktensor_numel(o->a_zp) * sizeof(int32_t) : 0);
    offsets[1] = ol_qop_scratch_reserve(sc, o->b_zp ? (size_t)ol_ktensor_numel(o->b_zp) * sizeof(int32_t) : 0);
    offsets[2] = ol_qop_scratch_reserve(sc, o->a_scale ? (size_t)ol_ktensor_numel(o->a_scale) * sizeof(float) : 0);
    offsets[3] = ol_qop_scratch_reserve(sc, o->b_scale ? (size_t)ol_ktensor_numel(o->b_scale) * sizeof(float) : 0);
    return sc->size;
}

static void load_params(const ol_qop_scratch *sc, mm_operands *o, const size_t offsets[4])
{
    o->a_zp_values = ol_qop_scratch_at(sc, offsets[0]);
    o->b_zp_values = ol_qop_scratch_at(sc, offsets[1]);
    o->a_scale_values = ol_qop_scratch_at(sc, offsets[2]);
    o->b_scale_values = ol_qop_scratch_at(sc, offsets[3]);
    if (o->a_zp)
        ol_qop_read_zero_points(o->a_zp, o->a_zp_values);
    if (o->b_zp)
        ol_qop_read_zero_points(o->b_zp, o->b_zp_values);
    if (o->a_scale)
        ol_qop_read_scales(o->a_scale, o->a_scale_values);
    if (o->b_scale)
        ol_qop_read_scales(o->b_scale, o->b_scale_values);
}

/* Parameters of batch `index` of an operand: pointer and count as the kernels take them. When the
 * batch is folded, `folded` matrices' worth of per-row values run on contiguously. */
static const int32_t *zp_at(const int32_t *values, const param_layout *l, int64_t index, int64_t folded,
                            int64_t *count)
{
    *count = l->batch_stride ? l->per_matrix * folded : l->per_matrix;
    return values + index * l->batch_stride;
}

static const float *scale_at(const float *values, const param_layout *l, int64_t index, int64_t folded,
                             int64_t *count)
{
    *count = l->batch_stride ? l->per_matrix * folded : l->per_matrix;
    return values + index * l->batch_stride;
}

/* QLinearMatMul's requantization: the parameters shared by every batch, the output and an int32
 * buffer for one product. */
typedef struct mm_requant {
    ol_requant_params base;
    void *out;                 /* uint8/int8 output */
    int32_t *acc;
} mm_requant;

/* Runs the product batch by batch (or folded into one GEMM); with rq NULL the int32 result goes
 * straight to out_i32 (MatMulInteger), else each product is requantized into rq->out. */
static void run_products(ol_op_ctx *ctx, const mm_shape *s, const mm_operands *o, int32_t *out_i32,
                         mm_requant *rq, void *workspace, bool fold)
{
    int threads = ol_op_threads(ctx);
    int64_t batches = fold ? 1 : s->batch, folded = fold ? s->batch : 1, rows = s->m * folded;
    for (int64_t t = 0; t < batches; t++) {
        int64_t ia = fold ? 0 : operand_batch(s, s->a_batch_dims, t);
        int64_t ib = fold ? 0 : operand_batch(s, s->b_batch_dims, t);
        ol_qgemm_operand a = {.data = (const uint8_t *)o->a->data + ia * s->m * s->k,
                              .is_signed = o->a->dtype == OL_INT8, .ld = s->k};
        ol_qgemm_operand b = {.data = (const uint8_t *)o->b->data + ib * s->k * s->n,
                              .is_signed = o->b->dtype == OL_INT8, .ld = s->n};
        if (o->a_zp)
            a.zero_points = zp_at(o->a_zp_values, &o->a_zp_layout, ia, folded, &a.n_zero_points);
        if (o->b_zp)
            b.zero_points = zp_at(o->b_zp_values, &o->b_zp_layout, ib, 1, &b.n_zero_points);
        int64_t first = t * s->m * s->n;
        if (!rq) {
            ol_qgemm(rows, s->n, s->k, &a, &b, out_i32 + first, s->n, threads, workspace);
            continue;
        }
        ol_qgemm(rows, s->n, s->k, &a, &b, rq->acc, s->n, threads, workspace);
        ol_requant_params p = rq->base;
        p.row_scale = scale_at(o->a_scale_values, &o->a_scale_layout, ia, folded, &p.n_row_scale);
        p.col_scale = scale_at(o->b_scale_values, &o->b_scale_layout, ib, 1, &p.n_col_scale);
        ol_requantize(rq->acc, rows, s->n, s->n, (uint8_t *)rq->out + first, s->n, &p);
    }
}

ol_status ol_run_matmul_integer(ol_op_ctx *ctx)
{
    mm_operands o = {.a = ol_op_input(ctx, 0), .b = ol_op_input(ctx, 1), .a_zp = ol_op_input(ctx, 2),
                     .b_zp = ol_op_input(ctx, 3)};
    if (!o.a || !o.b)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing input");
    mm_shape s;
    ol_status st = matmul_shape(ctx, o.a, o.b, &s);
    if (st != OL_OK || (st = check_operands(ctx, &o, &s)) != OL_OK)
        return st;
    ol_ktensor *y = ol_op_output(ctx, 0, OL_INT32, s.out_rank, s.out_dims);
    if (!y)
        return ol_op_error(ctx)->status;
    bool fold = can_fold_batch(&s, &o.a_zp_layout, 1);
    ol_qop_scratch sc = {0};
    size_t offsets[4];
    reserve_params(&sc, &o, offsets);
    size_t ws = ol_qop_scratch_reserve(&sc, ol_qgemm_workspace_bytes(fold ? s.m * s.batch : s.m, s.n, s.k,
                                                                      ol_op_threads(ctx)));
    if ((st = ol_qop_scratch_get(ctx, &sc)) != OL_OK)
        return st;
    load_params(&sc, &o, offsets);
    run_products(ctx, &s, &o, y->data, NULL, ol_qop_scratch_at(&sc, ws), fold);
    return OL_OK;
}

ol_status ol_run_qlinear_matmul(ol_op_ctx *ctx)
{
    mm_operands o = {.a = ol_op_input(ctx, 0), .a_scale = ol_op_input(ctx, 1), .a_zp = ol_op_input(ctx, 2),
                     .b = ol_op_input(ctx, 3), .b_scale = ol_op_input(ctx, 4), .b_zp = ol_op_input(ctx, 5)};
    const ol_ktensor *y_scale = ol_op_input(ctx, 6), *y_zp = ol_op_input(ctx, 7);
    if (!o.a || !o.b || !o.a_scale || !o.b_scale || !y_scale)
        return ol_op_fail(ctx, OL_ERR_INVALID, "missing input");
    ol_dtype scale_type = o.a_scale->dtype;
    if (!ol_qop_scale_type_ok(scale_type) || o.b_scale->dtype != scale_type || y_scale->dtype != scale_type)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "scales must share one type of float32, float16 or bfloat16");
    if (ol_op_opset(ctx) < 21 && scale_type != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_INVALID, "scales must be float32 before opset 21");
    if (ol_ktensor_numel(y_scale) != 1 || (y_zp && ol_ktensor_numel(y_zp) != 1))
        return ol_op_fail(ctx, OL_ERR_INVALID, "y_scale and y_zero_point must be scalars");
    mm_shape s;
    ol_status st = matmul_shape(ctx, o.a, o.b, &s);
    if (st != OL_OK || (st = check_operands(ctx, &o, &s)) != OL_OK)
        return st;
    /* The output takes y_zero_point's type (a's type when it is omitted). */
    ol_dtype out_type = y_zp ? y_zp->dtype : o.a->dtype;
    if (!ol_qop_is_8bit(out_type))
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "output type %s is not supported (uint8/int8)",
                          ol_dtype_name(out_type));
    ol_ktensor *y = ol_op_output(ctx, 0, out_type, s.out_rank, s.out_dims);
    if (!y)
        return ol_op_error(ctx)->status;
    param_layout a_layouts[2] = {o.a_zp_layout, o.a_scale_layout};
    bool fold = can_fold_batch(&s, a_layouts, 2);
    int64_t rows = fold ? s.m * s.batch : s.m;
    ol_qop_scratch sc = {0};
    size_t offsets[4];
    reserve_params(&sc, &o, offsets);
    size_t acc = ol_qop_scratch_reserve(&sc, (size_t)(rows * s.n) * sizeof(int32_t));
    size_t ws = ol_qop_scratch_reserve(&sc, ol_qgemm_workspace_bytes(rows, s.n, s.k, ol_op_threads(ctx)));
    if ((st = ol_qop_scratch_get(ctx, &sc)) != OL_OK)
        return st;
    load_params(&sc, &o, offsets);
    float out_scale;
    ol_qop_read_scales(y_scale, &out_scale);
    mm_requant rq = {.base = {.out_scale = out_scale,
                              .out_zero_point = y_zp ? ol_qtype_get_int(y_zp->data, y_zp->dtype, 0) : 0,
                              .scale_precision = scale_type, .out_signed = out_type == OL_INT8,
                              .threads = ol_op_threads(ctx)},
                     .out = y->data, .acc = ol_qop_scratch_at(&sc, acc)};
    run_products(ctx, &s, &o, NULL, &rq, ol_qop_scratch_at(&sc, ws), fold);
    return OL_OK;
}
