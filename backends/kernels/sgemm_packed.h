/* Float32 GEMM with the left operand packed once: C [M, N] = A [M, K] x B [K, N], all row-major,
 * for convolution weights that multiply a new right operand on every run. OpenBLAS repacks both
 * operands and zeroes C on every call, which cost a fifth of a ResNet-18 run; here A is packed when
 * the weights are prepared, B is packed per block of K x N, and a caller's callback finishes each
 * stretch of output rows (bias, residual, activation) while it is still in cache.
 *
 * The packed kernel runs on AVX-512; elsewhere (or after ol_sgemm_force_portable) the same calls go
 * to OpenBLAS's sgemm with A as it was given, so callers need no second path. */
#ifndef OL_KERNELS_SGEMM_PACKED_H
#define OL_KERNELS_SGEMM_PACKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A in panels of MR rows, each [K][MR] (rows past M are zero). */
typedef struct ol_sgemm_packed_a {
    int64_t M, K;
    float *panels;             /* NULL on the portable path */
} ol_sgemm_packed_a;

/* Packs a [M, K] (row stride lda); false when out of memory. Free with ol_sgemm_packed_a_free. */
bool ol_sgemm_pack_a(const float *a, int64_t lda, int64_t M, int64_t K, ol_sgemm_packed_a *out);
void ol_sgemm_packed_a_free(ol_sgemm_packed_a *packed);

/* Called once per output row m over columns [n0, n0 + n) of C after they hold their final sums:
 * c points at C[m][n0]. May run on several threads at once for different rows. */
typedef void (*ol_sgemm_finish_fn)(const void *ctx, int64_t m, int64_t n0, float *c, int64_t n);

/* Bytes of workspace ol_sgemm_packed needs for N columns with `threads` threads. */
size_t ol_sgemm_packed_workspace(int64_t N, int threads);
/* C = A x B with B [K, N] (row stride ldb) and C [M, N] (row stride ldc), then finish(ctx, ...) over
 * every row when finish is not NULL. `a` (row stride lda) is the matrix `packed` was made from: the
 * portable path multiplies it. threads <= 0: the OpenMP default. */
void ol_sgemm_packed(const ol_sgemm_packed_a *packed, const float *a, int64_t lda, const float *b, int64_t ldb,
                     int64_t N, float *c, int64_t ldc, ol_sgemm_finish_fn finish, const void *ctx, int threads,
                     void *workspace);

/* Tests: true forces the portable path for packings made afterwards; false restores the default.
 * Returns whether the packed kernel is available on this CPU. */
bool ol_sgemm_force_portable(bool portable);

#endif
