/* Element types, shared by the IR and the IR-free kernel library. */
#ifndef ONNXLITE_DTYPE_H
#define ONNXLITE_DTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types; the numbers are ONNX's TensorProto.DataType so they pass through files unchanged. */
typedef enum ol_dtype {
    OL_UNDEFINED = 0,
    OL_FLOAT = 1,
    OL_UINT8 = 2,
    OL_INT8 = 3,
    OL_UINT16 = 4,
    OL_INT16 = 5,
    OL_INT32 = 6,
    OL_INT64 = 7,
    OL_STRING = 8,
    OL_BOOL = 9,
    OL_FLOAT16 = 10,
    OL_DOUBLE = 11,
    OL_UINT32 = 12,
    OL_UINT64 = 13,
    OL_COMPLEX64 = 14,
    OL_COMPLEX128 = 15,
    OL_BFLOAT16 = 16,
    OL_FLOAT8E4M3FN = 17,
    OL_FLOAT8E4M3FNUZ = 18,
    OL_FLOAT8E5M2 = 19,
    OL_FLOAT8E5M2FNUZ = 20,
    OL_UINT4 = 21,
    OL_INT4 = 22,
    OL_FLOAT4E2M1 = 23,
    OL_FLOAT8E8M0 = 24,
    OL_UINT2 = 25,
    OL_INT2 = 26,
    OL_FLOAT6E2M3 = 27,
    OL_FLOAT6E3M2 = 28,
    OL_DTYPE_COUNT
} ol_dtype;

const char *ol_dtype_name(ol_dtype dtype);   /* "float32", "int64", ...; "unknown" for codes outside the enum */
unsigned ol_dtype_bits(ol_dtype dtype);      /* bits per element; 0 for UNDEFINED and STRING */
bool ol_dtype_valid(int dtype);

/* Bytes needed for `count` packed elements (sub-byte types round up), or SIZE_MAX on overflow. */
size_t ol_dtype_storage_bytes(ol_dtype dtype, int64_t count);

#ifdef __cplusplus
}
#endif
#endif
