#include "kernels/gemm.h"

#include <cblas.h>
#include <string.h>

#include "kernels/blas_core.h"

bool ol_gemm_dtype_supported(ol_dtype dtype)
{
    return dtype == OL_FLOAT || dtype == OL_DOUBLE || dtype == OL_INT32 || dtype == OL_INT64 ||
           dtype == OL_UINT32 || dtype == OL_UINT64;
}

/* Y[M, N] = alpha * op(A) x op(B) + beta * Y through BLAS. A single row is a matrix-vector product:
 * OpenBLAS's GEMM pays for packing that GEMV does not need (the classifier layers). */
#define DEFINE_BLAS_GEMM(T, NAME, GEMM, GEMV)                                                        \
    static void NAME(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T *A, const T *B, \
                     T beta, T *Y)                                                                   \
    {                                                                                                \
        if (M == 1)                                                                                  \
            GEMV(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? (int)N : (int)K,               \
                 tb ? (int)K : (int)N, alpha, B, tb ? (int)K : (int)N, A, 1, beta, Y, 1);            \
        else                                                                                         \
            GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,     \
                 (int)M, (int)N, (int)K, alpha, A, ta ? (int)M : (int)K, B, tb ? (int)K : (int)N,    \
                 beta, Y, (int)N);                                                                   \
    }

DEFINE_BLAS_GEMM(float, blas_gemm_f32, cblas_sgemm, cblas_sgemv)
DEFINE_BLAS_GEMM(double, blas_gemm_f64, cblas_dgemm, cblas_dgemv)

/* Integer products wrap like the unsigned type of the same width (signed overflow is undefined in
 * C; two's complement wrap-around is what other runtimes produce). */
#define DEFINE_INT_GEMM(T, U, NAME)                                                                  \
    static void NAME(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T *A, const T *B, T *Y) \
    {                                                                                                \
        memset(Y, 0, (size_t)(M * N) * sizeof(T));                                                   \
        for (int64_t m = 0; m < M; m++)                                                              \
            for (int64_t k = 0; k < K; k++) {                                                        \
                U av = (U)(ta ? A[k * M + m] : A[m * K + k]);                                        \
                T *yr = Y + m * N;                                                                   \
                for (int64_t n = 0; n < N; n++)                                                      \
                    yr[n] = (T)((U)yr[n] + av * (U)(tb ? B[n * K + k] : B[k * N + n]));              \
            }                                                                                        \
    }

DEFINE_INT_GEMM(int32_t, uint32_t, int_gemm_i32)
DEFINE_INT_GEMM(int64_t, uint64_t, int_gemm_i64)
DEFINE_INT_GEMM(uint32_t, uint32_t, int_gemm_u32)
DEFINE_INT_GEMM(uint64_t, uint64_t, int_gemm_u64)

/* One product y = op(a) x op(b) of the given dtype. */
static void gemm_one(ol_dtype dtype, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const void *a,
                     const void *b, void *y)
{
    switch (dtype) {
    case OL_FLOAT:
        blas_gemm_f32(ta, tb, M, N, K, 1.0f, a, b, 0.0f, y);
        break;
    case OL_DOUBLE:
        blas_gemm_f64(ta, tb, M, N, K, 1.0, a, b, 0.0, y);
        break;
    case OL_INT32:
        int_gemm_i32(ta, tb, M, N, K, a, b, y);
        break;
    case OL_INT64:
        int_gemm_i64(ta, tb, M, N, K, a, b, y);
        break;
    case OL_UINT32:
        int_gemm_u32(ta, tb, M, N, K, a, b, y);
        break;
    case OL_UINT64:
        int_gemm_u64(ta, tb, M, N, K, a, b, y);
        break;
    default:
        break;
    }
}

void ol_gemm_batched(ol_dtype dtype, bool trans_a, bool trans_b, int64_t batch, int64_t M, int64_t N,
                     int64_t K, const void *a, int64_t a_stride, const void *b, int64_t b_stride, void *y)
{
    size_t elem = ol_dtype_storage_bytes(dtype, 1);
    if (M == 0 || N == 0)
        return;
    ol_blas_ensure_core();
    for (int64_t i = 0; i < batch; i++) {
        const char *ai = (const char *)a + (size_t)(i * a_stride) * elem;
        const char *bi = (const char *)b + (size_t)(i * b_stride) * elem;
        char *yi = (char *)y + (size_t)(i * M * N) * elem;
        if (K == 0)
            memset(yi, 0, (size_t)(M * N) * elem);   /* an empty sum; BLAS may leave y untouched */
        else
            gemm_one(dtype, trans_a, trans_b, M, N, K, ai, bi, yi);
    }
}

