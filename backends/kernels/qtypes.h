/* Element codecs for the quantized types: integers of 2 to 32 bits (int4/uint4 packed two per byte,
 * int2/uint2 four per byte, lowest bits first) and the small floats float8 (E4M3FN, E4M3FNUZ, E5M2,
 * E5M2FNUZ), float4 E2M1 and the power-of-two scale type float8 E8M0. */
#ifndef OL_KERNELS_QTYPES_H
#define OL_KERNELS_QTYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxlite/dtype.h"

/* int8/uint8/int16/uint16/int32 and the packed int4/uint4/int2/uint2. */
bool ol_qtype_is_int(ol_dtype t);
/* float8 E4M3FN/E4M3FNUZ/E5M2/E5M2FNUZ and float4 E2M1: the small floats a tensor can be quantized to. */
bool ol_qtype_is_minifloat(ol_dtype t);
/* Smallest and largest value of an integer quantized type; false for other types. */
bool ol_qtype_int_range(ol_dtype t, int32_t *lo, int32_t *hi);

/* Element i of an integer quantized tensor (packed types included). */
int32_t ol_qtype_get_int(const void *data, ol_dtype t, int64_t i);
/* Stores v (already in range) as element i; packed types rewrite only their own bits. */
void ol_qtype_set_int(void *data, ol_dtype t, int64_t i, int32_t v);

/* Code of a small float (one code per byte for float8, the nibble's value for float4). */
float ol_minifloat_decode(uint8_t code, ol_dtype t);
/* Rounds v to nearest even. Out-of-range values and infinities become the largest finite value
 * when `saturate` (always for float4, which has no Inf or NaN); otherwise Inf where the type has
 * it, else NaN. NaN stays NaN (zero for float4). */
uint8_t ol_minifloat_encode(float v, ol_dtype t, bool saturate);
float ol_qtype_get_minifloat(const void *data, ol_dtype t, int64_t i);
void ol_qtype_set_minifloat(void *data, ol_dtype t, int64_t i, float v, bool saturate);

/* float8 E8M0: 2^(code - 127), NaN for 0xFF. */
float ol_float8e8m0_decode(uint8_t code);

#endif
