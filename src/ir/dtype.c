#include <stdint.h>
#include <stdio.h>

#include "onnxlite/ir.h"

typedef struct dtype_info {
    const char *name;
    unsigned bits;
} dtype_info;

static const dtype_info DTYPES[OL_DTYPE_COUNT] = {
    [OL_UNDEFINED] = {"undefined", 0},     [OL_FLOAT] = {"float32", 32},
    [OL_UINT8] = {"uint8", 8},             [OL_INT8] = {"int8", 8},
    [OL_UINT16] = {"uint16", 16},          [OL_INT16] = {"int16", 16},
    [OL_INT32] = {"int32", 32},            [OL_INT64] = {"int64", 64},
    [OL_STRING] = {"string", 0},           [OL_BOOL] = {"bool", 8},
    [OL_FLOAT16] = {"float16", 16},        [OL_DOUBLE] = {"float64", 64},
    [OL_UINT32] = {"uint32", 32},          [OL_UINT64] = {"uint64", 64},
    [OL_COMPLEX64] = {"complex64", 64},    [OL_COMPLEX128] = {"complex128", 128},
    [OL_BFLOAT16] = {"bfloat16", 16},      [OL_FLOAT8E4M3FN] = {"float8e4m3fn", 8},
    [OL_FLOAT8E4M3FNUZ] = {"float8e4m3fnuz", 8}, [OL_FLOAT8E5M2] = {"float8e5m2", 8},
    [OL_FLOAT8E5M2FNUZ] = {"float8e5m2fnuz", 8}, [OL_UINT4] = {"uint4", 4},
    [OL_INT4] = {"int4", 4},               [OL_FLOAT4E2M1] = {"float4e2m1", 4},
    [OL_FLOAT8E8M0] = {"float8e8m0", 8},   [OL_UINT2] = {"uint2", 2},
    [OL_INT2] = {"int2", 2},               [OL_FLOAT6E2M3] = {"float6e2m3", 6},
    [OL_FLOAT6E3M2] = {"float6e3m2", 6},
};

bool ol_dtype_valid(int dtype)
{
    return dtype > OL_UNDEFINED && dtype < OL_DTYPE_COUNT;
}

const char *ol_dtype_name(ol_dtype dtype)
{
    /* A static buffer would not be thread safe; unknown codes are rare enough to share one label. */
    return (unsigned)dtype < OL_DTYPE_COUNT ? DTYPES[dtype].name : "unknown";
}

unsigned ol_dtype_bits(ol_dtype dtype)
{
    return (unsigned)dtype < OL_DTYPE_COUNT ? DTYPES[dtype].bits : 0;
}

size_t ol_dtype_storage_bytes(ol_dtype dtype, int64_t count)
{
    unsigned bits = ol_dtype_bits(dtype);
    if (count < 0 || bits == 0)
        return SIZE_MAX;
    if ((uint64_t)count > (SIZE_MAX - 7) / bits)
        return SIZE_MAX;
    return ((size_t)count * bits + 7) / 8;
}