/* ---- Gemm ---- */

bool ol_gemm_bias_broadcasts(const ol_ktensor *c, int64_t M, int64_t N)
{
    if (c->rank == 0)
        return true;
    if (c->rank == 1)
        return c->dims[0] == N || c->dims[0] == 1;
    if (c->rank == 2)
        return (c->dims[0] == M || c->dims[0] == 1) && (c->dims[1] == N || c->dims[1] == 1);
    return false;
}

/* Element offset in c of y's element (m, n) under unidirectional broadcasting. */
static int64_t bias_index(const ol_ktensor *c, int64_t m, int64_t n)
{
    if (c->rank == 0)
        return 0;
    if (c->rank == 1)
        return c->dims[0] == 1 ? 0 : n;
    return (c->dims[0] == 1 ? 0 : m) * c->dims[1] + (c->dims[1] == 1 ? 0 : n);
}

#define DEFINE_FLOAT_GEMM_OP(T, NAME, BLAS)                                                         \
    static void NAME(const ol_gemm_params *p, int64_t M, int64_t N, int64_t K, const ol_ktensor *a,  \
                     const ol_ktensor *b, const ol_ktensor *c, T *y)                                 \
    {                                                                                                \
        const T *cv = c ? c->data : NULL;                                                            \
        bool with_bias = cv && p->beta != 0;                                                         \
        for (int64_t m = 0; m < M; m++)                                                              \
            for (int64_t n = 0; n < N; n++)                                                          \
                y[m * N + n] = with_bias ? (T)p->beta * cv[bias_index(c, m, n)] : (T)0;              \
        if (K > 0 && p->alpha != 0)                                                                  \
            BLAS(p->trans_a, p->trans_b, M, N, K, (T)p->alpha, a->data, b->data, 1, y);              \
    }

DEFINE_FLOAT_GEMM_OP(float, gemm_op_f32, blas_gemm_f32)
DEFINE_FLOAT_GEMM_OP(double, gemm_op_f64, blas_gemm_f64)

/* Integer Gemm: the exact wrapped product, then alpha and beta (when not 1) through double. */
#define DEFINE_INT_GEMM_OP(T, U, NAME)                                                               \
    static void NAME(const ol_gemm_params *p, int64_t M, int64_t N, const ol_ktensor *c, T *y)       \
    {                                                                                                \
        const T *cv = c ? c->data : NULL;                                                            \
        for (int64_t m = 0; m < M; m++)                                                              \
            for (int64_t n = 0; n < N; n++) {                                                        \
                T v = y[m * N + n];                                                                  \
                if (p->alpha != 1)                                                                   \
                    v = (T)(p->alpha * (double)v);                                                   \
                if (cv && p->beta != 0) {                                                            \
                    T bias = cv[bias_index(c, m, n)];                                                \
                    v = (T)((U)v + (U)(p->beta == 1 ? bias : (T)(p->beta * (double)bias)));          \
                }                                                                                    \
                y[m * N + n] = v;                                                                    \
            }                                                                                        \
    }

DEFINE_INT_GEMM_OP(int32_t, uint32_t, scale_bias_i32)
DEFINE_INT_GEMM_OP(int64_t, uint64_t, scale_bias_i64)
DEFINE_INT_GEMM_OP(uint32_t, uint32_t, scale_bias_u32)
DEFINE_INT_GEMM_OP(uint64_t, uint64_t, scale_bias_u64)

void ol_gemm(const ol_gemm_params *p, const ol_ktensor *a, const ol_ktensor *b, const ol_ktensor *c,
             ol_ktensor *y)
{
    int64_t M = y->dims[0], N = y->dims[1], K = p->trans_a ? a->dims[0] : a->dims[1];
    if (M == 0 || N == 0)
        return;
    ol_blas_ensure_core();
    switch (y->dtype) {
    case OL_FLOAT:
        gemm_op_f32(p, M, N, K, a, b, c, y->data);
        return;
    case OL_DOUBLE:
        gemm_op_f64(p, M, N, K, a, b, c, y->data);
        return;
    default:
        break;
    }
    ol_gemm_batched(y->dtype, p->trans_a, p->trans_b, 1, M, N, K, a->data, 0, b->data, 0, y->data);
    switch (y->dtype) {
    case OL_INT32:
        scale_bias_i32(p, M, N, c, y->data);
        break;
    case OL_INT64:
        scale_bias_i64(p, M, N, c, y->data);
        break;
    case OL_UINT32:
        scale_bias_u32(p, M, N, c, y->data);
        break;
    case OL_UINT64:
        scale_bias_u64(p, M, N, c, y->data);
        break;
    default:
        break;
    }
}

