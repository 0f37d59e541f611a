/* The float32 GEMM with a prepacked left operand (kernels/sgemm_packed.h) against a naive double
 * product: sizes that are not multiples of the tile (8 x 32) nor of the K and N blocks, row strides
 * wider than the matrices, B read in place (few rows) and packed (more rows), the finish callback,
 * two threads, and the portable path. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/sgemm_packed.h"

static float value(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return (float)((*state >> 8) % 2001) / 1000.0f - 1.0f;
}

/* The finish callback: adds row * 1000 + column to every value and counts the calls per row. */
typedef struct marks {
    int64_t calls[64];
    int64_t columns[64];
} marks;

static void mark(const void *ctx, int64_t m, int64_t n0, float *c, int64_t n)
{
    marks *mk = (marks *)ctx;
    for (int64_t j = 0; j < n; j++)
        c[j] += (float)(m * 1000 + n0 + j);
    __atomic_add_fetch(&mk->calls[m], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&mk->columns[m], n, __ATOMIC_RELAXED);
}

static void check(int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb, int64_t ldc, bool finish, int threads,
                  bool portable)
{
    cr_assert(M <= 64);
    unsigned seed = (unsigned)(M * 31 + N * 7 + K);
    float *a = malloc((size_t)(M * lda) * sizeof *a + 1), *b = malloc((size_t)(K * ldb) * sizeof *b + 1);
    float *c = malloc((size_t)(M * ldc) * sizeof *c + 1);
    for (int64_t i = 0; i < M * lda; i++)
        a[i] = value(&seed);
    for (int64_t i = 0; i < K * ldb; i++)
        b[i] = value(&seed);
    for (int64_t i = 0; i < M * ldc; i++)
        c[i] = 12345.0f;   /* columns past N must keep it */
    ol_sgemm_force_portable(portable);
    ol_sgemm_packed_a packed;
    cr_assert(ol_sgemm_pack_a(a, lda, M, K, &packed));
    void *work = malloc(ol_sgemm_packed_workspace(N, threads) + 1);
    marks mk = {{0}, {0}};
    ol_sgemm_packed(&packed, a, lda, b, ldb, N, c, ldc, finish ? mark : NULL, &mk, threads, work);
    for (int64_t m = 0; m < M; m++) {
        for (int64_t j = 0; j < N; j++) {
            double want = finish ? (double)(m * 1000 + j) : 0;
            for (int64_t k = 0; k < K; k++)
                want += (double)a[m * lda + k] * b[k * ldb + j];
            cr_assert(fabs(c[m * ldc + j] - want) <= 1e-4 * (1 + fabs(want)),
                      "M %lld N %lld K %lld: c[%lld][%lld] = %g, want %g", (long long)M, (long long)N, (long long)K,
                      (long long)m, (long long)j, c[m * ldc + j], want);
        }
        for (int64_t j = N; j < ldc; j++)
            cr_assert_eq(c[m * ldc + j], 12345.0f, "wrote past column N");
        if (finish)
            cr_assert_eq(mk.columns[m], N, "row %lld finished over %lld columns", (long long)m,
                         (long long)mk.columns[m]);
    }
    ol_sgemm_packed_a_free(&packed);
    ol_sgemm_force_portable(false);
    free(work);
    free(a);
    free(b);
    free(c);
}

Test(kernels_sgemm_packed, matches_naive_product_on_odd_sizes)
{
    static const int64_t sizes[][3] = {
        {1, 1, 1}, {8, 32, 16}, {3, 5, 7}, {13, 47, 9}, {16, 33, 300},   /* M, N, K; K past one block */
        {9, 600, 20}, {24, 1100, 257}, {64, 49, 960}, {5, 17, 0},
        {40, 600, 300}, {16, 1024, 40},   /* B packed: more A panels; rows 4 KiB apart */
    };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        int64_t M = sizes[i][0], N = sizes[i][1], K = sizes[i][2];
        check(M, N, K, K, N, N, false, 1, false);
        check(M, N, K, K + 3, N + 5, N + 2, true, 1, false);   /* strided rows, finish callback */
        check(M, N, K, K, N, N, true, 2, false);               /* two threads */
        check(M, N, K, K + 1, N, N + 1, true, 1, true);        /* portable path */
    }
}

/* Results do not depend on the thread count (each sum runs over k in one order). */
Test(kernels_sgemm_packed, same_bits_with_one_and_two_threads)
{
    int64_t M = 19, N = 700, K = 300;
    unsigned seed = 3;
    float *a = malloc((size_t)(M * K) * sizeof *a), *b = malloc((size_t)(K * N) * sizeof *b);
    float *c1 = malloc((size_t)(M * N) * sizeof *c1), *c2 = malloc((size_t)(M * N) * sizeof *c2);
    for (int64_t i = 0; i < M * K; i++)
        a[i] = value(&seed);
    for (int64_t i = 0; i < K * N; i++)
        b[i] = value(&seed);
    ol_sgemm_packed_a packed;
    cr_assert(ol_sgemm_pack_a(a, K, M, K, &packed));
    void *work = malloc(ol_sgemm_packed_workspace(N, 2));
    ol_sgemm_packed(&packed, a, K, b, N, N, c1, N, NULL, NULL, 1, work);
    ol_sgemm_packed(&packed, a, K, b, N, N, c2, N, NULL, NULL, 2, work);
    cr_assert(memcmp(c1, c2, (size_t)(M * N) * sizeof *c1) == 0);
    ol_sgemm_packed_a_free(&packed);
    free(work);
    free(a);
    free(b);
    free(c1);
    free(c2);
}
