/* Loss kernels (NegativeLogLikelihoodLoss, log-softmax for SoftmaxCrossEntropyLoss) on hand-computed
 * cases. */
#include <criterion/criterion.h>
#include <math.h>

#include "kernels/loss.h"

/* x [n 2][c 3][d 1] */
static const float X[6] = {-1, -2, -3, -4, -5, -6};

Test(kernels_loss, nll_none_gathers_negated_scores)
{
    const int64_t target[2] = {2, 0};
    float loss[2];
    ol_nll_params p = {.n = 2, .c = 3, .d = 1, .reduction = OL_LOSS_NONE};
    cr_assert_eq(ol_nll_loss_f32(&p, X, target, NULL, loss), -1);
    cr_assert_float_eq(loss[0], 3.0f, 1e-6);
    cr_assert_float_eq(loss[1], 4.0f, 1e-6);
}

Test(kernels_loss, nll_weighted_mean_divides_by_total_weight)
{
    const int64_t target[2] = {2, 0};
    const float weight[3] = {0.5f, 1, 2};
    float loss;
    ol_nll_params p = {.n = 2, .c = 3, .d = 1, .reduction = OL_LOSS_MEAN};
    ol_nll_loss_f32(&p, X, target, weight, &loss);
    cr_assert_float_eq(loss, (3 * 2 + 4 * 0.5f) / 2.5f, 1e-6);
    p.reduction = OL_LOSS_SUM;
    ol_nll_loss_f32(&p, X, target, weight, &loss);
    cr_assert_float_eq(loss, 8.0f, 1e-6);
}

Test(kernels_loss, nll_ignored_targets_add_nothing)
{
    /* the ignored target may lie outside the classes */
    const int64_t target[2] = {-7, 1};
    double loss;
    const double x[6] = {-1, -2, -3, -4, -5, -6};
    ol_nll_params p = {.n = 2, .c = 3, .d = 1, .reduction = OL_LOSS_MEAN, .has_ignore_index = true,
                       .ignore_index = -7};
    cr_assert_eq(ol_nll_loss_f64(&p, x, target, NULL, &loss), -1);
    cr_assert_float_eq(loss, 5.0, 1e-12);
}

Test(kernels_loss, nll_reports_the_first_bad_target)
{
    const int64_t target[2] = {1, 3};
    float loss[2] = {42, 42};
    ol_nll_params p = {.n = 2, .c = 3, .d = 1, .reduction = OL_LOSS_NONE};
    cr_assert_eq(ol_nll_loss_f32(&p, X, target, NULL, loss), 1);
    cr_assert(loss[0] == 42 && loss[1] == 42, "nothing is written on a bad target");
}

Test(kernels_loss, nll_extra_dims_index_per_position)
{
    /* x [1][2][2]: position k reads x[0][t][k] */
    const float x[4] = {-1, -2, -3, -4};
    const int64_t target[2] = {1, 0};
    float loss[2];
    ol_nll_params p = {.n = 1, .c = 2, .d = 2, .reduction = OL_LOSS_NONE};
    ol_nll_loss_f32(&p, x, target, NULL, loss);
    cr_assert_float_eq(loss[0], 3.0f, 1e-6);
    cr_assert_float_eq(loss[1], 2.0f, 1e-6);
}

Test(kernels_loss, log_softmax_over_classes)
{
    /* x [1][2][2]: classes at stride 2 */
    const float x[4] = {0, 1000, 0, 1000};
    float y[4];
    ol_log_softmax_classes_f32(x, y, 1, 2, 2);
    cr_assert_float_eq(y[0], logf(0.5f), 1e-6);
    cr_assert_float_eq(y[2], logf(0.5f), 1e-6);
    cr_assert_float_eq(y[1], logf(0.5f), 1e-4, "large scores stay finite");
    const double xd[2] = {0, log(3.0)};
    double yd[2];
    ol_log_softmax_classes_f64(xd, yd, 1, 2, 1);
    cr_assert_float_eq(yd[0], log(0.25), 1e-12);
    cr_assert_float_eq(yd[1], log(0.75), 1e-12);
}
