/* The qgemm driver: C is cut into tiles of up to MC x NC that threads take independently; for each
 * KC slice of k a tile packs its rows of A and columns of B into int16 pair panels (its own
 * workspace, so no thread waits on another) and runs the MR x NR tile kernel over them. Repacking
 * per tile costs about 1/MC + 1/NC of the multiply work. Zero points are applied to each finished
 * tile from row sums of A and column sums of B. */
#include "kernels/qgemm.h"

#include <omp.h>
#include <string.h>

#include "kernels/parallel.h"
#include "kernels/qgemm_tile.h"

#define MR OL_QGEMM_MR
#define NR OL_QGEMM_NR
#define KC 256            /* k values per packed slice (even) */
#define MC (12 * MR)      /* rows per tile: the packed A slice stays in L2 */
#define NC (16 * NR)      /* columns per tile */
#define ALIGN 64
/* Below this many multiply-adds a product stays on one thread. */
#define PARALLEL_MIN_WORK (1 << 18)

static ol_qgemm_tile_fn forced_tile;

void ol_qgemm_tile_portable(int64_t pairs, const int16_t *ap, const int16_t *bp, int32_t *c, int64_t ldc,
                            bool accumulate)
{
    /* uint32 so that wrapping accumulation is defined behaviour. */
    uint32_t acc[MR][NR] = {{0}};
    for (int64_t p = 0; p < pairs; p++, ap += 2 * MR, bp += 2 * NR)
        for (int r = 0; r < MR; r++) {
            int32_t a0 = ap[2 * r], a1 = ap[2 * r + 1];
            for (int j = 0; j < NR; j++)
                acc[r][j] += (uint32_t)(a0 * bp[2 * j] + a1 * bp[2 * j + 1]);
        }
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) {
            uint32_t v = acc[r][j] + (accumulate ? (uint32_t)c[r * ldc + j] : 0);
            c[r * ldc + j] = (int32_t)v;
        }
}

static ol_qgemm_tile_fn best_tile(void)
{
    if (forced_tile)
        return forced_tile;
    ol_qgemm_tile_fn f = ol_qgemm_tile_avx512();
    if (!f)
        f = ol_qgemm_tile_avx2();
    return f ? f : ol_qgemm_tile_portable;
}

const char *ol_qgemm_kernel_name(void)
{
    ol_qgemm_tile_fn f = best_tile();
    return f == ol_qgemm_tile_portable ? "portable" : f == ol_qgemm_tile_avx2() ? "avx2" : "avx512";
}

bool ol_qgemm_force_kernel(const char *name)
{
    ol_qgemm_tile_fn f = NULL;
    if (!name) {
        forced_tile = NULL;
        return true;
    }
    if (strcmp(name, "portable") == 0)
        f = ol_qgemm_tile_portable;
    else if (strcmp(name, "avx2") == 0)
        f = ol_qgemm_tile_avx2();
    else if (strcmp(name, "avx512") == 0)
        f = ol_qgemm_tile_avx512();
    if (!f)
        return false;
    forced_tile = f;
    return true;
}

/* ---- packing ---- */

/* A rows [i0, i0 + rows) and k [k0, k0 + kc) into ceil(rows / MR) panels; missing rows and the odd
 * k tail are zeros. */
