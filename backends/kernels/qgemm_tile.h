/* Inner kernels of ol_qgemm, shared between its driver and the ISA-specific tile files.
 *
 * Packed layouts: an A panel holds MR rows as [pairs][MR][2] int16 (row r's values for k = 2p and
 * 2p + 1 side by side), a B panel holds NR columns as [pairs][NR][2]. A tile kernel computes the
 * MR x NR block sum over p of A[r][2p] * B[2p][c] + A[r][2p+1] * B[2p+1][c]. */
#ifndef OL_KERNELS_QGEMM_TILE_H
#define OL_KERNELS_QGEMM_TILE_H

#include <stdbool.h>
#include <stdint.h>

#define OL_QGEMM_MR 6
#define OL_QGEMM_NR 16

/* Writes (or, with `accumulate`, adds) the full MR x NR tile into c with row stride ldc. */
typedef void (*ol_qgemm_tile_fn)(int64_t pairs, const int16_t *a_panel, const int16_t *b_panel, int32_t *c,
                                 int64_t ldc, bool accumulate);

void ol_qgemm_tile_portable(int64_t pairs, const int16_t *a_panel, const int16_t *b_panel, int32_t *c,
                            int64_t ldc, bool accumulate);
/* NULL where the CPU (or the compiler) lacks the instructions. */
ol_qgemm_tile_fn ol_qgemm_tile_avx2(void);
ol_qgemm_tile_fn ol_qgemm_tile_avx512(void);

#endif