/* ---- MatMul ---- */

/* Batch dims of t (all but its last two; none for 1-D and 2-D). */
static int batch_rank(const ol_ktensor *t)
{
    return t->rank > 2 ? t->rank - 2 : 0;
}

bool ol_matmul_shape(const ol_ktensor *a, const ol_ktensor *b, int *rank, int64_t *dims)
{
    if (a->rank < 1 || b->rank < 1)
        return false;
    int64_t ka = a->dims[a->rank - 1], kb = b->rank >= 2 ? b->dims[b->rank - 2] : b->dims[0];
    if (ka != kb)
        return false;
    int ab = batch_rank(a), bb = batch_rank(b), yb = ab > bb ? ab : bb, r = 0;
    for (int i = 0; i < yb; i++) {
        int64_t da = i >= yb - ab ? a->dims[i - (yb - ab)] : 1;
        int64_t db = i >= yb - bb ? b->dims[i - (yb - bb)] : 1;
        if (da != db && da != 1 && db != 1)
            return false;
        dims[r++] = da == 1 ? db : da;
    }
    if (a->rank >= 2)
        dims[r++] = a->dims[a->rank - 2];
    if (b->rank >= 2)
        dims[r++] = b->dims[b->rank - 1];
    *rank = r;
    return true;
}

static int64_t dims_product(const int64_t *dims, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        p *= dims[i];
    return p;
}

void ol_matmul(const ol_ktensor *a, const ol_ktensor *b, ol_ktensor *y)
{
    int64_t M = a->rank >= 2 ? a->dims[a->rank - 2] : 1, K = a->dims[a->rank - 1];
    int64_t N = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    int ab = batch_rank(a), bb = batch_rank(b);
    int64_t a_count = dims_product(a->dims, ab), b_count = dims_product(b->dims, bb);
    int yb = y->rank - (a->rank >= 2) - (b->rank >= 2);
    int64_t y_count = dims_product(y->dims, yb);
    if (y_count == 0 || M == 0 || N == 0)
        return;
    if (b_count == 1) {
        /* One right-hand matrix: a's batch folds into its rows, one product in all. */
        ol_gemm_batched(y->dtype, false, false, 1, a_count * M, N, K, a->data, 0, b->data, 0, y->data);
        return;
    }
    if (a_count == 1) {
        ol_gemm_batched(y->dtype, false, false, y_count, M, N, K, a->data, 0, b->data, K * N, y->data);
        return;
    }
    if (a_count == y_count && b_count == y_count) {
        ol_gemm_batched(y->dtype, false, false, y_count, M, N, K, a->data, M * K, b->data, K * N, y->data);
        return;
    }
    /* Batch dims broadcast against each other: place each output matrix's operands. */
    size_t elem = ol_dtype_storage_bytes(y->dtype, 1);
    for (int64_t t = 0; t < y_count; t++) {
        int64_t rest = t, a_index = 0, b_index = 0, a_scale = 1, b_scale = 1;
        for (int i = yb - 1; i >= 0; i--) {
            int64_t coord = rest % y->dims[i];
            rest /= y->dims[i];
            int ia = i - (yb - ab), ib = i - (yb - bb);
            if (ia >= 0) {
                a_index += (a->dims[ia] == 1 ? 0 : coord) * a_scale;
                a_scale *= a->dims[ia];
            }
            if (ib >= 0) {
                b_index += (b->dims[ib] == 1 ? 0 : coord) * b_scale;
                b_scale *= b->dims[ib];
            }
        }
        ol_gemm_batched(y->dtype, false, false, 1, M, N, K, (const char *)a->data + (size_t)(a_index * M * K) * elem,
                        0, (const char *)b->data + (size_t)(b_index * K * N) * elem, 0,
                        (char *)y->data + (size_t)(t * M * N) * elem);
    }
}
