#include <string.h>

#include "exec/ops/layout_internal.h"
#include "kernels/axis_gather.h"

const ol_ktensor *layout_input(ol_op_ctx *ctx, size_t i, const char *what)
{
    const ol_ktensor *t = ol_op_input(ctx, i);
    if (!t)
        ol_op_fail(ctx, OL_ERR_INVALID, "missing input %zu (%s)", i, what);
    return t;
}

ol_status layout_elem_size(ol_op_ctx *ctx, const ol_ktensor *t, size_t *size)
{
    *size = ol_elem_size(t->dtype);
    if (!*size)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "%s tensors are not supported",
                          ol_dtype_name(t->dtype));
    return OL_OK;
}

ol_status layout_axis(ol_op_ctx *ctx, int64_t axis, int rank, const char *what, int *out)
{
    if (axis < -rank || axis >= rank)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s %lld is outside [%d, %d) for rank %d", what,
                          (long long)axis, -rank, rank, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return OL_OK;
}

ol_status layout_ints(ol_op_ctx *ctx, const ol_ktensor *t, const char *what, int64_t *out, size_t cap,
                      size_t *n)
{
    if (t->dtype != OL_INT64 && t->dtype != OL_INT32)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s must be int64 (or int32), got %s", what,
                          ol_dtype_name(t->dtype));
    if (t->rank > 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s must be 1-D, got rank %d", what, t->rank);
    int64_t count = ol_ktensor_numel(t);
    if ((uint64_t)count > cap)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s has %lld values, at most %zu allowed", what,
                          (long long)count, cap);
    for (int64_t i = 0; i < count; i++)
        out[i] = t->dtype == OL_INT64 ? ((const int64_t *)t->data)[i] : ((const int32_t *)t->data)[i];
    *n = (size_t)count;
    return OL_OK;
}

ol_status layout_scalar(ol_op_ctx *ctx, const ol_ktensor *t, const char *what, double *out)
{
    if (ol_ktensor_numel(t) != 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "%s must hold one value, got %lld", what,
                          (long long)ol_ktensor_numel(t));
    const void *p = t->data;
    switch (t->dtype) {
    case OL_FLOAT: *out = *(const float *)p; break;
    case OL_DOUBLE: *out = *(const double *)p; break;
    case OL_FLOAT16: *out = ol_half_to_float(*(const uint16_t *)p); break;
    case OL_BFLOAT16: *out = ol_bf16_to_float(*(const uint16_t *)p); break;
    case OL_INT8: *out = *(const int8_t *)p; break;
    case OL_INT16: *out = *(const int16_t *)p; break;
    case OL_INT32: *out = *(const int32_t *)p; break;
    case OL_INT64: *out = (double)*(const int64_t *)p; break;
    case OL_UINT8: *out = *(const uint8_t *)p; break;
    case OL_UINT16: *out = *(const uint16_t *)p; break;
    case OL_UINT32: *out = *(const uint32_t *)p; break;
    case OL_UINT64: *out = (double)*(const uint64_t *)p; break;
    case OL_BOOL: *out = *(const uint8_t *)p != 0; break;
    default:
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "%s of type %s is not supported", what,
                          ol_dtype_name(t->dtype));
    }
    return OL_OK;
}

#define STORE(type, v)                                                                            \
    do {                                                                                          \
        type x = (type)(v);                                                                       \
        memcpy(out, &x, sizeof x);                                                                \
    } while (0)

/* Converting an out-of-range double (or NaN) to an integer is undefined: saturate first. */
static double saturate(double v, double lo, double hi)
{
    return v != v ? 0 : v < lo ? lo : v > hi ? hi : v;
}

bool layout_value_bytes(ol_dtype dtype, double value, void *out)
{
    switch (dtype) {
    case OL_FLOAT: STORE(float, value); break;
    case OL_DOUBLE: STORE(double, value); break;
    case OL_FLOAT16: STORE(uint16_t, ol_float_to_half((float)value)); break;
    case OL_BFLOAT16: STORE(uint16_t, ol_float_to_bf16((float)value)); break;
    case OL_BOOL: STORE(uint8_t, value != 0); break;
    case OL_INT8: STORE(int8_t, saturate(value, INT8_MIN, INT8_MAX)); break;
    case OL_INT16: STORE(int16_t, saturate(value, INT16_MIN, INT16_MAX)); break;
    case OL_INT32: STORE(int32_t, saturate(value, INT32_MIN, INT32_MAX)); break;
    /* The largest doubles below 2^63 and 2^64. */
    case OL_INT64: STORE(int64_t, saturate(value, -9223372036854775808.0, 9223372036854774784.0)); break;
    case OL_UINT8: STORE(uint8_t, saturate(value, 0, UINT8_MAX)); break;
    case OL_UINT16: STORE(uint16_t, saturate(value, 0, UINT16_MAX)); break;
    case OL_UINT32: STORE(uint32_t, saturate(value, 0, UINT32_MAX)); break;
    case OL_UINT64: STORE(uint64_t, saturate(value, 0, 18446744073709549568.0)); break;
    default:
        return false;
    }
    return true;
}

bool layout_attr_is(const ol_node *node, const char *name, const char *dflt, const char *value)
{
    size_t len;
    const char *s = ol_node_attr_string(node, name, &len);
    if (!s) {
        s = dflt;
        len = strlen(dflt);
    }
    return len == strlen(value) && memcmp(s, value, len) == 0;
}
