/* Recurrent, selection, cumulative, normalization and detection kernels of the extra family on
 * hand-computed cases. */
#include <criterion/criterion.h>
#include <math.h>

#include "kernels/causal_conv.h"
#include "kernels/cumulative.h"
#include "kernels/detection.h"
#include "kernels/lp_norm.h"
#include "kernels/recurrent.h"
#include "kernels/reverse_sequence.h"
#include "kernels/swiglu.h"
#include "kernels/tensor_scatter.h"
#include "kernels/unique.h"

static float sigmoid(float x)
{
    return 1 / (1 + expf(-x));
}

/* One-unit RNN with an identity (Affine 1, 0) activation: h = 2 x + 0.5 h + 1. */
static ol_rnn_params linear_rnn(int64_t seq, int64_t batch)
{
    ol_rnn_params p = {.kind = OL_RNN_SIMPLE, .seq = seq, .batch = batch, .input = 1, .hidden = 1, .directions = 1};
    p.act[0][0] = (ol_rnn_activation){OL_RNN_AFFINE, 1, 0};
    return p;
}

Test(kernels_recurrent, simple_rnn_forward_and_reverse)
{
    const float x[3] = {1, 2, 3}, w[1] = {2}, r[1] = {0.5f}, b[2] = {1, 0};
    float y[3], yh[1], ws[64];
    ol_rnn_params p = linear_rnn(3, 1);
    cr_assert_leq(ol_rnn_workspace(&p), 64);
    ol_rnn_f32(&p, x, w, r, b, NULL, NULL, NULL, NULL, y, yh, NULL, ws);
    cr_assert(y[0] == 3 && y[1] == 6.5f && y[2] == 10.25f && yh[0] == 10.25f);
    p.reverse = true;
    ol_rnn_f32(&p, x, w, r, b, NULL, NULL, NULL, NULL, y, yh, NULL, ws);
    cr_assert(y[2] == 7 && y[1] == 8.5f && y[0] == 7.25f && yh[0] == 7.25f);
}

Test(kernels_recurrent, sequence_lengths_stop_early_and_zero_the_rest)
{
    /* x [seq 3][batch 2]: batch 1 has length 1 */
    const float x[6] = {1, 5, 2, 9, 3, 9}, w[1] = {2}, r[1] = {0.5f}, b[2] = {1, 0};
    const int32_t lens[2] = {3, 1};
    const float h0[2] = {0, 0};
    float y[6], yh[2], ws[64];
    ol_rnn_params p = linear_rnn(3, 2);
    ol_rnn_f32(&p, x, w, r, b, NULL, lens, h0, NULL, y, yh, NULL, ws);
    cr_assert(y[0] == 3 && y[2] == 6.5f && y[4] == 10.25f);
    cr_assert(y[1] == 11 && y[3] == 0 && y[5] == 0);
    cr_assert(yh[0] == 10.25f && yh[1] == 11);
}

Test(kernels_recurrent, lstm_peephole_and_coupled_forget_gate)
{
    /* zero weights: pre-activations are peephole terms only */
    const float x[1] = {0}, w[4] = {0}, r[4] = {0}, peep[3] = {1, 0, 0}, h0[1] = {0}, c0[1] = {2};
    float yh[1], yc[1], ws[64];
    ol_rnn_params p = {.kind = OL_RNN_LSTM, .seq = 1, .batch = 1, .input = 1, .hidden = 1, .directions = 1};
    p.act[0][0] = (ol_rnn_activation){OL_RNN_SIGMOID, 0, 0};
    p.act[0][1] = p.act[0][2] = (ol_rnn_activation){OL_RNN_TANH, 0, 0};
    ol_rnn_f32(&p, x, w, r, NULL, peep, NULL, h0, c0, NULL, yh, yc, ws);
    /* i = sigmoid(2) (unused: candidate 0), f = 0.5: c = 1; o = 0.5 */
    cr_assert_float_eq(yc[0], 1.0f, 1e-6);
    cr_assert_float_eq(yh[0], 0.5f * tanhf(1.0f), 1e-6);
    p.input_forget = true;   /* f = 1 - i */
    ol_rnn_f32(&p, x, w, r, NULL, peep, NULL, h0, c0, NULL, yh, yc, ws);
    cr_assert_float_eq(yc[0], (1 - sigmoid(2)) * 2, 1e-6);
}

