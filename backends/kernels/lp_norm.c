#include "kernels/lp_norm.h"

#include <math.h>

#define DEFINE_LP_NORMALIZE(T, NAME)                                                                    \
    void NAME(const T *x, T *y, int64_t outer, int64_t axis, int64_t inner, int p)                      \
    {                                                                                                   \
        for (int64_t o = 0; o < outer; o++)                                                             \
            for (int64_t in = 0; in < inner; in++) {                                                    \
                const T *src = x + o * axis * inner + in;                                               \
                T *dst = y + o * axis * inner + in;                                                     \
                double norm = 0;                                                                        \
                for (int64_t a = 0; a < axis; a++) {                                                    \
                    double v = (double)src[a * inner];                                                  \
                    norm += p == 1 ? fabs(v) : v * v;                                                   \
                }                                                                                       \
                if (p == 2)                                                                             \
                    norm = sqrt(norm);                                                                  \
                for (int64_t a = 0; a < axis; a++)                                                      \
                    dst[a * inner] = norm == 0 ? (T)0 : (T)((double)src[a * inner] / norm);             \
            }                                                                                           \
    }

DEFINE_LP_NORMALIZE(float, ol_lp_normalize_f32)
DEFINE_LP_NORMALIZE(double, ol_lp_normalize_f64)
