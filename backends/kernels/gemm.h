/* Matrix products: ONNX Gemm, numpy-style batched MatMul and the batched GEMM both (and Einsum)
 * are built on. float32/float64 go to OpenBLAS; int32/int64/uint32/uint64 use a plain loop with
 * wrap-around arithmetic. */
#ifndef OL_KERNELS_GEMM_H
#define OL_KERNELS_GEMM_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels/ktensor.h"

/* Element types the functions below accept. */
bool ol_gemm_dtype_supported(ol_dtype dtype);

/* For i < batch: y_i[M, N] = op(a_i) x op(b_i), all row-major and dense, where a_i = a + i*a_stride
 * elements (a_stride 0 repeats one matrix; same for b), op(a_i) is [M, K] (stored [K, M] when
 * trans_a), op(b_i) is [K, N] (stored [N, K] when trans_b) and y_i = y + i*M*N. Dimensions must fit
 * in an int (BLAS). */
void ol_gemm_batched(ol_dtype dtype, bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N,
                     int64_t K, const void *a, int64_t a_stride, const void *b, int64_t b_stride, void *y);

typedef struct ol_gemm_params {
    bool trans_a, trans_b;
    double alpha, beta;
} ol_gemm_params;

/* True when c (rank 0, 1 or 2) broadcasts unidirectionally to [M, N]. */
bool ol_gemm_bias_broadcasts(const ol_ktensor *c, int64_t M, int64_t N);
/* ONNX Gemm: y [M, N] = alpha * op(a) x op(b) + beta * c, c NULL or broadcasting to [M, N]. All
 * tensors share one dtype. For integer types alpha and beta other than 1 scale through double. */
void ol_gemm(const ol_gemm_params *p, const ol_ktensor *a, const ol_ktensor *b, const ol_ktensor *c,
             ol_ktensor *y);

/* numpy matmul output shape (1-D operands get a unit dimension that is then dropped, batch dims
 * broadcast); false when inner or batch dimensions do not match. */
bool ol_matmul_shape(const ol_ktensor *a, const ol_ktensor *b, int *rank, int64_t *dims);
/* y = a @ b with y's shape from ol_matmul_shape. */
void ol_matmul(const ol_ktensor *a, const ol_ktensor *b, ol_ktensor *y);

#endif