Test(kernels_recurrent, gru_reset_before_or_after_the_recurrence)
{
    /* z = r = 0.5; candidate weights W_h = 1, R_h = 2, Rb_h = 2; x = 1, h0 = 1 */
    const float x[1] = {1}, w[3] = {0, 0, 1}, r[3] = {0, 0, 2}, b[6] = {0, 0, 0, 0, 0, 2}, h0[1] = {1};
    float yh[1], ws[64];
    ol_rnn_params p = {.kind = OL_RNN_GRU, .seq = 1, .batch = 1, .input = 1, .hidden = 1, .directions = 1};
    p.act[0][0] = (ol_rnn_activation){OL_RNN_SIGMOID, 0, 0};
    p.act[0][1] = (ol_rnn_activation){OL_RNN_TANH, 0, 0};
    ol_rnn_f32(&p, x, w, r, b, NULL, NULL, h0, NULL, NULL, yh, NULL, ws);
    cr_assert_float_eq(yh[0], 0.5f * tanhf(1 + 2 * 0.5f + 2) + 0.5f, 1e-6);
    p.linear_before_reset = true;
    ol_rnn_f32(&p, x, w, r, b, NULL, NULL, h0, NULL, NULL, yh, NULL, ws);
    cr_assert_float_eq(yh[0], 0.5f * tanhf(1 + 0.5f * (2 + 2)) + 0.5f, 1e-6);
}

Test(kernels_recurrent, clip_limits_gate_inputs)
{
    const float x[1] = {10}, w[1] = {1}, r[1] = {0};
    float yh[1], ws[64];
    ol_rnn_params p = linear_rnn(1, 1);
    p.clip = 2;
    ol_rnn_f32(&p, x, w, r, NULL, NULL, NULL, NULL, NULL, NULL, yh, NULL, ws);
    cr_assert_eq(yh[0], 2.0f);
}

static ol_ktensor vec(void *data, ol_dtype dtype, int64_t n)
{
    ol_ktensor t = {.data = data};
    ol_ktensor_set_shape(&t, dtype, 1, &n);
    return t;
}

Test(kernels_unique, sorted_and_first_occurrence_orders)
{
    int64_t x[5] = {3, 1, 3, 2, 1}, first[5], counts[5], inverse[5], work[15];
    ol_ktensor t = vec(x, OL_INT64, 5);
    int64_t k = ol_unique(&t, 1, 5, 1, true, first, counts, inverse, work);
    cr_assert_eq(k, 3);
    const int64_t sf[3] = {1, 3, 0}, sc[3] = {2, 1, 2}, si[5] = {2, 0, 2, 1, 0};
    for (int i = 0; i < 3; i++)
        cr_assert(first[i] == sf[i] && counts[i] == sc[i]);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(inverse[i], si[i]);
    k = ol_unique(&t, 1, 5, 1, false, first, counts, inverse, work);
    const int64_t uf[3] = {0, 1, 3}, uc[3] = {2, 2, 1}, ui[5] = {0, 1, 0, 2, 1};
    for (int i = 0; i < 3; i++)
        cr_assert(first[i] == uf[i] && counts[i] == uc[i]);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(inverse[i], ui[i]);
}

Test(kernels_unique, rows_compare_lexicographically_and_nan_sorts_last)
{
    float x[6] = {1, 2, 0, 5, 1, 2};   /* rows {1, 2}, {0, 5}, {1, 2} */
    int64_t first[3], counts[3], inverse[3], work[9];
    int64_t dims[2] = {3, 2};
    ol_ktensor t = {.data = x};
    ol_ktensor_set_shape(&t, OL_FLOAT, 2, dims);
    cr_assert_eq(ol_unique(&t, 1, 3, 2, true, first, counts, inverse, work), 2);
    cr_assert(first[0] == 1 && first[1] == 0 && counts[0] == 1 && counts[1] == 2);
    cr_assert(inverse[0] == 1 && inverse[1] == 0 && inverse[2] == 1);
    float y[3] = {NAN, -1, NAN};
    ol_ktensor u = vec(y, OL_FLOAT, 3);
    cr_assert_eq(ol_unique(&u, 1, 3, 1, true, first, counts, inverse, work), 2);
    cr_assert(first[0] == 1 && first[1] == 0 && counts[1] == 2);
}