#define DEFINE_PACK_A(T, NAME)                                                                      \
    static void NAME(const T *a, int64_t ld, int64_t rows, int64_t kc, int16_t *out)                \
    {                                                                                               \
        int64_t pairs = (kc + 1) / 2;                                                               \
        for (int64_t r0 = 0; r0 < rows; r0 += MR) {                                                 \
            int16_t *panel = out + (r0 / MR) * pairs * 2 * MR;                                      \
            for (int r = 0; r < MR; r++) {                                                          \
                if (r0 + r >= rows) {                                                               \
                    for (int64_t p = 0; p < pairs; p++)                                             \
                        panel[p * 2 * MR + 2 * r] = panel[p * 2 * MR + 2 * r + 1] = 0;              \
                    continue;                                                                       \
                }                                                                                   \
                const T *src = a + (r0 + r) * ld;                                                   \
                for (int64_t p = 0; p < kc / 2; p++) {                                              \
                    panel[p * 2 * MR + 2 * r] = src[2 * p];                                         \
                    panel[p * 2 * MR + 2 * r + 1] = src[2 * p + 1];                                 \
                }                                                                                   \
                if (kc & 1) {                                                                       \
                    panel[(pairs - 1) * 2 * MR + 2 * r] = src[kc - 1];                              \
                    panel[(pairs - 1) * 2 * MR + 2 * r + 1] = 0;                                    \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }

/* B rows k [0, kc) and columns [0, cols) into ceil(cols / NR) panels, zero padded. */
#define DEFINE_PACK_B(T, NAME)                                                                      \
    static void NAME(const T *b, int64_t ld, int64_t cols, int64_t kc, int16_t *out)                \
    {                                                                                               \
        int64_t pairs = (kc + 1) / 2;                                                               \
        for (int64_t c0 = 0; c0 < cols; c0 += NR) {                                                 \
            int16_t *panel = out + (c0 / NR) * pairs * 2 * NR;                                      \
            int64_t w = cols - c0 < NR ? cols - c0 : NR;                                            \
            for (int64_t p = 0; p < pairs; p++) {                                                   \
                const T *row0 = b + 2 * p * ld + c0;                                                \
                const T *row1 = 2 * p + 1 < kc ? row0 + ld : NULL;                                  \
                int16_t *dst = panel + p * 2 * NR;                                                  \
                if (row1 && w == NR) {                                                              \
                    for (int j = 0; j < NR; j++) {                                                  \
                        dst[2 * j] = row0[j];                                                       \
                        dst[2 * j + 1] = row1[j];                                                   \
                    }                                                                               \
                    continue;                                                                       \
                }                                                                                   \
                for (int j = 0; j < NR; j++) {                                                      \
                    dst[2 * j] = j < w ? row0[j] : 0;                                               \
                    dst[2 * j + 1] = j < w && row1 ? row1[j] : 0;                                   \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }

DEFINE_PACK_A(uint8_t, pack_a_u8)
DEFINE_PACK_A(int8_t, pack_a_s8)
DEFINE_PACK_B(uint8_t, pack_b_u8)
DEFINE_PACK_B(int8_t, pack_b_s8)

static void pack_a(const ol_qgemm_operand *a, int64_t i0, int64_t rows, int64_t k0, int64_t kc, int16_t *out)
{
    if (a->is_signed)
        pack_a_s8((const int8_t *)a->data + i0 * a->ld + k0, a->ld, rows, kc, out);
    else
        pack_a_u8((const uint8_t *)a->data + i0 * a->ld + k0, a->ld, rows, kc, out);
}

static void pack_b(const ol_qgemm_operand *b, int64_t j0, int64_t cols, int64_t k0, int64_t kc, int16_t *out)
{
    if (b->is_signed)
        pack_b_s8((const int8_t *)b->data + k0 * b->ld + j0, b->ld, cols, kc, out);
    else
        pack_b_u8((const uint8_t *)b->data + k0 * b->ld + j0, b->ld, cols, kc, out);
}

/* ---- zero points ---- */

static bool has_zero_points(const ol_qgemm_operand *op)
{
    for (int64_t i = 0; op->zero_points && i < op->n_zero_points; i++)
        if (op->zero_points[i] != 0)
            return true;
    return false;
}

static int32_t zero_point(const ol_qgemm_operand *op, int64_t i)
{
    return op->n_zero_points == 1 ? op->zero_points[0] : op->zero_points[i];
}

static int32_t element(const ol_qgemm_operand *op, int64_t row, int64_t col)
{
    const uint8_t *d = op->data;
    uint8_t v = d[row * op->ld + col];
    return op->is_signed ? (int8_t)v : v;
}

static void row_sums(const ol_qgemm_operand *a, int64_t m, int64_t k, int32_t *sums)
{
    for (int64_t i = 0; i < m; i++) {
        uint32_t s = 0;
        for (int64_t p = 0; p < k; p++)
            s += (uint32_t)element(a, i, p);
        sums[i] = (int32_t)s;
    }
}

static void col_sums(const ol_qgemm_operand *b, int64_t n, int64_t k, int32_t *sums)
{
    uint32_t *u = (uint32_t *)sums;
    memset(u, 0, (size_t)n * sizeof *u);
    for (int64_t p = 0; p < k; p++)
        for (int64_t j = 0; j < n; j++)
            u[j] += (uint32_t)element(b, p, j);
}

/* C[i][j] -= zb[j] * rowsum[i] + za[i] * colsum[j] - k * za[i] * zb[j], in wrapping arithmetic. */
static void apply_zero_points(const ol_qgemm_operand *a, const ol_qgemm_operand *b, int64_t k, const int32_t *rs,
                              const int32_t *cs, int64_t i0, int64_t rows, int64_t j0, int64_t cols, int32_t *c,
                              int64_t ldc)
{
    for (int64_t i = i0; i < i0 + rows; i++) {
        uint32_t za = cs ? (uint32_t)zero_point(a, i) : 0, rsum = rs ? (uint32_t)rs[i] : 0;
        uint32_t *row = (uint32_t *)(c + i * ldc);
        for (int64_t j = j0; j < j0 + cols; j++) {
            uint32_t zb = rs ? (uint32_t)zero_point(b, j) : 0, csum = cs ? (uint32_t)cs[j] : 0;
            row[j] -= zb * rsum + za * csum - (uint32_t)k * za * zb;
        }
    }
}

/* ---- driver ---- */

static size_t thread_workspace_bytes(void)
{
    return (size_t)(MC * KC + KC * NC) * sizeof(int16_t) + 2 * ALIGN;
}

size_t ol_qgemm_workspace_bytes(int64_t m, int64_t n, int64_t k, int threads)
{
    (void)k;
    size_t nt = (size_t)ol_kernel_threads(threads);
    return nt * thread_workspace_bytes() + (size_t)(m + n) * sizeof(int32_t) + 3 * ALIGN;
}

static void *align_up(void *p)
{
    return (void *)(((uintptr_t)p + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static void run_tile(const ol_qgemm_operand *a, const ol_qgemm_operand *b, int64_t k, int64_t i0, int64_t rows,
                     int64_t j0, int64_t cols, int32_t *c, int64_t ldc, int16_t *a_pack, int16_t *b_pack,
                     ol_qgemm_tile_fn tile)
{
    int32_t edge[MR * NR];
    for (int64_t k0 = 0; k0 < k; k0 += KC) {
        int64_t kc = k - k0 < KC ? k - k0 : KC, pairs = (kc + 1) / 2;
        bool accumulate = k0 > 0;
        pack_b(b, j0, cols, k0, kc, b_pack);
        pack_a(a, i0, rows, k0, kc, a_pack);
        for (int64_t jp = 0; jp < cols; jp += NR) {
            const int16_t *bp = b_pack + (jp / NR) * pairs * 2 * NR;
            int64_t w = cols - jp < NR ? cols - jp : NR;
            for (int64_t ip = 0; ip < rows; ip += MR) {
                const int16_t *ap = a_pack + (ip / MR) * pairs * 2 * MR;
                int64_t h = rows - ip < MR ? rows - ip : MR;
                int32_t *ct = c + (i0 + ip) * ldc + j0 + jp;
                if (w == NR && h == MR) {
                    tile(pairs, ap, bp, ct, ldc, accumulate);
                    continue;
                }
                /* A partial tile goes through a full-size buffer. */
                tile(pairs, ap, bp, edge, NR, false);
                for (int64_t r = 0; r < h; r++)
                    for (int64_t j = 0; j < w; j++) {
                        uint32_t v = (uint32_t)edge[r * NR + j] + (accumulate ? (uint32_t)ct[r * ldc + j] : 0);
                        ct[r * ldc + j] = (int32_t)v;
                    }
            }
        }
    }
}

void ol_qgemm(int64_t m, int64_t n, int64_t k, const ol_qgemm_operand *a, const ol_qgemm_operand *b,
              int32_t *c, int64_t ldc, int threads, void *workspace)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0) {
        for (int64_t i = 0; i < m; i++)
            memset(c + i * ldc, 0, (size_t)n * sizeof *c);
        return;
    }
    int nt = ol_kernel_threads(threads);
    if ((double)m * (double)n * (double)k < PARALLEL_MIN_WORK)
        nt = 1;
    /* Row sums are needed for B's zero points, column sums for A's. */
    int32_t *sums = align_up(workspace);
    int32_t *rs = has_zero_points(b) ? sums : NULL;
    int32_t *cs = has_zero_points(a) ? sums + m : NULL;
    char *per_thread = align_up(sums + m + n);
    if (rs)
        row_sums(a, m, k, rs);
    if (cs)
        col_sums(b, n, k, cs);

    /* Narrower column tiles when there are too few tiles to keep every thread busy. */
    int64_t mc = MC, nc = NC, tiles_m = ceil_div(m, mc);
    if (nt > 1 && tiles_m * ceil_div(n, nc) < nt) {
        int64_t want = ceil_div(nt, tiles_m);
        int64_t narrower = ceil_div(ceil_div(n, want), NR) * NR;
        nc = narrower < nc ? narrower : nc;
    }
    int64_t tiles_n = ceil_div(n, nc), tiles = tiles_m * tiles_n;
    if (tiles < nt)
        nt = (int)tiles;
    ol_qgemm_tile_fn tile = best_tile();
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(dynamic)
    for (int64_t t = 0; t < tiles; t++) {
        char *mine = per_thread + (size_t)omp_get_thread_num() * thread_workspace_bytes();
        int16_t *a_pack = align_up(mine);
        int16_t *b_pack = align_up(a_pack + MC * KC);
        int64_t i0 = (t / tiles_n) * mc, j0 = (t % tiles_n) * nc;
        int64_t rows = m - i0 < mc ? m - i0 : mc, cols = n - j0 < nc ? n - j0 : nc;
        run_tile(a, b, k, i0, rows, j0, cols, c, ldc, a_pack, b_pack, tile);
        if (rs || cs)
            apply_zero_points(a, b, k, rs, cs, i0, rows, j0, cols, c, ldc);
    }
}
