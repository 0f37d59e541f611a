/* Elementwise binary kernels with numpy broadcasting: arithmetic, comparisons, logic, bitwise, and
 * the variadic folds (Max/Min/Sum/Mean) built on them. Integer arithmetic wraps; integer division
 * or remainder by zero yields 0 instead of trapping. */
#ifndef OL_KERNELS_BINARY_H
#define OL_KERNELS_BINARY_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/ktensor.h"

typedef enum ol_binary_op {
    OL_BINARY_ADD,
    OL_BINARY_SUB,
    OL_BINARY_MUL,
    OL_BINARY_DIV,           /* integers truncate toward zero */
    OL_BINARY_POW,           /* the exponent may have another numeric dtype than the base */
    OL_BINARY_MOD,           /* remainder with the divisor's sign (Python's %) */
    OL_BINARY_FMOD,          /* remainder with the dividend's sign (C's fmod and %) */
    OL_BINARY_MAX,           /* floats: NaN wins */
    OL_BINARY_MIN,
    OL_BINARY_BIT_AND,
    OL_BINARY_BIT_OR,
    OL_BINARY_BIT_XOR,
    OL_BINARY_SHIFT_LEFT,    /* unsigned integers; shifting by the width or more gives 0 */
    OL_BINARY_SHIFT_RIGHT,
    OL_BINARY_AND,           /* bool */
    OL_BINARY_OR,
    OL_BINARY_XOR,
    OL_BINARY_EQUAL,         /* comparisons produce bool */
    OL_BINARY_GREATER,
    OL_BINARY_GREATER_EQUAL,
    OL_BINARY_LESS,
    OL_BINARY_LESS_EQUAL,
    OL_BINARY_PRELU,         /* a < 0 ? a * b : a */
    OL_BINARY_OP_COUNT
} ol_binary_op;

/* Whether the kernel handles `op` on inputs of these dtypes (float32/64, (u)int8..64, bool as the
 * op allows; float16 is computed by callers through float32). */
bool ol_binary_supported(ol_binary_op op, ol_dtype a, ol_dtype b);
/* bool for comparisons, else a's dtype. */
ol_dtype ol_binary_result_dtype(ol_binary_op op, ol_dtype a);

/* out = a op b. out must have the broadcast shape of a and b and the result dtype; it may be the
 * same tensor as a (in place) when a already has the output shape. False when the dtypes are not
 * supported or the shapes do not broadcast to out. threads <= 0: the OpenMP default. */
bool ol_binary(ol_binary_op op, const ol_ktensor *a, const ol_ktensor *b, ol_ktensor *out,
               int threads);

/* out = in[0] op in[1] op ... (all inputs broadcast to out; n >= 1, one input is copied). For the
 * associative ops Max, Min, Add (Sum). */
bool ol_binary_fold(ol_binary_op op, size_t n, const ol_ktensor *const *in, ol_ktensor *out,
                    int threads);

/* Elementwise mean of n float32/float64 inputs broadcast to out. */
bool ol_mean(size_t n, const ol_ktensor *const *in, ol_ktensor *out, int threads);

#endif