Test(kernels_reverse_sequence, reverses_each_batch_prefix)
{
    /* x [time 3][batch 2] */
    const int32_t x[6] = {1, 4, 2, 5, 3, 6};
    const int64_t lens[2] = {3, 2};
    int32_t y[6];
    ol_reverse_sequence(x, 1, 3, 1, 2, 1, sizeof(int32_t), true, lens, y);
    const int32_t want[6] = {3, 5, 2, 4, 1, 6};
    for (int i = 0; i < 6; i++)
        cr_assert_eq(y[i], want[i]);
    /* batch-major view of the same idea: x [batch 2][time 3] */
    const int32_t xb[6] = {1, 2, 3, 4, 5, 6};
    const int64_t lb[2] = {0, 2};
    ol_reverse_sequence(xb, 1, 2, 1, 3, 1, sizeof(int32_t), false, lb, y);
    const int32_t wb[6] = {1, 2, 3, 5, 4, 6};
    for (int i = 0; i < 6; i++)
        cr_assert_eq(y[i], wb[i]);
}

Test(kernels_cumulative, cumprod_modes)
{
    double x[4] = {1, 2, 3, 4}, y[4];
    ol_ktensor t = vec(x, OL_DOUBLE, 4);
    const double plain[4] = {1, 2, 6, 24}, excl[4] = {1, 1, 2, 6};
    const double rev[4] = {24, 24, 12, 4}, rev_excl[4] = {24, 12, 4, 1};
    ol_cumprod(&t, 1, 4, 1, false, false, y);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(y[i], plain[i]);
    ol_cumprod(&t, 1, 4, 1, true, false, y);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(y[i], excl[i]);
    ol_cumprod(&t, 1, 4, 1, false, true, y);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(y[i], rev[i]);
    ol_cumprod(&t, 1, 4, 1, true, true, y);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(y[i], rev_excl[i]);
}

Test(kernels_cumulative, cumprod_integers_wrap)
{
    int32_t x[3] = {65536, 65536, 3}, y[3];
    ol_ktensor t = vec(x, OL_INT32, 3);
    ol_cumprod(&t, 1, 3, 1, false, false, y);
    cr_assert(y[0] == 65536 && y[1] == 0 && y[2] == 0);
}

Test(kernels_lp_norm, l1_l2_and_zero_norm)
{
    const float x[4] = {3, -4, 0, 0};
    float y[4];
    ol_lp_normalize_f32(x, y, 2, 2, 1, 1);
    cr_assert_float_eq(y[0], 3.0f / 7, 1e-6);
    cr_assert_float_eq(y[1], -4.0f / 7, 1e-6);
    cr_assert(y[2] == 0 && y[3] == 0);
    const double xd[2] = {3, -4};
    double yd[2];
    ol_lp_normalize_f64(xd, yd, 1, 2, 1, 2);
    cr_assert_float_eq(yd[0], 0.6, 1e-12);
    cr_assert_float_eq(yd[1], -0.8, 1e-12);
}

Test(kernels_swiglu, gate_times_value)
{
    const float a[2] = {0, 1}, b[2] = {5, 2};
    float y[2];
    ol_swiglu_f32(a, b, y, 2, 1.0f);
    cr_assert_eq(y[0], 0.0f);
    cr_assert_float_eq(y[1], sigmoid(1) * 2, 1e-6);
}

/* boxes 0 and 1 overlap with IoU 0.9 / 1.1; box 2 is apart. */
static const float BOXES[12] = {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, 2, 1, 3};

