/* AVX2 and AVX-512 tile kernels for ol_qgemm. Compiled with per-function target attributes and
 * chosen at run time, so the library itself stays buildable for the baseline ISA. */
#include "kernels/qgemm_tile.h"

#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

#define MR OL_QGEMM_MR
#define NR OL_QGEMM_NR

static inline int32_t load_pair(const int16_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

__attribute__((target("avx2"))) static void store_row_avx2(int32_t *c, __m256i lo, __m256i hi, bool accumulate)
{
    if (accumulate) {
        lo = _mm256_add_epi32(lo, _mm256_loadu_si256((const __m256i *)c));
        hi = _mm256_add_epi32(hi, _mm256_loadu_si256((const __m256i *)(c + 8)));
    }
    _mm256_storeu_si256((__m256i *)c, lo);
    _mm256_storeu_si256((__m256i *)(c + 8), hi);
}

/* 6 rows x 16 columns in twelve 8-lane accumulators; vpmaddwd multiplies the int16 pairs and adds
 * the two products of each lane. */
__attribute__((target("avx2"))) static void tile_avx2(int64_t pairs, const int16_t *ap, const int16_t *bp,
                                                      int32_t *c, int64_t ldc, bool accumulate)
{
    __m256i c0l = _mm256_setzero_si256(), c0h = c0l, c1l = c0l, c1h = c0l, c2l = c0l, c2h = c0l;
    __m256i c3l = c0l, c3h = c0l, c4l = c0l, c4h = c0l, c5l = c0l, c5h = c0l;
    for (int64_t p = 0; p < pairs; p++, ap += 2 * MR, bp += 2 * NR) {
        __m256i b0 = _mm256_loadu_si256((const __m256i *)bp);
        __m256i b1 = _mm256_loadu_si256((const __m256i *)(bp + 16));
        __m256i a;
#define ROW(r, lo, hi)                                                                              \
        a = _mm256_set1_epi32(load_pair(ap + 2 * (r)));                                             \
        lo = _mm256_add_epi32(lo, _mm256_madd_epi16(a, b0));                                        \
        hi = _mm256_add_epi32(hi, _mm256_madd_epi16(a, b1));
        ROW(0, c0l, c0h) ROW(1, c1l, c1h) ROW(2, c2l, c2h) ROW(3, c3l, c3h) ROW(4, c4l, c4h) ROW(5, c5l, c5h)
#undef ROW
    }
    store_row_avx2(c, c0l, c0h, accumulate);
    store_row_avx2(c + ldc, c1l, c1h, accumulate);
    store_row_avx2(c + 2 * ldc, c2l, c2h, accumulate);
    store_row_avx2(c + 3 * ldc, c3l, c3h, accumulate);
    store_row_avx2(c + 4 * ldc, c4l, c4h, accumulate);
    store_row_avx2(c + 5 * ldc, c5l, c5h, accumulate);
}

/* One 16-lane accumulator per row; vpdpwssd fuses the pair multiply-add with the accumulation. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void tile_avx512(int64_t pairs, const int16_t *ap,
                                                                                const int16_t *bp, int32_t *c,
                                                                                int64_t ldc, bool accumulate)
{
    __m512i acc[MR];
    for (int r = 0; r < MR; r++)
        acc[r] = _mm512_setzero_si512();
    for (int64_t p = 0; p < pairs; p++, ap += 2 * MR, bp += 2 * NR) {
        __m512i b = _mm512_loadu_si512((const void *)bp);
        for (int r = 0; r < MR; r++)
            acc[r] = _mm512_dpwssd_epi32(acc[r], _mm512_set1_epi32(load_pair(ap + 2 * r)), b);
    }
    for (int r = 0; r < MR; r++) {
        int32_t *row = c + r * ldc;
        __m512i v = accumulate ? _mm512_add_epi32(acc[r], _mm512_loadu_si512((const void *)row)) : acc[r];
        _mm512_storeu_si512((void *)row, v);
    }
}

ol_qgemm_tile_fn ol_qgemm_tile_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? tile_avx2 : NULL;
}

ol_qgemm_tile_fn ol_qgemm_tile_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vnni")
               ? tile_avx512
               : NULL;
}

#else

ol_qgemm_tile_fn ol_qgemm_tile_avx2(void)
{
    return NULL;
}

ol_qgemm_tile_fn ol_qgemm_tile_avx512(void)
{
    return NULL;
}

#endif
