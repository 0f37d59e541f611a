#include "kernels/loss.h"

#include <math.h>

#define DEFINE_NLL(T, NAME)                                                                             \
    int64_t NAME(const ol_nll_params *p, const T *x, const int64_t *target, const T *weight, T *loss)    \
    {                                                                                                   \
        int64_t count = p->n * p->d;                                                                    \
        for (int64_t i = 0; i < count; i++) {                                                           \
            int64_t t = target[i];                                                                      \
            if ((!p->has_ignore_index || t != p->ignore_index) && (t < 0 || t >= p->c))                 \
                return i;                                                                               \
        }                                                                                               \
        double sum = 0, total_weight = 0;                                                               \
        for (int64_t b = 0; b < p->n; b++)                                                              \
            for (int64_t k = 0; k < p->d; k++) {                                                        \
                int64_t i = b * p->d + k, t = target[i];                                                \
                double w = 0, value = 0;                                                                \
                if (!p->has_ignore_index || t != p->ignore_index) {                                     \
                    w = weight ? (double)weight[t] : 1.0;                                               \
                    value = -(double)x[(b * p->c + t) * p->d + k] * w;                                  \
                }                                                                                       \
                if (p->reduction == OL_LOSS_NONE)                                                       \
                    loss[i] = (T)value;                                                                 \
                sum += value;                                                                           \
                total_weight += w;                                                                      \
            }                                                                                           \
        if (p->reduction == OL_LOSS_SUM)                                                                \
            loss[0] = (T)sum;                                                                           \
        else if (p->reduction == OL_LOSS_MEAN)                                                          \
            loss[0] = (T)(sum / total_weight);                                                          \
        return -1;                                                                                      \
    }

DEFINE_NLL(float, ol_nll_loss_f32)
DEFINE_NLL(double, ol_nll_loss_f64)

#define DEFINE_LOG_SOFTMAX(T, NAME, EXP)                                                                \
    void NAME(const T *x, T *y, int64_t n, int64_t c, int64_t d)                                        \
    {                                                                                                   \
        for (int64_t b = 0; b < n; b++)                                                                 \
            for (int64_t k = 0; k < d; k++) {                                                           \
                const T *in = x + b * c * d + k;                                                        \
                T *out = y + b * c * d + k;                                                             \
                T max = -INFINITY;                                                                      \
                for (int64_t j = 0; j < c; j++)                                                         \
                    if (in[j * d] > max)                                                                \
                        max = in[j * d];                                                                \
                double sum = 0;                                                                         \
                for (int64_t j = 0; j < c; j++)                                                         \
                    sum += EXP(in[j * d] - max);                                                        \
                T log_sum = (T)log(sum);                                                                \
                for (int64_t j = 0; j < c; j++)                                                         \
                    out[j * d] = in[j * d] - max - log_sum;                                             \
            }                                                                                           \
    }

DEFINE_LOG_SOFTMAX(float, ol_log_softmax_classes_f32, expf)
DEFINE_LOG_SOFTMAX(double, ol_log_softmax_classes_f64, exp)
