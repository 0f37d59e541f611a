/* Conversions of the narrow float formats: float8 (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ, E8M0), float4
 * E2M1, and float16 from double with a single rounding. Encodings follow the ONNX reference
 * (ml_dtypes): round to nearest even; on overflow E4M3FN/FNUZ and E5M2FNUZ give NaN and E5M2 gives
 * inf, or the largest finite value when saturating; float4 always saturates. */
#ifndef OL_KERNELS_MINIFLOAT_H
#define OL_KERNELS_MINIFLOAT_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxlite/dtype.h"

/* float8 and float4 dtypes (float16/bfloat16 have their own functions in ktensor.h). */
bool ol_minifloat_dtype(ol_dtype dtype);

/* Value of an encoded element (float4: the low 4 bits). */
float ol_minifloat_to_float(uint8_t code, ol_dtype dtype);

/* Encodes v for the E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ and E2M1 formats. */
uint8_t ol_minifloat_from_double(double v, ol_dtype dtype, bool saturate);

/* E8M0 holds a power of two 2^(code - 127) (0xFF is NaN); the sign is ignored. */
typedef enum ol_e8m0_round { OL_E8M0_ROUND_UP, OL_E8M0_ROUND_DOWN, OL_E8M0_ROUND_NEAREST } ol_e8m0_round;
uint8_t ol_float_to_e8m0(float v, bool saturate, ol_e8m0_round mode);

/* IEEE half from double, rounded once (float16 via float would round twice). */
uint16_t ol_double_to_half(double v);

#endif
