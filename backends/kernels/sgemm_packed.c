/* Float32 GEMM with a prepacked left operand (see sgemm_packed.h). Blocked as in GotoBLAS/BLIS: per
 * block of NC columns and KC rows of B, B is copied into panels of NR columns ([KC][NR], so the
 * tile kernel reads it contiguously from L1), then every MR x NR tile of C is computed from one A
 * panel and one B panel. Tiles go to threads in B-panel-major order, so a thread keeps its B panel
 * in L1 while it walks down A. After the last block of K a stretch of rows is final and handed to
 * the caller's finish callback while it is in cache.
 *
 * Each C element is summed over k in the same order whatever the thread count, so results do not
 * depend on it. */
#include "kernels/sgemm_packed.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/blas_core.h"
#include "kernels/parallel.h"

/* Tile MR x NR: 8 rows (every channel count of the common CNNs is a multiple of 8) by two 16-lane
 * vectors. KC x NC floats of packed B (512 KiB) stay in L2 while the tiles run. */
enum { MR = 8, NR = 32, KC = 256, NC = 512, ALIGN = 64 };

static bool force_portable;

bool ol_sgemm_force_portable(bool portable)
{
    force_portable = portable;
#if defined(__GNUC__) && defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

static bool use_packed_kernel(void)
{
#if defined(__GNUC__) && defined(__x86_64__)
    __builtin_cpu_init();
    return !force_portable && __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

bool ol_sgemm_pack_a(const float *a, int64_t lda, int64_t M, int64_t K, ol_sgemm_packed_a *out)
{
    *out = (ol_sgemm_packed_a){.M = M, .K = K};
    if (!use_packed_kernel() || M == 0 || K == 0)
        return true;
    int64_t panels = (M + MR - 1) / MR;
    size_t bytes = (size_t)(panels * K * MR) * sizeof(float);
    out->panels = aligned_alloc(ALIGN, (bytes + ALIGN - 1) / ALIGN * ALIGN);
    if (!out->panels)
        return false;
    for (int64_t p = 0; p < panels; p++)
        for (int64_t k = 0; k < K; k++)
            for (int64_t r = 0; r < MR; r++) {
                int64_t row = p * MR + r;
                out->panels[(p * K + k) * MR + r] = row < M ? a[row * lda + k] : 0.0f;
            }
    return true;
}

void ol_sgemm_packed_a_free(ol_sgemm_packed_a *packed)
{
    free(packed->panels);
    packed->panels = NULL;
}

size_t ol_sgemm_packed_workspace(int64_t N, int threads)
{
    (void)threads;   /* the B block is shared by the threads */
    int64_t nc = N < NC ? (N + NR - 1) / NR * NR : NC;
    return (size_t)(KC * nc) * sizeof(float) + ALIGN;
}

/* B rows [k0, k0 + kc), columns [n0, n0 + nc) into panels of NR columns, [kc][NR] each, zero past
 * the last column. */
static void pack_b_panel(const float *b, int64_t ldb, int64_t k0, int64_t kc, int64_t n0, int64_t nr, float *bp)
{
    for (int64_t k = 0; k < kc; k++) {
        const float *src = b + (k0 + k) * ldb + n0;
        float *dst = bp + k * NR;
        if (nr == NR) {
            memcpy(dst, src, NR * sizeof(float));
        } else {
            memcpy(dst, src, (size_t)nr * sizeof(float));
            memset(dst + nr, 0, (size_t)(NR - nr) * sizeof(float));
        }
    }
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

/* C tile (mr x nr of MR x NR) = [C +] A panel x B panel over kc, B's rows ldb floats apart (NR for
 * a packed panel; masked loads never read past column nr of an unpacked one). Rows are written out
 * by hand so that the sixteen accumulators stay in registers. */
__attribute__((target("avx512f"))) static void tile_avx512(int64_t kc, const float *ap, const float *bp, int64_t ldb,
                                                           float *c, int64_t ldc, bool accumulate, int mr, int nr)
{
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00;
    __m512 c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    __mmask16 m0 = nr >= 16 ? 0xffff : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? 0xffff : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : 0;
    for (int64_t k = 0; k < kc; k++, ap += MR, bp += ldb) {
        __m512 b0 = _mm512_maskz_loadu_ps(m0, bp), b1 = _mm512_maskz_loadu_ps(m1, bp + 16), a;
#define ROW(r, lo, hi)                                                                              \
        a = _mm512_set1_ps(ap[r]);                                                                  \
        lo = _mm512_fmadd_ps(a, b0, lo);                                                            \
        hi = _mm512_fmadd_ps(a, b1, hi);
        ROW(0, c00, c01) ROW(1, c10, c11) ROW(2, c20, c21) ROW(3, c30, c31)
        ROW(4, c40, c41) ROW(5, c50, c51) ROW(6, c60, c61) ROW(7, c70, c71)
#undef ROW
    }
#define STORE(r, lo, hi)                                                                            \
    if (r < mr) {                                                                                   \
        float *row = c + (r) * ldc;                                                                 \
        if (accumulate) {                                                                           \
            lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(m0, row));                                 \
            hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(m1, row + 16));                            \
        }                                                                                           \
        _mm512_mask_storeu_ps(row, m0, lo);                                                         \
        _mm512_mask_storeu_ps(row + 16, m1, hi);                                                    \
    }
    STORE(0, c00, c01) STORE(1, c10, c11) STORE(2, c20, c21) STORE(3, c30, c31)
    STORE(4, c40, c41) STORE(5, c50, c51) STORE(6, c60, c61) STORE(7, c70, c71)
#undef STORE
}

/* Copying B into panels costs about as much as one A panel's pass over it, so with few A panels the
 * tiles read B where it is (its rows ldb apart), unless that stride is a multiple of 4 KiB, whose
 * rows would all fall into the same L1 sets. */
enum { DIRECT_MAX_PANELS = 4 };

static void gemm_packed(const ol_sgemm_packed_a *a, const float *b, int64_t ldb, int64_t N, float *c, int64_t ldc,
                        ol_sgemm_finish_fn finish, const void *ctx, int threads, void *workspace)
{
    int64_t M = a->M, K = a->K, m_panels = (M + MR - 1) / MR;
    float *bp = (float *)(((uintptr_t)workspace + ALIGN - 1) / ALIGN * ALIGN);
    bool direct = m_panels <= DIRECT_MAX_PANELS && ldb % 1024 != 0;
#pragma omp parallel num_threads(threads) if (threads > 1)
    for (int64_t n0 = 0; n0 < N; n0 += NC) {
        int64_t nc = N - n0 < NC ? N - n0 : NC, n_panels = (nc + NR - 1) / NR;
        for (int64_t k0 = 0; k0 < K; k0 += KC) {
            int64_t kc = K - k0 < KC ? K - k0 : KC;
            if (!direct) {
#pragma omp for schedule(static)
                for (int64_t j = 0; j < n_panels; j++) {
                    int64_t nr = nc - j * NR < NR ? nc - j * NR : NR;
                    pack_b_panel(b, ldb, k0, kc, n0 + j * NR, nr, bp + j * kc * NR);
                }
            }
#pragma omp for schedule(static)
            for (int64_t t = 0; t < n_panels * m_panels; t++) {
                int64_t j = t / m_panels, p = t % m_panels;
                int64_t nr = nc - j * NR < NR ? nc - j * NR : NR, mr = M - p * MR < MR ? M - p * MR : MR;
                const float *panel = direct ? b + k0 * ldb + n0 + j * NR : bp + j * kc * NR;
                tile_avx512(kc, a->panels + (p * K + k0) * MR, panel, direct ? ldb : NR,
                            c + p * MR * ldc + n0 + j * NR, ldc, k0 > 0, (int)mr, (int)nr);
            }
        }
        if (finish) {
#pragma omp for schedule(static)
            for (int64_t m = 0; m < M; m++)
                finish(ctx, m, n0, c + m * ldc + n0, nc);
        }
    }
}

#else

static void gemm_packed(const ol_sgemm_packed_a *a, const float *b, int64_t ldb, int64_t N, float *c, int64_t ldc,
                        ol_sgemm_finish_fn finish, const void *ctx, int threads, void *workspace)
{
    (void)a, (void)b, (void)ldb, (void)N, (void)c, (void)ldc, (void)finish, (void)ctx, (void)threads;
    (void)workspace;   /* never packed without the kernel */
}

#endif

void ol_sgemm_packed(const ol_sgemm_packed_a *packed, const float *a, int64_t lda, const float *b, int64_t ldb,
                     int64_t N, float *c, int64_t ldc, ol_sgemm_finish_fn finish, const void *ctx, int threads,
                     void *workspace)
{
    threads = ol_kernel_threads(threads);
    int64_t M = packed->M, K = packed->K;
    if (M == 0 || N == 0)
        return;
    if (packed->panels) {
        gemm_packed(packed, b, ldb, N, c, ldc, finish, ctx, threads, workspace);
        return;
    }
    if (K == 0) {
        for (int64_t m = 0; m < M; m++)
            memset(c + m * ldc, 0, (size_t)N * sizeof(float));
    } else {
        ol_blas_ensure_core();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)N, (int)K, 1.0f, a, (int)lda, b, (int)ldb,
                    0.0f, c, (int)ldc);
    }
    if (finish) {
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
        for (int64_t m = 0; m < M; m++)
            finish(ctx, m, 0, c + m * ldc, N);
    }
}
