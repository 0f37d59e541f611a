/* Elementwise unary kernels: math functions, activations, tests (IsNaN, IsInf), Not/BitwiseNot, and
 * Clip. Float ops take float32 and float64 (float16 is computed by callers through float32); the
 * integer ops take the integer dtypes ONNX allows for them. */
#ifndef OL_KERNELS_UNARY_H
#define OL_KERNELS_UNARY_H

#include <stdbool.h>

#include "kernels/ktensor.h"

typedef enum ol_unary_op {
    /* numeric */
    OL_UNARY_NEG,              /* float, signed integers (wraps) */
    OL_UNARY_ABS,              /* float, integers */
    OL_UNARY_SIGN,             /* float, integers */
    OL_UNARY_RELU,             /* float, signed integers */
    OL_UNARY_SHRINK,           /* float, integers: x < -alpha ? x + beta : x > alpha ? x - beta : 0 */
    /* float only */
    OL_UNARY_RECIPROCAL,
    OL_UNARY_FLOOR,
    OL_UNARY_CEIL,
    OL_UNARY_ROUND,            /* half to even */
    OL_UNARY_SQRT,
    OL_UNARY_EXP,
    OL_UNARY_LOG,
    OL_UNARY_SIN,
    OL_UNARY_COS,
    OL_UNARY_TAN,
    OL_UNARY_ASIN,
    OL_UNARY_ACOS,
    OL_UNARY_ATAN,
    OL_UNARY_SINH,
    OL_UNARY_COSH,
    OL_UNARY_ASINH,
    OL_UNARY_ACOSH,
    OL_UNARY_ATANH,
    OL_UNARY_ERF,
    OL_UNARY_LEAKY_RELU,       /* alpha */
    OL_UNARY_ELU,              /* alpha */
    OL_UNARY_SELU,             /* alpha, gamma */
    OL_UNARY_CELU,             /* alpha */
    OL_UNARY_SIGMOID,
    OL_UNARY_HARD_SIGMOID,     /* max(0, min(1, alpha * x + beta)) */
    OL_UNARY_HARD_SWISH,       /* x * HardSigmoid(x) with alpha 1/6, beta 1/2 */
    OL_UNARY_TANH,
    OL_UNARY_SOFTPLUS,
    OL_UNARY_SOFTSIGN,
    OL_UNARY_GELU,             /* x * Phi(x), exact */
    OL_UNARY_GELU_TANH,        /* the tanh approximation */
    OL_UNARY_MISH,
    OL_UNARY_SWISH,            /* x * sigmoid(alpha * x) */
    OL_UNARY_THRESHOLDED_RELU, /* x > alpha ? x : 0 */
    OL_UNARY_IS_NAN,           /* -> bool */
    OL_UNARY_IS_INF,           /* -> bool; detect_negative / detect_positive */
    /* integers and bool */
    OL_UNARY_BIT_NOT,          /* integers */
    OL_UNARY_NOT,              /* bool */
    OL_UNARY_OP_COUNT
} ol_unary_op;

typedef struct ol_unary_params {
    float alpha, beta, gamma;
    bool detect_negative, detect_positive;
} ol_unary_params;

bool ol_unary_supported(ol_unary_op op, ol_dtype dtype);
/* bool for IsNaN/IsInf, else x's dtype. */
ol_dtype ol_unary_result_dtype(ol_unary_op op, ol_dtype dtype);

/* out = op(x); out has x's shape and the result dtype and may be x itself (in place). False when
 * the dtype is not supported. params may be NULL for ops without parameters. */
bool ol_unary(ol_unary_op op, const ol_unary_params *params, const ol_ktensor *x, ol_ktensor *out,
              int threads);

/* Clip for every numeric dtype (float16 through float32): lo and hi point to one element of x's
 * dtype, or are NULL for no bound. Where lo > hi the result is hi (numpy's clip). */
bool ol_clip_supported(ol_dtype dtype);
bool ol_clip(const ol_ktensor *x, const void *lo, const void *hi, ol_ktensor *out, int threads);

#endif
