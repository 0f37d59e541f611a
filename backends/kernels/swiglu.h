/* SwiGLU: y = a * sigmoid(alpha * a) * b, elementwise over equal-shaped a and b. */
#ifndef OL_KERNELS_SWIGLU_H
#define OL_KERNELS_SWIGLU_H

#include <stdint.h>

void ol_swiglu_f32(const float *a, const float *b, float *y, int64_t n, float alpha);
void ol_swiglu_f64(const double *a, const double *b, double *y, int64_t n, double alpha);

#endif
