#include "kernels/element.h"

#include <math.h>

#include "kernels/ktensor.h"

bool ol_elem_numeric(ol_dtype t)
{
    switch (t) {
    case OL_FLOAT: case OL_DOUBLE: case OL_FLOAT16: case OL_BFLOAT16: case OL_BOOL:
    case OL_INT8: case OL_UINT8: case OL_INT16: case OL_UINT16: case OL_INT32: case OL_UINT32:
    case OL_INT64: case OL_UINT64:
        return true;
    default:
        return false;
    }
}

bool ol_elem_is_float(ol_dtype t)
{
    return t == OL_FLOAT || t == OL_DOUBLE || t == OL_FLOAT16 || t == OL_BFLOAT16;
}

double ol_elem_get_f64(const void *d, ol_dtype t, int64_t i)
{
    switch (t) {
    case OL_FLOAT: return ((const float *)d)[i];
    case OL_DOUBLE: return ((const double *)d)[i];
    case OL_FLOAT16: return ol_half_to_float(((const uint16_t *)d)[i]);
    case OL_BFLOAT16: return ol_bf16_to_float(((const uint16_t *)d)[i]);
    case OL_BOOL: return ((const uint8_t *)d)[i] != 0;
    case OL_INT8: return ((const int8_t *)d)[i];
    case OL_UINT8: return ((const uint8_t *)d)[i];
    case OL_INT16: return ((const int16_t *)d)[i];
    case OL_UINT16: return ((const uint16_t *)d)[i];
    case OL_INT32: return ((const int32_t *)d)[i];
    case OL_UINT32: return ((const uint32_t *)d)[i];
    case OL_INT64: return (double)((const int64_t *)d)[i];
    case OL_UINT64: return (double)((const uint64_t *)d)[i];
    default: return NAN;
    }
}

void ol_elem_set_f64(void *d, ol_dtype t, int64_t i, double v)
{
    switch (t) {
    case OL_FLOAT: ((float *)d)[i] = (float)v; return;
    case OL_DOUBLE: ((double *)d)[i] = v; return;
    case OL_FLOAT16: ((uint16_t *)d)[i] = ol_float_to_half((float)v); return;
    case OL_BFLOAT16: ((uint16_t *)d)[i] = ol_float_to_bf16((float)v); return;
    case OL_BOOL: ((uint8_t *)d)[i] = v != 0; return;
    default: break;
    }
    /* Integers: through int64 so out-of-range values wrap like C casts on two's complement. */
    int64_t k = isfinite(v) && fabs(v) < 9.2e18 ? (int64_t)v : 0;
    ol_elem_set_i64(d, t, i, k);
}

int64_t ol_elem_get_i64(const void *d, ol_dtype t, int64_t i)
{
    switch (t) {
    case OL_INT64: return ((const int64_t *)d)[i];
    case OL_UINT64: return (int64_t)((const uint64_t *)d)[i];
    case OL_INT32: return ((const int32_t *)d)[i];
    case OL_UINT32: return ((const uint32_t *)d)[i];
    case OL_INT16: return ((const int16_t *)d)[i];
    case OL_UINT16: return ((const uint16_t *)d)[i];
    case OL_INT8: return ((const int8_t *)d)[i];
    case OL_UINT8: return ((const uint8_t *)d)[i];
    case OL_BOOL: return ((const uint8_t *)d)[i] != 0;
    default: return (int64_t)ol_elem_get_f64(d, t, i);
    }
}

void ol_elem_set_i64(void *d, ol_dtype t, int64_t i, int64_t v)
{
    switch (t) {
    case OL_INT64: ((int64_t *)d)[i] = v; return;
    case OL_UINT64: ((uint64_t *)d)[i] = (uint64_t)v; return;
    case OL_INT32: ((int32_t *)d)[i] = (int32_t)v; return;
    case OL_UINT32: ((uint32_t *)d)[i] = (uint32_t)v; return;
    case OL_INT16: ((int16_t *)d)[i] = (int16_t)v; return;
    case OL_UINT16: ((uint16_t *)d)[i] = (uint16_t)v; return;
    case OL_INT8: ((int8_t *)d)[i] = (int8_t)v; return;
    case OL_UINT8: ((uint8_t *)d)[i] = (uint8_t)v; return;
    case OL_BOOL: ((uint8_t *)d)[i] = v != 0; return;
    default: ol_elem_set_f64(d, t, i, (double)v); return;
    }
}
