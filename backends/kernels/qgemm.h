/* 8-bit integer GEMM: C[m x n] = sum over k of (A[i,k] - za[i]) * (B[k,j] - zb[j]) in int32, for
 * uint8 or int8 A and B with per-tensor or per-row (A) / per-column (B) zero points.
 *
 * The products of raw values are summed by a blocked kernel (operands packed as int16 pairs so one
 * multiply-add instruction handles two k steps; AVX2 and AVX-512 versions are picked at run time)
 * and the zero points are applied afterwards through row sums of A and column sums of B:
 *   sum (a - za)(b - zb) = sum ab - zb * sum_k a - za * sum_k b + k * za * zb.
 * Accumulation wraps modulo 2^32, which is what the ONNX integer ops allow. */
#ifndef OL_KERNELS_QGEMM_H
#define OL_KERNELS_QGEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ol_qgemm_operand {
    const void *data;             /* uint8 or int8 elements, row-major */
    bool is_signed;               /* int8 rather than uint8 */
    int64_t ld;                   /* elements between the starts of consecutive rows */
    const int32_t *zero_points;   /* NULL: zero */
    int64_t n_zero_points;        /* 1 (per tensor) or one per row of A / per column of B */
} ol_qgemm_operand;

/* Workspace bytes ol_qgemm needs for these sizes and thread count (<= 0: the OpenMP default). */
size_t ol_qgemm_workspace_bytes(int64_t m, int64_t n, int64_t k, int threads);

/* C (row stride ldc) = (A - za)(B - zb) for A [m x k] and B [k x n]. k == 0 gives zeros. */
void ol_qgemm(int64_t m, int64_t n, int64_t k, const ol_qgemm_operand *a, const ol_qgemm_operand *b,
              int32_t *c, int64_t ldc, int threads, void *workspace);

/* Which inner kernel ol_qgemm uses on this CPU: "avx512", "avx2" or "portable". */
const char *ol_qgemm_kernel_name(void);
/* Restricts ol_qgemm to the named kernel (or back to the best one for NULL), so tests and benchmarks
 * can compare them; false when this CPU cannot run it. Not thread safe. */
bool ol_qgemm_force_kernel(const char *name);

#endif
