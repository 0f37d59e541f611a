/* Classification losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss over inputs viewed as
 * [n][c][d] (batch, classes, flattened extra dims) with integer targets [n][d]. float32 and float64
 * variants; sums accumulate in double. */
#ifndef OL_KERNELS_LOSS_H
#define OL_KERNELS_LOSS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum ol_loss_reduction { OL_LOSS_NONE, OL_LOSS_SUM, OL_LOSS_MEAN } ol_loss_reduction;

typedef struct ol_nll_params {
    int64_t n, c, d;
    ol_loss_reduction reduction;
    bool has_ignore_index;
    int64_t ignore_index;          /* targets equal to it add nothing, not even weight */
} ol_nll_params;

/* loss[n][d] = -x[n][target][d] * weight[target] (weight NULL: 1), or its sum, or its weighted mean
 * (sum divided by the total weight of the counted targets) as one value. Returns -1, or the flat
 * index of the first target outside [0, c) that is not ignored (nothing is written then). */
int64_t ol_nll_loss_f32(const ol_nll_params *p, const float *x, const int64_t *target, const float *weight,
                        float *loss);
int64_t ol_nll_loss_f64(const ol_nll_params *p, const double *x, const int64_t *target, const double *weight,
                        double *loss);

/* log_softmax over the class axis of x [n][c][d]. */
void ol_log_softmax_classes_f32(const float *x, float *y, int64_t n, int64_t c, int64_t d);
void ol_log_softmax_classes_f64(const double *x, double *y, int64_t n, int64_t c, int64_t d);

#endif