Test(kernels_nms, suppresses_overlaps_and_limits)
{
    const float scores[3] = {0.9f, 0.8f, 0.7f};
    int64_t sel[9], work[6];
    ol_nms_params p = {.batches = 1, .classes = 1, .boxes = 3, .max_per_class = 10, .iou_threshold = 0.5f};
    cr_assert_eq(ol_nms_capacity(&p), 3);
    cr_assert_eq(ol_nms_f32(&p, BOXES, scores, sel, work), 2);
    cr_assert(sel[2] == 0 && sel[5] == 2);
    p.iou_threshold = 0.85f;   /* below the overlap's IoU: nothing suppressed */
    cr_assert_eq(ol_nms_f32(&p, BOXES, scores, sel, work), 3);
    p.max_per_class = 1;
    cr_assert_eq(ol_nms_f32(&p, BOXES, scores, sel, work), 1);
    p.max_per_class = 10;
    p.has_score_threshold = true;
    p.score_threshold = 0.75f;
    cr_assert_eq(ol_nms_f32(&p, BOXES, scores, sel, work), 2);
    cr_assert(sel[2] == 0 && sel[5] == 1);
}

Test(kernels_nms, equal_scores_take_the_lower_index_first)
{
    const float scores[3] = {0.5f, 0.5f, 0.5f};
    int64_t sel[9], work[6];
    ol_nms_params p = {.batches = 1, .classes = 1, .boxes = 3, .max_per_class = 3, .iou_threshold = 0.5f};
    cr_assert_eq(ol_nms_f32(&p, BOXES, scores, sel, work), 2);
    cr_assert(sel[2] == 0 && sel[5] == 2);
}

Test(kernels_roi_align, average_and_max_of_one_sample)
{
    const float x[4] = {1, 2, 3, 4}, roi[4] = {0, 0, 1, 1};
    const int64_t batch[1] = {0};
    float y;
    ol_roi_align_params p = {.channels = 1, .height = 2, .width = 2, .rois = 1, .out_h = 1, .out_w = 1,
                             .sampling_ratio = 1, .spatial_scale = 1.0f};
    ol_roi_align_f32(&p, x, roi, batch, &y);
    cr_assert_float_eq(y, 2.5f, 1e-6);   /* the sample at (0.5, 0.5) */
    p.max_mode = true;                   /* the largest weighted corner: 0.25 * 4 */
    ol_roi_align_f32(&p, x, roi, batch, &y);
    cr_assert_float_eq(y, 1.0f, 1e-6);
}

Test(kernels_causal_conv, carries_state_between_calls)
{
    const float x[3] = {1, 2, 3}, w[2] = {1, 10}, past[1] = {5}, bias[1] = {1};
    float y[3], present[1];
    ol_causal_conv_f32(x, w, NULL, past, 1, 1, 3, 2, false, y, present);
    cr_assert(y[0] == 15 && y[1] == 21 && y[2] == 32 && present[0] == 3);
    ol_causal_conv_f32(x, w, bias, NULL, 1, 1, 3, 2, false, y, present);
    cr_assert(y[0] == 11 && y[1] == 22 && y[2] == 33);
    ol_causal_conv_f32(x, w, NULL, past, 1, 1, 1, 2, true, y, present);
    cr_assert_float_eq(y[0], 15 * sigmoid(15), 1e-5);
    cr_assert_eq(present[0], 1.0f, "a short input still leaves the newest position");
}

Test(kernels_tensor_scatter, linear_and_circular_writes)
{
    /* cache [batch 2][max_seq 4], update [2][2] */
    const int32_t cache[8] = {0, 0, 0, 0, 0, 0, 0, 0}, update[4] = {1, 2, 3, 4};
    const int64_t write[2] = {1, 3};
    int32_t y[8];
    cr_assert_eq(ol_tensor_scatter(cache, update, write, 2, 1, 4, 2, 1, sizeof(int32_t), false, y), 1);
    cr_assert_eq(ol_tensor_scatter(cache, update, write, 2, 1, 4, 2, 1, sizeof(int32_t), true, y), -1);
    const int32_t want[8] = {0, 1, 2, 0, 4, 0, 0, 3};
    for (int i = 0; i < 8; i++)
        cr_assert_eq(y[i], want[i]);
    cr_assert_eq(ol_tensor_scatter(cache, update, NULL, 2, 1, 4, 2, 1, sizeof(int32_t), false, y), -1);
    cr_assert(y[0] == 1 && y[1] == 2 && y[4] == 3 && y[5] == 4 && y[2] == 0);
}
