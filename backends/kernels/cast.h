/* Element type conversion between every numeric dtype: bool, (u)int8..64, float16, bfloat16,
 * float32/64, the float8 and float4 formats, and the packed int4/uint4/int2/uint2.
 *
 * Rules (those of the ONNX reference): floats to integers truncate toward zero, NaN and infinities
 * give 0, and the result wraps to the target width (beyond int64 it saturates); integers wrap;
 * anything to bool is `!= 0`; float targets round to nearest even. Float8 targets saturate or not
 * as asked (see minifloat.h); E8M0 rounds as asked. */
#ifndef OL_KERNELS_CAST_H
#define OL_KERNELS_CAST_H

#include <stdbool.h>

#include "kernels/ktensor.h"
#include "kernels/minifloat.h"

typedef struct ol_cast_params {
    bool saturate;              /* float8 targets: clamp out-of-range values to the largest finite */
    ol_e8m0_round e8m0_round;   /* float8e8m0 targets */
} ol_cast_params;

bool ol_cast_supported(ol_dtype from, ol_dtype to);

/* out (same shape as x, the target dtype) = x converted. False when a dtype is not supported. */
bool ol_cast(const ol_ktensor *x, ol_ktensor *out, const ol_cast_params *params, int threads);

#endif
